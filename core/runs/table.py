"""Runs as one table row each: what was trained, how, on what, with what result."""

from __future__ import annotations

import pandas as pd

from core.runs import Run, RunConfig, RunError

COLUMNS = [
    "id",
    "name",
    "status",
    "framework",
    "architecture",
    "protocol",
    "k",
    "input",
    "dataset",
    "mean_acc",
    "std_acc",
    "epochs",
    "batch_size",
    "lr",
    "seed",
    "user",
    "created",
    "error",
]


def runs_frame(runs: list[Run]) -> pd.DataFrame:
    """One row per training run (newest first as given; jobs of other kinds are left out),
    with its key settings and mean ± std accuracy. A run whose config cannot be read is kept,
    with its settings blank and the reason as its error."""
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
                "id": run.id,
                "name": run.label,
                "status": str(run.status),
                "framework": train.framework if train else "",
                "architecture": train.architecture if train else "",
                "protocol": train.protocol if train else "",
                "k": config.n_folds,
                "input": config.input.summary() if config.input else "",
                "dataset": config.dataset.spec,
                "mean_acc": summary.get("mean_acc"),
                "std_acc": summary.get("std_acc"),
                "epochs": train.epochs if train else None,
                "batch_size": train.batch_size if train else None,
                "lr": train.lr if train else None,
                "seed": train.seed if train else None,
                "user": run.user,
                "created": run.created,
                "error": run.error or problem,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
