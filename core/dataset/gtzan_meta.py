"""GTZAN's published metadata (shipped in the package folder ``core/dataset/gtzan/``, read through
:mod:`importlib.resources`; citations in its SOURCES.md), joined on manifests.

- Sturm's artist/title index (MIRUM 2012),
- the fault-filtered split of Kereliuk, Sturm & Larsen (IEEE TMM 2015),
- a partial fault catalog (exact repetitions, distortions, artist repetitions).
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import pandas as pd

from core.genres import GENRES

#: The shipped metadata files (text only), wherever the package is installed.
GTZAN_META: Traversable = files("core.dataset") / "gtzan"

SPLIT_PARTS: tuple[str, ...] = ("train", "valid", "test")
_TRACK_RE = re.compile(r"^(?P<genre>[a-z]+)\.?(?P<num>\d{5})$")


def track_id_from_name(name: str) -> str | None:
    """GTZAN excerpt name of a file: ``blues.00042.wav`` and ``blues00042.png`` -> ``blues.00042``.

    Returns None for names that are not GTZAN excerpts.
    """
    stem = Path(name).name.split(".wav")[0].split(".au")[0].split(".png")[0]
    match = _TRACK_RE.match(stem.lower())
    if not match or match["genre"] not in GENRES:
        return None
    return f"{match['genre']}.{match['num']}"


@cache
def load_index(meta_dir: Traversable = GTZAN_META) -> pd.DataFrame:
    """Sturm's index: one row per excerpt: ``track_id``, ``artist``, ``title`` ("" if unknown)."""
    rows = []
    for line in (meta_dir / "GTZANindex.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or ":::" not in line:
            continue
        name, artist, title = (part.strip() for part in (line.split(":::") + ["", ""])[:3])
        track = track_id_from_name(name)
        if track:
            rows.append((track, artist, title))
    return pd.DataFrame(rows, columns=["track_id", "artist", "title"]).drop_duplicates("track_id")


@cache
def load_filtered_split(meta_dir: Traversable = GTZAN_META) -> dict[str, str]:
    """The fault-filtered split: ``track_id -> "train" | "valid" | "test"`` (930 excerpts)."""
    split: dict[str, str] = {}
    for part in SPLIT_PARTS:
        for line in (meta_dir / f"{part}_filtered.txt").read_text(encoding="utf-8").split():
            track = track_id_from_name(line)
            if track:
                split[track] = part
    return split


@cache
def load_faults(meta_dir: Traversable = GTZAN_META) -> pd.DataFrame:
    """The fault catalog: ``track_id, fault, related, detail`` (partial, see SOURCES.md)."""
    with (meta_dir / "gtzan_faults.csv").open(encoding="utf-8") as f:
        faults = pd.read_csv(f, dtype=str, keep_default_na=False)
    return faults.rename(columns={"file": "track_id"})


def join_gtzan_metadata(manifest: pd.DataFrame, meta_dir: Traversable = GTZAN_META) -> pd.DataFrame:
    """Add ``artist, title, faults, filtered_split`` to a manifest of GTZAN-named clips."""
    index = load_index(meta_dir).set_index("track_id")
    faults = (
        load_faults(meta_dir).groupby("track_id")["fault"].agg(lambda f: ";".join(sorted(set(f))))
    )
    split = load_filtered_split(meta_dir)
    out = manifest.copy()
    out["artist"] = out["track_id"].map(index["artist"]).fillna("")
    out["title"] = out["track_id"].map(index["title"]).fillna("")
    out["faults"] = out["track_id"].map(faults).fillna("")
    out["filtered_split"] = out["track_id"].map(split).fillna("")
    return out


def exact_repetition_groups(meta_dir: Traversable = GTZAN_META) -> list[list[str]]:
    """Groups of excerpts that the catalog lists as exact repetitions of each other."""
    rows = load_faults(meta_dir)
    rows = rows[rows["fault"] == "exact_repetition"]
    pairs = [
        (track, other or track)  # a clip with no partner listed is a group of its own
        for track, related in zip(rows["track_id"], rows["related"], strict=True)
        for other in related.split(";")
    ]
    return group_repetitions(pd.DataFrame(pairs, columns=["track_a", "track_b"]))


def fault_filtered_excluded(meta_dir: Traversable = GTZAN_META) -> list[str]:
    """The excerpts the fault-filtered split leaves out (70 of GTZAN's 1000)."""
    kept = load_filtered_split(meta_dir)
    return sorted(set(load_index(meta_dir)["track_id"]) - set(kept))


def group_repetitions(pairs: pd.DataFrame) -> list[list[str]]:
    """Join repetition pairs into groups of clips holding the same audio (connected components).

    Groups are sorted, and listed by their first track id.
    """
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(pairs["track_a"], pairs["track_b"], strict=True):
        parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for x in parent:
        groups.setdefault(root(x), []).append(x)
    return sorted(sorted(g) for g in groups.values())
