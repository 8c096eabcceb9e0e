"""PyTorch trainer: a plain loop over in-memory arrays, fed as channels-last tensors."""

from __future__ import annotations

import copy
import math
import time

import numpy as np
import torch
from torch import nn

from core import settings
from core.models.torch_cnn import SpectrogramCNN, build_torch_model
from core.training.config import TrainConfig
from core.training.device import torch_device
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


def train_torch(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray | None,
    y_val: np.ndarray | None,
    config: TrainConfig,
    n_classes: int,
    on_epoch: EpochCallback | None = None,
    should_stop: StopCheck | None = None,
) -> FoldResult:
    """Train a ``SpectrogramCNN``; see ``core.training.train_fold``."""
    started = time.perf_counter()
    torch.set_num_threads(settings.TRAIN_THREADS)
    torch.manual_seed(config.seed)
    device = torch_device()
    rng = np.random.default_rng(config.seed)
    X, y = as_samples(X_train, y_train)
    shape, crop = model_input_shape(X, config), crop_width(X, config)
    mean, std = channel_stats(X)
    model = build_torch_model(
        shape, n_classes, config.resolved_model_params(), dropout=config.dropout, mean=mean, std=std
    ).to(device)
    optimizer, scheduler = _optimizer(model, config, math.ceil(len(X) / config.batch_size))
    stopper = EarlyStopping(config.patience)
    best_state, history = None, []
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        model.train()
        loss_sum, correct = 0.0, 0
        for xb, yb in iterate_epoch(X, y, crop, config.batch_size, rng, should_stop):
            target = torch.from_numpy(yb).to(device)
            logits = model(torch.from_numpy(xb).to(device).permute(0, 3, 1, 2))
            loss = nn.functional.cross_entropy(logits, target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            loss_sum += loss.item() * len(yb)
            correct += int((logits.argmax(dim=1) == target).sum())
        record = epoch_record(
            model,
            epoch,
            loss_sum,
            correct,
            len(X),
            X_val,
            y_val,
            lr,
            time.perf_counter() - epoch_start,
        )
        history.append(record)
        if stopper.update(epoch, record["val_loss"]):
            best_state = copy.deepcopy(model.state_dict())
        if on_epoch is not None:
            on_epoch(record)
        if stopper.stop:
            break
    model.load_state_dict(best_state)
    return FoldResult(
        model.eval(),
        history,
        stopper.best_epoch,
        shape,
        n_classes,
        "torch",
        time.perf_counter() - started,
    )


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


def _optimizer(
    model: nn.Module, config: TrainConfig, steps_per_epoch: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    kind = torch.optim.Adam if config.optimizer == "adam" else torch.optim.AdamW
    optimizer = kind(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    total = config.epochs * steps_per_epoch
    if config.lr_schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total) / total))
        )
    else:
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    return optimizer, scheduler
