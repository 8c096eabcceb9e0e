"""Training behind one interface for PyTorch and Keras.

``train_fold`` trains one model, ``predict_proba`` predicts class probabilities per clip,
``save_weights``/``load_weights`` store a model, ``run_kfold`` (in ``core.training.kfold``) runs
a whole protocol. Inputs are numpy arrays, channels last, float32 or uint8:

- ``(N, H, W, C)``: one spectrogram per clip (an image: C=3, H=288, W=432; mel: C=1, H=n_mels,
  W=frames);
- ``(N, S, H, W, C)``: S segments per clip: training uses every segment as a sample with its
  clip's label; predictions average the segments' probabilities per clip.

With ``TrainConfig.time_crop`` the model trains on random crops that many columns wide and
predicts by averaging crops that cover each clip (half-overlapping by default).
The frameworks are imported only when a function needs one.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import Cancelled, ParamsError
from core.training.config import TrainConfig

EpochCallback = Callable[[dict[str, Any]], None]
StopCheck = Callable[[], bool]


@dataclass
class FoldResult:
    """One trained model and how it got there.

    ``history`` has one dict per epoch: ``epoch`` (1-based), ``train_loss``, ``train_acc``,
    ``val_loss``, ``val_acc`` (None without validation data), ``lr``, ``seconds``.
    ``best_epoch`` is the epoch whose weights the model holds. ``run_kfold`` fills ``fold``,
    ``valid_idx``, ``test_idx``, ``test_proba`` (clip x class) and ``test_acc``.
    """

    model: Any
    history: list[dict[str, Any]]
    best_epoch: int
    input_shape: tuple[int, int, int]
    n_classes: int
    framework: str
    seconds: float
    fold: int | None = None
    valid_idx: np.ndarray | None = None
    test_idx: np.ndarray | None = None
    test_proba: np.ndarray | None = None
    test_acc: float | None = None


def train_fold(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray | None,
    y_val: np.ndarray | None,
    config: TrainConfig,
    *,
    n_classes: int | None = None,
    on_epoch: EpochCallback | None = None,
    should_stop: StopCheck | None = None,
) -> FoldResult:
    """Train one model of ``config.framework`` on the training arrays.

    Validation data (optional) is evaluated after every epoch and drives early stopping
    (``config.patience``). ``on_epoch`` receives each history dict as it is made;
    ``should_stop`` is polled before every batch, and training raises ``Cancelled`` when it
    returns True. ``n_classes`` defaults to the largest label + 1.
    """
    y_train = np.asarray(y_train, dtype=np.int64)
    check_inputs(X_train, y_train, "training")
    if X_val is not None:
        y_val = np.asarray(y_val, dtype=np.int64)
        check_inputs(X_val, y_val, "validation")
    if n_classes is None:
        n_classes = int(max(y_train.max(), -1 if y_val is None else y_val.max())) + 1
    if config.framework == "torch":
        from core.training.torch_trainer import train_torch as train
    else:
        from core.training.keras_trainer import train_keras as train
    return train(X_train, y_train, X_val, y_val, config, n_classes, on_epoch, should_stop)


def predict_proba(
    model: Any, X: np.ndarray, *, n_crops: int | None = None, batch_size: int = 64
) -> np.ndarray:
    """Class probabilities per clip, ``(N, n_classes)``, for ``(N, H, W, C)`` or segment input.

    A model narrower than the input (trained on time crops) sees ``n_crops`` evenly spaced
    crops per clip (default: half-overlapping crops covering the clip); probabilities are
    averaged over crops and segments.
    """
    framework = framework_of(model)
    if framework == "torch":
        from core.training.torch_trainer import predict_batch
        from core.training.torch_trainer import torch_input_shape as shape_of
    else:
        from core.training.keras_trainer import keras_input_shape as shape_of
        from core.training.keras_trainer import predict_batch
    clips = X if X.ndim == 5 else X[:, None]
    if clips.ndim != 5:
        raise ParamsError(f"expected (N, H, W, C) or (N, S, H, W, C) input, got {X.shape}")
    n, segments, height, width, channels = clips.shape
    model_h, model_w, model_c = shape_of(model)
    if (height, channels) != (model_h, model_c) or width < model_w:
        raise ParamsError(
            f"the model takes {model_h}x{model_w}x{model_c} inputs, got {height}x{width}x{channels}"
        )
    starts = crop_starts(width, model_w, n_crops)
    views = len(starts) * segments
    chunk = max(1, batch_size // views)
    out = []
    for i in range(0, n, chunk):
        part = clips[i : i + chunk]
        crops = np.stack([part[:, :, :, s : s + model_w] for s in starts], axis=1)
        batch = crops.reshape(-1, height, model_w, channels).astype(np.float32)
        proba = predict_batch(model, batch)
        out.append(proba.reshape(len(part), views, -1).mean(axis=1))
    return np.concatenate(out).astype(np.float32)


def save_weights(model: Any, path: str | Path) -> Path:
    """Save a model atomically: torch state dict (``.pt``) or Keras ``.keras`` file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        if framework_of(model) == "torch":
            import torch

            torch.save(model.state_dict(), tmp)
        else:
            if path.suffix != ".keras":
                raise ParamsError(f"Keras models are saved as .keras files, not {path.name}")
            model.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_weights(
    path: str | Path,
    config: TrainConfig,
    input_shape: tuple[int, int, int],
    n_classes: int,
) -> Any:
    """Load a model saved by ``save_weights``; torch weights load with ``weights_only=True``.

    ``config`` and ``input_shape`` (the model's ``(H, W, C)``, see ``FoldResult.input_shape``)
    rebuild the torch architecture; a ``.keras`` file carries its own.
    """
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"no saved model at {path}")
    if config.framework == "torch":
        import torch

        from core.models.torch_cnn import build_torch_model
        from core.training.device import torch_device

        model = build_torch_model(
            input_shape, n_classes, config.resolved_model_params(), dropout=config.dropout
        )
        model.load_state_dict(torch.load(path, weights_only=True, map_location="cpu"))
        return model.to(torch_device()).eval()
    from core.models.keras_cnn import keras

    return keras.models.load_model(path)


