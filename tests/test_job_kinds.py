"""Long work of every kind is a job: fault scans and feature-store builds run in real worker
processes, report progress, cancel cleanly, and their results outlive the session that started
them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import settings
from core.access import AccessError, Actor, submit_job
from core.audio.mel import PRESETS
from core.dataset import discover
from core.dataset.library import DEMO, resolve
from core.features import list_stores, store_key
from core.runs import RunStatus, jobs, load_run
from core.runs.kinds import job_progress, training_runs
from core.runs.kinds.demo import demo_config
from core.runs.kinds.features import features_config
from core.runs.kinds.scan import RESULT_FILE, latest_scan, read_scan, scan_config
from tests.conftest import finish_jobs

APP = str(Path(__file__).resolve().parents[1] / "app.py")
ANN = Actor("ann")


def wait_for(predicate: Callable, what: str, timeout: float = 600.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def started_then_cancelled(config: dict) -> object:
    """Submit ``config`` as ann, wait for its first progress, cancel it; the run once ended."""
    run = submit_job(config, "to be cancelled", ANN.user)
    wait_for(lambda: job_progress(load_run(run.id)).fraction > 0, "progress")
    with pytest.raises(AccessError, match="Only ann"):
        jobs.cancel(run.id, actor=Actor("bob"))  # not bob's job
    jobs.cancel(run.id, actor=ANN)
    ended = wait_for(lambda: (r := load_run(run.id)).status.active is False and r, "the end")
    assert ended.status is RunStatus.CANCELLED
    events, _ = ended.read_events()
    assert {"type": "cancelled_by", "user": "ann"}.items() <= next(
        e for e in events if e["type"] == "cancelled_by"
    ).items()
    return ended


def test_a_scan_job_reports_progress_and_cancels_without_a_result():
    run = started_then_cancelled(scan_config(DEMO))
    assert not (run.dir / RESULT_FILE).exists()
    assert run.id not in {r.id for r in training_runs()}  # not a run to compare


def _explore() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240).run()
    return at.switch_page("pages/explore.py").run()


def _scores(at: AppTest):
    return next(df.value for df in at.dataframe if "precision" in df.value.columns)


def test_a_scan_survives_a_page_switch_and_is_seen_by_another_session():
    at = _explore()
    next(b for b in at.button if b.label == "Scan this dataset").click().run()
    assert not at.exception, at.exception
    run = latest_scan(DEMO)
    assert run.status.active and at.session_state[f"scan_job_{DEMO}"] == run.id
    assert at.get("progress")  # the job's progress bar, not a blocked page
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/explore.py").run()
    assert not at.exception, at.exception
    finish_jobs(at)
    assert load_run(run.id).status is RunStatus.COMPLETED
    assert _scores(at).set_index("detector").loc["repetition pairs", "recall"] == 1.0
    result = read_scan(load_run(run.id))
    assert len(result.pairs) and result.groups and (result.distortions["flags"] != "").any()

    other = _explore()  # a fresh session finds the newest scan of the dataset in the registry
    assert not other.exception, other.exception
    assert _scores(other).equals(_scores(at))


def test_a_feature_build_is_a_job_cancel_then_complete():
    params = PRESETS["fast"].replace(n_mels=40)
    config = features_config(DEMO, params)
    key = store_key(discover(resolve(DEMO)).manifest, params)

    started_then_cancelled(config)
    assert key not in set(list_stores()["key"])
    assert not [p for p in settings.current().features_dir.iterdir() if p.name.startswith(".tmp-")]

    run = submit_job(config, "feature store", ANN.user)
    done = wait_for(lambda: not (r := load_run(run.id)).status.active and r, "the build")
    assert done.status is RunStatus.COMPLETED, done.error
    assert done.summary["key"] == key and key in set(list_stores()["key"])
    assert job_progress(done).fraction == 1.0


def test_the_demo_generation_is_a_job_that_cancels_cleanly(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRELAB_DATA_DIR", str(tmp_path / "data"))  # the worker's data folder
    root = tmp_path / "models"
    run = jobs.submit(demo_config(), name="demo dataset", root=root)
    wait_for(lambda: job_progress(load_run(run.id, root)).fraction > 0, "progress")
    jobs.cancel(run.id, root)
    ended = wait_for(lambda: not (r := load_run(run.id, root)).status.active and r, "the end")
    assert ended.status is RunStatus.CANCELLED
    # no demo, no half-written folder: only the lock and owner bookkeeping folders
    left = {p.name for p in (tmp_path / "data").iterdir()}
    assert left <= {".locks", ".owners"}, left
