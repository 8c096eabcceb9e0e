"""Plotly figure builders: pure functions of data, shared by every page."""

from __future__ import annotations

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
