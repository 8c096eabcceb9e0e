"""A page's view as URL query parameters, so that a copied link shows someone else the same view.

Mel settings travel as a preset name plus the fields that differ from it, e.g.
``?mel=librosa&mel.n_mels=64&mel.fmax=8000``; values are written as plain text (``none`` for
an empty field). Reading a link validates it like any other input: a bad value is a
ParamsError naming the parameter, never a half-applied setting.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from urllib.parse import urlencode

from core.audio.mel import PRESETS, MelParams
from core.errors import ParamsError

_NONE = "none"


def mel_to_query(params: MelParams, preset: str, prefix: str = "mel") -> dict[str, str]:
    """``params`` as query parameters: ``prefix`` = the preset, ``prefix.field`` = each change."""
    if preset not in PRESETS:
        raise ParamsError(f"unknown spectrogram preset {preset!r}; choose one of {list(PRESETS)}")
    base = PRESETS[preset]
    query = {prefix: preset}
    for field in dataclasses.fields(MelParams):
        value = getattr(params, field.name)
        if value != getattr(base, field.name):
            query[f"{prefix}.{field.name}"] = query_text(value)
    return query


def mel_from_query(query: Mapping[str, str], prefix: str = "mel") -> tuple[str, MelParams] | None:
    """The preset name and MelParams a link names, or None when it names none.

    Raises ParamsError for an unknown preset or parameter, or an invalid value.
    """
    preset = query.get(prefix)
    if preset is None:
        return None
    if preset not in PRESETS:
        raise ParamsError(
            f"The link names an unknown spectrogram preset {preset!r}; known: {', '.join(PRESETS)}."
        )
    mark = f"{prefix}."
    changes = {
        key[len(mark) :]: query_value(text) for key, text in query.items() if key.startswith(mark)
    }
    known = {field.name for field in dataclasses.fields(MelParams)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ParamsError(f"The link names unknown spectrogram parameter(s): {', '.join(unknown)}.")
    return preset, PRESETS[preset].replace(**changes)


def view_link(base_url: str | None, page_path: str, query: Mapping[str, str]) -> str:
    """The address of a page with its query, e.g. ``http://host:8501/lab?clip=blues.00003``.

    ``base_url`` may already end with the page's path (Streamlit's ``st.context.url`` does);
    without one (unknown in tests) the link is relative to the app's root.
    """
    root = (base_url or "").split("?", 1)[0].rstrip("/")
    page = page_path.strip("/")
    if page and root.endswith(f"/{page}"):
        root = root[: -len(page) - 1]
    address = f"{root}/{page}"
    return f"{address}?{urlencode(dict(query), safe=',')}" if query else address


def outside(
    values: Mapping[str, object],
    limits: Mapping[str, tuple[float, float]],
    choices: Mapping[str, tuple] | None = None,
) -> list[str]:
    """The names of ``values`` beyond what a page's widgets offer: outside ``limits``' (low,
    high) (None is within), or not among ``choices``."""
    beyond = [
        n
        for n, (low, high) in limits.items()
        if values[n] is not None and not low <= values[n] <= high
    ]
    return beyond + [n for n, options in (choices or {}).items() if values[n] not in options]


def query_text(value: object) -> str:
    """A setting's value as query text: ``none``, ``true``/``false``, ``8000`` for 8000.0..."""
    if value is None:
        return _NONE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def query_value(text: str) -> object:
    """Query text back to None, a bool, a number or text (the receiver checks the types)."""
    lowered = text.strip().lower()
    if lowered == _NONE:
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(lowered)
        except ValueError:
            continue
    return text.strip()
