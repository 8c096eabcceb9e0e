"""Runs already on disk keep loading: a run folder written by the code before the typed
RunConfig and progress events (tests/data/run_v1) is listed, read, compared, exported and used
to predict."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.evaluation.comparison import RunResults, fold_table
from core.predict import load_predictor, predict
from core.runs import RunStatus, list_runs, load_run
from core.runs.archive import export_runs, import_runs
from core.runs.table import runs_frame
from tests.conftest import write_tone

V1 = Path(__file__).parent / "data" / "run_v1"
RUN_ID = "20261202-003815-9ff1"


@pytest.fixture
def models(tmp_path) -> Path:
    """A models folder holding a copy of the v1 run."""
    root = tmp_path / "models"
    shutil.copytree(V1 / RUN_ID, root / RUN_ID)
    return root


def test_v1_run_lists_and_reads_typed(models):
    [run] = list_runs(models)
    assert (run.id, run.label, run.status) == (RUN_ID, "v1 run", RunStatus.COMPLETED)
    config = run.run_config
    assert config.kind == "train" and config.splitter == ""
    assert config.dataset.spec.endswith("data") and config.dataset.fingerprint == "v1-fingerprint"
    assert config.input.mel.n_mels == 64 and config.input.image is None
    assert (config.train.framework, config.train.k, config.train.epochs) == ("torch", 2, 2)
    assert config.train.model_params == {"channels": [4], "kernel_sizes": [3]}
    assert config.n_folds == 2 and not config.drop_flagged
    assert config.library_versions["torch"].startswith("2.")
    assert run.model_path(0, create=False).name == "model.pt"


def test_v1_run_in_the_runs_table_and_compare(models):
    [row] = runs_frame(list_runs(models)).to_dict("records")
    assert (row["framework"], row["protocol"], row["k"]) == ("torch", "stratified", 2)
    assert row["input"].startswith("mel: 64 mels") and row["status"] == "completed"
    result = RunResults.from_run(load_run(RUN_ID, models))
    assert result.labels == ["high", "low"]
    assert result.fold_accuracies().tolist() == pytest.approx(result.summary["fold_acc"])
    assert list(fold_table([result]).columns) == ["v1 run"]
    assert result.train.protocol == "stratified" and result.config.dataset.fingerprint


def test_v1_progress_events_read_typed(models):
    p = load_run(RUN_ID, models).progress()
    assert (p.k, p.epochs, p.fraction) == (2, 2, 1.0)
    assert sorted(p.fold_acc) == [0, 1] and len(p.history) == 4
    assert p.features_total == 8


def test_v1_run_predicts_and_travels(models, tmp_path):
    predictor = load_predictor(load_run(RUN_ID, models))
    assert len(predictor.models) == 2 and predictor.params.n_mels == 64
    clip = write_tone(tmp_path / "clip.wav", seconds=1.0, freq=230.0)
    result = predict(predictor, clip)
    assert set(result.probabilities.index) == {"high", "low"}
    assert result.probabilities.sum() == pytest.approx(1.0)

    archive = export_runs([RUN_ID], tmp_path, root=models)
    [copy] = import_runs(archive, root=tmp_path / "elsewhere")
    assert copy.config == load_run(RUN_ID, models).config and copy.run_config.train.k == 2
