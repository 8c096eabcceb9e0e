"""UI pieces every page shares: the sidebar dataset picker and the loaded dataset."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.dataset import Dataset, discover
from core.dataset.library import DEMO, local_datasets, resolve, save_upload
from core.errors import GenreLabError
from core.settings import DATA_DIR

_KEY = "dataset_spec"
_DEMO_LABEL = "Demo dataset (synthetic, built in)"
_FOLDER_LABEL = "A folder on this machine…"
_UPLOAD_LABEL = "Upload an archive (.zip / .tar.gz)…"


@st.cache_data(show_spinner="Reading the dataset…", max_entries=8)
def load_dataset(spec: str) -> Dataset:
    """Discover a dataset (cached per spec; the demo is generated on first use)."""
    return discover(resolve(spec))


def dataset_picker() -> None:
    """Sidebar control choosing the dataset; the choice is kept in session state and the URL."""
    if _KEY not in st.session_state:
        st.session_state[_KEY] = st.query_params.get("dataset", DEMO)
    spec = st.session_state[_KEY]
    local = {f"data/{p.relative_to(DATA_DIR)}": str(p) for p in local_datasets()}
    options = [_DEMO_LABEL, *local, _FOLDER_LABEL, _UPLOAD_LABEL]
    current = (
        _DEMO_LABEL
        if spec == DEMO
        else next((label for label, path in local.items() if path == spec), _FOLDER_LABEL)
    )
    with st.sidebar:
        st.subheader("Dataset")
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
            upload = st.file_uploader("Dataset archive", type=["zip", "gz", "tgz", "tar"])
            if upload is not None and st.button("Open archive", width="stretch"):
                try:
                    _select(str(save_upload(upload.name, upload.getvalue())))
                except GenreLabError as exc:
                    st.error(str(exc))
        if st.button("Rescan", help="Read the dataset folder again (after adding files)"):
            load_dataset.clear()


def _select(spec: str) -> None:
    if st.session_state[_KEY] != spec:
        st.session_state[_KEY] = spec
        st.query_params["dataset"] = spec


def current_dataset() -> Dataset | None:
    """The dataset chosen in the sidebar, or None (with the reason shown) if it can't be read."""
    spec = st.session_state.get(_KEY, DEMO)
    try:
        return load_dataset(spec)
    except GenreLabError as exc:
        st.error(f"Could not open the dataset **{Path(spec).name or spec}**: {exc}")
        return None
