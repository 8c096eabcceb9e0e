"""Landmark audio fingerprints (Wang, 2003) and the search for clips that share audio.

A clip's fingerprint is a set of hashes of pairs of spectrogram peaks: (frequency of the anchor,
frequency of the target, frames between them), each with the anchor's frame. Two clips hold the
same audio when many of their hashes agree *at one time offset*; clips that merely share an
instrument or a drum sound match a few hashes scattered over many offsets. Peaks survive
re-encoding, noise, gain changes and resampling, and hashes are independent of where a clip
starts, so a repetition is found at any offset.

The search never compares clips pairwise: each clip looks its hashes up in an inverted index of
all clips (every hash, sorted), which yields only the (clip, clip, offset) triples that share a
hash; the cost grows with the number of shared hashes, not with the square of the clip count.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import fft as sfft

from core.errors import Cancelled, ParamsError

#: Clips arrive at SR (GTZAN's rate) and are analysed at half of it: 46 ms windows every 11.6 ms
#: (75 % overlap keeps peaks in place when a copy starts between two frames), 21.5 Hz bins up to
#: 5.5 kHz (higher bands are what lossy codecs change first).
SR = 22050
N_FFT = 512
HOP = 128
N_BINS = N_FFT // 2
#: Peak neighbourhood (frames x bins: +/- 93 ms, +/- 86 Hz) and the most peaks kept per second.
PEAK_FRAMES = 17
PEAK_BINS = 9
PEAKS_PER_SECOND = 25
#: Peaks are picked on power divided by the band's mean power to this exponent. Music's energy
#: sits in the bass, where unrelated clips share hashes (same notes, same tempo); whitening
#: spreads landmarks over the spectrum, half-way only, so they stay on strong components that
#: survive noise and lossy codecs.
WHITEN = 0.5
#: Peaks this many dB below the clip's loudest bin are background, not landmarks.
FLOOR_DB = 60.0
#: Each peak is paired with every later peak in its target zone (frames ahead, bins apart).
MAX_DT = 63
MAX_DF = 31
#: Hashes shared by more entries than this are too common to tell clips apart.
MAX_POSTINGS = 64

FRAME_SECONDS = 2 * HOP / SR
_F_BITS = int(np.ceil(np.log2(N_BINS)))
_DT_BITS = int(np.ceil(np.log2(MAX_DT + 1)))
_HASH_BITS = 2 * _F_BITS + _DT_BITS
FINGERPRINT_DTYPE = np.dtype([("hash", np.int32), ("t", np.int32)])
_WINDOW = np.hanning(N_FFT + 1)[:-1].astype(np.float32)


@dataclass(frozen=True)
class MatchParams:
    """When two clips count as a repetition.

    Votes are hashes of one clip found in the other at the same time offset (+/- one frame).
    Clips that share only a drum sound or a loop get votes at many offsets, so what counts is
    the *excess*: the votes at the best offset minus those at the best offset elsewhere.

    min_votes : excess votes, at least.
    min_share : excess votes as a share of the hashes that either clip has in the stretch the
        two overlap at that offset (the smaller count), at least.
    min_overlap_s : the overlapping stretch, in seconds, at least.
    """

    min_votes: int = 20
    min_share: float = 0.1
    min_overlap_s: float = 1.5


def fingerprint(y: np.ndarray, sr: int = SR) -> np.ndarray:
    """Landmark hashes of a mono signal.

    Parameters
    ----------
    y : mono signal; it must be sampled at ``SR`` (22050 Hz, what ``core.audio.load`` returns).
    sr : its sample rate, checked.

    Returns
    -------
    A structured array of ``FINGERPRINT_DTYPE``: ``hash`` (int32) and ``t`` (int32, the anchor's
    frame; a frame is ``FRAME_SECONDS``), sorted by ``t``. Silent or very short signals give none.
    """
    if sr != SR:
        raise ParamsError(f"fingerprint expects {SR} Hz audio, got {sr} Hz.")
    t, f = _peaks(_power_spectrogram(np.asarray(y, dtype=np.float32)))
    return _hashes(t, f)


def _power_spectrogram(y: np.ndarray) -> np.ndarray:
    """Power at SR / 2, shape (frames, N_BINS)."""
    y = 0.25 * y[:-2:2] + 0.5 * y[1:-1:2] + 0.25 * y[2::2]  # low-pass [1 2 1] / 4, keep every 2nd
    if len(y) < N_FFT:
        return np.zeros((0, N_BINS), dtype=np.float32)
    blocks = y[: len(y) // HOP * HOP].reshape(-1, HOP)  # a frame is N_FFT // HOP blocks
    r = N_FFT // HOP
    frames = np.concatenate([blocks[k : len(blocks) - r + 1 + k] for k in range(r)], axis=1)
    frames *= _WINDOW
    spec = sfft.rfft(frames, axis=1, overwrite_x=True)[:, :N_BINS]
    return spec.real**2 + spec.imag**2


def _peaks(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local maxima of the (half-whitened) power spectrogram: (frames, bins), sorted by frame."""
    if p.size == 0 or not p.max() > 0:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    floor = p.max() * 10 ** (-FLOOR_DB / 10)
    audible = p > floor
    p = p / (p.mean(axis=0) + floor) ** WHITEN
    local_max = _running_max(_running_max(p, PEAK_FRAMES, axis=0), PEAK_BINS, axis=1)
    is_peak = (p == local_max) & audible
    is_peak[:, 0] = False  # DC carries no landmark
    t, f = np.nonzero(is_peak)
    keep = int(PEAKS_PER_SECOND * len(p) * FRAME_SECONDS) + 1
    if len(t) > keep:
        best = np.argpartition(p[t, f], len(t) - keep)[len(t) - keep :]
        best.sort()  # nonzero's order is by frame; keep it
        t, f = t[best], f[best]
    return t.astype(np.int32), f.astype(np.int32)


