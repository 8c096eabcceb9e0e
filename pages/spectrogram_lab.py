"""Spectrogram Lab: tune the mel spectrogram on one clip, compare two settings, build stores."""

import numpy as np
import streamlit as st

from core import plots, settings
from core.audio.mel import MelParams
from core.audio.preview import Preview, preview
from core.errors import GenreLabError
from core.settings import SAMPLE_RATE
from ui.common import current_dataset, decode
from ui.feature_stores import feature_store_panel
from ui.mel_widgets import mel_params_editor
from ui.shell import require_shell
from ui.text import error_text
from ui.view_link import share, share_mel

require_shell()
st.title(":material/equalizer: Spectrogram Lab")
dataset = current_dataset()
if dataset is None:
    st.stop()


def compute(source: str | bytes, params: MelParams) -> Preview | None:
    try:
        return preview(decode(source, params.sample_rate, params.offset, params.duration), params)
    except GenreLabError as exc:
        st.error(error_text(exc))
        return None


def draw(result: Preview, label: str, zrange: tuple[float, float] | None) -> None:
    shape = " x ".join(str(n) for n in result.features.shape)
    st.caption(
        f"**{label}** · {result.params.summary()} · shape {shape} · "
        f"computed in {result.seconds * 1000:.0f} ms"
    )
    if result.is_image:
        st.image(result.features[0], caption="Kaggle-style image (first segment)")
    else:
        st.plotly_chart(
            plots.mel_heatmap(
                result.joined_unpadded,
                result.times,
                result.mel_hz,
                title=label,
                zmin=zrange and zrange[0],
                zmax=zrange and zrange[1],
                colorbar_title="dB" if result.params.db else "value",
            ),
            width="stretch",
            theme=None,
        )
        if result.padded_seconds:
            st.caption(
                f"The clip is {result.padded_seconds:.1f} s shorter than this setting's duration "
                "or segment: that padding (zeros) is left blank, not drawn as a level."
            )


# -- the clip -----------------------------------------------------------------------------------
audio_rows = dataset.usable[dataset.usable["kind"] == "audio"]
left, right = st.columns([3, 2])
with left:
    source_kind = st.radio(
        "Clip", ["From the dataset", "Upload a clip"], horizontal=True, label_visibility="collapsed"
    )
    if source_kind == "From the dataset":
        if audio_rows.empty:
            st.info("This dataset holds no audio (images only): upload a clip instead.")
            st.stop()
        by_id = audio_rows.set_index("track_id")
        linked = st.query_params.get("clip")
        if linked is not None and linked not in by_id.index:
            st.warning(f"The linked clip {linked!r} is not in this dataset.")
            linked = None
        genres = sorted(audio_rows["genre"].unique())
        genre = st.selectbox(
            "Genre",
            genres,
            index=genres.index(by_id.loc[linked, "genre"]) if linked else 0,
            key="lab_genre",
        )
        clips = audio_rows[audio_rows["genre"] == genre]["track_id"].tolist()
        track = st.selectbox(
            "Clip", clips, index=clips.index(linked) if linked in clips else 0, key="lab_clip"
        )
        share({"clip": track})
        source: str | bytes = by_id.loc[track, "path"]
    else:
        share({"clip": None})
        upload = st.file_uploader(
            "Audio clip",
            type=["wav", "au", "flac", "ogg", "mp3"],
            max_upload_size=settings.current().max_upload_bytes // 2**20,
        )
        if upload is None:
            st.stop()
        source = upload.getvalue()
with right:
    try:
        y_full = decode(source)
        st.audio(y_full, sample_rate=SAMPLE_RATE)
        st.plotly_chart(plots.waveform(y_full, SAMPLE_RATE), width="stretch", theme=None)
    except GenreLabError as exc:
        st.error(error_text(exc))
        st.stop()

# -- the settings -------------------------------------------------------------------------------
compare = st.toggle(
    "Compare two settings side by side",
    value=st.query_params.get("compare") == "1",
    key="lab_compare",
)
share({"compare": "1" if compare else None})
if not compare:
    share_mel(None, "", "mel_b")
columns = st.columns(2) if compare else [st.container()]
results: list[Preview | None] = []
links = {"A": "mel", "B": "mel_b"}
for col, (label, preset) in zip(columns, [("A", "librosa"), ("B", "fast")], strict=False):
    with col, st.expander(f"Settings {label}" if compare else "Settings", expanded=True):
        params = mel_params_editor(
            f"lab_{label}", preset, len(y_full) / SAMPLE_RATE, link=links[label]
        )
    with st.spinner("Computing the spectrogram…"):
        results.append(compute(source, params) if params else None)
    if params and label == "A":
        st.session_state["lab_params_A"] = params.to_dict()  # offered on the Train page

shown = [r for r in results if r is not None and not r.is_image]
zrange = None
if len(shown) == 2 and all(r.params.db for r in shown):
    zrange = (min(float(r.joined.min()) for r in shown), max(float(r.joined.max()) for r in shown))
for col, label, result in zip(columns, ["A", "B"], results, strict=False):
    if result is not None:
        with col:
            draw(result, f"Setting {label}" if compare else "Mel spectrogram", zrange)

if compare and all(r is not None for r in results):
    a, b = results
    if a.is_image or b.is_image:
        st.info("The difference is drawn for mel arrays, not rendered images.")
    elif a.joined.shape != b.joined.shape:
        st.info(
            f"No difference plot: the shapes differ (A {a.joined.shape}, "
            f"B {b.joined.shape}). Give both the same n_mels, hop and duration to subtract."
        )
    else:
        diff = a.joined - b.joined
        worst = float(np.abs(diff).max()) or 1.0
        st.caption(f"A − B: mean |difference| {np.abs(diff).mean():.3f}, max {worst:.3f}")
        st.plotly_chart(
            plots.mel_heatmap(
                diff,
                a.times,
                a.mel_hz,
                title="Difference A − B",
                zmin=-worst,
                zmax=worst,
                colorscale="RdBu",
                colorbar_title="Δ",
            ),
            width="stretch",
            theme=None,
        )

# -- feature stores -----------------------------------------------------------------------------
st.divider()
if results[0] is not None:
    feature_store_panel(dataset, results[0].params)
