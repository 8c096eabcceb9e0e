"""Keras trainer: the same loop as the PyTorch one, one ``train_on_batch`` call per batch."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from core import settings
from core.models.keras_cnn import build_keras_model, keras
from core.training.config import TrainConfig
from core.training.loop import (
    EarlyStopping,
    EpochCallback,
    FoldResult,
    StopCheck,
    as_samples,
    channel_stats,
    crop_width,
    epoch_record,
    iterate_epoch,
    model_input_shape,
)


def train_keras(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray | None,
    y_val: np.ndarray | None,
    config: TrainConfig,
    n_classes: int,
    on_epoch: EpochCallback | None = None,
    should_stop: StopCheck | None = None,
) -> FoldResult:
    """Train the Keras CNN; see ``core.training.train_fold``."""
    started = time.perf_counter()
    _limit_threads()
    keras.utils.set_random_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    X, y = as_samples(X_train, y_train)
    shape, crop = model_input_shape(X, config), crop_width(X, config)
    mean, std = channel_stats(X)
    model = build_keras_model(
        shape, n_classes, config.resolved_model_params(), dropout=config.dropout, mean=mean, std=std
    )
    model.compile(
        optimizer=_optimizer(config, math.ceil(len(X) / config.batch_size)),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    stopper = EarlyStopping(config.patience)
    best_weights, history = None, []
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        lr = _current_lr(model.optimizer)
        loss_sum, correct = 0.0, 0.0
        for xb, yb in iterate_epoch(X, y, crop, config.batch_size, rng, should_stop):
            logs = model.train_on_batch(xb, yb, return_dict=True)
            loss_sum += float(logs["loss"]) * len(yb)
            correct += float(logs["accuracy"]) * len(yb)
        record = epoch_record(
            model,
            epoch,
            loss_sum,
            round(correct),
            len(X),
            X_val,
            y_val,
            lr,
            time.perf_counter() - epoch_start,
        )
        history.append(record)
        if stopper.update(epoch, record["val_loss"]):
            best_weights = model.get_weights()
        if on_epoch is not None:
            on_epoch(record)
        if stopper.stop:
            break
    model.set_weights(best_weights)
    return FoldResult(
        model, history, stopper.best_epoch, shape, n_classes, "keras", time.perf_counter() - started
    )


def predict_batch(model: keras.Model, batch: np.ndarray) -> np.ndarray:
    """Softmax probabilities of a float32 NHWC batch (eager: no retracing per batch size)."""
    return keras.ops.convert_to_numpy(model(batch, training=False))


def keras_input_shape(model: keras.Model) -> tuple[int, int, int]:
    """``(H, W, C)`` the model was built for."""
    return tuple(int(s) for s in model.input_shape[1:])


def _optimizer(config: TrainConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    lr: Any = config.lr
    if config.lr_schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(config.lr, config.epochs * steps_per_epoch)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(learning_rate=lr, weight_decay=config.weight_decay)
    return keras.optimizers.Adam(learning_rate=lr, weight_decay=config.weight_decay or None)


def _current_lr(optimizer: keras.optimizers.Optimizer) -> float:
    return float(np.asarray(optimizer.learning_rate))


def _limit_threads() -> None:
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(settings.current().train_threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already started in this process: keep its pools
        pass
