"""Share runs between machines: export completed runs as one .zip, import such an archive."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from core import settings
from core.errors import GenreLabError
from core.runs import Run, RunStatus
from core.runs.archive import export_runs, import_runs
from core.runs.kinds import training_runs
from ui.access import can_edit, current_actor
from ui.text import error_text, plain


def run_sharing_panel() -> None:
    """Export and import of runs (drawn below the runs table of the Train page)."""
    st.subheader("Share runs")
    st.caption(
        "Move finished runs to another Genre Lab: export them as one archive (settings, "
        "metrics, predictions and weights), import it there."
    )
    left, right = st.columns(2)
    with left:
        _export()
    with right:
        _import()


def _export() -> None:
    done = {r.id: f"{r.label} · {r.id}" for r in training_runs() if r.status is RunStatus.COMPLETED}
    if not done:
        st.caption("No completed run to export yet.")
        return
    chosen = st.multiselect("Runs to export", list(done), format_func=done.get, key="share_export")
    st.download_button(
        "Download archive",
        data=lambda: _archive_bytes(tuple(chosen)),
        file_name="genrelab-runs.zip",
        mime="application/zip",
        on_click="ignore",
        disabled=not chosen,
        icon=":material/download:",
    )


def _archive_bytes(run_ids: tuple[str, ...]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="genrelab-export-") as tmp:
        return export_runs(run_ids, Path(tmp) / "runs.zip").read_bytes()


def _import() -> None:
    if not can_edit():
        st.caption("Your account is read-only: it cannot import runs.")
        return
    upload = st.file_uploader(
        "Run archive to import",
        type=["zip"],
        key="share_upload",
        max_upload_size=settings.current().max_upload_bytes // 2**20,
    )
    if upload is None or not st.button("Import runs", key="share_import"):
        return
    try:
        runs = _import_bytes(upload.getvalue())
    except GenreLabError as exc:
        st.error(f"Nothing was imported: {error_text(exc)}")
        return
    st.success(
        f"Imported {len(runs)} run(s): " + ", ".join(f"{plain(r.label)} (`{r.id}`)" for r in runs)
    )


def _import_bytes(data: bytes) -> list[Run]:
    with tempfile.TemporaryDirectory(prefix="genrelab-import-") as tmp:
        archive = Path(tmp) / "runs.zip"
        archive.write_bytes(data)
        return import_runs(archive, actor=current_actor())
