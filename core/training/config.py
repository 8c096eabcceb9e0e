"""``TrainConfig``: everything a training run needs besides its data, with named presets."""

from __future__ import annotations

import dataclasses
import importlib.util
from dataclasses import dataclass, field
from typing import Any

from core.errors import ParamsError
from core.models import model_params

FRAMEWORKS: tuple[str, ...] = ("torch", "keras")
OPTIMIZERS: tuple[str, ...] = ("adam", "adamw")
LR_SCHEDULES: tuple[str, ...] = ("constant", "cosine")


@dataclass
class TrainConfig:
    """How to train one model and evaluate it (the data and folds come separately).

    Attributes
    ----------
    framework : ``torch`` or ``keras``.
    model : model preset (``paper`` or ``recommended``, see ``core.models``).
    model_params : overrides of that preset (``channels``, ``kernel_sizes``, ``padding``...).
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
    model: str = "paper"
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
        """Check every field; raise ParamsError naming the first bad one."""
        from core.splits import PROTOCOLS

        choices = {
            "framework": FRAMEWORKS,
            "optimizer": OPTIMIZERS,
            "lr_schedule": LR_SCHEDULES,
            "protocol": PROTOCOLS,
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ParamsError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        model_params(self.model, self.model_params)
        positive = {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr}
        for name, value in positive.items():
            if not value > 0:
                raise ParamsError(f"{name} must be positive, got {value}")
        non_negative = {
            "weight_decay": self.weight_decay,
            "patience": self.patience,
            "time_crop": self.time_crop,
        }
        for name, value in non_negative.items():
            if value < 0:
                raise ParamsError(f"{name} must not be negative, got {value}")
        if not 0.0 <= self.dropout < 1.0 or not 0.0 <= self.val_fraction < 1.0:
            raise ParamsError("dropout and val_fraction must be in [0, 1)")
        if self.k < 2:
            raise ParamsError(f"k must be at least 2, got {self.k}")
        return self

    def resolved_model_params(self) -> dict[str, Any]:
        """The model preset's parameters with this config's overrides applied."""
        return model_params(self.model, self.model_params)

    def summary(self) -> str:
        """One line naming the framework, the closest preset and every setting that differs
        from it.

        >>> preset("paper", "keras", epochs=10).summary()
        'keras, paper + epochs=10'
        """
        mine = self.to_dict()

        def changes(name: str) -> list[str]:
            base = preset(name, self.framework).to_dict()
            return [f"{k}={v}" for k, v in mine.items() if k != "framework" and base[k] != v]

        name = min(PRESETS, key=lambda n: len(changes(n)))
        rest = changes(name)
        return f"{self.framework}, {name}" + (" + " + ", ".join(rest) if rest else "")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of all fields."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of ``to_dict``; unknown keys raise ParamsError, missing ones take defaults."""
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
#: stopping on a validation part of the training clips. Set ``time_crop=0, patience=0,
#: val_fraction=0`` for the paper's plain schedule.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "paper": {
        "torch": {
            "model": "paper",
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
            "model": "paper",
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
    "recommended": {
        framework: {
            "model": "recommended",
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
    """The named preset (``paper`` or ``recommended``) for a framework, with ``changes``."""
    if name not in PRESETS:
        raise ParamsError(f"unknown preset {name!r}; choose one of {list(PRESETS)}")
    if framework not in FRAMEWORKS:
        raise ParamsError(f"framework must be one of {FRAMEWORKS}, got {framework!r}")
    return TrainConfig(framework=framework, **{**PRESETS[name][framework], **changes})
