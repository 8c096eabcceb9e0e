"""Runs: one trained configuration and everything it produced, under ``models/<run_id>/``.

The registry (:mod:`.registry`) is the face; jobs and workers (:mod:`.jobs`, :mod:`.worker`),
progress events (:mod:`.events`), export/import (:mod:`.archive`) and the runs table
(:mod:`.table`) are its neighbours.
"""

from core.runs.registry import (
    Run,
    RunError,
    RunStatus,
    create_run,
    delete_run,
    library_versions,
    list_runs,
    load_run,
    models_root,
    new_run_id,
    rename_run,
    run_dir,
)

__all__ = [
    "Run",
    "RunError",
    "RunStatus",
    "create_run",
    "delete_run",
    "library_versions",
    "list_runs",
    "load_run",
    "models_root",
    "new_run_id",
    "rename_run",
    "run_dir",
]
