"""``TrainConfig``: everything a training run needs besides its data, with named presets."""

from __future__ import annotations

import dataclasses
import importlib.util
from dataclasses import dataclass, field
from typing import Any

from core.constraints import Boolean, Interval, Options, Param, validate_fields
from core.errors import ParamsError
from core.models import MODEL_PARAMS, MODEL_PRESETS, model_params
from core.splits import PROTOCOLS

FRAMEWORKS: tuple[str, ...] = ("torch", "keras")
OPTIMIZERS: tuple[str, ...] = ("adam", "adamw")
LR_SCHEDULES: tuple[str, ...] = ("constant", "cosine")
_FRACTION = Interval(float, 0, 1, closed="left")

#: Every field of TrainConfig but ``model_params`` (see ``core.models.MODEL_PARAMS``): its rule,
#: and what the Train page's widgets offer.
TRAIN_PARAMS: dict[str, Param] = {
    "framework": Param(Options(FRAMEWORKS), help="PyTorch or Keras"),
    "architecture": Param(
        Options(tuple(MODEL_PRESETS)),
        help="the network: the seed paper's CNN or the recommended one",
    ),
    "epochs": Param(Interval(int, 1, None), widget=(1, 500), help="passes over the training part"),
    "batch_size": Param(Interval(int, 1, None), widget=(1, 1024), help="clips per step"),
    "lr": Param(
        Interval(float, 0, None, closed="neither"), widget=(1e-6, 1.0), help="learning rate"
    ),
    "lr_schedule": Param(Options(LR_SCHEDULES), help="constant, or per-step cosine decay"),
    "optimizer": Param(
        Options(OPTIMIZERS), help="adam (weight decay as L2 in torch) or adamw (decoupled)"
    ),
    "weight_decay": Param(Interval(float, 0, None), widget=(0.0, 1.0), help="weight decay"),
    "dropout": Param(_FRACTION, widget=(0.0, 0.9), help="dropout right before the linear layer"),
    "patience": Param(
        Interval(int, 0, None),
        widget=(0, 100),
        help="early stopping: epochs without a lower validation loss (0 = off)",
    ),
    "val_fraction": Param(
        _FRACTION,
        widget=(0.0, 0.5),
        help="share of each fold's training clips held out for validation",
    ),
    "seed": Param(
        Interval(int, 0, 2**31 - 1),
        help="seeds the folds, weights, data order and augmentation: same seed, same folds",
    ),
    "protocol": Param(Options(PROTOCOLS), help="how clips are split into folds"),
    "k": Param(Interval(int, 2, None), widget=(2, 10), help="number of folds"),
    "drop_repetitions": Param(Boolean(), help="drop GTZAN's exact repetitions from every part"),
    "time_crop": Param(
        Interval(int, 0, None),
        widget=(0, 4096),
        help="train on random crops this many frames wide (0 = whole width)",
    ),
}


