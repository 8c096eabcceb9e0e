"""The Train page's settings in the URL: framework, preset, protocol, folds, seed, and the
hyperparameters that differ from the preset (``?framework=keras&model=recommended&epochs=10``).

The page keeps every setting in session state under ``tr_<name>``; :func:`seed_settings` fills
them on a first visit (from the link when it names valid ones), :func:`share_settings` puts
them back into the URL.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.errors import ParamsError
from core.links import outside, query_text, query_value
from core.training.config import TrainConfig, preset
from ui.text import error_text
from ui.view_link import share

#: The hyperparameter widgets (besides the model preset), each bound to ``tr_<name>``.
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
#: What the widgets offer; a link outside it is refused.
LIMITS: dict[str, tuple[float, float]] = {
    "epochs": (1, 500),
    "batch_size": (1, 1024),
    "lr": (1e-6, 1.0),
    "weight_decay": (0.0, 1.0),
    "dropout": (0.0, 0.9),
    "patience": (0, 100),
    "val_fraction": (0.0, 0.5),
    "time_crop": (0, 4096),
    "k": (2, 10),
    "seed": (0, 2**31 - 1),
}
_OTHER = ("protocol", "k", "seed", "drop_repetitions")


def seed_settings() -> None:
    """On a first visit, set every ``tr_*`` setting: the link's, else the paper preset's."""
    if "tr_epochs" in st.session_state:
        return
    linked = _linked()
    framework, model = linked.pop("framework", "torch"), linked.pop("model", "paper")
    config = preset(model, framework, **linked)
    st.session_state["tr_framework"], st.session_state["tr_model"] = framework, model
    for name in (*HYPER, *_OTHER):
        st.session_state[f"tr_{name}"] = getattr(config, name)


def apply_preset(name: str) -> None:
    """Put a training preset's values into the widgets (a button callback: runs before them)."""
    config = preset(name, st.session_state.get("tr_framework", "torch"))
    st.session_state["tr_model"] = name
    for field in HYPER:
        st.session_state[f"tr_{field}"] = getattr(config, field)


def share_settings() -> None:
    """The current settings into the URL (hyperparameters only where they leave the preset)."""
    framework, model = st.session_state["tr_framework"], st.session_state["tr_model"]
    base = preset(model, framework)
    values: dict[str, str | None] = {"framework": framework, "model": model}
    for name in (*HYPER, *_OTHER):
        value = st.session_state[f"tr_{name}"]
        values[name] = None if value == getattr(base, name) else query_text(value)
    share(values)


def _linked() -> dict[str, Any]:
    """The settings the URL names, checked as a whole; {} (with a warning) if any is invalid."""
    names = ("framework", "model", *HYPER, *_OTHER)
    linked = {n: query_value(st.query_params[n]) for n in names if n in st.query_params}
    if not linked:
        return {}
    try:
        linked = {n: _typed(n, v) for n, v in linked.items()}
        changes = {n: v for n, v in linked.items() if n not in ("framework", "model")}
        config = preset(linked.get("model", "paper"), linked.get("framework", "torch"), **changes)
        beyond = outside(config.to_dict(), LIMITS)
        if beyond:
            raise ParamsError(f"{', '.join(beyond)} outside what this page offers")
    except ParamsError as exc:
        st.warning(f"The link's training settings were ignored: {error_text(exc)}")
        return {}
    return linked


def _typed(name: str, value: Any) -> Any:
    """``value`` as the type of TrainConfig's field ``name`` (ParamsError if it is not one)."""
    kind = type(getattr(TrainConfig(), name))
    ok = (
        isinstance(value, bool)
        if kind is bool
        else isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind in (int, float)
        else isinstance(value, str)
    )
    if not ok or (kind is int and not float(value).is_integer()):
        raise ParamsError(f"{name} cannot be {value!r}")
    return kind(value)
