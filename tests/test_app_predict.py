"""AppTest of the Predict page: upload a clip to a real tiny run; bad uploads; no run yet."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from streamlit.testing.v1 import AppTest

from core.audio.mel import PRESETS
from core.runs.kinds.train import run_config, train_now
from core.training.config import preset
from tests.conftest import write_pitches

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("tones")
    write_pitches(root)
    train = preset("paper", "torch", epochs=3, k=2, batch_size=4, patience=0, val_fraction=0)
    mel = PRESETS["fast"].replace(duration=1.0, segment_seconds=None)
    return train_now(run_config(str(root), train, mel=mel), name="tones")  # the app's models dir


def _predict_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    return at.switch_page("pages/predict.py").run()


def _wav(seconds: float) -> bytes:
    buf = io.BytesIO()
    t = np.arange(int(seconds * 22050)) / 22050
    sf.write(buf, 0.3 * np.sin(2 * np.pi * 1800 * t), 22050, format="WAV")
    return buf.getvalue()


def test_upload_gives_a_prediction(run):
    at = _predict_page()
    assert not at.exception, at.exception
    box = at.selectbox[0]
    box.set_value(run.id).run()
    at.get("file_uploader")[0].upload("clip.wav", _wav(3.0), "audio/wav").run()
    assert not at.exception, at.exception
    [metric] = [m for m in at.metric if m.label == "Predicted genre"]
    assert metric.value in ("low", "high")
    assert any("segment(s)" in c.value for c in at.caption)


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "empty"), (b"\x00\x01" * 999, "decode"), (bytes(44) + bytes(4000), "decode|silent")],
)
def test_bad_upload_shows_a_message(run, data, message):
    import re

    at = _predict_page()
    at.selectbox[0].set_value(run.id).run()
    at.get("file_uploader")[0].upload("bad.wav", data, "audio/wav").run()
    assert not at.exception, at.exception
    assert any(re.search(message, e.value) for e in at.error), [e.value for e in at.error]


def test_no_run_offers_quick_training(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRELAB_MODELS_DIR", str(tmp_path))
    at = _predict_page()
    assert not at.exception, at.exception
    assert any("No trained run" in i.value for i in at.info)
    assert any(b.label.startswith("Quick training run") for b in at.button)


def test_the_chosen_run_is_in_the_url_and_a_link_opens_it(run):
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/predict.py")
    at.query_params["run"] = run.id
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="predict_run").value == run.id
    assert dict(at.query_params)["run"] == run.id
    at.query_params["run"] = "deleted-run"
    at.run()
    assert any("deleted-run" in w.value for w in at.warning)


def test_predict_shows_provenance_warns_for_a_demo_run_and_refuses_a_10_ms_clip(run, tmp_path):
    import json
    import shutil

    from core import settings

    demo_id = "20200101-000000-de70"  # the tones run, recorded as trained on the demo
    shutil.copytree(run.dir, settings.current().models_dir / demo_id)
    summary_path = settings.current().models_dir / demo_id / "summary.json"
    summary = json.loads(summary_path.read_text())
    summary["dataset"]["layout"] = "demo"
    summary_path.write_text(json.dumps(summary))
    try:
        at = _predict_page()
        at.selectbox[0].set_value(demo_id).run()
        assert not at.exception, at.exception
        text = "\n".join(m.value for m in [*at.markdown, *at.caption])
        assert "cross-validated accuracy" in text and "over 2 folds" in text
        assert "torch, paper" in text  # the complete settings summary
        at.get("file_uploader")[0].upload("song.wav", _wav(3.0), "audio/wav").run()
        assert any("synthetic demo" in w.value for w in at.warning), [w.value for w in at.warning]
        at.get("file_uploader")[0].upload("blip.wav", _wav(0.01), "audio/wav").run()
        assert not at.exception, at.exception
        [error] = at.error
        assert "blip.wav" in error.value and "too short to classify" in error.value
        assert not [m for m in at.metric if m.label == "Predicted genre"]
    finally:
        shutil.rmtree(settings.current().models_dir / demo_id)
