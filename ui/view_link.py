"""Each page's view kept in the URL, and the sidebar box holding a link to it.

Pages put what a collaborator needs to see the same view into the URL with :func:`share`
(dataset, clip, selected runs...) and :func:`share_mel` (a mel setting, see
``core.links``); the shell places the box with :func:`link_box`, and every call redraws it,
so the link is right even when a page stops early.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from core.audio.mel import MelParams
from core.errors import ParamsError
from core.links import mel_from_query, mel_to_query, view_link
from ui.text import error_text

_SLOT, _PAGE = "_link_slot", "_link_page"


def begin_view(page: StreamlitPage) -> None:
    """The shell's first part: note the page (Streamlit clears the URL's parameters itself when
    the user moves to another page)."""
    st.session_state.pop(_SLOT, None)  # the last run's box is gone
    st.session_state[_PAGE] = page.url_path


def link_box() -> None:
    """The shell's second part: place the sidebar box that shows the link to this view."""
    with st.sidebar:
        st.session_state[_SLOT] = st.empty()
    _draw()


def share(values: Mapping[str, str | None]) -> None:
    """Put ``values`` into the URL (``None`` removes a parameter) and redraw the link."""
    for key, value in values.items():
        if value is None:
            st.query_params.pop(key, None)
        elif st.query_params.get(key) != value:
            st.query_params[key] = value
    _draw()


def share_mel(params: MelParams | None, preset: str, prefix: str) -> None:
    """Put a mel setting into the URL under ``prefix`` (``None``: remove it)."""
    new = mel_to_query(params, preset, prefix) if params is not None else {}
    stale = [k for k in st.query_params if k == prefix or k.startswith(f"{prefix}.")]
    share({**dict.fromkeys(stale), **new})


def linked_mel(prefix: str) -> tuple[str, MelParams] | None:
    """The preset and mel setting the URL names under ``prefix``; an invalid one is reported
    and ignored."""
    try:
        return mel_from_query(st.query_params.to_dict(), prefix)
    except ParamsError as exc:
        st.warning(f"The link's spectrogram setting was ignored: {error_text(exc)}")
        return None


def _draw() -> None:
    slot = st.session_state.get(_SLOT)
    if slot is None:
        return
    link = view_link(st.context.url, st.session_state.get(_PAGE, ""), st.query_params.to_dict())
    with slot.container():
        st.caption(
            "**Link to this view** — copy it with the button at its right. "
            "Uploaded files are not part of links."
        )
        st.code(link, language=None, wrap_lines=True)
