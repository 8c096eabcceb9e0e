"""Evaluation protocols: scikit-learn splitter objects over clip rows, deterministic from a seed.

Each protocol is a splitter with ``split(X, y, groups)``, ``get_n_splits()`` and a readable repr
(stored in every run, and read back by ``splitter_from_repr``):

- ``stratified``: :class:`StratifiedClipKFold`, stratified k-fold over clips.
- ``artist``: :class:`ArtistKFold`, stratified k-fold with artists as groups (Sturm's index); no
  artist is in both train and test; clips of unknown artist ("") are groups of their own.
- ``filtered``: :class:`FaultFilteredSplit`, the fault-filtered train/valid/test split (Kereliuk,
  Sturm & Larsen 2015) as one predefined fold; ``groups`` are the clips' track ids.

``make_folds`` runs a protocol over a clip table and returns folds ``(train_idx, test_idx)`` or
``(train_idx, test_idx, valid_idx)``: sorted int64 arrays of row positions. Inputs are plain
arrays (track ids, labels, artists), so any manifest works. ``drop_repetitions=True`` removes
GTZAN's exact repetitions (the listed copies) before splitting. Validation rows for early
stopping are carved by ``with_validation``, always out of a fold's training part.
Segment training keeps these clip-level folds (``segment_rows``); ``leaky_segment_folds`` exists
only to demonstrate the optimism of splitting segments of the same clip across train and test.
"""

from __future__ import annotations

import ast
import numbers
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    BaseCrossValidator,
    PredefinedSplit,
    StratifiedGroupKFold,
    StratifiedKFold,
)

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


