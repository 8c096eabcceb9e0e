"""Predict: upload or record a clip and get its genre from a trained run."""

import streamlit as st

from core import plots, settings
from core.audio.mel import PRESETS as MEL_PRESETS
from core.audio.preview import preview
from core.errors import GenreLabError
from core.predict import Predictor, check_upload_size, load_predictor, predict
from core.runs import RunStatus
from core.runs.kinds import training_runs
from core.runs.kinds.train import run_config
from core.runs.provenance import accuracy_text, provenance_frame, settings_summary
from core.runs.table import runs_frame
from core.training.config import preset
from ui.access import can_edit, submit_training
from ui.common import current_dataset, dataset_spec
from ui.run_monitor import active_runs
from ui.shell import require_shell
from ui.text import error_text, plain, run_option
from ui.view_link import share

require_shell()
st.title(":material/lyrics: Predict")
dataset = current_dataset()

UPLOAD_TYPES = ["wav", "au", "flac", "ogg", "mp3", "m4a", "aac"]


@st.cache_resource(max_entries=4, show_spinner="Loading the run's models…")
def predictor_for(run_id: str) -> Predictor:
    return load_predictor(run_id)


def quick_train() -> None:
    """Queue a small, fast run on the current dataset (mel 'fast', paper model, 3 folds)."""
    mel = MEL_PRESETS["fast"]
    longest = float(dataset.usable["duration"].median())
    config = run_config(
        dataset_spec(),
        preset("paper", "torch", epochs=8, k=3),
        mel=mel.replace(duration=min(mel.duration or longest, longest)),
        fingerprint=dataset.fingerprint,
    )
    submit_training(config, name="quick run (Predict page)")


completed = [r for r in training_runs() if r.status == RunStatus.COMPLETED and r.summary]
if not completed:
    st.info("No trained run yet: predictions need one.")
    if dataset is not None and dataset.layout != "images":
        st.button(
            "Quick training run on this dataset (a few minutes)",
            type="primary",
            on_click=quick_train,
            disabled=not can_edit(),
        )
    active_runs()
    st.stop()

table = runs_frame(completed)
spec = dataset_spec()
same = table[table["source"] == spec]
best = (same if len(same) else table).sort_values("mean_acc", ascending=False).iloc[0]["id"]
by_id = {run.id: run for run in completed}
labels = {  # the id too, in view: two runs may share a name and settings
    row.id: f"{run_option(by_id[row.id])} · {row.accuracy} · {row.settings}"
    for row in table.itertuples()
}
linked = st.query_params.get("run")
if linked is not None and linked not in labels:
    st.warning(f"The linked run {plain(repr(linked))} is not among the completed runs (deleted?).")
run_id = st.selectbox(
    "Trained run",
    list(labels),
    index=list(labels).index(linked if linked in labels else best),
    format_func=labels.get,
    help="Default: the best completed run on the current dataset",
    key="predict_run",
)
share({"run": run_id})
try:
    predictor = predictor_for(run_id)
except GenreLabError as exc:
    st.error(error_text(exc))
    st.stop()

run = predictor.run
st.markdown(
    f"**What this run learned from** · cross-validated accuracy **{accuracy_text(run.summary)}**"
)
st.caption(settings_summary(run.run_config))
with st.expander("Provenance: dataset, folds, settings, versions"):
    st.dataframe(provenance_frame(run), hide_index=True, width="stretch")
if dataset is not None and run.run_config.dataset.spec != spec:
    st.caption(
        f"The dataset open in the sidebar ({dataset.name}) is not the one this run learned "
        "from: its clips are new to the run."
    )

upload_tab, record_tab = st.tabs(["Upload a clip", "Record"])
with upload_tab:
    upload = st.file_uploader(
        "Audio clip",
        type=UPLOAD_TYPES,
        max_upload_size=settings.current().max_upload_bytes // 2**20,
        help="wav, au, flac, ogg, mp3 (m4a/aac only where a decoder for them is installed)",
    )
with record_tab:
    recording = st.audio_input("Record a clip with the microphone")
clip = upload or recording
if clip is None:
    st.caption(f"Clips are processed with the run's own settings: {predictor.params.summary()}.")
    st.stop()

try:
    check_upload_size(clip.size)
    data = clip.getvalue()
    with st.spinner("Listening…"):
        result = predict(predictor, data)
except GenreLabError as exc:
    st.error(f"**{plain(clip.name)}**: {error_text(exc)}")
    st.stop()

for warning in result.warnings:
    st.warning(warning, icon=":material/warning:")
left, right = st.columns([2, 3])
with left:
    st.metric("Predicted genre", result.genre)
    st.caption(
        f"{result.probabilities.iloc[0]:.0%} probability; next: "
        f"{result.probabilities.index[1]} {result.probabilities.iloc[1]:.0%}"
    )
    st.audio(result.signal, sample_rate=result.sample_rate)
    for note in result.notes:
        st.info(plain(note))
with right:
    st.plotly_chart(plots.genre_probabilities(result.probabilities), width="stretch", theme=None)
st.caption(
    f"Mean over {len(predictor.models)} fold model(s) and {len(result.timeline)} "
    f"segment(s) of the run's own input ({predictor.params.summary()}); the run's "
    f"cross-validated accuracy: {accuracy_text(run.summary)}."
)
if len(result.timeline) > 1:
    st.plotly_chart(plots.prediction_timeline(result.timeline), width="stretch", theme=None)
st.plotly_chart(plots.waveform(result.signal, result.sample_rate), width="stretch", theme=None)
view = preview(result.signal[: predictor.params.n_samples or None], predictor.params)
if view.is_image:
    st.image(view.features[0], caption="The clip as the model's Kaggle-style image")
else:
    st.plotly_chart(
        plots.mel_heatmap(
            view.joined, view.times, view.mel_hz, title="Mel spectrogram (first window)"
        ),
        width="stretch",
        theme=None,
    )
