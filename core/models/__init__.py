"""CNN architectures for spectrogram classification, one definition per framework.

Both frameworks build the same network from the same parameter dict (``model_params``):
per-channel input normalisation, then one block per entry of ``channels``: convolution
(``kernel_sizes``, ``padding``), optional batch norm, max-pooling (``pool``) and ReLU; then a
head: ``flatten``, global average pooling (``gap``), or average pooling over time only
(``time_gap``: keeps where in frequency a feature fired); dropout; one linear layer.

Presets:

- ``paper``: the seed paper's CNN: conv(16, 3x3) and conv(32, 3x3), unpadded, each with ReLU
  and 2x2 max-pooling, flatten, one fully connected layer. (Pooling before ReLU is the same
  function and cheaper.) Its input size is fixed by the flatten layer.
- ``recommended``: four padded conv blocks with batch norm and global average pooling; small
  and fast on a CPU. It trains on random time crops and votes over crops (see
  ``TrainConfig.time_crop``). (``time_gap`` scored higher under stratified folds here but lower
  under artist-grouped ones: it learns more about artists.)

The modules ``torch_cnn`` and ``keras_cnn`` import their framework at import time; import them
only where needed.
"""

from __future__ import annotations

from typing import Any

from core.constraints import Boolean, Interval, Options, Param, validate_fields
from core.errors import ParamsError

MODEL_PRESETS: dict[str, dict[str, Any]] = {
    "paper": {
        "channels": [16, 32],
        "kernel_sizes": [3, 3],
        "padding": "valid",
        "pool": 2,
        "batch_norm": False,
        "head": "flatten",
    },
    "recommended": {
        "channels": [16, 32, 64, 128],
        "kernel_sizes": [3, 3, 3, 3],
        "padding": "same",
        "pool": 2,
        "batch_norm": True,
        "head": "gap",
    },
}
PADDINGS: tuple[str, ...] = ("valid", "same")
HEADS: tuple[str, ...] = ("flatten", "gap", "time_gap")

#: Every model parameter: its rule (see ``core.constraints``).
MODEL_PARAMS: dict[str, Param] = {
    "channels": Param(Interval(int, 1, None), many=True, help="output channels of each conv block"),
    "kernel_sizes": Param(Interval(int, 1, None), many=True, help="kernel size of each conv block"),
    "padding": Param(Options(PADDINGS), help="valid: no padding; same: keep the size"),
    "pool": Param(Interval(int, 1, None), help="max-pooling size after each conv block"),
    "batch_norm": Param(Boolean(), help="batch norm in each conv block"),
    "head": Param(
        Options(HEADS),
        help="flatten, global average pooling (gap), or average pooling over time (time_gap)",
    ),
}


def model_params(preset: str = "paper", overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Parameters of a preset with ``overrides`` applied, validated.

    Raises ParamsError for an unknown preset or key, or an invalid value.

    >>> model_params("paper", {"channels": [8, 16]})["channels"]
    [8, 16]
    """
    if preset not in MODEL_PRESETS:
        raise ParamsError(f"unknown model preset {preset!r}; choose one of {list(MODEL_PRESETS)}")
    params = {**MODEL_PRESETS[preset], **(overrides or {})}
    unknown = set(params) - set(MODEL_PARAMS)
    if unknown:
        raise ParamsError(f"unknown model parameter(s): {', '.join(sorted(unknown))}")
    params = validate_fields(MODEL_PARAMS, params)
    if len(params["kernel_sizes"]) != len(params["channels"]):
        raise ParamsError("kernel_sizes needs one entry per conv layer (as many as channels)")
    return params


def feature_shape(input_shape: tuple[int, int, int], params: dict[str, Any]) -> tuple[int, int]:
    """Height and width of the last conv block's output for an ``(H, W, C)`` input.

    Raises ParamsError when the input is too small for the network.
    """
    h, w = input_shape[0], input_shape[1]
    for k in params["kernel_sizes"]:
        if params["padding"] == "valid":
            h, w = h - k + 1, w - k + 1
        h, w = h // params["pool"], w // params["pool"]
        if h < 1 or w < 1:
            raise ParamsError(
                f"input {input_shape[0]}x{input_shape[1]} is too small for "
                f"{len(params['kernel_sizes'])} conv/pool blocks"
            )
    return h, w
