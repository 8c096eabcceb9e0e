"""Background jobs (core.runs.jobs and .worker) with real scheduler and worker processes.

The executors below run inside worker processes, which import them as ``tests.test_jobs``;
the ``jobs_root`` fixture allows the ``tests`` package through ``GENRELAB_EXECUTOR_PACKAGES``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from core.errors import Cancelled, ParamsError
from core.runs import Run, RunError, RunStatus, create_run, delete_run, jobs, list_runs, load_run
from core.settings import ROOT
from tests.conftest import dead_pid

TIMEOUT_S = 30.0


# ---- executors (run in the worker processes) ---------------------------------------------------


def quick(run: Run, on_event: Callable, should_stop: Callable) -> None:
    """Report an epoch, work for ``config["seconds"]``, write when it ran as the summary."""
    start = time.time()
    on_event({"type": "epoch", "epoch": 1, "val_acc": 0.5})
    time.sleep(run.config.get("seconds", 0.3))
    run.write_summary({"start": start, "end": time.time(), "pid": os.getpid()})


def patient(run: Run, on_event: Callable, should_stop: Callable) -> None:
    """Emit ticks until asked to stop, as a trainer polls between batches."""
    tick = 0
    while not should_stop():
        on_event({"type": "tick", "tick": tick})
        tick += 1
        time.sleep(0.05)
    raise Cancelled("training was cancelled")


def stubborn(run: Run, on_event: Callable, should_stop: Callable) -> None:
    """Never checks ``should_stop`` (optionally ignoring SIGTERM too)."""
    if run.config.get("ignore_sigterm"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    on_event({"type": "started"})
    while True:
        time.sleep(0.05)


def broken(run: Run, on_event: Callable, should_stop: Callable) -> None:
    raise ValueError("3 clips but 4 labels")


def killed(run: Run, on_event: Callable, should_stop: Callable) -> None:
    """Dies the way an out-of-memory kill does."""
    os.kill(os.getpid(), signal.SIGKILL)


def job(executor: str, **config) -> dict:
    return {"executor": f"tests.test_jobs:{executor}", **config}


# ---- helpers ---------------------------------------------------------------------------------


def wait_for(predicate: Callable, what: str, timeout: float = TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def wait_finished(root, run_id: str) -> Run:
    return wait_for(
        lambda: (r := load_run(run_id, root)) and not r.status.active and r,
        f"run {run_id} to finish",
    )


def scheduler_running(root) -> bool:
    return jobs.scheduler_running(root)


@pytest.fixture
def jobs_root(tmp_path, monkeypatch):
    """A models folder of its own; afterwards nothing is left running."""
    monkeypatch.setenv("GENRELAB_EXECUTOR_PACKAGES", "core,tests")
    monkeypatch.setenv(jobs.CONCURRENCY_ENV, "1")
    root = tmp_path / "models"
    yield root
    for run in list_runs(root):
        if run.status.active:
            jobs.cancel(run.id, root)
    wait_for(lambda: not scheduler_running(root), "the scheduler to exit")


# ---- tests -----------------------------------------------------------------------------------


def test_jobs_run_one_at_a_time_in_submission_order(jobs_root):
    ids = [jobs.submit(job("quick"), name=f"job {i}", root=jobs_root).id for i in range(3)]
    runs = [wait_finished(jobs_root, run_id) for run_id in ids]

    assert [r.status for r in runs] == [RunStatus.COMPLETED] * 3
    assert [r.name for r in runs] == ["job 0", "job 1", "job 2"]
    for before, after in zip(runs, runs[1:], strict=False):
        assert before.summary["end"] <= after.summary["start"]  # in order, never overlapping
        assert before.finished <= after.started
    events, _ = runs[0].read_events()
    assert events[0]["type"] == "epoch" and events[0]["val_acc"] == 0.5
    assert len({r.pid for r in runs}) == 3 and all(r.summary["pid"] == r.pid for r in runs)
    wait_for(lambda: not scheduler_running(jobs_root), "the idle scheduler to exit")
    log = (jobs_root / jobs.LOG_NAME).read_text()
    assert "scheduler started" in log and "scheduler exits" in log


def test_concurrency_runs_jobs_side_by_side(jobs_root):
    ids = [
        jobs.submit(job("quick", seconds=1.5), root=jobs_root, concurrency=2).id for _ in range(2)
    ]
    a, b = (wait_finished(jobs_root, run_id) for run_id in ids)
    assert a.status is b.status is RunStatus.COMPLETED
    assert b.summary["start"] < a.summary["end"]  # the second started before the first ended


def test_failures_are_recorded_and_the_queue_goes_on(jobs_root):
    killed_run = jobs.submit(job("killed"), root=jobs_root)
    broken_run = jobs.submit(job("broken"), root=jobs_root)
    last = jobs.submit(job("quick", seconds=0.0), root=jobs_root)

    killed_run = wait_finished(jobs_root, killed_run.id)
    assert killed_run.status is RunStatus.FAILED
    assert "worker process died (exit code -9, SIGKILL)" in killed_run.error

    broken_run = wait_finished(jobs_root, broken_run.id)
    assert broken_run.status is RunStatus.FAILED
    assert broken_run.error == "ValueError: 3 clips but 4 labels"
    traceback_text = (broken_run.dir / "error.txt").read_text()
    assert "Traceback" in traceback_text and 'raise ValueError("3 clips' in traceback_text

    assert wait_finished(jobs_root, last.id).status is RunStatus.COMPLETED


def test_cancel_a_queued_and_a_running_job(jobs_root):
    running = jobs.submit(job("patient"), root=jobs_root)
    queued = jobs.submit(job("quick"), root=jobs_root)
    wait_for(lambda: load_run(running.id, jobs_root).status is RunStatus.RUNNING, "running")

    # Progress is readable while the worker appends to it.
    first, offset = wait_for(lambda: (got := running.read_events())[0] and got, "ticks")
    later, _ = wait_for(lambda: (got := running.read_events(offset))[0] and got, "more ticks")
    assert later[0]["tick"] == first[-1]["tick"] + 1  # nothing lost, nothing read twice

    assert jobs.cancel(queued.id, jobs_root).status is RunStatus.CANCELLED  # at once
    with pytest.raises(RunError, match="cancel it before deleting"):
        delete_run(running.id, jobs_root)
    jobs.cancel(running.id, jobs_root)
    running = wait_finished(jobs_root, running.id)
    assert running.status is RunStatus.CANCELLED and running.error is None

    queued = load_run(queued.id, jobs_root)
    assert queued.status is RunStatus.CANCELLED and queued.started is None
    assert queued.summary is None  # it never ran
    assert jobs.cancel(running.id, jobs_root).status is RunStatus.CANCELLED  # no-op when done
    delete_run(running.id, jobs_root)
    delete_run(queued.id, jobs_root)
    assert list_runs(jobs_root) == []


def test_workers_that_ignore_cancel_are_terminated_then_killed(jobs_root):
    polite = create_run(job("stubborn"), root=jobs_root)
    deaf = create_run(job("stubborn", ignore_sigterm=True), root=jobs_root)
    assert jobs.ensure_scheduler(jobs_root, concurrency=2, cancel_grace=0.5)
    for run in (polite, deaf):
        wait_for(lambda r=run: r.read_events()[0], f"{run.id} to start")
    assert not jobs.ensure_scheduler(jobs_root)  # one scheduler per folder, and it is running
    for run in (polite, deaf):
        jobs.cancel(run.id, jobs_root)
    polite, deaf = wait_finished(jobs_root, polite.id), wait_finished(jobs_root, deaf.id)
    assert polite.status is deaf.status is RunStatus.CANCELLED
    log = (jobs_root / jobs.LOG_NAME).read_text()
    assert f"run {polite.id}: worker exited with code 0" in log  # SIGTERM -> Cancelled
    assert f"run {deaf.id}: worker exited with code -9" in log  # then SIGKILL


def test_runs_left_running_by_dead_workers_are_marked_failed(jobs_root):
    orphan = create_run(job("quick"), root=jobs_root)
    orphan.set_status(RunStatus.RUNNING, pid=dead_pid())
    recycled = create_run(job("quick"), root=jobs_root)
    recycled.set_status(RunStatus.RUNNING, pid=os.getpid())  # alive, but not its worker:
    status = json.loads((recycled.dir / "status.json").read_text())
    status["pid_started"] -= 1  # the pid was another process's when the run started
    (recycled.dir / "status.json").write_text(json.dumps(status))
    legacy = create_run(job("quick"), root=jobs_root)  # recorded before start times were
    legacy.set_status(RunStatus.RUNNING, pid=os.getpid())
    status = json.loads((legacy.dir / "status.json").read_text())
    (legacy.dir / "status.json").write_text(json.dumps({**status, "pid_started": None}))

    assert jobs.ensure_scheduler(jobs_root)
    for run_id in (orphan.id, recycled.id, legacy.id):
        run = wait_finished(jobs_root, run_id)
        assert run.status is RunStatus.FAILED
        assert "worker process is no longer running" in run.error


def test_a_run_trained_in_this_process_reads_as_running(tmp_path):
    """train_now records this process (no run id in its command line) as the run's worker."""
    run = create_run(job("quick"), root=tmp_path)
    run.set_status(RunStatus.RUNNING, pid=os.getpid())
    assert run.worker_alive()
    status = json.loads((run.dir / "status.json").read_text())
    status["started"] = "2026-01-01T00:00:00+00:00"  # past the grace of a just-claimed run
    (run.dir / "status.json").write_text(json.dumps(status))
    assert load_run(run.id, tmp_path).status is RunStatus.RUNNING


