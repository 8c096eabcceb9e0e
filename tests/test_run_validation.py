"""A run validated as a whole (core.runs.validate), on import and on load; damaged runs shown as
such without breaking a page; stale "running" status reconciled by any reader after kill -9 of
the scheduler and the worker; ``python -m core runs export|import|delete``."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from core import cli, settings
from core.errors import ArchiveError, GenreLabError, ParamsError
from core.predict import PredictError, load_predictor
from core.runs import RunError, RunStatus, create_run, jobs, list_runs, load_run, registry
from core.runs.archive import export_runs, import_runs
from core.runs.table import runs_frame
from core.runs.validate import RunDamaged
from core.settings import ROOT
from tests.test_jobs import job, scheduler_running, wait_for
from tests.test_run_archive import make_run, rezip

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _write(path: Path, data: dict | list) -> None:
    path.write_text(json.dumps(data))


def _summary(run) -> dict:
    return json.loads((run.dir / "summary.json").read_text())


# ---- on load ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"mean_acc": "abc"}, "mean_acc must be a number"),
        ({"mean_acc": 7}, "mean_acc must be a number"),
        ({"labels": None}, "labels must be a list"),
        ({"labels": [1, 2]}, "labels must be a list"),
        ({"input_shape": [16, "x", 1]}, "input_shape"),
        ({"fold_acc": ["a"]}, "fold_acc"),
    ],
)
def test_a_bad_summary_shows_the_run_damaged(tmp_path, change, words):
    run = make_run(tmp_path)
    _write(run.dir / "summary.json", {**_summary(run), **change})
    loaded = load_run(run.id, tmp_path)
    assert loaded.status is RunStatus.FAILED and words in loaded.damaged
    assert loaded.error == loaded.damaged and loaded.summary is None
    assert runs_frame(list_runs(tmp_path))["status"].tolist() == ["failed"]


def test_out_of_bounds_settings_show_the_run_damaged(tmp_path):
    run = make_run(tmp_path)
    config = json.loads((run.dir / "config.json").read_text())
    config["train"]["model_params"] = {"channels": [2048, 4096]}
    _write(run.dir / "config.json", config)
    assert "channels up to 4096" in load_run(run.id, tmp_path).damaged

    other = make_run(tmp_path)
    config = json.loads((other.dir / "config.json").read_text())
    config["input"] = {"mel": {"hop_length": 1, "n_fft": 2048, "n_mels": 128}}
    _write(other.dir / "config.json", config)
    assert "cost too much" in load_run(other.id, tmp_path).damaged


def test_out_of_bounds_jobs_are_refused_when_submitted(tmp_path):
    from core.audio.mel import PRESETS
    from core.runs.kinds.train import run_config
    from core.training.config import preset

    train = preset("paper", "torch", k=2)
    config = run_config("demo", train, mel=PRESETS["fast"]).to_dict()
    config["input"]["mel"]["hop_length"] = 1  # as a crafted link or script would send it
    with pytest.raises(ParamsError, match="cost too much"):
        jobs.submit(config, root=tmp_path)
    huge = train.replace(model_params={"channels": [2048, 4096]})
    with pytest.raises(ParamsError, match="channels up to 4096"):
        jobs.submit(run_config("demo", huge, mel=PRESETS["fast"]), root=tmp_path)
    assert list_runs(tmp_path) == []


def test_fold_files_are_read_bounded_and_complete(tmp_path):
    run = make_run(tmp_path)
    fold = run.fold_dir(0, create=False)
    _write(fold / "history.json", {"epoch": 1})
    with pytest.raises(RunDamaged, match="JSON list"):
        run.read_history(0)
    (fold / "history.json").write_text("[" + "0," * 3_000_000 + "0]")  # 6 MB of ints
    with pytest.raises(RunDamaged, match="larger than"):
        run.read_history(0)

    whole = (fold / "predictions.csv").read_bytes()
    (fold / "predictions.csv").write_bytes(whole[:-5])  # cut in its last line
    with pytest.raises(RunDamaged, match="truncated"):
        run.read_predictions(0)
    (fold / "predictions.csv").write_bytes(whole)
    assert len(run.read_predictions(0)) == 1
    _write(run.dir / "summary.json", {**_summary(run), "folds": [{"test": 3}, {"test": 1}]})
    with pytest.raises(RunDamaged, match="has 1 rows, but the fold tested 3"):
        load_run(run.id, tmp_path).read_predictions(0)
    assert issubclass(RunDamaged, RunError) and issubclass(RunDamaged, GenreLabError)


def test_weights_are_checked_against_the_architecture_before_a_first_prediction(tmp_path):
    run = make_run(tmp_path)
    assert len(load_predictor(run).models) == 2
    torch.save(torch.nn.Linear(3, 2).state_dict(), run.fold_dir(1) / "model.pt")
    with pytest.raises(PredictError, match="does not fit the architecture"):
        load_predictor(load_run(run.id, tmp_path))
    (run.fold_dir(1) / "model.pt").write_bytes((run.fold_dir(0) / "model.pt").read_bytes()[:500])
    with pytest.raises(PredictError, match="truncated"):
        load_predictor(load_run(run.id, tmp_path))


def test_pages_skip_damaged_runs_and_say_when_none_is_usable(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRELAB_MODELS_DIR", str(tmp_path / "models"))
    run = make_run(settings.current().models_dir, "high but broken")
    _write(run.dir / "summary.json", {**_summary(run), "mean_acc": "abc"})
    for page, words in (
        ("pages/predict.py", "No trained run"),
        ("pages/compare.py", "No completed"),
    ):
        at = AppTest.from_file(APP, default_timeout=120).run()
        at.switch_page(page).run()
        assert not at.exception, at.exception
        assert any(words in i.value for i in at.info), [i.value for i in at.info]


# ---- on import -------------------------------------------------------------------------------


@pytest.fixture
def exported(tmp_path):
    run = make_run(tmp_path / "src")
    return export_runs([run.id], tmp_path / "runs.zip", root=tmp_path / "src"), run


def _crafted(case: str, run) -> dict[str, bytes | None]:
    rid = run.id
    config = json.loads((run.dir / "config.json").read_text())
    summary = _summary(run)
    huge = dict(config, train={**config["train"], "model_params": {"channels": [2048, 4096]}})
    other = torch.nn.Conv2d(1, 3, 3).state_dict()
    buffer = io.BytesIO()
    torch.save(other, buffer)
    model = (run.fold_dir(0) / "model.pt").read_bytes()
    predictions = (run.fold_dir(0) / "predictions.csv").read_bytes()
    return {
        "huge architecture": {f"{rid}/config.json": json.dumps(huge).encode()},
        "mean_acc not a number": {
            f"{rid}/summary.json": json.dumps({**summary, "mean_acc": "abc"}).encode()
        },
        "no labels": {f"{rid}/summary.json": json.dumps({"mean_acc": 0.9}).encode()},
        "no summary": {f"{rid}/summary.json": None},
        "history of the wrong type": {f"{rid}/fold_0/history.json": b'{"epoch": 1}'},
        "truncated weights": {f"{rid}/fold_0/model.pt": model[: len(model) // 2]},
        "weights of another model": {f"{rid}/fold_1/model.pt": buffer.getvalue()},
        "truncated predictions": {f"{rid}/fold_0/predictions.csv": predictions[:-4]},
        "more predictions than clips tested": {
            f"{rid}/summary.json": json.dumps({**summary, "folds": [{"test": 0}] * 2}).encode()
        },
    }[case]


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("huge architecture", "channels up to 4096"),
        ("mean_acc not a number", "mean_acc"),
        ("no labels", "labels"),
        ("no summary", "summary.json"),
        ("history of the wrong type", "history.json"),
        ("truncated weights", "truncated"),
        ("weights of another model", "does not fit the architecture"),
        ("truncated predictions", "truncated"),
        ("more predictions than clips tested", "rows, but the fold tested 0"),
    ],
)
def test_imports_refuse_runs_that_fail_validation(exported, tmp_path, case, words):
    archive, run = exported
    crafted = rezip(archive, tmp_path / "crafted.zip", _crafted(case, run))
    with pytest.raises(ArchiveError, match=words):
        import_runs(crafted, root=tmp_path / "dst")
    assert not any((tmp_path / "dst").iterdir())


def test_duplicate_members_are_refused(exported, tmp_path):
    archive, run = exported
    crafted = tmp_path / "twice.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(crafted, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        with pytest.warns(UserWarning, match="Duplicate name"):
            dst.writestr(f"{run.id}/summary.json", b'{"mean_acc": 1.0, "labels": ["x"]}')
    with pytest.raises(ArchiveError, match="twice"):
        import_runs(crafted, root=tmp_path / "dst")


#: A child process that imports an archive, then prints its own peak resident memory in MB
#: (VmHWM: unlike ru_maxrss, it does not keep the forking parent's peak across exec).
_IMPORT = """
import re, sys
from core.runs.archive import import_runs
try:
    import_runs(sys.argv[1], sys.argv[2])
