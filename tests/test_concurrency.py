"""Collaborators at once, with real processes: nothing is corrupted, errors stay typed.

Each scenario starts spawned processes that wait on one barrier, so they really overlap. The
functions the children run live here (imported as ``tests.test_concurrency``); so does the
executor the scheduler's workers run (the ``tests`` package is allowed through
``GENRELAB_EXECUTOR_PACKAGES``), so this module imports little at its top: every worker
process imports it.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
import traceback
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from core.errors import GenreLabError
from core.runs import Run, RunError, RunStatus, create_run, delete_run, jobs, list_runs, load_run

CTX = multiprocessing.get_context("spawn")
TIMEOUT_S = 120.0
N_JOBS = 3  # per submitter
N_READ = 15  # runs deleted while being read


# ---- run in the workers and child processes --------------------------------------------------


def write_results(run: Run) -> None:
    """What a trained run writes: predictions, history and confusion of fold 0, a summary."""
    import pandas as pd

    run.write_predictions(0, pd.DataFrame({"track_id": ["a.00000"], "true": ["a"]}))
    run.write_history(0, [{"epoch": 1, "train_loss": 1.0}])
    run.write_confusion(0, [[1]], ["a"])
    run.write_summary({"mean_acc": 1.0, "labels": ["a"]})


def quick(run: Run, on_event: Callable, should_stop: Callable) -> None:
    """A job that finishes at once."""
    on_event({"type": "epoch", "epoch": 1})
    write_results(run)


def hold(run: Run, on_event: Callable, should_stop: Callable) -> None:
    """A job that runs until it is cancelled."""
    while not should_stop():
        time.sleep(0.05)
    from core.errors import Cancelled

    raise Cancelled("cancelled")


def _submit_jobs(root: str, tag: str, n: int, done_file: str) -> list[str]:
    config = {"executor": "tests.test_concurrency:quick"}
    ids = [jobs.submit(config, name=f"{tag} {i}", root=root).id for i in range(n)]
    Path(done_file).touch()
    return ids


def _check_run(run: Run, anomalies: list[str]) -> None:
    """A listed or loaded run must be whole: its config read, never 'damaged' by a deletion."""
    if not run.config or (run.error and "damaged" in run.error):
        anomalies.append(f"half a run {run.id}: {run.status} {run.error}")


def _watch_and_delete(root: str, stop_file: str) -> dict:
    """List runs in a loop, read and delete the finished ones, until ``stop_file`` appears."""
    anomalies: list[str] = []
    loops = deleted = 0
    while not Path(stop_file).exists():
        loops += 1
        try:
            for run in list_runs(root):
                _check_run(run, anomalies)
                if run.status is RunStatus.COMPLETED:
                    run.read_predictions(0)
                    delete_run(run.id, root)
                    deleted += 1
        except RunError:
            pass  # a typed error: another process got there first
        except Exception:
            anomalies.append(traceback.format_exc())
    return {"loops": loops, "deleted": deleted, "anomalies": anomalies}


def _read_while_deleted(root: str, ids: list[str]) -> dict:
    """Read every run over and over while another process deletes them."""
    anomalies: list[str] = []
    typed = reads = 0
    while True:
        left = 0
        for run_id in ids:
            try:
                run = load_run(run_id, root)
                _check_run(run, anomalies)
                run.read_predictions(0)
                run.read_history(0)
                run.read_confusion(0)
                reads += 1
                left += 1
            except RunError:
                typed += 1
            except Exception:
                anomalies.append(traceback.format_exc())
        if not left:
            return {"reads": reads, "typed_errors": typed, "anomalies": anomalies}


def _delete_all(root: str, ids: list[str]) -> int:
    for run_id in ids:
        delete_run(run_id, root)
        time.sleep(0.01)
    return len(ids)


def _upload_and_open(name: str, data: bytes) -> tuple[str, int]:
    from core.dataset import discover
    from core.dataset.library import save_upload

    dataset = discover(save_upload(name, data))
    return str(dataset.root), len(dataset.manifest)


def _submit_capped(root: str, user: str, cap: int) -> str:
    from core.access import AccessError, submit_job

    config = {"executor": "tests.test_concurrency:hold"}
    try:
        return submit_job(config, "capped", user, cap=cap, root=root).id
    except AccessError:
        return "refused"


def _child(fn: Callable, args: tuple, barrier, results) -> None:
    barrier.wait()
    try:
        results.put((fn.__name__, "ok", fn(*args)))
    except BaseException:
        results.put((fn.__name__, "error", traceback.format_exc()))


# ---- helpers ---------------------------------------------------------------------------------


def run_together(calls: list[tuple[Callable, tuple]], on_started: Callable | None = None) -> list:
    """Run ``fn(*args)`` for each call in its own spawned process, all released at once.

    ``on_started`` runs in this process meanwhile and may end a looping child (it returns
    when the others are done). Returns the results in call order; a child's exception fails
    the test with its traceback.
    """
    barrier, results = CTX.Barrier(len(calls)), CTX.Queue()
    procs = [CTX.Process(target=_child, args=(fn, args, barrier, results)) for fn, args in calls]
    for proc in procs:
        proc.start()
    try:
        if on_started is not None:
            on_started()
        collected = [results.get(timeout=TIMEOUT_S) for _ in calls]
    except queue.Empty:
        pytest.fail("a child process did not answer in time")
    finally:
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
    failed = [out for _, status, out in collected if status == "error"]
    assert not failed, failed[0]
    by_name: dict[str, list] = {}
    for name, _, out in collected:
        by_name.setdefault(name, []).append(out)
    return [by_name[fn.__name__].pop(0) for fn, _ in calls]


def wait_for(predicate: Callable, what: str, timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def scheduler_idle(root: Path) -> bool:
    return not jobs.scheduler_running(root)


@pytest.fixture
def jobs_root(tmp_path, monkeypatch):
    """A models folder whose jobs may run this module's executors; nothing left running."""
    monkeypatch.setenv("GENRELAB_EXECUTOR_PACKAGES", "core,tests")
    monkeypatch.setenv(jobs.CONCURRENCY_ENV, "2")
    root = tmp_path / "models"
    root.mkdir()
    yield root
    for run in list_runs(root):
        if run.status.active:
            jobs.cancel(run.id, root)
    wait_for(lambda: scheduler_idle(root), "the scheduler to exit")


