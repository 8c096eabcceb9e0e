"""Live view of queued and running training jobs, and the table of every run."""

from __future__ import annotations

import streamlit as st

from core import plots
from core.errors import GenreLabError
from core.policy import allowed
from core.runs import Run, RunStatus, jobs, list_runs
from core.runs.kinds import TRAIN
from core.runs.table import runs_frame
from ui.access import current_actor
from ui.jobs import job_bar
from ui.runs_table import RUN_COLUMN_CONFIG, RUN_COLUMNS
from ui.text import error_text, plain


def _show_active(run: Run) -> None:
    if run.config.get("kind", TRAIN) != TRAIN:
        st.markdown(
            f"**{plain(run.label)}** · `{run.id}` · {run.status}"
            + (f" · {plain(run.user)}" if run.user else "")
        )
        job_bar(run)
        return
    p = run.progress()
    cancelling = run.cancel_requested()
    head, button = st.columns([5, 1], vertical_alignment="center")
    head.markdown(
        f"**{plain(run.label)}** · `{run.id}` · {run.status}"
        + (f" · {plain(run.user)}" if run.user else "")
        + (" · cancelling…" if cancelling else "")
    )
    actor = current_actor()
    if allowed(actor, run.user) and button.button(
        "Cancel", key=f"cancel_{run.id}", disabled=cancelling
    ):
        try:
            jobs.cancel(run.id, actor=actor)
        except GenreLabError as exc:
            st.error(error_text(exc))
        st.rerun()
    if run.status == RunStatus.QUEUED:
        st.caption("Waiting for a free worker (jobs run one at a time by default).")
        return
    if p.computing_features:
        st.progress(p.features_done / p.features_total, text=p.text)
    elif p.k:
        st.progress(p.fraction, text=p.text)
    else:
        st.caption(p.text)
    if p.fold_acc:
        st.caption(
            "Test accuracy so far: "
            + ", ".join(f"fold {f + 1}: {acc:.3f}" for f, acc in sorted(p.fold_acc.items()))
        )
    if len(p.history):
        st.plotly_chart(
            plots.training_curves(p.history, title=f"{run.label}: live curves"),
            width="stretch",
            theme=None,
            key=f"curves_{run.id}",
        )


_ACTIVE_SEEN = "active_runs_seen"


@st.fragment(run_every=2)
def active_runs() -> None:
    """Queued and running jobs of everyone, refreshed every 2 s without rerunning the page
    (the whole page reruns once when one of them has ended)."""
    try:
        jobs.ensure_scheduler()
    except GenreLabError as exc:
        st.error(error_text(exc))
    active = [r for r in list_runs() if r.status.active]
    ids, before = {r.id for r in active}, st.session_state.get(_ACTIVE_SEEN, set())
    st.session_state[_ACTIVE_SEEN] = ids
    if before - ids:  # a job ended: the panels outside this fragment (share, manage) list it
        st.rerun(scope="app")
    st.subheader("Running and queued")
    if not active:
        st.caption("No job is running. Finished runs are listed below.")
        return
    for run in active:
        with st.container(border=True):
            _show_active(run)


@st.fragment(run_every=2)
def runs_table() -> None:
    """Every run, newest first."""
    st.subheader("All runs")
    table = runs_frame(list_runs())
    if table.empty:
        st.caption("No runs yet.")
        return
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_order=RUN_COLUMNS,
        column_config=RUN_COLUMN_CONFIG,
    )
