"""What a sweep varies: one :class:`SweepParam` per setting, a list of values or a range.

A training setting (``lr``, ``weight_decay``, ``dropout``, ``batch_size``, ``epochs``,
``time_crop``) or a mel setting (``n_mels``, ``hop_length``, ``n_fft``) is varied over
``values`` (a grid, or choices for random/TPE search) or between ``low`` and ``high`` (random or
TPE search; ``log`` samples on a log scale). Every value and range end is checked by building
the trial's config, so the parameter constraints of ``TrainConfig`` and ``MelParams`` decide what
is valid, with their own messages.

Examples
--------
>>> from core.audio.mel import PRESETS
>>> from core.runs import RunConfig, RunInput
>>> from core.training.config import preset
>>> base = RunConfig(input=RunInput(mel=PRESETS["fast"]), train=preset("paper", k=2))
>>> lr = SweepParam("lr", low=1e-4, high=1e-2, log=True)
>>> check_space(base, [lr, SweepParam("n_mels", values=(32, 64))], "tpe")
>>> trial_config(base, {"lr": 3e-3, "n_mels": 32}).input.mel.n_mels
32
>>> check_space(base, [SweepParam("dropout", values=(0.2, 1.5))], "grid")
Traceback (most recent call last):
...
core.errors.ParamsError: dropout = 1.5: dropout must be in [0, 1), got 1.5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import GenreLabError, ParamsError
from core.runs.config import RunConfig, RunInput

if TYPE_CHECKING:
    import optuna

#: Settings a sweep may vary, and where they live: the training config or the mel parameters.
TRAIN_SETTINGS: tuple[str, ...] = (
    "lr",
    "weight_decay",
    "dropout",
    "batch_size",
    "epochs",
    "time_crop",
)
MEL_SETTINGS: tuple[str, ...] = ("n_mels", "hop_length", "n_fft")
SETTINGS: tuple[str, ...] = TRAIN_SETTINGS + MEL_SETTINGS
#: Search methods: every combination of the values, or Optuna's random or TPE sampler.
METHODS: tuple[str, ...] = ("grid", "random", "tpe")


@dataclass(frozen=True)
class SweepParam:
    """One varied setting: ``values`` (grid points or choices), or ``low``..``high``."""

    name: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False

    def __post_init__(self) -> None:
        if self.name not in SETTINGS:
            raise ParamsError(f"A sweep can vary {', '.join(SETTINGS)}, not {self.name!r}.")
        if self.values is not None:
            if not self.values:
                raise ParamsError(f"{self.name}: give at least one value.")
            object.__setattr__(self, "values", tuple(self.values))
        elif self.low is None or self.high is None or not self.low < self.high:
            raise ParamsError(f"{self.name}: give values, or a range with low < high.")
        elif self.log and self.low <= 0:
            raise ParamsError(f"{self.name}: a log range must start above 0.")

    @property
    def integer(self) -> bool:
        """Whether the setting takes whole numbers."""
        return self.name not in ("lr", "weight_decay", "dropout")

    @property
    def ends(self) -> tuple[Any, ...]:
        """The values to check: every listed value, or both ends of the range."""
        if self.values is not None:
            return self.values
        kind = int if self.integer else float
        return kind(self.low), kind(self.high)

    def suggest(self, trial: optuna.Trial) -> Any:
        """This trial's value, drawn by Optuna."""
        if self.values is not None:
            return trial.suggest_categorical(self.name, list(self.values))
        if self.integer:
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, float(self.low), float(self.high), log=self.log)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``values`` or ``low``/``high``/``log``)."""
        if self.values is not None:
            return {"name": self.name, "values": list(self.values)}
        return {"name": self.name, "low": self.low, "high": self.high, "log": self.log}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SweepParam:
        """Inverse of :meth:`to_dict`."""
        values = data.get("values")
        return cls(
            str(data.get("name", "")),
            None if values is None else tuple(values),
            data.get("low"),
            data.get("high"),
            bool(data.get("log", False)),
        )


def parse_param(text: str) -> SweepParam:
    """A setting to vary, written ``NAME=V1,V2,...`` (values) or ``NAME=LOW:HIGH[:log]`` (a range).

    >>> parse_param("lr=1e-4:1e-2:log")
    SweepParam(name='lr', values=None, low=0.0001, high=0.01, log=True)
    >>> parse_param("n_mels=32,64").values
    (32, 64)
    """
    name, sep, spec = (part.strip() for part in text.partition("="))
    if not sep or not spec:
        raise ParamsError(f"{text!r}: write NAME=V1,V2,... or NAME=LOW:HIGH[:log].")
    if ":" in spec:
        low, high, *rest = spec.split(":")
        if rest not in ([], ["log"]):
            raise ParamsError(f"{text!r}: a range is LOW:HIGH or LOW:HIGH:log.")
        return SweepParam(name, low=_number(low), high=_number(high), log=rest == ["log"])
    return SweepParam(name, values=tuple(_number(v) for v in spec.split(",")))


def _number(text: str) -> int | float:
    try:
        value = float(text)
    except ValueError:
        raise ParamsError(f"{text.strip()!r} is not a number.") from None
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


def trial_config(base: RunConfig, values: Mapping[str, Any]) -> RunConfig:
    """``base`` with the trial's ``values`` applied (validated by TrainConfig and MelParams)."""
    train = {k: v for k, v in values.items() if k in TRAIN_SETTINGS}
    mel = {k: v for k, v in values.items() if k in MEL_SETTINGS}
    config = base
    if train:
        config = config.replace(train=base.train.replace(**train).validate())
    if mel:
        if base.input is None or base.input.mel is None:
            raise ParamsError(f"{', '.join(mel)}: only a sweep on mel input can vary mel settings.")
        config = config.replace(input=RunInput(mel=base.input.mel.replace(**mel)))
    return config


def check_space(base: RunConfig, params: Sequence[SweepParam], method: str) -> None:
    """ParamsError unless ``params`` can be swept by ``method`` from ``base``: names once each,
    every value or range end valid, and a grid only of listed values."""
    if method not in METHODS:
        raise ParamsError(f"method must be one of {METHODS}, not {method!r}.")
    if not params:
        raise ParamsError("Choose at least one setting to vary.")
    names = [p.name for p in params]
    if len(set(names)) < len(names):
        raise ParamsError("Each setting may be varied only once.")
    if base.train is None:
        raise ParamsError("A sweep varies a training run: its base config has no training.")
    for param in params:
        if method == "grid" and param.values is None:
            raise ParamsError(f"{param.name}: a grid needs a list of values, not a range.")
        for value in param.ends:
            try:
                trial_config(base, {param.name: value})
            except GenreLabError as exc:
                raise ParamsError(f"{param.name} = {value:g}: {exc}") from None


def grid_size(params: Sequence[SweepParam]) -> int:
    """How many combinations a grid of ``params`` has."""
    size = 1
    for param in params:
        size *= len(param.values or ())
    return size
