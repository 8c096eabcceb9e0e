"""Fault detectors for any audio dataset: repeated excerpts, clipping, dropouts, silence.

GTZAN holds such faults (Sturm, 2013): the same excerpt filed twice, sometimes under two
genres, and clips damaged by clipping or digital dropouts. Repetitions inflate test accuracy
when the copies land on both sides of a split. These functions find them in any manifest:

- :func:`find_repetitions` -- pairs of clips holding the same audio, at any time offset and after
  re-encoding (landmark fingerprints, :mod:`core.faults.landmarks`); :func:`group_repetitions`
  joins the pairs into groups.
- :func:`detect_distortions` -- clipping, dropouts and silence per clip
  (:mod:`core.faults.distortion`).
- :func:`flags_for_manifest` -- both as one ';'-joined ``detected_faults`` string per clip.

Clips are decoded two at a time (threads: the numerical work releases the GIL).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TypeVar

import numpy as np
import pandas as pd

from core import audio
from core.dataset.gtzan_meta import group_repetitions
from core.errors import AudioError, Cancelled, ParamsError
from core.faults.distortion import Distortion, measure
from core.faults.landmarks import SR, MatchParams, fingerprint, match_fingerprints

__all__ = [
    "DISTORTION_COLUMNS",
    "PAIR_COLUMNS",
    "REPETITION",
    "Distortion",
    "MatchParams",
    "detect_distortions",
    "find_repetitions",
    "fingerprint",
    "flags_for_manifest",
    "group_repetitions",
    "match_fingerprints",
    "measure",
]

Progress = Callable[[int, int], None]
StopCheck = Callable[[], bool]
T = TypeVar("T")

#: The fault name of a repeated excerpt (as in ``demo_meta.csv`` and ``gtzan_faults.csv``).
REPETITION = "exact_repetition"
PAIR_COLUMNS = ("track_a", "track_b", "offset_seconds", "score", "votes")
DISTORTION_COLUMNS = (
    "track_id",
    "clipping_share",
    "longest_flat_run",
    "dropout_seconds",
    "dropouts",
    "rms_db",
    "flags",
)


def find_repetitions(
    manifest: pd.DataFrame,
    progress: Progress | None = None,
    should_stop: StopCheck | None = None,
    params: MatchParams | None = None,
    workers: int = 2,
) -> pd.DataFrame:
    """Pairs of clips of ``manifest`` that hold the same audio.

    Parameters
    ----------
    manifest : one row per clip with ``track_id`` and ``path``; rows whose ``kind`` is not
        "audio" or that are not ``readable`` are left out, and so are files that fail to decode.
    progress : called as ``progress(clips_done, clips_total)`` while clips are fingerprinted.
    should_stop : polled as the work goes; when it returns True, :class:`Cancelled` is raised.
    params : acceptance thresholds of a pair (default: ``MatchParams()``).
    workers : threads: clips decoded and fingerprinted at once, then sharing the search.

    Returns
    -------
    DataFrame with columns ``PAIR_COLUMNS``, best score first: ``track_b`` starts
    ``offset_seconds`` into ``track_a`` (negative: ``track_a`` starts inside ``track_b``);
    ``score`` (0..1) is the share of the overlap's landmarks that agree, ``votes`` their number.
    """
    clips = _audio_rows(manifest)
    results = _map_clips(list(clips["path"]), _fingerprint_file, progress, should_stop, workers)
    ok = [i for i, r in enumerate(results) if r is not None]
    ids = clips["track_id"].to_numpy()[ok]
    found = match_fingerprints(
        [results[i][0] for i in ok], [results[i][1] for i in ok], params, should_stop, workers
    )
    pairs = pd.DataFrame(
        {
            "track_a": ids[found["a"].to_numpy(int)],
            "track_b": ids[found["b"].to_numpy(int)],
            "offset_seconds": found["offset_seconds"].round(3),
            "score": found["score"].round(3),
            "votes": found["votes"].astype(int),
        },
        columns=list(PAIR_COLUMNS),
    )
    return pairs.sort_values(["score", "track_a"], ascending=[False, True], ignore_index=True)


def detect_distortions(
    manifest: pd.DataFrame,
    progress: Progress | None = None,
    should_stop: StopCheck | None = None,
    workers: int = 2,
) -> pd.DataFrame:
    """Clipping, dropouts and level of every audio clip of ``manifest``.

    Each file is measured at its own sample rate. Arguments as in :func:`find_repetitions`.

    Returns
    -------
    DataFrame with columns ``DISTORTION_COLUMNS``, in manifest order: ``clipping_share`` (of the
    samples, in flat tops at the peak), ``longest_flat_run`` (samples), ``dropout_seconds`` and
    ``dropouts`` (runs of digital zero inside the clip), ``rms_db`` (dB full scale) and ``flags``
    (';'-joined: clipping, dropout, silence).
    """
    clips = _audio_rows(manifest)
    results = _map_clips(list(clips["path"]), _measure_file, progress, should_stop, workers)
    rows = [
        (
            track,
            d.clipping_share,
            d.longest_flat_run,
            d.dropout_seconds,
            d.dropouts,
            d.rms_db,
            ";".join(d.flags),
        )
        for track, d in zip(clips["track_id"], results, strict=True)
        if d is not None
    ]
    return pd.DataFrame(rows, columns=list(DISTORTION_COLUMNS))


def flags_for_manifest(pairs: pd.DataFrame, distortions: pd.DataFrame) -> pd.DataFrame:
    """Both detectors' findings as one row per clip, to be saved as flags on the manifest.

    Returns
    -------
    DataFrame with ``track_id`` (the clips of ``distortions``, then any others that ``pairs``
    name), ``detected_faults`` (';'-joined: ``REPETITION``, then the distortion flags; '' when
    none) and ``related`` (';'-joined clips it repeats).
    """
    related: dict[str, set[str]] = {}
    for a, b in zip(pairs["track_a"], pairs["track_b"], strict=True):
        related.setdefault(a, set()).add(b)
        related.setdefault(b, set()).add(a)
    flags = dict(zip(distortions["track_id"], distortions["flags"], strict=True))
    tracks = list(distortions["track_id"]) + sorted(set(related) - set(flags))
    rows = []
    for t in tracks:
        faults = ([REPETITION] if t in related else []) + flags.get(t, "").split(";")
        rows.append((t, ";".join(f for f in faults if f), ";".join(sorted(related.get(t, ())))))
    return pd.DataFrame(rows, columns=["track_id", "detected_faults", "related"])


def _fingerprint_file(path: str) -> tuple[np.ndarray, float]:
    y = audio.load(path, sr=SR)
    return fingerprint(y, SR), len(y) / SR


def _measure_file(path: str) -> Distortion:
    rate = audio.probe(path).sample_rate
    return measure(audio.load(path, sr=rate), rate)


def _audio_rows(manifest: pd.DataFrame) -> pd.DataFrame:
    """The manifest's audio rows that are readable (where ``kind``/``readable`` are known)."""
    missing = {"track_id", "path"} - set(manifest.columns)
    if missing:
        raise ParamsError(f"The manifest lacks the column(s) {', '.join(sorted(missing))}.")
    keep = pd.Series(True, index=manifest.index)
    if "kind" in manifest:
        keep &= manifest["kind"].fillna("audio") == "audio"
    if "readable" in manifest:
        keep &= manifest["readable"].fillna(True).astype(bool)
    return manifest.loc[keep, ["track_id", "path"]].reset_index(drop=True)


def _map_clips(
    paths: Sequence[str],
    fn: Callable[[str], T],
    progress: Progress | None,
    should_stop: StopCheck | None,
    workers: int,
) -> list[T | None]:
    """``fn`` of every path, ``workers`` at a time, in order; None where the file won't decode."""
    if workers < 1:
        raise ParamsError(f"workers must be at least 1, got {workers}.")
    out: list[T | None] = [None] * len(paths)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_or_none, fn, p): i for i, p in enumerate(paths)}
        try:
            for done, future in enumerate(as_completed(futures), 1):
                out[futures[future]] = future.result()
                if progress is not None:
                    progress(done, len(paths))
                if should_stop is not None and should_stop():
                    raise Cancelled("The fault scan was cancelled.")
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return out


def _or_none(fn: Callable[[str], T], path: str) -> T | None:
    try:
        return fn(path)
    except AudioError:
        return None
