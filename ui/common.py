"""UI pieces every page shares: the sidebar dataset picker and the loaded dataset.

In hosted mode (the ``hosted`` setting) datasets come only from the server's data folder, the
demo or uploaded archives: no typed server paths, in the sidebar or in a ``?dataset=`` URL.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from core import audio, plots, settings
from core.audio.clip import fit_to_clip
from core.audio.mel import PRESETS as MEL_PRESETS
from core.audio.preview import preview
from core.dataset import Dataset, Summary, discover
from core.dataset.library import DEMO, check_dataset_spec, local_datasets, resolve, save_upload
from core.demo import is_complete
from core.errors import GenreLabError
from core.runs import RunStatus, jobs
from core.runs.kinds import DEMO as DEMO_JOB
from core.runs.kinds import newest_job
from core.runs.kinds.demo import demo_config
from core.settings import SAMPLE_RATE
from ui.access import can_edit, current_actor
from ui.jobs import follow_job
from ui.text import error_text, plain
from ui.view_link import share

_KEY = "dataset_spec"
_DEMO_LABEL = "Demo dataset (synthetic, built in)"
_FOLDER_LABEL = "A folder on this machine…"
_UPLOAD_LABEL = "Upload an archive (.zip / .tar.gz)…"
#: The mel setting of the clip viewer (the Lab opens with the same preset).
VIEWER_PRESET = "librosa"


@st.cache_data(show_spinner="Reading the dataset…", max_entries=8)
def load_dataset(spec: str) -> Dataset:
    """Discover a dataset (cached per spec; the demo is generated on first use)."""
    return discover(resolve(spec))


def dataset_picker() -> None:
    """Sidebar control choosing the dataset; the choice is kept in session state and the URL."""
    refused = None
    if _KEY not in st.session_state:
        st.session_state[_KEY] = st.query_params.get("dataset", DEMO)
        try:
            _check(st.session_state[_KEY])
        except GenreLabError as exc:
            refused, st.session_state[_KEY] = exc, DEMO
    spec = st.session_state[_KEY]
    config = settings.current()
    local = {f"data/{p.relative_to(config.data_dir)}": str(p) for p in local_datasets()}
    other = _UPLOAD_LABEL if config.hosted else _FOLDER_LABEL
    options = [_DEMO_LABEL, *local, *([] if config.hosted else [_FOLDER_LABEL]), _UPLOAD_LABEL]
    current = (
        _DEMO_LABEL
        if spec == DEMO
        else next((label for label, path in local.items() if path == spec), other)
    )
    with st.sidebar:
        st.subheader("Dataset")
        if refused is not None:
            st.error(str(refused))
        choice = st.selectbox(
            "Source", options, index=options.index(current), label_visibility="collapsed"
        )
        if choice == _DEMO_LABEL:
            _select(DEMO)
        elif choice in local:
            _select(local[choice])
        elif choice == _FOLDER_LABEL:
            typed = st.text_input(
                "Folder or archive path",
                value="" if spec == DEMO else spec,
                placeholder="/path/to/GTZAN or genres.tar.gz",
            )
            if typed and st.button("Open", width="stretch"):
                _select(typed.strip())
        else:
            upload = st.file_uploader(
                "Dataset archive",
                type=["zip", "gz", "tgz", "tar"],
                max_upload_size=config.max_upload_bytes // 2**20,
            )
            if upload is not None and st.button(
                "Open archive", width="stretch", disabled=not can_edit()
            ):
                try:
                    path = save_upload(upload.name, upload.getvalue(), actor=current_actor())
                    _select(str(path))
                except GenreLabError as exc:
                    st.error(error_text(exc))
        if st.button("Rescan", help="Read the dataset folder again (after adding files)"):
            load_dataset.clear()
    share({"dataset": st.session_state[_KEY]})


def _check(spec: str) -> None:
    """Hosted mode: refuse a dataset outside the data folder (AccessError)."""
    if settings.current().hosted:
        check_dataset_spec(spec, settings.current().data_dir)


def _select(spec: str) -> None:
    st.session_state[_KEY] = spec


def dataset_spec() -> str:
    """What the sidebar chose: ``"demo"`` or a path (as runs record it)."""
    return st.session_state.get(_KEY, DEMO)


def current_dataset() -> Dataset | None:
    """The dataset chosen in the sidebar, or None (with the reason shown) if it can't be read;
    None too while the demo dataset is being generated (its progress shown)."""
    spec = dataset_spec()
    if spec == DEMO and _demo_pending():
        return None
    try:
        _check(spec)
        return load_dataset(spec)
    except GenreLabError as exc:
        st.error(
            f"Could not open the dataset **{plain(Path(spec).name or spec)}**: {error_text(exc)}"
        )
        return None


def _demo_pending() -> bool:
    """Whether the demo dataset is still missing; if so, follow the job generating it (started
    here when none is running: generating it is no user's change, so any role may)."""
    if is_complete(settings.current().demo_dir):
        return False
    run = newest_job(DEMO_JOB)
    if run is not None and run.status is RunStatus.FAILED:
        st.error(f"Generating the demo dataset failed: {run.error}")
        if not st.button("Try again", key="demo_retry"):
            return True
    if run is None or not run.status.active:
        run = jobs.submit(demo_config(), name="demo dataset")
    st.info("Generating the built-in demo dataset (first use only, about a minute)…")
    follow_job(run.id)
    return True


def show_overview(dataset: Dataset, s: Summary) -> None:
    """Headline numbers, clips per genre, durations and unreadable files of a dataset."""
    cols = st.columns(4)
    cols[0].metric("Clips", s.clips)
    cols[1].metric("Readable", s.readable, delta=-len(s.problems) or None)
    cols[2].metric("Genres", len(s.per_genre))
    cols[3].metric(
        "Audio", f"{s.durations.get('total_minutes', 0):.0f} min" if s.durations else "—"
    )

    left, right = st.columns(2)
    left.plotly_chart(plots.clips_per_genre(s.per_genre), width="stretch", theme=None)
    if s.durations and s.durations["max"] - s.durations["min"] < 0.05:
        right.info(f"Every readable clip lasts {s.durations['median']:.1f} s.")
    elif s.durations:
        right.plotly_chart(plots.duration_histogram(dataset.manifest), width="stretch", theme=None)
    if s.durations:
        rates = ", ".join(f"{rate} Hz ({n} clips)" for rate, n in s.sample_rates.items())
        right.caption(
            f"Per clip: min {s.durations['min']:.1f} s, median {s.durations['median']:.1f} s, "
            f"max {s.durations['max']:.1f} s. Sample rates: {rates}."
        )
    else:
        right.info("This dataset holds spectrogram images, not audio: durations are unknown.")

    if len(s.problems):
        st.warning(f"{len(s.problems)} file(s) could not be read and are left out of everything:")
        st.dataframe(s.problems, hide_index=True, width="stretch")


@st.cache_data(max_entries=32, show_spinner=False)
def decode(
    source: str | bytes, sr: int = SAMPLE_RATE, offset: float = 0.0, duration: float | None = None
) -> np.ndarray:
    """A clip (path or uploaded bytes) decoded to mono float32 (cached)."""
    return audio.load(source, sr=sr, offset=offset, duration=duration)


def play(path: str) -> None:
    """An audio player for any readable clip (decoded here, so .au plays in every browser)."""
    try:
        st.audio(decode(path), sample_rate=SAMPLE_RATE)
    except GenreLabError as exc:
        st.error(error_text(exc))


def clip_viewer(row: pd.Series) -> None:
    """Player, waveform and mel spectrogram of one manifest row (or the image, for image rows)."""
    st.markdown(
        f"#### {row['track_id']} · {row['genre']}"
        + (f" · {row['artist']}" if row.get("artist") else "")
        + (f" — {row['title']}" if row.get("title") else "")
    )
    if not row["readable"]:
        st.error(row["problem"])
        return
    if row["kind"] == "image":
        st.image(row["path"], caption="Kaggle mel-spectrogram image")
        st.caption("An image dataset: no audio to play or to open in the Spectrogram Lab.")
        return
    left, right = st.columns(2)
    with left:
        play(row["path"])
        try:
            y = decode(row["path"])
        except GenreLabError:
            return  # play() said why
        st.plotly_chart(plots.waveform(y, SAMPLE_RATE), width="stretch", theme=None)
    with right:
        params = fit_to_clip(MEL_PRESETS[VIEWER_PRESET], len(y) / SAMPLE_RATE)
        with st.spinner("Computing the mel spectrogram…"):
            result = preview(decode(row["path"], params.sample_rate), params)
        st.plotly_chart(
            plots.mel_heatmap(result.joined_unpadded, result.times, result.mel_hz),
            width="stretch",
            theme=None,
        )
        st.caption(f"Preset `{VIEWER_PRESET}`: {params.summary()}")
        st.page_link(
            "pages/spectrogram_lab.py",
            label="Open this clip in the Spectrogram Lab",
            query_params={"clip": row["track_id"], "dataset": dataset_spec()},
            icon=":material/equalizer:",
        )
