"""A comparison of runs as pieces the Compare page draws, and as one self-contained HTML file.

The report holds the runs' settings (differences highlighted), their accuracy per fold with mean
and confidence interval, the statistical comparison of two of them in words, confusion matrices,
per-genre scores and training curves. Plotly's JavaScript is embedded once, so the file opens
offline in any browser.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pandas as pd
import plotly.graph_objects as go
from pandas.io.formats.style import Styler

from core import plots
from core.evaluation.comparison import (
    RunResults,
    compare,
    fold_table,
    scores_table,
    settings_table,
    stats_table,
)
from core.evaluation.metrics import row_normalise

HIGHLIGHT = "background-color: rgba(245, 158, 11, 0.30)"
_CSS = """
body { font-family: system-ui, sans-serif; background: #0f1117; color: #e6e6e6; margin: 2em; }
h1, h2 { color: #f59e0b; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #333; padding: 0.3em 0.6em; text-align: left; }
.verdict { background: #1b1f2a; padding: 0.8em 1em; border-left: 4px solid #f59e0b; }
.warning { border-left-color: #ef4444; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 1em; }
.grid > div { min-width: 0; }
"""


def runs_settings(results: list[RunResults]) -> pd.DataFrame:
    """The settings of the runs side by side (columns: run labels) with a ``differs`` column."""
    return settings_table({r.label: r.config.to_dict() for r in results})


def highlight_differences(table: pd.DataFrame) -> Styler:
    """A settings table styled with the rows that differ highlighted (``differs`` hidden)."""
    shown = table.drop(columns="differs")
    differs = table["differs"]
    return shown.style.apply(
        lambda row: [HIGHLIGHT if differs[row.name] else ""] * len(row), axis=1
    )


def _escaped(styler: Styler) -> Styler:
    """``styler`` with its cells and both headers (run names, setting names) HTML-escaped."""
    return (
        styler.format(escape="html")
        .format_index(escape="html", axis=0)
        .format_index(escape="html", axis=1)
    )


def confusion_figures(
    a: RunResults, b: RunResults | None = None, fold: int | None = None, normalised: bool = False
) -> list[go.Figure]:
    """Confusion heatmaps of run ``a`` and optionally ``b`` on one colour scale, then ``b - a``
    when both use the same labels. ``fold``: a fold number (from 1), None = summed over folds."""
    runs = [r for r in (a, b) if r is not None]
    where = f"fold {fold}" if fold else "all folds"
    mats = [r.confusion(fold) for r in runs]
    if normalised:
        mats = [row_normalise(m) for m in mats]
    zmax = 1.0 if normalised else float(max(m.max() for m in mats) or 1)
    figs = [
        plots.confusion_heatmap(m, r.labels, f"{r.label} ({where})", zmax, normalised)
        for r, m in zip(runs, mats, strict=True)
    ]
    if b is not None and a.labels == b.labels:
        diff = mats[1] - mats[0]
        figs.append(
            plots.confusion_heatmap(
                diff, a.labels, f"{b.label} minus {a.label}", None, normalised, difference=True
            )
        )
    return figs


def figure_html(fig: go.Figure, standalone: bool = True) -> str:
    """A figure as HTML: a whole page with Plotly embedded (offline), or a fragment without."""
    if standalone:
        return fig.to_html(include_plotlyjs=True, full_html=True)
    return fig.to_html(include_plotlyjs=False, full_html=False)


def build_report(
    results: list[RunResults], pair: tuple[int, int] = (0, 1), normalised: bool = True
) -> str:
    """The comparison of ``results`` as one HTML page; ``pair`` picks the two runs (indices)
    whose statistics and confusion difference are shown (ignored with fewer than two runs)."""
    if not results:
        raise ValueError("a report needs at least one run")
    two = len(results) > 1
    a = results[pair[0]]
    b = results[pair[1]] if two else None
    figures = [
        plots.fold_accuracy(fold_table(results), stats_table(results)),
        *confusion_figures(a, b, None, normalised),
        plots.per_genre_scores(scores_table(results), "f1"),
        plots.training_curves_overlay({r.label: r.history for r in results}),
    ]
    runs = pd.DataFrame(
        [{"run": r.label, "id": r.id, "started by": r.user, "created": r.created} for r in results]
    )
    body = [
        "<h1>Genre Lab: comparison of runs</h1>",
        f"<p>Written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.</p>",
        runs.to_html(index=False),
        "<h2>Settings</h2><p>Highlighted: the settings that differ.</p>",
        _escaped(highlight_differences(runs_settings(results).rename_axis(None))).to_html(),
        "<h2>Accuracy per fold</h2>",
        fold_table(results).to_html(float_format="{:.3f}".format, na_rep="—"),
        stats_table(results).to_html(index=False, float_format="{:.3f}".format, na_rep="—"),
        figures[0].to_html(include_plotlyjs=True, full_html=False),
    ]
    if b is not None:
        c = compare(a, b)
        body.append(f"<h2>{html.escape(b.label)} against {html.escape(a.label)}</h2>")
        warn = " warning" if c.mismatches else ""
        body += [f'<p class="verdict{warn}">{html.escape(line)}</p>' for line in c.text]
    kind = "row-normalised" if normalised else "counts"
    confusions = figures[1:-2]
    body.append(f"<h2>Confusion matrices (summed over folds, {kind})</h2><div class='grid'>")
    body += [f"<div>{figure_html(f, standalone=False)}</div>" for f in confusions]
    body += [
        "</div><h2>Per-genre scores</h2>",
        figure_html(figures[-2], standalone=False),
        scores_table(results).to_html(index=False, float_format="{:.3f}".format),
        "<h2>Training curves</h2>",
        figure_html(figures[-1], standalone=False),
    ]
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Genre Lab comparison</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>"
    )
