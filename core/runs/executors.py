"""Executors: how a training run's folds are trained, chosen by ``GENRELAB_EXECUTOR``.

``local`` (the default) trains the folds one after another in the run's worker process. ``ray``
sends each fold to a Ray cluster as one task (``GENRELAB_RAY_ADDRESS``: a cluster's address,
or ``local`` to start a Ray on this machine), so folds train in parallel where the cluster has
room. Either way the folds are computed once, by the caller, folds an earlier attempt of the
run completed are kept (a resumed run, see :func:`core.runs.jobs.resume`), and each other fold
is trained by
:func:`train_and_write_fold`, which publishes the fold's folder (``fold_<i>/``) into the run
folder by rename: a fold is there complete or not at all, and the run folder reads the same
whichever executor wrote it.

On Ray the inputs travel through Ray's object store (the data folder need not be shared); each
task writes its fold and progress events into the run folder itself, so **the models folder
must be shared**, at the same path, by the app and every Ray node. A task whose worker dies is
retried ``GENRELAB_RAY_MAX_RETRIES`` times; then the fold is recorded failed (a ``fold_failed``
event) and the run fails with the reason. Cancelling the run cancels its tasks
(``ray.cancel(force=True)``). An unreachable cluster raises :class:`ClusterUnreachable` within
``GENRELAB_RAY_CONNECT_TIMEOUT`` seconds.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np

from core import settings
from core.errors import Cancelled, GenreLabError, RunError
from core.runs import files
from core.runs.events import Event, FoldFailed, Stage
from core.runs.registry import Run
from core.storage.atomic import fsync_dir, write_json
from core.training.config import TrainConfig
from core.training.kfold import train_one_fold
from core.training.loop import FoldResult, save_weights

if TYPE_CHECKING:
    import pandas as pd

Emit = Callable[[Event | dict[str, Any]], None]
Fold = tuple[np.ndarray, ...]  # (train, test) or (train, test, valid) rows
#: Seconds between two looks at the Ray tasks (and at the cancel flag).
POLL_S = 0.5


class ExecutorError(GenreLabError):
    """A run's folds could not be trained by its executor."""


class ClusterUnreachable(ExecutorError):
    """The Ray cluster named by ``GENRELAB_RAY_ADDRESS`` does not answer."""


@dataclass(frozen=True)
class FoldJob:
    """What training one fold needs besides the arrays: where to write it and what to train."""

    run_dir: str
    config: dict[str, Any]  # the run's config.json
    fold: Fold
    index: int
    k: int
    n_classes: int
    clips: pd.DataFrame  # track_id, genre, artist of every row of X
    labels: list[str]

    @property
    def train(self) -> TrainConfig:
        """The training settings."""
        return TrainConfig.from_dict(self.config["train"])


@dataclass(frozen=True)
class FoldOutcome:
    """What a trained fold reports back (its files are in the run folder)."""

    fold: int
    test_acc: float
    best_epoch: int
    seconds: float
    input_shape: tuple[int, int, int]


