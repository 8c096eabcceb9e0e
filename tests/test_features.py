"""core.features: the feature store, on small generated datasets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from core.audio import load
from core.audio.kaggle_image import HEIGHT, WIDTH
from core.audio.mel import PRESETS, MelParams, mel_reference, segments
from core.errors import Cancelled, DatasetError, ParamsError
from core.features import compute_features, delete_store, list_stores, open_store, store_key

ROOT = Path(__file__).resolve().parents[1]
PARAMS = MelParams(duration=1.0, n_fft=512, hop_length=256, n_mels=32)
GENRES = ["blues", "jazz", "metal"]


def make_dataset(folder: Path, n: int = 6) -> pd.DataFrame:
    """n one-second clips (one at 16 kHz, one only 0.6 s long) and their manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    rows = []
    for i in range(n):
        genre = GENRES[i % len(GENRES)]
        sr = 16000 if i == 1 else 22050
        seconds = 0.6 if i == 2 else 1.0
        t = np.arange(int(seconds * sr)) / sr
        y = 0.3 * np.sin(2 * np.pi * 220 * (i + 1) * t) + 0.05 * rng.standard_normal(t.size)
        path = folder / f"{genre}.{i:05d}.wav"
        sf.write(path, y.astype(np.float32), sr, subtype="PCM_16")
        rows.append(_row(f"{genre}.{i:05d}", path, genre, seconds, sr))
    return pd.DataFrame(rows)


def _row(track_id: str, path: Path, genre: str, seconds: float, sr: int) -> dict:
    return {
        "track_id": track_id,
        "path": str(path),
        "genre": genre,
        "kind": "audio",
        "duration": seconds,
        "sample_rate": sr,
        "channels": 1,
        "readable": True,
        "problem": "",
    }


class Counter:
    """A progress callback that records its calls and can act at a given count."""

    def __init__(self, at: int = -1, action=None):
        self.calls: list[tuple[int, int]] = []
        self.at, self.action = at, action

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))
        if done == self.at and self.action:
            self.action()


