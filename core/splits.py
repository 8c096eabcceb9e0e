"""Evaluation protocols: folds over clip rows, sklearn style, deterministic from a seed.

Every strategy returns a list of folds ``(train_idx, test_idx)`` or ``(train_idx, test_idx,
valid_idx)``: sorted int64 arrays of row positions in the caller's clip table. Inputs are plain
arrays (track ids, labels, artists), so any manifest works. Validation rows for early stopping are
always carved out of a fold's training part, never its test part.

Protocols (``PROTOCOLS``):

- ``stratified``: stratified k-fold over clips.
- ``artist``: stratified k-fold with artists as groups (Sturm's index); no artist is in both train
  and test; clips of unknown artist are groups of their own.
- ``filtered``: the fault-filtered train/valid/test split (Kereliuk, Sturm & Larsen 2015); one
  fold; clips outside the split are left out.

``drop_repetitions=True`` removes GTZAN's exact repetitions (the listed copies) from every part.
Segment training keeps these clip-level folds (``segment_rows``); ``leaky_segment_folds`` exists
only to demonstrate the optimism of splitting segments of the same clip across train and test.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.errors import ParamsError

PROTOCOLS: tuple[str, ...] = ("stratified", "artist", "filtered")
Fold = tuple[np.ndarray, ...]


def exact_repetitions() -> frozenset[str]:
    """Track ids GTZAN's fault catalog marks as exact repetitions (the copies to drop)."""
    from core.dataset.gtzan_meta import load_faults

    faults = load_faults()
    return frozenset(faults.loc[faults["fault"] == "exact_repetition", "track_id"])


def artists_of(track_ids: Sequence[str]) -> np.ndarray:
    """Artist of each track id from Sturm's index ("" when unknown or not a GTZAN excerpt)."""
    from core.dataset.gtzan_meta import load_index

    index = load_index().set_index("track_id")["artist"]
    return pd.Series(list(track_ids), dtype=object).map(index).fillna("").to_numpy(dtype=object)


def artist_groups(artists: Sequence[str]) -> np.ndarray:
    """Integer group per clip: one per artist name, and one per clip of unknown artist ("")."""
    names = pd.Series(list(artists), dtype=object).fillna("").astype(str).str.strip()
    codes = pd.factorize(names)[0].astype(np.int64)
    unknown = (names == "").to_numpy()
    codes[unknown] = codes.max(initial=0) + 1 + np.arange(unknown.sum())
    return codes


def make_folds(
    protocol: str,
    track_ids: Sequence[str],
    labels: Sequence,
    artists: Sequence[str] | None = None,
    *,
    k: int = 5,
    seed: int = 0,
    drop_repetitions: bool = False,
    val_fraction: float = 0.0,
) -> list[Fold]:
    """Folds of one protocol over clip rows.

    Parameters
    ----------
    protocol : one of ``PROTOCOLS``.
    track_ids : GTZAN-style ids (``blues.00042``), used by ``filtered`` and ``drop_repetitions``.
    labels : class of each clip (any hashable values).
    artists : artist of each clip for ``artist`` ("" = unknown); looked up in Sturm's index
        from ``track_ids`` when None.
    k : number of folds (ignored by ``filtered``, which has one).
    seed : the only source of randomness: the same inputs and seed give the same folds.
    drop_repetitions : leave GTZAN's exact repetitions out of every part.
    val_fraction : when > 0, each fold also gets ``valid_idx`` carved out of its training part
        (group-aware for ``artist``); ``filtered`` always has its own valid part.

    Examples
    --------
    >>> ids = [f"{genre}.{i:05d}" for genre in ("blues", "rock") for i in range(6)]
    >>> labels = [track.split(".")[0] for track in ids]
    >>> folds = make_folds("stratified", ids, labels, k=3, seed=0)
    >>> [(len(train), len(test)) for train, test in folds]
    [(8, 4), (8, 4), (8, 4)]
    >>> artists = ["ann", "ann", "bob", "bob", "cy", "cy"] * 2
    >>> folds = make_folds("artist", ids, labels, artists, k=3, seed=0)
    >>> [sorted({artists[i] for i in test}) for train, test in folds]  # one fold per artist
    [['cy'], ['bob'], ['ann']]
    """
    ids = np.asarray(list(track_ids), dtype=object)
    y = np.asarray(labels)
    if len(ids) != len(y):
        raise ParamsError(f"{len(ids)} track ids but {len(y)} labels")
    keep = np.ones(len(ids), dtype=bool)
    if drop_repetitions:
        keep &= ~np.isin(ids, list(exact_repetitions()))
    if protocol == "stratified":
        return stratified_folds(y, k=k, seed=seed, keep=keep, val_fraction=val_fraction)
    if protocol == "artist":
        artists = artists_of(ids) if artists is None else artists
        groups = artist_groups(artists)
        return grouped_folds(y, groups, k=k, seed=seed, keep=keep, val_fraction=val_fraction)
    if protocol == "filtered":
        return filtered_folds(ids, keep=keep)
    raise ParamsError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")


