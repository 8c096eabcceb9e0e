"""Views as URL query parameters (core.links): mel settings survive a round trip."""

from __future__ import annotations

import pytest

from core.audio.mel import PRESETS
from core.constraints import Interval, Options, Param, beyond_widgets
from core.errors import ParamsError
from core.links import mel_from_query, mel_to_query, view_link


@pytest.mark.parametrize("preset", list(PRESETS))
def test_a_preset_alone_is_just_its_name(preset):
    assert mel_to_query(PRESETS[preset], preset) == {"mel": preset}
    assert mel_from_query({"mel": preset}) == (preset, PRESETS[preset])


def test_changed_fields_round_trip_with_their_types():
    params = PRESETS["librosa"].replace(
        n_mels=64, fmax=8000.0, duration=None, top_db=None, ref="max", db=True, window="hamming"
    )
    query = mel_to_query(params, "librosa", prefix="mel_b")
    assert query == {
        "mel_b": "librosa",
        "mel_b.duration": "none",
        "mel_b.window": "hamming",
        "mel_b.n_mels": "64",
        "mel_b.fmax": "8000",
        "mel_b.ref": "max",
        "mel_b.top_db": "none",
    }
    other = {"dataset": "demo", "mel": "fast"}  # another prefix is left alone
    assert mel_from_query({**other, **query}, prefix="mel_b") == ("librosa", params)
    assert mel_from_query(other, prefix="mel_b") is None


def test_booleans_and_fractions_round_trip():
    params = PRESETS["fast"].replace(db=False, offset=2.5, normalize="minmax")
    assert mel_from_query(mel_to_query(params, "fast")) == ("fast", params)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"mel": "huge"}, "unknown spectrogram preset"),
        ({"mel": "librosa", "mel.colour": "red"}, "unknown spectrogram parameter"),
        ({"mel": "librosa", "mel.n_mels": "many"}, "n_mels must be a whole number"),
        ({"mel": "librosa", "mel.fmax": "20000"}, "Nyquist"),
        ({"mel": "librosa", "mel.hop_length": "0"}, "hop"),
        ({"mel": "librosa", "mel.top_db": "inf"}, "finite"),
    ],
)
def test_a_bad_link_is_a_params_error(query, message):
    with pytest.raises(ParamsError, match=message):
        mel_from_query(query)


def test_view_link_puts_the_page_and_query_on_the_app_address():
    query = {"dataset": "demo", "clip": "blues.00003"}
    expected = "http://host:8501/spectrogram_lab?dataset=demo&clip=blues.00003"
    assert view_link("http://host:8501", "spectrogram_lab", query) == expected
    assert view_link("http://host:8501/spectrogram_lab/", "spectrogram_lab", query) == expected
    assert view_link("http://host:8501/", "", {}) == "http://host:8501/"
    assert view_link(None, "compare", {"runs": "a,b"}) == "/compare?runs=a,b"


def test_beyond_widgets_names_values_beyond_the_widgets():
    limits = {
        "n_mels": Param(Interval(int, 1, None), widget=(8, 256)),
        "fmax": Param(Interval(float, 0, None), none="Nyquist", widget=(0.0, 48000.0)),
    }
    assert beyond_widgets(limits, {"n_mels": 64, "fmax": None}) == []
    assert beyond_widgets(limits, {"n_mels": 4000, "fmax": -1.0}) == ["n_mels", "fmax"]
    choices = {**limits, "n_fft": Param(Options((7, 512, 1024)), choices=(512, 1024))}
    assert beyond_widgets(choices, {"n_mels": 64, "fmax": 1.0, "n_fft": 7}) == ["n_fft"]
