"""The run registry (core.runs) and atomic writes (core.storage.atomic), on real folders."""

from __future__ import annotations

import importlib.metadata
import json
import platform
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import GenreLabError
from core.runs import (
    Run,
    RunError,
    RunStatus,
    create_run,
    delete_run,
    library_versions,
    list_runs,
    load_run,
    rename_run,
)
from core.settings import ROOT
from core.storage.atomic import atomic_path, save_npy, write_json, write_text


def tensorflow_version() -> str:
    try:
        return importlib.metadata.version("tensorflow")
    except importlib.metadata.PackageNotFoundError:
        return importlib.metadata.version("tensorflow-cpu")


CONFIG = {"protocol": "stratified-5", "seed": 7, "mel": {"n_mels": 128, "hop_length": 512}}


def test_create_run_writes_a_complete_queued_run(tmp_path):
    run = create_run(CONFIG, name="baseline", user="ana", root=tmp_path)
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{4}", run.id)
    assert run.dir == tmp_path / run.id
    assert sorted(p.name for p in tmp_path.iterdir()) == [run.id]  # no .tmp- left behind
    loaded = load_run(run.id, root=tmp_path)
    assert loaded.status is RunStatus.QUEUED and loaded.error is None
    assert (loaded.name, loaded.user, loaded.label) == ("baseline", "ana", "baseline")
    assert loaded.config["mel"] == CONFIG["mel"] and loaded.config["seed"] == 7
    assert loaded.config["library_versions"]["numpy"] == np.__version__
    assert loaded.created == run.created and loaded.started is None


def test_library_versions_without_importing_the_frameworks():
    code = (
        "import sys; from core.runs import library_versions; v = library_versions(); "
        "assert not {'tensorflow', 'torch', 'keras'} & set(sys.modules), sorted(sys.modules); "
        "print(v['tensorflow'], v['torch'], v['python'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [tensorflow_version(), torch.__version__, platform.python_version()]
    assert set(library_versions()) >= {"python", "numpy", "torch", "tensorflow", "keras", "librosa"}


def test_list_runs_is_newest_first_and_never_shows_half_a_run(tmp_path):
    first = create_run(CONFIG, root=tmp_path)
    second = create_run(CONFIG, root=tmp_path)
    (tmp_path / ".tmp-20990101-000000-beef").mkdir()  # a run being assembled
    (tmp_path / ".trash-20000101-000000-dead").mkdir()  # a run being deleted
    (tmp_path / "README.md").write_text("models live here\n")
    corrupt = tmp_path / "20200101-000000-0bad"
    corrupt.mkdir()
    (corrupt / "status.json").write_text('{"status": "runn')  # cut off mid-write
    missing = tmp_path / "20200101-000000-0000"
    missing.mkdir()

    runs = list_runs(tmp_path)

    assert [r.id for r in runs[:2]] == [second.id, first.id]
    broken = {r.id: r for r in runs[2:]}
    assert set(broken) == {corrupt.name, missing.name}
    for run in broken.values():
        assert run.status is RunStatus.FAILED
        assert "damaged or incomplete" in run.error
    assert "status.json" in broken[missing.name].error
    assert list_runs(tmp_path / "nowhere") == []


def test_load_rename_and_errors(tmp_path):
    run = create_run(CONFIG, root=tmp_path)
    renamed = rename_run(run.id, "  wide kernels  ", root=tmp_path)
    assert renamed.name == "wide kernels" == load_run(run.id, root=tmp_path).name
    assert load_run(run.id, root=tmp_path).config == run.config  # renaming keeps the rest
    with pytest.raises(RunError, match="no run"):
        load_run("20200101-000000-ffff", root=tmp_path)
    for bad in ("../etc", ".tmp-x", "", "a/b"):
        with pytest.raises(RunError, match="not a valid run id"):
            load_run(bad, root=tmp_path)
    assert issubclass(RunError, GenreLabError)


def test_delete_refuses_active_runs_and_removes_finished_ones(tmp_path):
    run = create_run(CONFIG, root=tmp_path)
    with pytest.raises(RunError, match="queued: cancel it"):
        delete_run(run.id, root=tmp_path)
    assert run.set_status(RunStatus.RUNNING, pid=12345)
    with pytest.raises(RunError, match="running: cancel it"):
        delete_run(run.id, root=tmp_path)
    assert load_run(run.id, root=tmp_path).status is RunStatus.RUNNING
    run.set_status(RunStatus.CANCELLED)
    delete_run(run.id, root=tmp_path)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RunError):
        delete_run(run.id, root=tmp_path)


