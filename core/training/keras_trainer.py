"""Keras steps of the shared epoch loop: one ``train_on_batch`` call per batch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from core import settings
from core.models.keras_cnn import build_keras_model, keras
from core.training.config import TrainConfig

if TYPE_CHECKING:
    from core.training.loop import Batches


class KerasSteps:
    """The Keras CNN, compiled with its optimiser and lr schedule (per step); see
    ``core.training.loop.FrameworkSteps``."""

    def __init__(
        self,
        input_shape: tuple[int, int, int],
        n_classes: int,
        config: TrainConfig,
        mean: np.ndarray,
        std: np.ndarray,
        steps_per_epoch: int,
    ) -> None:
        _limit_threads()
        keras.utils.set_random_seed(config.seed)
        self.model = build_keras_model(
            input_shape,
            n_classes,
            config.resolved_model_params(),
            dropout=config.dropout,
            mean=mean,
            std=std,
        )
        self.model.compile(
            optimizer=_optimizer(config, steps_per_epoch),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )

    def train_epoch(self, batches: Batches) -> tuple[float, int]:
        loss_sum, correct = 0.0, 0.0
        for xb, yb in batches:
            logs = self.model.train_on_batch(xb, yb, return_dict=True)
            loss_sum += float(logs["loss"]) * len(yb)
            correct += float(logs["accuracy"]) * len(yb)
        return loss_sum, round(correct)

    def lr(self) -> float:
        return float(np.asarray(self.model.optimizer.learning_rate))

    def get_weights(self) -> list[np.ndarray]:
        return self.model.get_weights()

    def set_weights(self, weights: list[np.ndarray]) -> None:
        self.model.set_weights(weights)


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


def _limit_threads() -> None:
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(settings.current().train_threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already started in this process: keep its pools
        pass