def leftovers(root: Path) -> list[str]:
    """Half-made or half-deleted folders (``.tmp-``, ``.trash-``, ``.import-``) in ``root``."""
    return [p.name for p in root.iterdir() if p.name.startswith((".tmp-", ".trash-", ".import"))]


# ---- tests -------------------------------------------------------------------------------------


def test_two_submitters_and_a_deleter(jobs_root, tmp_path):
    stop, done = tmp_path / "stop", [tmp_path / "alice.done", tmp_path / "bob.done"]

    def when_all_finished() -> None:
        wait_for(lambda: all(p.exists() for p in done), "both submitters")
        wait_for(
            lambda: (
                not any(r.status.active for r in list_runs(jobs_root, details=False))
                and scheduler_idle(jobs_root)
            ),
            "every job to finish",
        )
        stop.touch()

    a, b, watch = run_together(
        [
            (_submit_jobs, (str(jobs_root), "alice", N_JOBS, str(done[0]))),
            (_submit_jobs, (str(jobs_root), "bob", N_JOBS, str(done[1]))),
            (_watch_and_delete, (str(jobs_root), str(stop))),
        ],
        on_started=when_all_finished,
    )
    submitted = a + b
    assert len(set(submitted)) == 2 * N_JOBS
    assert watch["anomalies"] == [] and watch["loops"] > 1
    remaining = {r.id: r for r in list_runs(jobs_root)}
    assert set(remaining) <= set(submitted)
    assert all(r.status is RunStatus.COMPLETED for r in remaining.values())
    assert watch["deleted"] + len(remaining) == 2 * N_JOBS  # all completed, some deleted
    assert leftovers(jobs_root) == []


def test_deleting_runs_while_another_process_reads_them(tmp_path):
    root = tmp_path / "models"
    ids = []
    for i in range(N_READ):
        run = create_run({"train": {}}, name=f"run {i}", root=root)
        write_results(run)
        run.set_status(RunStatus.COMPLETED)
        ids.append(run.id)

    reader, deleted = run_together(
        [(_read_while_deleted, (str(root), ids)), (_delete_all, (str(root), ids))]
    )
    assert deleted == N_READ
    assert reader["anomalies"] == []
    assert reader["typed_errors"] >= N_READ  # every run was seen gone, as a RunError
    assert list_runs(root) == [] and leftovers(root) == []


def test_two_uploads_of_the_same_archive(tmp_path, monkeypatch):
    from tests.conftest import write_tone

    data_dir = tmp_path / "data"
    monkeypatch.setenv("GENRELAB_DATA_DIR", str(data_dir))  # the children's settings
    folder = tmp_path / "src"
    for genre in ("blues", "rock"):
        for i in range(3):
            write_tone(folder / genre / f"{genre}.0000{i}.wav", seconds=0.2, freq=200 + 100 * i)
    archive = tmp_path / "mini.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*.wav")):
            zf.write(path, path.relative_to(folder).as_posix())

    first, second = run_together([(_upload_and_open, ("mini.zip", archive.read_bytes()))] * 2)
    assert first == second and first[1] == 6
    unpacked = sorted(p.name for p in (data_dir / "unpacked").iterdir())
    uploads = sorted(p.name for p in (data_dir / "uploads").iterdir())
    assert len(unpacked) == 1 and not unpacked[0].startswith(".")  # one folder, no temporaries
    assert len(uploads) == 1 and uploads[0].endswith(".zip")


def test_the_queue_cap_holds_for_simultaneous_submits(jobs_root):
    results = run_together([(_submit_capped, (str(jobs_root), "carol", 1))] * 3)
    assert sorted(results).count("refused") == 2
    [run] = [r for r in list_runs(jobs_root) if r.user == "carol"]
    assert run.id in results


def test_errors_stay_typed_after_deletion(tmp_path):
    root = tmp_path / "models"
    run = create_run({"train": {}}, root=root)
    write_results(run)
    run.set_status(RunStatus.COMPLETED)
    delete_run(run.id, root)
    for read in (lambda: load_run(run.id, root), lambda: run.read_predictions(0)):
        with pytest.raises(RunError) as info:
            read()
        assert isinstance(info.value, GenreLabError) and "deleted" in str(info.value)
