"""The synthetic demo dataset: layout, determinism, planted faults against their ground truth."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.demo import (
    FAULT_KINDS,
    FULL_SCALE,
    META_COLUMNS,
    ensure_demo,
    generate_demo,
    is_complete,
    load_demo_truth,
)
from core.errors import Cancelled, DatasetError, ParamsError
from core.genres import GENRES
from core.settings import SAMPLE_RATE

SMALL = {"clips_per_genre": 4, "seconds": 2.5}
N = int(SMALL["seconds"] * SAMPLE_RATE)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_demo(tmp_path_factory.mktemp("demo") / "set", seed=0, **SMALL)


@pytest.fixture(scope="module")
def truth(demo: Path):
    return load_demo_truth(demo).set_index("track_id", drop=False)


def _read(root: Path, track_id: str, truth) -> np.ndarray:
    genre = truth.loc[track_id, "genre_label"]
    return sf.read(root / "genres" / genre / f"{track_id}.wav", dtype="int16")[0]


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _longest_run(mask: np.ndarray) -> int:
    padded = np.concatenate([[0], mask.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max(initial=0))


def test_gtzan_layout_and_counts(demo: Path, truth) -> None:
    assert sorted(p.name for p in (demo / "genres").iterdir()) == sorted(GENRES)
    for genre in GENRES:
        names = sorted(p.name for p in (demo / "genres" / genre).iterdir())
        assert names == [f"{genre}.{i:05d}.wav" for i in range(4)]
    for path in (demo / "genres").rglob("*.wav"):
        info = sf.info(path)
        assert (info.samplerate, info.channels, info.subtype, info.frames) == (
            SAMPLE_RATE,
            1,
            "PCM_16",
            N,
        )
    assert tuple(load_demo_truth(demo).columns) == META_COLUMNS
    assert len(truth) == 40 and set(truth["genre_label"]) == set(GENRES)
    assert "synthetic" in (demo / "README.md").read_text().lower()
    assert is_complete(demo)


def test_same_seed_same_bytes_other_seed_other_audio(demo: Path, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    again = generate_demo(tmp_path / "again", 0, progress=lambda *a: calls.append(a), **SMALL)
    assert _files(again) == _files(demo)
    assert calls == [(i, 40) for i in range(1, 41)]
    other = generate_demo(tmp_path / "other", seed=1, **SMALL)
    theirs, ours = _files(other), _files(demo)
    assert all(theirs[k] != ours[k] for k in ours if k.endswith(".wav"))
    assert (load_demo_truth(other)["fault"] != load_demo_truth(demo)["fault"]).any()


def test_every_fault_kind_is_planted_and_described(truth) -> None:
    counts = truth.loc[truth["fault"] != "", "fault"].value_counts().to_dict()
    assert counts == {"exact_repetition": 12, "mislabel": 4, "clipping": 3, "dropout": 3}
    assert set(counts) == set(FAULT_KINDS)
    assert (truth.loc[truth["fault"] != "", "detail"] != "").all()
    assert (truth.loc[truth["fault"] == "", "detail"] == "").all()
    for track_id, row in truth[truth["fault"] == "exact_repetition"].iterrows():
        (other,) = row["related"].split(";")
        assert truth.loc[other, "related"] == track_id  # pairs name each other
        assert truth.loc[other, "artist"] == row["artist"]
    assert (truth.loc[truth["fault"] != "exact_repetition", "related"] == "").all()


def test_repetitions_are_identical_in_the_files(demo: Path, truth) -> None:
    reps = truth[truth["fault"] == "exact_repetition"]
    copies = reps[reps["detail"].str.contains("copy of|later:")]
    assert len(copies) == 6
    across = copies[copies["genre_label"] != copies["true_genre"]]
    assert len(across) == 2  # one exact copy and one offset excerpt filed under another genre
    offsets = 0
    for track_id, row in copies.iterrows():
        copy, orig = _read(demo, track_id, truth), _read(demo, row["related"], truth)
        if row["detail"].startswith("byte-identical"):
            assert np.array_equal(copy, orig)
            continue
        offsets += 1
        shift = int(re.search(r"\((\d+) samples\)", row["detail"]).group(1))
        assert 0 < shift < N // 2
        assert np.array_equal(copy[: N - shift], orig[shift:])  # the same recording, later
        assert not np.array_equal(copy, orig)
        assert not np.array_equal(copy[N - shift :], orig[:shift])  # padded with other music
    assert offsets == 2


def test_mislabels_are_filed_under_another_genre(demo: Path, truth) -> None:
    mislabels = truth[truth["fault"] == "mislabel"]
    assert len(mislabels) == 4
    clean = truth[truth["fault"] == ""]
    for track_id, row in mislabels.iterrows():
        assert row["genre_label"] != row["true_genre"]
        assert (demo / "genres" / row["genre_label"] / f"{track_id}.wav").is_file()
        # the artist plays the true genre, never the genre the clip is filed under
        assert row["artist"] not in set(
            clean.loc[clean["genre_label"] == row["genre_label"], "artist"]
        )


def test_clipped_clips_have_flat_tops(demo: Path, truth) -> None:
    levels = []
    for track_id, row in truth.iterrows():
        x = np.abs(_read(demo, track_id, truth).astype(np.int32))
        if row["fault"] == "clipping":
            level = int(re.search(r"\(\+/-(\d+)\)", row["detail"]).group(1))
            levels.append(level)
            assert x.max() == level
            assert np.mean(x == level) > 0.01 and _longest_run(x == level) >= 3
        else:  # clean peaks are never flat, and never at full scale
            assert x.max() < FULL_SCALE and _longest_run(x == x.max()) < 3
    assert FULL_SCALE in levels and min(levels) < 0.95 * FULL_SCALE


def test_dropouts_are_runs_of_exact_zeros(demo: Path, truth) -> None:
    for track_id, row in truth.iterrows():
        x = _read(demo, track_id, truth)
        if row["fault"] == "dropout":
            spans = [(int(a), int(b)) for a, b in re.findall(r"samples (\d+):(\d+)", row["detail"])]
            assert spans
            for start, stop in spans:
                assert 0 < start < stop < N and stop - start > 0.01 * SAMPLE_RATE
                assert not x[start:stop].any()
            longest = max(b - a for a, b in spans)
            assert longest <= _longest_run(x == 0) < longest + 20
        else:
            assert _longest_run(x == 0) < 20  # clean clips: no digital silence


def test_genres_differ_in_dynamics(demo: Path, truth) -> None:
    """Metal is mastered loud and flat; classical is quieter, with wide dynamics."""

    def loudness(genre: str) -> tuple[float, float]:
        unaltered = ~truth["fault"].isin(["clipping", "dropout"])
        rows = truth[(truth["true_genre"] == genre) & unaltered]
        levels, spreads = [], []
        for track_id in rows.index:
            x = _read(demo, track_id, truth).astype(float) / FULL_SCALE
            frames = 20 * np.log10(
                np.sqrt((x[: N // 1024 * 1024].reshape(-1, 1024) ** 2).mean(1)) + 1e-9
            )
            levels.append(np.median(frames))
            spreads.append(np.percentile(frames, 95) - np.percentile(frames, 5))
        return float(np.mean(levels)), float(np.mean(spreads))

    metal, classical = loudness("metal"), loudness("classical")
    assert metal[0] > classical[0] + 6
    assert classical[1] > metal[1]


def test_ensure_demo_keeps_a_complete_set_and_repairs_an_incomplete_one(
    demo: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "copy"
    shutil.copytree(demo, dest)
    stamp = (dest / "genres" / "pop" / "pop.00001.wav").stat().st_mtime_ns
    assert ensure_demo(dest, **SMALL) == dest.resolve()
    assert (dest / "genres" / "pop" / "pop.00001.wav").stat().st_mtime_ns == stamp

    (dest / "genres" / "blues" / "blues.00003.wav").unlink()
    assert not is_complete(dest)
    ensure_demo(dest, **SMALL)
    assert is_complete(dest)
    assert _files(dest) == _files(demo)


def test_interrupted_generation_leaves_nothing_behind(tmp_path: Path) -> None:
    def cancel_halfway(done: int, total: int) -> None:
        if done == total // 2:
            raise Cancelled("stopped by the test")

    with pytest.raises(Cancelled):
        generate_demo(tmp_path / "set", progress=cancel_halfway, **SMALL)
    assert list(tmp_path.iterdir()) == []  # no half dataset, no temporary folder
    assert not is_complete(tmp_path / "set")


def test_refuses_bad_settings_and_foreign_folders(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    with pytest.raises(DatasetError):
        generate_demo(precious, **SMALL)
    assert (precious / "thesis.txt").read_text() == "do not delete"
    with pytest.raises(ParamsError):
        generate_demo(tmp_path / "tiny", clips_per_genre=2)
    with pytest.raises(DatasetError):
        load_demo_truth(precious)


def test_discover_reads_it_as_a_demo_dataset(demo: Path) -> None:
    from core.dataset import discover

    dataset = discover(demo)
    assert dataset.layout == "demo"
    assert len(dataset.usable) == 40
    assert set(dataset.manifest["faults"]) == {"", *FAULT_KINDS}
