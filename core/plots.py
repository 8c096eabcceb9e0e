"""Plotly figure builders: pure functions of data, shared by every page."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

TEMPLATE = "plotly_dark"


def _style(fig: go.Figure, height: int = 320) -> go.Figure:
    fig.update_layout(template=TEMPLATE, height=height, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def clips_per_genre(per_genre: pd.DataFrame) -> go.Figure:
    """Bar chart of clips per genre, unreadable clips stacked on top in red."""
    frame = per_genre.assign(unreadable=per_genre["clips"] - per_genre["readable"])
    fig = go.Figure(
        [
            go.Bar(x=frame["genre"], y=frame["readable"], name="readable", marker_color="#f59e0b"),
            go.Bar(x=frame["genre"], y=frame["unreadable"], name="unreadable",
                   marker_color="#ef4444"),
        ]
    )
    fig.update_layout(barmode="stack", title="Clips per genre", yaxis_title="clips")
    return _style(fig)


def duration_histogram(manifest: pd.DataFrame) -> go.Figure:
    """Histogram of clip durations (readable audio clips), coloured by genre."""
    audio = manifest[manifest["readable"] & (manifest["kind"] == "audio")]
    fig = px.histogram(audio, x="duration", color="genre", nbins=40,
                       labels={"duration": "duration (s)"}, title="Clip durations")
    return _style(fig)
