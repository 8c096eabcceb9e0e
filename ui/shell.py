"""The app shell around every page: the access gate, navigation and the sidebar dataset picker.

With a ``pages/`` folder beside app.py, a freshly started Streamlit server runs a deep link
(``/explore``) as a bare page script, skipping app.py, until some session has called
``st.navigation`` (and AppTest does so on every run). Each page therefore starts with
:func:`require_shell`, which builds the shell itself when app.py did not
(``tests/test_browser.py::test_a_page_url_is_the_first_request_of_a_fresh_server`` fails
without it). Streamlit's own sidebar navigation is switched off in .streamlit/config.toml, so
that such a first run lists no page before login; the shell draws its page links after login.
"""

from __future__ import annotations

import streamlit as st

from core.storage.cleanup import clean_leftovers
from ui.access import access_gate
from ui.common import dataset_picker
from ui.view_link import begin_view, link_box

_MARK = "_shell_built"
_SESSION_STARTED = "_session_started"


def _pages() -> list:
    return [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/explore.py", title="Explore", icon=":material/travel_explore:"),
        st.Page("pages/spectrogram_lab.py", title="Spectrogram Lab", icon=":material/equalizer:"),
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("pages/sweep.py", title="Sweeps", icon=":material/tune:"),
        st.Page("pages/predict.py", title="Predict", icon=":material/lyrics:"),
    ]


@st.cache_resource(show_spinner=False)
def _cleaned_at_start() -> bool:
    """Remove what killed work left behind, once per server process."""
    clean_leftovers()
    return True


def build_shell(mark: bool = True):
    """Configure the page, let the user in, register the pages and draw the sidebar; returns
    the page to run. Without access, :func:`access_gate` shows the login page and stops here.

    ``mark``: tell the page about to run that the shell is built (app.py's call).
    """
    st.set_page_config(page_title="Genre Lab", page_icon=":material/graphic_eq:", layout="wide")
    pages = _pages()
    access_gate(pages)  # stops here on an invalid setting, with its name
    _cleaned_at_start()
    page = st.navigation(pages, position="hidden")
    if not st.session_state.get(_SESSION_STARTED):
        # Widget ids include the page's, and a session's first run computes them as the main
        # script's: a widget drawn then loses its value at the next run (a form would fall
        # back to its minimums). Rerun before drawing anything.
        st.session_state[_SESSION_STARTED] = True
        st.rerun()
    _navigation(pages)
    begin_view(page)
    dataset_picker()
    link_box()
    if mark:
        st.session_state[_MARK] = True
    return page


def _navigation(pages: list) -> None:
    """The app's own page links at the top of the sidebar, drawn only once the user is in.

    Streamlit's sidebar navigation is off (``client.showSidebarNavigation = false`` in
    .streamlit/config.toml), so a fresh server lists no ``pages/`` module before any login.
    """
    with st.sidebar.container(key="app_nav"):
        for page in pages:
            st.page_link(page)


def require_shell() -> None:
    """First line of every page: build the shell if this run did not go through app.py."""
    if not st.session_state.pop(_MARK, False):
        build_shell(mark=False)
