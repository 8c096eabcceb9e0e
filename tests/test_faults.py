"""Fault detectors: scored against the demo set's planted faults, re-encoded copies, real clips."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import soxr

from core import audio, faults
from core.dataset import discover
from core.demo import generate_demo, load_demo_truth
from core.errors import Cancelled, ParamsError

SR = 22050


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A small demo set: every planted fault kind is still there at this size."""
    root = generate_demo(tmp_path_factory.mktemp("demo") / "demo", clips_per_genre=6, seconds=6)
    truth = load_demo_truth(root)
    assert set(truth["fault"]) >= {"exact_repetition", "clipping", "dropout"}
    return root


@pytest.fixture(scope="module")
def demo_manifest(demo: Path) -> pd.DataFrame:
    return discover(demo).manifest


def _pairs(df: pd.DataFrame) -> set[frozenset[str]]:
    return {frozenset(p) for p in zip(df["track_a"], df["track_b"], strict=True)}


def _true_pairs(truth: pd.DataFrame) -> set[frozenset[str]]:
    return {
        frozenset((t, r))
        for t, related, fault in zip(
            truth["track_id"], truth["related"], truth["fault"], strict=True
        )
        if fault == "exact_repetition"
        for r in related.split(";")
    }


def test_repetitions_match_the_planted_ones_exactly(demo: Path, demo_manifest: pd.DataFrame):
    truth = load_demo_truth(demo)
    seen = []
    pairs = faults.find_repetitions(demo_manifest, progress=lambda d, t: seen.append((d, t)))
    expected = _true_pairs(truth)
    assert len(expected) >= 5
    assert _pairs(pairs) == expected  # recall 1.0, no false pair (same-artist clips abound)
    assert seen[-1] == (len(demo_manifest), len(demo_manifest))
    assert pairs["score"].between(0.1, 1.0).all()
    # Each offset is where the copy's samples really start in the original (within 2 frames).
    paths = dict(zip(demo_manifest["track_id"], demo_manifest["path"], strict=True))
    for a, b, offset in zip(
        pairs["track_a"], pairs["track_b"], pairs["offset_seconds"], strict=True
    ):
        if offset < 0:
            a, b, offset = b, a, -offset
        ya, yb = audio.load(paths[a]), audio.load(paths[b])
        assert _true_shift(ya, yb, round(offset * SR), slack=600) is not None, (a, b, offset)
    offsets = pairs.loc[pairs["offset_seconds"] != 0, "offset_seconds"]
    assert len(offsets) >= 1  # the demo's repetitions at an offset were found too


def _true_shift(ya: np.ndarray, yb: np.ndarray, guess: int, slack: int) -> int | None:
    """The shift s near ``guess`` with ya[s:s+n] == yb[:n] exactly, or None."""
    n = 4000
    for s in range(max(0, guess - slack), guess + slack + 1):
        if np.array_equal(ya[s : s + n], yb[:n]):
            return s
    return None


def test_group_repetitions_joins_chains():
    pairs = pd.DataFrame({"track_a": ["b", "a", "x"], "track_b": ["c", "b", "y"]})
    assert faults.group_repetitions(pairs) == [["a", "b", "c"], ["x", "y"]]
    assert faults.group_repetitions(pairs.iloc[:0]) == []


def test_distortions_match_the_planted_ones(demo: Path, demo_manifest: pd.DataFrame):
    truth = load_demo_truth(demo).set_index("track_id")
    found = faults.detect_distortions(demo_manifest).set_index("track_id")
    assert list(found.columns) == list(faults.DISTORTION_COLUMNS[1:])
    assert len(found) == len(truth)
    flags = found["flags"].str.split(";")
    for kind in ("clipping", "dropout"):
        flagged = {t for t, f in flags.items() if kind in f}
        assert flagged == set(truth.index[truth["fault"] == kind]), kind
    assert not any("silence" in f for f in flags)
    # Dropout lengths: the planted runs of zeros, to the sample (the detail gives "samples a:b").
    for track in truth.index[truth["fault"] == "dropout"]:
        spans = [
            (int(a), int(b))
            for a, b in re.findall(r"samples (\d+):(\d+)", truth.loc[track, "detail"])
        ]
        assert spans, truth.loc[track, "detail"]
        assert found.loc[track, "dropouts"] == len(spans)
        assert found.loc[track, "dropout_seconds"] * SR == pytest.approx(
            sum(b - a for a, b in spans)
        )
    clipped = found.loc[truth.index[truth["fault"] == "clipping"]]
    assert (clipped["clipping_share"] > 0.01).all() and (clipped["longest_flat_run"] >= 3).all()


def test_flags_for_manifest_merges_both_detectors(demo: Path, demo_manifest: pd.DataFrame):
    pairs = pd.DataFrame(
        {
            "track_a": ["a", "a"],
            "track_b": ["b", "z"],
            "offset_seconds": [0.0, 1.0],
            "score": [1.0, 0.5],
            "votes": [100, 50],
        }
    )
    dist = pd.DataFrame(
        {
            "track_id": ["a", "b", "c"],
            "clipping_share": 0.0,
            "longest_flat_run": 0,
            "dropout_seconds": 0.0,
            "dropouts": 0,
            "rms_db": -10.0,
            "flags": ["clipping", "", "dropout;silence"],
        }
    )
    out = faults.flags_for_manifest(pairs, dist).set_index("track_id")
    assert out.loc["a", "detected_faults"] == "exact_repetition;clipping"
    assert out.loc["a", "related"] == "b;z"
    assert out.loc["b", "detected_faults"] == "exact_repetition"
    assert out.loc["c", "detected_faults"] == "dropout;silence"
    assert out.loc["z", "related"] == "a"  # a clip only the repetition search saw