class StratifiedClipKFold(StratifiedKFold):
    """Stratified k-fold over clips, shuffled from ``random_state`` (the ``stratified`` protocol).

    >>> StratifiedClipKFold(5, random_state=0)
    StratifiedClipKFold(n_splits=5, random_state=0)
    """

    def __init__(self, n_splits: int = 5, *, random_state: int = 0) -> None:
        _check_n_splits(n_splits)
        super().__init__(n_splits, shuffle=True, random_state=random_state)

    def split(self, X, y, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` row indices; ParamsError when a class has fewer than k clips."""
        _check_classes(self.n_splits, np.asarray(y))
        return super().split(X, y)


class ArtistKFold(StratifiedGroupKFold):
    """Stratified k-fold with artists as groups (the ``artist`` protocol).

    ``groups`` in ``split`` are the clips' artists ("" = unknown: a group of its own, see
    ``artist_groups``) or integer group codes, used as they are.

    >>> ArtistKFold(5, random_state=0)
    ArtistKFold(n_splits=5, random_state=0)
    """

    def __init__(self, n_splits: int = 5, *, random_state: int = 0) -> None:
        _check_n_splits(n_splits)
        super().__init__(n_splits, shuffle=True, random_state=random_state)

    def split(self, X, y, groups) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` row indices; no group has rows on both sides."""
        if groups is None:
            raise ParamsError("artist folds need each clip's artist (groups)")
        groups = np.asarray(groups)
        codes = groups if groups.dtype.kind in "iu" else artist_groups(groups)
        _check_classes(self.n_splits, np.asarray(y))
        n_groups = len(np.unique(codes))
        if n_groups < self.n_splits:
            raise ParamsError(f"only {n_groups} artists/groups for {self.n_splits} folds")
        return super().split(X, y, codes)


class FaultFilteredSplit(BaseCrossValidator):
    """The fault-filtered split of Kereliuk, Sturm & Larsen (shipped metadata) as one fold.

    ``groups`` in ``split`` are the clips' track ids (``blues.00042``); the split yields its
    ``train`` and ``test`` parts through scikit-learn's ``PredefinedSplit``. Its ``valid`` part
    (``validation_rows``) and clips outside the split are on neither side.

    >>> FaultFilteredSplit().get_n_splits()
    1
    """

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Always 1: the split is one fold."""
        return 1

    def split(self, X, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield the one ``(train, test)`` pair of row indices."""
        parts = self.parts(groups)
        test_fold = np.where(parts == "test", 0, -1)
        for train, test in PredefinedSplit(test_fold).split():
            yield train[parts[train] == "train"], test

    def validation_rows(self, groups: Sequence[str]) -> np.ndarray:
        """Row indices of the split's ``valid`` part (``groups``: track ids)."""
        return np.flatnonzero(self.parts(groups) == "valid")

    @staticmethod
    def parts(groups: Sequence[str] | None) -> np.ndarray:
        """``train``, ``valid``, ``test`` or "" (outside the split) per track id in ``groups``."""
        from core.dataset.gtzan_meta import load_filtered_split

        if groups is None:
            raise ParamsError("the fault-filtered split needs each clip's track id (groups)")
        split = load_filtered_split()
        ids = list(groups)
        parts = np.array([split.get(t, "") for t in ids], dtype=object)
        counts = [int(np.sum(parts == p)) for p in ("train", "test", "valid")]
        if min(counts) == 0:
            raise ParamsError(
                "the fault-filtered split needs GTZAN excerpts named like blues.00042 "
                f"({sum(counts)} of {len(ids)} clips are in it)"
            )
        return parts


#: The splitter classes, by name (what ``splitter_from_repr`` accepts).
SPLITTERS: dict[str, type[BaseCrossValidator]] = {
    cls.__name__: cls for cls in (StratifiedClipKFold, ArtistKFold, FaultFilteredSplit)
}


def make_splitter(protocol: str, *, k: int = 5, seed: int = 0) -> BaseCrossValidator:
    """The splitter of one protocol (``k`` is ignored by ``filtered``, which has one fold).

    >>> make_splitter("artist", k=3, seed=7)
    ArtistKFold(n_splits=3, random_state=7)
    """
    if protocol == "stratified":
        return StratifiedClipKFold(k, random_state=seed)
    if protocol == "artist":
        return ArtistKFold(k, random_state=seed)
    if protocol == "filtered":
        return FaultFilteredSplit()
    raise ParamsError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")


def splitter_from_repr(text: str) -> BaseCrossValidator:
    """The splitter a repr describes (as stored in a run): the inverse of ``repr``.

    >>> splitter_from_repr("StratifiedClipKFold(n_splits=3, random_state=1)")
    StratifiedClipKFold(n_splits=3, random_state=1)
    """
    try:
        call = ast.parse(text.strip(), mode="eval").body
        if not isinstance(call, ast.Call) or call.args:
            raise ValueError(text)
        cls = SPLITTERS[call.func.id]
        params = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
    except (SyntaxError, ValueError, KeyError, AttributeError) as exc:
        raise ParamsError(f"not a Genre Lab splitter: {text!r}") from exc
    try:
        return cls(**params)
    except TypeError as exc:  # a parameter the class does not have
        raise ParamsError(f"not a Genre Lab splitter: {text!r} ({exc})") from exc


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
    """Folds of one protocol over clip rows, from its splitter (``make_splitter``).

    Parameters
    ----------
    protocol : one of ``PROTOCOLS``.
    track_ids : GTZAN-style ids (``blues.00042``), used by ``filtered`` and ``drop_repetitions``.
    labels : class of each clip (any hashable values).
    artists : artist of each clip for ``artist`` ("" = unknown); looked up in Sturm's index
        from ``track_ids`` when None.
    k : number of folds (ignored by ``filtered``, which has one).
    seed : the only source of randomness: the same inputs and seed give the same folds.
    drop_repetitions : leave GTZAN's exact repetitions out of every part (before splitting).
    val_fraction : when > 0, each fold also gets ``valid_idx`` carved out of its training part
        (group-aware for ``artist``); ``filtered`` always has its own valid part.

    Examples
    --------
    >>> folds = make_folds("stratified", ["a", "b", "c", "d"], [0, 0, 1, 1], k=2, seed=0)
    >>> [(train.tolist(), test.tolist()) for train, test in folds]
    [([0, 3], [1, 2]), ([1, 2], [0, 3])]
    >>> ids = [f"{genre}.{i:05d}" for genre in ("blues", "rock") for i in range(6)]
    >>> labels = [track.split(".")[0] for track in ids]
    >>> artists = ["ann", "ann", "bob", "bob", "cy", "cy"] * 2
    >>> folds = make_folds("artist", ids, labels, artists, k=3, seed=0)
    >>> [sorted({artists[i] for i in test}) for train, test in folds]  # one fold per artist
    [['cy'], ['bob'], ['ann']]
    """
    ids = np.asarray(list(track_ids), dtype=object)
    y = np.asarray(labels)
    if len(ids) != len(y):
        raise ParamsError(f"{len(ids)} track ids but {len(y)} labels")
    rows = np.arange(len(ids), dtype=np.int64)
    if drop_repetitions:
        rows = rows[~np.isin(ids, list(exact_repetitions()))]
    splitter = make_splitter(protocol, k=k, seed=seed)
    groups = None
    if protocol == "artist":
        groups = artist_groups(artists_of(ids) if artists is None else artists)
    elif protocol == "filtered":
        groups = ids
    folds = split_rows(splitter, rows, y, groups)
    if isinstance(splitter, FaultFilteredSplit):
        valid = rows[splitter.validation_rows(ids[rows])]
        return [(train, test, valid) for train, test in folds]
    return with_validation(folds, y, groups, fraction=val_fraction, seed=seed)


def split_rows(
    splitter: BaseCrossValidator,
    rows: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray | None = None,
) -> list[Fold]:
    """``(train, test)`` folds of ``splitter`` over some ``rows``, as sorted row positions."""
    sub_groups = None if groups is None else np.asarray(groups)[rows]
    return [
        (np.sort(rows[train]), np.sort(rows[test]))
        for train, test in splitter.split(rows, np.asarray(labels)[rows], sub_groups)
    ]


def with_validation(
    folds: Sequence[Fold],
    labels: Sequence,
    groups: Sequence | None = None,
    *,
    fraction: float,
    seed: int,
) -> list[Fold]:
    """Folds with ``valid_idx`` carved out of each ``(train, test)`` fold's training part.

    Fold ``i`` is split by ``validation_split`` with seed ``seed + i``; folds that already have a
    valid part, and every fold when ``fraction`` is 0, are returned as they are.
    """
    if fraction <= 0:
        return list(folds)
    out: list[Fold] = []
    for i, fold in enumerate(folds):
        if len(fold) > 2:
            out.append(fold)
            continue
        fit, valid = validation_split(fold[0], labels, groups, fraction=fraction, seed=seed + i)
        out.append((fit, fold[1], valid))
    return out


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
    rows = np.arange(len(seg_labels), dtype=np.int64)
    return split_rows(StratifiedClipKFold(k, random_state=seed), rows, seg_labels)


def _check_n_splits(k: int) -> None:
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 2:
        raise ParamsError(f"k must be a whole number, at least 2, got {k!r}")


def _check_classes(k: int, y: np.ndarray) -> None:
    smallest = pd.Series(y).value_counts().min() if len(y) else 0
    if smallest < k:
        raise ParamsError(f"{k} folds need at least {k} clips of every class; one has {smallest}")
