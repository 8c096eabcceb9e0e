"""The Storage panel: disk used per category and user, and deleting what the user owns."""

from __future__ import annotations

import streamlit as st

from core import settings
from core.access import delete_stored
from core.errors import GenreLabError
from core.storage import quota
from ui.access import can_edit, current_actor


def storage_panel(user: str) -> None:
    """A collapsed expander: disk use per user and category, and a box to delete one's own."""
    with st.expander("Storage: what is kept on this server"):
        left = quota.room(user)
        if left is not None:
            st.caption(
                f"Your quota: {settings.current().quota_user_mb:,} MB; "
                f"{left / 2**20:,.0f} MB left (the server's total counts too)."
            )
        table = quota.usage()
        if table.empty:
            st.caption("Nothing stored yet.")
            return
        table = table.assign(
            user=table["user"].replace("", "(server)"),
            category=table["category"].map(quota.CATEGORIES),
            MB=(table["bytes"] / 2**20).round(1),
        )
        st.dataframe(table.drop(columns="bytes"), hide_index=True, width="stretch")
        mine = quota.items(user)
        if not mine or not can_edit():
            return
        labels = {
            f"{quota.CATEGORIES[i.category][:-1]}: {i.name} ({i.bytes / 2**20:,.1f} MB)": i
            for i in mine
        }
        choice = st.selectbox("Delete one of yours", list(labels), key="storage_delete")
        if st.button("Delete", key="storage_delete_button"):
            item = labels[choice]
            try:
                delete_stored(item.category, item.name, current_actor())
                st.success(f"Deleted {item.name}.")
            except GenreLabError as exc:
                st.error(str(exc))