def test_two_processes_submitting_at_once(jobs_root):
    script = (
        "import sys; from core.runs import jobs; "
        "[jobs.submit({'executor': 'tests.test_jobs:quick', 'seconds': 0.1, 'who': sys.argv[1]},"
        " root=sys.argv[2]) for _ in range(2)]"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, who, str(jobs_root)], cwd=ROOT)
        for who in ("a", "b")
    ]
    assert [p.wait(timeout=TIMEOUT_S) for p in procs] == [0, 0]

    runs = [wait_finished(jobs_root, r.id) for r in list_runs(jobs_root)]
    assert len(runs) == 4 and {r.status for r in runs} == {RunStatus.COMPLETED}
    assert sorted(r.config["who"] for r in runs) == ["a", "a", "b", "b"]
    spans = sorted((r.summary["start"], r.summary["end"]) for r in runs)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert end <= start  # one scheduler at a time: with concurrency 1, never two jobs
    assert not list(jobs_root.glob(".tmp-*"))


def test_only_allowed_executors_run(jobs_root, monkeypatch):
    with pytest.raises(ParamsError, match="not allowed"):
        jobs.submit({"executor": "os:system"}, root=jobs_root)
    with pytest.raises(ParamsError, match="must look like"):
        jobs.submit({"executor": "core.runs"}, root=jobs_root)
    assert list_runs(jobs_root) == []

    # A config that did not come through submit (e.g. an imported archive) fails in the worker.
    monkeypatch.setenv("GENRELAB_EXECUTOR_PACKAGES", "core")
    smuggled = create_run({"executor": "tests.test_jobs:quick"}, root=jobs_root)
    missing = create_run({"executor": "core.runs:no_such_function"}, root=jobs_root)
    jobs.ensure_scheduler(jobs_root)
    smuggled, missing = wait_finished(jobs_root, smuggled.id), wait_finished(jobs_root, missing.id)
    assert smuggled.status is RunStatus.FAILED and "is not allowed" in smuggled.error
    assert smuggled.summary is None
    assert missing.status is RunStatus.FAILED and "is not a function" in missing.error


def test_no_scheduler_without_work_and_concurrency_setting(jobs_root, monkeypatch):
    assert not jobs.ensure_scheduler(jobs_root)  # nothing queued: no process started
    done = create_run(job("quick"), root=jobs_root)
    done.set_status(RunStatus.COMPLETED)
    assert not jobs.ensure_scheduler(jobs_root)
    assert not (jobs_root / jobs.LOG_NAME).exists()

    monkeypatch.setenv(jobs.CONCURRENCY_ENV, "3")
    assert jobs.default_concurrency() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(jobs.CONCURRENCY_ENV, bad)
        with pytest.raises(ParamsError, match="GENRELAB_JOB_CONCURRENCY"):
            jobs.default_concurrency()
