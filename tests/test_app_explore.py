"""AppTest of the Explore page: clips, artists, detectors scored on the demo set, fault catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.dataset import discover
from core.dataset.library import DEMO, resolve
from core.demo import load_demo_truth
from tests.conftest import finish_jobs

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _explore(spec: str = DEMO) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state["dataset_spec"] = spec
    at.run()
    return at.switch_page("pages/explore.py").run()


def test_clip_table_filters_and_artist_chart():
    at = _explore()
    assert not at.exception, at.exception
    assert any("200 of 200 clips" in c.value for c in at.caption)
    at.multiselect[0].set_value(["metal"]).run()
    assert any("20 of 200 clips" in c.value for c in at.caption)
    assert any("top artist" in str(chart.proto.spec) for chart in at.get("plotly_chart"))


def test_detectors_find_every_planted_fault_and_save_flags():
    at = _explore()
    next(b for b in at.button if b.label == "Scan this dataset").click().run()
    finish_jobs(at)  # the scan runs as a background job
    assert not at.exception, at.exception
    scores = next(df.value for df in at.dataframe if "precision" in df.value.columns)
    scores = scores.set_index("detector")
    assert scores.loc["repetition pairs", "recall"] == 1.0
    assert scores.loc["repetition pairs", "precision"] == 1.0
    assert scores.loc["clipping", "recall"] == 1.0 and scores.loc["dropout", "recall"] == 1.0
    next(b for b in at.button if b.label == "Save as flags on the manifest").click().run()
    assert any("Saved to" in s.value for s in at.success)
    manifest = discover(resolve(DEMO)).manifest.set_index("track_id")
    truth = load_demo_truth(resolve(DEMO))
    for kind in ("exact_repetition", "clipping", "dropout"):
        for track in truth.loc[truth["fault"] == kind, "track_id"]:
            assert kind in manifest.loc[track, "detected_faults"], (track, kind)
    planted = set(
        truth.loc[truth["fault"].isin(["exact_repetition", "clipping", "dropout"]), "track_id"]
    )
    assert set(manifest.index[manifest["detected_faults"] != ""]) == planted


@pytest.mark.real_gtzan
def test_fault_catalog_on_real_gtzan(shared_gtzan):
    at = _explore(str(shared_gtzan / "audio_sample"))
    assert not at.exception, at.exception
    assert any("partial" in w.value for w in at.warning)
    assert any("70 excerpts" in c.value for c in at.caption)
    assert any("Bob Marley" in str(df.value.to_dict()) for df in at.dataframe)


def test_a_linked_clip_opens_in_the_clip_viewer():
    at = AppTest.from_file(APP, default_timeout=240).run()
    at.switch_page("pages/explore.py")
    at.query_params["clip"] = "reggae.00004"
    at.run()
    assert not at.exception, at.exception
    assert any(md.value.startswith("#### reggae.00004") for md in at.markdown)
    assert "clip=reggae.00004" in next(c.value for c in at.sidebar.code)
    at.query_params["clip"] = "nosuch.00000"
    at.run()
    assert any("nosuch.00000" in w.value for w in at.warning)


def test_the_clip_viewer_shows_the_mel_and_links_the_clip_to_the_lab():
    at = AppTest.from_file(APP, default_timeout=240).run()
    at.switch_page("pages/explore.py")
    at.query_params["clip"] = "reggae.00004"
    at.run()
    assert not at.exception, at.exception
    assert any("Preset `librosa`" in c.value for c in at.caption)
    links = [el for el in at.get("page_link") if "Spectrogram Lab" in el.proto.label]
    assert links and "clip=reggae.00004" in links[0].proto.query_string, links


def test_detectors_on_an_image_dataset_use_the_images_and_say_what_needs_audio(tmp_path):
    import numpy as np

    from tests.test_image_repetitions import write_figure

    rng = np.random.default_rng(2)
    base = rng.integers(0, 256, size=(216, 334), dtype=np.uint8)
    for track, plotted in (
        ("blues00000", base),
        ("blues00001", base),
        ("rock00002", rng.integers(0, 256, size=(216, 334), dtype=np.uint8)),
    ):
        folder = tmp_path / "images_original" / track[:-5]
        folder.mkdir(parents=True, exist_ok=True)
        write_figure(folder / f"{track}.png", plotted)
    at = _explore(str(tmp_path / "images_original"))
    assert not at.exception, at.exception
    assert any("need the samples" in md.value for md in at.markdown)
    next(b for b in at.button if b.label == "Scan this dataset").click().run()
    at = finish_jobs(at)
    assert not at.exception, at.exception
    summary = next(md.value for md in at.markdown if "repeated pair" in md.value)
    assert "**1 repeated pair(s)**" in summary and "they need audio" in summary
