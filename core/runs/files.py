"""The names of a run folder's files: the one home of the layout under ``models/<run_id>/``.

Layout::

    config.json        the RunConfig: everything needed to reproduce the run (immutable)
    meta.json          name, user, tags and notes (renaming, tagging and notes rewrite it)
    status.json        status, error, created/started/finished (ISO 8601, UTC), worker pid
    summary.json       summary metrics
    events.jsonl       live progress, one JSON event per line (see core.runs.events)
    cancel             present once cancelling was requested
    error.txt          traceback of a failed run
    worker.log         the worker process's stdout and stderr
    .lock              held while a small file is read-modified-written
    fold_<i>/          history.json, predictions.csv, confusion.json, model.pt or model.keras,
                       and outcome.json (its accuracy, for resuming the run; not exported)

Examples
--------
>>> fold_name(2), model_file("keras")
('fold_2', 'model.keras')
"""

from __future__ import annotations

import re

from core.errors import ParamsError

CONFIG = "config.json"
META = "meta.json"
STATUS = "status.json"
SUMMARY = "summary.json"
EVENTS = "events.jsonl"
CANCEL = "cancel"
ERROR = "error.txt"
WORKER_LOG = "worker.log"
LOCK = ".lock"

HISTORY = "history.json"
PREDICTIONS = "predictions.csv"
CONFUSION = "confusion.json"
OUTCOME = "outcome.json"

FOLD_PREFIX = "fold_"
#: A fold folder's name (``fold_0``, ``fold_1``...).
FOLD_RE = re.compile(rf"{FOLD_PREFIX}\d{{1,4}}")
#: The weights file of one fold, per framework.
MODEL_FILES: dict[str, str] = {"torch": "model.pt", "keras": "model.keras"}

#: Files of a run folder that travel in an export, and the ones a run must have.
RUN_FILES: tuple[str, ...] = (CONFIG, META, STATUS, SUMMARY)
REQUIRED_FILES: tuple[str, ...] = (CONFIG, STATUS)
#: Files of a fold folder that travel.
FOLD_FILES: tuple[str, ...] = (HISTORY, PREDICTIONS, CONFUSION, *MODEL_FILES.values())


def fold_name(fold: int) -> str:
    """The folder name of fold ``fold`` (0-based): ``fold_<i>``."""
    return f"{FOLD_PREFIX}{int(fold)}"


def model_file(framework: str) -> str:
    """The name of a fold's weights file for ``framework`` (``torch`` or ``keras``).

    Raises ParamsError for another framework.
    """
    try:
        return MODEL_FILES[framework]
    except KeyError:
        raise ParamsError(
            f"framework must be one of {tuple(MODEL_FILES)}, got {framework!r}"
        ) from None
