"""The run registry: one folder per run under the settings' ``models_dir``, written atomically.

The folder's layout is in :mod:`core.runs.files`, its config is a
:class:`~core.runs.config.RunConfig`, its progress events are in :mod:`core.runs.events`.
A run appears in the registry only complete: it is assembled in a hidden folder and renamed into
place, and deleted by renaming it away first (:mod:`core.storage.publish`). Names starting with
a dot are never listed.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import json
import math
import os
import platform
import re
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import settings
from core.errors import GenreLabError, RunError
from core.runs import events as run_events
from core.runs import files
from core.runs.config import RunConfig
from core.storage import quota
from core.storage.atomic import dumps, open_atomic, write_json
from core.storage.lock import locked
from core.storage.process import pid_alive, process_started
from core.storage.publish import discard, publishing

if TYPE_CHECKING:
    import pandas as pd

    from core.policy import Actor


class RunStatus(StrEnum):
    """Life cycle of a run: queued -> running -> completed, failed or cancelled."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        """Whether the run is waiting or in progress (not finished)."""
        return self in (RunStatus.QUEUED, RunStatus.RUNNING)


#: Seconds after a run started before a reader may mark it failed for a missing worker.
STALE_AFTER_S = 10.0
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: Python distributions whose versions are saved with every run.
VERSIONED_PACKAGES = ("numpy", "torch", "tensorflow", "keras", "librosa", "scikit-learn")


def library_versions() -> dict[str, str | None]:
    """Versions of Python and the libraries a result depends on (``None``: not installed).

    Read from package metadata, so nothing heavy (TensorFlow) is imported.
    """
    return dict(_library_versions())


@functools.cache
def _library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        candidates = (name, f"{name}-cpu") if name == "tensorflow" else (name,)
        versions[name] = None
        for dist in candidates:
            with contextlib.suppress(importlib.metadata.PackageNotFoundError):
                versions[name] = importlib.metadata.version(dist)
                break
    return versions


def new_run_id() -> str:
    """A sortable time stamp plus a short random suffix, e.g. ``20261125-131500-a1b2``."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class Run:
    """A handle on one run folder: its metadata as last read, and methods to write its files.

    ``config`` is ``config.json`` as stored; :attr:`run_config` reads it as a RunConfig.
    """

    id: str
    dir: Path
    config: dict = field(default_factory=dict)
    name: str = ""
    user: str = ""
    status: RunStatus = RunStatus.QUEUED
    error: str | None = None
    created: datetime | None = None
    started: datetime | None = None
    finished: datetime | None = None
    pid: int | None = None
    #: When the process ``pid`` started (see :func:`core.storage.process.process_started`).
    pid_started: int | None = None
    summary: dict | None = None
    #: Labels to find and group runs by (``meta.json``), in the order given.
    tags: list[str] = field(default_factory=list)
    #: Free text about the run (``meta.json``).
    notes: str = ""
    #: Who made the run where it was trained, for an imported run (``user`` imported it).
    origin: str = ""
    #: Why a run whose files say completed cannot be used (shown as failed), or None.
    damaged: str | None = None

    # ---- reading -------------------------------------------------------------------------

    @classmethod
    def from_dir(cls, path: str | os.PathLike, details: bool = True) -> Run:
        """Read a run folder (without ``details``: only its status, which is quicker).

        A missing or corrupt ``status.json`` or ``config.json`` gives a run marked failed that
        says what is wrong (never an exception), so a broken run is shown, not hidden. A run
        still marked running whose worker process is gone (killed with its scheduler, or the
        machine restarted) is marked failed, or cancelled if that was asked for, by this read.
        """
        from core.runs import validate

        path = Path(path)
        run = cls(id=path.name, dir=path)
        try:
            run._apply_status(validate.read_json(path / files.STATUS, dict))
            run._reconcile()
            if details:
                run.config = validate.read_json(path / files.CONFIG, dict)
        except (OSError, ValueError, TypeError, KeyError, GenreLabError) as exc:
            run.status = RunStatus.FAILED
            run.error = f"This run's files are damaged or incomplete ({type(exc).__name__}: {exc})."
        if not details:
            return run
        with contextlib.suppress(OSError, ValueError, GenreLabError):
            meta = validate.read_json(path / files.META, dict)
            run.name, run.user = str(meta.get("name", "")), str(meta.get("user", ""))
            run.tags = [str(t) for t in meta.get("tags", None) or []]
            run.notes = str(meta.get("notes", "") or "")
            run.origin = str(meta.get("origin", ""))
        with contextlib.suppress(OSError, ValueError, GenreLabError):
            run.summary = validate.read_json(path / files.SUMMARY, dict)
        if run.status is RunStatus.COMPLETED and (
            reason := validate.damage(run.config, run.summary)
        ):
            run.status, run.summary = RunStatus.FAILED, None
            run.damaged = run.error = f"This run is damaged: {reason}"
        return run

    def _apply_status(self, state: dict) -> None:
        self.status = RunStatus(state["status"])
        self.error = state.get("error")
        self.created = _time(state.get("created"))
        self.started = _time(state.get("started"))
        self.finished = _time(state.get("finished"))
        self.pid = state.get("pid")
        self.pid_started = state.get("pid_started")

    def _reconcile(self) -> None:
        """Record the end of a running run whose worker is gone (see :meth:`from_dir`)."""
        if self.status is not RunStatus.RUNNING or self.worker_alive():
            return
        age = (datetime.now(UTC) - self.started).total_seconds() if self.started else math.inf
        if age < STALE_AFTER_S:  # just claimed: the scheduler records its exit code first
            return
        if self.cancel_requested():
            status, error = RunStatus.CANCELLED, None
        else:
            status = RunStatus.FAILED
            error = (
                f"The worker process is no longer running (pid {self.pid}): it was killed with "
                "its scheduler, or the server restarted. See worker.log in the run folder."
            )
        if not self.set_status(status, error, only_from=[RunStatus.RUNNING]):
            self._apply_status(_read_json(self.dir / files.STATUS))  # another reader did it

    def _status_dict(self) -> dict:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat(timespec="microseconds") if t else None

        return {
            "status": self.status.value,
            "error": self.error,
            "created": iso(self.created),
            "started": iso(self.started),
            "finished": iso(self.finished),
            "pid": self.pid,
            "pid_started": self.pid_started,
        }

    def worker_alive(self) -> bool:
        """Whether the process recorded as running this run is still that process (its pid
        and start time; runs recorded before start times were: its pid and the run id in its
        command line)."""
        if not self.pid:
            return False
        if self.pid_started is not None:
            return pid_alive(self.pid, started=self.pid_started)
        return pid_alive(self.pid, marker=self.id)

    @property
    def run_config(self) -> RunConfig:
        """The typed config; raises RunError when ``config.json`` holds invalid settings."""
        try:
            return RunConfig.from_dict(self.config)
        except GenreLabError as exc:
            raise RunError(f"Run {self.label!r} has an invalid config: {exc}") from exc

    def meta(self, **changes: str) -> dict[str, str]:
        """The contents of ``meta.json`` (name, user, and origin when there is one)."""
        meta = {"name": self.name, "user": self.user, "origin": self.origin, **changes}
        return {k: v for k, v in meta.items() if v or k != "origin"}

    @property
    def label(self) -> str:
        """The name if the run has one, else its id."""
        return self.name or self.id

    def folds(self) -> list[int]:
        """Indices of the folds that have a folder, ascending."""
        found = (
            p.name.removeprefix(files.FOLD_PREFIX)
            for p in self.dir.glob(f"{files.FOLD_PREFIX}*")
            if p.is_dir()
        )
        return sorted(int(i) for i in found if i.isdigit())

    def completed_folds(self) -> list[int]:
        """The folds whose folder holds their outcome: trained and written whole (a resumed
        run keeps them, see :func:`core.runs.jobs.resume`)."""
        return [
            f for f in self.folds() if (self.fold_dir(f, create=False) / files.OUTCOME).is_file()
        ]

    def read_history(self, fold: int) -> list[dict]:
        """Per-epoch history of one fold, as written by :meth:`write_history` (checked by
        :func:`core.runs.validate.read_history`)."""
        from core.runs import validate

        epochs = self.run_config.train.epochs if self.run_config.train else None
        return self._read_fold_file(fold, files.HISTORY, lambda p: validate.read_history(p, epochs))

    def read_predictions(self, fold: int) -> pd.DataFrame:
        """Test predictions of one fold, as written by :meth:`write_predictions`; complete,
        with as many rows as the fold tested (:func:`core.runs.validate.read_predictions`)."""
        from core.runs import validate

        sizes = (self.summary or {}).get("folds") or []
        n_rows = sizes[fold].get("test") if 0 <= fold < len(sizes) else None
        return self._read_fold_file(
            fold, files.PREDICTIONS, lambda p: validate.read_predictions(p, n_rows)
        )

    def read_confusion(self, fold: int) -> tuple[list[list[int]], list[str]]:
        """``(matrix, labels)`` of one fold; rows are true labels, columns predicted ones."""
        from core.runs import validate

        data = self._read_fold_file(fold, files.CONFUSION, lambda p: validate.read_json(p, dict))
        if not {"matrix", "labels"} <= set(data):
            raise RunError(f"Run {self.label!r}: {files.CONFUSION} of fold {fold} is incomplete.")
        return data["matrix"], data["labels"]

    def _read_fold_file(self, fold: int, name: str, read: Any) -> Any:
        """``read(path)`` of a fold's file; RunError if it is missing (the run deleted, say)."""
        try:
            return read(self.fold_dir(fold, create=False) / name)
        except FileNotFoundError as exc:
            gone = "was deleted" if not self.dir.is_dir() else f"has no {name} for fold {fold}"
            raise RunError(f"Run {self.label!r} {gone}.") from exc

    def read_events(self, since_offset: int = 0) -> tuple[list[dict], int]:
        """The raw progress lines after byte ``since_offset`` and the offset to pass next (see
        :func:`core.runs.events.read_lines`; :meth:`progress` reads them typed)."""
        return run_events.read_lines(self.dir / files.EVENTS, since_offset)

    def progress(self) -> run_events.Progress:
        """Where the run stands, from its progress events."""
        return run_events.read_progress(self.dir / files.EVENTS)

    def cancel_requested(self) -> bool:
        """Whether cancelling was requested (the flag file exists)."""
        return (self.dir / files.CANCEL).exists()

    # ---- writing -------------------------------------------------------------------------

    def fold_dir(self, fold: int, create: bool = True) -> Path:
        """The folder of fold ``fold`` (``fold_<i>``), created unless ``create`` is false."""
        path = self.dir / files.fold_name(fold)
        if create:
            path.mkdir(exist_ok=True)
        return path

    def model_path(self, fold: int, create: bool = True) -> Path:
        """The weights file of fold ``fold``, named for the run's framework."""
        train = self.run_config.train
        if train is None:
            raise RunError(f"Run {self.label!r} is not a training run: it has no models.")
        return self.fold_dir(fold, create) / files.model_file(train.framework)

    def write_history(self, fold: int, history: list[dict]) -> None:
        """Save one fold's per-epoch history, one dict per epoch, e.g. ``{"epoch": 1,
        "train_loss": .., "train_acc": .., "val_loss": .., "val_acc": ..}``."""
        write_json(self.fold_dir(fold) / files.HISTORY, list(history))

    def write_predictions(self, fold: int, predictions: pd.DataFrame) -> None:
        """Save one fold's test predictions: one row per clip, with columns ``track_id``,
        ``true`` (label), optionally ``predicted``, and one probability column per genre."""
        missing = {"track_id", "true"} - set(predictions.columns)
        if missing:
            raise ValueError(f"predictions need the columns {sorted(missing)}")
        with open_atomic(self.fold_dir(fold) / files.PREDICTIONS) as f:
            predictions.to_csv(f, index=False)

    def write_confusion(self, fold: int, matrix: Any, labels: Iterable[str]) -> None:
        """Save one fold's confusion matrix (rows: true labels, columns: predicted labels)."""
        import numpy as np

        matrix, labels = np.asarray(matrix), [str(label) for label in labels]
        if matrix.shape != (len(labels), len(labels)):
            raise ValueError(f"confusion matrix of shape {matrix.shape} for {len(labels)} labels")
        write_json(self.fold_dir(fold) / files.CONFUSION, {"labels": labels, "matrix": matrix})

    def write_summary(self, summary: dict) -> None:
        """Save the run's summary metrics (e.g. mean and std of the fold accuracies)."""
        write_json(self.dir / files.SUMMARY, summary)
        self.summary = json.loads(dumps(summary))

    def append_event(self, event: run_events.Event | dict) -> None:
        """Append one progress event (typed, or its JSON-ready dict) to the run's events file
        (see :func:`core.runs.events.append_event`)."""
        run_events.append_event(self.dir / files.EVENTS, event)

    def set_status(
        self,
        status: RunStatus | str,
        error: str | None = None,
        *,
        pid: int | None = None,
        only_from: Iterable[RunStatus] | None = None,
    ) -> bool:
        """Atomically rewrite ``status.json``; returns whether the status was changed.

        With ``only_from``, the change happens only if the run's current status (re-read under
        a lock, so concurrent processes agree) is one of them: a compare-and-set. ``running``
        records ``pid`` and the start time, a final status the finish time.
        """
        status = RunStatus(status)
        with _locked(self.dir):
            self._apply_status(_read_json(self.dir / files.STATUS))
            if only_from is not None and self.status not in set(only_from):
                return False
            self.status, self.error = status, error
            if status is RunStatus.RUNNING:
                self.started, self.pid = datetime.now(UTC), pid
                self.pid_started = process_started(pid) if pid else None
            elif status is RunStatus.QUEUED:  # queued again (resumed): not started yet
                self.started = self.finished = self.pid = self.pid_started = None
            elif not status.active:
                self.finished = datetime.now(UTC)
            write_json(self.dir / files.STATUS, self._status_dict())
        return True

    def request_cancel(self) -> None:
        """Write the cancel flag the worker polls (see :func:`core.runs.jobs.cancel`)."""
        (self.dir / files.CANCEL).write_text(_now() + "\n", encoding="utf-8")


