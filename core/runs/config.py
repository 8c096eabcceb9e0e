"""``RunConfig``: a run's typed config, saved as its ``config.json``.

A run is one job of a ``kind``. A training run (``kind="train"``) records everything needed to
reproduce and explain it: the dataset's identity, its input (mel parameters or a Kaggle image
mode), the :class:`~core.training.config.TrainConfig` (which holds the protocol, ``k``, the seed
and ``drop_repetitions``), whether flagged clips were left out, the split protocol object's
repr (``splitter``), the executor that runs it and the library versions. Other kinds of long
work (``scan``, ``features``, ``demo``, ``experiment``) are jobs of the same shape: a
``RunConfig`` of that kind whose ``params`` dict is the job's own payload (``train`` and
``input`` may stay None), run by the ``executor`` the job names. Only training runs appear in
the runs tables (Compare, Predict); the others are shown as jobs.

``to_dict`` writes the JSON layout of earlier versions (``dataset``, ``dataset_fingerprint``,
``input``, ``train``, ``drop_flagged``...), so ``from_dict`` reads every ``config.json``
written so far, including the earlier ``train.model`` key for the architecture. Keys it does
not know are kept in ``params``.

Examples
--------
>>> from core.audio.mel import PRESETS
>>> from core.training.config import preset
>>> config = RunConfig(
...     dataset=DatasetRef("demo", "f00d"),
...     input=RunInput(mel=PRESETS["fast"]),
...     train=preset("paper", "torch", k=3),
... )
>>> copy = RunConfig.from_dict(config.to_dict())
>>> copy == config, copy.kind, copy.train.k, copy.input.mel.n_mels
(True, 'train', 3, 64)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.errors import ParamsError

if TYPE_CHECKING:
    from core.audio.mel import MelParams
    from core.training.config import TrainConfig

#: The function a run's worker calls unless its config names another one.
DEFAULT_EXECUTOR = "core.runs.kinds.train:execute_run"
#: Executors under the names older runs stored (before training moved into ``core.runs.kinds``).
RENAMED_EXECUTORS = {"core.training.execute:execute_run": DEFAULT_EXECUTOR}
#: Kinds of jobs: training runs, and the other long work that goes through the job queue.
KINDS: tuple[str, ...] = ("train", "scan", "features", "demo", "experiment", "sweep")


@dataclass(frozen=True)
class DatasetRef:
    """Which dataset a run used: the spec it was opened with and its files' fingerprint."""

    spec: str = ""
    fingerprint: str = ""


@dataclass(frozen=True)
class RunInput:
    """What the models see: mel spectrograms (``mel``) or Kaggle images (``image`` mode)."""

    mel: MelParams | None = None
    image: str | None = None

    def __post_init__(self) -> None:
        if (self.mel is None) == (self.image is None):
            raise ParamsError("Give either mel parameters or an image input mode, not both.")
        from core.dataset.images import IMAGE_INPUTS

        if self.image is not None and self.image not in IMAGE_INPUTS:
            raise ParamsError(
                f"Image input must be one of {list(IMAGE_INPUTS)}, not {self.image!r}."
            )

    def to_dict(self) -> dict[str, Any]:
        """``{"mel": {...}}`` or ``{"image": mode}``."""
        return {"mel": self.mel.to_dict()} if self.mel is not None else {"image": self.image}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunInput:
        """Inverse of :meth:`to_dict`."""
        from core.audio.mel import MelParams

        if "image" in data:
            return cls(image=data["image"])
        if not isinstance(data.get("mel"), Mapping):
            raise ParamsError("A run's input needs mel parameters or an image mode.")
        return cls(mel=MelParams.from_dict(data["mel"]))

    def summary(self) -> str:
        """One line: ``mel: <settings>`` or ``images (<mode>)``."""
        return f"images ({self.image})" if self.mel is None else "mel: " + self.mel.summary()


@dataclass(frozen=True)
class RunConfig:
    """A run's config (see the module's docstring); frozen, built once and saved."""

    dataset: DatasetRef = DatasetRef()
    input: RunInput | None = None
    train: TrainConfig | None = None
    drop_flagged: bool = False
    splitter: str = ""
    kind: str = "train"
    executor: str = DEFAULT_EXECUTOR
    params: dict[str, Any] = field(default_factory=dict)
    library_versions: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ParamsError(f"kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def n_folds(self) -> int | None:
        """How many folds the protocol makes (1 for the fault-filtered split), or None."""
        if self.train is None:
            return None
        return 1 if self.train.protocol == "filtered" else self.train.k

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``config.json``."""
        return {
            "kind": self.kind,
            "library_versions": dict(self.library_versions),
            "dataset": self.dataset.spec,
            "dataset_fingerprint": self.dataset.fingerprint,
            "input": None if self.input is None else self.input.to_dict(),
            "train": None if self.train is None else self.train.to_dict(),
            "drop_flagged": self.drop_flagged,
            "splitter": self.splitter,
            "executor": self.executor,
            "params": dict(self.params),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunConfig:
        """Read a ``config.json`` of any version; raises ParamsError for invalid settings."""
        rest = dict(data)
        train, spec = rest.pop("train", None), rest.pop("input", None)
        return cls(
            dataset=DatasetRef(
                str(rest.pop("dataset", "") or ""), str(rest.pop("dataset_fingerprint", "") or "")
            ),
            input=None if spec is None else RunInput.from_dict(spec),
            train=None if train is None else _train_config(train),
            drop_flagged=bool(rest.pop("drop_flagged", False)),
            splitter=str(rest.pop("splitter", "") or ""),
            kind=rest.pop("kind", "train"),
            executor=_current_name(rest.pop("executor", DEFAULT_EXECUTOR)),
            library_versions=dict(rest.pop("library_versions", None) or {}),
            params={**(rest.pop("params", None) or {}), **rest},
        )

    @classmethod
    def coerce(cls, config: RunConfig | Mapping[str, Any]) -> RunConfig:
        """``config`` itself, or read from its JSON dict."""
        return config if isinstance(config, RunConfig) else cls.from_dict(config)

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def _train_config(data: Mapping[str, Any]) -> TrainConfig:
    """A TrainConfig from its dict (``TrainConfig.from_dict`` reads the architecture under
    either of its names)."""
    from core.training.config import TrainConfig

    if not isinstance(data, Mapping):
        raise ParamsError(f"A run's training settings must be a mapping, not {data!r}.")
    return TrainConfig.from_dict(dict(data))


def _current_name(executor: str) -> str:
    """An executor's name today (older runs may store one it had before)."""
    return RENAMED_EXECUTORS.get(executor, executor)
