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
    assert at.selectbox(key="tr_preset").value == "recommended"
    next(b for b in at.button if b.label == "Paper preset").click().run()
    assert at.selectbox(key="tr_preset").value == "paper"
    assert at.number_input(key="tr_batch_size").value == 10


def _train_page(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/train.py")
    at.query_params.update(query or {})
    return at.run()


def test_the_settings_live_in_the_url_and_a_link_restores_them():
    at = _train_page()
    next(b for b in at.button if b.label == "Recommended preset").click().run()
    at.radio(key="tr_framework").set_value("keras").run()
    at.selectbox(key="tr_protocol").set_value("artist").run()
    at.number_input(key="tr_k").set_value(3)
    at.number_input(key="tr_epochs").set_value(7).run()
    fast = next(o for o in at.selectbox[0].options if o.startswith("preset: fast"))
    at.selectbox[0].set_value(fast).run()
    assert not at.exception, at.exception
    query = dict(at.query_params)
    assert query["framework"] == "keras" and query["preset"] == "recommended"
    assert (query["protocol"], query["k"], query["epochs"], query["mel"]) == (
        "artist",
        "3",
        "7",
        "fast",
    )
    assert "batch_size" not in query  # as the preset has it

    other = _train_page(query)  # a collaborator opening the link
    assert not other.exception, other.exception
    for key in ("tr_framework", "tr_preset", "tr_protocol", "tr_k", "tr_epochs", "tr_lr"):
        assert other.session_state[key] == at.session_state[key], key
    assert other.selectbox[0].value == fast


def test_a_bad_training_link_is_reported_and_ignored():
    at = _train_page({"framework": "keras", "epochs": "-3", "mel": "librosa", "mel.n_fft": "7"})
    assert not at.exception, at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "training settings were ignored" in warnings and "spectrogram setting" in warnings
    assert at.session_state["tr_framework"] == "torch" and at.session_state["tr_epochs"] == 30


def test_an_old_link_naming_the_preset_model_still_works():
    at = _train_page({"framework": "keras", "model": "recommended", "epochs": "7"})
    assert not at.exception, at.exception
    assert at.session_state["tr_preset"] == "recommended" and at.session_state["tr_epochs"] == 7
    query = dict(at.query_params)
    assert query["preset"] == "recommended" and "model" not in query


def test_the_form_survives_a_detour_through_another_page():
    at = _train_page()
    at.radio(key="tr_framework").set_value("keras").run()
    at.selectbox(key="tr_protocol").set_value("artist")
    at.number_input(key="tr_k").set_value(2)
    at.number_input(key="tr_epochs").set_value(3)
    at.text_input(key="tr_name").set_value("detour run").run()
    fast = next(o for o in at.selectbox[0].options if o.startswith("preset: fast"))
    at.selectbox[0].set_value(fast).run()
    at.switch_page("pages/compare.py").run()
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    values = {k: at.session_state[k] for k in ("tr_framework", "tr_protocol", "tr_k", "tr_epochs")}
    assert values == {"tr_framework": "keras", "tr_protocol": "artist", "tr_k": 2, "tr_epochs": 3}
    assert at.text_input(key="tr_name").value == "detour run"
    assert at.selectbox[0].value == fast
    assert dict(at.query_params)["epochs"] == "3"  # the URL agrees with the form again
    assert any("changed from the paper preset" in c.value for c in at.caption)


def test_choosing_keras_loads_the_keras_preset_values():
    at = _train_page()
    assert at.slider(key="tr_dropout").value == 0.0
    at.radio(key="tr_framework").set_value("keras").run()
    assert at.slider(key="tr_dropout").value == 0.5
    assert at.number_input(key="tr_weight_decay").value == 0.0
    assert any("exactly the paper preset for keras" in c.value for c in at.caption)
    at.selectbox(key="tr_preset").set_value("paper-published").run()
    crop, dropout = at.number_input(key="tr_time_crop").value, at.slider(key="tr_dropout").value
    assert (crop, dropout) == (0, 0.5)
    at.number_input(key="tr_epochs").set_value(12).run()
    assert any("changed" in c.value and "preset: 30" in c.value for c in at.caption)
