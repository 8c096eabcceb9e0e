"""A run checked as a whole, on import and on load: nothing in a run folder is trusted.

- **Bounded reads**: every JSON or CSV file is measured before it is parsed
  (:data:`MAX_BYTES`), so a 1 GB ``history.json`` costs nothing.
- **Config** (:func:`check_config`, also when a job is submitted): the architecture within
  :data:`MODEL_LIMITS` and at most :data:`MAX_MODEL_PARAMETERS` weights for its input; mel
  settings within :func:`core.audio.cost.check_cost` (checked as the config is parsed: hop
  length, FFT size and mels set the cost of every prediction).
- **Summary** (:func:`check_summary`): ``mean_acc`` a number in [0, 1], ``labels`` a list of
  distinct strings, and, where present, ``fold_acc``, ``input_shape`` and ``folds`` typed.
- **Fold files**: history a list of per-epoch records (no more than the epochs trained),
  predictions a complete CSV (ends with a newline, no missing value, as many rows as the fold
  tested), torch weights loaded with ``weights_only=True`` and shaped like the model the config
  builds.

:func:`damage` runs the checks that are cheap (config and summary) when a run is listed; a run
that fails is shown failed with the reason. Fold files are checked where they are read
(:meth:`~core.runs.registry.Run.read_history`, ``read_predictions``, and the weights before a
first prediction), and all of them on import (:func:`check_run`). Every failure is a
:class:`RunDamaged` error.

Examples
--------
>>> check_summary({"mean_acc": 0.8, "labels": ["jazz", "rock"]})
>>> check_summary({"mean_acc": "abc", "labels": ["jazz"]})
Traceback (most recent call last):
...
core.runs.validate.RunDamaged: summary.json: mean_acc must be a number in [0, 1], got 'abc'.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import GenreLabError, ParamsError, RunError
from core.runs import files
from core.runs.config import RunConfig

if TYPE_CHECKING:
    import pandas as pd

#: Largest size in bytes of each file, checked before it is parsed.
MAX_BYTES: dict[str, int] = {
    files.CONFIG: 256 * 2**10,
    files.META: 64 * 2**10,
    files.STATUS: 64 * 2**10,
    files.SUMMARY: 1 * 2**20,
    files.HISTORY: 4 * 2**20,
    files.CONFUSION: 4 * 2**20,
    files.PREDICTIONS: 64 * 2**20,
}
#: Bounds of an architecture a run may declare (far beyond both presets; a run outside them
#: would cost gigabytes to rebuild).
MODEL_LIMITS: dict[str, int] = {"layers": 8, "channels": 1024, "kernel_size": 15, "pool": 8}
#: Most weights one fold model may have (recommended: ~0.1 M; paper on 128 mels: ~4 M).
MAX_MODEL_PARAMETERS = 50_000_000
#: Most labels and the longest label.
MAX_LABELS, MAX_LABEL_CHARS = 1000, 200
#: Largest input side (frames, mels or pixels) and most input channels.
MAX_INPUT_SIDE, MAX_INPUT_CHANNELS = 100_000, 4


class RunDamaged(RunError):
    """A run's files are malformed, inconsistent, or declare something out of bounds."""


# ---- bounded reads -------------------------------------------------------------------------------


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of ``path``, refused (RunDamaged) beyond ``limit`` (default by its name)."""
    limit = MAX_BYTES.get(path.name, 1 * 2**20) if limit is None else limit
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise RunDamaged(f"{path.name} is larger than {limit // 2**10} KiB: it is not read.")
    return data


def read_json(path: Path, kind: type = object) -> Any:
    """``path`` parsed as JSON of type ``kind``, read within its size limit."""
    try:
        data = json.loads(read_bytes(path))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RunDamaged(f"{path.name} is not valid JSON ({type(exc).__name__}: {exc}).") from exc
    if not isinstance(data, kind):
        raise RunDamaged(f"{path.name} should hold a JSON {kind.__name__}.")
    return data


# ---- config and summary --------------------------------------------------------------------------


def _number(value: Any, low: float = -math.inf, high: float = math.inf) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and low <= value <= high
    )


def _count(value: Any, low: int = 0, high: int = 2**31) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def check_config(config: RunConfig, input_shape: Any = None, n_classes: int = 10) -> None:
    """ParamsError unless a training run's architecture is within bounds (with
    ``input_shape``, ``(H, W, C)``, its weight count for ``n_classes`` too). Checked when a job
    is submitted, and on every load of a run; mel settings are checked as MelParams are made."""
    train = config.train
    if train is None:
        return
    params = train.resolved_model_params()
    limits = MODEL_LIMITS
    if len(params["channels"]) > limits["layers"]:
        raise ParamsError(f"{len(params['channels'])} conv layers, more than {limits['layers']}.")
    for name, values in (("channels", params["channels"]), ("kernel_size", params["kernel_sizes"])):
        if max(values) > limits[name]:
            raise ParamsError(f"{name} up to {max(values)}, above {limits[name]}.")
    if params["pool"] > limits["pool"]:
        raise ParamsError(f"pool {params['pool']} is above {limits['pool']}.")
    if input_shape is not None:
        n = model_parameters(tuple(input_shape), params, n_classes)
        if n > MAX_MODEL_PARAMETERS:
            raise ParamsError(
                f"the model would have {n:,} weights for input {input_shape}, "
                f"above {MAX_MODEL_PARAMETERS:,}."
            )


def model_parameters(
    input_shape: tuple[int, int, int], params: Mapping[str, Any], n_classes: int
) -> int:
    """An upper bound of the weights of the CNN of ``params`` (see :mod:`core.models`) for
    ``(H, W, C)`` inputs, computed without building it.

    >>> from core.models import model_params
    >>> model_parameters((64, 128, 1), model_params("recommended"), 10)
    98954
    """
    from core.models import feature_shape

    total, before = 0, input_shape[2]
    for out, k in zip(params["channels"], params["kernel_sizes"], strict=True):
        total += before * out * k * k + out + (4 * out if params["batch_norm"] else 0)
        before = out
    try:
        h, w = feature_shape(input_shape, dict(params))
    except ParamsError as exc:
        raise ParamsError(f"the model does not fit its input: {exc}") from exc
    width = {"flatten": h * w, "gap": 1, "time_gap": h}[params["head"]] * before
    return total + width * n_classes + n_classes + 2 * input_shape[2]


def check_summary(summary: Any, n_folds: int | None = None) -> None:
    """RunDamaged unless ``summary`` (a ``summary.json``) has the types a completed training
    run needs (see the module's docstring); ``n_folds``: how many folds the protocol makes."""
    where = "summary.json"
    if not isinstance(summary, dict):
        raise RunDamaged(f"{where} should hold a JSON object.")
    if not _number(summary.get("mean_acc"), 0.0, 1.0):
        raise RunDamaged(
            f"{where}: mean_acc must be a number in [0, 1], got {summary.get('mean_acc')!r}."
        )
    if "std_acc" in summary and not _number(summary["std_acc"], 0.0, 1.0):
        raise RunDamaged(f"{where}: std_acc must be a number in [0, 1].")
    labels = summary.get("labels")
    if (
        not isinstance(labels, list)
        or not 0 < len(labels) <= MAX_LABELS
        or not all(isinstance(x, str) and 0 < len(x) <= MAX_LABEL_CHARS for x in labels)
        or len(set(labels)) != len(labels)
    ):
        raise RunDamaged(f"{where}: labels must be a list of distinct, non-empty strings.")
    folds = summary.get("fold_acc")
    if folds is not None and not (
        isinstance(folds, list) and all(_number(a, 0.0, 1.0) for a in folds)
    ):
        raise RunDamaged(f"{where}: fold_acc must be a list of numbers in [0, 1].")
    shape = summary.get("input_shape")
    if shape is not None and not (
        isinstance(shape, list)
        and len(shape) == 3
        and all(_count(s, 1, MAX_INPUT_SIDE) for s in shape[:2])
        and _count(shape[2], 1, MAX_INPUT_CHANNELS)
    ):
        raise RunDamaged(f"{where}: input_shape must be [height, width, channels].")
    sizes = summary.get("folds")
    if sizes is not None:
        if not isinstance(sizes, list) or not all(
            isinstance(f, dict) and all(_count(f.get(k, 0)) for k in ("train", "test", "valid"))
            for f in sizes
        ):
            raise RunDamaged(f"{where}: folds must list the train, test and valid sizes.")
        if n_folds is not None and len(sizes) != n_folds:
            raise RunDamaged(f"{where}: {len(sizes)} fold sizes for {n_folds} folds.")


def damage(config: Mapping[str, Any], summary: Any) -> str | None:
    """Why a completed run's config and summary are unusable, or None (the cheap checks of
    loading a run)."""
    try:
        run_config = RunConfig.from_dict(config)
        if run_config.train is None:
            return None
        check_summary(summary, run_config.n_folds)
        check_config(run_config, summary.get("input_shape"), len(summary["labels"]))
    except RunDamaged as exc:
        return str(exc)
    except (GenreLabError, TypeError, ValueError, KeyError) as exc:
        return f"config.json: {exc}"
    return None


# ---- fold files ----------------------------------------------------------------------------------


def read_history(path: Path, max_epochs: int | None = None) -> list[dict]:
    """A fold's ``history.json``: a list of per-epoch dicts of numbers (or null)."""
    history = read_json(path, list)
    if max_epochs is not None and len(history) > max_epochs:
        raise RunDamaged(f"{path.name} has {len(history)} epochs, more than the {max_epochs} run.")
    for record in history:
        if not isinstance(record, dict) or not all(
            isinstance(k, str) and (v is None or _number(v)) for k, v in record.items()
        ):
            raise RunDamaged(f"{path.name} should list one object of numbers per epoch.")
    return history


def read_predictions(path: Path, n_rows: int | None = None) -> pd.DataFrame:
    """A fold's ``predictions.csv``, complete: a final newline, the ``track_id`` and ``true``
    columns, no missing value, and ``n_rows`` rows when the fold's test size is known."""
    import io

    import pandas as pd

    data = read_bytes(path)
    if not data.endswith(b"\n"):
        raise RunDamaged(f"{path.name} is truncated (it does not end with a complete line).")
    try:
        table = pd.read_csv(
            io.BytesIO(data), dtype={"track_id": str, "true": str, "predicted": str}
        )
    except ValueError as exc:  # parser errors and undecodable bytes included
        raise RunDamaged(f"{path.name} is not a readable CSV table ({exc}).") from exc
    if not {"track_id", "true"} <= set(table.columns):
        raise RunDamaged(f"{path.name} lacks the track_id and true columns.")
    if table.isna().any().any():
        raise RunDamaged(f"{path.name} has missing values: it is truncated or damaged.")
    if n_rows is not None and len(table) != n_rows:
        raise RunDamaged(f"{path.name} has {len(table)} rows, but the fold tested {n_rows} clips.")
    return table


def check_torch_weights(
    path: Path, config: RunConfig, input_shape: Any, n_classes: int
) -> dict[str, Any]:
    """The state dict of ``path``, loaded with ``weights_only=True`` (no pickled objects), with
    exactly the tensor names and shapes of the model ``config`` builds for ``input_shape``."""
    import torch

    limit = 4 * MAX_MODEL_PARAMETERS + 2**20
    if path.stat().st_size > limit:
        raise RunDamaged(f"{path.name} is larger than any model a run may declare.")
    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # the unpickler refuses anything but tensors and plain data
        raise RunDamaged(
            f"{path.name} is not a plain PyTorch state dict: it may be truncated or hold pickled "
            f"objects, which are never loaded ({type(exc).__name__})."
        ) from exc
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise RunDamaged(f"{path.name} is not a state dict of tensors.")
    if config.train is None or input_shape is None:
        raise RunDamaged(
            f"{path.name} cannot be checked: the run records no training settings or input shape."
        )
    try:
        check_config(config, input_shape, n_classes)
    except ParamsError as exc:
        raise RunDamaged(f"config.json: {exc}") from exc
    from core.models.torch_cnn import build_torch_model

    model = build_torch_model(tuple(input_shape), n_classes, config.train.resolved_model_params())
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if found != expected:
        wrong = sorted(set(found) ^ set(expected)) or sorted(
            k for k in expected if found[k] != expected[k]
        )
        raise RunDamaged(
            f"{path.name} does not fit the architecture in config.json ({', '.join(wrong[:3])})."
        )
    return state


def check_run(folder: Path) -> None:
    """Every check of the module on a completed training run's folder (the import's)."""
    config = RunConfig.from_dict(read_json(folder / files.CONFIG, dict))
    summary = read_json(folder / files.SUMMARY, dict)
    reason = damage(config.to_dict(), summary)
    if reason:
        raise RunDamaged(reason)
    train, labels = config.train, summary["labels"]
    sizes = summary.get("folds") or []
    for fold in sorted(p for p in folder.iterdir() if files.FOLD_RE.fullmatch(p.name)):
        i = int(fold.name.removeprefix(files.FOLD_PREFIX))
        try:
            if (fold / files.HISTORY).is_file():
                read_history(fold / files.HISTORY, train.epochs)
            if (fold / files.PREDICTIONS).is_file():
                n_rows = sizes[i].get("test") if i < len(sizes) else None
                read_predictions(fold / files.PREDICTIONS, n_rows)
            if (fold / files.CONFUSION).is_file():
                confusion = read_json(fold / files.CONFUSION, dict)
                if not {"matrix", "labels"} <= set(confusion):
                    raise RunDamaged(f"{files.CONFUSION} lacks its matrix or labels.")
            model = fold / files.MODEL_FILES["torch"]
            if train.framework == "torch" and model.is_file():
                check_torch_weights(model, config, summary.get("input_shape"), len(labels))
        except RunDamaged as exc:
            raise RunDamaged(f"{fold.name}/{exc}") from exc
