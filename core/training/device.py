"""Where PyTorch trains and predicts: CUDA when one is present, else the CPU.

The setting ``GENRELAB_DEVICE`` (``auto``, ``cpu`` or ``cuda``; see :mod:`core.settings`) picks
it. Keras needs nothing of the kind: TensorFlow places its work on a GPU when it sees one.

Examples
--------
>>> resolve_device("cpu", cuda_available=True)
'cpu'
>>> resolve_device("auto", cuda_available=False)
'cpu'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import settings
from core.errors import ParamsError

if TYPE_CHECKING:
    import torch


def resolve_device(setting: str, *, cuda_available: bool) -> str:
    """``cuda`` or ``cpu`` for a device setting; ParamsError for ``cuda`` without a GPU."""
    if setting == "cuda" and not cuda_available:
        raise ParamsError("GENRELAB_DEVICE is cuda, but PyTorch sees no CUDA device here.")
    if setting not in settings.DEVICES:
        raise ParamsError(f"device must be one of {settings.DEVICES}, not {setting!r}.")
    return "cuda" if setting != "cpu" and cuda_available else "cpu"


def torch_device() -> torch.device:
    """The torch device the setting chooses on this machine."""
    import torch

    available = torch.cuda.is_available()
    return torch.device(resolve_device(settings.current().device, cuda_available=available))
