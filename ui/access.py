"""The access gate: the login page, who the user is, and whether they may change things.

Configured in ``.streamlit/secrets.toml`` or environment variables (see ``core.access`` and
docs/DEPLOY.md). With nothing configured the app is open, as on one's own machine.
"""

from __future__ import annotations

import getpass
import math
from collections.abc import Sequence

import streamlit as st
from streamlit.errors import StreamlitAuthError
from streamlit.navigation.page import StreamlitPage

from core import settings
from core.access import (
    ADMIN,
    DEFAULT_PROVIDER,
    EDITOR,
    VIEWER,
    AccessConfig,
    AccessError,
    Actor,
    clean_user_name,
    delay_after,
    login_failed,
    login_succeeded,
    login_wait,
    read_config,
    resume_job,
    submit_job,
)
from core.errors import GenreLabError
from core.runs import Run, RunConfig
from ui.text import error_text, plain

_USER, _ROLE = "access_user", "access_role"
_PASSWORD_LOGIN = "access_password_login"
_PAGES_KNOWN = "access_pages_known"


def access_gate(pages: Sequence[StreamlitPage] = ()) -> str:
    """The user of this session; without access, draw the login page and stop the script.

    ``pages``: the app's pages, registered hidden while the login page shows, so that no page
    list appears and a deep link (``/train``) opens its page once the user is in.
    """
    try:
        settings.current()  # every page reads them: one clear message here if one is invalid
    except GenreLabError as exc:
        st.error(f"Genre Lab's settings are invalid: {error_text(exc)}")
        st.stop()
    try:
        config = read_config(_secrets())
    except GenreLabError as exc:
        st.error(f"Genre Lab's access settings are invalid: {error_text(exc)}")
        st.stop()
    user, role = _identify(config)
    if user is None:
        if pages:
            st.navigation(list(pages), position="hidden")
            if not st.session_state.get(_PAGES_KNOWN):
                # Widget ids include the page's: before a session's first rerun they are the
                # main script's, so a form filled in then would be lost. Rerun on a page.
                st.session_state[_PAGES_KNOWN] = True
                st.rerun()
        _login_page(config)
        st.stop()
    role = config.role_of(user, role)
    st.session_state[_USER], st.session_state[_ROLE] = user, role
    if not config.open:
        _account_box(user, role)
    return user


def current_user() -> str:
    """The name runs are attributed to (set by :func:`access_gate`)."""
    return st.session_state[_USER]


def current_actor() -> Actor:
    """Who this session acts as, for core's write paths (``actor=``)."""
    return Actor(st.session_state.get(_USER, ""), st.session_state.get(_ROLE, EDITOR))


def can_edit() -> bool:
    """Whether this session may start jobs, import, save and cancel (viewers may not)."""
    return current_actor().can_write


def submit_training(config: RunConfig | dict, name: str) -> Run:
    """Queue a job of any kind for this session's user, within hosted mode's per-user cap."""
    actor = current_actor()
    return submit_job(config, name, actor.user, actor.role, _queue_cap())


def resume_training(run_id: str) -> Run:
    """Queue a failed or cancelled training run again for this session's user (its owner or an
    admin), within the same cap."""
    actor = current_actor()
    return resume_job(run_id, actor.user, actor.role, _queue_cap())


def _queue_cap() -> int:
    limits = settings.current()
    return limits.max_queued_per_user if limits.hosted else 0


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except FileNotFoundError:  # no secrets.toml (Streamlit's error subclasses it)
        return {}


def _identify(config: AccessConfig) -> tuple[str | None, str]:
    """``(user, role)`` of this session, user None while nobody is logged in."""
    if config.open:
        return ("guest" if settings.current().hosted else getpass.getuser()), EDITOR
    if config.providers and st.user.get("is_logged_in"):
        return str(st.user.get("email") or st.user.get("name") or "unknown"), EDITOR
    if config.has_password and _PASSWORD_LOGIN in st.session_state:
        return st.session_state[_PASSWORD_LOGIN]
    return None, EDITOR


def _login_page(config: AccessConfig) -> None:
    st.title(":material/lock: Genre Lab")
    st.caption("This Genre Lab is shared with a group: log in to continue.")
    for provider in config.providers:
        named = provider != DEFAULT_PROVIDER
        label = f"Log in with {provider.title()}" if named else "Log in"
        if st.button(label, key=f"login_{provider}", type="primary"):
            try:
                st.login(provider if named else None)
            except StreamlitAuthError as exc:  # e.g. Authlib is not installed
                st.error(f"Login is not available on this server: {error_text(exc)}")
    if not config.has_password:
        return
    with st.form("login"):
        name = st.text_input("Your name", help="The runs you start are labelled with it.")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Log in with the password")
    if submitted:
        _try_password(config, name, password)


def _try_password(config: AccessConfig, name: str, password: str) -> None:
    """Check a password attempt; each wrong one makes every session wait longer for the next
    attempt under the same name."""
    try:
        name = clean_user_name(name)
    except AccessError as exc:
        st.error(error_text(exc))
        return
    if wait := login_wait(name):
        st.error(f"Too many wrong passwords: try again in {math.ceil(wait)} s.")
        return
    role = config.password_role(password)
    if role is None:
        throttle = login_failed(name)
        wait = math.ceil(delay_after(throttle.failures))
        st.error(f"Wrong password. Wait {wait} s before trying again.")
        return
    login_succeeded(name)
    st.session_state[_PASSWORD_LOGIN] = (name, role)
    st.rerun()


def _account_box(user: str, role: str) -> None:
    with st.sidebar:
        badge = {VIEWER: " · read-only", ADMIN: " · admin"}.get(role, "")
        st.caption(f"Signed in as **{plain(user)}**{badge}")
        if st.button("Log out", key="access_logout"):
            st.session_state.pop(_PASSWORD_LOGIN, None)
            if st.user.get("is_logged_in"):
                st.logout()
            st.rerun()
