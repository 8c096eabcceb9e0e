"""Time the repetition scan (decode + fingerprints + pair search) of N clips of 30 s.

    python bench/fault_scan.py --clips 1000 --seconds 30 --workers 2

The clips are built in a temporary folder from source clips (the real GTZAN sample beside the
checkout if present, else a generated demo set): each mixes two sources, time-stretched by
distinct factors and rotated, so that no two share audio, and ``--planted`` of them are noisy,
quieter copies of others starting a few seconds later. The scan (``core.faults.find_repetitions``)
must find those and nothing else.

Baseline: full cross-correlation over every time lag of log-mel features (64 bands) for every
pair of clips, done efficiently (one FFT per clip, one inverse FFT per pair); timed on
``--baseline-clips`` clips and extrapolated to N (linear features, quadratic pairs).
Last line: the headline.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from core import audio, faults
from core.settings import SAMPLE_RATE as SR

REAL_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "gtzan" / "audio_sample"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--planted", type=int, default=10, help="repeated excerpts to plant")
    parser.add_argument("--baseline-clips", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def source_clips(tmp: Path) -> list[np.ndarray]:
    """The real GTZAN sample if present, else a small generated demo set."""
    if REAL_SAMPLE.is_dir():
        paths = sorted(REAL_SAMPLE.glob("*/*.wav"))
        print(f"sources: {len(paths)} real GTZAN clips from {REAL_SAMPLE}")
    else:
        from core.demo import generate_demo

        root = generate_demo(tmp / "sources", clips_per_genre=4, seconds=30)
        paths = sorted(root.glob("genres/*/*.wav"))
        print(f"sources: {len(paths)} generated demo clips")
    return [audio.load(p) for p in paths]


def build_clips(
    dest: Path, sources: list[np.ndarray], n: int, seconds: float, planted: int, seed: int
) -> tuple[pd.DataFrame, set[frozenset[str]]]:
    """Write ``n`` clips; return their manifest and the planted pairs."""
    rng = np.random.default_rng(seed)
    length, s = int(seconds * SR), len(sources)
    rows, truth = [], set()
    originals = rng.choice(n - planted, planted, replace=False)
    copies = dict(zip(range(n - planted, n), originals, strict=True))
    for k in range(n):
        track = f"clip.{k:05d}"
        if k in copies:  # a quieter, noisy copy of an earlier clip, starting 2-8 s into it
            orig = rows[copies[k]]
            start = int(rng.uniform(2, 8) * SR)
            y = audio.load(orig[1])[start : start + length]
            y = 0.6 * y + rng.normal(0, 0.01, len(y))
            truth.add(frozenset((orig[0], track)))
        else:  # two sources, stretched by factors no other clip uses with them, and rotated
            rate = 0.6 * 1.03 ** (k // s)
            y = _stretch(sources[k % s], rate, length, rng) + 0.5 * _stretch(
                sources[(7 * k + 3) % s], 1.7 / rate, length, rng
            )
            y *= rng.uniform(0.3, 0.9) / max(np.abs(y).max(), 1e-9)
        path = dest / f"{track}.wav"
        sf.write(path, np.clip(y, -1, 1), SR, subtype="PCM_16")
        rows.append((track, str(path)))
    return pd.DataFrame(rows, columns=["track_id", "path"]), truth


def _stretch(y: np.ndarray, rate: float, length: int, rng: np.random.Generator) -> np.ndarray:
    """``length`` samples of ``y`` played ``rate`` times as fast (looping), from a random point."""
    pos = (rng.uniform(0, len(y)) + rate * np.arange(length)) % (len(y) - 1)
    return np.interp(pos, np.arange(len(y)), y)


def scan(manifest: pd.DataFrame, workers: int) -> tuple[pd.DataFrame, float, float, float]:
    """Pairs found, seconds fingerprinting, seconds searching, CPU seconds."""
    marks: list[float] = []

    def progress(done: int, total: int) -> None:
        if done == total:
            marks.append(time.perf_counter())

    cpu, start = time.process_time(), time.perf_counter()
    pairs = faults.find_repetitions(manifest, progress=progress, workers=workers)
    end = time.perf_counter()
    return pairs, marks[0] - start, end - marks[0], time.process_time() - cpu


def baseline(manifest: pd.DataFrame, n_total: int) -> tuple[float, float, float]:
    """Mel cross-correlation on a subset: (seconds per clip, seconds per pair, estimate for N)."""
    import librosa

    paths = list(manifest["path"])
    librosa.feature.melspectrogram(y=np.zeros(SR, np.float32), sr=SR)  # warm-up, not timed
    start = time.perf_counter()
    feats = []
    for p in paths:
        mel = librosa.power_to_db(librosa.feature.melspectrogram(y=audio.load(p), sr=SR, n_mels=64))
        feats.append((mel - mel.mean(1, keepdims=True)) / (mel.std(1, keepdims=True) + 1e-6))
    width = 2 * max(f.shape[1] for f in feats)
    spectra = [np.fft.rfft(f, n=width, axis=1) for f in feats]
    per_clip = (time.perf_counter() - start) / len(paths)
    start = time.perf_counter()
    pairs = 0
    for i in range(len(spectra)):
        for j in range(i + 1, len(spectra)):
            xcorr = np.fft.irfft((spectra[i] * spectra[j].conj()).sum(0), n=width)
            xcorr.argmax()
            pairs += 1
    per_pair = (time.perf_counter() - start) / pairs
    return per_clip, per_pair, n_total * per_clip + n_total * (n_total - 1) / 2 * per_pair


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="fault-scan-"))
    try:
        start = time.perf_counter()
        manifest, truth = build_clips(
            tmp, source_clips(tmp), args.clips, args.seconds, args.planted, args.seed
        )
        print(
            f"built {args.clips} clips of {args.seconds:g} s in {time.perf_counter() - start:.1f} s"
        )
        pairs, t_fp, t_search, cpu = scan(manifest, args.workers)
        found = {frozenset(p) for p in zip(pairs["track_a"], pairs["track_b"], strict=True)}
        total = t_fp + t_search
        print(
            f"ours: fingerprints {t_fp:.1f} s ({args.clips / t_fp:.0f} clips/s, "
            f"{args.workers} workers), pair search {t_search:.1f} s, total {total:.1f} s "
            f"(CPU {cpu:.1f} s)"
        )
        print(
            f"planted repetitions found: {len(found & truth)}/{len(truth)}, other pairs: "
            f"{len(found - truth)}"
        )
        subset = manifest.iloc[: args.baseline_clips]
        per_clip, per_pair, estimate = baseline(subset, args.clips)
        print(
            f"baseline (mel cross-correlation, {len(subset)} clips): {1000 * per_clip:.0f} ms per "
            f"clip, {1000 * per_pair:.2f} ms per pair -> est. {estimate:.0f} s for {args.clips} "
            f"clips ({args.clips * (args.clips - 1) // 2} pairs); ratio {estimate / total:.0f}x"
        )
        print(
            f"repetition scan of {args.clips} clips: {total:.1f} s (baseline est. {estimate:.0f} s)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
