"""Executors: the settings, an unreachable cluster, and a real Ray on loopback (started here):
same folds and accuracies as the local executor, a killed worker retried or the run failed with
the reason, and cancel stopping the run's tasks."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from core import settings
from core.audio.mel import PRESETS
from core.demo import generate_demo
from core.errors import Cancelled, ParamsError
from core.runs import RunStatus, files, jobs, list_runs, load_run
from core.runs.executors import ClusterUnreachable, ExecutorError, connect_ray
from core.runs.kinds.train import run_config, train_now
from core.training.config import preset
from core.training.device import resolve_device, torch_device

#: Per-fold accuracy may differ between executors by this much (floating-point noise of other
#: thread counts); on this machine it is identical.
TOLERANCE = 0.05
MEL = PRESETS["fast"]  # 3 s segments of the demo's 3 s clips
TASK_TITLE = b"ray::_fold_task"


@pytest.fixture(scope="module")
def demo_set(tmp_path_factory) -> Path:
    """The demo dataset, small: 4 clips of 3 s per genre."""
    return generate_demo(
        tmp_path_factory.mktemp("demo") / "set", seed=0, clips_per_genre=4, seconds=3.0
    )


def _config(dataset: Path, epochs: int = 1):
    train = preset(
        "paper",
        "torch",
        epochs=epochs,
        k=2,
        batch_size=8,
        patience=0,
        val_fraction=0.0,
        time_crop=0,
    )
    return run_config(str(dataset), train, mel=MEL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_settings_are_read_at_call_time_and_checked(monkeypatch):
    now = settings.current()
    assert (now.executor, now.ray_address, now.device) == ("local", "local", "auto")
    monkeypatch.setenv("GENRELAB_EXECUTOR", "Ray")
    assert settings.current().executor == "ray"
    for var, value, message in (
        ("GENRELAB_EXECUTOR", "spark", "GENRELAB_EXECUTOR must be one of local, ray"),
        ("GENRELAB_RAY_MAX_RETRIES", "-1", "GENRELAB_RAY_MAX_RETRIES must be at least 0"),
        ("GENRELAB_DEVICE", "tpu", "GENRELAB_DEVICE must be one of auto, cpu, cuda"),
    ):
        with monkeypatch.context() as patch:
            patch.setenv(var, value)
            with pytest.raises(ParamsError, match=message):
                settings.current()


def test_device_is_cuda_only_when_present(monkeypatch):
    assert resolve_device("auto", cuda_available=True) == "cuda"
    assert resolve_device("cpu", cuda_available=True) == "cpu"
    with pytest.raises(ParamsError, match="no CUDA device"):
        resolve_device("cuda", cuda_available=False)
    import torch

    if not torch.cuda.is_available():  # this machine: the CPU, whatever auto finds
        assert torch_device().type == "cpu"
        monkeypatch.setenv("GENRELAB_DEVICE", "cuda")
        with pytest.raises(ParamsError):
            torch_device()


def test_an_unreachable_cluster_fails_the_run_quickly_and_clearly(demo_set, tmp_path, monkeypatch):
    import ray

    assert not ray.is_initialized()
    address = f"127.0.0.1:{_free_port()}"
    started = time.monotonic()
    with pytest.raises(ClusterUnreachable, match=f"cluster at {address} does not answer"):
        connect_ray(address, timeout=5)
    assert time.monotonic() - started < 10
    with pytest.raises(ClusterUnreachable, match="must be host:port"):
        connect_ray("nowhere", timeout=5)

    # through the job queue: the worker fails the run with that message, nothing hangs
    monkeypatch.setenv("GENRELAB_EXECUTOR", "ray")
    monkeypatch.setenv("GENRELAB_RAY_ADDRESS", address)
    run = jobs.submit(_config(demo_set), root=tmp_path)
    deadline = time.time() + 240
    while load_run(run.id, tmp_path).status.active and time.time() < deadline:
        time.sleep(0.5)
    failed = load_run(run.id, tmp_path)
    assert failed.status is RunStatus.FAILED
    assert failed.error.startswith("ClusterUnreachable: The Ray cluster at 127.0.0.1:")
    assert not ray.is_initialized()


# ---- a local Ray -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_ray():
    import ray

    connect_ray("local")
    yield
    ray.shutdown()


def _task_pids() -> list[int]:
    """Ray worker processes running a fold now (Ray titles them after the task)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(TASK_TITLE):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _when_training(root: Path, action, timeout: float = 180) -> threading.Thread:
    """Call ``action(run)`` once a fold of the run in ``root`` has trained an epoch."""

    def watch() -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            runs = list_runs(root)
            trained = runs and any(e["type"] == "epoch" for e in runs[0].read_events()[0])
            if trained and _task_pids():
                action(runs[0])
                return
            time.sleep(0.1)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_ray_gives_the_same_folds_and_accuracies(demo_set, tmp_path, local_ray, monkeypatch):
    local = train_now(_config(demo_set), root=tmp_path / "local")
    monkeypatch.setenv("GENRELAB_EXECUTOR", "ray")
    on_ray = train_now(_config(demo_set), root=tmp_path / "ray")
    assert on_ray.status is RunStatus.COMPLETED and on_ray.folds() == local.folds() == [0, 1]
    for fold in (0, 1):
        a, b = local.read_predictions(fold), on_ray.read_predictions(fold)
        assert list(a["track_id"]) == list(b["track_id"])  # the same folds
        assert (on_ray.fold_dir(fold) / files.model_file("torch")).is_file()
    assert on_ray.summary["fold_acc"] == pytest.approx(local.summary["fold_acc"], abs=TOLERANCE)
    assert not any(p.name.startswith(".") for p in on_ray.dir.iterdir() if p.is_dir())


