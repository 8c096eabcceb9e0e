"""AppTest of the Spectrogram Lab on the demo dataset: parameters change the figure; stores."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from core.features import list_stores
from tests.conftest import finish_jobs

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _lab() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()  # registers the pages
    at.switch_page("pages/spectrogram_lab.py")
    return at.run()


def _heatmap_shapes(at: AppTest) -> list[tuple[int, int]]:
    shapes = []
    for chart in at.get("plotly_chart"):
        for trace in json.loads(chart.proto.spec)["data"]:
            if trace["type"] == "heatmap":  # z arrives as a typed array with its shape
                rows, cols = trace["z"]["shape"].split(",")
                shapes.append((int(rows), int(cols)))
    return shapes


def test_changing_a_parameter_changes_the_figure():
    at = _lab()
    assert not at.exception, at.exception
    assert _heatmap_shapes(at) == [(128, 431)]  # librosa preset, duration capped at the 10 s clip
    at.slider(key="lab_A_librosa_mels").set_value(64).run()
    assert not at.exception
    assert _heatmap_shapes(at) == [(64, 431)]
    assert any("shape 1 x 64 x 431" in c.value for c in at.caption)


def test_invalid_parameter_gives_a_clear_message():
    at = _lab()
    at.number_input(key="lab_A_librosa_fmax").set_value(20000.0).run()
    assert not at.exception
    assert any("fmax" in e.value and "Nyquist" in e.value for e in at.error)


def test_compare_two_settings_and_their_difference():
    at = _lab()
    at.toggle(key="lab_compare").set_value(True).run()
    assert not at.exception
    # A (librosa) and B (fast: 64 mels, 3 s segments) differ in shape: no difference plot
    assert any("shapes differ" in i.value for i in at.info)
    at.selectbox(key="lab_B_preset").set_value("librosa").run()
    at.slider(key="lab_B_librosa_mels").set_value(128).run()
    at.number_input(key="lab_B_librosa_top").set_value(60.0).run()
    assert not at.exception
    assert len(_heatmap_shapes(at)) == 3  # A, B and A - B
    assert any("A − B" in c.value for c in at.caption)


def test_build_and_delete_a_feature_store():
    at = _lab()
    build = [b for b in at.button if b.label.startswith("Compute features")]
    assert build, "no build button"
    build[0].click().run()
    finish_jobs(at)  # the store is built by a background job
    assert not at.exception, at.exception
    assert any("Built" in s.value for s in at.success)
    at.run()
    assert any("exists" in s.value for s in at.success)
    key = at.selectbox(key="store_delete").options[1]
    at.selectbox(key="store_delete").set_value(key).run()
    at.button(key="store_delete_btn").click().run()
    assert not at.exception
    remaining = [s.options for s in at.selectbox if s.key == "store_delete"]
    assert remaining == [] or key not in remaining[0]
    assert key not in set(list_stores()["key"])


def _link(at: AppTest) -> str:
    return next(c.value for c in at.sidebar.code)


def test_the_url_keeps_the_clip_and_settings_and_a_link_reopens_them():
    at = _lab()
    clips = at.selectbox(key="lab_clip").options
    at.selectbox(key="lab_genre").set_value("metal").run()
    at.selectbox(key="lab_clip").set_value(at.selectbox(key="lab_clip").options[2]).run()
    at.slider(key="lab_A_librosa_mels").set_value(48).run()
    at.toggle(key="lab_compare").set_value(True).run()
    assert not at.exception, at.exception
    chosen = at.selectbox(key="lab_clip").value
    assert chosen not in clips and chosen.startswith("metal.")
    query = dict(at.query_params)
    assert query["clip"] == chosen and query["dataset"] == "demo" and query["compare"] == "1"
    assert (query["mel"], query["mel.n_mels"], query["mel_b"]) == ("librosa", "48", "fast")
    link = _link(at)
    assert link.startswith("/spectrogram_lab?") and f"clip={chosen}" in link

    other = AppTest.from_file(APP, default_timeout=180).run()  # a collaborator opens the link
    other.switch_page("pages/spectrogram_lab.py")
    other.query_params.update(query)
    other.run()
    assert not other.exception, other.exception
    assert other.selectbox(key="lab_clip").value == chosen
    assert other.toggle(key="lab_compare").value
    assert other.slider(key="lab_A_librosa_mels").value == 48
    assert _heatmap_shapes(other)[:2] == _heatmap_shapes(at)[:2]
    assert _link(other) == link


def test_a_bad_link_is_reported_and_ignored():
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/spectrogram_lab.py")
    at.query_params.update({"clip": "nosuch.00001", "mel": "librosa", "mel.n_mels": "4000"})
    at.run()
    assert not at.exception, at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "nosuch.00001" in warnings and "n_mels" in warnings
    assert at.slider(key="lab_A_librosa_mels").value == 128


def test_padding_is_left_blank_with_a_note():
    at = _lab()
    at.number_input(key="lab_A_librosa_dur").set_value(15.0).run()  # the demo clips last 10 s
    assert not at.exception, at.exception
    assert any("5.0 s shorter than this setting's duration" in c.value for c in at.caption)
    heatmap = next(
        t
        for c in at.get("plotly_chart")
        for t in json.loads(c.proto.spec)["data"]
        if t["type"] == "heatmap"
    )
    z = heatmap["z"]  # a typed array: base64 data, dtype and shape
    z = np.frombuffer(base64.b64decode(z["bdata"]), z["dtype"]).reshape(128, -1)
    blank = np.isnan(z).all(axis=0)
    assert z.shape[1] == 646 and blank[-200:].all() and not blank[:420].any()  # 15 s, 5 blank
