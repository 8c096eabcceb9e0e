"""Plotly figure builders: pure functions of data, shared by every page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

TEMPLATE = "plotly_dark"
ACCENT = "#f59e0b"
#: matplotlib's magma (librosa's and Kaggle's colour map). Its first colour is nudged from
#: #000004: Streamlit's front end rewrites the colours #000001..#00000N as theme placeholders.
MAGMA = ["#010005", *px.colors.sequential.Magma[1:]]
ALERT = "#ef4444"


def _style(fig: go.Figure, height: int = 320) -> go.Figure:
    fig.update_layout(template=TEMPLATE, height=height, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def clips_per_genre(per_genre: pd.DataFrame) -> go.Figure:
    """Bar chart of clips per genre, unreadable clips stacked on top in red."""
    unreadable = per_genre["clips"] - per_genre["readable"]
    fig = go.Figure(
        go.Bar(x=per_genre["genre"], y=per_genre["readable"], name="readable", marker_color=ACCENT)
    )
    if unreadable.any():
        fig.add_bar(x=per_genre["genre"], y=unreadable, name="unreadable", marker_color=ALERT)
    fig.update_layout(
        barmode="stack",
        title="Clips per genre",
        yaxis_title="clips",
        showlegend=bool(unreadable.any()),
    )
    return _style(fig)


def duration_histogram(manifest: pd.DataFrame) -> go.Figure:
    """Histogram of the durations of the readable audio clips."""
    audio = manifest[manifest["readable"] & (manifest["kind"] == "audio")]
    fig = px.histogram(
        audio,
        x="duration",
        nbins=40,
        color_discrete_sequence=[ACCENT],
        labels={"duration": "duration (s)"},
        title="Clip durations",
    )
    fig.update_layout(yaxis_title="clips", bargap=0.05)
    return _style(fig)


def artist_concentration(table: pd.DataFrame) -> go.Figure:
    """Per genre, the share of clips by the top artist and by the next top artists (stacked)."""
    top = table["top_artist_clips"] / table["clips"]
    fig = go.Figure(
        [
            go.Bar(
                x=table["genre"],
                y=top,
                name="top artist",
                marker_color=ACCENT,
                text=table["top_artist"],
                textposition="inside",
                hovertemplate="%{x}: %{text} fills %{y:.0%}<extra></extra>",
            ),
            go.Bar(
                x=table["genre"],
                y=table["top_share"] - top,
                name="next top artists",
                marker_color="#6b7280",
                hovertemplate="%{x}: +%{y:.0%}<extra></extra>",
            ),
        ]
    )
    fig.update_layout(
        barmode="stack",
        title="Share of each genre filled by its top artists",
        yaxis_tickformat=".0%",
        yaxis_title="share of the genre's clips",
    )
    return _style(fig, height=380)


def waveform(y: np.ndarray, sr: int, points: int = 4000) -> go.Figure:
    """Waveform as a min/max envelope of at most ``points`` buckets (fast for long clips)."""
    buckets = max(1, len(y) // points)
    n = len(y) // buckets * buckets
    if n == 0:
        return _style(go.Figure(), height=180)
    frames = y[:n].reshape(-1, buckets)
    t = np.arange(frames.shape[0]) * buckets / sr
    fig = go.Figure(
        [
            go.Scatter(
                x=t,
                y=frames.max(axis=1),
                line=dict(width=0.8, color=ACCENT),
                hoverinfo="skip",
                showlegend=False,
            ),
            go.Scatter(
                x=t,
                y=frames.min(axis=1),
                line=dict(width=0.8, color=ACCENT),
                fill="tonexty",
                hoverinfo="skip",
                showlegend=False,
            ),
        ]
    )
    fig.update_layout(
        title="Waveform", xaxis_title="time (s)", yaxis_title="amplitude", yaxis_range=[-1.05, 1.05]
    )
    return _style(fig, height=200)


def genre_probabilities(probabilities: pd.Series) -> go.Figure:
    """Horizontal bars of genre probabilities, the most likely on top."""
    ordered = probabilities.sort_values()
    colours = [ACCENT if g == probabilities.idxmax() else "#6b7280" for g in ordered.index]
    fig = go.Figure(
        go.Bar(
            x=ordered.values,
            y=ordered.index,
            orientation="h",
            marker_color=colours,
            text=[f"{v:.0%}" for v in ordered.values],
            textposition="outside",
            hovertemplate="%{y}: %{x:.1%}<extra></extra>",
        )
    )
    fig.update_layout(title="Genre probabilities", xaxis=dict(range=[0, 1.1], tickformat=".0%"))
    return _style(fig, height=360)


def prediction_timeline(timeline: pd.DataFrame) -> go.Figure:
    """Per-segment genre probabilities over time (start, end, then one column per genre)."""
    genres = [c for c in timeline.columns if c not in ("start", "end")]
    centres = (timeline["start"] + timeline["end"]) / 2
    fig = go.Figure(
        go.Heatmap(
            z=timeline[genres].to_numpy().T,
            x=centres,
            y=genres,
            colorscale=MAGMA,
            zmin=0,
            zmax=1,
            colorbar=dict(title="p", tickformat=".0%"),
            hovertemplate="t %{x:.1f} s<br>%{y}: %{z:.1%}<extra></extra>",
        )
    )
    fig.update_layout(title="Prediction per segment", xaxis_title="time (s)")
    return _style(fig, height=340)


def mel_heatmap(
    spec_db: np.ndarray,
    times: np.ndarray,
    mel_hz: np.ndarray,
    title: str = "Mel spectrogram",
    zmin: float | None = None,
    zmax: float | None = None,
    colorscale: str | list[str] = MAGMA,
    colorbar_title: str = "dB",
) -> go.Figure:
    """Mel spectrogram heatmap with time in seconds and mel bands labelled in Hz.

    Bands are drawn evenly (a mel scale); tick labels and hover give each band's centre in Hz.
    """
    bands = np.arange(len(mel_hz))
    ticks_hz = [f for f in (0, 250, 500, 1000, 2000, 4000, 8000, 16000) if f <= mel_hz[-1]]
    tickvals = [int(np.argmin(np.abs(mel_hz - f))) for f in ticks_hz]
    hz_grid = np.repeat(mel_hz[:, None], spec_db.shape[1], axis=1)
    fig = go.Figure(
        go.Heatmap(
            z=spec_db,
            x=times,
            y=bands,
            customdata=hz_grid,
            colorscale=colorscale,
            zmin=zmin,
            zmax=zmax,
            colorbar=dict(title=colorbar_title),
            hovertemplate="t %{x:.2f} s<br>%{customdata:.0f} Hz<br>%{z:.1f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title="time (s)",
        yaxis_title="frequency (Hz, mel scale)",
        yaxis=dict(tickvals=tickvals, ticktext=[f"{f:g}" for f in ticks_hz]),
    )
    return _style(fig, height=340)


def training_curves(history: pd.DataFrame, title: str = "Training curves") -> go.Figure:
    """Loss and accuracy per epoch, one colour per fold; solid = train, dotted = validation."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1)  # axis titles: none overlap
    palette = px.colors.qualitative.Plotly
    for i, (fold, part) in enumerate(history.groupby("fold")):
        colour = palette[i % len(palette)]
        for col, metric in ((1, "loss"), (2, "acc")):
            for split, dash in (("train", "solid"), ("val", "dot")):
                values = part[f"{split}_{metric}"]
                if values.isna().all():
                    continue
                fig.add_scatter(
                    x=part["epoch"],
                    y=values,
                    row=1,
                    col=col,
                    mode="lines+markers",
                    line=dict(color=colour, dash=dash),
                    marker=dict(size=4),
                    name=f"fold {fold} {split}",
                    legendgroup=f"fold {fold}",
                    showlegend=col == 1,
                )
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="loss", row=1, col=1)
    fig.update_yaxes(title_text="accuracy", row=1, col=2)
    fig.update_layout(title=title)
    return _style(fig, height=360)


