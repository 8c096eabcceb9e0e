"""Resuming a failed or cancelled run: its completed folds are kept (not trained again), the
missing ones trained, the summary written from all of them; from the CLI and the Train page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import settings
from core.audio.mel import PRESETS
from core.errors import Cancelled, RunError
from core.policy import EDITOR, VIEWER, AccessError, Actor
from core.runs import RunStatus, files, jobs, list_runs, load_run
from core.runs.events import EpochEnded, FoldEnded, FoldFailed, Resumed, progress
from core.runs.executors import FoldJob, kept_fold
from core.runs.kinds.train import run_config, train_now
from core.settings import ROOT
from core.training.config import preset
from tests.conftest import write_pitches

APP = str(ROOT / "app.py")
MEL = PRESETS["fast"].replace(duration=1.0, segment_seconds=None)


@pytest.fixture(scope="module")
def tones(tmp_path_factory) -> Path:
    """Low and high tones, six 1 s clips each."""
    root = tmp_path_factory.mktemp("resume") / "data"
    return write_pitches(root)


def _config(data: Path):
    train = preset("paper", "torch", epochs=2, k=3, batch_size=4, patience=0, val_fraction=0.0)
    return run_config(str(data), train, mel=MEL)


def _stopped_after_fold_0(data: Path, name: str, root: Path | None = None):
    """A run cancelled once fold 0 of 3 is written: (the run, fold 0's weights stat)."""
    ended = []

    def on_event(event: dict) -> None:
        if event.get("type") == "fold_end":
            ended.append(event["fold"])

    with pytest.raises(Cancelled):
        train_now(_config(data), name=name, root=root, on_event=on_event, should_stop=lambda: ended)
    run = next(r for r in list_runs(root) if r.name == name)
    assert run.status is RunStatus.CANCELLED and run.summary is None
    assert run.completed_folds() == [0]
    return run, run.model_path(0).stat()


def _wait_finished(run_id: str, root: Path | None = None, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while (run := load_run(run_id, root)).status.active:
        assert time.monotonic() < deadline, "timed out waiting for the resumed run"
        time.sleep(0.2)
    return run


def test_a_cancelled_run_resumes_from_its_completed_folds(tones, tmp_path):
    whole = train_now(_config(tones), root=tmp_path / "whole")  # the same run, uninterrupted
    root = tmp_path / "models"
    run, fold_0 = _stopped_after_fold_0(tones, "interrupted", root)

    queued = jobs.resume(run.id, root)
    assert queued.status is RunStatus.QUEUED and queued.error is None
    done = _wait_finished(run.id, root)
    assert done.status is RunStatus.COMPLETED, done.error
    assert done.folds() == done.completed_folds() == [0, 1, 2]
    after = done.model_path(0).stat()
    assert (after.st_ino, after.st_mtime_ns) == (fold_0.st_ino, fold_0.st_mtime_ns)  # kept
    # the summary covers every fold, exactly as the uninterrupted run's
    assert done.summary["fold_acc"] == pytest.approx(whole.summary["fold_acc"], abs=1e-6)
    assert len(done.summary["folds"]) == 3
    events = [e.get("stage", e["type"]) for e in done.read_events()[0]]
    assert "resumed" in events and "fold 1 of 3 kept from the earlier attempt" in events
    p = done.progress()
    assert p.finished and sorted(p.fold_acc) == [0, 1, 2] and not p.fold_errors


def test_a_fold_is_trained_again_unless_it_tested_the_same_clips(tones, tmp_path):
    run, _ = _stopped_after_fold_0(tones, "kept or not", tmp_path)
    outcome = (run.fold_dir(0, create=False) / files.OUTCOME).read_text()
    preds = run.read_predictions(0)
    clips = preds[["track_id"]].assign(genre="", artist="")
    rows = list(range(len(clips)))
    job = FoldJob(str(run.dir), run.config, (rows, rows), 0, 3, 2, clips, ["high", "low"])
    accuracy = (preds["true"] == preds["predicted"]).mean()
    assert kept_fold(run, job).test_acc == pytest.approx(accuracy)
    other = FoldJob(str(run.dir), run.config, (rows, rows[1:]), 0, 3, 2, clips, ["high", "low"])
    assert kept_fold(run, other) is None  # another split of the clips: trained again
    (run.fold_dir(0, create=False) / files.OUTCOME).unlink()
    assert kept_fold(run, job) is None  # written by an older version: trained again
    assert run.completed_folds() == []
    (run.fold_dir(0, create=False) / files.OUTCOME).write_text(outcome)


def test_only_stopped_training_runs_of_ones_own_are_resumed(tones, tmp_path):
    whole = train_now(_config(tones), root=tmp_path)
    with pytest.raises(RunError, match="Only a failed or cancelled training run"):
        jobs.resume(whole.id, tmp_path)
    run, _ = _stopped_after_fold_0(tones, "ann's", tmp_path)
    meta = json.loads((run.dir / files.META).read_text())
    (run.dir / files.META).write_text(json.dumps({**meta, "user": "ann"}))  # as ann started it
    for actor in (Actor("mallory", EDITOR), Actor("ann", VIEWER)):
        with pytest.raises(AccessError):
            jobs.resume(run.id, tmp_path, actor=actor)
    assert load_run(run.id, tmp_path).status is RunStatus.CANCELLED  # untouched


def test_progress_of_a_resumed_run_forgets_the_failed_attempt():
    events = [
        EpochEnded(fold=0, k=2, epoch=1, epochs=1, seconds=1.0),
        FoldEnded(fold=0, k=2, test_acc=0.5),
        EpochEnded(fold=1, k=2, epoch=1, epochs=1, seconds=1.0),
        FoldFailed(fold=1, k=2, error="killed"),
        Resumed(user="ann", kept=[0]),
    ]
    p = progress(events)
    assert p.fold_acc == {0: 0.5} and p.fold_errors == {} and not p.finished
    assert p.history["fold"].tolist() == [0]  # the failed fold's epochs are trained again


def test_resume_from_the_command_line(tones):
    run, _ = _stopped_after_fold_0(tones, "from the CLI")
    env = {**os.environ, **settings.current().to_env()}
    out = subprocess.run(
        [sys.executable, "-m", "core", "runs", "resume", run.id, "--wait"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert f"{run.id} queued again; folds kept from before: 1" in out.stdout
    assert "completed:" in out.stdout
    assert load_run(run.id).folds() == [0, 1, 2]


def test_the_train_page_resumes_a_stopped_run(tones):
    run, _ = _stopped_after_fold_0(tones, "from the page")
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    at.selectbox(key="rs_run").set_value(run.id).run()
    assert any("cancelled with 1 of 3 folds complete" in i.value for i in at.info)
    at.button(key=f"mg_resume_{run.id}").click().run()
    assert not at.exception, at.exception
    assert load_run(run.id).status.active
    assert _wait_finished(run.id).status is RunStatus.COMPLETED
