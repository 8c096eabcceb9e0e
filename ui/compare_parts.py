"""Sections of the Compare page: each draws one view of the chosen runs, with its downloads."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler

from core import plots
from core.dataset import Dataset
from core.evaluation.comparison import (
    RunResults,
    compare,
    fold_table,
    fold_table_with_sizes,
    scores_table,
    stats_table,
    with_clip_facts,
)
from core.evaluation.report import confusion_figures, figure_html
from core.runs import Run, load_run
from core.runs.provenance import accuracy_text, settings_summary
from ui.common import dataset_spec, play
from ui.text import plain, provenance_markdown, run_option

SCORE = st.column_config.NumberColumn(format="%.3f")


@st.cache_data(show_spinner="Reading the run…", max_entries=32)
def load_results(run_id: str, status: str, models_dir: str) -> RunResults:
    """A run's predictions and histories (cached per run, status and models folder)."""
    return RunResults.from_run(load_run(run_id, models_dir))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "figure"


def figure(fig: go.Figure, name: str) -> None:
    """A chart, and a button downloading it as a standalone HTML file (built on click)."""
    st.plotly_chart(fig, width="stretch", theme=None, key=f"fig_{name}")
    st.download_button(
        "Download figure (HTML)",
        data=lambda: figure_html(fig),
        file_name=f"{_slug(name)}.html",
        mime="text/html",
        on_click="ignore",
        key=f"dl_fig_{name}",
        icon=":material/download:",
    )


def table(
    frame: pd.DataFrame, name: str, index: bool = False, styled: Styler | None = None, **kwargs
) -> None:
    """A table (shown ``styled`` if given), and a button downloading it as CSV."""
    st.dataframe(
        frame if styled is None else styled, hide_index=not index, width="stretch", **kwargs
    )
    st.download_button(
        "Download table (CSV)",
        data=frame.to_csv(index=index).encode(),
        file_name=f"{_slug(name)}.csv",
        mime="text/csv",
        on_click="ignore",
        key=f"dl_tab_{name}",
        icon=":material/download:",
    )


def accuracy_section(results: list[RunResults]) -> None:
    """Accuracy of every chosen run fold by fold (with each fold's test clips), and its mean
    with a confidence interval clipped to [0, 1] that says when the folds are too few."""
    folds, stats = fold_table_with_sizes(results), stats_table(results)
    figure(plots.fold_accuracy(fold_table(results), stats), "fold_accuracy")
    table(
        folds,
        "accuracy_per_fold",
        index=True,
        column_config={
            c: SCORE if c in {r.label for r in results} else st.column_config.NumberColumn()
            for c in folds.columns
        },
    )
    table(
        stats,
        "accuracy_summary",
        column_config={c: SCORE for c in ("mean", "std", "ci_low", "ci_high")},
    )
    for note in dict.fromkeys(n for n in stats["note"] if n):
        st.warning(note, icon=":material/info:")
    st.caption(
        "CI: 95% confidence interval of the mean (t distribution over the folds), clipped to "
        "[0, 1]. Test clips: how many clips each fold's accuracy rests on."
    )


def provenance_captions(runs: list[Run], results: dict[str, RunResults]) -> None:
    """Each chosen run's complete settings and cross-validated accuracy, one caption each, and
    its full provenance in an expander."""
    for run in runs:
        if run.id in results:
            st.caption(
                f"**{plain(results[run.id].label)}** · {accuracy_text(run.summary)} · "
                f"{plain(settings_summary(run.run_config))}"
            )
    with st.expander("Provenance of the chosen runs: dataset, folds, settings, versions"):
        for run in runs:
            if run.id in results:
                st.markdown(f"**{plain(results[run.id].label)}**  \n" + provenance_markdown(run))


def statistics_section(a: RunResults, b: RunResults) -> None:
    """The paired tests of run B against run A, in plain words, or why they do not apply."""
    c = compare(a, b)
    if c.mismatches:
        st.warning(
            "These runs did not use the same folds, so they cannot be compared fold by fold. "
            "Train both with the same dataset, protocol, k, seed and repetition setting to "
            "pair them."
        )
    for line in c.text:
        st.markdown(f"- {plain(line)}")
    rows = []
    if c.t_test:
        rows.append(
            {"test": c.t_test.method, "statistic": c.t_test.statistic, "p": c.t_test.p_value}
        )
    if c.mcnemar:
        rows.append(
            {
                "test": c.mcnemar.test.method,
                "statistic": c.mcnemar.test.statistic,
                "p": c.mcnemar.test.p_value,
            }
        )
    if rows:
        table(
            pd.DataFrame(rows),
            f"tests_{b.id}_vs_{a.id}",
            column_config={"statistic": SCORE, "p": st.column_config.NumberColumn(format="%.4f")},
        )
    st.caption(
        "Paired t-test: over the folds' accuracies. McNemar: on the clips one run got "
        "right and the other wrong. Below p = 0.05 the difference is called unlikely to "
        "be chance; with few folds or clips a real difference can still look like chance."
    )


