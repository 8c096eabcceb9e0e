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

#: A segment more than this share padding is "mostly padding" (flagged in feature stores).
MOSTLY_PADDING = 0.5


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


def fit_to_clip(params: MelParams, seconds: float) -> MelParams:
    """``params`` with its duration capped at a clip of ``seconds`` (whole seconds when it lasts
    one or more), so that a short clip is not padded unless asked for.

    >>> fit_to_clip(MelParams(duration=30.0), 10.4).duration
    10.0
    """
    if not params.duration or params.duration <= seconds:
        return params
    return params.replace(duration=float(int(seconds)) or seconds)


def _layout(n_samples: int, params: MelParams) -> tuple[int, int, int]:
    """(real samples kept, segment length, segment count) of a clip of ``n_samples``, as
    :func:`core.audio.mel.segments` cuts it."""
    fitted = params.n_samples if params.n_samples is not None else n_samples
    length = params.segment_samples or max(fitted, params.n_fft)
    return min(n_samples, fitted), length, max(1, fitted // length)


def padding_share(n_samples: int, params: MelParams) -> np.ndarray:
    """Share (0..1) of each segment that is zero padding, for a decoded clip of ``n_samples``
    (shorter than ``params.duration`` or one segment).

    >>> padding_share(22050, MelParams(duration=4.0, segment_seconds=1.0)).tolist()
    [0.0, 1.0, 1.0, 1.0]
    """
    real, length, count = _layout(n_samples, params)
    ends = np.arange(1, count + 1) * length
    return np.clip((ends - real) / length, 0.0, 1.0)


def padded_frames(n_samples: int, params: MelParams, n_frames: int) -> np.ndarray:
    """``(n_segments, n_frames)`` bool: frames whose centre lies in the zero padding.

    >>> p = MelParams(sample_rate=8000, duration=1.0, n_fft=2048, hop_length=2000)
    >>> padded_frames(4000, p, 5).astype(int).tolist()  # half a second of audio
    [[0, 0, 1, 1, 1]]
    """
    real, length, count = _layout(n_samples, params)
    first = 0 if params.center else params.n_fft // 2
    centres = first + np.arange(n_frames) * params.hop_length
    return (np.arange(count)[:, None] * length + centres[None, :]) >= real
