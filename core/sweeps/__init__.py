"""Hyperparameter sweeps: a base run config, the settings to vary (:mod:`.space`), and the
trials, each a k-fold run of the registry on identical folds (:mod:`.sweep`)."""

from core.sweeps.space import (
    METHODS,
    SETTINGS,
    SweepParam,
    check_space,
    parse_param,
    trial_config,
)
from core.sweeps.sweep import (
    Sweep,
    SweepError,
    cancel_sweep,
    create_sweep,
    list_sweeps,
    load_sweep,
    sweep_job,
)

__all__ = [
    "METHODS",
    "SETTINGS",
    "Sweep",
    "SweepError",
    "SweepParam",
    "cancel_sweep",
    "check_space",
    "create_sweep",
    "list_sweeps",
    "parse_param",
    "load_sweep",
    "sweep_job",
    "trial_config",
]
