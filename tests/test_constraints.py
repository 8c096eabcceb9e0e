"""core.constraints: each parameter table drives validation, parsing, widgets and summaries."""

from __future__ import annotations

import pytest

from core.audio.mel import MEL_PARAMS, PRESETS, MelParams
from core.cli import build_parser
from core.errors import ParamsError
from core.links import mel_from_query, mel_to_query
from core.models import MODEL_PARAMS, model_params
from core.training.config import TRAIN_PARAMS, TrainConfig, preset

#: Build each parameter set with one field changed.
BUILDERS = {
    "MelParams": (MEL_PARAMS, lambda name, value: MelParams(**{name: value})),
    "TrainConfig": (TRAIN_PARAMS, lambda name, value: TrainConfig(**{name: value})),
    "model": (MODEL_PARAMS, lambda name, value: model_params("paper", {name: value})),
}
INVALID = [
    pytest.param(table, name, value, id=f"{table}.{name}={value!r}")
    for table, (params, _) in BUILDERS.items()
    for name, param in params.items()
    for value in param.invalid_values()
]

#: A valid value other than the librosa preset's, for every MelParams field.
MEL_CHANGES = {
    "sample_rate": 16000,
    "offset": 2.5,
    "duration": None,
    "segment_seconds": 3.0,
    "n_fft": 4096,
    "hop_length": 256,
    "win_length": 1024,
    "window": "hamming",
    "center": False,
    "pad_mode": "reflect",
    "n_mels": 64,
    "fmin": 20.0,
    "fmax": 8000.0,
    "power": 1.0,
    "db": False,
    "ref": "max",
    "amin": 1e-5,
    "top_db": None,
    "normalize": "minmax",
    "image": "kaggle",
}
#: A valid value other than the paper preset's (torch), for every TrainConfig field.
TRAIN_CHANGES = {
    "framework": "keras",
    "architecture": "recommended",
    "epochs": 7,
    "batch_size": 32,
    "lr": 5e-4,
    "lr_schedule": "cosine",
    "optimizer": "adamw",
    "weight_decay": 0.01,
    "dropout": 0.25,
    "patience": 0,
    "val_fraction": 0.2,
    "seed": 42,
    "protocol": "artist",
    "k": 3,
    "drop_repetitions": True,
    "time_crop": 64,
}
MODEL_CHANGES = {
    "channels": [8, 16],
    "kernel_sizes": [5, 3],
    "padding": "same",
    "pool": 3,
    "batch_norm": True,
    "head": "gap",
}


def test_every_field_of_every_table_has_generated_invalid_values():
    for params, _ in BUILDERS.values():
        assert all(param.invalid_values() for param in params.values())


@pytest.mark.parametrize(("table", "name", "value"), INVALID)
def test_an_invalid_value_is_a_params_error_naming_the_field(table, name, value):
    params, build = BUILDERS[table]
    with pytest.raises(ParamsError) as info:
        build(name, value)
    assert str(info.value).startswith(f"{name} ")


def test_the_examples_cover_every_field():
    assert set(MEL_CHANGES) == set(MEL_PARAMS)
    assert set(TRAIN_CHANGES) == set(TRAIN_PARAMS)
    assert set(MODEL_CHANGES) == set(MODEL_PARAMS)


@pytest.mark.parametrize("name", list(MEL_CHANGES))
def test_every_mel_field_round_trips_through_a_link(name):
    value = MEL_CHANGES[name]
    params = PRESETS["librosa"].replace(**{name: value})
    query = mel_to_query(params, "librosa")
    assert query == {"mel": "librosa", f"mel.{name}": MEL_PARAMS[name].text(value)}
    assert mel_from_query(query) == ("librosa", params)


@pytest.mark.parametrize("name", list(TRAIN_CHANGES))
def test_every_training_field_round_trips_through_text_and_the_command_line(name):
    param, value = TRAIN_PARAMS[name], TRAIN_CHANGES[name]
    assert param.parse(name, param.text(value)) == value
    args = build_parser().parse_args(["train", f"--{name}", param.text(value)])
    assert getattr(args, name) == value
    args = build_parser().parse_args(["train", "--set", f"{name}={param.text(value)}"])
    from core.cli import _settings

    assert _settings(args.set) == {name: value}


@pytest.mark.parametrize("name", list(MODEL_CHANGES))
def test_every_model_parameter_round_trips_through_set(name):
    from core.cli import _settings

    value = MODEL_CHANGES[name]
    text = MODEL_PARAMS[name].text(value)
    assert _settings([f"{name}={text}"]) == {"model_params": {name: value}}


def test_a_bad_command_line_value_names_the_setting(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--epochs", "0"])
    assert "epochs must be at least 1, got 0" in capsys.readouterr().err


def test_summaries_tell_different_settings_apart():
    base = PRESETS["librosa"]
    hann, hamming = base, base.replace(window="hamming")
    assert hann.summary() != hamming.summary()
    assert hamming.summary() == "128 mels (librosa + window=hamming)"
    changed = [base.replace(**{n: v}) for n, v in MEL_CHANGES.items() if n != "image"]
    summaries = {p.summary() for p in [base, *changed, *PRESETS.values()]}
    assert len(summaries) == len(changed) + len(PRESETS)
    for name, value in MEL_CHANGES.items():  # every field shows when it differs
        if name != "image":
            assert name in base.replace(**{name: value}).summary("librosa")


def test_training_summary_names_framework_preset_and_every_change():
    assert preset("paper", "torch").summary() == "torch, paper"
    config = preset("recommended", "keras", epochs=7, model_params={"channels": [8, 8, 8, 8]})
    assert config.summary() == "keras, recommended + epochs=7, channels=8,8,8,8"
    for name, value in TRAIN_CHANGES.items():
        if name != "framework":
            assert f"{name}=" in preset("paper", "torch", **{name: value}).summary()


def test_widget_hints_come_from_the_table():
    assert MEL_PARAMS["n_mels"].widget_hints() == {
        "help": "mel bands",
        "min_value": 8,
        "max_value": 256,
    }
    assert MEL_PARAMS["window"].widget_hints()["options"][:2] == ["hann", "hamming"]
    assert TRAIN_PARAMS["seed"].widget_hints()["max_value"] == 2**31 - 1
