"""The Train page's settings in the URL: framework, preset, protocol, folds, seed, and the
hyperparameters that differ from the preset (``?framework=keras&preset=recommended&epochs=10``;
links written before the preset had its own name call it ``model=``, still read).

The page keeps every setting in session state under ``tr_<name>``; :func:`seed_settings` fills
them when the widgets lost them (from the link when it names valid ones, else from the form
as it was left), :func:`share_settings` puts them back into the URL and :func:`save_settings`
keeps them for the next visit. Values are read and written as ``TRAIN_PARAMS`` says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from core.constraints import beyond_widgets, parse_fields
from core.errors import ParamsError
from core.training.config import PRESETS, TRAIN_PARAMS, preset
from ui.text import error_text
from ui.view_link import share

#: The hyperparameter widgets (besides the preset), each bound to ``tr_<name>``.
HYPER = (
    "epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "dropout",
    "patience",
    "val_fraction",
    "time_crop",
)
_OTHER = ("protocol", "k", "seed", "drop_repetitions")
_OLD_PRESET_KEY = "model"
#: The form's values outside its widgets: Streamlit drops a widget's state when its page is
#: left through the sidebar, so the page saves them here and :func:`seed_settings` re-seeds.
_SAVED = "train_form"
#: Session keys of the form besides the training settings: the run name and the image input.
EXTRA_KEYS = ("tr_name", "tr_input")


def seed_settings() -> None:
    """Set every ``tr_*`` setting the widgets lost: the link's when it names settings (a
    reload, a shared link), else the form as it was left (a detour through another page),
    else the paper preset's."""
    saved = st.session_state.get(_SAVED, {})
    if "tr_epochs" not in st.session_state:
        linked = _linked()
        if linked or not saved:
            framework, name = linked.pop("framework", "torch"), linked.pop("preset", "paper")
            config = preset(name, framework, **linked)
            st.session_state["tr_framework"], st.session_state["tr_preset"] = framework, name
            for field in (*HYPER, *_OTHER):
                st.session_state[f"tr_{field}"] = getattr(config, field)
    for key, value in saved.items():  # whatever Streamlit dropped of the form as it was left
        st.session_state.setdefault(key, value)


def save_settings() -> None:
    """Keep the form's current values outside its widgets (see :func:`seed_settings`)."""
    keys = [f"tr_{f}" for f in ("framework", "preset", *HYPER, *_OTHER)] + list(EXTRA_KEYS)
    st.session_state[_SAVED] = {k: st.session_state[k] for k in keys if k in st.session_state}


def load_preset() -> None:
    """Put the chosen (framework, preset) combination's values into the widgets (a callback of
    the framework and preset choices: runs before the widgets are drawn)."""
    config = preset(st.session_state["tr_preset"], st.session_state.get("tr_framework", "torch"))
    for field in HYPER:
        st.session_state[f"tr_{field}"] = getattr(config, field)


def apply_preset(name: str) -> None:
    """Choose a training preset and load its values (a button callback)."""
    st.session_state["tr_preset"] = name
    load_preset()


def share_settings() -> None:
    """The current settings into the URL (hyperparameters only where they leave the preset)."""
    values = {field: st.session_state[f"tr_{field}"] for field in (*HYPER, *_OTHER)}
    share(train_query(st.session_state["tr_framework"], st.session_state["tr_preset"], values))


def train_query(
    framework: str, preset_name: str, values: Mapping[str, Any]
) -> dict[str, str | None]:
    """The Train page's URL parameters for these settings: framework, preset, and each of
    ``values`` that leaves the preset (``None`` for the others, which a link leaves out)."""
    base = preset(preset_name, framework)
    query: dict[str, str | None] = {
        "framework": framework,
        "preset": preset_name,
        _OLD_PRESET_KEY: None,
    }
    for field in (*HYPER, *_OTHER):
        value = values[field]
        same = value == getattr(base, field)
        query[field] = None if same else TRAIN_PARAMS[field].text(value)
    return query


def _linked() -> dict[str, Any]:
    """The settings the URL names, checked as a whole; {} (with a warning) if any is invalid."""
    query = st.query_params.to_dict()
    if _OLD_PRESET_KEY in query:
        query.setdefault("preset", query[_OLD_PRESET_KEY])
    names = ("framework", *HYPER, *_OTHER)
    texts = {n: query[n] for n in names if n in query}
    if not texts and "preset" not in query:
        return {}
    try:
        linked = parse_fields(TRAIN_PARAMS, texts)
        name = query.get("preset", "paper")
        if name not in PRESETS:
            raise ParamsError(f"unknown preset {name!r}; choose one of {list(PRESETS)}")
        changes = {n: v for n, v in linked.items() if n != "framework"}
        config = preset(name, linked.get("framework", "torch"), **changes)
        beyond = beyond_widgets(TRAIN_PARAMS, config.to_dict())
        if beyond:
            raise ParamsError(f"{', '.join(beyond)} outside what this page offers")
    except ParamsError as exc:
        st.warning(f"The link's training settings were ignored: {error_text(exc)}")
        return {}
    return {**linked, "preset": name}
