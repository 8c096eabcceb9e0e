"""Exact repetitions found from spectrogram images: generated images, and Sturm's list."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PIL import Image

from core.dataset.images import IMAGE_SHAPE, SPECTROGRAM_BOX
from core.faults.images import COLUMN_STEP, SECONDS_PER_COLUMN, find_image_repetitions


def _magma(index: np.ndarray) -> np.ndarray:
    from matplotlib import colormaps

    lut = np.round(colormaps["magma"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
    return lut[index]


def write_figure(path, plotted: np.ndarray) -> str:
    """A Kaggle-like figure: white margins, ``plotted`` (colormap indices) in the box."""
    top, bottom, left, right = SPECTROGRAM_BOX
    figure = np.full((*IMAGE_SHAPE, 3), 255, np.uint8)
    figure[top:bottom, left:right] = _magma(plotted)
    Image.fromarray(figure).save(path)
    return str(path)


def test_identical_and_shifted_images_repeat_and_different_ones_do_not(tmp_path):
    rng = np.random.default_rng(1)
    h, w = SPECTROGRAM_BOX[1] - SPECTROGRAM_BOX[0], SPECTROGRAM_BOX[3] - SPECTROGRAM_BOX[2]
    wide = rng.integers(0, 256, size=(h, w + 16), dtype=np.uint8)
    base = wide[:, 8 : 8 + w]
    images = {
        "blues.00000": base,
        "blues.00001": base.copy(),  # identical
        "rock.00002": wide[:, 16 : 16 + w],  # the same excerpt 8 columns later
        "rock.00003": rng.integers(0, 256, size=(h, w), dtype=np.uint8),  # another excerpt
    }
    manifest = pd.DataFrame(
        [
            {
                "track_id": t,
                "path": write_figure(tmp_path / f"{t}.png", x),
                "kind": "image",
                "readable": True,
            }
            for t, x in images.items()
        ]
    )
    pairs = find_image_repetitions(manifest)
    found = {frozenset(p): s for *p, s in pairs[["track_a", "track_b", "offset_seconds"]].values}
    assert set(found) == {
        frozenset({"blues.00000", "blues.00001"}),
        frozenset({"blues.00000", "rock.00002"}),
        frozenset({"blues.00001", "rock.00002"}),
    }
    shift = found[frozenset({"blues.00000", "rock.00002"})]
    assert abs(abs(shift) - 8 * SECONDS_PER_COLUMN) <= COLUMN_STEP * SECONDS_PER_COLUMN / 2


def test_image_detector_finds_sturms_exact_repetitions(shared_gtzan):
    from core.dataset import discover
    from core.dataset.gtzan_meta import exact_repetition_groups
    from core.faults.scoring import score_against_groups

    manifest = discover(shared_gtzan / "images_original").manifest
    pairs = find_image_repetitions(manifest)
    scores = score_against_groups(pairs, exact_repetition_groups(), manifest["track_id"])
    by = scores.set_index("detector")
    assert by.loc["repetition pairs", "precision"] >= 0.9  # measured 0.96 (51 of 53)
    assert by.loc["repetition pairs", "recall"] >= 0.7  # measured 0.76 (51 of 67)
    assert by.loc["repeated clips", "recall"] >= 0.85  # measured 0.92 (90 of 98)
