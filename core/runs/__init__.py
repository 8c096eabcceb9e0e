"""Runs: one trained configuration and everything it produced, under ``models/<run_id>/``.

The registry (:mod:`.registry`) is the face, with the folder's file names (:mod:`.files`) and the
typed config (:mod:`.config`); jobs and workers (:mod:`.jobs`, :mod:`.worker`), progress events
(:mod:`.events`), export/import (:mod:`.archive`) and the runs table (:mod:`.table`) are its
neighbours.
"""

from core.runs import files
from core.runs.config import DEFAULT_EXECUTOR, DatasetRef, RunConfig, RunInput
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
    "DEFAULT_EXECUTOR",
    "DatasetRef",
    "Run",
    "RunConfig",
    "RunError",
    "RunInput",
    "RunStatus",
    "create_run",
    "delete_run",
    "files",
    "library_versions",
    "list_runs",
    "load_run",
    "models_root",
    "new_run_id",
    "rename_run",
    "run_dir",
]
