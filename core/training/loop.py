"""Training behind one interface for PyTorch and Keras: one epoch loop, two frameworks' steps.

``train_fold`` trains one model, ``predict_proba`` predicts class probabilities per clip,
``save_weights``/``load_weights`` store a model, ``run_kfold`` (in ``core.training.kfold``) runs
a whole protocol. Inputs are numpy arrays, channels last, float32 or uint8:

- ``(N, H, W, C)``: one spectrogram per clip (an image: C=3, H=288, W=432; mel: C=1, H=n_mels,
  W=frames);
- ``(N, S, H, W, C)``: S segments per clip: training uses every segment as a sample with its
  clip's label; predictions average the segments' probabilities per clip.

With ``TrainConfig.time_crop`` the model trains on random crops that many columns wide and
predicts by averaging crops that cover each clip (half-overlapping by default).

The epoch loop (epochs, crops, validation, early stopping, history, callbacks, cancellation) is
written once, in ``train_fold``, in the style of Keras callbacks: after every epoch each
``Callback`` gets ``on_epoch_end(epoch, logs)``; ``History`` is a plain sink. A framework
supplies only its ``FrameworkSteps`` (``TorchSteps``, ``KerasSteps``: build the model and
optimiser, train one epoch over batches, the current lr, get/set weights) and, for
``predict_proba``, ``predict_batch`` and the model's input shape. The frameworks are imported
only when a function needs one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from core.errors import Cancelled, ParamsError
from core.evaluation.metrics import accuracy
from core.storage.atomic import atomic_path
from core.training.config import TrainConfig

StopCheck = Callable[[], bool]
Batches = Iterator[tuple[np.ndarray, np.ndarray]]


class Callback(Protocol):
    """A hook of the epoch loop (Keras' ``on_epoch_end``): ``epoch`` is 1-based, ``logs`` the
    epoch's history entry (see ``FoldResult``)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None: ...


class FrameworkSteps(Protocol):
    """What a framework supplies to the shared loop, built for one fold as
    ``TorchSteps``/``KerasSteps(input_shape, n_classes, config, mean, std, steps_per_epoch)``."""

    model: Any

    def train_epoch(self, batches: Batches) -> tuple[float, int]:
        """Train on every ``(x float32 NHWC, y int64)`` batch: ``(summed loss, correct)``."""
        ...

    def lr(self) -> float:
        """The learning rate the next step uses."""
        ...

    def get_weights(self) -> Any:
        """A snapshot of the model's weights."""
        ...

    def set_weights(self, weights: Any) -> None:
        """Put a snapshot back (the model is then ready to predict)."""
        ...


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


class History:
    """Plain sink: every epoch's logs, in order (``records``)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        self.records.append(logs)


class EarlyStopping:
    """Keeps the weights of the epoch with the lowest ``val_loss``; ``stop`` once ``patience``
    epochs pass without a lower one. Without validation data, or with ``patience`` 0, every
    epoch counts as the best (the last one's weights are kept)."""

    def __init__(self, patience: int, steps: FrameworkSteps) -> None:
        self.patience, self.steps = patience, steps
        self.best_loss = math.inf
        self.best_epoch = 0
        self.best_weights: Any = None
        self.stop = False

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        val_loss = logs["val_loss"]
        if val_loss is None or self.patience == 0 or val_loss < self.best_loss:
            self.best_loss = math.inf if val_loss is None else val_loss
            self.best_epoch = epoch
            self.best_weights = self.steps.get_weights()
        else:
            self.stop = epoch - self.best_epoch >= self.patience

    def restore(self) -> None:
        """Put the best epoch's weights back into the model."""
        self.steps.set_weights(self.best_weights)


def train_fold(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray | None,
    y_val: np.ndarray | None,
    config: TrainConfig,
    *,
    n_classes: int | None = None,
    callbacks: Sequence[Callback] = (),
    should_stop: StopCheck | None = None,
) -> FoldResult:
    """Train one model of ``config.framework`` on the training arrays: the epoch loop.

    Validation data (optional) is evaluated after every epoch and drives early stopping
    (``config.patience``). Each of ``callbacks`` gets ``on_epoch_end(epoch, logs)`` with each
    history dict as it is made; ``should_stop`` is polled before every batch, and training
    raises ``Cancelled`` when it returns True. ``n_classes`` defaults to the largest label + 1.
    """
    started = time.perf_counter()
    y_train = np.asarray(y_train, dtype=np.int64)
    check_inputs(X_train, y_train, "training")
    if X_val is not None:
        y_val = np.asarray(y_val, dtype=np.int64)
        check_inputs(X_val, y_val, "validation")
    if n_classes is None:
        n_classes = int(max(y_train.max(), -1 if y_val is None else y_val.max())) + 1
    if config.framework == "torch":
        from core.training.torch_trainer import TorchSteps as Steps
    else:
        from core.training.keras_trainer import KerasSteps as Steps
    rng = np.random.default_rng(config.seed)
    X, y = as_samples(X_train, y_train)
    shape, crop = model_input_shape(X, config), crop_width(X, config)
    mean, std = channel_stats(X)
    steps = Steps(shape, n_classes, config, mean, std, math.ceil(len(X) / config.batch_size))
    history, stopper = History(), EarlyStopping(config.patience, steps)
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        lr = steps.lr()
        batches = iterate_epoch(X, y, crop, config.batch_size, rng, should_stop)
        loss_sum, correct = steps.train_epoch(batches)
        seconds = time.perf_counter() - epoch_start  # training only, validation excluded
        logs = {
            "epoch": epoch,
            "train_loss": loss_sum / len(X),
            "train_acc": correct / len(X),
            **validation_scores(steps.model, X_val, y_val),
            "lr": lr,
            "seconds": seconds,
        }
        for callback in (history, stopper, *callbacks):
            callback.on_epoch_end(epoch, logs)
        if stopper.stop:
            break
    stopper.restore()
    return FoldResult(
        steps.model,
        history.records,
        stopper.best_epoch,
        shape,
        n_classes,
        config.framework,
        time.perf_counter() - started,
    )


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
    if framework_of(model) != "torch" and path.suffix != ".keras":
        raise ParamsError(f"Keras models are saved as .keras files, not {path.name}")
    with atomic_path(path) as tmp:  # keeps the suffix, which Keras insists on
        if framework_of(model) == "torch":
            import torch

            torch.save(model.state_dict(), tmp)
        else:
            model.save(tmp)
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


def validation_scores(
    model: Any, X_val: np.ndarray | None, y_val: np.ndarray | None
) -> dict[str, float | None]:
    """``val_loss`` and ``val_acc`` of the model on the validation data (None without any)."""
    if X_val is None:
        return {"val_loss": None, "val_acc": None}
    proba = predict_proba(model, X_val)
    return {"val_loss": log_loss(proba, y_val), "val_acc": accuracy(y_val, proba.argmax(axis=1))}
