"""Kaggle's GTZAN spectrogram images (``images_original/<genre>/<genre>NNNNN.png``) as arrays.

Each PNG is a 432x288 RGBA matplotlib figure: a mel spectrogram drawn with the ``magma``
colormap inside a frame, with white margins around it. ``load_images`` returns the whole
picture as RGB (the paper's 3x288x432 input), or only the plotted area (``crop=True``), and
optionally maps the colours back to the 0..255 colormap index (``gray=True``, one channel):
an exact inversion, since every plotted pixel is a ``magma`` colour.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import PIL.Image

from core import settings
from core.errors import DatasetError

#: How Kaggle spectrogram images are fed: arguments of :func:`load_images`, :func:`prepare_image`.
IMAGE_INPUTS: dict[str, dict[str, Any]] = {
    "full": {"crop": False},
    "crop": {"crop": True},
    "gray": {"crop": True, "gray": True},
    "gray2": {"crop": True, "gray": True, "freq_step": 2},
}

#: Plotted area of the 432x288 Kaggle images: rows top:bottom, columns left:right, inside the
#: axes frame (measured on all 999 images: identical).
SPECTROGRAM_BOX: tuple[int, int, int, int] = (36, 252, 55, 389)
IMAGE_SHAPE: tuple[int, int] = (288, 432)


def list_images(root: str | Path) -> pd.DataFrame:
    """``track_id, genre, path`` of every GTZAN-named PNG under ``root``, sorted by track id."""
    from core.dataset.gtzan_meta import track_id_from_name

    rows = []
    for path in sorted(Path(root).rglob("*.png")):
        track = track_id_from_name(path.name)
        if track:
            rows.append((track, track.split(".")[0], str(path)))
    if not rows:
        raise DatasetError(f"no GTZAN spectrogram images (like blues00000.png) under {root}")
    return pd.DataFrame(rows, columns=["track_id", "genre", "path"])


def load_images(
    paths: Sequence[str | Path],
    *,
    crop: bool = True,
    gray: bool = False,
    freq_step: int = 1,
) -> np.ndarray:
    """Images as one uint8 array ``(N, H, W, C)``, channels last.

    Parameters
    ----------
    crop : keep only the plotted spectrogram (216x334) instead of the whole 288x432 figure.
    gray : one channel, the colormap index (0 = quietest), instead of RGB.
    freq_step : average this many rows into one (downsamples frequency; needs ``gray``).
    """
    if freq_step > 1 and not gray:
        raise DatasetError("freq_step averages colormap indices: use it with gray=True")
    arrays = [load_image(p, crop=crop, gray=gray, freq_step=freq_step) for p in paths]
    if not arrays:
        raise DatasetError("no images to load")
    return np.stack(arrays)


@contextlib.contextmanager
def open_image(path: str | Path) -> Iterator[PIL.Image.Image]:
    """Open an image lazily (only its header is read), refusing one of more pixels than
    ``GENRELAB_MAX_IMAGE_MEGAPIXELS`` before any pixel is decoded.

    >>> with open_image(path) as img:  # doctest: +SKIP
    ...     rgb = np.asarray(img.convert("RGB"))

    Raises DatasetError for an unreadable or too large image.
    """
    from PIL import Image, UnidentifiedImageError

    name = Path(path).name
    try:
        with Image.open(path) as img:
            width, height = img.size
            limit = settings.current().max_image_megapixels
            if width * height > limit * 1e6:
                raise DatasetError(
                    f"{name} is {width}x{height} pixels, more than the limit of "
                    f"{limit:g} megapixels (GENRELAB_MAX_IMAGE_MEGAPIXELS)."
                )
            yield img
    except Image.DecompressionBombError as exc:  # beyond PIL's own limit, found at open
        raise DatasetError(f"{name} has too many pixels to decode safely ({exc}).") from exc
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
        raise DatasetError(f"Cannot read image {name}: {exc}") from exc


def load_image(
    path: str | Path, *, crop: bool = True, gray: bool = False, freq_step: int = 1
) -> np.ndarray:
    """One image as uint8 ``(H, W, C)``; see ``load_images``."""
    with open_image(path) as img:
        rgb = np.asarray(img.convert("RGB"))
    if rgb.shape[:2] != IMAGE_SHAPE:
        raise DatasetError(f"{path} is {rgb.shape[1]}x{rgb.shape[0]}, expected 432x288")
    return prepare_image(rgb, crop=crop, gray=gray, freq_step=freq_step)


def prepare_image(
    rgb: np.ndarray, *, crop: bool = True, gray: bool = False, freq_step: int = 1
) -> np.ndarray:
    """A 288x432 RGB figure (read from a PNG or rendered from audio) as a model input."""
    if crop:
        top, bottom, left, right = SPECTROGRAM_BOX
        rgb = rgb[top:bottom, left:right]
    if not gray:
        return np.ascontiguousarray(rgb)
    index = colormap_index(rgb)
    if freq_step > 1:
        h = index.shape[0] // freq_step * freq_step
        index = index[:h].reshape(-1, freq_step, index.shape[1]).mean(axis=1).round()
    return index.astype(np.uint8)[:, :, None]


def colormap_index(rgb: np.ndarray, cmap: str = "magma") -> np.ndarray:
    """Map ``(H, W, 3)`` uint8 colours to the nearest entry (0..255) of a matplotlib colormap."""
    lut, keys, order = _colormap_lookup(cmap)
    packed = _pack(rgb.reshape(-1, 3))
    pos = np.clip(np.searchsorted(keys, packed), 0, len(keys) - 1)
    index = order[pos]
    misses = np.flatnonzero(keys[pos] != packed)
    if len(misses):  # frame or anti-aliased pixels: nearest colour
        diff = rgb.reshape(-1, 3)[misses, None, :].astype(np.int32) - lut[None]
        index[misses] = np.argmin((diff**2).sum(axis=2), axis=1)
    return index.reshape(rgb.shape[:2]).astype(np.uint8)


@cache
def _colormap_lookup(cmap: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from matplotlib import colormaps

    lut = np.round(colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.int32)
    packed = _pack(lut)
    order = np.argsort(packed, kind="stable")
    return lut, packed[order], order


def _pack(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int64)
    return (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
