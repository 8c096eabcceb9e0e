"""Decode what a user may hand us into mono float32 at a target rate, with clear errors."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf

from core import settings
from core.errors import AudioError
from core.settings import SAMPLE_RATE

Source = str | Path | bytes | BinaryIO


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says about it."""

    duration: float
    sample_rate: int
    channels: int
    format: str


def _open(source: Source) -> str | BinaryIO:
    if isinstance(source, bytes):
        if not source:
            raise AudioError("The file is empty (0 bytes).")
        return io.BytesIO(source)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise AudioError(f"No such file: {path}")
        if path.stat().st_size == 0:
            raise AudioError(f"{path.name} is empty (0 bytes).")
        return str(path)
    return source


def probe(source: Source) -> AudioInfo:
    """Read the header of an audio file; raise :class:`AudioError` if it is not decodable audio."""
    try:
        info = sf.info(_open(source))
    except AudioError:
        raise
    except Exception as exc:  # libsndfile raises several types for bad headers
        raise AudioError(f"Not a readable audio file ({_short(exc)}).") from exc
    if info.samplerate <= 0 or info.channels <= 0:
        raise AudioError("The file's header gives no sample rate or no channels.")
    return AudioInfo(
        duration=info.frames / info.samplerate,
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        format=str(info.format),
    )


def _read_float32(f: sf.SoundFile, frames: int) -> np.ndarray:
    """``f.read(frames, dtype="float32", always_2d=True)``, the same values faster for 16-bit
    PCM (GTZAN's format): libsndfile's own conversion takes ~4x as long as reading the
    integers and scaling them by 1/32768 (a power of two, so exactly the same floats)."""
    if f.subtype != "PCM_16":
        return f.read(frames=frames, dtype="float32", always_2d=True)
    ints = f.read(frames=frames, dtype="int16", always_2d=True)
    return np.multiply(ints, np.float32(1 / 32768), dtype=np.float32)


def load(
    source: Source,
    sr: int = SAMPLE_RATE,
    offset: float = 0.0,
    duration: float | None = None,
    max_seconds: float | None = None,
    notes: list[str] | None = None,
) -> np.ndarray:
    """Decode ``source`` to a mono float32 signal at ``sr`` Hz.

    Parameters
    ----------
    source : path, bytes or binary file object
    sr : target sample rate; the signal is resampled (soxr) if the file differs.
    offset, duration : the stretch to read, in seconds (``duration=None``: to the end).
    max_seconds : never decode more than this many seconds, whatever ``duration`` says
        (default: the ``max_analysis_seconds`` setting).
    notes : when given, a plain-words line is appended for everything done to the audio on the
        way (channels mixed, resampled, NaN samples zeroed, only a part read).

    Raises
    ------
    AudioError
        for an empty, truncated or undecodable file, or one with no finite samples.
    """
    if sr <= 0:
        raise AudioError(f"Target sample rate must be positive, got {sr}.")
    if max_seconds is None:
        max_seconds = settings.current().max_analysis_seconds
    handle = _open(source)
    try:
        with sf.SoundFile(handle) as f:
            native = int(f.samplerate)
            start = int(round(max(offset, 0.0) * native))
            seconds = max_seconds if duration is None else min(duration, max_seconds)
            frames = int(round(seconds * native))
            if start:
                f.seek(min(start, f.frames))
            data = _read_float32(f, frames)
            total_seconds = f.frames / native
    except AudioError:
        raise
    except Exception as exc:
        raise AudioError(f"Could not decode the audio ({_short(exc)}).") from exc
    if data.size == 0:
        raise AudioError("The file holds no audio samples.")
    said = notes if notes is not None else []
    read_seconds = len(data) / native
    if duration is None and total_seconds - offset > read_seconds + 1:
        said.append(
            f"Only the first {read_seconds / 60:.0f} min of {total_seconds / 60:.0f} min "
            "were analysed."
        )
    y = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if data.shape[1] > 1:
        said.append(f"The {data.shape[1]} channels were mixed down to mono.")
    if not np.isfinite(y).all():
        bad = int((~np.isfinite(y)).sum())
        if bad == y.size:
            raise AudioError("Every sample is NaN or infinite.")
        y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
        said.append(f"{bad} NaN or infinite samples were set to zero.")
    if native != sr:
        import soxr

        y = soxr.resample(y, native, sr, quality="HQ")
        said.append(f"Resampled from {native} Hz to {sr} Hz.")
    return np.ascontiguousarray(y, dtype=np.float32)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return text[:200]
