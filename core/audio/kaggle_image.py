"""Render a mel spectrogram exactly as the Kaggle GTZAN ``images_original`` PNGs were rendered.

Those 432x288 images (the seed paper's input) were drawn by matplotlib 3.1.3 (the PNGs say so):
a 6x4 inch figure at 72 dpi, white, one axes at [0.125, 0.125, 0.775, 0.755] of the figure
without ticks but with its black 0.8 pt frame, the dB mel spectrogram drawn as an unsmoothed mesh
(as ``librosa.display.specshow`` draws it) in the ``magma`` colour map scaled from the array's
minimum to its maximum. Agg puts the mesh's cell edges on a 1/256 pixel grid and fills a pixel
from the cell at its top-right corner. This module reproduces that with NumPy alone (no pyplot,
~10x faster than drawing the mesh with matplotlib): of the 3.7 million pixels of the 30 GTZAN
excerpts' images, all but 10 come out identical (tests/test_spectrogram.py). The matching
parameters, found from those files, are ``core.audio.mel.PRESETS["kaggle"]``.

A leaf below the features of a clip (:mod:`core.audio.clip`): it uses :mod:`core.audio.mel`,
which never imports it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from core.audio.mel import KAGGLE_IMAGE_SHAPE, PRESETS, segments
from core.audio.mel_fast import mel_fast
from core.errors import ParamsError

HEIGHT, WIDTH, _ = KAGGLE_IMAGE_SHAPE
# The axes box in pixels (x from the left, y from the top) and its size.
_LEFT, _BOTTOM = 54, 252
_AXES_W, _AXES_H = 0.775 * WIDTH, 0.755 * HEIGHT
_TOP = 35  # first pixel row the mesh reaches (the box top is at 34.56)
_RIGHT = 389  # one past the last pixel column the mesh reaches
_SUBPIXEL = 256  # Agg's fixed-point grid
# The frame: pixels under the 0.8 pt black lines keep this share of what lies beneath.
_LINE_KEEP = 0.2025
_CORNER_KEEP = 19.5 / 255


def render(mel: np.ndarray) -> np.ndarray:
    """A (n_mels, frames) array (dB) -> the Kaggle-style image, (288, 432, 3) uint8 RGB."""
    S = np.asarray(mel, dtype=np.float32)
    if S.ndim != 2 or S.size == 0:
        raise ParamsError(f"Expected a (n_mels, frames) array, got shape {S.shape}.")
    lo, hi = S.min(), S.max()
    if hi > lo:  # matplotlib's Normalize then a 256-colour map
        level = np.minimum(((S - lo) / (hi - lo) * np.float32(256)).astype(np.intp), 255)
    else:
        level = np.zeros(S.shape, dtype=np.intp)
    image = np.full((HEIGHT, WIDTH, 3), 255, dtype=np.uint8)
    rows, cols = _row_bins(S.shape[0]), _col_frames(S.shape[1])
    image[_TOP:_BOTTOM, _LEFT:_RIGHT] = _magma()[level[np.ix_(rows, cols)]]
    _draw_frame(image)
    return image


def from_audio(y: np.ndarray) -> np.ndarray:
    """A whole clip decoded at 22050 Hz -> its Kaggle image, (288, 432, 3) uint8 RGB."""
    params = PRESETS["kaggle"]
    return render(mel_fast(segments(y, params), params)[0])


@lru_cache(maxsize=1)
def _magma() -> np.ndarray:
    from matplotlib import colormaps

    return (colormaps["magma"](np.arange(256))[:, :3] * 255).round().astype(np.uint8)


def _edges(start: float, step: float, count: int) -> np.ndarray:
    edges = start + np.arange(1, count + 1) * step
    return np.round(edges * _SUBPIXEL) / _SUBPIXEL


@lru_cache(maxsize=64)
def _col_frames(frames: int) -> np.ndarray:
    """Frame shown in each pixel column of the axes."""
    edges = _edges(_LEFT, _AXES_W / frames, frames)
    corners = np.arange(_LEFT, _RIGHT) + 1
    return np.minimum(np.searchsorted(edges, corners, side="left"), frames - 1)


@lru_cache(maxsize=16)
def _row_bins(n_mels: int) -> np.ndarray:
    """Mel band shown in each pixel row of the axes (low frequencies at the bottom)."""
    edges = _edges(_BOTTOM, -_AXES_H / n_mels, n_mels)
    corners = np.arange(_TOP, _BOTTOM)
    return np.minimum((edges[None, :] > corners[:, None]).sum(axis=1), n_mels - 1)


def _draw_frame(image: np.ndarray) -> None:
    def darken(region: np.ndarray, keep: float) -> np.ndarray:
        return np.floor(region * keep).astype(np.uint8)

    image[_TOP, _LEFT + 1 : _RIGHT] = darken(image[_TOP, _LEFT + 1 : _RIGHT], _LINE_KEEP)
    image[_TOP + 1 : _BOTTOM, _LEFT] = darken(image[_TOP + 1 : _BOTTOM, _LEFT], _LINE_KEEP)
    image[_TOP, _LEFT] = darken(image[_TOP, _LEFT], _CORNER_KEEP)
    # The bottom and right lines lie just outside the mesh, over the white background.
    image[_BOTTOM, _LEFT : _RIGHT + 1] = darken(np.uint8(255), _LINE_KEEP)
    image[_TOP : _BOTTOM + 1, _RIGHT] = darken(np.uint8(255), _LINE_KEEP)
    for y, x in ((_BOTTOM, _LEFT), (_TOP, _RIGHT), (_BOTTOM, _RIGHT)):
        image[y, x] = darken(np.uint8(255), _CORNER_KEEP)