# -- shared by both trainers ---------------------------------------------------------------


def framework_of(model: Any) -> str:
    """``torch`` or ``keras``, from the model's class."""
    module = type(model).__module__
    if module.startswith(("torch", "core.models.torch_cnn")):
        return "torch"
    if module.startswith("keras"):
        return "keras"
    raise ParamsError(f"not a Genre Lab model: {type(model).__name__}")


def check_inputs(X: np.ndarray, y: np.ndarray, what: str) -> None:
    """Raise ParamsError unless ``X`` is (N, H, W, C) or (N, S, H, W, C) with N labels."""
    if not isinstance(X, np.ndarray) or X.ndim not in (4, 5):
        raise ParamsError(f"{what} data must be a (N, H, W, C) or (N, S, H, W, C) numpy array")
    if len(X) != len(y) or len(X) == 0:
        raise ParamsError(f"{what} data has {len(X)} clips and {len(y)} labels")
    if y.min() < 0:
        raise ParamsError(f"{what} labels must be class indices 0, 1, ...")


def as_samples(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segment input ``(N, S, ...)`` as ``N*S`` samples with their clip's label."""
    if X.ndim == 4:
        return X, y
    return X.reshape(-1, *X.shape[2:]), np.repeat(y, X.shape[1])


def model_input_shape(X: np.ndarray, config: TrainConfig) -> tuple[int, int, int]:
    """``(H, W, C)`` the model is built for: the sample shape, narrowed by ``time_crop``."""
    height, width, channels = X.shape[-3:]
    return int(height), int(min(config.time_crop or width, width)), int(channels)


def crop_width(X: np.ndarray, config: TrainConfig) -> int:
    """Width of the random training crops, 0 for none."""
    return 0 if model_input_shape(X, config)[1] == X.shape[-2] else config.time_crop


def channel_stats(X: np.ndarray, max_samples: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std of (an evenly spaced subset of) ``X``'s samples."""
    step = max(1, len(X) // max_samples)
    sub = X[::step].astype(np.float64)
    axes = tuple(range(sub.ndim - 1))
    std = sub.std(axis=axes)
    return sub.mean(axis=axes), np.where(std > 1e-6, std, 1.0)


def epoch_batches(
    n: int, width: int, crop: int, batch_size: int, rng: np.random.Generator
) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """One epoch's plan: shuffled sample indices per batch, and crop starts when cropping."""
    order = rng.permutation(n)
    plan = []
    for i in range(0, n, batch_size):
        idx = order[i : i + batch_size]
        starts = rng.integers(0, width - crop + 1, size=len(idx)) if crop else None
        plan.append((idx, starts))
    return plan


def make_batch(X: np.ndarray, idx: np.ndarray, starts: np.ndarray | None, crop: int) -> np.ndarray:
    """Contiguous float32 ``(B, H, W, C)`` batch of samples ``idx`` (cropped at ``starts``)."""
    if starts is None:
        return X[idx].astype(np.float32)
    return np.stack([X[i, :, s : s + crop] for i, s in zip(idx, starts, strict=True)]).astype(
        np.float32
    )


def iterate_epoch(
    X: np.ndarray,
    y: np.ndarray,
    crop: int,
    batch_size: int,
    rng: np.random.Generator,
    should_stop: StopCheck | None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Training batches ``(x float32 NHWC, y int64)`` of one epoch; raises ``Cancelled``."""
    for idx, starts in epoch_batches(len(X), X.shape[2], crop, batch_size, rng):
        if should_stop is not None and should_stop():
            raise Cancelled("training was cancelled")
        yield make_batch(X, idx, starts, crop), y[idx]


def crop_starts(width: int, crop: int, n_crops: int | None = None) -> list[int]:
    """Start columns of ``n_crops`` evenly spaced crops (default: half-overlapping, covering)."""
    if crop >= width:
        return [0]
    n = n_crops or math.ceil(2 * width / crop) - 1
    return sorted({round(s) for s in np.linspace(0, width - crop, max(1, n))})


def log_loss(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of predicted probabilities."""
    picked = proba[np.arange(len(y)), y]
    return float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0))))