# ---- comparing runs (the Compare page) ------------------------------------------------------


def run_colour(i: int) -> str:
    """The colour of the ``i``-th run compared, the same in every comparison figure."""
    palette = px.colors.qualitative.Plotly
    return palette[i % len(palette)]


def fold_accuracy(folds: pd.DataFrame, stats: pd.DataFrame) -> go.Figure:
    """Test accuracy fold by fold, one line per run (columns of ``folds``, rows ``fold 1``...),
    and each run's mean with its confidence interval (``stats``: run, mean, ci_low, ci_high)
    to the right, the runs' means side by side."""
    fig = go.Figure()
    n, k = len(folds.columns), len(folds)
    for i, run in enumerate(folds.columns):
        colour = run_colour(i)
        fig.add_scatter(
            x=np.arange(1, k + 1),
            y=folds[run],
            customdata=list(folds.index),
            mode="lines+markers",
            name=str(run),
            legendgroup=str(run),
            line=dict(color=colour),
            hovertemplate="%{customdata}: %{y:.3f}<extra>" + str(run) + "</extra>",
        )
        s = stats.iloc[i]
        has_ci = bool(np.isfinite(s["ci_low"]))
        fig.add_scatter(
            x=[k + 1 + 0.5 * (i - (n - 1) / 2) / max(n - 1, 1)],
            y=[s["mean"]],
            mode="markers",
            marker=dict(color=colour, size=11, symbol="diamond"),
            error_y=dict(
                type="data",
                symmetric=False,
                array=[s["ci_high"] - s["mean"] if has_ci else 0],
                arrayminus=[s["mean"] - s["ci_low"] if has_ci else 0],
                color=colour,
            ),
            name=f"{run} mean",
            legendgroup=str(run),
            showlegend=False,
            hovertemplate="mean %{y:.3f}"
            + (f", CI {s['ci_low']:.3f} to {s['ci_high']:.3f}" if has_ci else "")
            + f"<extra>{run}</extra>",
        )
    fig.update_layout(
        title="Test accuracy per fold, and mean with 95% confidence interval",
        yaxis_title="accuracy",
        yaxis_tickformat=".0%",
        yaxis_autorangeoptions=dict(minallowed=0, maxallowed=1.05),  # never below 0 %
        xaxis=dict(
            tickvals=[*range(1, k + 2)],
            ticktext=[*map(str, folds.index), "mean ± CI"],
            range=[0.6, k + 1.6],
        ),
        legend=dict(orientation="h", y=-0.15),
    )
    return _style(fig, height=380)


