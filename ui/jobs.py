"""Long work on a page as a job: start it, follow its progress bar, cancel it.

The page keeps the job's id in session state and can also find it in the registry (e.g. the
newest scan of a dataset), so the job survives reruns and page switches and every session sees
it. While it runs, a fragment refreshes the bar every second and reruns the page once it ends.
"""

from __future__ import annotations

import streamlit as st

from core.errors import GenreLabError
from core.policy import allowed
from core.public_paths import hide_paths
from core.runs import Run, RunError, RunStatus, jobs, load_run
from core.runs.kinds import job_progress
from ui.access import current_actor, submit_training
from ui.text import error_text, plain


def start_job(config: dict, name: str, key: str) -> Run | None:
    """Queue a job for this session's user and remember its id under ``key``; None (with the
    reason shown) if it was refused."""
    try:
        run = submit_training(config, name)
    except GenreLabError as exc:
        st.error(error_text(exc))
        return None
    st.session_state[key] = run.id
    return run


def remembered_job(key: str) -> Run | None:
    """The job whose id this session stored under ``key``, if it still exists."""
    run_id = st.session_state.get(key)
    if not run_id:
        return None
    try:
        return load_run(run_id)
    except RunError:
        st.session_state.pop(key, None)
        return None


@st.fragment(run_every=1.0)
def follow_job(run_id: str) -> None:
    """Progress bar and Cancel button of an active job; reruns the page when it has ended.

    Makes sure a scheduler is running (one killed with its queue still full is replaced).
    """
    try:
        jobs.ensure_scheduler()
        run = load_run(run_id)
    except RunError as exc:
        st.error(error_text(exc))
        return
    if not run.status.active:
        st.rerun(scope="app")
    job_bar(run)


def job_bar(run: Run) -> None:
    """The progress bar and Cancel button of an active job (as it was last read)."""
    progress = job_progress(run)
    waiting = "Waiting for a free worker…" if run.status is RunStatus.QUEUED else "Starting…"
    bar, button = st.columns([5, 1], vertical_alignment="center")
    bar.progress(progress.fraction, text=progress.stage or waiting)
    cancelling = run.cancel_requested()
    actor = current_actor()
    if button.button(
        "Cancelling…" if cancelling else "Cancel",
        key=f"cancel_job_{run.id}",
        disabled=cancelling or not allowed(actor, run.user),
    ):
        try:
            jobs.cancel(run.id, actor=actor)
        except GenreLabError as exc:
            st.error(error_text(exc))
        st.rerun(scope="app")


def job_outcome(run: Run, what: str) -> None:
    """Say how a finished job ended, when not completed (``what``: e.g. "The scan")."""
    if run.status is RunStatus.CANCELLED:
        st.warning(f"{what} was cancelled. Start it again to finish it.")
    elif run.status is RunStatus.FAILED:
        st.error(f"{what} failed: {plain(hide_paths(run.error or ''))}")
