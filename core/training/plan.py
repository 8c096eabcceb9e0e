"""Check a training run before it starts: the folds it will make, and what is wrong with them.

:func:`check_plan` builds the run's folds from the dataset's manifest (no features needed, so it
takes a fraction of a second) and says what would make the run fail or mislead: a protocol
that needs GTZAN's excerpts on another dataset, a class too small for k folds (errors), or
validation parts too small to choose an epoch by (warnings). The Train page, the command line
and the worker (:func:`core.runs.kinds.train.execute_run`) all ask it.

Examples
--------
>>> import pandas as pd
>>> from pathlib import Path
>>> from core.dataset import Dataset
>>> from core.runs.config import RunConfig, RunInput
>>> from core.audio.mel import PRESETS
>>> from core.training.config import preset
>>> rows = pd.DataFrame({"track_id": [f"{g}.{i:05d}" for g in ("a", "b") for i in range(6)],
...                      "genre": ["a"] * 6 + ["b"] * 6, "kind": "audio", "readable": True,
...                      "path": "", "detected_faults": ""})
>>> demo = Dataset(Path("demo"), "demo", rows)
>>> config = RunConfig(input=RunInput(mel=PRESETS["fast"]),
...                    train=preset("paper", "torch", k=3, val_fraction=0.1))
>>> plan = check_plan(config, demo)
>>> [f["valid"] for f in plan.folds], plan.errors
([1, 1, 1], [])
>>> plan.warnings[0][:60]
'Validation parts of 1 clip (fewer than 10, fewer than one pe'
>>> filtered = config.replace(train=config.train.replace(protocol="filtered"))
>>> check_plan(filtered, demo).errors[0][:47]
'The fault-filtered protocol is defined on GTZAN'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from core.errors import ParamsError

if TYPE_CHECKING:
    from core.dataset import Dataset
    from core.runs.config import RunConfig, RunInput

#: Dataset layouts whose clips are GTZAN's excerpts (the fault-filtered split and Sturm's exact
#: repetitions are defined on them).
GTZAN_LAYOUTS = ("gtzan", "kaggle", "images")
#: A validation part smaller than this many clips cannot tell epochs apart.
MIN_VALID_CLIPS = 10


@dataclass(frozen=True)
class Plan:
    """The folds a run will make (``train``/``valid``/``test`` clips each), and its problems.

    ``errors`` stop the run; ``warnings`` are shown and the run may go ahead.
    """

    n_clips: int
    folds: list[dict[str, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def raise_errors(self) -> Plan:
        """The plan itself, or ParamsError with its errors."""
        if self.errors:
            raise ParamsError(" ".join(self.errors))
        return self


def input_rows(dataset: Dataset, spec: RunInput, drop_flagged: bool = False) -> pd.DataFrame:
    """The manifest rows a run trains on: usable clips (not the flagged ones when
    ``drop_flagged``), with an image for image input, audio for mel input."""
    rows = dataset.usable
    if drop_flagged:
        rows = rows[rows["detected_faults"] == ""]
    if spec.image is not None:
        column = "path" if dataset.layout == "images" else "image_path"
        if column not in rows:
            return rows.iloc[:0].reset_index(drop=True)
        return rows[rows[column] != ""].reset_index(drop=True)
    return rows[rows["kind"] == "audio"].reset_index(drop=True)


def check_plan(config: RunConfig, dataset: Dataset) -> Plan:
    """The folds ``config`` will make on ``dataset``, with errors and warnings (see module)."""
    from core.splits import make_folds

    train = config.train
    if train is None or config.input is None:
        return Plan(0, errors=["This is not a training run: it has no input or training."])
    rows = input_rows(dataset, config.input, config.drop_flagged)
    errors, warnings = [], []
    not_gtzan = dataset.layout not in GTZAN_LAYOUTS
    if train.protocol == "filtered" and not_gtzan:
        errors.append(
            "The fault-filtered protocol is defined on GTZAN excerpts (Kereliuk, Sturm & "
            f"Larsen); this dataset ({dataset.layout} layout) is not GTZAN, so it would pick "
            "arbitrary clips. Choose stratified or artist."
        )
    if train.drop_repetitions and not_gtzan:
        warnings.append(
            "Leaving out exact repetitions uses Sturm's list of GTZAN excerpts; on this "
            f"dataset ({dataset.layout} layout) it leaves out arbitrary clips or none."
        )
    if rows.empty:
        errors.append(
            "No clip of this dataset fits the chosen input"
            + (" (image input needs spectrogram images)." if config.input.image else ".")
        )
    if errors:
        return Plan(len(rows), errors=errors, warnings=warnings)
    artists = rows["artist"] if "artist" in rows and (rows["artist"] != "").any() else None
    try:
        folds = make_folds(
            train.protocol,
            rows["track_id"],
            rows["genre"],
            artists,
            k=train.k,
            seed=train.seed,
            drop_repetitions=train.drop_repetitions,
            val_fraction=train.val_fraction,
        )
    except ParamsError as exc:
        return Plan(len(rows), errors=[f"The {train.protocol} protocol cannot split: {exc}."])
    sizes = [
        {"train": len(f[0]), "valid": len(f[2]) if len(f) > 2 else 0, "test": len(f[1])}
        for f in folds
    ]
    warnings += _valid_warnings(sizes, rows["genre"].nunique(), train.patience)
    return Plan(len(rows), sizes, errors, warnings)


def _valid_warnings(sizes: list[dict[str, int]], n_classes: int, patience: int) -> list[str]:
    valid = [s["valid"] for s in sizes if s["valid"]]
    if not valid or min(valid) >= max(MIN_VALID_CLIPS, n_classes):
        return []
    smallest = min(valid)
    why = [f"fewer than {MIN_VALID_CLIPS}"] if smallest < MIN_VALID_CLIPS else []
    if smallest < n_classes:
        why.append("fewer than one per class")
    use = "early stopping picks epochs" if patience else "the validation curves are"
    return [
        f"Validation parts of {smallest} clip{'s' * (smallest != 1)} ({', '.join(why)}): "
        f"{use} on noise. Raise val_fraction, lower k, or set val_fraction to 0."
    ]
