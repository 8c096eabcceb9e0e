"""How the runs table is shown (Compare, Train): the columns that fit at 1440 px, in order."""

from __future__ import annotations

import streamlit as st

from core.runs.table import COLUMNS

#: Shown columns, in order (core's leading columns, up to the id): what tells runs apart first;
#: the id last, scrolled to (the CSV download keeps every column, creation time and all settings).
RUN_COLUMNS = tuple(COLUMNS[: COLUMNS.index("id") + 1])
#: Widths in pixels: the columns before ``id`` fit the main area of a 1440 px window.
RUN_COLUMN_CONFIG = {
    "name": st.column_config.TextColumn("name", width=160, pinned=True),
    "dataset": st.column_config.TextColumn("dataset", width=70),
    "preset": st.column_config.TextColumn(
        "preset", width=220, help="Framework, closest preset and the settings that differ"
    ),
    "protocol": st.column_config.TextColumn("protocol", width=75),
    "accuracy": st.column_config.TextColumn(
        "accuracy", width=165, help="Test accuracy over the folds: mean ± standard deviation"
    ),
    "status": st.column_config.TextColumn("status", width=80),
    "progress": st.column_config.TextColumn("progress", width=100),
    "tags": st.column_config.TextColumn("tags", width=100),
    "id": st.column_config.TextColumn("id", width=150),
}
