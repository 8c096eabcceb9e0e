"""One clip through one MelParams, ready to draw: features, their axes, and the time it took."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from core.audio.clip import clip_features, padded_frames
from core.audio.mel import MelParams, frame_times, mel_frequencies


@dataclass(frozen=True)
class Preview:
    """Features of one clip, with the axes to draw them on."""

    params: MelParams
    features: np.ndarray  # (segments, n_mels, frames) or (segments, 288, 432, 3) images
    times: np.ndarray | None  # seconds of each frame of the segments laid end to end
    mel_hz: np.ndarray | None  # centre of each mel band in Hz
    seconds: float  # compute time
    padded: np.ndarray | None = None  # (segments, frames) bool: frames of zero padding

    @property
    def padded_seconds(self) -> float:
        """Seconds of zero padding (the clip is shorter than the duration or one segment)."""
        if self.padded is None or self.times is None:
            return 0.0
        return float(self.padded.sum() * self.params.hop_length / self.params.sample_rate)

    @property
    def is_image(self) -> bool:
        return self.params.image is not None

    @property
    def joined(self) -> np.ndarray:
        """Mel segments laid end to end along time: (n_mels, segments x frames)."""
        return np.concatenate(list(self.features), axis=1)

    @property
    def joined_unpadded(self) -> np.ndarray:
        """:attr:`joined` with padding frames set to NaN (drawn in no colour)."""
        out = self.joined.astype(np.float32)
        if self.padded is not None:
            out[:, np.concatenate(list(self.padded))] = np.nan
        return out


def preview(y: np.ndarray, params: MelParams) -> Preview:
    """Compute the features of a decoded clip (``y`` at ``params.sample_rate``) and time it."""
    start = time.perf_counter()
    features = clip_features(y, params)
    seconds = time.perf_counter() - start
    if params.image:
        return Preview(params, features, None, None, seconds)
    seg_seconds = (params.segment_samples or len(y)) / params.sample_rate
    frames = features.shape[-1]
    times = np.concatenate(
        [
            frame_times(params, frames, start=params.offset + i * seg_seconds)
            for i in range(len(features))
        ]
    )
    padded = padded_frames(len(y), params, frames)
    return Preview(params, features, times, mel_frequencies(params), seconds, padded)
