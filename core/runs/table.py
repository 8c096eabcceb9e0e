"""Runs as one table row each: what was trained, on what, how, with what result.

The columns lead with what tells runs apart (name, dataset, preset, protocol, accuracy as
mean ± std), then where a run stands (status, live progress of a running run), its tags, and
the details.
"""

from __future__ import annotations

import pandas as pd

from core.runs import Run, RunConfig, RunError, RunStatus
from core.runs.provenance import accuracy_text, dataset_name, settings_summary

COLUMNS = [
    "name",
    "dataset",
    "preset",
    "protocol",
    "accuracy",
    "status",
    "progress",
    "tags",
    "id",
    "framework",
    "architecture",
    "k",
    "input",
    "mean_acc",
    "std_acc",
    "epochs",
    "batch_size",
    "lr",
    "seed",
    "user",
    "created",
    "notes",
    "settings",
    "source",
    "error",
]


def runs_frame(runs: list[Run]) -> pd.DataFrame:
    """One row per training run (newest first as given; jobs of other kinds are left out),
    with its key settings and mean ± std accuracy. A run whose config cannot be read is kept,
    with its settings blank and the reason as its error. ``tags`` are joined by ``", "``;
    ``progress`` says where a queued or running run stands (fold i/k, epoch)."""
    rows = []
    for run in runs:
        try:
            config, problem = run.run_config, ""
        except RunError as exc:
            config, problem = RunConfig(), str(exc)
        if config.kind != "train":
            continue
        train, summary = config.train, run.summary or {}
        rows.append(
            {
                "name": run.label,
                "dataset": dataset_name(config, summary),
                "preset": train.summary() if train else "",
                "protocol": train.protocol if train else "",
                "accuracy": accuracy_text(summary),
                "status": str(run.status),
                "progress": _progress(run),
                "tags": ", ".join(run.tags),
                "id": run.id,
                "framework": train.framework if train else "",
                "architecture": train.architecture if train else "",
                "k": config.n_folds,
                "input": config.input.summary() if config.input else "",
                "mean_acc": summary.get("mean_acc"),
                "std_acc": summary.get("std_acc"),
                "epochs": train.epochs if train else None,
                "batch_size": train.batch_size if train else None,
                "lr": train.lr if train else None,
                "seed": train.seed if train else None,
                "user": run.user,
                "created": run.created,
                "notes": run.notes,
                "settings": settings_summary(config) if train else "",
                "source": config.dataset.spec,
                "error": run.error or problem,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _progress(run: Run) -> str:
    """Where an active run stands in words; ``""`` for a finished one."""
    if not run.status.active:
        return ""
    if run.status is RunStatus.QUEUED:
        return "waiting for a worker"
    return run.progress().text or "starting"


def with_tags(frame: pd.DataFrame, tags: list[str]) -> pd.DataFrame:
    """The rows of a :func:`runs_frame` carrying every one of ``tags`` (all rows for none).

    >>> frame = pd.DataFrame({"tags": ["a, b", "b", ""]})
    >>> with_tags(frame, ["b"]).index.tolist(), with_tags(frame, ["a", "b"]).index.tolist()
    ([0, 1], [0])
    """
    wanted = set(tags)
    return frame[[wanted <= set(t.split(", ")) for t in frame["tags"]]]


def all_tags(frame: pd.DataFrame) -> list[str]:
    """Every tag used in a :func:`runs_frame`, sorted."""
    return sorted({t for tags in frame["tags"] for t in tags.split(", ") if t})
