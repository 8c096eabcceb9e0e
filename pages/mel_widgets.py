"""Widgets that edit every field of a MelParams, starting from a named preset."""

from __future__ import annotations

import streamlit as st

from core.errors import ParamsError
from core.spectrogram import NORMALIZATIONS, PAD_MODES, PRESETS, WINDOWS, MelParams

RATES = (8000, 11025, 16000, 22050, 32000, 44100)
FFT_SIZES = (256, 512, 1024, 2048, 4096, 8192)


def mel_params_editor(
    key: str, preset: str = "librosa", clip_seconds: float | None = None
) -> MelParams | None:
    """Edit a MelParams in the current container; None (with the reason shown) if invalid.

    ``clip_seconds``: presets start with their duration capped at the clip's length, so a
    short clip is not padded with silence unless the user asks for it.

    ``key`` keeps two editors on one page apart. "0" in a numeric field means "none" where the
    field allows it (whole clip, no segments, window = n_fft, fmax = Nyquist, no dB floor).
    """
    name = st.selectbox(
        "Preset",
        list(PRESETS),
        index=list(PRESETS).index(preset),
        key=f"{key}_preset",
        help="librosa defaults, the seed paper's Kaggle "
        "image input, or a fast low-resolution setting",
    )
    base = PRESETS[name]
    if clip_seconds and base.duration and base.duration > clip_seconds:
        base = base.replace(duration=float(int(clip_seconds)) or clip_seconds)
    k = f"{key}_{name}"  # a new preset resets the fields below to its values
    c1, c2, c3 = st.columns(3)
    sample_rate = c1.selectbox(
        "Sample rate (Hz)", RATES, index=_index(RATES, base.sample_rate), key=f"{k}_sr"
    )
    offset = c2.number_input("Offset (s)", 0.0, 600.0, base.offset, 0.5, key=f"{k}_off")
    duration = c3.number_input(
        "Duration (s, 0 = whole clip)", 0.0, 600.0, base.duration or 0.0, 1.0, key=f"{k}_dur"
    )
    c1, c2, c3 = st.columns(3)
    segment = c1.number_input(
        "Segment (s, 0 = none)", 0.0, 600.0, base.segment_seconds or 0.0, 0.5, key=f"{k}_seg"
    )
    n_fft = c2.selectbox("n_fft", FFT_SIZES, index=_index(FFT_SIZES, base.n_fft), key=f"{k}_fft")
    hop = c3.number_input("hop_length", 0, 8192, base.hop_length, 64, key=f"{k}_hop")
    c1, c2, c3 = st.columns(3)
    win = c1.number_input(
        "win_length (0 = n_fft)", 0, 8192, base.win_length or 0, 64, key=f"{k}_win"
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
    n_mels = c1.slider("n_mels", 8, 256, base.n_mels, key=f"{k}_mels")
    fmin = c2.number_input("fmin (Hz)", 0.0, 48000.0, base.fmin, 10.0, key=f"{k}_fmin")
    fmax = c3.number_input(
        "fmax (Hz, 0 = Nyquist)", 0.0, 48000.0, base.fmax or 0.0, 100.0, key=f"{k}_fmax"
    )
    c1, c2, c3, c4 = st.columns(4)
    power = c1.selectbox(
        "Power",
        (1.0, 2.0),
        index=int(base.power == 2.0),
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
        "top_db (0 = none)", 0.0, 200.0, base.top_db or 0.0, 10.0, key=f"{k}_top", disabled=not db
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
        return base.replace(
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
        st.error(str(exc))
        return None


def _index(options: tuple, value: object) -> int:
    return options.index(value) if value in options else 0
