"""AppTest of the Sweeps page on a finished two-trial sweep (trained here on generated tones)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from core.audio.mel import PRESETS
from core.runs import create_run, worker
from core.runs.kinds.train import run_config
from core.sweeps import create_sweep, parse_param, sweep_job
from core.training.config import preset
from tests.conftest import write_pitches

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """Two labels told apart by pitch, and a finished grid sweep over the learning rate."""
    root = tmp_path_factory.mktemp("sweep_page")
    write_pitches(root, seconds=3.0)
    train = preset("paper", "torch", epochs=1, k=2, batch_size=4, patience=0, val_fraction=0.0)
    config = run_config(str(root), train, mel=PRESETS["fast"])
    sweep = create_sweep(
        config, [parse_param("lr=0.001,0.0001")], name="lr", presets={"train": "paper"}
    )
    worker.main(create_run(sweep_job(sweep)).dir)
    return root, sweep


def _open(dataset: Path) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["dataset_spec"] = str(dataset)
    at.run()
    at.switch_page("pages/sweep.py").run()
    assert not at.exception, at.exception
    return at


def _links(at: AppTest) -> dict[str, str]:
    """Link text -> its address, from the page's markdown."""
    found = {}
    for m in at.markdown:
        if m.value.startswith("[") and "](" in m.value:
            text, address = m.value[1:-1].split("](")
            found[text] = address
    return found


def test_trials_best_first_plot_and_links(swept):
    dataset, sweep = swept
    at = _open(dataset)
    trials = at.dataframe[0].value
    assert list(trials["state"]) == ["complete", "complete"]
    assert list(trials["mean_acc"]) == sorted(trials["mean_acc"], reverse=True)
    charts = [json.loads(c.proto.spec)["data"][0] for c in at.get("plotly_chart")]
    assert [c["type"] for c in charts] == ["parcoords"]
    assert [d["label"] for d in charts[0]["dimensions"]] == ["lr", "mean acc"]

    links = _links(at)
    train = urlsplit(links["Open the best trial's settings on the Train page"])
    assert train.path.endswith("/train")
    query = parse_qs(train.query)
    best_lr = trials.iloc[0]["lr"]
    assert query["framework"] == ["torch"] and query["preset"] == ["paper"]
    assert float(query.get("lr", [preset("paper").lr])[0]) == pytest.approx(best_lr)
    assert query["mel"] == ["fast"]
    compare = urlsplit(links["Compare these trials"])
    assert compare.path.endswith("/compare")
    assert parse_qs(compare.query)["runs"][0].split(",") == list(trials["run_id"])


def test_a_bad_range_is_a_message_not_a_traceback(swept):
    dataset, _ = swept
    at = _open(dataset)
    at.multiselect(key="sw_vary").set_value(["dropout"]).run()
    at.text_input(key="sw_spec_dropout").set_value("0.2, 1.5").run()
    next(b for b in at.button if b.label == "Create and start").click().run()
    assert not at.exception
    assert any("dropout = 1.5" in e.value for e in at.error)
