"""A run end to end (dataset -> features -> folds -> both frameworks -> run files), in process
and through the job queue."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from core.audio.mel import PRESETS
from core.runs import RunStatus, jobs, load_run
from core.runs.kinds.train import run_config, train_now
from core.training import load_weights, predict_proba
from core.training.config import TrainConfig, preset
from tests.conftest import write_pitches

MEL = PRESETS["fast"].replace(duration=1.0, segment_seconds=None)


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory) -> Path:
    """Two labels told apart by pitch, six 1 s clips each."""
    root = tmp_path_factory.mktemp("tiny")
    return write_pitches(root)


def _config(dataset: Path, framework: str) -> dict:
    train = preset("paper", framework, epochs=3, k=2, batch_size=4, patience=0, val_fraction=0.0)
    return run_config(str(dataset), train, mel=MEL)


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_train_end_to_end(tiny_dataset, tmp_path, framework):
    events = []
    run = train_now(_config(tiny_dataset, framework), root=tmp_path, on_event=events.append)
    run = load_run(run.id, root=tmp_path)
    assert run.status == RunStatus.COMPLETED
    assert run.summary["n_clips"] == 12 and len(run.summary["fold_acc"]) == 2
    assert 0.0 <= run.summary["mean_acc"] <= 1.0
    assert {e["type"] for e in events} >= {"fold_start", "epoch", "fold_end"}
    for fold in run.folds():
        assert len(run.read_history(fold)) == 3
        predictions = run.read_predictions(fold)
        assert len(predictions) == 6 and {"high", "low"} <= set(predictions.columns)
        matrix, labels = run.read_confusion(fold)
        assert sum(map(sum, matrix)) == 6 and sorted(labels) == ["high", "low"]
    # the saved weights reload and predict (torch: weights_only=True inside load_weights)
    suffix = ".pt" if framework == "torch" else ".keras"
    model = load_weights(
        run.fold_dir(0) / f"model{suffix}",
        TrainConfig(framework=framework),
        tuple(run.summary["input_shape"]),
        n_classes=2,
    )
    X = np.zeros((1, *run.summary["input_shape"]), np.float32)
    assert predict_proba(model, X).shape == (1, 2)


def test_frameworks_use_identical_folds(tiny_dataset, tmp_path):
    runs = [train_now(_config(tiny_dataset, fw), root=tmp_path / fw) for fw in ("torch", "keras")]
    tests = [[set(r.read_predictions(f)["track_id"]) for f in r.folds()] for r in runs]
    assert tests[0] == tests[1]


def test_queued_job_completes_in_a_worker_process(tiny_dataset, tmp_path):
    run = jobs.submit(_config(tiny_dataset, "torch"), name="queued", root=tmp_path)
    deadline = time.time() + 240
    while load_run(run.id, root=tmp_path).status.active and time.time() < deadline:
        time.sleep(0.5)
    done = load_run(run.id, root=tmp_path)
    assert done.status == RunStatus.COMPLETED, done.error
    events, _ = done.read_events()
    assert any(e["type"] == "fold_end" for e in events)


def test_bad_config_fails_with_its_reason(tmp_path):
    config = _config(tmp_path / "nowhere", "torch")
    with pytest.raises(Exception, match="does not exist"):
        train_now(config, root=tmp_path)
    [run] = [load_run(p.name, root=tmp_path) for p in tmp_path.iterdir() if p.is_dir()]
    assert run.status == RunStatus.FAILED and "does not exist" in run.error


def test_command_line_trains_and_lists(tiny_dataset, tmp_path, monkeypatch, capsys):
    from core.cli import main

    monkeypatch.setenv("GENRELAB_MODELS_DIR", str(tmp_path))
    code = main(
        [
            "train",
            "--dataset",
            str(tiny_dataset),
            "--epochs",
            "1",
            "--k",
            "2",
            "--mel",
            "librosa",
            "--duration",
            "1",
            "--set",
            "batch_size=4",
            "--name",
            "from cli",
        ]
    )
    assert code == 0
    out = capsys.readouterr()
    assert '"mean_acc"' in out.out and "fold 2/2: test accuracy" in out.err
    assert main(["runs", "list"]) == 0
    assert "from cli" in capsys.readouterr().out
    assert main(["train", "--dataset", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