@contextlib.contextmanager
def _locked(run_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the run (for read-modify-write of its small files)."""
    with locked(run_dir / files.LOCK):
        yield


def models_root(root: str | os.PathLike | None = None) -> Path:
    """``root`` as a path, or the settings' ``models_dir`` when it is None."""
    return Path(root) if root is not None else settings.current().models_dir


def run_dir(run_id: str, root: str | os.PathLike | None = None) -> Path:
    """The folder of run ``run_id``; raises :class:`RunError` for a malformed id."""
    if not isinstance(run_id, str) or not _ID_RE.fullmatch(run_id):
        raise RunError(f"{run_id!r} is not a valid run id.")
    return models_root(root) / run_id


def create_run(
    config: RunConfig | dict,
    name: str = "",
    user: str = "",
    root: str | os.PathLike | None = None,
) -> Run:
    """Create a queued run holding ``config`` (plus ``library_versions`` unless given).

    ``config`` is a RunConfig, or a JSON-ready dict saved as it is (a job's own payload; read
    back, keys RunConfig does not know land in its ``params``). The folder is assembled out of
    sight and published whole (:mod:`core.storage.publish`).
    """
    root, name = models_root(root), name.strip()
    root.mkdir(parents=True, exist_ok=True)
    data = config.to_dict() if isinstance(config, RunConfig) else dict(config)
    data["library_versions"] = data.get("library_versions") or library_versions()
    config_text = dumps(data)
    for _ in range(20):
        run_id = new_run_id()
        try:
            with publishing(root / run_id) as tmp:  # fails if another run took this id meanwhile
                run = Run(id=run_id, dir=tmp, config=json.loads(config_text), name=name, user=user)
                run.created = datetime.now(UTC)
                with open_atomic(tmp / files.CONFIG) as f:
                    f.write(config_text + "\n")
                write_json(tmp / files.META, {"name": name, "user": user})
                write_json(tmp / files.STATUS, run._status_dict())
        except FileExistsError:
            continue
        run.dir = root / run_id
        quota.claim("runs", run.dir, user)
        return run
    raise RunError(f"Could not find a free run id in {root}.")


def list_runs(root: str | os.PathLike | None = None, details: bool = True) -> list[Run]:
    """All runs, newest first; damaged ones are included, marked failed with the reason.

    Without ``details`` only the status of each run is read (see :meth:`Run.from_dir`).
    """
    root = models_root(root)
    if not root.is_dir():
        return []
    runs = []
    for path in root.iterdir():
        if path.name.startswith(".") or not _ID_RE.fullmatch(path.name) or not path.is_dir():
            continue
        run = Run.from_dir(path, details)
        if run.status is RunStatus.FAILED and not path.is_dir():  # deleted while we read it
            continue
        runs.append(run)
    oldest = datetime.min.replace(tzinfo=UTC)
    runs.sort(key=lambda r: (r.created or oldest, r.id), reverse=True)
    return runs


def load_run(run_id: str, root: str | os.PathLike | None = None) -> Run:
    """Read run ``run_id``; raises :class:`RunError` if there is no such run."""
    path = run_dir(run_id, root)
    run = Run.from_dir(path)
    if not path.is_dir():  # never there, or deleted while it was read
        raise RunError(f"There is no run {run_id!r} (it may have been deleted).")
    return run


def rename_run(
    run_id: str, name: str, root: str | os.PathLike | None = None, actor: Actor | None = None
) -> Run:
    """Give run ``run_id`` a display name (an empty name shows the id instead).

    Only its owner or an admin may (``actor`` None: the local user; see core.access).
    """
    return _update_meta(run_id, root, actor, "rename this run", name=name.strip())


#: Tags: short words (letters, digits, ``. _ - + :``), at most this many per run.
MAX_TAGS = 20
_TAG_RE = re.compile(r"[\w.+:-]{1,40}")


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags stripped, without duplicates, in the order given; ParamsError for a malformed one.

    >>> clean_tags([" baseline", "keras", "baseline", ""])
    ['baseline', 'keras']
    """
    from core.errors import ParamsError

    cleaned = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    for tag in cleaned:
        if not _TAG_RE.fullmatch(tag):
            raise ParamsError(
                f"Tag {tag!r}: use up to 40 letters, digits or . _ - + : (no spaces or commas)."
            )
    if len(cleaned) > MAX_TAGS:
        raise ParamsError(f"At most {MAX_TAGS} tags per run, got {len(cleaned)}.")
    return cleaned


def tag_run(
    run_id: str,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    root: str | os.PathLike | None = None,
    actor: Actor | None = None,
) -> Run:
    """Add and remove tags of run ``run_id`` (owner or admin only, like :func:`rename_run`)."""
    gone = set(clean_tags(remove))
    run = load_run(run_id, root)
    tags = [t for t in clean_tags([*run.tags, *add]) if t not in gone]
    return _update_meta(run_id, root, actor, "tag this run", tags=tags)


def note_run(
    run_id: str, notes: str, root: str | os.PathLike | None = None, actor: Actor | None = None
) -> Run:
    """Replace the notes of run ``run_id`` (owner or admin only, like :func:`rename_run`)."""
    from core.errors import ParamsError

    if len(notes) > MAX_NOTES:
        raise ParamsError(f"Notes are limited to {MAX_NOTES} characters, got {len(notes)}.")
    return _update_meta(run_id, root, actor, "write notes on this run", notes=notes.strip())


#: The longest notes a run keeps, in characters.
MAX_NOTES = 10_000


def _update_meta(
    run_id: str, root: str | os.PathLike | None, actor: Actor | None, action: str, **changes: Any
) -> Run:
    """Rewrite ``meta.json`` with ``changes`` under the run's lock, keeping its other keys."""
    from core.policy import authorize

    run = load_run(run_id, root)
    authorize(actor, action, owner=run.user)
    with _locked(run.dir):
        try:
            meta = _read_json(run.dir / files.META)
        except (OSError, ValueError):
            meta = {"name": run.name, "user": run.user}
        meta = {**(meta if isinstance(meta, dict) else {}), **changes}
        write_json(run.dir / files.META, meta)
    return Run.from_dir(run.dir)


#: One line per deleted run (id, name, owner, who deleted it, when, its models folder), kept in
#: the data folder (the settings' ``data_dir``) beside the server's other state.
DELETIONS_LOG = ".deletions.jsonl"


def delete_run(
    run_id: str, root: str | os.PathLike | None = None, actor: Actor | None = None
) -> None:
    """Delete run ``run_id`` and its files; a queued or running run must be cancelled first.

    Only its owner or an admin may (``actor`` None: the local user; see core.access); who
    deleted it is appended to :data:`DELETIONS_LOG` in the data folder.
    """
    from core.policy import authorize

    run = load_run(run_id, root)
    actor = authorize(actor, "delete this run", owner=run.user)
    with _locked(run.dir):
        run = Run.from_dir(run.dir)
        if run.status.active:
            raise RunError(
                f"Run {run.label!r} is {run.status.value}: cancel it before deleting it."
            )
        discard(run.dir)
    record = {"id": run.id, "name": run.name, "owner": run.user, "by": actor.user, "at": _now()}
    record["models"] = str(models_root(root).resolve())
    data_dir = settings.current().data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / DELETIONS_LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
