"""Mel spectrograms: the parameters that shape a model's input, and two implementations of them.

``MelParams`` holds every setting (clip stretch, segments, STFT, mel bands, dB, normalisation,
image mode); ``PRESETS`` names the common ones. ``mel_reference`` is librosa itself;
``mel_fast`` is a torch version that agrees with it to within 0.01 dB and is several times faster
(see ``bench/mel_speed.py``). Both take a signal (or a batch of equal-length signals) that is
already cut to one segment; ``segments`` does the cutting and ``clip_features`` the whole chain.

A librosa-compatible mel filterbank is Slaney-scaled and Slaney-normalised (librosa's default).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from core.audio.cost import check_cost
from core.errors import ParamsError
from core.settings import SAMPLE_RATE

WINDOWS: tuple[str, ...] = ("hann", "hamming", "blackman", "bartlett", "boxcar")
PAD_MODES: tuple[str, ...] = ("constant", "reflect")
NORMALIZATIONS: tuple[str, ...] = ("none", "minmax", "standard")
IMAGE_MODES: tuple[str | None, ...] = (None, "kaggle")
#: One rendered ``image="kaggle"`` segment: (height, width, RGB), as Kaggle's PNGs
#: (drawn by :mod:`core.audio.kaggle_image`, which uses this module; never the other way round).
KAGGLE_IMAGE_SHAPE: tuple[int, int, int] = (288, 432, 3)


@dataclass(frozen=True)
class MelParams:
    """Everything that turns a clip into a model's input. Defaults are librosa 0.11's own.

    Attributes
    ----------
    sample_rate : clips are decoded (and resampled if needed) to this rate, in Hz.
    offset : seconds skipped at the start of every clip.
    duration : seconds of each clip used; shorter clips are zero-padded, longer ones cut.
        ``None``: the whole clip (variable length; a feature store then needs ``image``).
    segment_seconds : split the used stretch into non-overlapping segments of this length
        (the remainder is dropped); ``None``: one segment, the whole stretch.
    n_fft, hop_length, win_length, window, center, pad_mode : the STFT, as in ``librosa.stft``
        (``win_length=None`` means ``n_fft``; ``pad_mode`` is how ``center`` pads the edges:
        zeros in librosa >= 0.10, ``"reflect"`` in older versions).
    n_mels, fmin, fmax : the mel filterbank (``fmax=None`` means ``sample_rate / 2``).
    power : exponent of the magnitude (1 = magnitude, 2 = power).
    db : convert to decibels as ``librosa.power_to_db(S, ref, amin, top_db)``.
    ref : the 0 dB reference, a number or ``"max"`` (each segment's own maximum).
    amin, top_db : the floor of the magnitude, and of the dB values below their maximum
        (``top_db=None``: no floor).
    normalize : ``"none"``, ``"minmax"`` (each segment to [0, 1]) or ``"standard"``
        (each segment to mean 0, standard deviation 1).
    image : ``None`` for mel arrays, or ``"kaggle"`` to render each segment as the 432x288 RGB
        image of the Kaggle ``images_original`` files (see ``core.audio.kaggle_image``).

    Examples
    --------
    >>> p = MelParams(duration=1.0, n_mels=64)
    >>> p.feature_shape  # (segments, n_mels, frames) of one clip
    (1, 64, 44)
    >>> MelParams(duration=1.0, segment_seconds=0.5).feature_shape
    (2, 128, 22)
    >>> MelParams.from_dict(p.to_dict()) == p
    True
    >>> MelParams(n_mels=0)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ParamsError: n_mels must be ...
    """

    sample_rate: int = SAMPLE_RATE
    offset: float = 0.0
    duration: float | None = 30.0
    segment_seconds: float | None = None
    n_fft: int = 2048
    hop_length: int = 512
    win_length: int | None = None
    window: str = "hann"
    center: bool = True
    pad_mode: str = "constant"
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float | None = None
    power: float = 2.0
    db: bool = True
    ref: float | str = 1.0
    amin: float = 1e-10
    top_db: float | None = 80.0
    normalize: str = "none"
    image: str | None = None

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = _coerce(field.name, field.type, getattr(self, field.name))
            object.__setattr__(self, field.name, value)
        _validate(self)

    # -- derived sizes ------------------------------------------------------------------------
    @property
    def nyquist(self) -> float:
        return self.sample_rate / 2

    @property
    def mel_fmax(self) -> float:
        """The top of the filterbank in Hz (``fmax``, or Nyquist when ``fmax`` is None)."""
        return self.nyquist if self.fmax is None else self.fmax

    @property
    def n_samples(self) -> int | None:
        """Samples of each clip used (``None`` for whole clips)."""
        return None if self.duration is None else round(self.duration * self.sample_rate)

    @property
    def segment_samples(self) -> int | None:
        """Samples per segment (``None`` for whole, variable-length clips)."""
        if self.segment_seconds is not None:
            return round(self.segment_seconds * self.sample_rate)
        return self.n_samples

    @property
    def n_segments(self) -> int | None:
        """Segments per clip (``None`` when it depends on the clip's length)."""
        if self.segment_seconds is None:
            return 1
        if self.n_samples is None:
            return None
        return self.n_samples // self.segment_samples

    def frames_for(self, n_samples: int) -> int:
        """Number of STFT frames of a signal of ``n_samples`` samples."""
        if self.center:
            return 1 + n_samples // self.hop_length
        return 1 + (n_samples - self.n_fft) // self.hop_length

    @property
    def n_frames(self) -> int | None:
        """Frames per segment (``None`` for variable-length clips)."""
        n = self.segment_samples
        return None if n is None else self.frames_for(n)

    @property
    def feature_shape(self) -> tuple[int, ...] | None:
        """Shape of one clip's features: (segments, n_mels, frames) or (segments, 288, 432, 3)."""
        if self.image == "kaggle":
            n = self.n_segments
            return None if n is None else (n, *KAGGLE_IMAGE_SHAPE)
        if self.n_segments is None or self.n_frames is None:
            return None
        return (self.n_segments, self.n_mels, self.n_frames)

    # -- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of every field."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MelParams:
        """Inverse of :meth:`to_dict`; missing keys take their defaults, unknown keys are errors."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ParamsError(
                f"Unknown spectrogram parameter(s): {', '.join(unknown)}. "
                f"Known: {', '.join(sorted(known))}."
            )
        return cls(**data)

    def replace(self, **changes: Any) -> MelParams:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def fingerprint(self) -> str:
        """A short, stable hash of every field: equal for equal parameters, across runs."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def summary(self) -> str:
        """One human-readable line, e.g. ``128 mels, n_fft 2048, hop 512, 30 s``."""
        parts = [f"{self.n_mels} mels", f"n_fft {self.n_fft}", f"hop {self.hop_length}"]
        parts.append("whole clip" if self.duration is None else f"{self.duration:g} s")
        if self.segment_seconds is not None:
            parts.append(f"{self.segment_seconds:g} s segments")
        if self.sample_rate != SAMPLE_RATE:
            parts.append(f"{self.sample_rate} Hz")
        if self.image:
            parts.append(f"{self.image} image")
        return ", ".join(parts)


def _coerce(name: str, kind: str, value: Any) -> Any:
    """Normalise a field's type (ints given as 30 for float fields...) so fingerprints agree."""
    optional = "None" in kind
    if value is None:
        if optional:
            return None
        raise ParamsError(f"{name} cannot be empty (None).")
    if kind.startswith("bool"):
        if not isinstance(value, (bool, np.bool_)):
            raise ParamsError(f"{name} must be true or false, got {value!r}.")
        return bool(value)
    if kind.startswith("int"):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            raise ParamsError(f"{name} must be a whole number, got {value!r}.")
        if float(value) != int(value):
            raise ParamsError(f"{name} must be a whole number of samples, got {value}.")
        return int(value)
    if kind.startswith("float | str"):  # ref: a number or "max"
        if isinstance(value, str):
            return value
        return _coerce(name, "float", value)
    if kind.startswith("float"):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            raise ParamsError(f"{name} must be a number, got {value!r}.")
        if not math.isfinite(float(value)):
            raise ParamsError(f"{name} must be a finite number, got {value}.")
        return float(value)
    if not isinstance(value, str):
        raise ParamsError(f"{name} must be text, got {value!r}.")
    return value


def _validate(p: MelParams) -> None:
    def check(ok: bool, message: str) -> None:
        if not ok:
            raise ParamsError(message)

    check(p.sample_rate >= 1000, f"sample_rate must be at least 1000 Hz, got {p.sample_rate}.")
    check(p.offset >= 0, f"offset must be 0 s or more, got {p.offset:g}.")
    check(
        p.duration is None or p.duration > 0,
        f"duration must be a positive number of seconds (or None for the whole clip), "
        f"got {p.duration}.",
    )
    check(p.n_fft >= 16, f"n_fft must be at least 16 samples, got {p.n_fft}.")
    check(
        p.hop_length >= 1,
        f"hop_length must be at least 1 sample, got {p.hop_length}: "
        "with 0 the window would never move.",
    )
    win = p.n_fft if p.win_length is None else p.win_length
    check(win >= 1, f"win_length must be at least 1 sample, got {win}.")
    check(
        win <= p.n_fft,
        f"win_length ({win}) cannot be longer than n_fft ({p.n_fft}): "
        "the window must fit in one FFT frame.",
    )
    check(
        p.hop_length <= win,
        f"hop_length ({p.hop_length}) is longer than the window ({win} samples): "
        "the samples between two windows would be ignored.",
    )
    check(p.window in WINDOWS, f"window {p.window!r} is unknown; choose one of {_names(WINDOWS)}.")
    check(
        p.pad_mode in PAD_MODES,
        f"pad_mode must be 'constant' (zeros, librosa >= 0.10) or 'reflect' (older librosa), "
        f"got {p.pad_mode!r}.",
    )
    if p.segment_seconds is not None:
        check(
            p.segment_seconds > 0,
            f"segment_seconds must be positive (or None for no segments), got {p.segment_seconds}.",
        )
        if p.duration is not None:
            check(
                p.segment_seconds <= p.duration,
                f"segment_seconds ({p.segment_seconds:g} s) is longer than the clip duration "
                f"({p.duration:g} s).",
            )
    shortest = p.segment_samples
    if shortest is not None:
        what = "segments" if p.segment_seconds is not None else "clips"
        check(
            shortest >= p.n_fft,
            f"{what} of {shortest / p.sample_rate:.3g} s are {shortest} samples, shorter than one "
            f"FFT frame (n_fft={p.n_fft} samples = {p.n_fft / p.sample_rate:.3g} s).",
        )
    check(p.n_mels >= 1, f"n_mels must be at least 1, got {p.n_mels}.")
    check(p.fmin >= 0, f"fmin must be 0 Hz or more, got {p.fmin:g}.")
    check(
        p.mel_fmax <= p.nyquist,
        f"fmax={p.mel_fmax:g} Hz is above the Nyquist frequency ({p.nyquist:g} Hz) of "
        f"{p.sample_rate} Hz audio: there is no content above sample_rate / 2.",
    )
    check(p.fmin < p.mel_fmax, f"fmin ({p.fmin:g} Hz) must be below fmax ({p.mel_fmax:g} Hz).")
    empty = _empty_mel_bands(p)
    check(
        empty == 0,
        f"n_mels={p.n_mels} is too many for n_fft={p.n_fft} between {p.fmin:g} and "
        f"{p.mel_fmax:g} Hz: {empty} mel band(s) would fall between two FFT bins and stay empty. "
        "Use fewer mels or a larger n_fft.",
    )
    check(p.power > 0, f"power must be positive (1 = magnitude, 2 = power), got {p.power:g}.")
    check(
        p.ref == "max" or (not isinstance(p.ref, str) and p.ref > 0),
        f"ref must be 'max' or a positive number, got {p.ref!r}.",
    )
    check(p.amin > 0, f"amin must be a positive number, got {p.amin:g}.")
    check(
        p.top_db is None or p.top_db > 0,
        f"top_db must be positive (e.g. 80 dB) or None for no floor, got {p.top_db}.",
    )
    check(
        p.normalize in NORMALIZATIONS,
        f"normalize must be one of {_names(NORMALIZATIONS)}, got {p.normalize!r}.",
    )
    check(p.image in IMAGE_MODES, f"image must be None or 'kaggle', got {p.image!r}.")
    check_cost(p)


def _names(options: tuple[str, ...]) -> str:
    return ", ".join(repr(o) for o in options)


# -- mel scale (Slaney, as librosa) ------------------------------------------------------------
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_LOGSTEP = math.log(6.4) / 27.0


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / _F_SP
    log = _MIN_LOG_HZ / _F_SP + np.log(np.maximum(hz, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(hz >= _MIN_LOG_HZ, log, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    min_log_mel = _MIN_LOG_HZ / _F_SP
    log = _MIN_LOG_HZ * np.exp(_LOGSTEP * (mel - min_log_mel))
    return np.where(mel >= min_log_mel, log, _F_SP * mel)


def _mel_edges(p: MelParams) -> np.ndarray:
    """The n_mels + 2 band edges in Hz (``librosa.mel_frequencies(n_mels + 2, fmin, fmax)``)."""
    mels = np.linspace(_hz_to_mel(p.fmin), _hz_to_mel(p.mel_fmax), p.n_mels + 2)
    return _mel_to_hz(mels)


def _empty_mel_bands(p: MelParams) -> int:
    """How many triangular mel filters contain no FFT bin (librosa warns; we refuse)."""
    edges = _mel_edges(p)
    bins = np.arange(1 + p.n_fft // 2) * p.sample_rate / p.n_fft
    lo = np.searchsorted(bins, edges[:-2], side="right")  # first bin above the lower edge
    hi = np.searchsorted(bins, edges[2:], side="left")  # first bin at or above the upper edge
    return int(np.sum(hi <= lo))


def mel_frequencies(params: MelParams) -> np.ndarray:
    """Centre frequency in Hz of each mel band (for plot axes)."""
    return _mel_edges(params)[1:-1]


def frame_times(params: MelParams, n_frames: int, start: float = 0.0) -> np.ndarray:
    """Time in seconds of the centre of each frame of a segment that begins at ``start``."""
    first = 0 if params.center else params.n_fft // 2
    return start + (first + np.arange(n_frames) * params.hop_length) / params.sample_rate


# -- presets -----------------------------------------------------------------------------------
#: Named parameter sets. ``librosa``: librosa's defaults on the 30 s GTZAN clip. ``kaggle``: the
#: input of the seed paper, the Kaggle ``images_original`` PNGs (whole clip, librosa < 0.10
#: reflect padding, ``amplitude_to_db(power mel, ref=np.max)`` i.e. an 80 dB floor on a 20 log10
#: scale = a 40 dB floor in power dB, rendered as a magma image). ``fast``: low resolution, 3 s
#: segments, for quick experiments.
PRESETS: dict[str, MelParams] = {
    "librosa": MelParams(),
    "kaggle": MelParams(duration=None, pad_mode="reflect", ref="max", top_db=40.0, image="kaggle"),
    "fast": MelParams(
        segment_seconds=3.0, n_fft=1024, hop_length=512, n_mels=64, fmax=8000.0, ref="max"
    ),
}
DEFAULT_PRESET = "librosa"


# -- cutting clips ------------------------------------------------------------------------------
def segments(y: np.ndarray, params: MelParams) -> np.ndarray:
    """Cut a decoded clip into a (n_segments, segment_samples) float32 array.

    The clip is first cut or zero-padded to ``params.duration`` (``None``: kept whole), then split
    into segments of ``params.segment_seconds`` (the remainder is dropped). A signal shorter than
    one segment (or than ``n_fft``) is zero-padded to that length.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ParamsError(f"Expected a mono signal (one dimension), got shape {y.shape}.")
    if params.n_samples is not None:
        y = _fit(y, params.n_samples)
    length = params.segment_samples or max(len(y), params.n_fft)
    count = max(1, len(y) // length)
    return _fit(y, count * length).reshape(count, length)


def _fit(y: np.ndarray, n: int) -> np.ndarray:
    if len(y) >= n:
        return y[:n]
    return np.concatenate([y, np.zeros(n - len(y), dtype=y.dtype)])


# -- the reference: librosa --------------------------------------------------------------------
def mel_reference(y: np.ndarray, params: MelParams) -> np.ndarray:
    """librosa's mel spectrogram of a signal (n,) -> (n_mels, frames), or a batch (b, n) ->
    (b, n_mels, frames); float32, in dB and normalised as ``params`` says."""
    import librosa

    batch, single = _as_batch(y, params)
    out = []
    for row in batch:
        S = librosa.feature.melspectrogram(
            y=row,
            sr=params.sample_rate,
            n_fft=params.n_fft,
            hop_length=params.hop_length,
            win_length=params.win_length,
            window=params.window,
            center=params.center,
            pad_mode=params.pad_mode,
            power=params.power,
            n_mels=params.n_mels,
            fmin=params.fmin,
            fmax=params.mel_fmax,
        )
        if params.db:
            ref = np.max if params.ref == "max" else params.ref
            S = librosa.power_to_db(S, ref=ref, amin=params.amin, top_db=params.top_db)
        out.append(S)
    result = _normalise(np.stack(out).astype(np.float32, copy=False), params.normalize)
    return result[0] if single else result


# -- the fast one: torch -----------------------------------------------------------------------
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

    batch, single = _as_batch(y, params)
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
    out = _normalise(out, params.normalize)
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


def _as_batch(y: np.ndarray, params: MelParams) -> tuple[np.ndarray, bool]:
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


def _normalise(S: np.ndarray, mode: str) -> np.ndarray:
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