@dataclass
class TrainConfig:
    """How to train one model and evaluate it (the data and folds come separately).

    Attributes
    ----------
    framework : ``torch`` or ``keras``.
    architecture : the network (``paper`` or ``recommended``, see ``core.models``); runs saved
        before it had its own name call it ``model`` (``from_dict`` reads both).
    model_params : overrides of that architecture (``channels``, ``kernel_sizes``, ``padding``...).
    epochs, batch_size, lr : the usual; ``lr_schedule`` ``constant`` or per-step ``cosine``.
    optimizer : ``adam`` (weight decay as L2 in torch, as in the paper; decoupled in Keras) or
        ``adamw`` (decoupled weight decay).
    weight_decay, dropout : regularisation (dropout right before the linear layer).
    patience : early stopping: stop after this many epochs without a lower validation loss and
        keep the best epoch's weights; 0 trains all epochs and keeps the last.
    val_fraction : share of each fold's training clips held out for validation (0 = none; the
        fault-filtered protocol brings its own validation part).
    seed : seeds weights, data order and augmentation.
    protocol, k, drop_repetitions : the evaluation protocol (see ``core.splits``).
    time_crop : augmentation: train on random crops this many columns (frames) wide; 0, or a
        value at least the input's width, trains on the whole width. Predictions average
        half-overlapping crops covering each clip. (128 columns: 11.6 s of a Kaggle image,
        3 s of a mel spectrogram at hop 512.)
    """

    framework: str = "torch"
    architecture: str = "paper"
    model_params: dict[str, Any] = field(default_factory=dict)
    epochs: int = 20
    batch_size: int = 10
    lr: float = 1e-3
    lr_schedule: str = "constant"
    optimizer: str = "adam"
    weight_decay: float = 1e-4
    dropout: float = 0.0
    patience: int = 0
    val_fraction: float = 0.0
    seed: int = 0
    protocol: str = "stratified"
    k: int = 5
    drop_repetitions: bool = False
    time_crop: int = 0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> TrainConfig:
        """Check every field (normalising 1 to 1.0 for float fields...); raise ParamsError naming
        the first bad one."""
        for name, value in validate_fields(TRAIN_PARAMS, self.__dict__).items():
            setattr(self, name, value)
        model_params(self.architecture, self.model_params)
        return self

    def resolved_model_params(self) -> dict[str, Any]:
        """The architecture's parameters with this config's overrides applied."""
        return model_params(self.architecture, self.model_params)

    def summary(self) -> str:
        """One line naming the framework, the closest preset and every setting that differs
        from it.

        >>> preset("paper", "keras", epochs=10).summary()
        'keras, paper + epochs=10'
        """
        name = min(PRESETS, key=lambda n: len(_changes(preset(n, self.framework), self)))
        changes = _changes(preset(name, self.framework), self)
        return f"{self.framework}, {name}" + (" + " + ", ".join(changes) if changes else "")

    def changes_from(self, name: str) -> list[str]:
        """``field=value`` for each setting that differs from preset ``name`` (same framework).

        >>> preset("paper", "keras", epochs=10).changes_from("paper-published")
        ['epochs=10', 'patience=5', 'val_fraction=0.1', 'time_crop=128']
        """
        return _changes(preset(name, self.framework), self)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of all fields."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of ``to_dict``; unknown keys raise ParamsError, missing ones take defaults.
        The old name ``model`` (runs saved before ``architecture``) is read as ``architecture``.

        >>> TrainConfig.from_dict({"model": "recommended"}).architecture
        'recommended'
        """
        if "model" in data and "architecture" not in data:
            data = {("architecture" if k == "model" else k): v for k, v in data.items()}
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ParamsError(f"unknown training setting(s): {', '.join(sorted(unknown))}")
        return cls(**data)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)


#: Named starting points. ``paper`` is the seed paper's network, optimiser and batch size per
#: framework (PyTorch: Adam 1e-3, weight decay 1e-4, batch 10; Keras: dropout before flattening,
#: batch 10, 30 epochs), trained with two additions that its accuracy here depends on: random
#: time crops with crop voting (the network memorises whole images in 3-4 epochs), and early
#: stopping on a validation part of the training clips. ``paper-published`` is the paper's
#: schedule exactly as published: the same network and optimiser, 30 epochs on whole images,
#: no crops, no validation part, no early stopping.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "paper": {
        "torch": {
            "architecture": "paper",
            "epochs": 30,
            "batch_size": 10,
            "lr": 1e-3,
            "weight_decay": 1e-4,
            "dropout": 0.0,
            "patience": 5,
            "val_fraction": 0.1,
            "time_crop": 128,
        },
        "keras": {
            "architecture": "paper",
            "epochs": 30,
            "batch_size": 10,
            "lr": 1e-3,
            "weight_decay": 0.0,
            "dropout": 0.5,
            "patience": 5,
            "val_fraction": 0.1,
            "time_crop": 128,
        },
    },
    "paper-published": {
        framework: {
            "architecture": "paper",
            "epochs": 30,
            "batch_size": 10,
            "lr": 1e-3,
            "weight_decay": 1e-4 if framework == "torch" else 0.0,
            "dropout": 0.0 if framework == "torch" else 0.5,
            "patience": 0,
            "val_fraction": 0.0,
            "time_crop": 0,
        }
        for framework in FRAMEWORKS
    },
    "recommended": {
        framework: {
            "architecture": "recommended",
            "epochs": 50,
            "batch_size": 32,
            "lr": 2e-3,
            "lr_schedule": "cosine",
            "optimizer": "adamw",
            "weight_decay": 1e-2,
            "dropout": 0.3,
            "patience": 0,
            "val_fraction": 0.0,
            "time_crop": 128,
        }
        for framework in FRAMEWORKS
    },
}


def available_frameworks() -> tuple[str, ...]:
    """The frameworks installed here, found without importing them.

    Keras needs TensorFlow as its backend; the slim cloud install (requirements-cloud.txt)
    has neither, so it trains with PyTorch only.
    """
    needs = {"torch": ("torch",), "keras": ("keras", "tensorflow")}
    return tuple(f for f in FRAMEWORKS if all(importlib.util.find_spec(m) for m in needs[f]))


def preset(name: str, framework: str = "torch", **changes: Any) -> TrainConfig:
    """The named preset (``paper``, ``paper-published`` or ``recommended``) for a framework,
    with ``changes``.

    >>> preset("paper-published", "keras").dropout
    0.5
    """
    if name not in PRESETS:
        raise ParamsError(f"unknown preset {name!r}; choose one of {list(PRESETS)}")
    if framework not in FRAMEWORKS:
        raise ParamsError(f"framework must be one of {FRAMEWORKS}, got {framework!r}")
    return TrainConfig(framework=framework, **{**PRESETS[name][framework], **changes})


def _changes(base: TrainConfig, config: TrainConfig) -> list[str]:
    """``field=value`` for each setting of ``config`` that differs from ``base``."""
    changes = [
        f"{name}={param.text(getattr(config, name))}"
        for name, param in TRAIN_PARAMS.items()
        if getattr(config, name) != getattr(base, name)
    ]
    mine, theirs = config.resolved_model_params(), base.resolved_model_params()
    return changes + [
        f"{name}={param.text(mine[name])}"
        for name, param in MODEL_PARAMS.items()
        if mine[name] != theirs[name]
    ]
