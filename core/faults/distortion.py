"""Signal faults of one clip: hard clipping, digital dropouts, silence.

Measured on the file's own samples (decoded at its native rate: resampling would round off the
flat tops and exact zeros these measures look for).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Samples within this fraction of the clip's peak count as "at the peak".
PEAK_TOLERANCE = 1e-4
#: Flat tops of a clip peaking below this level are quantisation steps, not clipping.
MIN_CLIP_LEVEL = 0.05
#: A flat top is at least this many equal consecutive samples at the peak.
MIN_FLAT_RUN = 3
#: Flag clipping when at least this share of the samples lie in flat tops.
CLIPPING_SHARE = 1e-3
#: A dropout is a run of exact zeros at least this long, touching neither end of the clip.
MIN_DROPOUT_SECONDS = 0.01
#: Flag silence when the clip's RMS level is below this (dB relative to full scale).
SILENCE_DB = -60.0


@dataclass(frozen=True)
class Distortion:
    """What :func:`measure` finds in one clip."""

    clipping_share: float  # share of samples in flat tops at the peak
    longest_flat_run: int  # samples, the longest flat top
    dropout_seconds: float  # total length of the dropouts
    dropouts: int  # how many
    rms_db: float  # RMS level, dB relative to full scale (-inf: all zeros)

    @property
    def flags(self) -> list[str]:
        """The faults these measures amount to: 'clipping', 'dropout', 'silence'."""
        out = []
        if self.clipping_share >= CLIPPING_SHARE:
            out.append("clipping")
        if self.dropouts:
            out.append("dropout")
        if self.rms_db < SILENCE_DB:
            out.append("silence")
        return out


def measure(y: np.ndarray, sr: int) -> Distortion:
    """Clipping, dropouts and level of the mono signal ``y`` (full scale: 1.0) sampled at ``sr``."""
    y = np.asarray(y, dtype=np.float32)
    if y.size == 0:
        return Distortion(0.0, 0, 0.0, 0, float("-inf"))
    mag = np.abs(y)
    peak = float(mag.max())
    rms = float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))
    rms_db = 20 * np.log10(rms) if rms > 0 else float("-inf")
    if peak == 0:
        return Distortion(0.0, 0, 0.0, 0, rms_db)
    # Flat tops: runs of equal samples at the peak level.
    _, lengths = _runs(y, mag >= peak * (1 - PEAK_TOLERANCE))
    flat = lengths[lengths >= MIN_FLAT_RUN] if peak >= MIN_CLIP_LEVEL else lengths[:0]
    # Dropouts: runs of exact zeros inside the clip.
    start, length = _runs(y, y == 0)
    inside = (start > 0) & (start + length < len(y)) & (length >= MIN_DROPOUT_SECONDS * sr)
    return Distortion(
        clipping_share=float(flat.sum()) / len(y),
        longest_flat_run=int(flat.max(initial=0)),
        dropout_seconds=float(length[inside].sum()) / sr,
        dropouts=int(inside.sum()),
        rms_db=float(rms_db),
    )


def _runs(y: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and lengths of the runs of equal consecutive values of ``y`` where ``mask`` holds
    (``y`` not empty)."""
    # A run breaks where the mask changes or the value does.
    starts = np.flatnonzero(np.r_[True, (mask[1:] != mask[:-1]) | (y[1:] != y[:-1])])
    lengths = np.diff(np.r_[starts, len(y)])
    keep = mask[starts]
    return starts[keep], lengths[keep]
