"""AppTest of the Compare page on two real tiny runs (trained here on generated tones)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.audio.mel import PRESETS
from core.dataset import discover
from core.evaluation.comparison import RunResults
from core.evaluation.report import build_report
from core.runs import load_run
from core.runs.kinds.train import run_config, train_now
from core.training.config import preset
from tests.conftest import write_tone

APP = str(Path(__file__).resolve().parents[1] / "app.py")
MEL = PRESETS["fast"].replace(duration=1.0, segment_seconds=None)
MISLABEL = "blues.00005"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """Blues (low tones) and metal (high tones), six 1 s clips each, in the demo layout (GTZAN
    names plus a ``demo_meta.csv`` of artists and faults); blues.00005 is a high tone: a planted
    mislabel the models cannot get right."""
    root = tmp_path_factory.mktemp("tiny_compare")
    rows = ["track_id,genre_label,true_genre,artist,fault,related,detail"]
    for genre, base in (("blues", 220.0), ("metal", 1760.0)):
        for i in range(6):
            track = f"{genre}.{i:05d}"
            mislabel = track == MISLABEL
            freq = 1760.0 * 1.1 if mislabel else base * (1 + 0.05 * i)
            write_tone(root / "genres" / genre / f"{track}.wav", seconds=1.0, freq=freq)
            truth = "metal" if mislabel else genre
            rows.append(
                f"{track},{genre},{truth},{genre} band {i % 2},{'mislabel' if mislabel else ''},,"
            )
    (root / "demo_meta.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture(scope="module")
def runs(tiny) -> tuple[str, str]:
    """A run that learns (2 epochs) and one that barely moves (1 epoch, tiny learning rate),
    on the same folds, in the models folder the app reads."""
    fingerprint = discover(tiny).fingerprint
    ids = []
    for name, epochs, lr in (("learns", 2, 1e-3), ("barely trained", 1, 1e-7)):
        train = preset(
            "paper", "torch", epochs=epochs, lr=lr, k=2, batch_size=4, patience=0, val_fraction=0.0
        )
        config = run_config(str(tiny), train, mel=MEL, fingerprint=fingerprint)
        ids.append(train_now(config, name=name).id)
    return ids[0], ids[1]


def _open(tiny: Path, query: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["dataset_spec"] = str(tiny)  # the runs' dataset is the one open
    if query is not None:
        at.query_params["runs"] = query
    at.run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception, at.exception
    return at


def _traces(chart) -> list[dict]:
    return json.loads(chart.proto.spec)["data"]


def _text(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_a_link_opens_the_comparison(tiny, runs):
    a, b = runs
    at = _open(tiny, f"{a},{b}")
    assert at.multiselect(key="cmp_runs").value == [a, b]
    assert at.query_params["runs"] == [f"{a},{b}"] or at.query_params["runs"] == f"{a},{b}"

    # settings: only the differing ones by default, and epochs and lr are among them
    settings = at.dataframe[1].value
    assert {"train.epochs", "train.lr"} <= set(settings.index)
    assert "train.k" not in settings.index
    assert list(settings.columns) == ["learns", "barely trained"]

    # accuracy per fold, matching what the trainer recorded
    folds = at.dataframe[2].value
    assert list(folds.index) == ["fold 1", "fold 2"]
    for run_id, column in ((a, "learns"), (b, "barely trained")):
        assert folds[column].tolist() == pytest.approx(load_run(run_id).summary["fold_acc"])

    # statistics in words: same folds, so a paired t-test and McNemar
    text = _text(at)
    assert "paired t-test over 2 folds" in text and "McNemar's" in text
    assert not any("cannot be compared fold by fold" in w.value for w in at.warning)

    # confusion heatmaps with genre names on both axes: A, B and their difference
    charts = at.get("plotly_chart")
    heatmaps = [_traces(c)[0] for c in charts if _traces(c)[0]["type"] == "heatmap"]
    assert len(heatmaps) == 3
    assert heatmaps[0]["x"] == heatmaps[0]["y"] == ["blues", "metal"]
    assert heatmaps[0]["zmax"] == heatmaps[1]["zmax"]  # one colour scale for both runs

    # every figure and table can be downloaded
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels.count("Download figure (HTML)") == len(charts)
    assert labels.count("Download table (CSV)") >= 5
    assert "Export the comparison as one HTML file" in labels


def test_wrong_clips_play_and_views_switch(tiny, runs):
    a, b = runs
    at = _open(tiny, f"{a},{b}")
    at.selectbox(key="cmp_wrong_run").set_value(a).run()
    predictions = RunResults.from_run(load_run(a)).predictions
    wrong = predictions[predictions["true"] != predictions["predicted"]]
    assert MISLABEL in set(wrong["track_id"]), "the planted mislabel was predicted right"
    table = at.dataframe[-1].value.set_index("track_id")
    assert len(table) == len(wrong) and table.loc[MISLABEL, "predicted"] == "metal"
    assert table.loc[MISLABEL, "known_fault"] and table.loc[MISLABEL, "flags"] == "mislabel"
    assert table.loc[MISLABEL, "artist"] == "blues band 1"
    listen = at.selectbox(key="cmp_listen")
    listen.set_value(next(i for i, o in enumerate(listen.options) if MISLABEL in o)).run()
    assert any(f"{MISLABEL} is a known fault" in w.value for w in at.warning)
    assert at.get("audio"), "no player for the clips the run got wrong"

    at.radio(key="cmp_norm").set_value("row-normalised").run()
    at.selectbox(key="cmp_fold").set_value(2).run()
    assert not at.exception, at.exception
    chart = next(c for c in at.get("plotly_chart") if _traces(c)[0]["type"] == "heatmap")
    assert "(fold 2)" in chart.proto.spec and _traces(chart)[0]["zmax"] == 1

    at.radio(key="cmp_metric").set_value("recall").run()
    assert not at.exception, at.exception


def test_choosing_runs_updates_the_url_and_filters_narrow_the_table(tiny, runs):
    a, b = runs
    at = _open(tiny)
    assert any("Pick two or more runs" in i.value for i in at.info)
    at.multiselect(key="cmp_runs").set_value([b, a]).run()
    assert not at.exception, at.exception
    assert f"{b},{a}" in str(at.query_params["runs"])
    at.text_input(key="cmp_search").set_value("barely").run()
    shown = at.dataframe[0].value
    assert list(shown["id"]) == [b]
    assert at.multiselect(key="cmp_runs").value == [b, a]  # filtering keeps the choice
    # leaving the page and coming back keeps the comparison
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/compare.py").run()
    assert at.multiselect(key="cmp_runs").value == [b, a]


def test_report_from_real_runs(runs):
    results = [RunResults.from_run(load_run(i)) for i in runs]
    report = build_report(results)
    assert "learns" in report and "barely trained" in report and "McNemar" in report
