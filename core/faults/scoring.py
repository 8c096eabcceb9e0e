"""Score detector output against a ground truth (the demo set's planted faults)."""

from __future__ import annotations

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
