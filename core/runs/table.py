"""Runs as one table row each: what was trained, how, on what, with what result."""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.runs import Run

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


def describe_input(spec: dict[str, Any]) -> str:
    """One line for a run's input: the mel setting or the image mode."""
    if "image" in spec:
        return f"images ({spec['image']})"
    from core.audio.mel import MelParams

    try:
        return "mel: " + MelParams.from_dict(spec["mel"]).summary()
    except (KeyError, ValueError):
        return "?"


def runs_frame(runs: list[Run]) -> pd.DataFrame:
    """One row per run (newest first as given), with its key settings and mean ± std accuracy."""
    rows = []
    for run in runs:
        train = run.config.get("train", {}) if isinstance(run.config, dict) else {}
        summary = run.summary or {}
        rows.append(
            {
                "id": run.id,
                "name": run.label,
                "status": str(run.status),
                "framework": train.get("framework", ""),
                "architecture": train.get("architecture", train.get("model", "")),
                "protocol": train.get("protocol", ""),
                "k": train.get("k") if train.get("protocol") != "filtered" else 1,
                "input": describe_input(run.config.get("input", {})) if run.config else "",
                "dataset": str(run.config.get("dataset", "")) if run.config else "",
                "mean_acc": summary.get("mean_acc"),
                "std_acc": summary.get("std_acc"),
                "epochs": train.get("epochs"),
                "batch_size": train.get("batch_size"),
                "lr": train.get("lr"),
                "seed": train.get("seed"),
                "user": run.user,
                "created": run.created,
                "error": run.error or "",
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
