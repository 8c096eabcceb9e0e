"""The CNN in PyTorch (see ``core.models`` for the architecture and its parameters)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from core.models import feature_shape, model_params


class SpectrogramCNN(nn.Module):
    """Conv blocks and a linear classifier over ``(N, C, H, W)`` input; returns logits.

    Feed channels-last tensors (``torch.from_numpy(nhwc).permute(0, 3, 1, 2)``): the model is
    converted to channels-last memory format, the fast layout for CPU convolutions.
    ``mean`` and ``std`` (per input channel) are buffers, so they travel with the state dict.
    """

    def __init__(
        self,
        input_shape: tuple[int, int, int],
        n_classes: int,
        params: dict[str, Any],
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.n_classes = int(n_classes)
        self.params = params
        channels_in = self.input_shape[2]
        self.register_buffer("mean", torch.zeros(1, channels_in, 1, 1))
        self.register_buffer("std", torch.ones(1, channels_in, 1, 1))
        layers: list[nn.Module] = []
        for channels, kernel in zip(params["channels"], params["kernel_sizes"], strict=True):
            bn = params["batch_norm"]
            layers.append(
                nn.Conv2d(channels_in, channels, kernel, padding=params["padding"], bias=not bn)
            )
            if bn:
                layers.append(nn.BatchNorm2d(channels))
            layers += [nn.MaxPool2d(params["pool"]), nn.ReLU(inplace=True)]
            channels_in = channels
        self.features = nn.Sequential(*layers)
        h, w = feature_shape(self.input_shape, params)
        n_features = channels_in * {"flatten": h * w, "gap": 1, "time_gap": h}[params["head"]]
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(n_features, self.n_classes)
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features((x - self.mean) / self.std)
        head = self.params["head"]
        if head != "flatten":
            x = x.mean(dim=(2, 3) if head == "gap" else 3)
        x = x.flatten(1)
        return self.classifier(self.dropout(x))


def build_torch_model(
    input_shape: tuple[int, int, int],
    n_classes: int,
    params: dict[str, Any] | None = None,
    *,
    dropout: float = 0.0,
    mean: np.ndarray | None = None,
    std: np.ndarray | None = None,
) -> SpectrogramCNN:
    """The CNN for ``(H, W, C)`` inputs; ``params`` default to the ``paper`` preset.

    ``mean``/``std`` (one value per channel) normalise the raw input inside the model.
    """
    model = SpectrogramCNN(input_shape, n_classes, params or model_params("paper"), dropout)
    with torch.no_grad():
        if mean is not None:
            model.mean.copy_(torch.as_tensor(np.asarray(mean, np.float32)).view_as(model.mean))
        if std is not None:
            model.std.copy_(torch.as_tensor(np.asarray(std, np.float32)).view_as(model.std))
    return model
