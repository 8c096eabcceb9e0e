"""AppTest of the home page on the demo dataset (generated on first use)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_home_shows_demo_dataset():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    assert "Genre Lab" in at.title[0].value
    assert any("demo" in s.value for s in at.subheader)
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Clips"]) >= 100
    assert metrics["Genres"] == "10"
    assert any("synthetic demo dataset" in i.value for i in at.info)
    assert any("Known faults" in md.value for md in at.markdown)


def test_home_reports_unreadable_folder(tmp_path):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["dataset_spec"] = str(tmp_path / "missing")
    at.run()
    assert not at.exception
    assert any("does not exist" in e.value for e in at.error)
