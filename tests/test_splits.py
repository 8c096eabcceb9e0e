"""Evaluation protocols over the real GTZAN track list (ids and metadata in core/dataset/gtzan)."""

from __future__ import annotations

import numpy as np
import pytest

from core.dataset.gtzan_meta import load_filtered_split, load_index
from core.errors import ParamsError
from core.genres import GENRES
from core.splits import (
    PROTOCOLS,
    artist_groups,
    artists_of,
    exact_repetitions,
    leaky_segment_folds,
    make_folds,
    make_splitter,
    segment_rows,
    split_rows,
    splitter_from_repr,
    validation_split,
    with_validation,
)


@pytest.fixture(scope="module")
def gtzan() -> tuple[list[str], np.ndarray]:
    """All 1000 GTZAN excerpt ids and their genre index."""
    ids = load_index()["track_id"].tolist()
    return ids, np.array([GENRES.index(t.split(".")[0]) for t in ids])


def _assert_partition(folds, n_rows: int, rows: np.ndarray | None = None) -> None:
    tests = np.concatenate([f[1] for f in folds])
    expected = np.arange(n_rows) if rows is None else rows
    assert np.array_equal(np.sort(tests), expected)  # every kept row tested exactly once
    for fold in folds:
        parts = [set(p.tolist()) for p in fold]
        assert sum(len(p) for p in parts) == len(set().union(*parts))  # parts are disjoint


def test_stratified_folds_partition_and_balance(gtzan) -> None:
    ids, y = gtzan
    folds = make_folds("stratified", ids, y, k=5, seed=0)
    assert len(folds) == 5
    _assert_partition(folds, len(ids))
    for train, test in folds:
        assert np.array_equal(np.bincount(y[test], minlength=10), np.full(10, 20))
        assert len(train) == 800


def test_same_seed_same_folds_other_seed_other_folds(gtzan) -> None:
    ids, y = gtzan
    for protocol in ("stratified", "artist"):
        a = make_folds(protocol, ids, y, k=5, seed=3, val_fraction=0.1)
        b = make_folds(protocol, ids, y, k=5, seed=3, val_fraction=0.1)
        c = make_folds(protocol, ids, y, k=5, seed=4, val_fraction=0.1)
        assert all(
            np.array_equal(p, q)
            for fa, fb in zip(a, b, strict=True)
            for p, q in zip(fa, fb, strict=True)
        )
        assert not all(np.array_equal(fa[1], fc[1]) for fa, fc in zip(a, c, strict=True))


def test_artist_folds_keep_each_artist_on_one_side(gtzan) -> None:
    ids, y = gtzan
    artists = artists_of(ids)
    folds = make_folds("artist", ids, y, k=5, seed=0, val_fraction=0.1)
    _assert_partition(folds, len(ids))
    for fit, test, valid in folds:
        known = {a for a in artists[test] if a}
        assert known.isdisjoint(artists[fit]) and known.isdisjoint(artists[valid])
        assert {a for a in artists[valid] if a}.isdisjoint(artists[fit])  # group-aware valid
        assert len(np.unique(y[test])) == 10


def test_unknown_artists_are_groups_of_their_own() -> None:
    groups = artist_groups(["A", "", "B", "A", "", None])
    assert groups[0] == groups[3]
    assert len({groups[1], groups[4], groups[5], groups[0], groups[2]}) == 5


def test_filtered_split_is_honoured(gtzan) -> None:
    ids, y = gtzan
    [(train, test, valid)] = make_folds("filtered", ids, y)
    split = load_filtered_split()
    for part, rows in (("train", train), ("test", test), ("valid", valid)):
        assert {ids[i] for i in rows} == {t for t, p in split.items() if p == part}
    assert (len(train), len(valid), len(test)) == (443, 197, 290)


@pytest.mark.parametrize("protocol", ["stratified", "artist", "filtered"])
def test_drop_repetitions_removes_listed_files(gtzan, protocol: str) -> None:
    ids, y = gtzan
    copies = exact_repetitions()
    assert len(copies) == 50 and "disco.00051" in copies
    folds = make_folds(protocol, ids, y, k=5, seed=0, drop_repetitions=True)
    used = {ids[i] for fold in folds for part in fold for i in part}
    assert used.isdisjoint(copies)
    if protocol != "filtered":
        kept = np.array([i for i, t in enumerate(ids) if t not in copies])
        _assert_partition(folds, len(ids), kept)


def test_validation_comes_from_the_training_part() -> None:
    y = np.repeat(np.arange(4), 10)
    train = np.arange(0, 40, 2)
    fit, valid = validation_split(train, y, fraction=0.25, seed=1)
    assert set(fit) | set(valid) == set(train) and not set(fit) & set(valid)
    assert len(valid) == 5


