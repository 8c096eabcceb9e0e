"""The CNN in Keras 3 (see ``core.models`` for the architecture and its parameters).

Importing this module imports Keras with the TensorFlow backend (set here explicitly: the
Keras trainer relies on TensorFlow; set before any other module imports Keras).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

os.environ["KERAS_BACKEND"] = "tensorflow"

import keras  # noqa: E402  (the backend must be chosen first)

from core.models import feature_shape, model_params  # noqa: E402


def build_keras_model(
    input_shape: tuple[int, int, int],
    n_classes: int,
    params: dict[str, Any] | None = None,
    *,
    dropout: float = 0.0,
    mean: np.ndarray | None = None,
    std: np.ndarray | None = None,
) -> keras.Model:
    """The CNN for channels-last ``(H, W, C)`` inputs; outputs class probabilities (softmax).

    ``params`` default to the ``paper`` preset; ``mean``/``std`` (one value per channel)
    normalise the raw input inside the model, so a saved ``.keras`` file is self-contained.
    """
    params = params or model_params("paper")
    _, width = feature_shape(input_shape, params)  # raises a clear error for too small inputs
    channels = input_shape[2]
    mean = np.zeros(channels) if mean is None else np.asarray(mean, np.float64).reshape(-1)
    std = np.ones(channels) if std is None else np.asarray(std, np.float64).reshape(-1)
    inputs = keras.Input(shape=tuple(int(s) for s in input_shape))
    x = keras.layers.Normalization(axis=-1, mean=mean.tolist(), variance=(std**2).tolist())(inputs)
    for filters, kernel in zip(params["channels"], params["kernel_sizes"], strict=True):
        bn = params["batch_norm"]
        x = keras.layers.Conv2D(filters, kernel, padding=params["padding"], use_bias=not bn)(x)
        if bn:
            x = keras.layers.BatchNormalization()(x)
        x = keras.layers.MaxPooling2D(params["pool"])(x)
        x = keras.layers.ReLU()(x)
    if params["head"] == "gap":
        x = keras.layers.GlobalAveragePooling2D()(x)
    elif params["head"] == "time_gap":
        x = keras.layers.AveragePooling2D(pool_size=(1, width))(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(dropout)(x)  # after flatten: the same as before it
    outputs = keras.layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="spectrogram_cnn")