def _running_max(x: np.ndarray, width: int, axis: int) -> np.ndarray:
    """Centred running maximum of odd ``width`` along ``axis`` (0 or 1) of a 2-D array
    of non-negative values."""

    def cut(a: np.ndarray, start: int, stop: int | None) -> np.ndarray:
        return a[start:stop] if axis == 0 else a[:, start:stop]

    n, half = x.shape[axis], width // 2
    pad = [(0, 0), (0, 0)]
    pad[axis] = (half, half)
    m = np.pad(x, pad, constant_values=-1)
    span = 1  # m[i] holds the maximum of span values from i on
    while 2 * span <= width:
        m = np.maximum(cut(m, 0, -span), cut(m, span, None))
        span *= 2
    return np.maximum(cut(m, 0, n), cut(m, width - span, width - span + n))


def _hashes(t: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Hash each peak with every later peak in its target zone."""
    ends = np.searchsorted(t, t + MAX_DT, side="right")
    anchors, targets = [], []
    for k in range(1, int((ends - np.arange(len(t))).max(initial=1))):
        a = np.flatnonzero(np.arange(len(t)) + k < ends)
        b = a + k
        ok = (t[b] > t[a]) & (np.abs(f[b] - f[a]) <= MAX_DF)
        anchors.append(a[ok])
        targets.append(b[ok])
    a = np.concatenate(anchors or [np.zeros(0, np.int64)])
    b = np.concatenate(targets or [np.zeros(0, np.int64)])
    out = np.zeros(len(a), dtype=FINGERPRINT_DTYPE)
    out["hash"] = (
        (f[a].astype(np.int64) << (_F_BITS + _DT_BITS))
        | (f[b].astype(np.int64) << _DT_BITS)
        | (t[b] - t[a])
    )
    out["t"] = t[a]
    return out[np.argsort(out["t"], kind="stable")]


def match_fingerprints(
    prints: list[np.ndarray],
    durations: list[float] | np.ndarray,
    params: MatchParams | None = None,
    should_stop: Callable[[], bool] | None = None,
    workers: int = 2,
) -> pd.DataFrame:
    """Pairs of clips sharing audio, from their fingerprints.

    Each clip in turn looks its hashes up in an inverted index of all clips (sorted hashes) and
    counts, per later clip and time offset, the hashes that agree: the work grows with the number
    of shared hashes, not with the number of pairs of clips.

    Parameters
    ----------
    prints : one fingerprint per clip (from :func:`fingerprint`).
    durations : each clip's length in seconds (for the overlap at an offset).
    params : acceptance thresholds (default: ``MatchParams()``).
    should_stop : polled between clips; when it returns True, :class:`Cancelled` is raised.
    workers : threads sharing the clips' look-ups.

    Returns
    -------
    DataFrame with columns ``a`` < ``b`` (indices into ``prints``), ``offset_seconds`` (b starts
    that far into a; negative: a starts inside b), ``votes`` (excess votes) and ``score`` (their
    share of the overlap's hashes, 0..1), one row per accepted pair.
    """
    params = params or MatchParams()
    n = len(prints)
    frames = np.round(np.asarray(durations, dtype=float) / FRAME_SECONDS).astype(np.int64)
    if len(frames) != n:
        raise ParamsError(f"{n} fingerprints but {len(frames)} durations.")
    if n < 2:
        return pd.DataFrame(columns=["a", "b", "offset_seconds", "votes", "score"])
    span = int(frames.max(initial=0)) + MAX_DT + 2  # |offset| < span
    width = 2 * span + 1
    sizes = np.array([len(p) for p in prints], dtype=np.int64)
    hashes = np.concatenate([p["hash"] for p in prints])
    # The inverted index: entries sorted by hash, then by clip (ties keep their order). Each
    # holds clip * width + span - t: adding a query frame t_q gives the vote's key,
    # clip * width + (offset + span) with offset = t_q - t.
    order = np.sort((hashes.astype(np.int64) << 32) | np.arange(len(hashes))) & 0xFFFFFFFF
    times = np.concatenate([p["t"] for p in prints])
    index = (np.repeat(np.arange(n, dtype=np.int64) * width + span, sizes) - times)[order]
    where = np.empty_like(order)  # where each clip's entries went in the index
    where[order] = np.arange(len(order))
    postings = np.bincount(hashes, minlength=1 << _HASH_BITS)
    ends = np.cumsum(postings)  # where each hash's entries end in the index
    clip_start = np.cumsum(sizes) - sizes

    def search(queries: range) -> list[np.ndarray]:
        out = []
        for q in queries:
            if should_stop is not None and should_stop():
                raise Cancelled("The repetition search was cancelled.")
            h, pos = prints[q]["hash"], where[clip_start[q] : clip_start[q] + sizes[q]]
            after = ends[h] - pos - 1  # entries of later clips (and q's own repeats) follow
            useful = (after > 0) & (postings[h] <= MAX_POSTINGS)
            count = after[useful]
            vote = index[np.repeat(pos[useful] + 1, count) + _ranges(count)]
            vote += np.repeat(prints[q]["t"][useful], count)
            out.append(_best_offsets(q, vote[vote >= (q + 1) * width], width, params.min_votes))
        return out

    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = pool.map(search, [range(k, n - 1, workers) for k in range(workers)])
        found = [rows for part in parts for rows in part]
    pairs = np.concatenate(found, axis=1) if found else np.zeros((4, 0), np.int64)
    a, b, off, excess = pairs
    overlap = np.minimum(frames[a], frames[b] + off) - np.maximum(off, 0)
    share = excess / np.maximum(_hashes_in_overlap(prints, frames, a, b, off), 1)
    ok = (share >= params.min_share) & (overlap * FRAME_SECONDS >= params.min_overlap_s)
    return pd.DataFrame(
        {
            "a": a[ok],
            "b": b[ok],
            "offset_seconds": off[ok] * FRAME_SECONDS,
            "votes": excess[ok],
            "score": np.minimum(share[ok], 1.0),
        }
    )


def _best_offsets(q: int, keys: np.ndarray, width: int, min_votes: int) -> np.ndarray:
    """Rows (q, other clip, best offset, excess votes) for the clips with enough excess votes.

    ``keys`` are votes of clip q, each ``other * width + offset + span`` (``width = 2 span + 1``).
    """
    if len(keys) == 0:
        return np.zeros((4, 0), np.int64)
    span = width // 2
    keys, votes = np.unique(keys, return_counts=True)
    # Votes of each offset plus its two neighbours': a copy rarely starts on a frame boundary.
    smooth = votes.copy()
    adjacent = np.flatnonzero(np.diff(keys) == 1)  # keys[i + 1] is the next offset of keys[i]
    smooth[adjacent] += votes[adjacent + 1]
    smooth[adjacent + 1] += votes[adjacent]
    clip = keys // width
    starts = np.flatnonzero(np.r_[True, clip[1:] != clip[:-1]])
    # Most clips share only a few scattered hashes with q: keep those with a strong offset.
    strong = np.repeat(
        np.maximum.reduceat(smooth, starts) >= min_votes, np.diff(np.r_[starts, len(keys)])
    )
    clip, off, smooth = clip[strong], keys[strong] % width - span, smooth[strong]
    if len(clip) == 0:
        return np.zeros((4, 0), np.int64)
    first = np.r_[True, clip[1:] != clip[:-1]]
    starts, group = np.flatnonzero(first), np.cumsum(first) - 1
    order = np.lexsort((-smooth, group))
    best = order[np.r_[True, group[order][1:] != group[order][:-1]]]
    elsewhere = np.abs(off - off[best][group]) > 2
    second = np.maximum.reduceat(np.where(elsewhere, smooth, 0), starts)
    excess = smooth[best] - second
    keep = excess >= min_votes
    return np.stack(
        [np.full(int(keep.sum()), q), clip[best][keep], off[best][keep], excess[keep]]
    ).astype(np.int64)


def _ranges(counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(c)`` for each c in counts."""
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)


def _hashes_in_overlap(
    prints: list[np.ndarray], frames: np.ndarray, a: np.ndarray, b: np.ndarray, off: np.ndarray
) -> np.ndarray:
    """The smaller of a's and b's hash counts within the stretch they share at offset ``off``."""
    out = np.zeros(len(a), dtype=np.int64)
    for k, (ia, ib, o) in enumerate(zip(a, b, off, strict=True)):
        lo, hi = max(0, o), min(frames[ia], frames[ib] + o)  # in a's frames
        ta, tb = prints[ia]["t"], prints[ib]["t"]
        in_a = np.searchsorted(ta, hi) - np.searchsorted(ta, lo)
        in_b = np.searchsorted(tb, hi - o) - np.searchsorted(tb, lo - o)
        out[k] = min(in_a, in_b)
    return out