def confusion_heatmap(
    matrix: np.ndarray,
    labels: list[str],
    title: str,
    zmax: float | None = None,
    normalised: bool = False,
    difference: bool = False,
) -> go.Figure:
    """Confusion matrix with genre names on both axes (rows: true, top to bottom; columns:
    predicted). ``zmax`` fixes the colour scale (to share it between runs); ``difference``
    draws signed values on a diverging scale centred on zero."""
    matrix = np.asarray(matrix, dtype=float)
    fmt = ".0%" if normalised else ".0f"
    text = [[f"{v:{fmt}}" if v else "" for v in row] for row in matrix]
    if difference and not normalised:
        text = [[f"{v:+.0f}" if v else "" for v in row] for row in matrix]
    elif difference:
        text = [[f"{v:+.0%}" if abs(v) >= 0.005 else "" for v in row] for row in matrix]
    limit = zmax if zmax is not None else float(np.abs(matrix).max() or 1)
    fig = go.Figure(
        go.Heatmap(
            z=matrix,
            x=labels,
            y=labels,
            text=text,
            texttemplate="%{text}",
            colorscale="RdBu" if difference else "Viridis",
            zmid=0 if difference else None,
            zmin=-limit if difference else 0,
            zmax=limit,
            colorbar=dict(tickformat=".0%" if normalised else None),
            hovertemplate=f"true %{{y}}<br>predicted %{{x}}<br>%{{z:{fmt}}}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title="predicted genre",
        yaxis_title="true genre",
        yaxis_autorange="reversed",
        xaxis=dict(tickangle=-45),
    )
    return _style(fig, height=480)


def per_genre_scores(scores: pd.DataFrame, metric: str = "f1") -> go.Figure:
    """One metric (``precision``, ``recall`` or ``f1``) per genre, grouped bars, one colour per
    run (``scores``: run, genre and the metric columns)."""
    fig = go.Figure()
    for i, (run, part) in enumerate(scores.groupby("run", sort=False)):
        fig.add_bar(
            x=part["genre"],
            y=part[metric],
            name=str(run),
            marker_color=run_colour(i),
            hovertemplate="%{x}: %{y:.3f}<extra>" + str(run) + "</extra>",
        )
    fig.update_layout(
        barmode="group",
        title=f"{'F1' if metric == 'f1' else metric.capitalize()} per genre",
        yaxis_title=metric,
        yaxis_range=[0, 1.02],
        legend=dict(orientation="h", y=-0.2),
    )
    return _style(fig, height=380)


def training_curves_overlay(histories: dict[str, pd.DataFrame]) -> go.Figure:
    """Loss and accuracy per epoch of several runs: one colour per run, its mean over folds
    (solid = train, dotted = validation) over faint per-fold lines."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
    for i, (run, history) in enumerate(histories.items()):
        colour = run_colour(i)
        mean = history.groupby("epoch").mean(numeric_only=True).reset_index()
        for col, metric in ((1, "loss"), (2, "acc")):
            for split, dash in (("train", "solid"), ("val", "dot")):
                name = f"{split}_{metric}"
                if name not in history or history[name].isna().all():
                    continue
                for _, fold in history.groupby("fold"):
                    fig.add_scatter(
                        x=fold["epoch"],
                        y=fold[name],
                        row=1,
                        col=col,
                        mode="lines",
                        line=dict(color=colour, dash=dash, width=1),
                        opacity=0.25,
                        hoverinfo="skip",
                        showlegend=False,
                        legendgroup=f"{run} {split}",
                    )
                fig.add_scatter(
                    x=mean["epoch"],
                    y=mean[name],
                    row=1,
                    col=col,
                    mode="lines+markers",
                    line=dict(color=colour, dash=dash, width=2.5),
                    marker=dict(size=5),
                    name=f"{run} {split}",
                    legendgroup=f"{run} {split}",
                    showlegend=col == 1,
                    hovertemplate=f"epoch %{{x}}: %{{y:.3f}}<extra>{run} {split} (mean)</extra>",
                )
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(
        title="Training curves (mean over folds; faint: each fold)",
        legend=dict(orientation="h", y=-0.25),
    )
    return _style(fig, height=440).update_layout(margin_t=90)


def sweep_parallel(trials: pd.DataFrame, settings: list[str]) -> go.Figure:
    """Parallel coordinates of a sweep's finished trials: each varied setting, then the mean
    accuracy (also the colour)."""
    done = trials.dropna(subset=["mean_acc"])
    dimensions = [dict(label=name, values=done[name].astype(float)) for name in settings]
    dimensions.append(dict(label="mean acc", values=done["mean_acc"], range=[0, 1]))
    line = dict(color=done["mean_acc"], colorscale=MAGMA, cmin=0, cmax=1, showscale=True)
    fig = go.Figure(go.Parcoords(line=line, dimensions=dimensions))
    return _style(fig, height=360)
