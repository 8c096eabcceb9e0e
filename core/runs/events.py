"""A run's progress events: typed, written one JSON line each to ``events.jsonl``, read back
into where the run stands (:class:`Progress`).

Events (their JSON ``type`` in brackets, as written since the first version):
:class:`Stage` (``stage``), :class:`FeaturesDone` (``features``), :class:`FoldStarted`
(``fold_start``), :class:`EpochEnded` (``epoch``), :class:`FoldEnded` (``fold_end``),
:class:`FoldFailed` (``fold_failed``), :class:`RunEnded` (``run_end``), :class:`Resumed`
(``resumed``); any other type (a job's own ticks) reads as :class:`Other`.
Executors report with ``on_event(event)``, an event or its dict (``event.to_dict()``); the one
writer is :func:`append_event`, the one reader :func:`read_events`.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
>>> append_event(path, FoldStarted(fold=0, k=2))
>>> append_event(path, EpochEnded(fold=0, k=2, epoch=1, epochs=4, val_acc=0.5, seconds=2.0))
>>> events, offset = read_events(path)
>>> [type(e).__name__ for e in events]
['FoldStarted', 'EpochEnded']
>>> progress(events).text
'Fold 1/2 · epoch 1/4 · about 14 s left'
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import statistics
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from core.storage.atomic import to_jsonable

if TYPE_CHECKING:
    import pandas as pd

HISTORY_COLUMNS = ["fold", "epoch", "train_loss", "train_acc", "val_loss", "val_acc"]


@dataclass(frozen=True)
class Event:
    """Base of the progress events; ``time`` is when it was written (Unix seconds)."""

    TYPE: ClassVar[str] = ""
    time: float | None = field(default=None, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        """The JSON line's object: ``{"type": ..., "time": ..., <fields>}``."""
        data = dataclasses.asdict(self)
        if data["time"] is None:
            del data["time"]
        return {"type": self.TYPE, **data}


@dataclass(frozen=True)
class Stage(Event):
    """A stage began, in words (``preparing inputs``, ``training 5 fold(s)``...)."""

    TYPE: ClassVar[str] = "stage"
    stage: str = ""


@dataclass(frozen=True)
class FeaturesDone(Event):
    """``done`` of ``total`` clips have their features."""

    TYPE: ClassVar[str] = "features"
    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class FoldStarted(Event):
    """Fold ``fold`` (0-based) of ``k`` started training (``epochs`` planned; 0 in runs written
    before it was recorded)."""

    TYPE: ClassVar[str] = "fold_start"
    fold: int = 0
    k: int = 0
    epochs: int = 0
    n_train: int | None = None
    n_valid: int | None = None
    n_test: int | None = None


@dataclass(frozen=True)
class EpochEnded(Event):
    """Epoch ``epoch`` (1-based) of ``epochs`` of fold ``fold`` ended, with its metrics."""

    TYPE: ClassVar[str] = "epoch"
    fold: int = 0
    k: int = 0
    epoch: int = 0
    epochs: int = 0
    train_loss: float | None = None
    train_acc: float | None = None
    val_loss: float | None = None
    val_acc: float | None = None
    lr: float | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class FoldEnded(Event):
    """Fold ``fold`` of ``k`` was tested."""

    TYPE: ClassVar[str] = "fold_end"
    fold: int = 0
    k: int = 0
    test_acc: float = float("nan")
    best_epoch: int | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class FoldFailed(Event):
    """Fold ``fold`` of ``k`` failed for good (after its retries), for the reason ``error``."""

    TYPE: ClassVar[str] = "fold_failed"
    fold: int = 0
    k: int = 0
    error: str = ""


@dataclass(frozen=True)
class RunEnded(Event):
    """The work is done and its results written (``mean_acc`` of a training run)."""

    TYPE: ClassVar[str] = "run_end"
    mean_acc: float | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class Resumed(Event):
    """``user`` queued the failed or cancelled run again; folds ``kept`` stay as they were."""

    TYPE: ClassVar[str] = "resumed"
    user: str = ""
    kept: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Other(Event):
    """An event of a type this version does not know, kept as its dict."""

    type: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        extra = {} if self.time is None else {"time": self.time}
        return {**self.data, "type": self.type, **extra}


EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        Stage,
        FeaturesDone,
        FoldStarted,
        EpochEnded,
        FoldEnded,
        FoldFailed,
        RunEnded,
        Resumed,
    )
}


def parse_event(data: Mapping[str, Any]) -> Event:
    """The typed event of one JSON object (missing fields take their defaults); an unknown
    type gives :class:`Other`."""
    kind = str(data.get("type", ""))
    cls = EVENT_TYPES.get(kind)
    if cls is not None:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
    return Other(
        type=kind,
        data={k: v for k, v in data.items() if k not in ("type", "time")},
        time=data.get("time"),
    )


def event_dict(event: Event | Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object of an event given typed or as its dict."""
    return event.to_dict() if isinstance(event, Event) else dict(event)


def append_event(path: str | os.PathLike, event: Event | Mapping[str, Any]) -> None:
    """Append one event (typed, or its dict) as one JSON line, stamped with ``time``.

    One ``write`` per line on an append-only descriptor, so concurrent writers never
    interleave within a line, and a reader sees whole lines or a last partial one.
    """
    line = json.dumps({"time": time.time(), **event_dict(event)}, default=to_jsonable) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def read_lines(path: str | os.PathLike, since_offset: int = 0) -> tuple[list[dict], int]:
    """The JSON objects of the lines after byte ``since_offset``, and the offset to pass next.

    A last line still being written is left for the next call; a garbled line is skipped.
    """
    try:
        with open(path, "rb") as f:
            f.seek(since_offset)
            data = f.read()
    except FileNotFoundError:
        return [], since_offset
    complete = data[: data.rfind(b"\n") + 1]
    objects = []
    for line in complete.splitlines():
        with contextlib.suppress(ValueError):
            obj = json.loads(line)
            if isinstance(obj, dict):
                objects.append(obj)
    return objects, since_offset + len(complete)


def read_events(path: str | os.PathLike, since_offset: int = 0) -> tuple[list[Event], int]:
    """The typed events after byte ``since_offset`` (see :func:`read_lines`), and the next
    offset."""
    objects, offset = read_lines(path, since_offset)
    return [parse_event(obj) for obj in objects], offset


@dataclass
class Progress:
    """Where a run stands: stage, fold i of k, epochs done e of E, an ETA, and per-epoch
    history. ``fold_epochs`` counts the epochs each fold has trained so far."""

    stage: str = "queued"
    fold: int = 0
    k: int = 0
    epoch: int = 0
    epochs: int = 0
    features_done: int = 0
    features_total: int = 0
    fold_acc: dict[int, float] = field(default_factory=dict)
    fold_epochs: dict[int, int] = field(default_factory=dict)
    fold_errors: dict[int, str] = field(default_factory=dict)
    history: pd.DataFrame = field(default_factory=lambda: _history([]))
    eta_seconds: float | None = None
    finished: bool = False

    @property
    def fraction(self) -> float:
        """Share of the planned epochs done (early stopping may end a fold sooner)."""
        if self.finished:
            return 1.0
        if not self.k or not self.epochs:
            return 0.0
        done_folds = len(self.fold_acc)
        current = 0 if self.fold in self.fold_acc else self.epoch
        return min(1.0, (done_folds * self.epochs + current) / (self.k * self.epochs))

    @property
    def eta(self) -> str:
        """The time left in words, e.g. ``about 2 min 05 s left``."""
        if self.eta_seconds is None:
            return "time left known after the first epoch"
        minutes, secs = divmod(round(self.eta_seconds), 60)
        return f"about {minutes} min {secs:02d} s left" if minutes else f"about {secs} s left"

    @property
    def computing_features(self) -> bool:
        """Whether the run is computing features (``features_done`` of ``features_total``)."""
        return self.stage == "computing features" and self.features_total > 0

    @property
    def text(self) -> str:
        """One line: the features count, the fold and what it is doing with the ETA, or the
        stage.

        >>> p = progress([FoldStarted(fold=1, k=5, epochs=30)])
        >>> p.text
        'Fold 2/5 · building the model, epoch 1/30 running · time left known after the first epoch'
        """
        if self.computing_features:
            return f"Computing features: {self.features_done} / {self.features_total} clips"
        if not self.k or self.finished:
            return self.stage
        head = f"Fold {self.fold + 1}/{self.k}"
        of = f"/{self.epochs}" if self.epochs else ""
        if self.fold in self.fold_acc:
            return f"{head} tested · {self.eta}"
        if self.epoch == 0:
            return f"{head} · building the model, epoch 1{of} running · {self.eta}"
        if self.epochs and self.epoch >= self.epochs:
            left = f" · {self.eta}" if self.eta_seconds else ""
            return f"{head} · epoch {self.epoch}{of} · testing{left}"
        return f"{head} · epoch {self.epoch}{of} · {self.eta}"


def progress(events: Iterable[Event]) -> Progress:
    """Fold a run's events, in order, into its :class:`Progress` (the ETA: see
    :func:`eta_seconds`)."""
    p = Progress()
    rows, epoch_seconds = [], []
    for e in events:
        if isinstance(e, Stage):
            p.stage = e.stage
        elif isinstance(e, FeaturesDone):
            p.stage = "computing features"
            p.features_done, p.features_total = e.done, e.total
        elif isinstance(e, FoldStarted):
            p.stage, p.fold, p.k, p.epoch = "training", e.fold, e.k, 0
            p.epochs = e.epochs or p.epochs
        elif isinstance(e, EpochEnded):
            p.fold, p.k, p.epoch, p.epochs = e.fold, e.k, e.epoch, e.epochs
            p.fold_epochs[e.fold] = e.epoch
            rows.append({c: getattr(e, c) for c in HISTORY_COLUMNS})
            epoch_seconds.append(e.seconds or 0.0)
        elif isinstance(e, FoldEnded):
            p.fold_acc[e.fold] = e.test_acc
        elif isinstance(e, FoldFailed):
            p.fold_errors[e.fold] = e.error
        elif isinstance(e, RunEnded):
            p.stage, p.finished = "finished", True
        elif isinstance(e, Resumed):  # the earlier attempt counts for its kept folds only
            kept = set(e.kept)
            p.stage, p.finished, p.fold_errors = "resumed", False, {}
            p.fold_acc = {f: a for f, a in p.fold_acc.items() if f in kept}
            p.fold_epochs = {f: n for f, n in p.fold_epochs.items() if f in kept}
            rows = [r for r in rows if r["fold"] in kept]
    if rows:
        p.history = _history(rows)
    if not p.finished:
        p.eta_seconds = eta_seconds(p, epoch_seconds)
    return p


def eta_seconds(p: Progress, epoch_seconds: list[float]) -> float | None:
    """Seconds left: the (low) median time of the epochs so far times the epochs still expected.

    A fold that has not ended still has its planned epochs; folds not started expect as many
    as the ended folds trained on average (early stopping), else the planned number. The
    median over all epochs and folds keeps one slow epoch (the first, a busy machine) from
    making the estimate jump. None before the first epoch ends.

    >>> p = Progress(k=2, epochs=4, fold=1, epoch=1, fold_acc={0: 0.5}, fold_epochs={0: 2, 1: 1})
    >>> eta_seconds(p, [2.0, 2.0, 2.0])  # fold 2 of 2: 3 more epochs of 2 s
    6.0
    """
    if not epoch_seconds or not p.k or not p.epochs:
        return None
    done = {*p.fold_acc, *p.fold_errors}  # tested or failed
    ended = [p.fold_epochs.get(f, p.epochs) for f in p.fold_acc]
    expected = sum(ended) / len(ended) if ended else p.epochs
    current = 0 if p.fold in done else max(p.epochs - p.epoch, 0)
    later = max(p.k - len(done) - (0 if p.fold in done else 1), 0)
    return (current + later * expected) * statistics.median_low(epoch_seconds)


def _history(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def read_progress(path: str | os.PathLike) -> Progress:
    """The :class:`Progress` of the events file at ``path`` (``Run.progress`` reads a run's)."""
    return progress(read_events(Path(path))[0])