def train_and_write_fold(
    X: np.ndarray,
    y: np.ndarray,
    job: FoldJob,
    on_event: Emit | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> FoldOutcome:
    """Train fold ``job.index`` and publish its folder in the run folder; the unit of work of
    every executor. Events go to ``on_event`` (default: the run's events file)."""
    run_dir = Path(job.run_dir)
    if not run_dir.is_dir():
        raise ExecutorError(
            f"{socket.gethostname()} does not see the run folder {run_dir}: the models folder "
            "must be shared, at the same path, by the app and every Ray node."
        )
    run = Run(id=run_dir.name, dir=run_dir, config=job.config)
    emit = on_event or run.append_event
    stop = should_stop or run.cancel_requested
    result = train_one_fold(X, y, job.fold, job.index, job.k, job.train, job.n_classes, emit, stop)
    return write_fold(run, result, y[result.test_idx], job.clips, job.labels)


def write_fold(
    run: Run, result: FoldResult, true: np.ndarray, clips: pd.DataFrame, labels: list[str]
) -> FoldOutcome:
    """Write a trained fold's weights, history, predictions, confusion matrix (``true``: the
    test clips' labels) and outcome, assembled in a hidden folder and renamed to ``fold_<i>/``
    (replacing an earlier attempt's); returns the outcome."""
    import pandas as pd

    from core.evaluation.metrics import confusion

    i = result.fold
    staging = run.dir / f".tmp-{files.fold_name(i)}-{os.getpid()}-{secrets.token_hex(4)}"
    stage = Run(id=run.id, dir=staging, config=run.config)
    staging.mkdir()
    try:
        save_weights(result.model, stage.model_path(i))
        stage.write_history(i, result.history)
        predicted = result.test_proba.argmax(axis=1)
        table = pd.DataFrame(
            {
                "track_id": clips["track_id"].to_numpy()[result.test_idx],
                "true": [labels[t] for t in true],
                "predicted": [labels[p] for p in predicted],
            }
        )
        probs = pd.DataFrame(result.test_proba, columns=labels)
        stage.write_predictions(i, pd.concat([table, probs], axis=1))
        stage.write_confusion(i, confusion(table["true"], table["predicted"], labels), labels)
        outcome = FoldOutcome(
            i,
            float(result.test_acc),
            int(result.best_epoch),
            float(result.seconds),
            tuple(int(n) for n in result.input_shape),
        )
        write_json(stage.fold_dir(i, create=False) / files.OUTCOME, dataclasses.asdict(outcome))
        _publish(stage.fold_dir(i, create=False), run.fold_dir(i, create=False))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return outcome


def kept_fold(run: Run, job: FoldJob) -> FoldOutcome | None:
    """The outcome of fold ``job.index`` as an earlier attempt of ``run`` wrote it, when its
    folder is complete (weights, predictions, outcome) and tested exactly the clips the fold
    tests now; None otherwise (the fold is trained again)."""
    from core.runs.validate import read_json

    fold = run.fold_dir(job.index, create=False)
    try:
        record = read_json(fold / files.OUTCOME, dict)
        tested = run.read_predictions(job.index)["track_id"].astype(str).tolist()
        outcome = FoldOutcome(**{**record, "input_shape": tuple(record["input_shape"])})
    except (OSError, RunError, KeyError, TypeError, ValueError):
        return None
    expected = job.clips["track_id"].astype(str).to_numpy()[job.fold[1]].tolist()
    if tested != expected or not run.model_path(job.index).is_file():
        return None
    return outcome


def _publish(tmp: Path, dest: Path) -> None:
    """Rename the finished folder ``tmp`` to ``dest``, swapping out an older ``dest``."""
    if dest.exists():
        old = dest.with_name(f".trash-{dest.name}-{os.getpid()}-{secrets.token_hex(4)}")
        os.rename(dest, old)
        shutil.rmtree(old, ignore_errors=True)
    os.rename(tmp, dest)
    fsync_dir(dest.parent)


def run_folds(
    run: Run,
    X: np.ndarray,
    y: np.ndarray,
    clips: pd.DataFrame,
    labels: list[str],
    folds: Sequence[Fold],
    on_event: Emit,
    should_stop: Callable[[], bool],
) -> list[FoldOutcome]:
    """Train every fold of ``run`` (rows of ``X``, labels ``y`` indexing ``labels``, clips
    ``clips``) with the executor the settings name; outcomes by fold. A fold an earlier
    attempt of the run completed is kept (see :func:`kept_fold`): a resumed run trains only
    the folds it is missing.

    Raises Cancelled when ``should_stop()`` turns true, :class:`ExecutorError` (with the
    reason) when a fold fails, :class:`ClusterUnreachable` when Ray is chosen but not there.
    """
    n_classes, k = int(np.max(y)) + 1, len(folds)
    jobs, kept = [], []
    for i, fold in enumerate(folds):
        job = FoldJob(str(run.dir), run.config, fold, i, k, n_classes, clips, labels)
        outcome = kept_fold(run, job)
        if outcome is None:
            jobs.append(job)
        else:
            kept.append(outcome)
            on_event(Stage(f"fold {i + 1} of {k} kept from the earlier attempt"))
    if settings.current().executor == "ray":
        trained = _run_on_ray(X, y, jobs, should_stop) if jobs else []
    else:
        trained = [train_and_write_fold(X, y, job, on_event, should_stop) for job in jobs]
    return sorted([*kept, *trained], key=lambda o: o.fold)


# ---- Ray -------------------------------------------------------------------------------------


def connect_ray(address: str | None = None, timeout: float | None = None) -> None:
    """Connect this process to Ray (once): start one here for ``local``, else join the cluster
    at ``address`` after checking, within ``timeout`` seconds, that it answers.

    Raises :class:`ClusterUnreachable` with the address and the reason.
    """
    import ray

    if ray.is_initialized():
        return
    address = address or settings.current().ray_address
    job_config = ray.job_config.JobConfig(code_search_path=[str(settings.ROOT)])
    options: dict[str, Any] = {"log_to_driver": False, "job_config": job_config}
    if address == "local":
        ray.init(include_dashboard=False, **options)
        return
    _probe(address, settings.current().ray_connect_timeout if timeout is None else timeout)
    try:
        ray.init(address=address, **options)
    except (ConnectionError, TimeoutError, RuntimeError) as exc:
        raise ClusterUnreachable(f"Could not join the Ray cluster at {address}: {exc}") from exc


def _probe(address: str, timeout: float) -> None:
    """Raise ClusterUnreachable unless something accepts connections at ``address``."""
    parts = urlsplit(address if "://" in address else f"ray://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise ClusterUnreachable(
            f"GENRELAB_RAY_ADDRESS must be host:port, ray://host:port or local, not {address!r}."
        )
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise ClusterUnreachable(
            f"The Ray cluster at {address} does not answer ({exc}). Start it, check "
            "GENRELAB_RAY_ADDRESS, or set GENRELAB_EXECUTOR=local."
        ) from exc


def _fold_task(X: np.ndarray, y: np.ndarray, job: FoldJob) -> FoldOutcome:
    """A fold as run inside a Ray worker (its arrays come from the object store)."""
    return train_and_write_fold(X, y, job)


def _run_on_ray(
    X: np.ndarray, y: np.ndarray, jobs: list[FoldJob], should_stop: Callable[[], bool]
) -> list[FoldOutcome]:
    import ray

    connect_ray()
    now = settings.current()
    cpus, retries = now.ray_cpus_per_fold, now.ray_max_retries
    threads = str(max(1, int(cpus)))
    task = ray.remote(_fold_task).options(
        num_cpus=cpus,
        num_gpus=now.ray_gpus_per_fold,
        max_retries=retries,
        # each fold's framework gets the threads its task reserved: parallel folds share the
        # cores instead of oversubscribing them
        runtime_env={"env_vars": {"GENRELAB_TRAIN_THREADS": threads, "OMP_NUM_THREADS": threads}},
    )
    X_ref, y_ref = ray.put(X), ray.put(y)
    pending = {task.remote(X_ref, y_ref, job): job for job in jobs}
    outcomes: list[FoldOutcome] = []
    try:
        while pending:
            if should_stop():
                raise Cancelled("The run was cancelled.")
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_S)
            for ref in ready:
                job = pending.pop(ref)
                outcomes.append(_outcome(ref, job, retries))
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
    return sorted(outcomes, key=lambda o: o.fold)


def _outcome(ref: Any, job: FoldJob, retries: int) -> FoldOutcome:
    """The finished task's outcome; a failed fold is recorded and raised as ExecutorError."""
    import ray

    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = exc.cause
        if isinstance(cause, GenreLabError) and not isinstance(cause, ExecutorError):
            raise cause from None
        reason = f"{type(cause).__name__}: {cause}"
    except ray.exceptions.RayError as exc:
        died = f"its Ray worker died ({type(exc).__name__})"
        reason = f"{died}, also on each of {retries} retries" if retries else died
    run = Run(id=Path(job.run_dir).name, dir=Path(job.run_dir), config=job.config)
    run.append_event(FoldFailed(fold=job.index, k=job.k, error=reason, time=time.time()))
    raise ExecutorError(f"Fold {job.index + 1} of {job.k} failed: {reason}")
