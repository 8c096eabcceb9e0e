"""Warm end-to-end prediction latency for one 30 s clip with the paper's PyTorch model.

    python bench/predict_latency.py [--repeats 20]

Builds a throwaway 5-fold run of the paper's CNN on librosa-default mel input (128 x 1292) from
generated 30 s clips, then times ``core.predict.predict`` on a 30 s WAV (decode, features, the
five fold models), warm, against a plain pipeline on the same clip and models (librosa.load +
melspectrogram + power_to_db, then the same forward passes). Last line: the headline.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from core.audio.mel import PRESETS
from core.predict import load_predictor, predict
from core.runs.kinds.train import run_config, train_now
from core.training import predict_proba
from core.training.config import preset

TARGET_S = 0.3
REAL_CLIP = Path(__file__).resolve().parents[2] / "shared/gtzan/audio_sample/rock/rock.00000.wav"


def make_dataset(root: Path, seconds: float = 30.0, sr: int = 22050) -> Path:
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sr)) / sr
    for label, base in (("low", 110.0), ("high", 880.0)):
        for i in range(5):
            y = 0.3 * np.sin(2 * np.pi * base * (1 + 0.03 * i) * t) + 0.01 * rng.normal(size=len(t))
            (root / label).mkdir(parents=True, exist_ok=True)
            sf.write(root / label / f"{label}{i}.wav", y.astype(np.float32), sr)
    return root


def baseline(path: Path, models: list, params) -> None:
    import librosa

    y, sr = librosa.load(path, sr=params.sample_rate, duration=params.duration)
    y = np.pad(y, (0, max(0, params.n_samples - len(y))))
    S = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, n_mels=params.n_mels))
    X = S[None, :, :, None].astype(np.float32)
    np.mean([predict_proba(m, X) for m in models], axis=0)


def timed(fn, repeats: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(repeats: int = 20) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = make_dataset(root / "data")
        train = preset("paper", "torch", epochs=1, k=5, patience=0, val_fraction=0.0)
        run = train_now(run_config(str(data), train, mel=PRESETS["librosa"]), root=root / "runs")
        predictor = load_predictor(run)
        clip = REAL_CLIP if REAL_CLIP.is_file() else data / "high" / "high0.wav"
        ours = timed(lambda: predict(predictor, clip), repeats)
        plain = timed(lambda: baseline(clip, predictor.models, predictor.params), repeats)
    print(
        f"clip: {clip.name}; {len(predictor.models)} fold models; input "
        f"{predictor.params.summary()}"
    )
    print(f"plain librosa pipeline: {plain * 1000:.0f} ms (median of {repeats})")
    print(f"core.predict:           {ours * 1000:.0f} ms (median of {repeats})")
    verdict = "meets" if ours < TARGET_S else "misses"
    print(
        f"predict latency (30 s clip, paper CNN x5 folds): {ours:.3f} s vs plain "
        f"{plain:.3f} s ({plain / ours:.1f}x); {verdict} the {TARGET_S} s target"
    )


if __name__ == "__main__":
    main(int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 20)