def test_set_status_is_a_compare_and_set_with_times(tmp_path):
    run = create_run(CONFIG, root=tmp_path)
    other = load_run(run.id, root=tmp_path)  # a second handle, as another process has
    assert other.set_status(RunStatus.CANCELLED, only_from=[RunStatus.QUEUED])
    assert not run.set_status(RunStatus.RUNNING, pid=1, only_from=[RunStatus.QUEUED])
    assert run.status is RunStatus.CANCELLED  # the handle now shows the current state
    assert run.finished is not None and run.started is None

    run2 = create_run(CONFIG, root=tmp_path)
    assert run2.set_status("running", pid=4321, only_from=[RunStatus.QUEUED])
    run2.set_status(RunStatus.FAILED, "ValueError: bad shape")
    loaded = load_run(run2.id, root=tmp_path)
    assert (loaded.status, loaded.error, loaded.pid) == (
        RunStatus.FAILED,
        "ValueError: bad shape",
        4321,
    )
    assert loaded.created <= loaded.started <= loaded.finished


def test_fold_files_round_trip(tmp_path):
    run = create_run(CONFIG, root=tmp_path)
    history = [
        {"epoch": 1, "train_loss": 2.1, "train_acc": 0.2, "val_loss": 2.0, "val_acc": 0.25},
        {
            "epoch": 2,
            "train_loss": np.float32(1.5),
            "train_acc": 0.5,
            "val_loss": None,
            "val_acc": None,
        },
    ]
    run.write_history(1, history)
    preds = pd.DataFrame(
        {
            "track_id": ["blues.00000", "rock.00012"],
            "true": ["blues", "rock"],
            "blues": [0.9, 0.3],
            "rock": [0.1, 0.7],
        }
    )
    run.write_predictions(1, preds)
    run.write_confusion(1, np.array([[1, 0], [0, 1]]), ["blues", "rock"])
    run.write_summary({"mean_test_acc": np.float64(0.5), "fold_acc": np.array([0.4, 0.6])})
    run.write_confusion(0, [[2]], ["blues"])

    loaded = load_run(run.id, root=tmp_path)
    assert loaded.folds() == [0, 1]
    assert loaded.read_history(1)[1]["train_loss"] == pytest.approx(1.5)
    pd.testing.assert_frame_equal(loaded.read_predictions(1), preds)
    assert loaded.read_confusion(1) == ([[1, 0], [0, 1]], ["blues", "rock"])
    assert loaded.summary == {"mean_test_acc": 0.5, "fold_acc": [0.4, 0.6]} == run.summary
    with pytest.raises(ValueError, match="shape"):
        run.write_confusion(2, np.zeros((2, 3)), ["a", "b"])
    with pytest.raises(ValueError, match="track_id"):
        run.write_predictions(2, pd.DataFrame({"true": ["rock"]}))
    assert not list(run.dir.rglob(".*.tmp*"))  # no temporary file left anywhere


def test_events_are_readable_while_being_written(tmp_path):
    run = create_run(CONFIG, root=tmp_path)
    assert run.read_events() == ([], 0)
    run.append_event({"type": "epoch", "fold": 0, "epoch": 1, "val_acc": np.float32(0.5)})
    run.append_event({"type": "epoch", "fold": 0, "epoch": 2})
    events, offset = run.read_events()
    assert [e["epoch"] for e in events] == [1, 2] and all("time" in e for e in events)
    assert events[0]["val_acc"] == 0.5

    # A writer caught mid-line: the partial line waits for the next read.
    with open(run.dir / "events.jsonl", "a") as f:
        f.write('{"type": "epoch", "epo')
        f.flush()
        assert run.read_events(offset) == ([], offset)
        f.write('ch": 3}\nnot json\n[1, 2]\n')
    events, new_offset = run.read_events(offset)
    assert events == [{"type": "epoch", "epoch": 3}]  # garbled lines are skipped
    assert new_offset == (run.dir / "events.jsonl").stat().st_size
    run.append_event({"type": "done"})
    assert [e["type"] for e in run.read_events(new_offset)[0]] == ["done"]


def test_cancel_flag(tmp_path):
    run = create_run(CONFIG, root=tmp_path)
    assert not run.cancel_requested()
    run.request_cancel()
    assert load_run(run.id, root=tmp_path).cancel_requested()


