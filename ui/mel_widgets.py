"""Widgets that edit every field of a MelParams, starting from a named preset."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.audio.clip import fit_to_clip
from core.audio.mel import MEL_PARAMS, PRESETS, MelParams
from core.constraints import beyond_widgets
from core.errors import ParamsError
from ui.text import error_text
from ui.view_link import linked_mel, share_mel

IMAGE_LABELS = {None: "mel array", "kaggle": "Kaggle image (432x288 RGB)"}


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
    elif clip_seconds:
        base = fit_to_clip(base, clip_seconds)
    k = f"{key}_{name}"  # a new preset resets the fields below to its values

    def number(box: Any, label: str, field: str, value: float, suffix: str, **extra: Any) -> Any:
        return box.number_input(label, value=value, key=f"{k}_{suffix}", **_hints(field), **extra)

    def choice(box: Any, label: str, field: str, suffix: str, **extra: Any) -> Any:
        hints = _hints(field)
        options = hints.pop("options")
        value = getattr(base, field)
        index = options.index(value) if value in options else 0
        return box.selectbox(label, options, index=index, key=f"{k}_{suffix}", **hints, **extra)

    c1, c2, c3 = st.columns(3)
    sample_rate = choice(c1, "Sample rate (Hz)", "sample_rate", "sr")
    offset = number(c2, "Offset (s)", "offset", base.offset, "off")
    duration = number(c3, "Duration (s, 0 = whole clip)", "duration", base.duration or 0.0, "dur")
    c1, c2, c3 = st.columns(3)
    segment = number(
        c1, "Segment (s, 0 = none)", "segment_seconds", base.segment_seconds or 0.0, "seg"
    )
    n_fft = choice(c2, "n_fft", "n_fft", "fft")
    hop = number(c3, "hop_length", "hop_length", base.hop_length, "hop")
    c1, c2, c3 = st.columns(3)
    win = number(c1, "win_length (0 = n_fft)", "win_length", base.win_length or 0, "win")
    window = choice(c2, "Window", "window", "wf")
    pad_mode = choice(c3, "Edge padding", "pad_mode", "pad", disabled=not base.center)
    c1, c2, c3 = st.columns(3)
    n_mels = c1.slider("n_mels", value=base.n_mels, key=f"{k}_mels", **_hints("n_mels"))
    fmin = number(c2, "fmin (Hz)", "fmin", base.fmin, "fmin")
    fmax = number(c3, "fmax (Hz, 0 = Nyquist)", "fmax", base.fmax or 0.0, "fmax")
    c1, c2, c3, c4 = st.columns(4)
    power = choice(c1, "Power", "power", "pow")
    db = c2.toggle("dB", base.db, key=f"{k}_db", help=MEL_PARAMS["db"].help)
    ref = choice(c3, "dB reference", "ref", "ref", disabled=not db, format_func=str)
    top_db = number(c4, "top_db (0 = none)", "top_db", base.top_db or 0.0, "top", disabled=not db)
    c1, c2 = st.columns(2)
    normalize = choice(c1, "Normalisation", "normalize", "norm")
    image = choice(c2, "Output", "image", "img", format_func=IMAGE_LABELS.get)
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
            ref=ref,
            top_db=top_db or None,
            normalize=normalize,
            image=image,
        )
    except ParamsError as exc:
        st.error(error_text(exc))
        params = None
    if link:
        share_mel(params, name, link)
    return params


def _hints(field: str) -> dict[str, Any]:
    """A field's widget bounds, step, choices and help from ``MEL_PARAMS``."""
    return MEL_PARAMS[field].widget_hints()


def _editable(linked: tuple[str, MelParams] | None) -> tuple[str, MelParams] | None:
    """A linked setting the widgets can show, else None (with a warning)."""
    if linked is None:
        return None
    beyond = beyond_widgets(MEL_PARAMS, linked[1].to_dict())
    if beyond:
        st.warning(
            f"The link's spectrogram setting was ignored: {', '.join(beyond)} "
            "outside what this page offers."
        )
        return None
    return linked
