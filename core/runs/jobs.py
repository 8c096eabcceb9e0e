"""Background jobs of every kind (training, fault scans, feature builds, demo generation; see
:mod:`core.runs.kinds`): a queue kept in the run folders, shared by all processes.

``submit`` creates a queued run and makes sure a scheduler process is running. The scheduler
(``python -m core.runs.jobs --root ROOT``) is detached from the caller, so Streamlit reruns,
page switches and closed browser tabs do not stop a job, and every session sees the same runs.
It holds an exclusive lock on ``ROOT/.scheduler.lock`` (a second one exits at once), starts
queued runs oldest first, each in its own worker process (:mod:`core.runs.worker`), while
fewer than ``concurrency`` are running, and exits when nothing is queued or running.

A worker that dies (crash, SIGKILL, out of memory) leaves its run failed and the queue goes
on; ``resume`` queues a failed or cancelled training run again, keeping its completed folds.
``cancel`` flags a run: a queued run is cancelled at once, a running worker stops at its next
``should_stop()`` check; one that does not check in time gets SIGTERM after ``cancel_grace``
seconds (raising ``Cancelled`` in the worker), and SIGKILL after as many again.
The scheduler writes its log to ``ROOT/.scheduler.log``, each worker to its run's ``worker.log``.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import settings
from core.runs import Run, RunStatus, create_run, files, list_runs, load_run, models_root
from core.runs.config import RunConfig
from core.runs.events import Resumed
from core.runs.validate import check_config
from core.runs.worker import check_executor
from core.storage.cleanup import clean_leftovers
from core.storage.lock import try_lock

if TYPE_CHECKING:
    from core.policy import Actor

#: Environment variable: how many jobs may run at once (default 1).
CONCURRENCY_ENV = settings.ENV_VARS["job_concurrency"]
#: Seconds a running job may ignore a cancel request before it is terminated.
CANCEL_GRACE_S = 30.0
#: Seconds between two looks at the queue.
POLL_S = 0.25
LOCK_NAME = ".scheduler.lock"
LOG_NAME = ".scheduler.log"


def default_concurrency() -> int:
    """Jobs run at once: ``GENRELAB_JOB_CONCURRENCY`` (default 1, at least 1)."""
    return settings.current().job_concurrency


def submit(
    config: RunConfig | dict,
    name: str = "",
    user: str = "",
    root: str | os.PathLike | None = None,
    concurrency: int | None = None,
) -> Run:
    """Queue a job for ``config`` and make sure the scheduler will start it.

    ``config.kind`` (default ``"train"``, see :mod:`core.runs.kinds`) says what it is and
    ``config.executor`` (default ``core.runs.kinds.train:execute_run``) names the function that
    does the work; see :mod:`core.runs.worker`. Checks no role: :func:`core.access.submit_job`
    is the gate for users. ``concurrency`` only applies when this call starts the scheduler
    (default from ``GENRELAB_JOB_CONCURRENCY``). A training run whose architecture or mel
    settings exceed the bounds every run is loaded with is refused (ParamsError, see
    :func:`core.runs.validate.check_config`).
    """
    typed = RunConfig.coerce(config)
    check_executor(typed.executor)
    check_config(typed)
    run = create_run(config, name=name, user=user, root=root)
    ensure_scheduler(root, concurrency)
    return run


def cancel(run_id: str, root: str | os.PathLike | None = None, actor: Actor | None = None) -> Run:
    """Cancel job ``run_id``: at once if queued, at the worker's next check if running.

    Only its owner or an admin may (AccessError otherwise; ``actor`` None: the local user);
    who cancelled is recorded as a ``cancelled_by`` event. A finished job is left as it is.
    Returns the run as it is now.
    """
    from core.policy import authorize

    run = load_run(run_id, root)
    if run.status.active:
        actor = authorize(actor, "cancel this job", owner=run.user)
        run.append_event({"type": "cancelled_by", "user": actor.user})
        run.request_cancel()
        run.set_status(RunStatus.CANCELLED, only_from=[RunStatus.QUEUED])
    return load_run(run_id, root)


def resume(run_id: str, root: str | os.PathLike | None = None, actor: Actor | None = None) -> Run:
    """Queue the failed or cancelled training run ``run_id`` again: it keeps the folds it
    completed (see :func:`core.runs.executors.kept_fold`), trains the others and writes its
    summary from all of them.

    Only its owner or an admin may (AccessError; ``actor`` None: the local user); who resumed
    and which folds are kept is recorded as a ``resumed`` event. RunError for a damaged run or
    one that is not a failed or cancelled training run. Returns the queued run.
    """
    from core.errors import RunError
    from core.policy import authorize

    run = load_run(run_id, root)
    if run.damaged:
        raise RunError(f"Run {run.label!r} cannot be resumed: {run.damaged}")
    stopped = (RunStatus.FAILED, RunStatus.CANCELLED)
    if run.status not in stopped or run.run_config.train is None:
        raise RunError(
            f"Only a failed or cancelled training run can be resumed; {run.label!r} is a "
            f"{run.status.value} {run.run_config.kind} job."
        )
    actor = authorize(actor, "resume this run", owner=run.user)
    check_config(run.run_config)
    kept = run.completed_folds()
    (run.dir / files.CANCEL).unlink(missing_ok=True)
    (run.dir / files.ERROR).unlink(missing_ok=True)
    run.append_event(Resumed(user=actor.user, kept=kept))
    if not run.set_status(RunStatus.QUEUED, only_from=stopped):
        raise RunError(f"Run {run.label!r} changed meanwhile: it was not resumed.")
    ensure_scheduler(root)
    return load_run(run_id, root)


def ensure_scheduler(
    root: str | os.PathLike | None = None,
    concurrency: int | None = None,
    cancel_grace: float | None = None,
) -> bool:
    """Start a detached scheduler for ``root`` if a run is queued or running and no scheduler
    is; True if one was started.

    Cheap enough to call on every page load, so queued runs never wait for a next submit and
    a run whose worker died unnoticed (its scheduler was killed) is marked failed.
    """
    root = models_root(root).resolve()
    if not any(run.status.active for run in list_runs(root, details=False)):
        return False
    if scheduler_running(root):
        return False
    command = [sys.executable, "-m", "core.runs.jobs", "--root", str(root)]
    command += ["--concurrency", str(concurrency or default_concurrency())]
    if cancel_grace is not None:
        command += ["--cancel-grace", str(cancel_grace)]
    proc = _spawn(command, root / LOG_NAME, start_new_session=True)
    threading.Thread(target=proc.wait, daemon=True).start()  # reap it: no zombie
    return True


def scheduler_running(root: str | os.PathLike | None = None) -> bool:
    """Whether a scheduler holds ``root`` now (its lock is taken)."""
    root = models_root(root)
    if not root.is_dir():
        return False
    lock = try_lock(root / LOCK_NAME)
    if lock is None:
        return True
    lock.release()
    return False


def _spawn(command: list[str], log: Path, **popen: Any) -> subprocess.Popen:
    """Start ``command`` from the checkout with this process's settings, output appended to
    ``log``."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            command,
            cwd=settings.ROOT,
            env=settings.child_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            **popen,
        )


