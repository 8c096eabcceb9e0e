"""Mel spectrograms: the parameters that shape a model's input, their presets, and the reference
implementation.

``MelParams`` holds every setting (clip stretch, segments, STFT, mel bands, dB, normalisation,
image mode), each field declared once in ``MEL_PARAMS`` (see ``core.constraints``); ``PRESETS``
names the common ones. ``mel_reference`` is librosa itself; ``core.audio.mel_fast.mel_fast`` is a
torch version that agrees with it to within 0.01 dB and is several times faster (see
``bench/mel_speed.py``). Both take a signal (or a batch of equal-length signals) that is
already cut to one segment; ``segments`` does the cutting and ``core.audio.clip.clip_features``
the whole chain.

A librosa-compatible mel filterbank is Slaney-scaled and Slaney-normalised (librosa's default).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.audio.cost import check_cost
from core.audio.mel_fast import as_batch, normalise
from core.constraints import Boolean, Interval, Options, Param, validate_fields
from core.errors import ParamsError
from core.settings import SAMPLE_RATE

WINDOWS: tuple[str, ...] = ("hann", "hamming", "blackman", "bartlett", "boxcar")
PAD_MODES: tuple[str, ...] = ("constant", "reflect")
NORMALIZATIONS: tuple[str, ...] = ("none", "minmax", "standard")
IMAGE_MODES: tuple[str | None, ...] = (None, "kaggle")
#: One rendered ``image="kaggle"`` segment: (height, width, RGB), as Kaggle's PNGs
#: (drawn by :mod:`core.audio.kaggle_image`, which uses this module; never the other way round).
KAGGLE_IMAGE_SHAPE: tuple[int, int, int] = (288, 432, 3)
_POSITIVE = Interval(float, 0, None, closed="neither")

#: Every field of MelParams: its rule, and what the Lab's widgets offer.
MEL_PARAMS: dict[str, Param] = {
    "sample_rate": Param(
        Interval(int, 1000, None, unit="Hz"),
        choices=(8000, 11025, 16000, 22050, 32000, 44100),
        help="clips are decoded (and resampled if needed) to this rate",
    ),
    "offset": Param(
        Interval(float, 0, None, unit="s"),
        widget=(0, 600),
        step=0.5,
        help="seconds skipped at the start of every clip",
    ),
    "duration": Param(
        Interval(float, 0, None, closed="neither", unit="seconds"),
        none="the whole clip",
        widget=(0, 600),
        step=1.0,
        help="seconds of each clip used; shorter clips are zero-padded, longer ones cut",
    ),
    "segment_seconds": Param(
        _POSITIVE,
        none="no segments",
        widget=(0, 600),
        step=0.5,
        help="split the used stretch into non-overlapping segments of this length",
    ),
    "n_fft": Param(
        Interval(int, 16, None, unit="samples"),
        choices=(256, 512, 1024, 2048, 4096, 8192),
        help="FFT size in samples",
    ),
    "hop_length": Param(
        Interval(int, 1, None, unit="sample"),
        widget=(0, 8192),
        step=64,
        help="samples between two frames",
    ),
    "win_length": Param(
        Interval(int, 1, None, unit="sample"),
        none="n_fft",
        widget=(0, 8192),
        step=64,
        help="window length in samples, at most n_fft",
    ),
    "window": Param(Options(WINDOWS), help="the STFT window"),
    "center": Param(Boolean(), help="centre frames on their time (pads the edges)"),
    "pad_mode": Param(
        Options(PAD_MODES),
        help="how centring pads the edges: zeros (librosa >= 0.10) or reflect (older librosa)",
    ),
    "n_mels": Param(Interval(int, 1, None), widget=(8, 256), help="mel bands"),
    "fmin": Param(
        Interval(float, 0, None, unit="Hz"),
        widget=(0, 48000),
        step=10.0,
        help="lowest frequency of the filterbank",
    ),
    "fmax": Param(
        _POSITIVE,
        none="Nyquist",
        widget=(0, 48000),
        step=100.0,
        help="highest frequency of the filterbank, at most sample_rate / 2",
    ),
    "power": Param(
        _POSITIVE, choices=(1.0, 2.0), help="exponent of the magnitude: 1 = magnitude, 2 = power"
    ),
    "db": Param(Boolean(), help="convert to decibels (librosa.power_to_db)"),
    "ref": Param(
        (Options(("max",)), _POSITIVE),
        choices=(1.0, "max"),
        help="the 0 dB reference: a number, or each segment's own maximum",
    ),
    "amin": Param(_POSITIVE, help="floor of the magnitude before the logarithm"),
    "top_db": Param(
        _POSITIVE,
        none="no floor",
        widget=(0, 200),
        step=10.0,
        help="floor of the dB values below their maximum",
    ),
    "normalize": Param(
        Options(NORMALIZATIONS),
        help="each segment to [0, 1] (minmax) or to mean 0, standard deviation 1 (standard)",
    ),
    "image": Param(
        Options(IMAGE_MODES), help="mel arrays, or the Kaggle images_original rendering"
    ),
}


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
        for name, value in validate_fields(MEL_PARAMS, self.__dict__).items():
            object.__setattr__(self, name, value)
        _check_together(self)

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

    def summary(self, preset: str | None = None) -> str:
        """One line: the number of mel bands, then a preset (``preset``, else the closest one)
        and every field that differs from it, so two different settings never share a summary.

        >>> PRESETS["librosa"].replace(window="hamming", fmax=8000).summary()
        '128 mels (librosa + window=hamming, fmax=8000)'
        """
        name = preset or min(PRESETS, key=lambda n: len(_changes(PRESETS[n], self)))
        changes = _changes(PRESETS[name], self)
        return f"{self.n_mels} mels ({name}" + (" + " + ", ".join(changes) if changes else "") + ")"


def _changes(base: MelParams, params: MelParams) -> list[str]:
    """``field=value`` for each field of ``params`` that differs from ``base``."""
    return [
        f"{name}={param.text(getattr(params, name))}"
        for name, param in MEL_PARAMS.items()
        if getattr(params, name) != getattr(base, name)
    ]


def _check_together(p: MelParams) -> None:
    """The rules that tie several fields together (each field alone is checked already)."""

    def check(ok: bool, message: str) -> None:
        if not ok:
            raise ParamsError(message)

    win = p.n_fft if p.win_length is None else p.win_length
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
    if p.segment_seconds is not None and p.duration is not None:
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
    check_cost(p)


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

    batch, single = as_batch(y, params)
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
    result = normalise(np.stack(out).astype(np.float32, copy=False), params.normalize)
    return result[0] if single else result
