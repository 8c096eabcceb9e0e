"""The Manage panel: rename, tag, annotate or delete one run (its owner or an admin)."""

from __future__ import annotations

import streamlit as st

from core.errors import GenreLabError
from core.policy import allowed
from core.runs import Run, delete_run, note_run, rename_run, tag_run
from core.runs.provenance import provenance_text
from ui.access import current_actor


def manage_panel(runs: dict[str, Run]) -> None:
    """An expander to pick one of ``runs`` and change its name, tags and notes, or delete it."""
    with st.expander("Manage runs: rename, tag, annotate, delete", icon=":material/edit:"):
        if not runs:
            st.caption("No runs to manage.")
            return
        run_id = st.selectbox(
            "Run to manage",
            list(runs),
            format_func=lambda i: f"{runs[i].label} · {i}" if runs[i].name else i,
            key="mg_run",
        )
        run, actor = runs[run_id], current_actor()
        editable = allowed(actor, owner=run.user)
        if not editable:
            st.info(f"Only {run.user or 'its owner'} or an admin may change this run.")
        left, right = st.columns(2)
        with left:
            name = st.text_input("Name", value=run.name, key=f"mg_name_{run_id}")
            if st.button("Save name", disabled=not editable, key=f"mg_rename_{run_id}"):
                _act(lambda: rename_run(run_id, name, actor=actor), f"Renamed to {name or run_id}.")
            tags = st.text_input(
                "Tags (comma-separated)",
                value=", ".join(run.tags),
                key=f"mg_tags_{run_id}",
                help="Short words to find and group runs by, e.g. baseline, paper, artist-folds",
            )
            if st.button("Save tags", disabled=not editable, key=f"mg_tag_{run_id}"):
                wanted = [t for t in tags.split(",") if t.strip()]
                _act(
                    lambda: tag_run(run_id, add=wanted, remove=run.tags, actor=actor),
                    "Tags saved.",
                )
        with right:
            notes = st.text_area("Notes", value=run.notes, key=f"mg_notes_{run_id}", height=108)
            if st.button("Save notes", disabled=not editable, key=f"mg_note_{run_id}"):
                _act(lambda: note_run(run_id, notes, actor=actor), "Notes saved.")
        try:
            st.markdown(provenance_text(run))
        except GenreLabError as exc:
            st.caption(str(exc))
        sure = st.checkbox(
            f"Yes, delete {run.label} and all its files (this cannot be undone)",
            key=f"mg_sure_{run_id}",
            disabled=not editable or run.status.active,
        )
        if run.status.active:
            st.caption("A queued or running run must be cancelled before it can be deleted.")
        if st.button(
            "Delete run",
            type="primary",
            icon=":material/delete:",
            disabled=not (editable and sure),
            key=f"mg_delete_{run_id}",
        ):
            _act(lambda: delete_run(run_id, actor=actor), f"Deleted {run.label}.")


def _act(action, done: str) -> None:
    """Run ``action``; on success remember ``done`` for a toast and rerun the page."""
    try:
        action()
    except GenreLabError as exc:
        st.error(str(exc))
        return
    st.session_state["mg_done"] = done
    st.rerun()


def show_done() -> None:
    """The toast of the last change made in the panel, once."""
    if done := st.session_state.pop("mg_done", None):
        st.toast(done, icon=":material/check:")
