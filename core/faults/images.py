"""Exact repetitions found from spectrogram images alone (Kaggle's ``images_original``).

An excerpt filed twice renders the same picture, or the same picture shifted by the time the
two excerpts start apart. Each image's plotted area is mapped back to its colormap index
(:func:`core.dataset.images.load_image`), averaged into coarse cells (8 pixel rows x
``COLUMN_STEP`` pixel columns), and every band's mean is removed; two images are compared by
the cosine similarity of their overlapping cells at every shift up to ``max_shift`` cells (each
shift one matrix product over all images at once). A pair whose best similarity reaches
``threshold`` is a repetition.

Scored against Sturm's exact repetitions on the 999 Kaggle images (README): most of those
that it misses start more than ``max_shift`` cells apart, which a larger shift would find only
at the price of false matches between quiet classical excerpts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from core.dataset.images import SPECTROGRAM_BOX, load_image
from core.errors import Cancelled, DatasetError, ParamsError

Progress = Callable[[int, int], None]
StopCheck = Callable[[], bool]

#: Pixel rows and columns averaged into one cell.
ROW_STEP, COLUMN_STEP = 8, 4
#: Seconds one plotted pixel column covers in a Kaggle image (30 s over the plotted width).
SECONDS_PER_COLUMN = 30.0 / (SPECTROGRAM_BOX[3] - SPECTROGRAM_BOX[2])


def image_cells(index: np.ndarray) -> np.ndarray:
    """A colormap-index image ``(H, W)`` as float32 cells ``(H // ROW_STEP, W // COLUMN_STEP)``,
    each band's mean removed.

    >>> image_cells(np.arange(16 * 8, dtype=np.uint8).reshape(16, 8)).shape
    (2, 2)
    """
    h = index.shape[0] // ROW_STEP * ROW_STEP
    w = index.shape[1] // COLUMN_STEP * COLUMN_STEP
    cells = index[:h, :w].astype(np.float32)
    cells = cells.reshape(h // ROW_STEP, ROW_STEP, w // COLUMN_STEP, COLUMN_STEP).mean(axis=(1, 3))
    return cells - cells.mean(axis=1, keepdims=True)


def match_images(cells: np.ndarray, threshold: float = 0.7, max_shift: int = 4) -> pd.DataFrame:
    """Pairs of images (cells of :func:`image_cells`, stacked ``(N, bands, columns)``) that
    repeat each other.

    Returns
    -------
    DataFrame ``a, b`` (indices, ``a < b``), ``shift`` (cells: ``b`` starts that many cells
    into ``a``), ``score`` (cosine similarity of the overlap, 0..1), best score first.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(4, 20, 60)).astype(np.float32)
    >>> x[3, :, 2:] = x[0, :, :-2]  # image 3 is image 0 two cells later
    >>> match_images(x)[["a", "b", "shift"]].values.tolist()
    [[0, 3, -2]]
    """
    if cells.ndim != 3:
        raise ParamsError(f"Expected cells of shape (N, bands, columns), got {cells.shape}.")
    n, _, width = cells.shape
    if max_shift < 0 or max_shift >= width // 2:
        raise ParamsError(f"max_shift must be between 0 and {width // 2 - 1}, got {max_shift}.")
    best = np.full((n, n), -1.0, np.float32)
    shift_of = np.zeros((n, n), np.int32)
    for s in range(-max_shift, max_shift + 1):
        a = cells[:, :, max(s, 0) : width + min(s, 0)].reshape(n, -1)
        b = cells[:, :, max(-s, 0) : width + min(-s, 0)].reshape(n, -1)
        norm = np.linalg.norm(a, axis=1)[:, None] * np.linalg.norm(b, axis=1)[None, :]
        score = (a @ b.T) / np.maximum(norm, 1e-9)
        better = score > best
        best[better], shift_of[better] = score[better], s
    upper = np.triu(np.ones((n, n), bool), 1)
    # (a, b) at shift s is (b, a) at -s: keep the better of the two
    use_t = best < best.T
    best = np.where(use_t, best.T, best)
    shift_of = np.where(use_t, -shift_of.T, shift_of)
    a_idx, b_idx = np.nonzero(upper & (best >= threshold))
    found = pd.DataFrame(
        {
            "a": a_idx,
            "b": b_idx,
            "shift": shift_of[a_idx, b_idx],
            "score": best[a_idx, b_idx].clip(0, 1),
        }
    )
    return found.sort_values(["score", "a"], ascending=[False, True], ignore_index=True)


def find_image_repetitions(
    manifest: pd.DataFrame,
    progress: Progress | None = None,
    should_stop: StopCheck | None = None,
    threshold: float = 0.7,
    max_shift: int = 4,
) -> pd.DataFrame:
    """Pairs of readable image rows of ``manifest`` (``kind == "image"``) that show the same
    excerpt, as :func:`core.faults.find_repetitions` returns them (``PAIR_COLUMNS``; ``votes``
    is the number of cells compared).

    ``progress(done, total)`` is called as images are read; ``should_stop`` is polled between
    them (:class:`Cancelled`).
    """
    from core.faults import PAIR_COLUMNS

    rows = manifest
    if "kind" in rows:
        rows = rows[rows["kind"] == "image"]
    if "readable" in rows:
        rows = rows[rows["readable"].astype(bool)]
    ids, cells = [], []
    for done, (track, path) in enumerate(zip(rows["track_id"], rows["path"], strict=True), 1):
        if should_stop is not None and should_stop():
            raise Cancelled("The image scan was cancelled.")
        try:
            cells.append(image_cells(load_image(path, crop=True, gray=True)[:, :, 0]))
            ids.append(str(track))
        except DatasetError:
            pass  # unreadable: left out, as the audio detectors leave out clips that won't decode
        if progress is not None:
            progress(done, len(rows))
    if len(ids) < 2:
        return pd.DataFrame(columns=list(PAIR_COLUMNS))
    stacked = np.stack(cells)
    found = match_images(stacked, threshold, max_shift)
    ids_arr = np.array(ids)
    width = stacked.shape[2]
    return pd.DataFrame(
        {
            "track_a": ids_arr[found["a"].to_numpy(int)],
            "track_b": ids_arr[found["b"].to_numpy(int)],
            "offset_seconds": (found["shift"] * COLUMN_STEP * SECONDS_PER_COLUMN).round(3),
            "score": found["score"].astype(float).round(3),
            "votes": (width - found["shift"].abs()) * stacked.shape[1],
        },
        columns=list(PAIR_COLUMNS),
    )
