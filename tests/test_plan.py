"""Honest statistics before and after training: the plan check (protocols that need GTZAN,
validation parts too small), intervals that respect [0, 1] and say when k is too small, and
the fold sizes beside the accuracies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.audio.mel import PRESETS
from core.dataset import Dataset
from core.errors import ParamsError
from core.evaluation.metrics import fold_stats
from core.runs import RunConfig, RunInput, RunStatus, list_runs
from core.training.config import preset
from core.training.plan import MIN_VALID_CLIPS, check_plan
from tests.conftest import write_tone

MEL = RunInput(mel=PRESETS["fast"])


def _dataset(layout: str, per_genre: int = 10, genres=("blues", "rock")) -> Dataset:
    ids = [f"{g}.{i:05d}" for g in genres for i in range(per_genre)]
    manifest = pd.DataFrame(
        {
            "track_id": ids,
            "genre": [t.split(".")[0] for t in ids],
            "kind": "audio",
            "readable": True,
            "path": "",
            "detected_faults": "",
            "artist": "",
        }
    )
    return Dataset(Path(layout), layout, manifest)


def test_the_filtered_protocol_is_refused_outside_gtzan_with_a_reason():
    config = RunConfig(input=MEL, train=preset("paper", "torch", protocol="filtered"))
    plan = check_plan(config, _dataset("demo"))
    assert len(plan.errors) == 1 and "GTZAN" in plan.errors[0] and "demo" in plan.errors[0]
    with pytest.raises(ParamsError, match="fault-filtered protocol is defined on GTZAN"):
        plan.raise_errors()
    # on GTZAN-named clips of a GTZAN layout the split is made (930 of these ids are in it)
    gtzan = _dataset("gtzan", per_genre=100, genres=("blues", "classical", "country"))
    ok = check_plan(config, gtzan)
    assert ok.errors == [] and len(ok.folds) == 1 and ok.folds[0]["valid"] > 0


def test_validation_parts_too_small_are_warned_before_training():
    tiny = RunConfig(input=MEL, train=preset("paper", "torch", k=2, val_fraction=0.1))
    plan = check_plan(tiny, _dataset("folders", per_genre=10))
    assert plan.errors == [] and [f["valid"] for f in plan.folds] == [1, 1]
    assert [f["test"] for f in plan.folds] == [10, 10]
    [warning] = plan.warnings
    assert f"fewer than {MIN_VALID_CLIPS}" in warning and "fewer than one per class" in warning
    assert "early stopping" in warning  # the paper preset stops early on that part
    roomy = check_plan(tiny, _dataset("folders", per_genre=100))
    assert roomy.warnings == [] and min(f["valid"] for f in roomy.folds) >= MIN_VALID_CLIPS
    none = tiny.replace(train=tiny.train.replace(val_fraction=0.0, patience=0))
    assert check_plan(none, _dataset("folders")).warnings == []


def test_a_class_too_small_for_k_is_an_error_not_a_traceback():
    config = RunConfig(input=MEL, train=preset("paper", "torch", k=5))
    [error] = check_plan(config, _dataset("folders", per_genre=3)).errors
    assert "stratified protocol cannot split" in error and "at least 5 clips" in error


def test_training_and_the_command_line_refuse_the_filtered_protocol_on_other_data(
    tmp_path, capsys, monkeypatch
):
    from core.cli import main
    from core.runs.kinds.train import run_config, train_now

    monkeypatch.setenv("GENRELAB_MODELS_DIR", str(tmp_path / "models"))
    for label, freq in (("low", 220.0), ("high", 1760.0)):
        for i in range(3):
            write_tone(tmp_path / "data" / label / f"{label}{i}.wav", seconds=0.5, freq=freq)
    train = preset("paper", "torch", protocol="filtered", epochs=1)
    config = run_config(str(tmp_path / "data"), train, mel=PRESETS["fast"])
    with pytest.raises(ParamsError, match="GTZAN"):
        train_now(config, root=tmp_path / "models")
    [run] = list_runs(tmp_path / "models")
    assert run.status is RunStatus.FAILED and "GTZAN" in run.error
    assert not run.folds()  # refused before any features or folds
    args = ["train", "--dataset", str(tmp_path / "data"), "--protocol", "filtered"]
    assert main(args) == 2
    assert "fault-filtered protocol is defined on GTZAN" in capsys.readouterr().err


def test_interval_is_clipped_to_0_1_and_says_when_folds_are_few():
    two = fold_stats([0.38 + 0.445, 1.27 - 0.445 + 0.1])  # a wide interval over 2 folds
    assert 0.0 <= two.low <= two.mean <= two.high <= 1.0
    assert two.high == 1.0 and "With 2 folds this interval means little" in two.caveat
    five = fold_stats([0.61, 0.55, 0.58, 0.66, 0.52])
    assert five.caveat == "" and five.low > 0.5
    raw = fold_stats([0.0, 0.1], bounds=None)
    assert raw.low < 0  # without bounds the plain t interval
    assert "no interval" in fold_stats([0.5]).caveat
    assert np.isnan(fold_stats([0.5]).low)


def test_fold_test_sizes_beside_accuracy_and_the_few_folds_note(tmp_path):
    import shutil

    from core.evaluation.comparison import RunResults, fold_table_with_sizes, stats_table
    from core.runs import load_run

    v1 = Path(__file__).parent / "data" / "run_v1" / "20261202-003815-9ff1"
    shutil.copytree(v1, tmp_path / v1.name)
    result = RunResults.from_run(load_run(v1.name, tmp_path))
    table = fold_table_with_sizes([result])
    assert list(table.columns) == ["v1 run", "v1 run · test clips"]
    assert table["v1 run · test clips"].tolist() == [4, 4]
    [row] = stats_table([result]).to_dict("records")
    assert 0.0 <= row["ci_low"] <= row["ci_high"] <= 1.0
    assert row["note"].startswith("With 2 folds this interval means little")
