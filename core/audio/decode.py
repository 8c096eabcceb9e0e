"""Decode what a user may hand us into mono float32 at a target rate, with clear errors."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf

from core import settings
from core.errors import AudioError
from core.settings import SAMPLE_RATE

Source = str | Path | bytes | BinaryIO

#: Frames read at once: 2 MB of float32 at 8 channels.
_BLOCK_FRAMES = 65536


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


def decoded_bytes(frames: int, channels: int, native: int, sr: int) -> tuple[int, int]:
    """Bytes of ``frames`` frames decoded as float32: ``(source, output)``, where the source is
    every channel at the file's rate ``native`` and the output is mono at ``sr``.

    >>> decoded_bytes(192_000, 8, 192_000, 22_050)  # one second of 8 channels at 192 kHz
    (6144000, 88200)
    """
    return frames * channels * 4, int(np.ceil(frames * sr / native)) * 4


def _check_size(source_bytes: int, output_bytes: int, what: str) -> None:
    """Raise :class:`AudioError` when decoding would pass a limit (see :mod:`core.settings`)."""
    s = settings.current()
    for size, limit_mb, name, var in (
        (
            source_bytes,
            s.max_audio_source_mb,
            "all channels at the file's rate",
            "GENRELAB_MAX_AUDIO_SOURCE_MB",
        ),
        (output_bytes, s.max_decoded_mb, "mono at the analysis rate", "GENRELAB_MAX_DECODED_MB"),
    ):
        if size > limit_mb * 2**20:
            raise AudioError(
                f"{what} decodes to {size / 2**20:,.0f} MB ({name}), more than the limit of "
                f"{limit_mb:,} MB ({var}); use a shorter clip, fewer channels or a lower "
                "sample rate."
            )


class _Mono:
    """Blocks of frames in, one mono float32 signal at ``sr`` out: mixed, cleaned of NaN and
    resampled block by block (soxr streaming gives exactly the one-shot output)."""

    def __init__(self, native: int, sr: int) -> None:
        import soxr

        self.stream = (
            None
            if native == sr
            else soxr.ResampleStream(native, sr, 1, dtype="float32", quality="HQ")
        )
        self.parts: list[np.ndarray] = []
        self.read = self.bad = 0

    def add(self, block: np.ndarray) -> None:
        y = block.mean(axis=1) if block.shape[1] > 1 else block[:, 0]
        finite = np.isfinite(y)
        if not finite.all():
            self.bad += int((~finite).sum())
            y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
        self.read += len(y)
        self.parts.append(y if self.stream is None else self.stream.resample_chunk(y))

    def signal(self) -> np.ndarray:
        if self.stream is not None:
            self.parts.append(self.stream.resample_chunk(np.zeros(0, np.float32), last=True))
        return np.ascontiguousarray(np.concatenate(self.parts), dtype=np.float32)


def load(
    source: Source,
    sr: int = SAMPLE_RATE,
    offset: float = 0.0,
    duration: float | None = None,
    max_seconds: float | None = None,
    notes: list[str] | None = None,
) -> np.ndarray:
    """Decode ``source`` to a mono float32 signal at ``sr`` Hz.

    The file is read block by block (mixed to mono and resampled as it goes), so memory stays
    near the size of the result, whatever the file's channels and rate; the stretch to read is
    checked against the decoded-size limits from the header before anything is decoded.

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
        for an empty, truncated or undecodable file, one with no finite samples, or one whose
        stretch would decode to more than ``GENRELAB_MAX_DECODED_MB`` (mono at ``sr``) or
        ``GENRELAB_MAX_AUDIO_SOURCE_MB`` (every channel at the file's rate).
    """
    if sr <= 0:
        raise AudioError(f"Target sample rate must be positive, got {sr}.")
    if max_seconds is None:
        max_seconds = settings.current().max_analysis_seconds
    handle = _open(source)
    name = Path(source).name if isinstance(source, (str, Path)) else "The clip"
    try:
        with sf.SoundFile(handle) as f:
            native, channels = int(f.samplerate), int(f.channels)
            start = min(int(round(max(offset, 0.0) * native)), f.frames)
            seconds = max_seconds if duration is None else min(duration, max_seconds)
            frames = min(int(round(seconds * native)), f.frames - start)
            _check_size(*decoded_bytes(frames, channels, native, sr), name)
            if start:
                f.seek(start)
            mono = _Mono(native, sr)
            while mono.read < frames:  # never more than the header promised
                block = _read_float32(f, min(_BLOCK_FRAMES, frames - mono.read))
                if not len(block):
                    break
                mono.add(block)
            total_seconds = f.frames / native
    except AudioError:
        raise
    except Exception as exc:
        raise AudioError(f"Could not decode the audio ({_short(exc)}).") from exc
    if mono.read == 0:
        raise AudioError("The file holds no audio samples.")
    if mono.bad == mono.read:
        raise AudioError("Every sample is NaN or infinite.")
    said = notes if notes is not None else []
    read_seconds = mono.read / native
    if duration is None and total_seconds - offset > read_seconds + 1:
        said.append(
            f"Only the first {read_seconds / 60:.0f} min of {total_seconds / 60:.0f} min "
            "were analysed."
        )
    if channels > 1:
        said.append(f"The {channels} channels were mixed down to mono.")
    if mono.bad:
        said.append(f"{mono.bad} NaN or infinite samples were set to zero.")
    if native != sr:
        said.append(f"Resampled from {native} Hz to {sr} Hz.")
    return mono.signal()


#: libsndfile names the object it was handed (``Error opening <_io.BytesIO object at 0x..>:``).
_OPENING = re.compile(r"^Error opening .*?: ")


def _short(exc: Exception) -> str:
    """The decoder's reason in plain words: its last line, without the name of the object it
    was handed, and "not decodable" where libsndfile says a file that exists does not."""
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    text = _OPENING.sub("", text).strip()
    if "does not exist" in text or not text:
        text = "the data is damaged or in a format the installed decoders cannot read"
    return text[:200]
