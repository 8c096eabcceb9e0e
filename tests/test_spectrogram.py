"""core.audio.mel and core.audio.kaggle_image: parameters, both implementations, Kaggle images."""

from __future__ import annotations

import json

import librosa
import numpy as np
import pytest

from core.audio import load
from core.audio.clip import clip_features
from core.audio.kaggle_image import HEIGHT, WIDTH, from_audio, render
from core.audio.mel import (
    PRESETS,
    MelParams,
    frame_times,
    mel_frequencies,
    mel_reference,
    segments,
)
from core.audio.mel_fast import mel_fast
from core.errors import ParamsError

SR = 22050
TOLERANCE_DB = 0.01


def music_like(seconds: float, seed: int = 0) -> np.ndarray:
    """Tones, noise bursts, clicks and a stretch of digital silence."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate(rng.uniform(50, 6000, 8), 1))
    y = 0.2 * y + 0.05 * rng.standard_normal(t.size) * (np.sin(2 * np.pi * 3 * t) > 0.5)
    y[:: SR // 4] += 0.9
    y[int(0.4 * t.size) : int(0.5 * t.size)] = 0.0
    return y.astype(np.float32)


# -- parameters ---------------------------------------------------------------------------------
def test_presets_are_valid_and_round_trip_through_json():
    assert {"librosa", "kaggle", "fast"} <= set(PRESETS)
    assert PRESETS["librosa"] == MelParams()  # librosa's defaults are the dataclass defaults
    for params in PRESETS.values():
        again = MelParams.from_dict(json.loads(json.dumps(params.to_dict())))
        assert again == params
        assert again.fingerprint() == params.fingerprint()
    assert len({p.fingerprint() for p in PRESETS.values()}) == len(PRESETS)


def test_fingerprint_is_canonical_and_sensitive():
    base = MelParams()
    assert MelParams(duration=30, fmin=0).fingerprint() == base.fingerprint()  # int == float
    changed = [
        base.replace(n_mels=64),
        base.replace(hop_length=256),
        base.replace(ref="max"),
        base.replace(pad_mode="reflect"),
        base.replace(normalize="minmax"),
    ]
    assert len({p.fingerprint() for p in [base, *changed]}) == 6


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fmax": 16000}, "fmax=16000 Hz is above the Nyquist frequency (11025 Hz)"),
        ({"n_mels": 1024}, "n_mels=1024 is too many for n_fft=2048"),
        ({"n_mels": 0}, "n_mels must be at least 1"),
        ({"hop_length": 0}, "hop_length must be at least 1 sample"),
        ({"hop_length": 512.5}, "hop_length must be a whole number"),
        ({"n_fft": True}, "n_fft must be a whole number"),
        ({"win_length": 4096}, "win_length (4096) cannot be longer than n_fft (2048)"),
        ({"hop_length": 1024, "win_length": 512}, "hop_length (1024) is longer than the window"),
        ({"window": "kaiser"}, "window 'kaiser' is unknown"),
        ({"pad_mode": "edge"}, "pad_mode must be 'constant'"),
        ({"fmin": 9000, "fmax": 4000}, "fmin (9000 Hz) must be below fmax (4000 Hz)"),
        ({"fmin": -1}, "fmin must be 0 Hz or more"),
        ({"offset": -1}, "offset must be 0 s or more"),
        ({"duration": 0}, "duration must be a positive number of seconds"),
        ({"segment_seconds": 40}, "segment_seconds (40 s) is longer than the clip duration"),
        ({"segment_seconds": 0.05}, "segments of 0.05 s are 1102 samples, shorter than one FFT"),
        ({"sample_rate": 0}, "sample_rate must be at least 1000 Hz"),
        ({"power": 0}, "power must be positive"),
        ({"top_db": 0}, "top_db must be positive"),
        ({"ref": "min"}, "ref must be 'max' or a positive number"),
        ({"normalize": "zscore"}, "normalize must be one of"),
        ({"image": "png"}, "image must be None or 'kaggle'"),
        ({"db": "yes"}, "db must be true or false"),
    ],
)
def test_invalid_params_are_refused_with_a_clear_message(changes, message):
    with pytest.raises(ParamsError) as info:
        MelParams(**changes)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_from_dict_refuses_unknown_keys():
    with pytest.raises(ParamsError, match=r"Unknown spectrogram parameter\(s\): hop\."):
        MelParams.from_dict({"hop": 256})


def test_derived_shapes():
    assert PRESETS["librosa"].feature_shape == (1, 128, 1292)
    assert PRESETS["fast"].feature_shape == (10, 64, 130)
    assert PRESETS["kaggle"].feature_shape == (1, HEIGHT, WIDTH, 3)
    assert MelParams(center=False, duration=1.0).n_frames == 1 + (SR - 2048) // 512


# -- cutting clips -------------------------------------------------------------------------------
def test_segments_pad_cut_and_split():
    params = MelParams(duration=2.0, segment_seconds=0.5)
    short = np.ones(int(1.2 * SR), dtype=np.float32)
    cut = segments(short, params)
    assert cut.shape == (4, SR // 2)
    assert cut[:2].min() == 1.0 and cut[3].max() == 0.0  # zero-padded to the duration
    long = np.ones(5 * SR, dtype=np.float32)
    assert segments(long, params).shape == (4, SR // 2)  # cut to the duration
    whole = MelParams(duration=None, segment_seconds=0.75)
    assert segments(long, whole).shape == (6, round(0.75 * SR))  # remainder dropped
    assert segments(long, MelParams(duration=None)).shape == (1, 5 * SR)


def test_axis_helpers_match_librosa():
    params = MelParams(n_mels=40, fmin=30, fmax=8000)
    expected = librosa.mel_frequencies(n_mels=42, fmin=30, fmax=8000)[1:-1]
    np.testing.assert_allclose(mel_frequencies(params), expected, rtol=1e-9)
    np.testing.assert_allclose(
        frame_times(params, 10, start=3.0), 3.0 + librosa.frames_to_time(np.arange(10), sr=SR)
    )


# -- the two implementations agree ---------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        MelParams(duration=8.0),  # long enough for the views between padded edge frames
        MelParams(duration=3.0, ref="max", top_db=None),
        MelParams(duration=8.0, pad_mode="reflect", ref="max", top_db=40.0),
        MelParams(duration=3.0, center=False, power=1.0, window="hamming", win_length=1024),
        MelParams(duration=3.0, n_fft=1024, hop_length=256, n_mels=64, fmin=40, fmax=8000),
        PRESETS["fast"].replace(duration=6.0),
    ],
    ids=["librosa", "ref-max", "kaggle-db", "magnitude-hamming", "small", "fast"],
)
def test_fast_matches_reference_on_generated_audio(params):
    batch = segments(music_like(params.duration), params)
    ref, fast = mel_reference(batch, params), mel_fast(batch, params)
    assert fast.shape == ref.shape == (params.n_segments, params.n_mels, params.n_frames)
    assert fast.dtype == np.float32
    resolved = ref >= ref.max() - 80  # without a top_db floor, float32 FFT noise shows below
    assert resolved.mean() > 0.7
    assert np.abs(fast - ref)[resolved].max() < TOLERANCE_DB
    one = batch[0]
    assert np.abs(mel_fast(one, params) - mel_reference(one, params))[resolved[0]].max() < 0.01


@pytest.mark.real_gtzan
def test_fast_matches_reference_on_real_music(shared_gtzan):
    clips = sorted((shared_gtzan / "audio_sample").glob("*/*.00000.wav"))
    assert len(clips) == 10
    params = PRESETS["librosa"]
    worst = 0.0
    for path in clips:
        y = segments(load(path), params)
        worst = max(worst, float(np.abs(mel_fast(y, params) - mel_reference(y, params)).max()))
    assert worst < TOLERANCE_DB


def test_normalisations():
    y = music_like(1.0)
    minmax = mel_fast(y, MelParams(duration=1.0, normalize="minmax"))
    assert minmax.min() == 0.0 and minmax.max() == pytest.approx(1.0)
    standard = mel_fast(y, MelParams(duration=1.0, normalize="standard"))
    assert abs(standard.mean()) < 1e-4 and standard.std() == pytest.approx(1.0, abs=1e-4)
    silent = mel_fast(np.zeros(SR, np.float32), MelParams(duration=1.0, normalize="standard"))
    assert np.all(silent == 0.0)


# -- the Kaggle image -----------------------------------------------------------------------------
def test_render_layout():
    mel = mel_fast(music_like(5.0), PRESETS["kaggle"])
    image = render(mel)
    assert image.shape == (HEIGHT, WIDTH, 3) and image.dtype == np.uint8
    white = np.all(image == 255, axis=-1)
    assert white[:35].all() and white[253:].all() and white[:, :54].all() and white[:, 390:].all()
    assert np.all(image[252, 55:389] == 51) and np.all(image[36:252, 389] == 51)  # frame lines
    inside = image[36:252, 55:389].reshape(-1, 3)
    assert not np.any(np.all(inside == 255, axis=-1))  # the mesh fills the axes
    flat = render(np.zeros((128, 50)))  # a constant array shows the lowest colour
    assert np.all(flat[100, 100] == [0, 0, 4])
    features = clip_features(music_like(5.0), PRESETS["kaggle"])
    assert features.shape == (1, HEIGHT, WIDTH, 3)
    np.testing.assert_array_equal(features[0], image)


@pytest.mark.real_gtzan
def test_render_reproduces_the_kaggle_images(shared_gtzan):
    """Our rendering of the real clips against the Kaggle ``images_original`` files."""
    from PIL import Image

    images = shared_gtzan / "images_original"
    pairs = [  # blues/blues.00000.wav -> blues/blues00000.png
        (wav, images / wav.parent.name / f"{wav.stem.replace('.', '')}.png")
        for wav in sorted((shared_gtzan / "audio_sample").glob("*/*.wav"))
    ]
    pairs = [(wav, png) for wav, png in pairs if png.is_file()]
    if not pairs:
        pytest.skip("the Kaggle images_original folder is not present")
    exact, mad, corr = [], [], []
    for wav, png in pairs:
        ours = from_audio(load(wav)).astype(np.int16)
        theirs = np.asarray(Image.open(png).convert("RGB")).astype(np.int16)
        exact.append(np.all(ours == theirs, axis=-1).mean())
        mad.append(np.abs(ours - theirs).mean())
        corr.append(np.corrcoef(ours.ravel(), theirs.ravel())[0, 1])
    # Measured on the 30 GTZAN excerpts: 10 pixels differ in 3.7 million (mean abs difference
    # 2e-6 of 255, correlation > 0.99999999).
    assert min(exact) > 0.9999
    assert max(mad) < 0.01
    assert min(corr) > 0.99999
