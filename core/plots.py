"""Plotly figure builders: pure functions of data, shared by every page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

TEMPLATE = "plotly_dark"
ACCENT = "#f59e0b"
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


def mel_heatmap(
    spec_db: np.ndarray,
    times: np.ndarray,
    mel_hz: np.ndarray,
    title: str = "Mel spectrogram",
    zmin: float | None = None,
    zmax: float | None = None,
    colorscale: str = "Magma",
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

    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
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
    fig.update_layout(title=title)
    return _style(fig, height=360)
