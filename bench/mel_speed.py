"""Mel extraction speed: the per-file librosa loop vs ``core.features.compute_features``.

Both compute the same thing (by default librosa's default mel spectrogram in dB of the first
30 s of each clip) from the same files, alternating in the same run; the last line is the
headline. Clips: the real GTZAN excerpts in ../shared/gtzan/audio_sample when present (cycled to
reach N), else generated ones.

    python bench/mel_speed.py [--clips 120] [--preset librosa|fast] [--workers 2] [--rounds 4]
                              [--generated]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from core.audio.mel import PRESETS, MelParams, segments
from core.audio.mel_fast import mel_fast
from core.features import compute_features

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "gtzan" / "audio_sample"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=120, help="number of 30 s clips")
    parser.add_argument("--preset", default="librosa", choices=["librosa", "fast"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=4, help="alternations of the two")
    parser.add_argument("--generated", action="store_true", help="ignore the real clips")
    args = parser.parse_args()
    params = PRESETS[args.preset]

    with tempfile.TemporaryDirectory() as tmp:
        paths = _clips(args.clips, Path(tmp), args.generated)
        manifest = _manifest(paths)
        for path in set(paths):  # warm the page cache for both contestants
            sf.read(path)
        _librosa_loop(paths[:1], params)  # warm-up: imports, numba, FFT plans
        mel_fast(np.zeros(params.n_samples, dtype=np.float32), params)

        # The two alternate on slices of the clips, so both see the same load from others.
        t_ref = t_ours = cpu_ref = cpu_ours = diff = 0.0
        for r, rows in enumerate(np.array_split(np.arange(len(paths)), args.rounds)):
            start, cpu = time.perf_counter(), _cpu()
            reference = _librosa_loop([paths[i] for i in rows], params)
            t_ref, cpu_ref = t_ref + time.perf_counter() - start, cpu_ref + _cpu() - cpu

            start, cpu = time.perf_counter(), _cpu()
            features = compute_features(
                manifest.iloc[rows], params, root=Path(tmp) / f"store{r}", workers=args.workers
            )
            t_ours, cpu_ours = t_ours + time.perf_counter() - start, cpu_ours + _cpu() - cpu
            for x, ref in zip(features.X, reference, strict=True):
                diff = max(diff, float(np.abs(x - ref).max()))

    n = len(paths)
    ref_rate, our_rate = n / t_ref, n / t_ours
    source = "generated" if args.generated or not SAMPLES.is_dir() else "real GTZAN"
    print(f"{n} {source} clips, preset {args.preset!r}: {params.summary()}")
    print(
        f"librosa loop (load + melspectrogram + power_to_db): {t_ref:.2f} s, {ref_rate:.1f} clips/s"
    )
    print(
        f"compute_features ({args.workers} workers, into new stores): {t_ours:.2f} s, "
        f"{our_rate:.1f} clips/s"
    )
    print(
        f"CPU time per clip (all threads): librosa {1000 * cpu_ref / n:.1f} ms, "
        f"ours {1000 * cpu_ours / n:.1f} ms ({cpu_ref / cpu_ours:.1f}x less)"
    )
    print(f"max abs difference: {diff:.2e} dB")
    print(
        f"mel extraction: {our_rate:.1f} clips/s vs librosa loop {ref_rate:.1f} clips/s "
        f"= {our_rate / ref_rate:.1f}x"
    )


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _librosa_loop(paths: list[str], params: MelParams) -> list[np.ndarray]:
    """What a student writes: per file, load, then per segment, melspectrogram + power_to_db."""
    import librosa

    out = []
    for path in paths:
        y, sr = librosa.load(
            path, sr=params.sample_rate, offset=params.offset, duration=params.duration
        )
        mels = []
        for part in segments(y, params):  # zero-pads short clips, cuts segments
            S = librosa.feature.melspectrogram(
                y=part,
                sr=sr,
                n_fft=params.n_fft,
                hop_length=params.hop_length,
                n_mels=params.n_mels,
                fmin=params.fmin,
                fmax=params.mel_fmax,
            )
            ref = np.max if params.ref == "max" else params.ref
            mels.append(librosa.power_to_db(S, ref=ref, top_db=params.top_db))
        out.append(np.stack(mels))
    return out


def _clips(n: int, folder: Path, generated: bool) -> list[str]:
    real = sorted(str(p) for p in SAMPLES.glob("*/*.wav")) if SAMPLES.is_dir() else []
    if real and not generated:
        return [real[i % len(real)] for i in range(n)]
    rng = np.random.default_rng(0)
    t = np.arange(int(30.0 * 22050)) / 22050
    paths = []
    for i in range(min(n, 10)):  # ten distinct files, cycled
        freqs = rng.uniform(60, 4000, 6)
        tones = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate(freqs, 1))
        beat = (np.sin(2 * np.pi * 2 * t) > 0.9) * rng.normal(0, 0.3, t.size)
        path = folder / f"gen{i:02d}.wav"
        sf.write(path, (0.2 * tones + beat).astype(np.float32), 22050, subtype="PCM_16")
        paths.append(str(path))
    return [paths[i % len(paths)] for i in range(n)]


def _manifest(paths: list[str]) -> pd.DataFrame:
    genres = [Path(p).parent.name for p in paths]
    return pd.DataFrame(
        {
            "track_id": [f"{g}.{i:05d}" for i, g in enumerate(genres)],
            "path": paths,
            "genre": genres,
            "kind": "audio",
            "readable": True,
            "problem": "",
        }
    )


if __name__ == "__main__":
    main()