def test_reencoded_copies_at_an_offset_are_found(
    demo: Path, demo_manifest: pd.DataFrame, tmp_path: Path
):
    truth = load_demo_truth(demo)
    clean = demo_manifest[demo_manifest["track_id"].isin(truth["track_id"][truth["fault"] == ""])]
    sources = clean.groupby("genre").head(1).iloc[:3]
    rng = np.random.default_rng(0)
    rows, expected = [], {}
    for (track, path), (kind, start) in zip(
        zip(sources["track_id"], sources["path"], strict=True),
        [("ogg", 1.7), ("mp3", 0.9), ("noisy", 2.3)],
        strict=True,
    ):
        y = audio.load(path)[int(start * SR) :]
        copy = tmp_path / f"copy_{kind}.{'wav' if kind == 'noisy' else kind}"
        if kind == "noisy":  # gain, noise at 30 dB SNR, through 16 kHz, written at 16 kHz
            y = 0.5 * y + rng.standard_normal(len(y)) * 0.5 * np.sqrt(np.mean(y**2)) * 10**-1.5
            sf.write(copy, soxr.resample(y.astype(np.float32), SR, 16000), 16000)
        else:
            sf.write(copy, y, SR, format=kind.upper())
        rows.append((f"copy.{kind}", str(copy)))
        expected[frozenset((track, f"copy.{kind}"))] = start
    copies = pd.DataFrame(rows, columns=["track_id", "path"])
    pairs = faults.find_repetitions(pd.concat([clean[["track_id", "path"]], copies]))
    assert _pairs(pairs) == set(expected)
    for a, b, offset in zip(
        pairs["track_a"], pairs["track_b"], pairs["offset_seconds"], strict=True
    ):
        start = expected[frozenset((a, b))]  # the copy starts that far into the original
        assert offset == pytest.approx(start if b.startswith("copy") else -start, abs=0.03)


def test_real_sample_has_no_false_pairs_and_finds_a_reencoded_copy(
    shared_gtzan: Path, tmp_path: Path
):
    manifest = discover(shared_gtzan / "audio_sample").manifest
    assert len(manifest) >= 30
    original = manifest.iloc[7]
    y = audio.load(original["path"], offset=11.0, duration=9.0)
    sf.write(tmp_path / "excerpt.mp3", y, SR, format="MP3")  # stays in pytest's temp folder
    copy = pd.DataFrame({"track_id": ["excerpt"], "path": [str(tmp_path / "excerpt.mp3")]})
    pairs = faults.find_repetitions(pd.concat([manifest, copy], ignore_index=True))
    assert _pairs(pairs) == {frozenset((original["track_id"], "excerpt"))}
    assert abs(pairs["offset_seconds"].iloc[0]) == pytest.approx(11.0, abs=0.03)
    dist = faults.detect_distortions(manifest)
    assert not dist["flags"].str.contains("dropout|silence").any()


def test_measure_on_synthetic_signals():
    t = np.arange(2 * SR) / SR
    sine = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    assert faults.measure(sine, SR).flags == []
    clipped = np.clip(sine * 3, -0.9, 0.9)
    m = faults.measure(clipped, SR)
    assert m.flags == ["clipping"]
    assert m.clipping_share == pytest.approx(np.mean(np.abs(clipped) == np.float32(0.9)), rel=0.05)
    gapped = sine.copy()
    gapped[10000:10500] = 0
    gapped[20000:20100] = 0  # 4.5 ms: too short to be a dropout
    gapped[:3000] = 0  # leading silence is not a dropout
    m = faults.measure(gapped, SR)
    assert (m.dropouts, m.dropout_seconds) == (1, pytest.approx(500 / SR))
    assert m.flags == ["dropout"]
    assert faults.measure(sine * 1e-4, SR).flags == ["silence"]
    steps = np.round(sine * 6) / 32768  # +/-3 LSB: flat steps of quantisation, not clipping
    assert faults.measure(steps, SR).flags == ["silence"]
    zeros = faults.measure(np.zeros(SR, np.float32), SR)
    assert zeros.rms_db == -np.inf and zeros.flags == ["silence"]


def test_fingerprint_edge_cases():
    with pytest.raises(ParamsError):
        faults.fingerprint(np.zeros(SR, np.float32), 16000)
    assert len(faults.fingerprint(np.zeros(SR, np.float32), SR)) == 0
    assert len(faults.fingerprint(np.ones(100, np.float32), SR)) == 0
    noise = np.random.default_rng(0).standard_normal(3 * SR).astype(np.float32)
    prints = faults.fingerprint(noise, SR)
    assert len(prints) > 100 and np.all(np.diff(prints["t"]) >= 0)


def test_scan_can_be_cancelled_and_checks_the_manifest(demo_manifest: pd.DataFrame):
    with pytest.raises(Cancelled):
        faults.find_repetitions(demo_manifest, should_stop=lambda: True)
    with pytest.raises(Cancelled):
        faults.detect_distortions(demo_manifest, should_stop=lambda: True)
    with pytest.raises(ParamsError, match="path"):
        faults.find_repetitions(demo_manifest.drop(columns="path"))
