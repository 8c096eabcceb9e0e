"""Where a run's numbers come from: what it learned from and how, in words, for every figure.

A run's ``config.json`` says what was asked (dataset spec and fingerprint, input, training,
protocol, splitter, library versions); its ``summary.json`` what was found when it trained
(the dataset's name, layout, clip count, typical clip length and sample rate, every fold's
train / valid / test sizes, the fold accuracies). Runs written before some of these were
recorded show what they have.

Examples
--------
>>> from core.runs import RunConfig
>>> from core.runs.config import DatasetRef
>>> settings_summary(RunConfig(dataset=DatasetRef("demo")))
'demo'
>>> accuracy_text({"fold_acc": [0.7, 0.8, 0.75]})
'0.750 ± 0.050 over 3 folds'
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from core.runs import Run, RunConfig


def dataset_name(config: RunConfig, summary: dict | None = None) -> str:
    """The dataset's short name: as recorded at training time, else from its spec."""
    recorded = (summary or {}).get("dataset") or {}
    spec = config.dataset.spec
    return str(recorded.get("name") or (Path(spec).name if spec else "") or spec)


def is_demo(config: RunConfig, summary: dict | None = None) -> bool:
    """Whether the run learned from the synthetic demo dataset."""
    recorded = (summary or {}).get("dataset") or {}
    return recorded.get("layout") == "demo" or config.dataset.spec == "demo"


def settings_summary(config: RunConfig) -> str:
    """The complete settings of a run in one line: dataset, input, training (with protocol)."""
    parts = [Path(config.dataset.spec).name or config.dataset.spec]
    if config.input is not None:
        parts.append(config.input.summary())
    if config.train is not None:
        parts.append(config.train.summary())
    if config.drop_flagged:
        parts.append("flagged clips left out")
    return " · ".join(p for p in parts if p)


def accuracy_text(summary: dict | None) -> str:
    """Cross-validated accuracy as ``mean ± std over k folds`` (sample std), or ``""``."""
    accs = np.asarray((summary or {}).get("fold_acc") or [], dtype=float)
    if not len(accs):
        mean = (summary or {}).get("mean_acc")
        return "" if mean is None else f"{mean:.3f}"
    if len(accs) == 1:
        return f"{accs[0]:.3f} on a single split"
    return f"{accs.mean():.3f} ± {accs.std(ddof=1):.3f} over {len(accs)} folds"


def fold_sizes_text(summary: dict | None) -> str:
    """Clips per fold as ``train/valid/test``, e.g. ``1: 720/80/200; 2: ...``, or ``""``."""
    folds = (summary or {}).get("folds") or []
    return "; ".join(
        f"{i}: {f.get('train', '?')}/{f.get('valid', 0)}/{f.get('test', '?')}"
        for i, f in enumerate(folds, 1)
    )


def provenance(run: Run) -> list[tuple[str, str]]:
    """What ``run`` learned from and how, as ``(what, value)`` rows for a table or a caption.

    Rows without a recorded value are left out; ``accuracy`` is the cross-validated mean ±
    std over the folds.
    """
    config, summary = run.run_config, run.summary or {}
    recorded: dict[str, Any] = summary.get("dataset") or {}
    train = config.train
    clips = summary.get("n_clips")
    if clips is not None and recorded.get("clip_seconds"):
        clips = f"{clips} clips of about {recorded['clip_seconds']:.0f} s"
        if recorded.get("sample_rate"):
            clips += f" at {recorded['sample_rate']} Hz"
    protocol = ""
    if train is not None:
        protocol = f"{train.protocol}, {config.n_folds} fold(s), seed {train.seed}"
        if train.drop_repetitions:
            protocol += ", exact repetitions left out"
    versions = ", ".join(f"{k} {v}" for k, v in config.library_versions.items() if v)
    rows = [
        ("dataset", dataset_name(config, summary)),
        ("layout", "synthetic demo" if is_demo(config, summary) else recorded.get("layout", "")),
        ("clips", "" if clips is None else str(clips)),
        ("fingerprint", recorded.get("fingerprint") or config.dataset.fingerprint),
        ("flagged clips", "left out" if config.drop_flagged else ""),
        ("protocol", protocol),
        ("splitter", config.splitter),
        ("folds (train/valid/test)", fold_sizes_text(summary)),
        ("input", config.input.summary() if config.input is not None else ""),
        ("training", train.summary() if train is not None else ""),
        ("accuracy", accuracy_text(summary)),
        ("versions", versions),
        ("source", config.dataset.spec),
    ]
    return [(what, str(value)) for what, value in rows if value not in ("", None)]


def provenance_frame(run: Run) -> pd.DataFrame:
    """:func:`provenance` as a two-column table (``what``, ``value``)."""
    return pd.DataFrame(provenance(run), columns=["what", "value"])
