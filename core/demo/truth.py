"""The ground truth of a demo dataset, ``demo_meta.csv``: its one writer and its one reader."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from core import settings
from core.errors import DatasetError

META_NAME = "demo_meta.csv"
META_COLUMNS = ("track_id", "genre_label", "true_genre", "artist", "fault", "related", "detail")
FAULT_KINDS = ("exact_repetition", "mislabel", "clipping", "dropout")


def write_demo_truth(path: Path, rows: Iterable[Sequence[str]]) -> None:
    """Write ``demo_meta.csv``: one row of ``META_COLUMNS`` values per clip."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(META_COLUMNS)
        writer.writerows(rows)


def demo_folder(dest: Path | None = None) -> Path:
    """``dest`` in full, or the settings' ``demo_dir`` when it is None."""
    return Path(dest).expanduser().resolve() if dest is not None else settings.current().demo_dir


def load_demo_truth(dest: Path | None = None) -> pd.DataFrame:
    """The ground truth of a demo dataset (``demo_meta.csv``) as a DataFrame of strings.

    Columns: track_id, genre_label (the genre folder it is filed under), true_genre (what the
    audio is), artist, fault ('' or one of ``FAULT_KINDS``), related (';'-joined track ids of the
    other clips involved), detail (a sentence with the exact numbers).
    """
    path = demo_folder(dest) / META_NAME
    if not path.is_file():
        raise DatasetError(f"{path.parent} is not a demo dataset: {META_NAME} is missing.")
    try:
        truth = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, OSError) as exc:
        raise DatasetError(f"{path} cannot be read ({exc}).") from exc
    if tuple(truth.columns) != META_COLUMNS:
        raise DatasetError(f"{path} does not have the columns {', '.join(META_COLUMNS)}.")
    return truth
