"""A decoded clip to its features, the input of a model: the fast mel spectrogram
(:mod:`core.audio.mel`) of each segment, or its Kaggle-style image
(:mod:`core.audio.kaggle_image`) when ``params.image`` says so. It sits above both, so that
neither imports the other.
"""

from __future__ import annotations

import numpy as np

from core.audio.kaggle_image import render
from core.audio.mel import MelParams, segments
from core.audio.mel_fast import mel_fast


def clip_features(y: np.ndarray, params: MelParams) -> np.ndarray:
    """One decoded clip to its features, of shape ``(n_segments, *feature)``: the fast mel, or
    the rendered images when ``params.image`` is set.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)  # 1 s of A4
    >>> clip_features(y, MelParams(duration=1.0, n_mels=64)).shape
    (1, 64, 44)
    >>> clip_features(y, MelParams(duration=1.0, segment_seconds=0.5)).shape
    (2, 128, 22)
    >>> clip_features(y, MelParams(duration=1.0, image="kaggle")).shape  # Kaggle's RGB image
    (1, 288, 432, 3)
    """
    mel = mel_fast(segments(y, params), params)
    if params.image == "kaggle":
        return np.stack([render(m) for m in mel])
    return mel