def test_segment_rows_follow_clip_folds_and_leaky_split_mixes_clips() -> None:
    y = np.repeat(np.arange(2), 10)
    n_segments = 3
    train, test = make_folds("stratified", [f"x{i}" for i in range(20)], y, k=2, seed=0)[0]
    seg_train, seg_test = segment_rows(train, n_segments), segment_rows(test, n_segments)
    assert set(seg_train // n_segments) == set(train)
    assert set(seg_test // n_segments).isdisjoint(seg_train // n_segments)
    leaky_train, leaky_test = leaky_segment_folds(y, n_segments, k=2, seed=0)[0]
    assert set(leaky_train // n_segments) & set(leaky_test // n_segments)  # the leak


def test_bad_arguments_raise_params_errors(gtzan) -> None:
    ids, y = gtzan
    with pytest.raises(ParamsError, match="unknown protocol"):
        make_folds("random", ids, y)
    with pytest.raises(ParamsError, match="at least"):
        make_folds("stratified", ids[:6], [0, 0, 0, 1, 1, 1], k=5)
    with pytest.raises(ParamsError, match="fault-filtered"):
        make_folds("filtered", ["a", "b"], [0, 1])


def _groups(protocol: str, ids: list[str]) -> np.ndarray | None:
    """What each protocol's splitter takes as ``groups``: artists, track ids, or nothing."""
    return {"artist": artists_of(ids), "filtered": np.array(ids, dtype=object)}.get(protocol)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_splitters_round_trip_their_repr_and_give_make_folds_folds(gtzan, protocol: str) -> None:
    ids, y = gtzan
    splitter = make_splitter(protocol, k=4, seed=2)
    again = splitter_from_repr(repr(splitter))
    assert type(again) is type(splitter) and repr(again) == repr(splitter)
    assert splitter.get_n_splits() == (1 if protocol == "filtered" else 4)
    rows = np.arange(len(ids))
    folds = split_rows(again, rows, y, _groups(protocol, ids))
    expected = make_folds(protocol, ids, y, k=4, seed=2)
    assert len(folds) == len(expected) == splitter.get_n_splits()
    for fold, reference in zip(folds, expected, strict=True):
        assert np.array_equal(fold[0], reference[0]) and np.array_equal(fold[1], reference[1])


def test_splitter_reprs_are_readable_and_bad_ones_refused() -> None:
    assert repr(make_splitter("stratified", k=5, seed=0)) == (
        "StratifiedClipKFold(n_splits=5, random_state=0)"
    )
    assert repr(make_splitter("artist", k=3, seed=9)) == "ArtistKFold(n_splits=3, random_state=9)"
    assert repr(make_splitter("filtered", k=5, seed=1)) == "FaultFilteredSplit()"
    for text in ("KFold(n_splits=3)", "os.system('x')", "ArtistKFold(3", "ArtistKFold(k=[1])"):
        with pytest.raises(ParamsError):
            splitter_from_repr(text)
    with pytest.raises(ParamsError, match="at least 2"):
        splitter_from_repr("ArtistKFold(n_splits=1, random_state=0)")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_splitters_work_inside_sklearn_cross_validation(gtzan, protocol: str) -> None:
    from sklearn.dummy import DummyClassifier
    from sklearn.model_selection import check_cv, cross_val_score

    ids, y = gtzan
    splitter = make_splitter(protocol, k=3, seed=0)
    assert check_cv(splitter, y, classifier=True) is splitter
    X = np.zeros((len(ids), 1))
    scores = cross_val_score(DummyClassifier(), X, y, groups=_groups(protocol, ids), cv=splitter)
    assert len(scores) == splitter.get_n_splits()
    assert np.all((scores >= 0.0) & (scores <= 0.2))  # the majority class of balanced genres


def test_the_run_config_stores_the_splitter(tmp_path) -> None:
    from core.audio.mel import PRESETS
    from core.runs import create_run, load_run
    from core.runs.kinds.train import run_config
    from core.training.config import preset

    train = preset("paper", "torch", protocol="artist", k=4, seed=2)
    run = create_run(run_config("demo", train, mel=PRESETS["fast"]), root=tmp_path)
    stored = load_run(run.id, root=tmp_path).run_config.splitter
    assert stored == "ArtistKFold(n_splits=4, random_state=2)"
    assert repr(splitter_from_repr(stored)) == stored


def test_validation_is_carved_by_one_function(gtzan) -> None:
    ids, y = gtzan
    plain = make_folds("artist", ids, y, k=5, seed=3)
    carved = with_validation(plain, y, artist_groups(artists_of(ids)), fraction=0.1, seed=3)
    direct = make_folds("artist", ids, y, k=5, seed=3, val_fraction=0.1)
    for a, b in zip(carved, direct, strict=True):
        assert len(a) == len(b) == 3
        assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    unchanged = with_validation(plain, y, fraction=0.0, seed=3)
    assert all(a is b for a, b in zip(unchanged, plain, strict=True))
