"""How the runs table is shown (Compare, Train): the columns that fit at 1440 px, in order."""

from __future__ import annotations

import streamlit as st

#: Shown columns, in order: what tells runs apart first (the CSV download keeps every column).
RUN_COLUMNS = (
    "name",
    "dataset",
    "preset",
    "protocol",
    "accuracy",
    "status",
    "progress",
    "tags",
    "created",
    "id",
)
RUN_COLUMN_CONFIG = {
    "name": st.column_config.TextColumn("name", width="medium", pinned=True),
    "preset": st.column_config.TextColumn("preset", width="medium"),
    "accuracy": st.column_config.TextColumn("accuracy (mean ± std)", width="medium"),
    "progress": st.column_config.TextColumn("progress", width="medium"),
    "created": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
    "id": st.column_config.TextColumn("id", width="small"),
}
