"""Widgets that edit every field of a MelParams, starting from a named preset."""

from __future__ import annotations

import streamlit as st

from core.audio.mel import NORMALIZATIONS, PAD_MODES, PRESETS, WINDOWS, MelParams
from core.errors import ParamsError
from core.links import outside
from ui.text import error_text
from ui.view_link import linked_mel, share_mel

RATES = (8000, 11025, 16000, 22050, 32000, 44100)
FFT_SIZES = (256, 512, 1024, 2048, 4096, 8192)
#: What the widgets offer; a linked setting outside it is refused (0 stands for "none").
LIMITS: dict[str, tuple[float, float]] = {
    "offset": (0.0, 600.0),
    "duration": (0.0, 600.0),
    "segment_seconds": (0.0, 600.0),
    "hop_length": (0, 8192),
    "win_length": (0, 8192),
    "n_mels": (8, 256),
    "fmin": (0.0, 48000.0),
    "fmax": (0.0, 48000.0),
    "top_db": (0.0, 200.0),
}
CHOICES: dict[str, tuple] = {
    "sample_rate": RATES,
    "n_fft": FFT_SIZES,
    "power": (1.0, 2.0),
    "ref": (1.0, "max"),
}


def mel_params_editor(
    key: str, preset: str = "librosa", clip_seconds: float | None = None, link: str | None = None
) -> MelParams | None:
    """Edit a MelParams in the current container; None (with the reason shown) if invalid.

    ``clip_seconds``: presets start with their duration capped at the clip's length, so a
    short clip is not padded with silence unless the user asks for it.

    ``link``: keep the setting in the URL under this prefix, and start from the URL's setting.

    ``key`` keeps two editors on one page apart. "0" in a numeric field means "none" where the
    field allows it (whole clip, no segments, window = n_fft, fmax = Nyquist, no dB floor).
    """
    linked = _editable(linked_mel(link)) if link else None
    name = st.selectbox(
        "Preset",
        list(PRESETS),
        index=list(PRESETS).index(linked[0] if linked else preset),
        key=f"{key}_preset",
        help="librosa defaults, the seed paper's Kaggle "
        "image input, or a fast low-resolution setting",
    )
    base = PRESETS[name]
    if linked and linked[0] == name:
        base = linked[1]
    elif clip_seconds and base.duration and base.duration > clip_seconds:
        base = base.replace(duration=float(int(clip_seconds)) or clip_seconds)
    k = f"{key}_{name}"  # a new preset resets the fields below to its values
    c1, c2, c3 = st.columns(3)
    sample_rate = c1.selectbox(
        "Sample rate (Hz)", RATES, index=_index(RATES, base.sample_rate), key=f"{k}_sr"
    )
    offset = c2.number_input("Offset (s)", *LIMITS["offset"], base.offset, 0.5, key=f"{k}_off")
    duration = c3.number_input(
        "Duration (s, 0 = whole clip)",
        *LIMITS["duration"],
        base.duration or 0.0,
        1.0,
        key=f"{k}_dur",
    )
    c1, c2, c3 = st.columns(3)
    segment = c1.number_input(
        "Segment (s, 0 = none)",
        *LIMITS["segment_seconds"],
        base.segment_seconds or 0.0,
        0.5,
        key=f"{k}_seg",
    )
    n_fft = c2.selectbox("n_fft", FFT_SIZES, index=_index(FFT_SIZES, base.n_fft), key=f"{k}_fft")
    hop = c3.number_input("hop_length", *LIMITS["hop_length"], base.hop_length, 64, key=f"{k}_hop")
    c1, c2, c3 = st.columns(3)
    win = c1.number_input(
        "win_length (0 = n_fft)", *LIMITS["win_length"], base.win_length or 0, 64, key=f"{k}_win"
    )
    window = c2.selectbox("Window", WINDOWS, index=WINDOWS.index(base.window), key=f"{k}_wf")
    pad_mode = c3.selectbox(
        "Edge padding",
        PAD_MODES,
        index=PAD_MODES.index(base.pad_mode),
        key=f"{k}_pad",
        disabled=not base.center,
    )
    c1, c2, c3 = st.columns(3)
    n_mels = c1.slider("n_mels", *LIMITS["n_mels"], base.n_mels, key=f"{k}_mels")
    fmin = c2.number_input("fmin (Hz)", *LIMITS["fmin"], base.fmin, 10.0, key=f"{k}_fmin")
    fmax = c3.number_input(
        "fmax (Hz, 0 = Nyquist)", *LIMITS["fmax"], base.fmax or 0.0, 100.0, key=f"{k}_fmax"
    )
    c1, c2, c3, c4 = st.columns(4)
    power = c1.selectbox(
        "Power",
        CHOICES["power"],
        index=_index(CHOICES["power"], base.power),
        key=f"{k}_pow",
        help="1 = magnitude, 2 = power",
    )
    db = c2.toggle("dB", base.db, key=f"{k}_db")
    ref = c3.selectbox(
        "dB reference",
        ("1.0", "max"),
        index=int(base.ref == "max"),
        key=f"{k}_ref",
        disabled=not db,
    )
    top_db = c4.number_input(
        "top_db (0 = none)",
        *LIMITS["top_db"],
        base.top_db or 0.0,
        10.0,
        key=f"{k}_top",
        disabled=not db,
    )
    c1, c2 = st.columns(2)
    normalize = c1.selectbox(
        "Normalisation", NORMALIZATIONS, index=NORMALIZATIONS.index(base.normalize), key=f"{k}_norm"
    )
    image = c2.selectbox(
        "Output",
        ("mel array", "Kaggle image (432x288 RGB)"),
        index=int(base.image == "kaggle"),
        key=f"{k}_img",
    )
    try:
        params = base.replace(
            sample_rate=sample_rate,
            offset=offset,
            duration=duration or None,
            segment_seconds=segment or None,
            n_fft=n_fft,
            hop_length=hop,
            win_length=win or None,
            window=window,
            pad_mode=pad_mode,
            n_mels=n_mels,
            fmin=fmin,
            fmax=fmax or None,
            power=power,
            db=db,
            ref=ref if ref == "max" else 1.0,
            top_db=top_db or None,
            normalize=normalize,
            image="kaggle" if image.startswith("Kaggle") else None,
        )
    except ParamsError as exc:
        st.error(error_text(exc))
        params = None
    if link:
        share_mel(params, name, link)
    return params


def _editable(linked: tuple[str, MelParams] | None) -> tuple[str, MelParams] | None:
    """A linked setting the widgets can show, else None (with a warning)."""
    if linked is None:
        return None
    beyond = outside(linked[1].to_dict(), LIMITS, CHOICES)
    if beyond:
        st.warning(
            f"The link's spectrogram setting was ignored: {', '.join(beyond)} "
            "outside what this page offers."
        )
        return None
    return linked


def _index(options: tuple, value: object) -> int:
    return options.index(value) if value in options else 0