def store_dirs(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


@pytest.fixture()
def dataset(tmp_path):
    return make_dataset(tmp_path / "audio")


def test_computes_every_clip_like_the_reference(dataset, tmp_path):
    progress = Counter()
    features = compute_features(dataset, PARAMS, root=tmp_path / "store", progress=progress)
    assert features.X.shape == (6, 1, 32, PARAMS.n_frames) and features.X.dtype == np.float32
    assert list(features.track_ids) == list(dataset["track_id"])
    assert list(features.genres) == list(dataset["genre"])
    assert progress.calls[0] == (0, 6) and progress.calls[-1] == (6, 6)
    for i, path in enumerate(dataset["path"]):  # includes the resampled 16 kHz clip
        expected = mel_reference(segments(load(path), PARAMS), PARAMS)
        assert np.abs(features.X[i] - expected).max() < 0.01
    padded = features.index.set_index("track_id")["padded_seconds"]
    assert padded["blues.00000"] == 0 and padded["metal.00002"] == pytest.approx(0.4, abs=1e-3)
    assert features.skipped.empty


def test_unreadable_and_image_rows_are_skipped_and_reported(dataset, tmp_path):
    extra = pd.DataFrame(
        [
            {
                **_row("pop.00000", tmp_path / "bad.wav", "pop", 0, 0),
                "readable": False,
                "problem": "not an audio file",
            },
            {**_row("pop.00001", tmp_path / "x.png", "pop", 0, 0), "kind": "image"},
        ]
    )
    features = compute_features(pd.concat([dataset, extra]), PARAMS, root=tmp_path / "store")
    assert features.n_clips == 6
    problems = dict(zip(features.skipped["track_id"], features.skipped["problem"], strict=True))
    assert problems == {"pop.00000": "not an audio file", "pop.00001": "an image, not audio"}
    assert list_stores(tmp_path / "store")["skipped"].tolist() == [2]


def test_second_call_loads_the_store_without_computing(dataset, tmp_path):
    root = tmp_path / "store"
    first = compute_features(dataset, PARAMS, root=root)
    progress = Counter()
    second = compute_features(dataset, PARAMS, root=root, progress=progress)
    assert progress.calls == []  # nothing recomputed
    assert second.key == first.key == store_key(dataset, PARAMS)
    assert second.created == first.created
    np.testing.assert_array_equal(second.X, first.X)
    assert isinstance(second.X, np.memmap) and not second.X.flags.writeable
    table = list_stores(root)
    assert table["key"].tolist() == [first.key]
    assert table.loc[0, "clips"] == 6 and table.loc[0, "size_bytes"] > first.X.nbytes
    assert table.loc[0, "params"] == PARAMS.summary()
    assert table.loc[0, "dataset"] == str(tmp_path / "audio")


def test_changed_file_or_param_recomputes(dataset, tmp_path):
    root = tmp_path / "store"
    keys = {compute_features(dataset, PARAMS, root=root).key}
    path = dataset.loc[0, "path"]
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched
    keys.add(compute_features(dataset, PARAMS, root=root, progress=(touched := Counter())).key)
    assert touched.calls[-1] == (6, 6)
    y, sr = sf.read(path)
    sf.write(path, -y, sr)  # modified
    modified = compute_features(dataset, PARAMS, root=root)
    keys.add(modified.key)
    np.testing.assert_allclose(
        modified.X[0], mel_reference(segments(load(path), PARAMS), PARAMS), atol=0.01
    )
    keys.add(compute_features(dataset, PARAMS.replace(n_mels=16), root=root).key)
    assert len(keys) == 4
    assert len(list_stores(root)) == 4


def test_cancel_midway_leaves_nothing_and_the_next_run_completes(dataset, tmp_path):
    root = tmp_path / "store"
    stop = threading.Event()
    with pytest.raises(Cancelled, match="cancelled after"):
        compute_features(
            dataset, PARAMS, root=root, progress=Counter(2, stop.set), should_stop=stop
        )
    assert store_dirs(root) == []  # neither a store nor a build folder
    with pytest.raises(DatasetError):
        open_store(store_key(dataset, PARAMS), root)
    with pytest.raises(Cancelled):
        compute_features(dataset, PARAMS, root=root, should_stop=lambda: True)
    features = compute_features(dataset, PARAMS, root=root)
    assert features.n_clips == 6 and store_dirs(root) == [features.key]


def test_crash_midway_leaves_no_store(dataset, tmp_path):
    root = tmp_path / "store"

    def crash():
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        compute_features(dataset, PARAMS, root=root, progress=Counter(3, crash))
    assert store_dirs(root) == []
    assert list_stores(root).empty


def test_files_deleted_during_the_run_are_reported_not_stored(dataset, tmp_path):
    root = tmp_path / "store"
    gone = dataset.iloc[-2:]

    def delete():
        for path in gone["path"]:
            os.remove(path)

    features = compute_features(dataset, PARAMS, root=root, progress=Counter(1, delete))
    assert features.X.shape[0] == features.n_clips == 4
    assert list(features.track_ids) == list(dataset["track_id"][:4])
    for i, path in enumerate(features.index["path"]):  # rows stay aligned with the index
        expected = mel_reference(segments(load(path), PARAMS), PARAMS)
        assert np.abs(features.X[i] - expected).max() < 0.01
    problems = features.skipped.set_index("track_id")["problem"]
    for track_id, path in zip(gone["track_id"], gone["path"], strict=True):
        assert (
            "could not be decoded" in problems[track_id] and Path(path).name in problems[track_id]
        )
    assert store_key(dataset, PARAMS) != features.key  # the dataset changed: not reused


def test_killed_process_leaves_no_complete_store(dataset, tmp_path):
    root = tmp_path / "store"
    manifest = tmp_path / "manifest.pkl"
    dataset.to_pickle(manifest)
    script = (
        "import sys, time, pandas as pd\n"
        "from core.features import compute_features\n"
        "from core.audio.mel import MelParams\n"
        "def progress(done, total):\n"
        "    print(done, flush=True)\n"
        "    if done == 3:\n"
        "        time.sleep(60)\n"
        f"compute_features(pd.read_pickle({str(manifest)!r}), MelParams(**{PARAMS.to_dict()!r}),"
        f" root={str(root)!r}, progress=progress)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        for line in child.stdout:
            if line.strip() == "3":
                break
        assert child.poll() is None
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert len(store_dirs(root)) == 1 and store_dirs(root)[0].startswith(".tmp-")  # abandoned
    assert list_stores(root).empty
    with pytest.raises(DatasetError):
        open_store(store_key(dataset, PARAMS), root)
    features = compute_features(dataset, PARAMS, root=root)
    assert features.n_clips == 6
    assert store_dirs(root) == [features.key]  # the abandoned build folder was removed


def test_segments_and_image_mode(dataset, tmp_path):
    root = tmp_path / "store"
    halves = compute_features(dataset, PARAMS.replace(segment_seconds=0.5), root=root)
    assert halves.X.shape == (6, 2, 32, PARAMS.replace(segment_seconds=0.5).n_frames)
    images = compute_features(dataset, PRESETS["kaggle"], root=root)
    assert images.X.shape == (6, 1, HEIGHT, WIDTH, 3) and images.X.dtype == np.uint8
    assert images.index["padded_seconds"].eq(0).all()  # whole clips: nothing padded


def test_delete_store(dataset, tmp_path):
    root = tmp_path / "store"
    features = compute_features(dataset, PARAMS, root=root)
    delete_store(features.key, root)
    assert store_dirs(root) == [] and list_stores(root).empty
    with pytest.raises(DatasetError, match="No feature store"):
        delete_store(features.key, root)


def test_refusals(dataset, tmp_path):
    root = tmp_path / "store"
    with pytest.raises(ParamsError, match="same shape for every clip"):
        compute_features(dataset, MelParams(duration=None), root=root)
    with pytest.raises(DatasetError, match="lacks the column"):
        compute_features(dataset.drop(columns="readable"), PARAMS, root=root)
    with pytest.raises(DatasetError, match="No readable audio clip"):
        compute_features(dataset.assign(readable=False), PARAMS, root=root)
