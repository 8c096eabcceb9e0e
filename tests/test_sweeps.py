"""Sweeps: the space is checked by the parameter constraints; a grid sweep's trials are tagged
runs on identical folds; a cancelled sweep resumes keeping its finished trials; the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.audio.mel import PRESETS
from core.cli import main as cli
from core.errors import Cancelled, ParamsError
from core.runs import RunStatus, create_run, jobs, list_runs, load_run, worker
from core.runs.events import Stage, parse_event
from core.runs.kinds.train import run_config
from core.sweeps import (
    SweepError,
    SweepParam,
    check_space,
    create_sweep,
    list_sweeps,
    load_sweep,
    parse_param,
    sweep_job,
)
from core.sweeps.sweep import execute_sweep
from core.training.config import preset
from tests.conftest import write_pitches

MEL = PRESETS["fast"].replace(duration=1.0, segment_seconds=None)


@pytest.fixture(scope="module")
def tones(tmp_path_factory) -> Path:
    """Two labels told apart by pitch, six 3 s clips each (the fast mel preset's segment)."""
    root = tmp_path_factory.mktemp("sweep_tones")
    return write_pitches(root, seconds=3.0)


def _base(dataset: Path):
    train = preset("paper", "torch", epochs=1, k=2, batch_size=4, patience=0, val_fraction=0.0)
    return run_config(str(dataset), train, mel=MEL)


def test_the_space_is_checked_by_the_parameter_constraints(tones):
    base = _base(tones)
    check_space(base, [SweepParam("lr", low=1e-4, high=1e-2, log=True)], "tpe")
    with pytest.raises(ParamsError, match="dropout = 1.5"):
        check_space(base, [SweepParam("dropout", values=(0.1, 1.5))], "grid")
    with pytest.raises(ParamsError, match="n_mels = 0"):
        check_space(base, [SweepParam("n_mels", low=0, high=64)], "random")
    with pytest.raises(ParamsError, match="a grid needs a list of values"):
        check_space(base, [SweepParam("lr", low=1e-4, high=1e-2)], "grid")
    with pytest.raises(ParamsError, match="only once"):
        check_space(base, [SweepParam("lr", values=(1e-3,)), SweepParam("lr", values=(1,))], "grid")
    with pytest.raises(ParamsError, match="can vary"):
        SweepParam("seed", values=(1, 2))  # the folds must stay the same
    with pytest.raises(ParamsError, match="low < high"):
        parse_param("lr=0.1:0.01")
    with pytest.raises(ParamsError, match="not a number"):
        parse_param("n_mels=32,many")
    with pytest.raises(ParamsError, match="need a number of trials"):
        create_sweep(base, [parse_param("lr=1e-4:1e-2:log")], "tpe", root=tones / "none")


def test_grid_sweep_cancelled_then_resumed_keeps_its_finished_trials(tones, tmp_path):
    sweep = create_sweep(
        _base(tones), [parse_param("lr=0.001,0.01,0.0001")], name="lr grid", root=tmp_path
    )
    assert sweep.n_trials == 3 and load_sweep(sweep.id, tmp_path) == sweep
    job = create_run(sweep_job(sweep), root=tmp_path)

    def cancel_at_second_trial(event) -> None:
        if isinstance(event, Stage) and event.stage.startswith("trial 2 of 3"):
            jobs.cancel(job.id, tmp_path)

    with pytest.raises(Cancelled):
        execute_sweep(job, cancel_at_second_trial, job.cancel_requested)
    first = sweep.trials()
    assert list(first["state"]) == ["complete", "cancelled"]
    kept = first.loc[first["state"] == "complete", "run_id"].item()
    with pytest.raises(SweepError, match="not queued or running"):
        from core.sweeps import cancel_sweep

        cancel_sweep(sweep)

    resumed = create_run(sweep_job(sweep), root=tmp_path)
    worker.main(resumed.dir)
    assert load_run(resumed.id, tmp_path).status is RunStatus.COMPLETED
    trials = sweep.trials()
    done = trials[trials["state"] == "complete"]
    assert len(done) == 3 and kept in set(done["run_id"])  # the finished trial was not rerun
    assert sorted(done["lr"]) == [0.0001, 0.001, 0.01]
    assert list(done["mean_acc"]) == sorted(done["mean_acc"], reverse=True)  # best first
    assert sweep.status() == "completed"

    # every trial is a run of the registry, tagged with the sweep, on identical folds
    runs = [load_run(i, tmp_path) for i in done["run_id"]]
    assert {r.run_config.params["sweep"] for r in runs} == {sweep.id}
    tests = [[set(r.read_predictions(f)["track_id"]) for f in r.folds()] for r in runs]
    assert tests[0] == tests[1] == tests[2]
    cancelled = [r for r in list_runs(tmp_path) if r.status is RunStatus.CANCELLED]
    assert any(r.run_config.params.get("sweep") == sweep.id for r in cancelled)
    assert sweep.best_config().train.lr == done.iloc[0]["lr"]


def test_cli_creates_runs_and_shows_a_sweep(tones, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GENRELAB_MODELS_DIR", str(tmp_path))
    args = ["--dataset", str(tones), "--k", "2", "--epochs", "1", "--duration", "3"]
    args += ["--set", "time_crop=0", "--set", "val_fraction=0", "--set", "patience=0"]
    assert cli(["sweep", "create", *args, "--vary", "n_mels=16,32", "--name", "mels"]) == 0
    sweep_id = capsys.readouterr().out.strip()
    assert [s.id for s in list_sweeps(tmp_path)] == [sweep_id]
    assert cli(["sweep", "run", sweep_id]) == 0
    assert "completed" in capsys.readouterr().err
    assert cli(["sweep", "show", sweep_id]) == 0
    shown = capsys.readouterr().out
    assert "n_mels" in shown and shown.count("complete") == 2
    assert cli(["sweep", "cancel", sweep_id]) == 2
    assert "not queued or running" in capsys.readouterr().err
    assert cli(["sweep", "create", *args, "--vary", "dropout=0.5,2"]) == 2
    assert "dropout = 2" in capsys.readouterr().err
    events = [parse_event(e) for e in load_sweep(sweep_id, tmp_path).jobs()[0].read_events()[0]]
    assert any(isinstance(e, Stage) and e.stage.startswith("trial 2 of 2") for e in events)
