"""A training run end to end: dataset -> inputs -> folds -> models -> the run's files.

``run_config`` builds the :class:`~core.runs.config.RunConfig` a run is submitted with;
``execute_run`` is what the worker process calls (see ``core.runs.worker``); ``train_now`` runs
a config in this process (the command line and tests).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.audio.mel import MelParams
from core.dataset import Dataset, discover
from core.dataset.library import resolve
from core.errors import DatasetError
from core.runs import DatasetRef, Run, RunConfig, RunError, RunInput
from core.runs.events import Event, FeaturesDone, RunEnded, Stage, event_dict
from core.splits import make_folds, make_splitter
from core.training.config import TrainConfig
from core.training.kfold import complete_folds
from core.training.plan import check_plan, input_rows

Emit = Callable[[Event | dict[str, Any]], None]
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
) -> RunConfig:
    """The config of a training run: the dataset, its input (mel params or image mode), training.

    ``drop_flagged`` leaves out the clips the fault detectors flagged (see core.dataset.flags).
    Raises ParamsError unless exactly one of ``mel`` and ``image_input`` is given.
    """
    return RunConfig(
        dataset=DatasetRef(dataset, fingerprint),
        input=RunInput(mel=mel, image=image_input),
        train=train,
        drop_flagged=drop_flagged,
        splitter=repr(make_splitter(train.protocol, k=train.k, seed=train.seed)),
    )


def load_inputs(
    dataset: Dataset,
    spec: RunInput,
    emit: Emit,
    stop: Stop,
    drop_flagged: bool = False,
    user: str = "",
) -> Inputs:
    """Features of every usable clip: mel arrays from the feature store (built for ``user`` if
    missing), or Kaggle images."""
    rows = input_rows(dataset, spec, drop_flagged)
    if drop_flagged:
        emit(Stage(f"left out {(dataset.usable['detected_faults'] != '').sum()} flagged"))
    if spec.image is not None:
        from core.dataset.images import IMAGE_INPUTS, load_images

        path_col = "path" if dataset.layout == "images" else "image_path"
        if path_col not in rows:
            raise DatasetError("This dataset has no spectrogram images: train on mel input.")
        emit(Stage(f"loading {len(rows)} images"))
        X = load_images(rows[path_col], **IMAGE_INPUTS[spec.image])
    else:
        from core.features import compute_features

        def progress(done: int, total: int) -> None:
            if done == total or done % 25 == 0:
                emit(FeaturesDone(done, total))

        store = compute_features(rows, spec.mel, progress=progress, should_stop=stop, user=user)
        rows = rows.set_index("track_id").loc[store.track_ids].reset_index()
        X = np.asarray(store.X)[..., None]  # channels last: (N, S, n_mels, frames, 1)
    labels = [g for g in dataset.genres if g in set(rows["genre"])]
    clips = rows.reindex(columns=["track_id", "genre", "artist"], fill_value="")
    return Inputs(X, rows["genre"].map(labels.index).to_numpy(), clips, labels)


def execute_run(run: Run, on_event: Emit, should_stop: Stop) -> None:
    """Train the run's config over its folds and write weights, histories and metrics."""
    started = time.perf_counter()
    config = run.run_config
    train = config.train
    if train is None or config.input is None:
        raise RunError(f"Run {run.label!r} has no training settings or input to train on.")
    dataset = discover(resolve(config.dataset.spec))
    check_plan(config, dataset).raise_errors()
    on_event(Stage("preparing inputs"))
    inputs = load_inputs(
        dataset, config.input, on_event, should_stop, config.drop_flagged, run.user
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
    on_event(Stage(f"training {len(folds)} fold(s)"))
    from core.runs.executors import run_folds

    folds_once = complete_folds(folds, inputs.y, train)
    outcomes = run_folds(
        run, inputs.X, inputs.y, inputs.clips, inputs.labels, folds_once, on_event, should_stop
    )
    if run.folds() != list(range(len(folds))):
        raise RunError(f"Run {run.label!r} is missing folds: it has {run.folds()}.")
    accs = np.array([o.test_acc for o in outcomes])
    seconds = time.perf_counter() - started
    run.write_summary(
        {
            "mean_acc": float(accs.mean()),
            "std_acc": float(accs.std(ddof=1)) if len(accs) > 1 else 0.0,
            "fold_acc": accs.tolist(),
            "labels": inputs.labels,
            "n_clips": len(inputs.y),
            "dataset": _dataset_facts(dataset, inputs),
            "input_shape": list(outcomes[0].input_shape),
            "folds": [
                {"train": len(f[0]), "test": len(f[1]), "valid": len(f[2]) if len(f) > 2 else 0}
                for f in folds
            ],
            "seconds": seconds,
        }
    )
    on_event(RunEnded(mean_acc=float(accs.mean()), seconds=seconds))


def _dataset_facts(dataset: Dataset, inputs: Inputs) -> dict[str, Any]:
    """What the run learned from, for its provenance: the dataset's name, layout and
    fingerprint, and the typical length and sample rate of the clips it trained on."""
    used = dataset.usable.set_index("track_id").reindex(inputs.clips["track_id"])
    rates, seconds = used["sample_rate"].dropna(), used["duration"].dropna()
    return {
        "name": "demo" if dataset.layout == "demo" else dataset.name,
        "layout": dataset.layout,
        "fingerprint": dataset.fingerprint,
        "clip_seconds": float(seconds.median()) if len(seconds) else None,
        "sample_rate": int(rates.mode().iloc[0]) if len(rates) else None,
    }


def train_now(
    config: RunConfig | dict[str, Any],
    name: str = "",
    root=None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    should_stop: Stop | None = None,
) -> Run:
    """Create a run and train it in this process (no queue); returns the finished run.

    ``on_event`` sees each progress event as it is written (its JSON dict; read it typed with
    :func:`core.runs.events.parse_event`).
    """
    from core.runs import create_run

    return run_here(create_run(config, name=name, root=root), on_event, should_stop)


def run_here(
    run: Run,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    should_stop: Stop | None = None,
) -> Run:
    """Train the queued run ``run`` in this process, recording how it ended (see
    :func:`train_now`); raises what stopped it."""
    from core.runs import RunStatus

    run.set_status(RunStatus.RUNNING, pid=os.getpid())  # readers see this process alive
    events = on_event or (lambda event: None)

    def emit(event: Event | dict[str, Any]) -> None:
        data = event_dict(event)
        run.append_event(data)
        events(data)

    try:
        execute_run(run, emit, should_stop or run.cancel_requested)
    except BaseException as exc:
        from core.errors import Cancelled

        status = RunStatus.CANCELLED if isinstance(exc, Cancelled) else RunStatus.FAILED
        run.set_status(status, error=f"{type(exc).__name__}: {exc}")
        raise
    run.set_status(RunStatus.COMPLETED)
    return run
