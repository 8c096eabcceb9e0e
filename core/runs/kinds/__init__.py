"""Kinds of job (training, fault scan, feature-store build, demo generation, experiment,
sweep): what starting each means, in words, and the progress every kind reports: a fraction and
a line.

A job's kind is :attr:`core.runs.config.RunConfig.kind` (absent from a stored config:
``"train"``, as in runs written before kinds). Executors report with :func:`report` and pages
read it back with :func:`job_progress`; :func:`newest_job` lets every session find a job.

>>> kind_of({}), kind_of({"kind": "scan"}), VERBS["scan"]
('train', 'scan', 'scan for faults')
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import ParamsError
from core.runs.config import KINDS, RunConfig

if TYPE_CHECKING:
    from core.runs.registry import Run

TRAIN, SCAN, FEATURES, DEMO, EXPERIMENT, SWEEP = KINDS
#: What starting a job of each kind does, for messages ("you cannot <verb>").
VERBS: dict[str, str] = {
    TRAIN: "train",
    SCAN: "scan for faults",
    FEATURES: "build feature stores",
    DEMO: "generate the demo dataset",
    EXPERIMENT: "run experiments",
    SWEEP: "run sweeps",
}
#: The event type of :func:`report` in a run's events.jsonl.
PROGRESS = "progress"


def kind_of(config: RunConfig | Mapping[str, Any]) -> str:
    """The kind of job ``config`` describes; ParamsError for an unknown one."""
    kind = config.kind if isinstance(config, RunConfig) else config.get("kind", TRAIN)
    if kind not in VERBS:
        raise ParamsError(f"Unknown job kind {kind!r}: use one of {', '.join(VERBS)}.")
    return kind


def report(on_event: Callable[[dict], None], fraction: float, stage: str) -> None:
    """Report how far a job is: ``fraction`` done (0..1) and what it is doing now."""
    on_event({"type": PROGRESS, "fraction": round(min(max(fraction, 0.0), 1.0), 4), "stage": stage})


@dataclass(frozen=True)
class JobProgress:
    """The last progress a job reported (``0.0, ""`` before any)."""

    fraction: float = 0.0
    stage: str = ""


def job_progress(run: Run) -> JobProgress:
    """The last :func:`report` of ``run``."""
    events, _ = run.read_events()
    last = next((e for e in reversed(events) if e.get("type") == PROGRESS), None)
    return JobProgress(float(last["fraction"]), str(last["stage"])) if last else JobProgress()


def newest_job(kind: str, root: str | os.PathLike | None = None, **match: Any) -> Run | None:
    """The newest job of ``kind`` whose stored config holds every ``key=value`` of ``match``.

    So every session finds the same job, e.g. the latest scan of a dataset:
    ``newest_job(SCAN, dataset="demo")``.
    """
    from core.runs.registry import list_runs

    for run in list_runs(root):
        if run.config.get("kind", TRAIN) == kind and all(
            run.config.get(k) == v for k, v in match.items()
        ):
            return run
    return None


def training_runs(root: str | os.PathLike | None = None) -> list[Run]:
    """The training runs (kind ``"train"``), newest first: what Compare and Predict list; the
    other kinds of job are not runs to compare."""
    from core.runs.registry import list_runs

    return [run for run in list_runs(root) if run.config.get("kind", TRAIN) == TRAIN]
