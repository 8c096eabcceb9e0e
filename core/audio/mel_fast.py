"""The fast mel spectrogram: torch on one thread, within 0.01 dB of librosa
(``core.audio.mel.mel_reference``; see ``bench/mel_speed.py``).

Also the helpers both implementations share: :func:`as_batch` and :func:`normalise`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import ParamsError

if TYPE_CHECKING:
    from core.audio.mel import MelParams

_CHUNK_FRAMES = 128  # frames per FFT block: its spectrum stays in the CPU cache
_BAND_GROUP = 16  # mel bands per projection block


def mel_fast(y: np.ndarray, params: MelParams) -> np.ndarray:
    """Same result as :func:`mel_reference`, computed with torch on one thread.

    It agrees with librosa within 0.01 dB wherever librosa's value lies within 80 dB of the
    maximum, i.e. everywhere with the default ``top_db=80`` (further down, float32 FFT rounding
    shows: ~0.03 dB at -100 dB, where librosa computes the FFT in float64). The STFT
    runs in blocks of frames whose spectrum fits in the CPU cache, the power is ``re^2 + im^2``,
    and the mel projection multiplies each group of bands only with the FFT bins it covers (the
    filterbank is ~98 % zeros).
    """
    import torch

    batch, single = as_batch(y, params)
    plan = _plan(
        params.sample_rate,
        params.n_fft,
        params.win_length,
        params.window,
        params.n_mels,
        params.fmin,
        params.mel_fmax,
    )
    frames = params.frames_for(batch.shape[1])
    out = np.empty((len(batch), params.n_mels, frames), dtype=np.float32)
    with single_threaded_torch(), torch.inference_mode():
        for i, row in enumerate(batch):
            S = _mel_power(torch.from_numpy(row), plan, params, frames)
            if params.db:
                S = _power_to_db(S, params)
            out[i] = S.T.numpy()
    out = normalise(out, params.normalize)
    return out[0] if single else out


_THREADS_LOCK = threading.Lock()
_threads_users = 0
_threads_before = 0


@contextmanager
def single_threaded_torch() -> Iterator[None]:
    """Run torch on one thread inside the block, restoring the setting when the last of
    several concurrent users leaves. Parallel clips beat parallel FFTs, and torch's own thread
    team slows down many times over when other processes share the cores."""
    import torch

    global _threads_users, _threads_before
    with _THREADS_LOCK:
        if _threads_users == 0:
            _threads_before = torch.get_num_threads()
            torch.set_num_threads(1)
        _threads_users += 1
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _threads_users -= 1
            if _threads_users == 0:
                torch.set_num_threads(_threads_before)


@dataclass(frozen=True)
class _Plan:
    window: Any  # torch float32 (n_fft,)
    # (mel0, mel1, bin0, bin1, weights (bin1 - bin0, mel1 - mel0)): bands mel0:mel1 use FFT
    # bins bin0:bin1 only.
    groups: tuple[tuple[int, int, int, int, Any], ...]


@lru_cache(maxsize=16)
def _plan(
    sr: int, n_fft: int, win_length: int | None, window: str, n_mels: int, fmin: float, fmax: float
) -> _Plan:
    import librosa
    import torch

    # Built in float64 and cast: a float32 torch.hann_window was not reproducible (MEASURED.md).
    win = librosa.filters.get_window(window, win_length or n_fft, fftbins=True)
    win = librosa.util.pad_center(win, size=n_fft)
    basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    groups = []
    for m0 in range(0, n_mels, _BAND_GROUP):
        block = basis[m0 : m0 + _BAND_GROUP]
        used = np.flatnonzero(block.any(axis=0))
        b0, b1 = int(used[0]), int(used[-1]) + 1
        weights = np.ascontiguousarray(block[:, b0:b1].T)
        groups.append((m0, m0 + len(block), b0, b1, torch.from_numpy(weights)))
    return _Plan(torch.from_numpy(win.astype(np.float32)), tuple(groups))


def _mel_power(y: Any, plan: _Plan, params: MelParams, frames: int) -> Any:
    """Mel (power) spectrogram of one signal as a (frames, n_mels) float32 tensor."""
    import torch

    out = torch.empty(frames, params.n_mels)
    # One set of buffers for every block: fresh megabyte-sized tensors per block would cost
    # as much kernel time (page faults) as the mel projection itself.
    bins = params.n_fft // 2 + 1
    windowed = torch.empty(_CHUNK_FRAMES, params.n_fft)
    spec = torch.empty(_CHUNK_FRAMES, bins, dtype=torch.complex64)
    power = torch.empty(_CHUNK_FRAMES, bins)
    for start, framed in _frame_blocks(y, params, frames):
        for f0 in range(0, len(framed), _CHUNK_FRAMES):
            n = min(_CHUNK_FRAMES, len(framed) - f0)
            torch.mul(framed[f0 : f0 + n], plan.window, out=windowed[:n])
            torch.fft.rfft(windowed[:n], out=spec[:n])
            parts = torch.view_as_real(spec[:n]).square_()  # re^2, im^2: contiguous, so fast
            torch.add(parts[..., 0], parts[..., 1], out=power[:n])
            if params.power != 2.0:
                power[:n].pow_(params.power / 2)
            block = out[start + f0 : start + f0 + n]
            for m0, m1, b0, b1, weights in plan.groups:
                block[:, m0:m1] = power[:n, b0:b1] @ weights
    return out


def _frame_blocks(y: Any, params: MelParams, frames: int) -> list[tuple[int, Any]]:
    """The STFT frames as (first frame, (k, n_fft) view) blocks. When centering, only the few
    frames that reach past either end are cut from padded copies (as librosa does); the rest
    are views of the signal itself."""
    import torch.nn.functional as F

    n_fft, hop = params.n_fft, params.hop_length
    if not params.center:
        return [(0, y.unfold(0, n_fft, hop)[:frames])]
    half = n_fft // 2

    def padded(piece: Any, left: int, right: int) -> Any:
        return F.pad(piece[None, None], (left, right), mode=params.pad_mode)[0, 0]

    head = -(-half // hop)  # frames that start before the signal
    tail = max(head, (len(y) + half - n_fft) // hop + 1 - -(-n_fft // hop))  # a margin
    if tail - head < _CHUNK_FRAMES:  # short signal: pad it whole
        return [(0, padded(y, half, half).unfold(0, n_fft, hop)[:frames])]
    first = padded(y[: (head - 1) * hop + half + 1], half, 0).unfold(0, n_fft, hop)[:head]
    middle = y[head * hop - half :].unfold(0, n_fft, hop)[: tail - head]
    last = padded(y[tail * hop - half :], 0, half).unfold(0, n_fft, hop)[: frames - tail]
    return [(0, first), (head, middle), (tail, last)]


def _power_to_db(S: Any, params: MelParams) -> Any:
    """``librosa.power_to_db`` on a torch tensor."""
    import torch

    db = 10.0 * torch.log10(torch.clamp(S, min=params.amin))
    ref = float(S.max()) if params.ref == "max" else float(params.ref)
    db -= 10.0 * math.log10(max(params.amin, ref))
    if params.top_db is not None:
        db = torch.clamp(db, min=float(db.max()) - params.top_db)
    return db


def as_batch(y: np.ndarray, params: MelParams) -> tuple[np.ndarray, bool]:
    """``y`` as a contiguous float32 (b, n) batch, and whether it was one signal (n,)."""
    y = np.ascontiguousarray(y, dtype=np.float32)
    if y.ndim not in (1, 2):
        raise ParamsError(
            f"Expected a signal (n,) or a batch of signals (b, n), got shape {y.shape}."
        )
    if y.shape[-1] < params.n_fft:
        raise ParamsError(
            f"The signal has {y.shape[-1]} samples, fewer than one FFT frame "
            f"(n_fft={params.n_fft}); cut clips with segments(), which pads short ones."
        )
    return (y[None], True) if y.ndim == 1 else (y, False)


def normalise(S: np.ndarray, mode: str) -> np.ndarray:
    """Normalise each (n_mels, frames) item of a (b, n_mels, frames) array in place."""
    if mode == "none":
        return S
    for item in S:
        if mode == "minmax":
            lo, span = item.min(), item.max() - item.min()
            item -= lo
            if span > 0:
                item /= span
        else:
            item -= item.mean()
            std = item.std()
            if std > 0:
                item /= std
    return S
