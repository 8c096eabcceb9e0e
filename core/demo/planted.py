"""The planted faults that change a clip's samples: hard clipping and digital dropouts (exact
repetitions and mislabels are decided by the plan and written by copying)."""

from __future__ import annotations

import numpy as np

from core.demo.plan import _index, _Track
from core.demo.sound import FULL_SCALE, SR
from core.genres import GENRES


def _plant(track: _Track, audio: np.ndarray, seed: int) -> np.ndarray:
    """Apply a clipping or dropout fault to int16 ``audio`` and describe it in the track."""
    if track.fault not in ("clipping", "dropout"):
        return audio
    rng = np.random.default_rng([seed, GENRES.index(track.genre_label), 2, _index(track)])
    n = len(audio)
    if track.fault == "clipping":
        level = int(round(track.clip_level * FULL_SCALE))
        x = audio.astype(np.float64)
        gain = level / np.quantile(np.abs(x), 1 - rng.uniform(0.02, 0.06))
        out = np.clip(np.round(x * gain), -level, level).astype(np.int16)
        flat = np.mean(np.abs(out) == level)
        track.detail = (
            f"hard-clipped at {100 * track.clip_level:.0f}% of full scale (+/-{level}) after a "
            f"gain of {20 * np.log10(gain):.1f} dB: {100 * flat:.1f}% of the samples are flat tops"
        )
        return out
    out = audio.copy()
    count = int(rng.integers(1, 4))
    slots = np.sort(rng.choice(np.arange(1, 3 * count + 1), size=count, replace=False))
    spans = []
    for slot in slots:  # one gap per slot of the clip: never overlapping, never at the edges
        length = int(rng.uniform(0.02, 0.05) * n)
        start = int((slot + rng.uniform(0.1, 0.5)) * n / (3 * count + 2))
        out[start : start + length] = 0
        spans.append(
            f"{start / SR:.3f}-{(start + length) / SR:.3f} s (samples {start}:{start + length})"
        )
    track.detail = "digital silence (exact zeros) at " + ", ".join(spans)
    return out
