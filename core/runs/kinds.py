"""Kinds of job (training, fault scan, feature-store build, demo generation), the function that
does each, and the progress every kind reports: one fraction and one line of text.

A job's kind is ``config["kind"]`` (absent: ``"train"``, as in runs written before kinds); its
executor is ``config["executor"]`` or the kind's own. Executors report with :func:`report` and
pages read it back with :func:`job_progress`.

>>> job_kind({}).name, job_kind({"kind": "scan"}).executor
('train', 'core.faults.job:execute_scan')
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import ParamsError

if TYPE_CHECKING:
    from core.runs.registry import Run

TRAIN, SCAN, FEATURES, DEMO = "train", "scan", "features", "demo"
#: The event type of :func:`report` in a run's events.jsonl.
PROGRESS = "progress"


@dataclass(frozen=True)
class JobKind:
    """One kind of job: its name, the executor ``"module:function"`` and what starting it
    does, in words (for messages: "you cannot <verb>")."""

    name: str
    executor: str
    verb: str


KINDS: dict[str, JobKind] = {
    k.name: k
    for k in (
        JobKind(TRAIN, "core.training.execute:execute_run", "train"),
        JobKind(SCAN, "core.faults.job:execute_scan", "scan for faults"),
        JobKind(FEATURES, "core.features.job:execute_build", "build feature stores"),
        JobKind(DEMO, "core.demo.job:execute_demo", "generate the demo dataset"),
    )
}


def job_kind(config: dict[str, Any]) -> JobKind:
    """The kind of the job ``config`` describes; ParamsError for an unknown one."""
    name = job_kind_name(config)
    if name not in KINDS:
        raise ParamsError(f"Unknown job kind {name!r}: use one of {', '.join(KINDS)}.")
    return KINDS[name]


def executor_of(config: dict[str, Any]) -> str:
    """The executor named in ``config``, else the one of its kind."""
    return config.get("executor") or job_kind(config).executor


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
    """The newest job of ``kind`` whose config holds every ``key=value`` of ``match``.

    So every session finds the same job, e.g. the latest scan of a dataset:
    ``newest_job(SCAN, dataset="demo")``.
    """
    from core.runs.registry import list_runs

    for run in list_runs(root):
        if job_kind_name(run.config) == kind and all(
            run.config.get(k) == v for k, v in match.items()
        ):
            return run
    return None


def training_runs(root: str | os.PathLike | None = None) -> list[Run]:
    """The training runs (kind ``"train"``), newest first: what run tables, Compare and Predict
    list; the other kinds of job are not runs to compare."""
    from core.runs.registry import list_runs

    return [run for run in list_runs(root) if job_kind_name(run.config) == TRAIN]


def job_kind_name(config: dict[str, Any]) -> str:
    """``config["kind"]``, ``"train"`` when absent (runs written before kinds)."""
    return config.get("kind", TRAIN)
