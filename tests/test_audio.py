"""core.audio: decoding real files and bytes, resampling, mixing, and clear errors on bad input."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from core import audio
from core.errors import AudioError
from tests.conftest import write_tone


def _wav_bytes(y: np.ndarray, sr: int = 22050, subtype: str = "PCM_16") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, y, sr, format="WAV", subtype=subtype)
    return buf.getvalue()


def test_load_path_and_bytes_agree(tmp_path):
    path = write_tone(tmp_path / "a.wav", seconds=1.0)
    y = audio.load(path)
    assert y.dtype == np.float32 and y.shape == (22050,)
    assert np.allclose(y, audio.load(path.read_bytes()))
    assert 0.29 < np.abs(y).max() < 0.31


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
@pytest.mark.parametrize("channels", [1, 2])
def test_samples_are_exactly_libsndfiles_floats(subtype, channels):
    """16-bit PCM takes a faster path (integers scaled by 1/32768): the very same floats,
    including full scale and offsets."""
    rng = np.random.default_rng(0)
    y = np.clip(rng.normal(0, 0.4, (22050, channels)), -1, 1)
    y[5512:5515] = [[-1.0] * channels, [1.0] * channels, [0.0] * channels]
    data = _wav_bytes(y, subtype=subtype)
    expected, _ = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    got = audio.load(data, offset=0.25, duration=0.5)
    np.testing.assert_array_equal(got, expected[5512 : 5512 + 11025].mean(axis=1, dtype=np.float32))


def test_stereo_is_mixed_and_rate_converted(tmp_path):
    path = write_tone(tmp_path / "s.flac", seconds=1.0, sr=44100, channels=2)
    y = audio.load(path, sr=22050)
    assert abs(len(y) - 22050) <= 1
    info = audio.probe(path)
    assert (info.sample_rate, info.channels) == (44100, 2)
    assert info.duration == pytest.approx(1.0)


def test_offset_duration_and_cap(tmp_path):
    path = write_tone(tmp_path / "a.wav", seconds=3.0)
    assert len(audio.load(path, offset=1.0, duration=1.0)) == 22050
    assert len(audio.load(path, max_seconds=0.5)) == 11025
    assert len(audio.load(path, offset=2.5)) == 11025


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x13\x37" * 500, "Not a readable|Could not decode"),
        (b"RIFF" + b"\x00" * 40, "Not a readable|Could not decode|no audio"),
    ],
)
def test_bad_bytes_raise_audio_error(data, message):
    with pytest.raises(AudioError, match=message):
        audio.load(data)


def test_truncated_wav_decodes_what_is_there_or_fails_clearly():
    full = _wav_bytes(np.zeros(22050, np.float32))
    try:
        y = audio.load(full[:1000])
    except AudioError:
        return
    assert 0 < len(y) < 22050


def test_nan_samples(tmp_path):
    y = np.full(1000, np.nan, np.float32)
    with pytest.raises(AudioError, match="NaN"):
        audio.load(_wav_bytes(y, subtype="FLOAT"))
    y[:500] = 0.25
    out = audio.load(_wav_bytes(y, subtype="FLOAT"))
    assert np.isfinite(out).all() and out[:500].max() == pytest.approx(0.25)


def test_missing_file():
    with pytest.raises(AudioError, match="No such file"):
        audio.load("/nonexistent/clip.wav")
