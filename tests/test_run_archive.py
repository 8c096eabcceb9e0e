"""Run archives (core.runs.archive): a round trip between two models folders, and crafted archives
that must be refused without leaving anything behind or running anything."""

from __future__ import annotations

import json
import os
import pickle
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import torch

from core.errors import ArchiveError
from core.runs import RunError, RunStatus, create_run, list_runs, load_run
from core.runs.archive import export_runs, import_runs
from core.training.config import preset

INPUT_SHAPE = (16, 16, 1)


def _torch_model():
    """The paper's torch CNN for :data:`INPUT_SHAPE` inputs and two labels."""
    from core.models.torch_cnn import build_torch_model

    params = preset("paper", "torch").resolved_model_params()
    return build_torch_model(INPUT_SHAPE, 2, params)


def make_run(root: Path, name: str = "shared run", framework: str = "torch", model=None):
    """A completed run as training leaves it: results, weights, and live files beside them."""
    config = {"dataset": "demo", "input": {"image": "crop"}}
    config["train"] = preset("paper", framework, k=2).to_dict()
    run = create_run(config, name=name, user="ann", root=root)
    for fold in range(2):
        run.write_history(fold, [{"epoch": 1, "train_loss": 0.9, "val_acc": 0.5}])
        table = pd.DataFrame({"track_id": ["blues.00000"], "true": ["blues"]})
        run.write_predictions(fold, table.assign(predicted="rock", blues=0.4, rock=0.6))
        run.write_confusion(fold, [[0, 1], [0, 0]], ["blues", "rock"])
        if framework == "torch":
            torch.save(_torch_model().state_dict(), run.fold_dir(fold) / "model.pt")
        else:
            model.save(run.fold_dir(fold) / "model.keras")
    run.write_summary(
        {
            "mean_acc": 0.5,
            "fold_acc": [0.5, 0.5],
            "labels": ["blues", "rock"],
            "input_shape": list(INPUT_SHAPE),
        }
    )
    run.append_event({"type": "epoch", "epoch": 1})
    (run.dir / "worker.log").write_text("training...\n")
    run.set_status(RunStatus.COMPLETED)
    return load_run(run.id, root)


