"""Feature-store panel of the Spectrogram Lab: build the current setting's store, list, delete."""

from __future__ import annotations

import streamlit as st

from core.audio.mel import MelParams
from core.dataset import Dataset
from core.errors import GenreLabError
from core.features import delete_store, list_stores, open_store, store_key
from core.runs import Run, RunStatus
from core.runs.kinds import FEATURES, newest_job
from core.runs.kinds.features import features_config
from ui.access import can_edit, current_actor
from ui.common import dataset_spec
from ui.jobs import follow_job, job_outcome, remembered_job, start_job
from ui.text import error_text, plain

_JOB = "store_job"


def feature_store_panel(dataset: Dataset, params: MelParams) -> None:
    """Build the store of ``dataset`` x ``params`` as a job (progress bar, cancel); list and
    delete stores."""
    st.subheader("Feature stores")
    st.caption(
        "The features of a whole dataset for one setting, computed once (in parallel) and "
        "memory-mapped from disk afterwards; training uses them. A changed file or parameter "
        "gives a new store."
    )
    stores = list_stores()
    try:
        key = store_key(dataset.manifest, params)
    except GenreLabError as exc:
        key = None
        st.info(error_text(exc))
    if key and params.feature_shape is None:
        st.info("Set a duration (seconds per clip) to build a store: every clip needs one shape.")
    elif key in set(stores["key"]):
        st.success(f"The store for **{plain(dataset.name)}** with setting A exists (`{key}`).")
        _warn_padding(key)
    elif key and st.button(
        f"Compute features of all {len(dataset.usable)} clips (setting A)",
        type="primary",
        disabled=not can_edit(),
    ):
        config = features_config(dataset_spec(), params)
        start_job(config, f"feature store: {dataset.name}", _JOB)
    run = remembered_job(_JOB) or _running_build(dataset_spec())
    if run is not None and run.status.active:
        follow_job(run.id)
    elif run is not None and run.status is RunStatus.COMPLETED and run.summary:
        built = run.summary
        st.success(
            f"Built `{built['key']}`: {built['clips']} clips, shape {tuple(built['shape'])}; "
            f"{built['skipped']} skipped."
        )
        if built.get("warning"):
            st.warning(built["warning"], icon=":material/warning:")
    elif run is not None:
        job_outcome(run, "The feature build")
    if stores.empty:
        st.caption("No store yet.")
        return
    table = stores.assign(size_MB=(stores["size_bytes"] / 2**20).round(1)).drop(
        columns="size_bytes"
    )
    st.dataframe(table, hide_index=True, width="stretch")
    doomed = st.selectbox("Delete a store", ["—", *stores["key"]], key="store_delete")
    if doomed != "—" and st.button("Delete", key="store_delete_btn", disabled=not can_edit()):
        try:
            delete_store(doomed, actor=current_actor())
        except GenreLabError as exc:
            st.error(error_text(exc))
            return
        st.rerun()


def _warn_padding(key: str) -> None:
    try:
        warning = open_store(key).padding_warning()
    except GenreLabError as exc:
        warning = str(exc)
    if warning:
        st.warning(warning, icon=":material/warning:")


def _running_build(spec: str) -> Run | None:
    """A build of this dataset's stores that another session (or an earlier page) started."""
    run = newest_job(FEATURES, dataset=spec)
    return run if run is not None and run.status.active else None
