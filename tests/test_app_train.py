"""AppTest of the Train page: start a tiny run on the demo set, watch its progress, see it done."""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.runs import RunStatus, list_runs

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(p.proto.text) for p in at.get("progress")]
    return "\n".join(parts)


def test_start_a_run_and_watch_it(monkeypatch):
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    mel = at.selectbox[0]
    mel.set_value(next(o for o in mel.options if o.startswith("preset: fast"))).run()
    at.number_input(key="tr_epochs").set_value(1)
    at.number_input[0].set_value(2)  # k
    at.text_input[0].set_value("apptest run")
    before = {r.id for r in list_runs()}
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.exception, at.exception
    assert any("Queued run" in s.value for s in at.success)
    [run] = [r for r in list_runs() if r.id not in before]
    assert run.label == "apptest run" and run.config["train"]["k"] == 2

    seen_progress = False
    deadline = time.time() + 300
    while time.time() < deadline:
        at.run()
        text = _texts(at)
        seen_progress |= "Fold " in text or "Computing features" in text
        if not [r for r in list_runs() if r.id == run.id][0].status.active:
            break
        time.sleep(1)
    done = [r for r in list_runs() if r.id == run.id][0]
    assert done.status == RunStatus.COMPLETED, done.error
    assert seen_progress, "the page never showed the run's progress"
    at.run()
    table = at.dataframe[-1].value
    row = table[table["id"] == run.id].iloc[0]
    assert row["status"] == "completed" and 0 <= row["mean_acc"] <= 1


def test_presets_are_one_click_away():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/train.py").run()
    next(b for b in at.button if b.label == "Recommended preset").click().run()
    assert at.selectbox(key="tr_model").value == "recommended"
    next(b for b in at.button if b.label == "Paper preset").click().run()
    assert at.selectbox(key="tr_model").value == "paper"
    assert at.number_input(key="tr_batch_size").value == 10
