"""Detector results saved as flags on a dataset, joined onto its manifest as ``detected_faults``.

One CSV per dataset folder in the settings' ``flags_dir`` (``track_id, detected_faults,
related``), written atomically; training can then leave flagged clips out.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pandas as pd

from core import settings
from core.policy import Actor, authorize
from core.storage.atomic import write_text

FLAG_COLUMNS = ["track_id", "detected_faults", "related"]


def flags_path(dataset_root: Path, data_dir: Path | None = None) -> Path:
    """Where the flags of the dataset at ``dataset_root`` are kept (in ``data_dir``, default
    the settings' data folder)."""
    digest = hashlib.sha256(str(Path(dataset_root).resolve()).encode()).hexdigest()[:12]
    config = settings.current()
    if data_dir is not None:
        config = dataclasses.replace(config, data_dir=Path(data_dir))
    return config.flags_dir / f"{Path(dataset_root).name}-{digest}.csv"


def save_flags(
    dataset_root: Path,
    flags: pd.DataFrame,
    data_dir: Path | None = None,
    actor: Actor | None = None,
) -> Path:
    """Save detector flags (``flags_for_manifest`` output) for a dataset; returns the file.

    ``actor`` (None: the local user) must be allowed to write (AccessError for a viewer).
    """
    authorize(actor, "save flags")
    path = flags_path(dataset_root, data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, flags.reindex(columns=FLAG_COLUMNS, fill_value="").to_csv(index=False))
    return path


def load_flags(dataset_root: Path, data_dir: Path | None = None) -> pd.DataFrame | None:
    """The saved flags of a dataset, or None if none were saved."""
    path = flags_path(dataset_root, data_dir)
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def join_flags(manifest: pd.DataFrame, flags: pd.DataFrame | None) -> pd.DataFrame:
    """Add ``detected_faults`` ("" when not flagged or never scanned) to a manifest."""
    out = manifest.copy()
    mapping = (
        flags.set_index("track_id")["detected_faults"]
        if flags is not None
        else pd.Series(dtype=str)
    )
    out["detected_faults"] = out["track_id"].map(mapping).astype(object).fillna("")
    return out
