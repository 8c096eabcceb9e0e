"""The Manage panel: rename, tag, annotate, resume or delete one run (its owner or an admin)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.errors import GenreLabError
from core.policy import allowed
from core.runs import Run, RunStatus, delete_run, note_run, rename_run, tag_run
from ui.access import current_actor, resume_training
from ui.text import provenance_markdown, run_option


def manage_panel(runs: dict[str, Run]) -> None:
    """An expander to pick one of ``runs`` and change its name, tags and notes, resume it (when
    it failed or was cancelled) or delete it."""
    with st.expander("Manage runs: rename, tag, annotate, resume, delete", icon=":material/edit:"):
        if not runs:
            st.caption("No runs to manage.")
            return
        ids, kept = list(runs), st.session_state.get("mg_kept")
        run_id = st.selectbox(
            "Run to manage",
            ids,
            index=ids.index(kept) if kept in ids else 0,  # a renamed run's option is redrawn
            format_func=lambda i: run_option(runs[i]),
            key="mg_run",
        )
        st.session_state["mg_kept"] = run_id
        run, actor = runs[run_id], current_actor()
        editable = allowed(actor, owner=run.user)
        if not editable:
            st.info(f"Only {run.user or 'its owner'} or an admin may change this run.")

        def field(name: str) -> str:
            return st.session_state.get(f"mg_{name}_{run_id}", "")

        left, right = st.columns(2)
        with left:
            st.text_input("Name", value=run.name, key=f"mg_name_{run_id}")
            _button(
                "Save name",
                f"mg_rename_{run_id}",
                editable,
                lambda: rename_run(run_id, field("name"), actor=actor),
                "Renamed.",
            )
            st.text_input(
                "Tags (comma-separated)",
                value=", ".join(run.tags),
                key=f"mg_tags_{run_id}",
                help="Short words to find and group runs by, e.g. baseline, paper, artist-folds",
            )
            _button(
                "Save tags",
                f"mg_tag_{run_id}",
                editable,
                lambda: tag_run(
                    run_id,
                    add=[t for t in field("tags").split(",") if t.strip()],
                    remove=run.tags,
                    actor=actor,
                ),
                "Tags saved.",
            )
        with right:
            st.text_area("Notes", value=run.notes, key=f"mg_notes_{run_id}", height=108)
            _button(
                "Save notes",
                f"mg_note_{run_id}",
                editable,
                lambda: note_run(run_id, field("notes"), actor=actor),
                "Notes saved.",
            )
        _resume(run, editable)
        try:
            st.markdown(provenance_markdown(run))
        except GenreLabError as exc:
            st.caption(str(exc))
        sure = st.checkbox(
            f"Yes, delete {run.label} and all its files (this cannot be undone)",
            key=f"mg_sure_{run_id}",
            disabled=not editable or run.status.active,
        )
        if run.status.active:
            st.caption("A queued or running run must be cancelled before it can be deleted.")
        _button(
            "Delete run",
            f"mg_delete_{run_id}",
            editable and sure,
            lambda: delete_run(run_id, actor=actor),
            f"Deleted {run.label}.",
            type="primary",
            icon=":material/delete:",
        )


def resume_panel(runs: list[Run]) -> None:
    """An expander to resume one of the failed or cancelled training runs among ``runs`` (none:
    nothing is drawn)."""
    stopped = {r.id: r for r in runs if _resumable(r)}
    if not stopped:
        return
    with st.expander(f"Resume a stopped run ({len(stopped)})", icon=":material/restart_alt:"):
        run_id = st.selectbox(
            "Stopped run",
            list(stopped),
            format_func=lambda i: f"{run_option(stopped[i])} · {stopped[i].status.value}",
            key="rs_run",
        )
        run = stopped[run_id]
        _resume(run, allowed(current_actor(), owner=run.user))


def _resumable(run: Run) -> bool:
    stopped = run.status in (RunStatus.FAILED, RunStatus.CANCELLED)
    return stopped and not run.damaged and run.run_config.train is not None


def _resume(run: Run, editable: bool) -> None:
    """For a failed or cancelled training run: what it completed, and a button to resume it."""
    if not _resumable(run):
        return
    done = run.completed_folds()
    k = run.run_config.n_folds
    st.info(
        f"This run {run.status.value} with {len(done)} of {k} folds complete. Resuming it keeps "
        "them and trains only the missing folds, with the same settings and the same folds.",
        icon=":material/restart_alt:",
    )
    _button(
        "Resume run",
        f"mg_resume_{run.id}",
        editable,
        lambda: resume_training(run.id),
        f"Resumed {run.label}: it is queued.",
        icon=":material/play_arrow:",
    )


def _button(
    label: str, key: str, enabled: bool, action: Callable[[], object], done: str, **kwargs
) -> None:
    """A button whose click runs ``action`` before the page is drawn again (so the page shows
    the change), remembering ``done`` or the error for :func:`show_done`."""

    def click() -> None:
        try:
            action()
        except GenreLabError as exc:
            st.session_state["mg_error"] = str(exc)
        else:
            st.session_state["mg_done"] = done

    st.button(label, key=key, disabled=not enabled, on_click=click, **kwargs)


def show_done() -> None:
    """The outcome of the last change made in the panel, once: a toast, or the error."""
    if done := st.session_state.pop("mg_done", None):
        st.toast(done, icon=":material/check:")
    if error := st.session_state.pop("mg_error", None):
        st.error(error)
