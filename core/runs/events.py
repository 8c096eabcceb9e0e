"""Read a run's progress events (events.jsonl) into where it stands and its live curves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

HISTORY_COLUMNS = ["fold", "epoch", "train_loss", "train_acc", "val_loss", "val_acc"]


@dataclass
class Progress:
    """Where a run stands: stage, fold i of k, epoch e of E, an ETA, and per-epoch history."""

    stage: str = "queued"
    fold: int = 0
    k: int = 0
    epoch: int = 0
    epochs: int = 0
    features_done: int = 0
    features_total: int = 0
    fold_acc: dict[int, float] = field(default_factory=dict)
    history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HISTORY_COLUMNS))
    eta_seconds: float | None = None

    @property
    def fraction(self) -> float:
        """Share of the planned epochs done (early stopping may end a fold sooner)."""
        if not self.k or not self.epochs:
            return 0.0
        done_folds = len(self.fold_acc)
        current = 0 if self.fold in self.fold_acc else self.epoch
        return min(1.0, (done_folds * self.epochs + current) / (self.k * self.epochs))


def read_progress(events: list[dict[str, Any]]) -> Progress:
    """Fold a run's events, in order, into its :class:`Progress`."""
    p = Progress()
    rows, epoch_seconds = [], []
    for e in events:
        kind = e.get("type")
        if kind == "stage":
            p.stage = e["stage"]
        elif kind == "features":
            p.stage = "computing features"
            p.features_done, p.features_total = e["done"], e["total"]
        elif kind == "fold_start":
            p.stage, p.fold, p.k, p.epoch = "training", e["fold"], e["k"], 0
        elif kind == "epoch":
            p.fold, p.k, p.epoch, p.epochs = e["fold"], e["k"], e["epoch"], e["epochs"]
            rows.append({c: e.get(c) for c in HISTORY_COLUMNS})
            epoch_seconds.append(e.get("seconds") or 0.0)
        elif kind == "fold_end":
            p.fold_acc[e["fold"]] = e["test_acc"]
    if rows:
        p.history = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    if epoch_seconds and p.k and p.epochs:
        remaining = p.k * p.epochs * (1 - p.fraction)
        recent = epoch_seconds[-5:]
        p.eta_seconds = remaining * sum(recent) / len(recent)
    return p