def confusion_section(a: RunResults, b: RunResults | None) -> None:
    """Confusion heatmaps of one fold or all folds, counts or row-normalised, side by side."""
    c1, c2 = st.columns(2)
    n_folds = int(a.predictions["fold"].max())
    if b is not None and int(b.predictions["fold"].max()) != n_folds:
        n_folds = 0  # folds cannot be matched across the runs: only the sums
    fold = c1.selectbox(
        "Folds",
        [None, *range(1, n_folds + 1)],
        format_func=lambda f: "summed over all folds" if f is None else f"fold {f}",
        key="cmp_fold",
    )
    normalised = (
        c2.radio("Show", ["counts", "row-normalised"], horizontal=True, key="cmp_norm")
        == "row-normalised"
    )
    figs = confusion_figures(a, b, fold, normalised)
    names = [a.id, *([b.id] if b is not None else []), "difference"]
    cells = [*st.columns(2), *st.columns(2)]  # A | B, then their difference
    for cell, fig, name in zip(cells, figs, names, strict=False):
        with cell:
            figure(fig, f"confusion_{name}_{fold or 'all'}")
    if b is not None and a.labels != b.labels:
        st.info("The runs were trained on different genres: no difference matrix.")
    st.caption(
        "Rows: true genre; columns: predicted genre. Side by side on one colour scale; "
        "the difference is B minus A (blue: B has more)."
    )


def scores_section(results: list[RunResults]) -> None:
    """Per-genre precision, recall and F1 of every chosen run (all folds pooled)."""
    scores = scores_table(results)
    metric = st.radio(
        "Metric",
        ["f1", "precision", "recall"],
        horizontal=True,
        key="cmp_metric",
        format_func=lambda m: "F1" if m == "f1" else m,
    )
    figure(plots.per_genre_scores(scores, metric), f"per_genre_{metric}")
    table(
        scores,
        "per_genre_scores",
        column_config={c: SCORE for c in ("precision", "recall", "f1")},
    )


def curves_section(results: list[RunResults]) -> None:
    """Training curves of every chosen run, overlaid."""
    histories = {r.label: r.history for r in results if not r.history.empty}
    if not histories:
        st.info("These runs saved no training history.")
        return
    figure(plots.training_curves_overlay(histories), "training_curves")


def _same_dataset(result: RunResults, dataset: Dataset | None) -> bool:
    """Whether the run was trained on the dataset open in the sidebar (same spec or same files)."""
    if dataset is None:
        return False
    recorded = result.config.dataset
    same_files = bool(recorded.fingerprint) and recorded.fingerprint == dataset.fingerprint
    return recorded.spec == dataset_spec() or same_files


def wrong_section(results: list[RunResults], dataset: Dataset | None) -> None:
    """The clips a run got wrong, with confidence, Sturm's flags and a player."""
    by_id = {r.id: r for r in results}
    run = by_id[
        st.selectbox(
            "Run", list(by_id), format_func=lambda i: run_option(by_id[i]), key="cmp_wrong_run"
        )
    ]
    wrong = run.wrong()
    if wrong.empty:
        st.success(f"{plain(run.label)} classified every test clip right.")
        return
    local = _same_dataset(run, dataset)
    wrong = with_clip_facts(
        wrong, dataset.manifest if local else pd.DataFrame(columns=["track_id"])
    )
    st.caption(
        f"{len(wrong)} of {len(run.predictions)} test clips wrong, most confident first. "
        + (
            ""
            if local
            else "This run was trained on another dataset than the one open in "
            "the sidebar: open it there to listen to the clips and see their flags."
        )
    )
    table(
        wrong.drop(columns="path"),
        f"wrong_clips_{run.id}",
        column_config={
            "confidence": st.column_config.ProgressColumn(format="%.2f", min_value=0, max_value=1),
            "p_true": st.column_config.NumberColumn("p(true)", format="%.2f"),
            "flags": st.column_config.TextColumn("Sturm flags"),
            "known_fault": st.column_config.CheckboxColumn("known mislabel / repetition"),
        },
    )
    playable = wrong[wrong["path"] != ""]
    if playable.empty:
        return
    row = playable.iloc[
        st.selectbox(
            "Listen to",
            range(len(playable)),
            key="cmp_listen",
            format_func=lambda i: (
                "{track_id}: {true} heard as {predicted} ({confidence:.0%})".format(
                    **playable.iloc[i]
                )
            ),
        )
    ]
    if row["known_fault"]:
        st.warning(
            f"{plain(row['track_id'])} is a known fault of the dataset: {plain(row['flags'])}."
        )
    play(row["path"])
