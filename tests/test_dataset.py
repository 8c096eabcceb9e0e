"""Dataset discovery on tiny generated datasets in every layout, archives, and GTZAN metadata."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.dataset import discover, format_summary, summarize
from core.dataset.gtzan_meta import (
    join_gtzan_metadata,
    load_faults,
    load_filtered_split,
    load_index,
    track_id_from_name,
)
from core.errors import ArchiveError, DatasetError
from tests.conftest import write_tone


def _gtzan(root: Path, ext: str = ".au", genres=("blues", "jazz"), n: int = 2) -> Path:
    for genre in genres:
        for i in range(n):
            write_tone(root / "genres" / genre / f"{genre}.{i:05d}{ext}", seconds=0.4 + 0.1 * i)
    return root


def _png(path: Path, size=(432, 288)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((size[1], size[0], 4), np.uint8)).save(path)
    return path


def test_gtzan_layout_au(tmp_path):
    ds = discover(_gtzan(tmp_path / "GTZAN"))
    m = ds.manifest
    assert ds.layout == "gtzan"
    assert len(m) == 4 and m["readable"].all()
    assert set(m["genre"]) == {"blues", "jazz"}
    assert ds.genres == ["blues", "jazz"]
    row = m.set_index("track_id").loc["blues.00001"]
    assert row["sample_rate"] == 22050 and row["channels"] == 1
    assert row["duration"] == pytest.approx(0.5, abs=1e-3)
    # Sturm's index is joined on GTZAN names
    assert row["artist"] == "John Lee Hooker"
    assert "artist_repetition" in row["faults"]


def test_corrupt_file_is_a_problem_not_a_crash(tmp_path):
    root = _gtzan(tmp_path / "g", ext=".wav")
    (root / "genres" / "jazz" / "jazz.00054.wav").write_bytes(b"RIFF\x00\x00garbage" * 10)
    (root / "genres" / "jazz" / "jazz.00055.wav").write_bytes(b"")
    m = discover(root).manifest.set_index("track_id")
    assert not m.loc["jazz.00054", "readable"]
    assert "Not a readable audio file" in m.loc["jazz.00054", "problem"]
    assert "empty" in m.loc["jazz.00055", "problem"]
    assert m.drop(["jazz.00054", "jazz.00055"])["readable"].all()
    s = summarize(discover(root))
    assert len(s.problems) == 2 and s.readable == 4
    assert "PROBLEM jazz.00054" in format_summary(s)


def test_kaggle_layout_links_images(tmp_path):
    root = tmp_path / "kaggle"
    for i in range(2):
        write_tone(root / "Data" / "genres_original" / "rock" / f"rock.{i:05d}.wav")
    _png(root / "Data" / "images_original" / "rock" / "rock00000.png")
    (root / "Data" / "features_30_sec.csv").write_text("filename,label\n")
    ds = discover(root)
    m = ds.manifest.set_index("track_id")
    assert ds.layout == "kaggle"
    assert m.loc["rock.00000", "image_path"].endswith("rock00000.png")
    assert m.loc["rock.00001", "image_path"] == ""


def test_images_layout(tmp_path):
    for genre in ("pop", "metal"):
        _png(tmp_path / "imgs" / "images_original" / genre / f"{genre}00003.png")
    (tmp_path / "imgs" / "images_original" / "pop" / "pop00004.png").write_bytes(b"not a png")
    ds = discover(tmp_path / "imgs")
    m = ds.manifest.set_index("track_id")
    assert ds.layout == "images"
    assert m.loc["metal.00003", "kind"] == "image" and m.loc["metal.00003", "channels"] == 4
    assert not m.loc["pop.00004", "readable"]


@pytest.mark.parametrize("ext", [".wav", ".flac", ".ogg", ".mp3", ".au"])
def test_folder_per_label(tmp_path, ext):
    for label in ("birds", "trains"):
        write_tone(tmp_path / "mine" / label / f"take1{ext}", seconds=1.0)
    (tmp_path / "mine" / "birds" / "notes.txt").write_text("ignored")
    ds = discover(tmp_path / "mine")
    assert ds.layout == "folder"
    assert sorted(ds.manifest["track_id"]) == ["birds/take1", "trains/take1"]
    assert ds.manifest["readable"].all()
    assert ds.manifest["duration"].between(0.9, 1.2).all()


def test_multichannel_and_other_rates(tmp_path):
    write_tone(tmp_path / "d" / "a" / "x.wav", sr=44100, channels=2)
    row = discover(tmp_path / "d").manifest.iloc[0]
    assert (row["sample_rate"], row["channels"]) == (44100, 2)


def test_empty_or_missing_folder(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        discover(tmp_path / "nope")
    (tmp_path / "empty" / "x").mkdir(parents=True)
    with pytest.raises(DatasetError, match="No audio"):
        discover(tmp_path / "empty")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(DatasetError, match="neither a folder"):
        discover(tmp_path / "file.txt")


def _zip_of(folder: Path, dest: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(dest, "w") as z:
        for f in folder.rglob("*"):
            if f.is_file():
                z.write(f, f.relative_to(folder.parent))
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return dest


def test_zip_and_targz_archives(tmp_path):
    src = _gtzan(tmp_path / "src" / "GTZAN")
    ds = discover(_zip_of(src, tmp_path / "g.zip"), unpack_root=tmp_path / "unpacked")
    assert ds.layout == "gtzan" and len(ds.manifest) == 4
    tgz = tmp_path / "t.tar.gz"
    with tarfile.open(tgz, "w:gz") as t:
        t.add(src, arcname="GTZAN")
    ds = discover(tgz, unpack_root=tmp_path / "unpacked")
    assert ds.layout == "gtzan" and ds.manifest["readable"].all()


def test_zip_with_path_escape_is_refused(tmp_path):
    src = _gtzan(tmp_path / "src" / "GTZAN")
    evil = _zip_of(src, tmp_path / "evil.zip", {"../escaped.txt": b"gotcha"})
    with pytest.raises(ArchiveError):
        discover(evil, unpack_root=tmp_path / "unpacked")
    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "unpacked" / "escaped.txt").exists()
    leftovers = list((tmp_path / "unpacked").glob("*")) if (tmp_path / "unpacked").exists() else []
    assert leftovers == []


def test_fingerprint_changes_with_files(tmp_path):
    root = _gtzan(tmp_path / "g")
    before = discover(root).fingerprint
    assert discover(root).fingerprint == before
    write_tone(root / "genres" / "blues" / "blues.00000.au", seconds=0.9)
    assert discover(root).fingerprint != before


def test_track_ids():
    assert track_id_from_name("blues.00042.wav") == "blues.00042"
    assert track_id_from_name("hiphop00007.png") == "hiphop.00007"
    assert track_id_from_name("reggae.00010.au") == "reggae.00010"
    assert track_id_from_name("polka.00001.wav") is None
    assert track_id_from_name("take1.wav") is None


def test_shipped_metadata_facts():
    index = load_index()
    assert len(index) == 1000
    reggae = index[index["track_id"].str.startswith("reggae")]
    assert (reggae["artist"] == "Bob Marley").sum() == 35
    pop = index[index["track_id"].str.startswith("pop")]
    assert (pop["artist"] == "Britney Spears").sum() == 24
    split = load_filtered_split()
    parts = {p: sum(v == p for v in split.values()) for p in ("train", "valid", "test")}
    assert parts == {"train": 443, "valid": 197, "test": 290}
    faults = load_faults()
    assert (faults["fault"] == "exact_repetition").sum() == 50


def test_join_marks_filtered_split_and_faults():
    import pandas as pd

    m = pd.DataFrame({"track_id": ["blues.00029", "classical.00042", "pop.00037", "mine/x"]})
    out = join_gtzan_metadata(m).set_index("track_id")
    assert out.loc["blues.00029", "filtered_split"] == "train"
    assert out.loc["classical.00042", "filtered_split"] == ""  # excluded from the split
    assert "distortion" in out.loc["pop.00037", "faults"]
    assert out.loc["mine/x", "artist"] == "" and out.loc["mine/x", "faults"] == ""


@pytest.mark.real_gtzan
def test_real_gtzan_sample(shared_gtzan):
    ds = discover(shared_gtzan / "audio_sample")
    m = ds.manifest
    assert ds.layout == "gtzan" and len(m) == 30 and m["readable"].all()
    assert m["duration"].between(29.9, 30.7).all()
    assert (m["sample_rate"] == 22050).all()
    assert m.set_index("track_id").loc["reggae.00000", "artist"] == "Bob Marley"


@pytest.mark.real_gtzan
def test_real_kaggle_images(shared_gtzan):
    ds = discover(shared_gtzan / "images_original")
    m = ds.manifest
    assert ds.layout == "images" and len(m) == 999 and m["readable"].all()
    assert "jazz.00054" not in set(m["track_id"])
    assert m.groupby("genre").size().drop("jazz").eq(100).all()
    s = summarize(ds)
    assert s.fault_counts["exact_repetition"] >= 49


def test_summary_text(tmp_path):
    text = format_summary(summarize(discover(_gtzan(tmp_path / "g"))))
    assert "4 clips, 4 readable" in text and "blues" in text and "22050 Hz x4" in text