@pytest.mark.slow
def test_a_killed_worker_is_retried(demo_set, tmp_path, local_ray, monkeypatch):
    monkeypatch.setenv("GENRELAB_EXECUTOR", "ray")
    monkeypatch.setenv("GENRELAB_RAY_MAX_RETRIES", "1")
    killed = []
    _when_training(tmp_path, lambda run: killed.extend(_kill_one()))
    run = train_now(_config(demo_set, epochs=8), root=tmp_path)
    assert killed, "no fold was running to kill"
    assert run.status is RunStatus.COMPLETED and run.folds() == [0, 1]
    assert len(run.summary["fold_acc"]) == 2


@pytest.mark.slow
def test_a_killed_worker_without_retries_fails_the_run_with_the_reason(
    demo_set, tmp_path, local_ray, monkeypatch
):
    monkeypatch.setenv("GENRELAB_EXECUTOR", "ray")
    monkeypatch.setenv("GENRELAB_RAY_MAX_RETRIES", "0")
    _when_training(tmp_path, lambda run: _kill_one())
    with pytest.raises(ExecutorError, match=r"Fold \d of 2 failed: its Ray worker died"):
        train_now(_config(demo_set, epochs=8), root=tmp_path)
    run = list_runs(tmp_path)[0]
    assert run.status is RunStatus.FAILED and "its Ray worker died" in run.error
    assert run.summary is None  # never complete with a fold missing
    assert run.progress().fold_errors


@pytest.mark.slow
def test_cancel_stops_the_runs_ray_tasks(demo_set, tmp_path, local_ray, monkeypatch):
    monkeypatch.setenv("GENRELAB_EXECUTOR", "ray")
    _when_training(tmp_path, lambda run: jobs.cancel(run.id, tmp_path))
    started = time.monotonic()
    with pytest.raises(Cancelled):
        train_now(_config(demo_set, epochs=50), root=tmp_path)
    assert time.monotonic() - started < 150
    assert list_runs(tmp_path)[0].status is RunStatus.CANCELLED
    deadline = time.time() + 20
    while _task_pids() and time.time() < deadline:
        time.sleep(0.2)
    assert not _task_pids()


def _kill_one() -> list[int]:
    pids = _task_pids()[:1]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids
