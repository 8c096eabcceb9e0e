"""A training run end to end: dataset -> inputs -> folds -> models -> the run's files.

``run_config`` builds the config a run is submitted with; ``execute_run`` is what the worker
process calls (see ``core.runs.worker``); ``train_now`` runs a config in this process (the
command line and tests).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.audio.mel import MelParams
from core.dataset import Dataset, discover
from core.dataset.library import resolve
from core.errors import DatasetError, ParamsError
from core.evaluation.metrics import confusion
from core.runs import Run
from core.splits import make_folds, make_splitter
from core.training.config import TrainConfig
from core.training.kfold import run_kfold
from core.training.loop import FoldResult, save_weights

#: How Kaggle spectrogram images are fed (see ``core.dataset.images.load_images``).
IMAGE_INPUTS: dict[str, dict[str, Any]] = {
    "full": {"crop": False},
    "crop": {"crop": True},
    "gray": {"crop": True, "gray": True},
    "gray2": {"crop": True, "gray": True, "freq_step": 2},
}
Emit = Callable[[dict[str, Any]], None]
Stop = Callable[[], bool]


@dataclass
class Inputs:
    """What the models see: ``X`` rows are ``clips`` rows; ``y`` indexes ``labels``."""

    X: np.ndarray
    y: np.ndarray
    clips: pd.DataFrame  # track_id, genre, artist
    labels: list[str]


def run_config(
    dataset: str,
    train: TrainConfig,
    mel: MelParams | None = None,
    image_input: str | None = None,
    fingerprint: str = "",
    drop_flagged: bool = False,
) -> dict[str, Any]:
    """The JSON config of a run: the dataset, its input (mel params or image mode), training.

    ``drop_flagged`` leaves out the clips the fault detectors flagged (see core.dataset.flags).
    """
    if (mel is None) == (image_input is None):
        raise ParamsError("Give either mel parameters or an image input mode, not both.")
    if image_input is not None and image_input not in IMAGE_INPUTS:
        raise ParamsError(f"Image input must be one of {list(IMAGE_INPUTS)}, not {image_input!r}.")
    return {
        "dataset": dataset,
        "dataset_fingerprint": fingerprint,
        "input": {"mel": mel.to_dict()} if mel else {"image": image_input},
        "train": train.to_dict(),
        "splitter": repr(make_splitter(train.protocol, k=train.k, seed=train.seed)),
        "drop_flagged": drop_flagged,
    }


def load_inputs(
    dataset: Dataset, spec: dict[str, Any], emit: Emit, stop: Stop, drop_flagged: bool = False
) -> Inputs:
    """Features of every usable clip: mel arrays from the feature store, or Kaggle images."""
    rows = dataset.usable
    if drop_flagged:
        rows = rows[rows["detected_faults"] == ""].reset_index(drop=True)
        emit({"type": "stage", "stage": f"left out {len(dataset.usable) - len(rows)} flagged"})
    if "image" in spec:
        from core.dataset.images import load_images

        path_col = "path" if dataset.layout == "images" else "image_path"
        if path_col not in rows:
            raise DatasetError("This dataset has no spectrogram images: train on mel input.")
        rows = rows[rows[path_col] != ""].reset_index(drop=True)
        emit({"type": "stage", "stage": f"loading {len(rows)} images"})
        X = load_images(rows[path_col], **IMAGE_INPUTS[spec["image"]])
    else:
        from core.features import compute_features

        rows = rows[rows["kind"] == "audio"].reset_index(drop=True)
        params = MelParams.from_dict(spec["mel"])

        def progress(done: int, total: int) -> None:
            if done == total or done % 25 == 0:
                emit({"type": "features", "done": done, "total": total})

        store = compute_features(rows, params, progress=progress, should_stop=stop)
        rows = rows.set_index("track_id").loc[store.track_ids].reset_index()
        X = np.asarray(store.X)[..., None]  # channels last: (N, S, n_mels, frames, 1)
    labels = [g for g in dataset.genres if g in set(rows["genre"])]
    clips = rows.reindex(columns=["track_id", "genre", "artist"], fill_value="")
    return Inputs(X, rows["genre"].map(labels.index).to_numpy(), clips, labels)


def execute_run(run: Run, on_event: Emit, should_stop: Stop) -> None:
    """Train the run's config over its folds and write weights, histories and metrics."""
    started = time.perf_counter()
    config = run.config
    train = TrainConfig.from_dict(config["train"])
    dataset = discover(resolve(config["dataset"]))
    on_event({"type": "stage", "stage": "preparing inputs"})
    inputs = load_inputs(
        dataset,
        config["input"],
        on_event,
        should_stop,
        drop_flagged=config.get("drop_flagged", False),
    )
    artists = inputs.clips["artist"].to_numpy() if (inputs.clips["artist"] != "").any() else None
    folds = make_folds(
        train.protocol,
        inputs.clips["track_id"],
        inputs.y,
        artists,
        k=train.k,
        seed=train.seed,
        drop_repetitions=train.drop_repetitions,
        val_fraction=train.val_fraction,
    )
    on_event({"type": "stage", "stage": f"training {len(folds)} fold(s)"})
    results = run_kfold(inputs.X, inputs.y, folds, train, on_event, should_stop)
    for result in results:
        _write_fold(run, result, inputs, train)
    accs = np.array([r.test_acc for r in results])
    run.write_summary(
        {
            "mean_acc": float(accs.mean()),
            "std_acc": float(accs.std(ddof=1)) if len(accs) > 1 else 0.0,
            "fold_acc": accs.tolist(),
            "labels": inputs.labels,
            "n_clips": len(inputs.y),
            "input_shape": list(results[0].input_shape),
            "folds": [
                {"train": len(f[0]), "test": len(f[1]), "valid": len(f[2]) if len(f) > 2 else 0}
                for f in folds
            ],
            "seconds": time.perf_counter() - started,
        }
    )


def _write_fold(run: Run, result: FoldResult, inputs: Inputs, train: TrainConfig) -> None:
    i = result.fold
    suffix = ".pt" if train.framework == "torch" else ".keras"
    save_weights(result.model, run.fold_dir(i) / f"model{suffix}")
    run.write_history(i, result.history)
    test = result.test_idx
    true = inputs.y[test]
    predicted = result.test_proba.argmax(axis=1)
    table = pd.DataFrame(
        {
            "track_id": inputs.clips["track_id"].to_numpy()[test],
            "true": [inputs.labels[t] for t in true],
            "predicted": [inputs.labels[p] for p in predicted],
        }
    )
    probs = pd.DataFrame(result.test_proba, columns=inputs.labels)
    run.write_predictions(i, pd.concat([table, probs], axis=1))
    matrix = confusion(table["true"], table["predicted"], inputs.labels)
    run.write_confusion(i, matrix, inputs.labels)


def train_now(
    config: dict[str, Any],
    name: str = "",
    root=None,
    on_event: Emit | None = None,
    should_stop: Stop | None = None,
) -> Run:
    """Create a run and train it in this process (no queue); returns the finished run."""
    from core.runs import RunStatus, create_run

    run = create_run(config, name=name, root=root)
    run.set_status(RunStatus.RUNNING)
    events = on_event or (lambda event: None)

    def emit(event: dict[str, Any]) -> None:
        run.append_event(event)
        events(event)

    try:
        execute_run(run, emit, should_stop or run.cancel_requested)
    except BaseException as exc:
        from core.errors import Cancelled

        status = RunStatus.CANCELLED if isinstance(exc, Cancelled) else RunStatus.FAILED
        run.set_status(status, error=f"{type(exc).__name__}: {exc}")
        raise
    run.set_status(RunStatus.COMPLETED)
    return run