def stratified_folds(
    labels: Sequence,
    *,
    k: int = 5,
    seed: int = 0,
    keep: np.ndarray | None = None,
    val_fraction: float = 0.0,
) -> list[Fold]:
    """Stratified k-fold over the rows where ``keep`` is true (all rows by default)."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels)
    rows = _kept_rows(len(y), keep)
    _check_k(k, y[rows])
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    folds = [(rows[tr], rows[te]) for tr, te in splitter.split(rows, y[rows])]
    return _with_validation(folds, y, None, val_fraction, seed)


def grouped_folds(
    labels: Sequence,
    groups: Sequence[int],
    *,
    k: int = 5,
    seed: int = 0,
    keep: np.ndarray | None = None,
    val_fraction: float = 0.0,
) -> list[Fold]:
    """Stratified group k-fold: no group has rows in both the train and test part of a fold."""
    from sklearn.model_selection import StratifiedGroupKFold

    y, g = np.asarray(labels), np.asarray(groups)
    rows = _kept_rows(len(y), keep)
    _check_k(k, y[rows])
    if len(np.unique(g[rows])) < k:
        raise ParamsError(f"only {len(np.unique(g[rows]))} artists/groups for {k} folds")
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    folds = [(rows[tr], rows[te]) for tr, te in splitter.split(rows, y[rows], g[rows])]
    return _with_validation(folds, y, g, val_fraction, seed)


def filtered_folds(track_ids: Sequence[str], *, keep: np.ndarray | None = None) -> list[Fold]:
    """The fault-filtered split as one fold ``(train, test, valid)``; other clips are left out."""
    from core.dataset.gtzan_meta import load_filtered_split

    split = load_filtered_split()
    ids = list(track_ids)
    parts = np.array([split.get(t, "") for t in ids], dtype=object)
    rows = _kept_rows(len(ids), keep)
    fold = tuple(rows[parts[rows] == part] for part in ("train", "test", "valid"))
    if min(len(p) for p in fold) == 0:
        raise ParamsError(
            "the fault-filtered split needs GTZAN excerpts named like blues.00042 "
            f"({sum(len(p) for p in fold)} of {len(ids)} clips are in it)"
        )
    return [fold]


def validation_split(
    train_idx: np.ndarray,
    labels: Sequence,
    groups: Sequence[int] | None = None,
    *,
    fraction: float = 0.1,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Split training rows into ``(fit_idx, valid_idx)``, stratified, group-aware if ``groups``.

    Small or unbalanced sets fall back to a plain shuffled split; the result depends only on the
    inputs and ``seed``.
    """
    from sklearn.model_selection import StratifiedShuffleSplit

    if not 0.0 < fraction < 1.0:
        raise ParamsError(f"val_fraction must be between 0 and 1, got {fraction}")
    train_idx = np.asarray(train_idx, dtype=np.int64)
    if len(train_idx) < 2:
        raise ParamsError("too few training clips to hold some out for validation")
    y = np.asarray(labels)[train_idx]
    n_valid = max(1, round(fraction * len(train_idx)))
    if groups is not None:
        valid = _grouped_holdout(y, np.asarray(groups)[train_idx], fraction, seed)
        return np.sort(train_idx[~valid]), np.sort(train_idx[valid])
    try:
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=n_valid, random_state=seed)
        fit, held = next(splitter.split(train_idx, y))
    except ValueError:  # a class too small to stratify: shuffle instead
        order = np.random.default_rng(seed).permutation(len(train_idx))
        fit, held = order[n_valid:], order[:n_valid]
    return np.sort(train_idx[fit]), np.sort(train_idx[held])


def _grouped_holdout(y: np.ndarray, groups: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Mask of whole groups, taken in random order while no class exceeds its share."""
    _, y_codes = np.unique(y, return_inverse=True)
    limit = np.ceil(fraction * np.bincount(y_codes))
    taken = np.zeros_like(limit)
    _, g_codes = np.unique(groups, return_inverse=True)
    members = pd.Series(np.arange(len(y))).groupby(g_codes).indices
    valid = np.zeros(len(y), dtype=bool)
    for group in np.random.default_rng(seed).permutation(len(members)):
        rows = members[group]
        counts = np.bincount(y_codes[rows], minlength=len(limit))
        if np.all(taken + counts <= limit):
            taken += counts
            valid[rows] = True
    if valid.all() or not valid.any():
        raise ParamsError("cannot hold out whole artists for validation: too few groups")
    return valid


def segment_rows(clip_idx: np.ndarray, n_segments: int) -> np.ndarray:
    """Rows of a flattened ``(clips * n_segments)`` segment table belonging to the given clips."""
    clip_idx = np.asarray(clip_idx, dtype=np.int64)
    return (clip_idx[:, None] * n_segments + np.arange(n_segments)).ravel()


def leaky_segment_folds(
    labels: Sequence, n_segments: int, *, k: int = 5, seed: int = 0
) -> list[Fold]:
    """LEAKAGE DEMONSTRATION ONLY: stratified k-fold over segments, ignoring which clip they
    come from, so segments of one clip land in both train and test and accuracy is inflated.

    Indices are rows of the flattened segment table (clip ``i``, segment ``s`` -> ``i*S + s``).
    """
    seg_labels = np.repeat(np.asarray(labels), n_segments)
    return stratified_folds(seg_labels, k=k, seed=seed)


def _kept_rows(n: int, keep: np.ndarray | None) -> np.ndarray:
    rows = np.arange(n, dtype=np.int64)
    return rows if keep is None else rows[np.asarray(keep, dtype=bool)]


def _check_k(k: int, y: np.ndarray) -> None:
    if k < 2:
        raise ParamsError(f"k must be at least 2, got {k}")
    smallest = pd.Series(y).value_counts().min() if len(y) else 0
    if smallest < k:
        raise ParamsError(f"{k} folds need at least {k} clips of every class; one has {smallest}")


def _with_validation(
    folds: list[Fold], y: np.ndarray, groups: np.ndarray | None, fraction: float, seed: int
) -> list[Fold]:
    if fraction <= 0:
        return [(np.sort(tr), np.sort(te)) for tr, te in folds]
    out: list[Fold] = []
    for i, (tr, te) in enumerate(folds):
        fit, valid = validation_split(tr, y, groups, fraction=fraction, seed=seed + i)
        out.append((fit, np.sort(te), valid))
    return out
