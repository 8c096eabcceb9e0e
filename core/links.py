"""A page's view as URL query parameters, so that a copied link shows someone else the same view.

Mel settings travel as a preset name plus the fields that differ from it, e.g.
``?mel=librosa&mel.n_mels=64&mel.fmax=8000``; values are written and read as their field's
``core.constraints.Param`` says (``none`` for an empty field). Reading a link validates it like
any other input: a bad value is a ParamsError naming the parameter, never a half-applied setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from core.audio.mel import MEL_PARAMS, PRESETS, MelParams
from core.errors import ParamsError


def mel_to_query(params: MelParams, preset: str, prefix: str = "mel") -> dict[str, str]:
    """``params`` as query parameters: ``prefix`` = the preset, ``prefix.field`` = each change."""
    if preset not in PRESETS:
        raise ParamsError(f"unknown spectrogram preset {preset!r}; choose one of {list(PRESETS)}")
    base = PRESETS[preset]
    query = {prefix: preset}
    for name, param in MEL_PARAMS.items():
        value = getattr(params, name)
        if value != getattr(base, name):
            query[f"{prefix}.{name}"] = param.text(value)
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
    texts = {key[len(mark) :]: text for key, text in query.items() if key.startswith(mark)}
    unknown = sorted(set(texts) - set(MEL_PARAMS))
    if unknown:
        raise ParamsError(f"The link names unknown spectrogram parameter(s): {', '.join(unknown)}.")
    changes = {name: MEL_PARAMS[name].parse(name, text) for name, text in texts.items()}
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
