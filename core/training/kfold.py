"""Run a training config over precomputed folds, with progress events and cancellation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from core.errors import ParamsError
from core.evaluation.metrics import accuracy
from core.splits import with_validation
from core.training.config import TrainConfig
from core.training.loop import FoldResult, StopCheck, predict_proba, train_fold

EventCallback = Callable[[dict[str, Any]], None]


def run_kfold(
    X: np.ndarray,
    y: Sequence[int],
    folds: Sequence[tuple[np.ndarray, ...]],
    config: TrainConfig,
    on_event: EventCallback | None = None,
    should_stop: StopCheck | None = None,
    *,
    groups: Sequence[int] | None = None,
) -> list[FoldResult]:
    """Train and test one model per fold; folds come from ``core.splits`` (rows of ``X``).

    A fold ``(train, test, valid)`` validates on ``valid``; a fold ``(train, test)`` holds out
    ``config.val_fraction`` of ``train`` (``core.splits.with_validation``, group-aware when
    ``groups`` are given), so validation never touches test clips. Events passed to ``on_event``:
    ``{"type": "fold_start", "fold", "k", "epochs", "n_train", "n_valid", "n_test"}``,
    ``{"type": "epoch", "fold", "k", "epoch", "epochs", "train_loss", "train_acc", "val_loss",
    "val_acc", "lr", "seconds"}``, ``{"type": "fold_end", "fold", "k", "test_acc",
    "best_epoch", "seconds"}``. ``should_stop`` returning True raises ``Cancelled``.
    """
    y = np.asarray(y, dtype=np.int64)
    if len(X) != len(y):
        raise ParamsError(f"{len(X)} clips but {len(y)} labels")
    folds = complete_folds(folds, y, config, groups=groups)
    n_classes = int(y.max()) + 1
    return [
        train_one_fold(X, y, fold, i, len(folds), config, n_classes, on_event, should_stop)
        for i, fold in enumerate(folds)
    ]


def complete_folds(
    folds: Sequence[tuple[np.ndarray, ...]],
    y: Sequence[int],
    config: TrainConfig,
    *,
    groups: Sequence[int] | None = None,
) -> list[tuple[np.ndarray, ...]]:
    """The folds with their validation parts carved (``core.splits.with_validation``), after
    checking that no fold tests on its training clips. Computed once, so every executor trains
    exactly these folds."""
    for i, fold in enumerate(folds):
        if np.intersect1d(fold[0], fold[1]).size:
            raise ParamsError(f"fold {i}: train and test share clips")
    return with_validation(folds, y, groups, fraction=config.val_fraction, seed=config.seed)


def train_one_fold(
    X: np.ndarray,
    y: np.ndarray,
    fold: tuple[np.ndarray, ...],
    i: int,
    k: int,
    config: TrainConfig,
    n_classes: int,
    on_event: EventCallback | None = None,
    should_stop: StopCheck | None = None,
) -> FoldResult:
    """Train and test fold ``i`` of ``k`` (a fold of :func:`complete_folds`): the unit every
    executor runs, in this process or as a Ray task."""
    emit = on_event or (lambda event: None)
    train_idx, test_idx = np.asarray(fold[0]), np.asarray(fold[1])
    valid_idx = np.asarray(fold[2]) if len(fold) > 2 else None
    emit(
        {
            "type": "fold_start",
            "fold": i,
            "k": k,
            "epochs": config.epochs,
            "n_train": len(train_idx),
            "n_valid": 0 if valid_idx is None else len(valid_idx),
            "n_test": len(test_idx),
        }
    )
    result = train_fold(
        X[train_idx],
        y[train_idx],
        None if valid_idx is None else X[valid_idx],
        None if valid_idx is None else y[valid_idx],
        config,
        n_classes=n_classes,
        callbacks=[EpochEvents(emit, i, k, config.epochs)],
        should_stop=should_stop,
    )
    result.fold, result.valid_idx, result.test_idx = i, valid_idx, test_idx
    result.test_proba = predict_proba(result.model, X[test_idx])
    result.test_acc = accuracy(y[test_idx], result.test_proba.argmax(axis=1))
    emit(
        {
            "type": "fold_end",
            "fold": i,
            "k": k,
            "test_acc": result.test_acc,
            "best_epoch": result.best_epoch,
            "seconds": result.seconds,
        }
    )
    return result


class EpochEvents:
    """Callback: each epoch's logs as an ``epoch`` event of fold ``fold`` (of ``k``)."""

    def __init__(self, emit: EventCallback, fold: int, k: int, epochs: int) -> None:
        self.emit, self.fold, self.k, self.epochs = emit, fold, k, epochs

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        self.emit({"type": "epoch", "fold": self.fold, "k": self.k, "epochs": self.epochs, **logs})