def test_atomic_writes_leave_the_old_file_on_failure(tmp_path):
    target = tmp_path / "status.json"
    write_json(target, {"status": "queued", "pid": None, "path": tmp_path})
    assert json.loads(target.read_text()) == {
        "status": "queued",
        "pid": None,
        "path": str(tmp_path),
    }
    with pytest.raises(TypeError, match="not JSON serialisable"):
        write_json(target, {"status": object()})
    assert json.loads(target.read_text())["status"] == "queued"
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "model.keras") as tmp:
        assert tmp.suffix == ".keras" and tmp.parent == tmp_path
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["status.json"]

    write_text(tmp_path / "note.txt", "héllo")
    assert (tmp_path / "note.txt").read_text(encoding="utf-8") == "héllo"
    save_npy(tmp_path / "x.npy", np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(np.load(tmp_path / "x.npy"), np.arange(6).reshape(2, 3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["note.txt", "status.json", "x.npy"]


def test_run_from_a_damaged_folder_has_no_config(tmp_path):
    run = create_run(CONFIG, root=tmp_path)
    (run.dir / "config.json").write_text("{")
    damaged = Run.from_dir(run.dir)
    assert damaged.status is RunStatus.FAILED and damaged.config == {}
    assert "JSONDecodeError" in damaged.error
    delete_run(run.id, root=tmp_path)  # a damaged run can be deleted
    assert not run.dir.exists()


# ---- typed config, file names and progress events ------------------------------------------


def test_run_config_round_trips_and_reads_old_keys(tmp_path):
    from core.audio.mel import PRESETS
    from core.errors import ParamsError
    from core.runs import DatasetRef, RunConfig, RunInput
    from core.training.config import preset

    train = preset("paper", "keras", k=3, seed=4)
    config = RunConfig(DatasetRef("demo", "beef"), RunInput(mel=PRESETS["fast"]), train)
    run = create_run(config, name="typed", root=tmp_path)
    loaded = load_run(run.id, root=tmp_path)
    assert loaded.run_config == config.replace(library_versions=library_versions())
    assert loaded.config["train"]["k"] == 3 and loaded.config["dataset"] == "demo"
    assert loaded.model_path(1, create=False).name == "model.keras"

    old = {"dataset": "d", "input": {"image": "crop"}, "train": {"model": "recommended"}}
    typed = RunConfig.from_dict({**old, "who": "ann"})
    assert typed.input.image == "crop" and typed.params == {"who": "ann"}
    assert typed.train.resolved_model_params()["head"] == "gap"  # "model": the architecture
    with pytest.raises(ParamsError, match="Image input"):
        RunInput(image="sideways")
    with pytest.raises(ParamsError, match="either mel"):
        RunInput()
    with pytest.raises(ParamsError, match="kind"):
        RunConfig(kind="nap")


def test_only_training_runs_are_in_the_runs_table(tmp_path):
    from core.runs import RunConfig
    from core.runs.table import runs_frame

    trained = create_run({"train": {"protocol": "filtered"}}, name="trained", root=tmp_path)
    create_run(RunConfig(kind="scan", params={"detector": "repeats"}), root=tmp_path)
    broken = create_run({"train": {"epochs": -1}}, name="broken", root=tmp_path)
    table = runs_frame(list_runs(tmp_path)).set_index("id")
    assert sorted(table.index) == sorted([trained.id, broken.id])
    assert table.at[trained.id, "k"] == 1  # the fault-filtered split is one fold
    assert (
        "invalid config" in table.at[broken.id, "error"]
        and table.at[broken.id, "architecture"] == ""
    )


def test_model_file_names_one_file_per_framework():
    from core.errors import ParamsError
    from core.runs import files

    assert [files.model_file(f) for f in ("torch", "keras")] == ["model.pt", "model.keras"]
    assert set(files.MODEL_FILES.values()) <= set(files.FOLD_FILES)
    with pytest.raises(ParamsError, match="framework"):
        files.model_file("jax")


def test_typed_events_written_and_read_with_old_lines(tmp_path):
    from core.runs import events as ev

    run = create_run(CONFIG, root=tmp_path)
    run.append_event(ev.Stage("preparing inputs"))
    run.append_event({"type": "features", "done": 8, "total": 8})  # a dict, as old executors wrote
    run.append_event(ev.FoldStarted(fold=0, k=2, n_train=6, n_valid=0, n_test=6))
    for epoch in (1, 2):
        run.append_event(ev.EpochEnded(fold=0, k=2, epoch=epoch, epochs=4, val_acc=0.5, seconds=3))
    run.append_event({"type": "tick", "tick": 1})
    events, offset = ev.read_events(run.dir / "events.jsonl")
    assert [type(e).__name__ for e in events] == [
        "Stage",
        "FeaturesDone",
        "FoldStarted",
        "EpochEnded",
        "EpochEnded",
        "Other",
    ]
    assert events[-1].type == "tick" and events[-1].data == {"tick": 1}
    assert all(e.time for e in events) and offset == (run.dir / "events.jsonl").stat().st_size
    p = run.progress()
    assert (p.fold, p.k, p.epoch, p.epochs, p.fraction) == (0, 2, 2, 4, 0.25)
    assert p.text == "Fold 1/2 · epoch 2/4 · about 18 s left" and len(p.history) == 2

    run.append_event(ev.FoldEnded(fold=0, k=2, test_acc=0.75))
    run.append_event(ev.RunEnded(mean_acc=0.75, seconds=9.0))
    p = run.progress()
    assert p.finished and p.fraction == 1.0 and p.fold_acc == {0: 0.75} and p.text == "finished"
