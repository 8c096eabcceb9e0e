"""core.predict end to end with a real tiny run: good clips, a real GTZAN clip, and bad input."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core import settings
from core.audio.mel import PRESETS
from core.errors import AudioError
from core.predict import check_upload_size, clip_warnings, load_predictor, predict
from core.runs.kinds.train import run_config, train_now
from core.training.config import preset
from tests.conftest import write_pitches


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    root = tmp_path_factory.mktemp("predict")
    write_pitches(root / "data")
    train = preset("paper", "torch", epochs=4, k=2, batch_size=4, patience=0, val_fraction=0)
    mel = PRESETS["fast"].replace(duration=1.0, segment_seconds=None)
    run = train_now(run_config(str(root / "data"), train, mel=mel), root=root / "models")
    return load_predictor(run)


def _wav(y: np.ndarray, sr: int = 22050, subtype: str = "PCM_16") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, y, sr, format="WAV", subtype=subtype)
    return buf.getvalue()


def _tone(seconds: float, sr: int = 22050, freq: float = 1800.0, channels: int = 1):
    t = np.arange(int(seconds * sr)) / sr
    y = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(y[:, None], channels, axis=1) if channels > 1 else y


def test_clip_longer_than_a_window_gets_a_timeline(predictor):
    result = predict(predictor, _wav(_tone(3.5)))
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-4)
    assert list(result.timeline.columns[:2]) == ["start", "end"]
    assert len(result.timeline) == 3  # 1 s windows; the last half-second is dropped
    assert result.genre in ("low", "high")


def test_short_clip_is_padded_and_says_so(predictor):
    result = predict(predictor, _wav(_tone(0.97)))  # a hair shorter than one 1 s input
    assert any("padded with silence" in n for n in result.notes)
    with pytest.raises(AudioError, match=r"0.4 s long, too short to classify.*at least 0.95 s"):
        predict(predictor, _wav(_tone(0.4)))  # less than one model input: refused


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty", b"", "empty"),
        ("random bytes", os.urandom(5000), "decode|readable"),
        ("silence", _wav(np.zeros(22050, np.float32)), "silent"),
        ("all NaN", _wav(np.full(2000, np.nan, np.float32), subtype="FLOAT"), "NaN"),
    ],
)
def test_bad_input_gives_a_clear_audio_error(predictor, name, data, message):
    with pytest.raises(AudioError, match=message):
        predict(predictor, data)


@pytest.mark.parametrize(
    ("name", "data", "note"),
    [
        ("8 channels", _wav(_tone(1.0, channels=8)), "8 channels were mixed"),
        ("192 kHz", _wav(_tone(1.0, sr=192000), sr=192000), "Resampled from 192000 Hz"),
        ("8-bit", _wav(_tone(1.0), subtype="PCM_U8"), None),
        (
            "some NaN",
            _wav(np.where(np.arange(22050) % 7 == 0, np.nan, _tone(1.0)), subtype="FLOAT"),
            "NaN or infinite samples were set to zero",
        ),
    ],
)
def test_odd_but_valid_audio_is_handled(predictor, name, data, note):
    result = predict(predictor, data)
    assert result.probabilities.between(0, 1).all()
    if note:
        assert any(note in n for n in result.notes), result.notes


def test_truncated_wav_never_crashes(predictor):
    full = _wav(_tone(2.0))
    for cut in (30, 44, 1000, len(full) // 2):
        try:
            result = predict(predictor, full[:cut])
        except AudioError as exc:
            assert str(exc)
        else:
            assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-4)


def test_ten_hour_file_is_analysed_in_part(predictor, tmp_path):
    """A 10-hour WAV (sparse on disk): only a bounded part is decoded, and the result says so."""
    sr, hours = 8000, 10
    path = tmp_path / "long.wav"
    sf.write(path, _tone(5.0, sr=sr), sr, subtype="PCM_16")
    data_bytes = hours * 3600 * sr * 2
    with path.open("r+b") as f:
        f.seek(4)
        f.write(struct.pack("<I", 36 + data_bytes))
        f.seek(40)
        f.write(struct.pack("<I", data_bytes))
        f.truncate(44 + data_bytes)  # sparse: no real disk used
    result = predict(predictor, path, max_seconds=120)
    assert any("Only the first 2 min of 600 min" in n for n in result.notes)
    assert len(result.signal) == 120 * 22050


def test_upload_limit():
    MAX_UPLOAD_BYTES = settings.current().max_upload_bytes
    check_upload_size(MAX_UPLOAD_BYTES)
    with pytest.raises(AudioError, match="limit"):
        check_upload_size(MAX_UPLOAD_BYTES + 1)


@pytest.mark.real_gtzan
def test_real_gtzan_clip_end_to_end(predictor, shared_gtzan):
    result = predict(predictor, shared_gtzan / "audio_sample" / "jazz" / "jazz.00001.wav")
    assert len(result.timeline) == 30  # 1 s windows over a 30 s excerpt
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-4)


def test_command_line_prints_probabilities(predictor, tmp_path, capsys, monkeypatch):
    from core.cli import main

    monkeypatch.setenv("GENRELAB_MODELS_DIR", str(Path(predictor.run.dir).parent))
    clip = tmp_path / "clip.wav"
    clip.write_bytes(_wav(_tone(1.0)))
    assert main(["predict", predictor.run.id, str(clip)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].split()[0] in ("low", "high")
    clip.write_bytes(b"garbage")
    assert main(["predict", predictor.run.id, str(clip)]) == 2


def test_a_clip_shorter_than_a_model_input_is_refused_in_plain_words(predictor):
    with pytest.raises(AudioError, match=r"0.01 s long, too short to classify.*reads 1 s"):
        predict(predictor, _wav(_tone(0.01)))


def test_a_demo_trained_run_warns_on_real_audio_and_low_rates_are_named(predictor, tmp_path):
    import json
    import shutil

    from core.runs import load_run

    result = predict(predictor, _wav(_tone(1.0)))
    assert result.warnings == []  # like its training clips: nothing to warn about
    low = predict(predictor, _wav(_tone(1.0, sr=8000), sr=8000))
    assert any("recorded at 8000 Hz" in w and "4000 Hz" in w for w in low.warnings)
    # a clip shorter than the training clips (possible where the model reads segments of them)
    short = clip_warnings(predictor, 0.4, 22050)
    assert any("learned from clips" in w and "about 1 s" in w for w in short)

    demo = tmp_path / predictor.run.id
    shutil.copytree(predictor.run.dir, demo)
    summary = json.loads((demo / "summary.json").read_text())
    summary["dataset"]["layout"] = "demo"  # as a run trained on the synthetic demo records it
    (demo / "summary.json").write_text(json.dumps(summary))
    warned = predict(load_predictor(load_run(demo.name, tmp_path)), _wav(_tone(1.0)))
    assert any("synthetic demo" in w for w in warned.warnings)


def test_undecodable_mp3_is_not_called_missing_and_names_no_python_object(predictor):
    buf = io.BytesIO()
    sf.write(buf, _tone(1.0), 22050, format="MP3")
    for data in (buf.getvalue()[:200], b"\xff\xfb\x90\x00" * 500):
        with pytest.raises(AudioError) as error:
            predict(predictor, data)
        message = str(error.value)
        assert "Could not decode" in message and "does not exist" not in message
        assert "BytesIO" not in message and "0x" not in message
