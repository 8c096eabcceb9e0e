"""Feature-store panel of the Spectrogram Lab: build the current setting's store, list, delete."""

from __future__ import annotations

import streamlit as st

from core.audio.mel import MelParams
from core.dataset import Dataset
from core.errors import GenreLabError
from core.features import compute_features, delete_store, list_stores, store_key
from ui.access import can_edit, current_user


def feature_store_panel(dataset: Dataset, params: MelParams) -> None:
    """Build the store of ``dataset`` x ``params`` with a progress bar; list and delete stores."""
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
        st.info(str(exc))
    if key and params.feature_shape is None:
        st.info("Set a duration (seconds per clip) to build a store: every clip needs one shape.")
    elif key in set(stores["key"]):
        st.success(f"The store for **{dataset.name}** with setting A exists (`{key}`).")
    elif key and st.button(
        f"Compute features of all {len(dataset.usable)} clips (setting A)", type="primary"
    ):
        bar = st.progress(0.0, text="Starting…")
        try:
            store = compute_features(
                dataset.manifest,
                params,
                progress=lambda done, total: bar.progress(
                    done / total, text=f"{done} / {total} clips"
                ),
                user=current_user(),
            )
            bar.empty()
            st.success(
                f"Built `{store.key}`: {store.n_clips} clips, shape {store.X.shape}; "
                f"{len(store.skipped)} skipped."
            )
            stores = list_stores()
        except GenreLabError as exc:
            bar.empty()
            st.error(str(exc))
    if stores.empty:
        st.caption("No store yet.")
        return
    table = stores.assign(size_MB=(stores["size_bytes"] / 2**20).round(1)).drop(
        columns="size_bytes"
    )
    st.dataframe(table, hide_index=True, width="stretch")
    doomed = st.selectbox("Delete a store", ["—", *stores["key"]], key="store_delete")
    if doomed != "—" and st.button("Delete", key="store_delete_btn", disabled=not can_edit()):
        delete_store(doomed)
        st.rerun()