def everything(root: Path) -> set[str]:
    """Every path under ``root``, hidden ones included."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*")} if root.exists() else set()


def rezip(archive: Path, dest: Path, changes: dict[str, bytes | None]) -> Path:
    """A copy of ``archive`` with members replaced, added (bytes) or removed (None)."""
    with zipfile.ZipFile(archive) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    for name, data in changes.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    with zipfile.ZipFile(dest, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dest


@pytest.fixture
def exported(tmp_path):
    """``(archive, run)``: an export of one completed torch run."""
    run = make_run(tmp_path / "src")
    return export_runs([run.id], tmp_path / "runs.zip", root=tmp_path / "src"), run


def test_round_trip_between_two_models_folders(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    a, b = make_run(src, "first"), make_run(src, "second")
    archive = export_runs([a.id, b.id], tmp_path, root=src)  # a folder: the file is named
    assert archive.parent == tmp_path and archive.suffix == ".zip"
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
    assert f"{a.id}/config.json" in names and f"{b.id}/fold_1/model.pt" in names
    assert not any(n.endswith(("events.jsonl", ".lock", "worker.log")) for n in names)

    imported = import_runs(archive, root=dst)
    assert sorted(r.id for r in imported) == sorted([a.id, b.id])
    for original in (a, b):
        copy = load_run(original.id, dst)
        assert copy.status is RunStatus.COMPLETED and copy.label == original.label
        assert copy.user == "ann" and copy.config == original.config
        assert copy.summary == original.summary and copy.folds() == [0, 1]
        pd.testing.assert_frame_equal(copy.read_predictions(1), original.read_predictions(1))
        assert copy.read_confusion(0) == original.read_confusion(0)
        weights = torch.load(copy.fold_dir(0) / "model.pt", weights_only=True)
        expected = torch.load(original.fold_dir(0) / "model.pt", weights_only=True)
        assert all(torch.equal(weights[k], expected[k]) for k in expected)
    assert not any(p.name.startswith(".import") for p in dst.iterdir())


def test_importing_twice_gives_new_ids(exported, tmp_path):
    archive, run = exported
    dst = tmp_path / "dst"
    [first] = import_runs(archive, root=dst)
    [second] = import_runs(archive, root=dst)
    assert first.id == run.id and second.id != run.id
    assert second.label == run.label and second.status is RunStatus.COMPLETED
    assert len(list_runs(dst)) == 2


def test_only_completed_runs_are_exported(tmp_path):
    queued = create_run({"train": {}}, name="waiting", root=tmp_path)
    with pytest.raises(RunError, match="only completed runs"):
        export_runs([queued.id], tmp_path / "x.zip", root=tmp_path)
    with pytest.raises(RunError):
        export_runs(["no-such-run"], tmp_path / "x.zip", root=tmp_path)
    assert not (tmp_path / "x.zip").exists()


class Payload:
    """Unpickling this runs a shell command that creates ``marker``: a classic pickle attack."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _keras_zip(config: dict, extra: dict[str, bytes] | None = None) -> bytes:
    """The bytes of a hand-made .keras file (a zip), optionally with extra members."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        zf.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


LAMBDA_CONFIG = {
    "module": "keras.layers",
    "class_name": "Lambda",
    "config": {"function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}},
}
CUSTOM_CONFIG = {"module": "evil.layers", "class_name": "Backdoor", "config": {}}


def _malicious(case: str, run, marker: Path) -> dict[str, bytes | None]:
    """Changes to an honest export that turn it into the attack ``case``."""
    rid = run.id
    status = json.loads((run.dir / "status.json").read_text())
    running = json.dumps(dict(status, status="running")).encode()
    config = dict(run.config)
    keras_config = dict(config, train=preset("paper", "keras", k=2).to_dict())
    return {
        "path escape": {"../escaped.txt": b"outside"},
        "path escape inside a run": {f"{rid}/../../escaped.txt": b"outside"},
        "pickle as model.pt": {f"{rid}/fold_0/model.pt": _torch_pickle(marker)},
        "plain pickle as model.pt": {f"{rid}/fold_0/model.pt": pickle.dumps(Payload(marker), 2)},
        "unknown file": {f"{rid}/run.sh": b"#!/bin/sh\n"},
        "unknown fold file": {f"{rid}/fold_0/cache.npy": b"\x93NUMPY"},
        "loose file at the top": {"README.txt": b"hello"},
        "not a run id": {".hidden/config.json": b"{}"},
        "unfinished run": {f"{rid}/status.json": running},
        "own executor": {
            f"{rid}/config.json": json.dumps(dict(config, executor="core.cli:main")).encode()
        },
        "broken json": {f"{rid}/summary.json": b"{not json"},
        "keras lambda": {
            f"{rid}/config.json": json.dumps(keras_config).encode(),
            f"{rid}/fold_0/model.pt": None,
            f"{rid}/fold_1/model.pt": None,
            f"{rid}/fold_0/model.keras": _keras_zip(LAMBDA_CONFIG),
        },
        "keras custom class": {
            f"{rid}/config.json": json.dumps(keras_config).encode(),
            f"{rid}/fold_0/model.pt": None,
            f"{rid}/fold_1/model.pt": None,
            f"{rid}/fold_0/model.keras": _keras_zip(CUSTOM_CONFIG),
        },
        "keras with a pickle": {
            f"{rid}/config.json": json.dumps(keras_config).encode(),
            f"{rid}/fold_0/model.pt": None,
            f"{rid}/fold_1/model.pt": None,
            f"{rid}/fold_0/model.keras": _keras_zip(
                {"module": "keras.layers", "class_name": "Dense"},
                {"assets/payload.pkl": pickle.dumps(Payload(marker))},
            ),
        },
    }[case]


def _torch_pickle(marker: Path) -> bytes:
    import io

    buffer = io.BytesIO()
    torch.save({"weight": torch.zeros(2), "payload": Payload(marker)}, buffer)
    return buffer.getvalue()


CASES = [
    "path escape",
    "path escape inside a run",
    "pickle as model.pt",
    "plain pickle as model.pt",
    "unknown file",
    "unknown fold file",
    "loose file at the top",
    "not a run id",
    "unfinished run",
    "own executor",
    "broken json",
    "keras lambda",
    "keras custom class",
    "keras with a pickle",
]


@pytest.mark.parametrize("case", CASES)
def test_crafted_archives_are_refused_and_leave_nothing(exported, tmp_path, case):
    archive, run = exported
    marker = tmp_path / "pwned"
    crafted = rezip(archive, tmp_path / "crafted.zip", _malicious(case, run, marker))
    dst = tmp_path / "dst"
    dst.mkdir()
    make_run(dst, "already here")
    before = everything(dst)

    with pytest.raises(ArchiveError):
        import_runs(crafted, root=dst)
    assert everything(dst) == before
    assert not marker.exists(), "a pickle was executed"
    assert not (tmp_path / "escaped.txt").exists()


def test_refusals_explain_themselves(exported, tmp_path):
    archive, run = exported
    marker = tmp_path / "pwned"
    for case, words in [
        ("pickle as model.pt", "pickled objects"),
        ("unknown file", "run.sh"),
        ("unfinished run", "only completed runs"),
        ("own executor", "default"),
        ("keras lambda", "Lambda"),
    ]:
        crafted = rezip(archive, tmp_path / "crafted.zip", _malicious(case, run, marker))
        with pytest.raises(ArchiveError, match=words):
            import_runs(crafted, root=tmp_path / "dst")


def test_not_an_archive_and_an_empty_one(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not a zip")
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    for archive, words in [(junk, "not a zip"), (empty, "no runs")]:
        with pytest.raises(ArchiveError, match=words):
            import_runs(archive, root=tmp_path / "dst")
    assert everything(tmp_path / "dst") == set()


def test_keras_runs_travel_and_load_in_safe_mode(tmp_path):
    from core.models.keras_cnn import build_keras_model, keras

    model = build_keras_model((20, 20, 1), 2)
    run = make_run(tmp_path / "src", "keras run", framework="keras", model=model)
    archive = export_runs([run.id], tmp_path / "k.zip", root=tmp_path / "src")
    [copy] = import_runs(archive, root=tmp_path / "dst")
    loaded = keras.models.load_model(copy.fold_dir(1) / "model.keras", safe_mode=True)
    assert loaded.count_params() == model.count_params()
