"""Score detector output against a ground truth (the demo set's planted faults, or a catalog
of repetition groups such as Sturm's exact repetitions in GTZAN)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations

import pandas as pd


def _score(found: set, truth: set) -> dict[str, float | int]:
    hits = len(found & truth)
    return {
        "found": len(found),
        "planted": len(truth),
        "correct": hits,
        "precision": hits / len(found) if found else 1.0,
        "recall": hits / len(truth) if truth else 1.0,
    }


def score_detections(
    pairs: pd.DataFrame, distortions: pd.DataFrame, truth: pd.DataFrame
) -> pd.DataFrame:
    """Precision and recall of repetition pairs, clipping and dropout flags.

    ``truth`` has ``track_id, fault, related`` (as ``demo_meta.csv``): repetition pairs are the
    ``exact_repetition`` rows with their ``related`` clips; distortions are clips whose ``fault``
    is ``clipping`` or ``dropout``.
    """
    planted_pairs = {
        frozenset((row.track_id, other))
        for row in truth[truth["fault"] == "exact_repetition"].itertuples()
        for other in str(row.related).split(";")
        if other
    }
    found_pairs = {
        frozenset((a, b)) for a, b in zip(pairs["track_a"], pairs["track_b"], strict=True)
    }
    rows = {"repetition pairs": _score(found_pairs, planted_pairs)}
    flagged = distortions.set_index("track_id")["flags"].fillna("")
    for kind in ("clipping", "dropout"):
        found = {t for t, f in flagged.items() if kind in f.split(";")}
        rows[kind] = _score(found, set(truth.loc[truth["fault"] == kind, "track_id"]))
    return pd.DataFrame(rows).T.rename_axis("detector").reset_index()


def score_against_groups(
    pairs: pd.DataFrame, groups: Sequence[Sequence[str]], present: Iterable[str]
) -> pd.DataFrame:
    """Precision and recall of repetition ``pairs`` against catalog ``groups`` (clips holding
    the same excerpt), counted over the clips ``present`` in the scanned dataset: as pairs, and
    as clips (a clip is found when some pair names it).

    >>> found = pd.DataFrame({"track_a": ["a", "c"], "track_b": ["b", "d"]})
    >>> score_against_groups(found, [["a", "b", "x"]], "abcd")[["detector", "precision"]].values
    array([['repetition pairs', 0.5],
           ['repeated clips', 0.5]], dtype=object)
    """
    present = set(present)
    truth = {frozenset(p) for g in groups for p in combinations(sorted(set(g) & present), 2)}
    found = {frozenset(p) for p in zip(pairs["track_a"], pairs["track_b"], strict=True)}
    rows = {
        "repetition pairs": _score(found, truth),
        "repeated clips": _score(set().union(*found), set().union(*truth)),
    }
    return pd.DataFrame(rows).T.rename_axis("detector").reset_index()
