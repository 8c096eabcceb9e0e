"""A synthetic demo dataset in GTZAN's layout, with artists and planted faults as ground truth.

Ten "genres" are synthesised from musical ingredients rather than noise colours: tempo ranges,
drum patterns (shuffle, four-on-the-floor, boom-bap, one drop, blast beats...), instruments
(additive wavetables, Karplus-Strong plucked strings, distorted power chords, formant "voices"),
chord progressions (12-bar blues, ii-V-I, I-V-vi-IV...) and dynamics. Each genre has a few
invented artists whose clips share a sound; neighbouring genres overlap on purpose.

Like GTZAN (Sturm, 2013) the set holds faults, planted here with exact ground truth in
``demo_meta.csv``: exact repetitions (within and across genres, and one recording excerpted
twice at a time offset), mislabelled clips, hard clipping and digital dropouts.

Layout::

    dest/genres/<genre>/<genre>.NNNNN.wav   16-bit PCM, mono, 22050 Hz
    dest/demo_meta.csv                      track_id, genre_label, true_genre, artist, fault,
                                            related, detail
    dest/README.md

This module writes the set; the parts it follows, from the plan down to the samples:
:mod:`.plan` (artists, which clip carries which fault), :mod:`.recipes` (one recipe per genre,
mastering), :mod:`.song` (a clip being composed, instruments, shared parts), :mod:`.theory`
(chords, scales), :mod:`.sound` (oscillators, filters, drum kits, effects), :mod:`.planted`
(clipping and dropouts) and :mod:`.truth` (``demo_meta.csv``).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import soundfile as sf

from core import settings
from core.demo.plan import _across, _plan, _Track
from core.demo.planted import _plant
from core.demo.recipes import _render
from core.demo.sound import SR, _kit
from core.demo.truth import FAULT_KINDS, META_NAME, demo_folder, load_demo_truth, write_demo_truth
from core.errors import DatasetError, ParamsError
from core.genres import GENRES
from core.storage.lock import locked
from core.storage.publish import publishing

#: The smallest dataset that still holds every planted fault.
MIN_CLIPS_PER_GENRE = 4
MIN_SECONDS = 2.0

Progress = Callable[[int, int], None]


# --------------------------------------------------------------------------- public API


def generate_demo(
    dest: Path | None = None,
    seed: int = 0,
    clips_per_genre: int = 20,
    seconds: float = 10.0,
    progress: Progress | None = None,
) -> Path:
    """Synthesise the demo dataset into ``dest`` and return ``dest``.

    The result depends only on the arguments (same seed, same bytes). The set is written into a
    temporary folder beside ``dest`` and renamed into place at the end, so ``dest`` is never a
    half-written dataset. An existing demo dataset at ``dest`` is replaced. Generations of one
    ``dest`` take turns (on a lock file), in this process and in others.

    Parameters
    ----------
    dest
        Folder to create (its parent is created if needed). It must be absent, empty, or an
        earlier demo dataset.
    seed
        Seed of every random choice.
    clips_per_genre
        Files filed under each genre, at least ``MIN_CLIPS_PER_GENRE``.
    seconds
        Length of each clip, at least ``MIN_SECONDS``.
    progress
        Called as ``progress(files_done, files_total)`` after every file.
    """
    dest = demo_folder(dest)
    with _turn(dest):
        _generate(dest, seed, clips_per_genre, seconds, progress)
    return dest


def ensure_demo(
    dest: Path | None = None,
    progress: Progress | None = None,
    *,
    seed: int = 0,
    clips_per_genre: int = 20,
    seconds: float = 10.0,
) -> Path:
    """Return ``dest``, generating the demo dataset first if it is missing or incomplete.

    A complete dataset is kept as it is, whatever settings made it; the keyword arguments are
    those of :func:`generate_demo` and only matter when it runs. Two processes asking at once
    generate it once: the second waits for the first and keeps its set.
    """
    dest = demo_folder(dest)
    if not is_complete(dest):
        with _turn(dest):
            if not is_complete(dest):  # not made by another process while we waited
                _generate(dest, seed, clips_per_genre, seconds, progress)
    return dest


def _turn(dest: Path) -> AbstractContextManager:
    """The lock generations of ``dest`` take turns on (in the data folder's ``.locks``, so
    nothing is left beside ``dest``)."""
    locks = settings.current().data_dir / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    return locked(locks / f"demo-{hashlib.sha256(str(dest).encode()).hexdigest()[:16]}.lock")


def _generate(
    dest: Path, seed: int, clips_per_genre: int, seconds: float, progress: Progress | None
) -> None:
    """Write the set (see :func:`generate_demo`), holding the lock of ``dest``."""
    if int(clips_per_genre) != clips_per_genre or clips_per_genre < MIN_CLIPS_PER_GENRE:
        raise ParamsError(
            f"clips_per_genre must be a whole number of at least {MIN_CLIPS_PER_GENRE} "
            f"(got {clips_per_genre}): fewer clips cannot hold every planted fault."
        )
    if not seconds >= MIN_SECONDS:
        raise ParamsError(f"seconds must be at least {MIN_SECONDS} (got {seconds}).")
    if dest.exists() and not _replaceable(dest):
        raise DatasetError(
            f"{dest} already exists and is not a demo dataset; choose an empty or new folder."
        )
    try:
        with publishing(dest, replace=True) as tmp:  # an older demo dataset is swapped out
            tracks = _plan(seed, int(clips_per_genre))
            _write_audio(tmp, tracks, seed, int(round(seconds * SR)), progress)
            _write_meta(tmp / META_NAME, tracks)
            _write_readme(tmp / "README.md", seed, int(clips_per_genre), seconds, tracks)
    finally:
        _kit.cache_clear()  # ~1 MB per artist: not worth keeping in a long-lived app


def is_complete(dest: Path) -> bool:
    """True when ``dest`` holds a demo dataset whose metadata and every listed file are present."""
    try:
        truth = load_demo_truth(dest)
    except DatasetError:
        return False
    sizes = set()
    for track, label in zip(truth["track_id"], truth["genre_label"], strict=True):
        path = _clip_path(Path(dest), label, track)
        if not path.is_file():
            return False
        sizes.add(path.stat().st_size)
    return len(sizes) == 1 and sizes.pop() > 44  # every clip has the same length


# --------------------------------------------------------------------------- writing


def _write_audio(
    root: Path, tracks: list[_Track], seed: int, n: int, progress: Progress | None
) -> None:
    for genre in GENRES:
        (root / "genres" / genre).mkdir(parents=True)
    by_id = {t.track_id: t for t in tracks}
    offset_copies = {t.offset_of: t for t in tracks if t.offset_of}
    # Originals first, so that copies can copy their files.
    order = sorted(tracks, key=lambda t: bool(t.copy_of or t.offset_of))
    for done, track in enumerate(order, 1):
        path = _clip_path(root, track.genre_label, track.track_id)
        if track.copy_of:
            src = by_id[track.copy_of]
            shutil.copyfile(_clip_path(root, src.genre_label, src.track_id), path)
        elif not track.offset_of:
            copy = offset_copies.get(track.track_id)
            shift = int(round(copy.shift * n)) if copy else 0
            audio = _render(track, seed, n + shift)
            if copy:
                _write_wav(_clip_path(root, copy.genre_label, copy.track_id), audio[shift:])
                _describe_offset(track, copy, shift)
            audio = _plant(track, audio[:n], seed)
            _write_wav(path, audio)
        if progress is not None:
            progress(done, len(tracks))


def _describe_offset(orig: _Track, copy: _Track, shift: int) -> None:
    n_same = f"{shift / SR:.3f} s ({shift} samples)"
    copy.detail = (
        f"the same recording as {orig.track_id}, {n_same} later: its samples from 0 equal "
        f"{orig.track_id}'s from {shift} on; the rest is later material{_across(orig, copy)}"
    )
    orig.detail = f"original of {copy.track_id}, which repeats it from {n_same} on"


def _write_wav(path: Path, audio: np.ndarray) -> None:
    sf.write(path, audio, SR, subtype="PCM_16", format="WAV")


def _clip_path(root: Path, genre: str, track_id: str) -> Path:
    return root / "genres" / genre / f"{track_id}.wav"


def _write_meta(path: Path, tracks: list[_Track]) -> None:
    write_demo_truth(
        path,
        (
            (
                t.track_id,
                t.genre_label,
                t.true_genre,
                t.artist.name,
                t.fault,
                ";".join(t.related),
                t.detail,
            )
            for t in tracks
        ),
    )


def _write_readme(
    path: Path, seed: int, clips_per_genre: int, seconds: float, tracks: list[_Track]
) -> None:
    counts = {k: sum(t.fault == k for t in tracks) for k in FAULT_KINDS}
    path.write_text(
        "# Genre Lab demo dataset (synthetic)\n\n"
        "Every clip here was synthesised by `core.demo` "
        f"(seed {seed}, {clips_per_genre} clips per genre, {seconds:g} s each): no recording, "
        "no real artist. It copies GTZAN's layout (`genres/<genre>/<genre>.NNNNN.wav`, 16-bit "
        f"mono {SR} Hz) so that every part of Genre Lab can be tried without downloading GTZAN.\n\n"
        f"`{META_NAME}` is the ground truth: the invented artist of every clip, and the faults "
        "planted on purpose, as GTZAN has them (Sturm 2013): "
        f"{counts['exact_repetition']} clips in exact repetitions, {counts['mislabel']} "
        f"mislabelled, {counts['clipping']} clipped, {counts['dropout']} with dropouts.\n\n"
        "Columns: `track_id`; `genre_label`, the folder it is filed under; `true_genre`, what "
        "the audio is; `artist`; `fault` (empty, or one of "
        f"{', '.join(FAULT_KINDS)}); `related`, the other track ids involved (both clips of a "
        "repetition name each other); `detail`, with exact times and sample indices.\n",
        encoding="utf-8",
    )


def _replaceable(dest: Path) -> bool:
    return dest.is_dir() and (not any(dest.iterdir()) or (dest / META_NAME).is_file())