# ---- the scheduler ---------------------------------------------------------------------------


@dataclass
class _Worker:
    run: Run
    proc: subprocess.Popen
    terminated_at: float | None = None


def run_scheduler(
    root: str | os.PathLike | None = None,
    concurrency: int | None = None,
    cancel_grace: float = CANCEL_GRACE_S,
    poll: float = POLL_S,
) -> None:
    """Run queued jobs until none is left; returns at once if another scheduler holds ``root``."""
    root = models_root(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    concurrency = concurrency or default_concurrency()
    lock = try_lock(root / LOCK_NAME)
    if lock is None:
        return
    _log(f"scheduler started (pid {os.getpid()}, concurrency {concurrency})")
    clean_leftovers()
    workers: dict[str, _Worker] = {}
    while True:
        if not _step(root, workers, concurrency, cancel_grace):
            # Release, then look once more: a submit that found the lock still held relies on
            # this last look, and one that comes later finds the lock free and starts its own.
            lock.release()
            if not any(r.status.active for r in list_runs(root, details=False)):
                break
            lock = try_lock(root / LOCK_NAME)
            if lock is None:
                break
        time.sleep(poll)
    _log("scheduler exits: nothing queued or running")


def _step(root: Path, workers: dict[str, _Worker], concurrency: int, grace: float) -> bool:
    """Reap finished workers, fail dead ones, start queued runs; False once all is idle."""
    for run_id, worker in list(workers.items()):
        code = worker.proc.poll()
        if code is None:
            _enforce_cancel(worker, grace)
        else:
            del workers[run_id]
            _log(f"run {run_id}: worker exited with code {code}")
            _record_exit(worker.run, worker.proc.pid, code)
    runs = list_runs(root, details=False)
    busy = len(workers)
    for run in runs:
        if run.status is RunStatus.RUNNING and run.id not in workers:
            if run.worker_alive():
                busy += 1  # started by an earlier scheduler: let it finish
            else:
                _record_exit(run, run.pid, None)
    queued = [r for r in runs if r.status is RunStatus.QUEUED and r.id not in workers]
    queued.sort(key=lambda r: (r.created.timestamp() if r.created else math.inf, r.id))
    for run in queued[: max(0, concurrency - busy)]:
        worker = _start_worker(run)
        if worker is not None:
            workers[run.id] = worker
    return bool(workers) or busy > 0 or bool(queued)


def _start_worker(run: Run) -> _Worker | None:
    command = [sys.executable, "-m", "core.runs.worker", str(run.dir)]
    try:
        proc = _spawn(command, run.dir / files.WORKER_LOG)
    except OSError as exc:
        _set_final(run, RunStatus.FAILED, f"Could not start a worker process: {exc}")
        return None
    _log(f"run {run.id}: started worker pid {proc.pid}")
    return _Worker(run, proc)


def _enforce_cancel(worker: _Worker, grace: float) -> None:
    """SIGTERM a worker that ignores a cancel request for ``grace`` s, SIGKILL after 2x."""
    try:
        requested = (worker.run.dir / files.CANCEL).stat().st_mtime
    except OSError:
        return
    if worker.terminated_at is None:
        if time.time() - requested >= grace:
            _log(f"run {worker.run.id}: worker ignores the cancel request, terminating it")
            worker.proc.terminate()
            worker.terminated_at = time.monotonic()
    elif time.monotonic() - worker.terminated_at >= grace:
        worker.proc.kill()


def _record_exit(run: Run, pid: int | None, code: int | None) -> None:
    """Mark a run whose worker ``pid`` is gone: cancelled if that was asked for, else failed.

    Nothing to do if the run finished, or is run by another worker (one that won the claim).
    """
    current = Run.from_dir(run.dir, details=False)
    if not current.status.active or current.pid not in (None, pid):
        return
    if run.cancel_requested():
        _set_final(run, RunStatus.CANCELLED, None)
        return
    if code is None:
        how = "is no longer running"
    elif code < 0:
        how = f"died (exit code {code}, {_signal_name(-code)})"
    else:
        how = f"died (exit code {code})"
    hint = " It may have run out of memory." if code == -signal.SIGKILL else ""
    error = f"The worker process {how}.{hint} See worker.log in the run folder."
    _set_final(run, RunStatus.FAILED, error)


def _set_final(run: Run, status: RunStatus, error: str | None) -> None:
    try:
        run.set_status(status, error, only_from=[RunStatus.QUEUED, RunStatus.RUNNING])
    except (OSError, ValueError, KeyError) as exc:  # deleted or damaged: nothing to record
        _log(f"run {run.id}: could not record {status.value}: {exc}")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Command line entry of the scheduler (started by :func:`ensure_scheduler`)."""
    parser = argparse.ArgumentParser(prog="python -m core.runs.jobs", description=__doc__)
    parser.add_argument("--root", type=Path, default=None, help="models folder")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--cancel-grace", type=float, default=CANCEL_GRACE_S)
    args = parser.parse_args(argv)
    run_scheduler(args.root, args.concurrency, args.cancel_grace)


if __name__ == "__main__":
    main()
