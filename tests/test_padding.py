"""Zero padding (clips shorter than the setting's duration): blank in previews, flagged and
warned about in feature stores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.audio.clip import padding_share
from core.audio.mel import MelParams
from core.audio.preview import preview
from core.features import compute_features
from core.features.store import PADDING_WARNING
from tests.conftest import write_tone


def test_preview_leaves_padding_blank():
    y = np.random.default_rng(0).normal(0, 0.1, 22050).astype(np.float32)  # 1 s
    result = preview(y, MelParams(duration=3.0, n_mels=32))
    blank = np.isnan(result.joined_unpadded).all(axis=0)
    assert 1.9 < result.padded_seconds < 2.1
    assert blank[-10:].all() and not blank[:40].any()
    assert not np.isnan(result.joined).any()  # the features themselves are untouched


def test_padding_share_per_segment():
    share = padding_share(int(2.5 * 22050), MelParams(duration=4.0, segment_seconds=1.0))
    assert np.allclose(share, [0, 0, 0.5, 1])


def test_a_store_that_is_mostly_padding_warns_and_flags_its_segments(tmp_path):
    rows = [
        {
            "track_id": f"blues.0000{i}",
            "genre": "blues",
            "readable": True,
            "path": write_tone(tmp_path / f"blues.0000{i}.wav", seconds=1.0),
        }
        for i in range(2)
    ]
    params = MelParams(duration=4.0, segment_seconds=1.0, n_mels=16)
    store = compute_features(pd.DataFrame(rows), params, tmp_path / "stores")
    assert store.padding_share > PADDING_WARNING
    assert store.padding_mask.tolist() == [[False, True, True, True]] * 2
    assert "75%" in store.padding_warning()
    whole = compute_features(
        pd.DataFrame(rows), params.replace(duration=1.0, segment_seconds=None), tmp_path / "stores"
    )
    assert whole.padding_warning() is None and not whole.padding_mask.any()