class EarlyStopping:
    """Tracks the lowest validation loss; ``stop`` once ``patience`` epochs pass without one."""

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best_loss = math.inf
        self.best_epoch = 0
        self.stop = False

    def update(self, epoch: int, val_loss: float | None) -> bool:
        """Record an epoch; True when its weights are the best so far (always without val)."""
        if val_loss is None or self.patience == 0 or val_loss < self.best_loss:
            self.best_loss = math.inf if val_loss is None else val_loss
            self.best_epoch = epoch
            return True
        self.stop = epoch - self.best_epoch >= self.patience
        return False


def epoch_record(
    model: Any,
    epoch: int,
    loss_sum: float,
    correct: int,
    seen: int,
    X_val: np.ndarray | None,
    y_val: np.ndarray | None,
    lr: float,
    seconds: float,
) -> dict[str, Any]:
    """History entry of an epoch: training averages and the validation scores."""
    record: dict[str, Any] = {
        "epoch": epoch,
        "train_loss": loss_sum / seen,
        "train_acc": correct / seen,
        "val_loss": None,
        "val_acc": None,
        "lr": lr,
        "seconds": seconds,
    }
    if X_val is not None:
        proba = predict_proba(model, X_val)
        record["val_loss"] = log_loss(proba, y_val)
        record["val_acc"] = float(np.mean(proba.argmax(axis=1) == y_val))
    return record
