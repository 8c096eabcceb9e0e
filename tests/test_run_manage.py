"""Runs managed like in TensorBoard / W&B: names, tags, notes, deletion (role-checked), the runs
table that leads with what tells runs apart, provenance in words, and the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.errors import ParamsError
from core.policy import ADMIN, VIEWER, AccessError, Actor
from core.runs import (
    RunConfig,
    RunStatus,
    create_run,
    files,
    list_runs,
    load_run,
    note_run,
    rename_run,
    tag_run,
)
from core.runs.provenance import accuracy_text, provenance, settings_summary
from core.runs.table import COLUMNS, all_tags, runs_frame, with_tags

V1 = Path(__file__).parent / "data" / "run_v1" / "20261202-003815-9ff1"
TRAIN = {"train": {"protocol": "stratified", "k": 3}}


def test_tags_and_notes_are_stored_in_meta_and_keep_its_other_keys(tmp_path):
    run = create_run(TRAIN, name="first", user="ann", root=tmp_path)
    meta = run.dir / files.META
    meta.write_text(json.dumps({"name": "first", "user": "ann", "origin": "lab-2"}))
    tag_run(run.id, add=["baseline", " keras", "baseline"], root=tmp_path)
    note_run(run.id, "  lr too high?  ", root=tmp_path)
    renamed = rename_run(run.id, "second", root=tmp_path)
    assert (renamed.name, renamed.tags, renamed.notes) == (
        "second",
        ["baseline", "keras"],
        "lr too high?",
    )
    stored = json.loads(meta.read_text())
    assert stored == {
        "name": "second",
        "user": "ann",
        "origin": "lab-2",
        "tags": ["baseline", "keras"],
        "notes": "lr too high?",
    }
    assert tag_run(run.id, add=["new"], remove=["keras"], root=tmp_path).tags == ["baseline", "new"]
    [listed] = list_runs(tmp_path)
    assert (listed.tags, listed.notes) == (["baseline", "new"], "lr too high?")
    assert not list(run.dir.glob("*.tmp*"))  # written atomically, nothing left behind


def test_bad_tags_and_long_notes_are_refused(tmp_path):
    run = create_run(TRAIN, root=tmp_path)
    for bad in ("two words", "a,b", "x" * 41):
        with pytest.raises(ParamsError, match="Tag"):
            tag_run(run.id, add=[bad], root=tmp_path)
    with pytest.raises(ParamsError, match="At most 20 tags"):
        tag_run(run.id, add=[f"t{i}" for i in range(21)], root=tmp_path)
    with pytest.raises(ParamsError, match="limited to"):
        note_run(run.id, "x" * 10_001, root=tmp_path)
    assert load_run(run.id, tmp_path).tags == []


def test_only_the_owner_or_an_admin_may_manage_a_run(tmp_path):
    run = create_run(TRAIN, user="ann", root=tmp_path)
    with pytest.raises(AccessError, match="Only ann"):
        tag_run(run.id, add=["x"], root=tmp_path, actor=Actor("bob"))
    with pytest.raises(AccessError, match="read-only"):
        note_run(run.id, "hi", root=tmp_path, actor=Actor("ann", VIEWER))
    assert tag_run(run.id, add=["ok"], root=tmp_path, actor=Actor("ann")).tags == ["ok"]
    assert note_run(run.id, "n", root=tmp_path, actor=Actor("root", ADMIN)).notes == "n"


def test_runs_table_leads_with_name_dataset_preset_protocol_accuracy(tmp_path):
    from core.training.config import preset

    config = RunConfig(train=preset("paper", "torch", k=3)).to_dict() | {"dataset": "/x/gtzan"}
    shutil.copytree(V1, tmp_path / V1.name)  # a finished run, as written by training
    done = rename_run(V1.name, "done", root=tmp_path)
    tag_run(done.id, add=["baseline", "paper"], root=tmp_path)
    running = create_run(config, name="running", root=tmp_path)
    running.set_status(RunStatus.RUNNING)
    running.append_event({"type": "fold_start", "fold": 1, "k": 3})
    running.append_event({"type": "epoch", "fold": 1, "k": 3, "epoch": 4, "epochs": 30})
    queued = create_run(config, name="queued", root=tmp_path)
    table = runs_frame(list_runs(tmp_path)).set_index("name")
    assert COLUMNS[:5] == ["name", "dataset", "preset", "protocol", "accuracy"]
    assert table.at["done", "accuracy"] == "0.500 ± 0.000 over 2 folds"
    assert table.at["done", "dataset"] == "data"
    assert table.at["done", "preset"].startswith("torch, recommended + epochs=2")
    assert table.at["running", "preset"] == "torch, paper + k=3"
    assert table.at["running", "dataset"] == "gtzan"
    assert table.at["running", "progress"].startswith("Fold 2/3 · epoch 4/30")
    assert table.at["queued", "progress"] == "waiting for a worker" and queued.id
    assert table.at["done", "progress"] == "" and table.at["running", "accuracy"] == ""
    frame = runs_frame(list_runs(tmp_path))
    assert all_tags(frame) == ["baseline", "paper"]
    assert list(with_tags(frame, ["paper"])["name"]) == ["done"]
    assert len(with_tags(frame, [])) == 3


def test_provenance_of_an_old_run_and_its_settings_in_one_line(tmp_path):
    shutil.copytree(V1, tmp_path / V1.name)
    run = load_run(V1.name, tmp_path)
    rows = dict(provenance(run))
    assert rows["dataset"] == "data" and rows["fingerprint"] == "v1-fingerprint"
    assert rows["clips"] == "8" and rows["folds (train/valid/test)"] == "1: 4/0/4; 2: 4/0/4"
    assert rows["protocol"] == "stratified, 2 fold(s), seed 0"
    assert rows["accuracy"] == "0.500 ± 0.000 over 2 folds"
    assert "torch 2.13.0+cpu" in rows["versions"]
    assert rows["input"].startswith("mel: 64 mels")
    assert rows["training"].startswith("torch, recommended + ")
    line = settings_summary(run.run_config)
    assert line.startswith("data · mel: 64 mels") and "torch, recommended" in line
    assert accuracy_text({"fold_acc": [0.9]}) == "0.900 on a single split"
    assert accuracy_text({}) == ""


def test_command_line_shows_renames_tags_notes_and_deletes(tmp_path, monkeypatch, capsys):
    from core.cli import main

    monkeypatch.setenv("GENRELAB_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("GENRELAB_DATA_DIR", str(tmp_path / "data"))
    shutil.copytree(V1, tmp_path / V1.name)
    run_id = V1.name
    assert main(["runs", "rename", run_id, "renamed"]) == 0
    assert main(["runs", "tag", run_id, "baseline", "v1"]) == 0
    assert main(["runs", "tag", run_id, "--remove", "v1"]) == 0
    assert main(["runs", "note", run_id, "kept for the v1 test"]) == 0
    capsys.readouterr()
    assert main(["runs", "show", run_id]) == 0
    shown = capsys.readouterr().out
    for text in ("renamed", "baseline", "kept for the v1 test", "v1-fingerprint", "1: 4/0/4"):
        assert text in shown, shown
    assert "v1," not in shown
    assert main(["runs", "tag", run_id, "bad tag"]) == 2
    assert main(["runs", "delete", run_id]) == 0  # the runs CLI's delete (core.cli)
    assert not (tmp_path / run_id).exists()
    assert main(["runs", "show", run_id]) == 2