except Exception as exc:
    print(exc, file=sys.stderr)
status = open("/proc/self/status").read()
print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024)
"""


def _peak_rss_mb(archive: Path, root: Path) -> tuple[float, str]:
    """Peak resident memory (MB) of a child process importing ``archive``, and its stderr."""
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT, str(archive), str(root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(proc.stdout.split()[-1]), proc.stderr


def test_a_huge_history_costs_no_memory_at_import(exported, tmp_path):
    archive, run = exported
    baseline, err = _peak_rss_mb(archive, tmp_path / "ok")
    assert not err.strip(), err
    crafted = rezip(
        archive,
        tmp_path / "huge.zip",
        {f"{run.id}/fold_0/history.json": b"[" + b"0," * 50_000_000 + b"0]"},  # 100 MB of ints
    )
    peak, err = _peak_rss_mb(crafted, tmp_path / "dst")
    assert "history.json is larger than" in err
    assert peak < baseline + 60, (peak, baseline)  # parsed, it would take several GB


# ---- stale status ----------------------------------------------------------------------------


def test_kill_9_of_scheduler_and_worker_is_seen_by_any_reader(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GENRELAB_EXECUTOR_PACKAGES", "core,tests")
    monkeypatch.setenv("GENRELAB_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setattr(registry, "STALE_AFTER_S", 1.0)
    root = settings.current().models_dir
    run = jobs.submit(job("stubborn"), root=root)
    running = wait_for(
        lambda: (r := load_run(run.id, root)).status is RunStatus.RUNNING and r, "the worker"
    )
    scheduler = subprocess.run(
        ["pgrep", "-f", f"core.runs.jobs --root {root.resolve()}"], capture_output=True, text=True
    )
    for pid in [*map(int, scheduler.stdout.split()), running.pid]:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not scheduler_running(root), "the scheduler to die")
    time.sleep(1.5)
    assert cli.main(["runs", "list"]) == 0
    listed = capsys.readouterr().out
    assert "failed" in listed and "running" not in listed
    loaded = load_run(run.id, root)
    assert loaded.status is RunStatus.FAILED
    assert "worker process is no longer running" in loaded.error


def test_a_fresh_running_status_is_left_to_the_scheduler(tmp_path):
    run = create_run({"train": None}, root=tmp_path)
    run.set_status(RunStatus.RUNNING, pid=2**22 + 1)  # no such process
    assert load_run(run.id, tmp_path).status is RunStatus.RUNNING  # just claimed


# ---- command line ----------------------------------------------------------------------------


def test_runs_export_import_delete_from_the_command_line(tmp_path, monkeypatch, capsys):
    src, dst = tmp_path / "src", tmp_path / "dst"
    run = make_run(src)
    monkeypatch.setenv("GENRELAB_MODELS_DIR", str(src))
    assert cli.main(["runs", "export", run.id, "--dest", str(tmp_path / "out.zip")]) == 0
    monkeypatch.setenv("GENRELAB_MODELS_DIR", str(dst))
    assert cli.main(["runs", "import", str(tmp_path / "out.zip"), "--user", "bob"]) == 0
    copy = load_run(run.id, dst)
    assert (copy.user, copy.origin, copy.status) == ("bob", "ann", RunStatus.COMPLETED)
    assert "(from ann)" in capsys.readouterr().out

    monkeypatch.setenv("GENRELAB_READONLY_USERS", "carol")
    monkeypatch.setenv("GENRELAB_USER", "carol")
    assert cli.main(["runs", "delete", run.id]) == 2
    assert "read-only" in capsys.readouterr().err and load_run(run.id, dst)
    assert cli.main(["runs", "delete", run.id, "--user", "bob"]) == 0
    assert list_runs(dst) == []
    assert cli.main(["runs", "delete", "no-such-run", "--user", "bob"]) == 2
