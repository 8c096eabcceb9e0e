"""PyTorch steps of the shared epoch loop: in-memory arrays fed as channels-last tensors."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from core import settings
from core.models.torch_cnn import SpectrogramCNN, build_torch_model
from core.training.config import TrainConfig
from core.training.device import torch_device

if TYPE_CHECKING:
    from core.training.loop import Batches


class TorchSteps:
    """A ``SpectrogramCNN`` with its optimiser and lr scheduler (stepped once per batch); see
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
        torch.set_num_threads(settings.current().train_threads)
        torch.manual_seed(config.seed)
        self.device = torch_device()
        self.model = build_torch_model(
            input_shape,
            n_classes,
            config.resolved_model_params(),
            dropout=config.dropout,
            mean=mean,
            std=std,
        ).to(self.device)
        kind = torch.optim.Adam if config.optimizer == "adam" else torch.optim.AdamW
        self.optimizer = kind(
            self.model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        self.scheduler = lr_scheduler(self.optimizer, config, steps_per_epoch)

    def train_epoch(self, batches: Batches) -> tuple[float, int]:
        self.model.train()
        loss_sum, correct = 0.0, 0
        for xb, yb in batches:
            target = torch.from_numpy(yb).to(self.device)
            logits = self.model(torch.from_numpy(xb).to(self.device).permute(0, 3, 1, 2))
            loss = nn.functional.cross_entropy(logits, target)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
            loss_sum += loss.item() * len(yb)
            correct += int((logits.argmax(dim=1) == target).sum())
        return loss_sum, correct

    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def get_weights(self) -> dict[str, torch.Tensor]:
        return copy.deepcopy(self.model.state_dict())

    def set_weights(self, weights: dict[str, torch.Tensor]) -> None:
        self.model.load_state_dict(weights)
        self.model.eval()


def lr_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """Per-step cosine decay to 0 over all epochs (``lr_schedule="cosine"``), else None."""
    if config.lr_schedule != "cosine":
        return None
    total = config.epochs * steps_per_epoch
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)


def predict_batch(model: SpectrogramCNN, batch: np.ndarray) -> np.ndarray:
    """Softmax probabilities of a float32 NHWC batch, on the model's device."""
    model.eval()
    device = next(model.parameters()).device
    with torch.inference_mode():
        logits = model(torch.from_numpy(batch).to(device).permute(0, 3, 1, 2))
        return torch.softmax(logits, dim=1).cpu().numpy()


def torch_input_shape(model: SpectrogramCNN) -> tuple[int, int, int]:
    """``(H, W, C)`` the model was built for."""
    return model.input_shape
