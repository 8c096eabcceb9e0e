"""Train: both CNNs of the paper under any protocol, as background jobs with live progress."""

import streamlit as st

from core.audio.mel import PRESETS as MEL_PRESETS
from core.audio.mel import MelParams
from core.errors import GenreLabError
from core.training.config import PRESETS, TRAIN_PARAMS, available_frameworks, preset
from core.training.execute import IMAGE_INPUTS, run_config
from ui.access import can_edit, submit_training
from ui.common import current_dataset, dataset_spec
from ui.run_monitor import active_runs, runs_table
from ui.run_sharing import run_sharing_panel
from ui.shell import require_shell
from ui.train_link import HYPER, apply_preset, seed_settings, share_settings
from ui.view_link import linked_mel, share, share_mel


def hints(field: str) -> dict:
    """A training setting's widget bounds or choices, and help, from ``TRAIN_PARAMS``."""
    return TRAIN_PARAMS[field].widget_hints()


require_shell()
st.title(":material/model_training: Train")
dataset = current_dataset()
if dataset is None:
    st.stop()

PROTOCOL_HELP = {
    "stratified": "stratified k-fold over clips (the seed paper's protocol)",
    "artist": "stratified k-fold with no artist on both sides (Sturm's index)",
    "filtered": "the fault-filtered train/valid/test split (GTZAN only, one fold)",
}
seed_settings()

# -- input ----------------------------------------------------------------------------------------
st.subheader("Input")
is_images = dataset.layout == "images"
if is_images:
    inputs = list(IMAGE_INPUTS)
    linked_input = st.query_params.get("input")
    image_input = st.selectbox(
        "Image input",
        inputs,
        index=inputs.index(linked_input) if linked_input in inputs else 1,
        help="full: the paper's 3x288x432 figure; crop: its plotted area; gray: colour-map index "
        "of that area (one channel); gray2: gray with frequency rows averaged in pairs",
    )
    mel = None
    share({"input": image_input})
else:
    image_input = None
    longest = float(dataset.usable["duration"].median())  # presets fitted to the clips' length
    fitted = {
        name: p.replace(duration=min(p.duration, longest)) if p.duration else p
        for name, p in MEL_PRESETS.items()
    }
    # label -> (the preset it is described against in links, the setting)
    choices = {f"preset: {name}, {p.summary(name)}": (name, p) for name, p in fitted.items()}
    offered = {
        "Spectrogram Lab setting A": ("librosa", st.session_state.get("lab_params_A")),
        "The link's setting": linked_mel("mel"),
    }
    for label, (base, params) in ((k, v) for k, v in offered.items() if v and v[1]):
        params = params if isinstance(params, MelParams) else MelParams.from_dict(params)
        if params not in [p for _, p in choices.values()]:  # offered after the presets if new
            choices[f"{label} ({params.summary()})"] = (base, params)
    linked = offered["The link's setting"]
    labels = list(choices)
    chosen = st.selectbox(
        "Mel spectrogram",
        labels,
        index=next((i for i, c in enumerate(choices.values()) if linked and c[1] == linked[1]), 0),
        help="Tune a setting in the Spectrogram Lab to train on it.",
    )
    base_name, mel = choices[chosen]
    share_mel(mel, base_name, "mel")
    if mel.feature_shape is None:
        st.error("This setting has no fixed shape per clip: set a duration in the Lab.")
        st.stop()

# -- model and protocol ---------------------------------------------------------------------------
st.subheader("Model and protocol")
c1, c2, c3, c4 = st.columns(4)
framework = c1.radio(
    "Framework",
    key="tr_framework",
    horizontal=True,
    format_func={"torch": "PyTorch", "keras": "Keras"}.get,
    **hints("framework"),
)
protocol = c2.selectbox(
    "Protocol",
    key="tr_protocol",
    format_func=lambda p: f"{p}: {PROTOCOL_HELP[p]}",
    **hints("protocol"),
)
c3.number_input("Folds (k)", key="tr_k", disabled=protocol == "filtered", **hints("k"))
c4.number_input("Seed", key="tr_seed", **hints("seed"))
st.checkbox(
    "Drop GTZAN's exact repetitions from every part",
    key="tr_drop_repetitions",
    disabled=dataset.layout == "demo" or dataset.layout == "folder",
    **hints("drop_repetitions"),
)
b1, b2, _ = st.columns([1, 1.4, 3.6])
b1.button("Paper preset", on_click=apply_preset, args=("paper",), width="stretch")
b2.button("Recommended preset", on_click=apply_preset, args=("recommended",), width="stretch")
c1, c2, c3, c4, c5 = st.columns(5)
c1.selectbox("Preset", list(PRESETS), key="tr_preset", help="the starting point of the settings")
c2.number_input("Epochs", key="tr_epochs", **hints("epochs"))
c3.number_input("Batch size", key="tr_batch_size", **hints("batch_size"))
c4.number_input("Learning rate", key="tr_lr", format="%.5f", **hints("lr"))
c5.number_input("Weight decay", key="tr_weight_decay", format="%.5f", **hints("weight_decay"))
c1, c2, c3, c4 = st.columns(4)
c1.slider("Dropout", key="tr_dropout", **hints("dropout"))
c2.number_input("Early-stopping patience (0 = off)", key="tr_patience", **hints("patience"))
c3.slider("Validation share of training part", key="tr_val_fraction", **hints("val_fraction"))
c4.number_input("Random time crop (frames, 0 = off)", key="tr_time_crop", **hints("time_crop"))
share_settings()
try:
    train = preset(
        st.session_state["tr_preset"],
        framework,
        **{f: st.session_state[f"tr_{f}"] for f in (*HYPER, "protocol", "k", "seed")},
        drop_repetitions=st.session_state["tr_drop_repetitions"],
    )
    st.caption(f"Training: {train.summary()}")
except GenreLabError as exc:
    st.error(str(exc))
    st.stop()

# -- start ----------------------------------------------------------------------------------------
installed = framework in available_frameworks()
if not installed:
    st.warning(
        f"{'Keras' if framework == 'keras' else 'PyTorch'} is not installed on this server (the "
        "slim cloud install has PyTorch only): choose the other framework, or run Genre Lab on "
        "your own machine or in Docker for these runs."
    )
if not can_edit():
    st.info("Your account is read-only: you can browse, compare and predict, but not train.")
name = st.text_input("Run name (optional)", placeholder="e.g. paper torch, artist folds")
if st.button("Start training", type="primary", disabled=not (installed and can_edit())):
    try:
        config = run_config(
            dataset_spec(), train, mel=mel, image_input=image_input, fingerprint=dataset.fingerprint
        )
        run = submit_training(config, name)
        st.success(
            f"Queued run `{run.id}`. It trains in a background process: you can leave "
            "this page; progress shows below and in every browser session."
        )
    except GenreLabError as exc:
        st.error(str(exc))

active_runs()
runs_table()
run_sharing_panel()
