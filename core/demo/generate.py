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
"""

from __future__ import annotations

import csv
import functools
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
from scipy import signal

from core import settings
from core.errors import DatasetError, ParamsError
from core.genres import GENRES
from core.settings import SAMPLE_RATE
from core.storage.publish import publishing

SR = SAMPLE_RATE
META_NAME = "demo_meta.csv"
META_COLUMNS = ("track_id", "genre_label", "true_genre", "artist", "fault", "related", "detail")
FAULT_KINDS = ("exact_repetition", "mislabel", "clipping", "dropout")
#: The smallest dataset that still holds every planted fault.
MIN_CLIPS_PER_GENRE = 4
MIN_SECONDS = 2.0
FULL_SCALE = 32767

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
    half-written dataset. An existing demo dataset at ``dest`` is replaced.

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
    if int(clips_per_genre) != clips_per_genre or clips_per_genre < MIN_CLIPS_PER_GENRE:
        raise ParamsError(
            f"clips_per_genre must be a whole number of at least {MIN_CLIPS_PER_GENRE} "
            f"(got {clips_per_genre}): fewer clips cannot hold every planted fault."
        )
    if not seconds >= MIN_SECONDS:
        raise ParamsError(f"seconds must be at least {MIN_SECONDS} (got {seconds}).")
    dest = _dest(dest)
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
    those of :func:`generate_demo` and only matter when it runs.
    """
    dest = _dest(dest)
    if not is_complete(dest):
        generate_demo(dest, seed, clips_per_genre, seconds, progress)
    return dest


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


def load_demo_truth(dest: Path | None = None) -> pd.DataFrame:
    """The ground truth of a demo dataset (``demo_meta.csv``) as a DataFrame of strings.

    Columns: track_id, genre_label (the genre folder it is filed under), true_genre (what the
    audio is), artist, fault ('' or one of ``FAULT_KINDS``), related (';'-joined track ids of the
    other clips involved), detail (a sentence with the exact numbers).
    """
    path = _dest(dest) / META_NAME
    if not path.is_file():
        raise DatasetError(f"{path.parent} is not a demo dataset: {META_NAME} is missing.")
    try:
        truth = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, OSError) as exc:
        raise DatasetError(f"{path} cannot be read ({exc}).") from exc
    if tuple(truth.columns) != META_COLUMNS:
        raise DatasetError(f"{path} does not have the columns {', '.join(META_COLUMNS)}.")
    return truth


# --------------------------------------------------------------------------- artists and plan


@dataclass(frozen=True)
class _GenreSpec:
    tempo: tuple[float, float]  # bpm range
    level: tuple[float, float]  # peak level, fraction of full scale
    drive: tuple[float, float]  # master saturation (0: linear)
    swing: tuple[float, float]  # where the off-eighth falls in the beat (0.5: straight)


# fmt: off
_SPECS: dict[str, _GenreSpec] = {
    #                        tempo        level         drive       swing
    "blues":     _GenreSpec((62, 118),  (0.45, 0.9),  (0.3, 2.0), (0.58, 0.68)),
    "classical": _GenreSpec((52, 126),  (0.25, 0.85), (0.0, 0.4), (0.5, 0.5)),
    "country":   _GenreSpec((88, 150),  (0.55, 0.9),  (0.5, 2.0), (0.5, 0.57)),
    "disco":     _GenreSpec((108, 132), (0.65, 0.95), (1.0, 3.0), (0.5, 0.56)),
    "hiphop":    _GenreSpec((78, 102),  (0.7, 0.95),  (1.5, 4.0), (0.5, 0.64)),
    "jazz":      _GenreSpec((70, 220),  (0.35, 0.85), (0.0, 1.2), (0.6, 0.68)),
    "metal":     _GenreSpec((96, 210),  (0.88, 0.97), (3.0, 7.0), (0.5, 0.5)),
    "pop":       _GenreSpec((94, 128),  (0.75, 0.95), (1.5, 4.0), (0.5, 0.55)),
    "reggae":    _GenreSpec((64, 92),   (0.6, 0.9),   (0.8, 2.5), (0.5, 0.6)),
    "rock":      _GenreSpec((98, 160),  (0.75, 0.95), (1.5, 4.0), (0.5, 0.52)),
}
# fmt: on

#: Invented artists (any likeness to real names is accidental), 3 to 5 per genre.
_ARTIST_NAMES: dict[str, str] = {
    "blues": "Gravelroad Slim; Mabel Delta; Otis Creekbed; Lightfoot Harris",
    "classical": "Ventani Quartet; Lumiere Chamber Orchestra; Ilse Marrow; Brandt Sinfonietta; "
    "Kovac Trio",
    "country": "Dusty Waylon Pike; The Prairie Hollers; Loretta Mayfield; Cass Tumbleweed",
    "disco": "Glitterbox Inc.; The Velvet Strobes; Donna Mirrorball; Funkadelia Nights",
    "hiphop": "MC Concrete; Lil Vinyl; Boom Bap Coalition; DJ Sidewalk; Quietstorm Kid",
    "jazz": "Miles Avenue Quintet; Ella Brookline; Thelonious Fern; Coleman Ridge Trio",
    "metal": "Iron Thornhammer; Necrofrost; Steel Cathedral",
    "pop": "Kaylee Starr; The Sugarwaves; Nova Lane; Jamie Glow",
    "reggae": "Ras Wilmot; Dub Mariner; Sister Irie",
    "rock": "The Loose Gravel; Crimson Highway; Rusty Amplifiers; Jack Diesel Band",
}

#: Genres whose clips are easily mistaken for each other (used for mislabels, cross repetitions).
_NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "blues": ("jazz", "rock", "country"),
    "classical": ("jazz",),
    "country": ("rock", "blues", "pop"),
    "disco": ("pop", "hiphop"),
    "hiphop": ("reggae", "pop", "disco"),
    "jazz": ("blues", "classical"),
    "metal": ("rock",),
    "pop": ("disco", "country", "hiphop", "rock"),
    "reggae": ("hiphop", "pop"),
    "rock": ("metal", "country", "blues", "pop"),
}

_EFFECTS = ("none", "room", "echo", "tremolo", "chorus", "lofi", "tape")


@dataclass(frozen=True)
class _Artist:
    """An invented artist: the sound every one of their clips shares."""

    name: str
    genre: str
    seed: int
    tempo: float
    keys: tuple[int, ...]
    variant: int
    bright: float  # 0 dull .. 1 bright (plucks, filters, partials)
    effect: str
    vocal: float  # 0 (no voice) .. 1 (always sings); also the voice's vowel
    drive: float  # 0..1 within the genre's drive range


def _artists(seed: int, genre: str) -> list[_Artist]:
    spec = _SPECS[genre]
    out = []
    for i, name in enumerate(_ARTIST_NAMES[genre].split("; ")):
        aseed = int(
            np.random.SeedSequence([seed, GENRES.index(genre), 100 + i]).generate_state(1)[0]
        )
        rng = np.random.default_rng(aseed)
        out.append(
            _Artist(
                name=name,
                genre=genre,
                seed=aseed,
                tempo=float(rng.uniform(*spec.tempo)),
                keys=tuple(int(k) for k in rng.choice(12, size=2, replace=False)),
                variant=int(rng.integers(3)),
                bright=float(rng.uniform(0.1, 0.9)),
                effect=str(rng.choice(_EFFECTS)),
                vocal=float(rng.uniform()),
                drive=float(rng.uniform()),
            )
        )
    return out


@dataclass
class _Track:
    track_id: str
    genre_label: str
    true_genre: str
    artist: _Artist
    fault: str = ""
    related: list[str] = field(default_factory=list)
    detail: str = ""
    copy_of: str = ""  # exact repetitions: the original's track id
    offset_of: str = ""  # repetition at an offset: the original's track id
    shift: float = 0.0  # ...and how far into it the copy starts (fraction of the clip)
    clip_level: float = 1.0  # clipping: where the flat tops are (fraction of full scale)


def _plan(seed: int, clips_per_genre: int) -> list[_Track]:
    """Who plays each clip, and which clips carry which planted fault."""
    tracks: dict[str, _Track] = {}
    by_genre: dict[str, list[str]] = {}
    artists = {g: _artists(seed, g) for g in GENRES}
    for gi, genre in enumerate(GENRES):
        rng = np.random.default_rng([seed, gi, 1])
        cast = artists[genre][: min(len(artists[genre]), clips_per_genre)]
        counts = 1 + rng.multinomial(clips_per_genre - len(cast), rng.dirichlet([2.0] * len(cast)))
        who = [a for a, c in zip(cast, counts, strict=True) for _ in range(c)]
        by_genre[genre] = []
        for i, artist in enumerate(who):
            tid = f"{genre}.{i:05d}"
            tracks[tid] = _Track(tid, genre, genre, artist)
            by_genre[genre].append(tid)

    rng = np.random.default_rng([seed, 7])
    free = {g: [str(t) for t in rng.permutation(ids)] for g, ids in by_genre.items()}

    def genre_with(n: int) -> str:
        ok = [g for g in GENRES if len(free[g]) >= n]
        weights = np.array([len(free[g]) for g in ok], float)
        return ok[int(rng.choice(len(ok), p=weights / weights.sum()))]

    # Repetitions: (across genres?, at an offset?): three exact copies within a genre, one
    # across genres, and one recording excerpted twice at a time offset within and across.
    for cross, offset in ((0, 0), (0, 0), (0, 0), (1, 0), (0, 1), (1, 1)):
        if cross:
            pairs = [(a, b) for a in GENRES for b in _NEIGHBOURS[a] if free[a] and free[b]]
            a, b = pairs[int(rng.integers(len(pairs)))]
        else:
            a = b = genre_with(2)
        orig, copy = tracks[free[a].pop()], tracks[free[b].pop()]
        copy.true_genre, copy.artist = orig.true_genre, orig.artist
        orig.fault = copy.fault = "exact_repetition"
        orig.related, copy.related = [copy.track_id], [orig.track_id]
        if offset:  # described once the shift in samples is known (_describe_offset)
            copy.offset_of, copy.shift = orig.track_id, float(rng.uniform(0.2, 0.4))
        else:
            copy.copy_of = orig.track_id
            copy.detail = f"byte-identical copy of {orig.track_id}{_across(orig, copy)}"
            orig.detail = f"original of {copy.track_id}, its byte-identical copy"
    for _ in range(4):
        b = genre_with(1)
        a = str(rng.choice(_NEIGHBOURS[b]))
        t = tracks[free[b].pop()]
        t.true_genre, t.artist, t.fault = (
            a,
            artists[a][int(rng.integers(len(artists[a])))],
            "mislabel",
        )
        t.detail = f"the audio is {a} (by {t.artist.name}) but it is filed under {b}"
    for i, kind in enumerate(("clipping",) * 3 + ("dropout",) * 3):
        t = tracks[free[genre_with(1)].pop()]
        t.fault = kind
        if kind == "clipping" and i:  # the first at full scale, the others lower (then scaled)
            t.clip_level = float(rng.uniform(0.5, 0.9))
    return list(tracks.values())


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


def _across(orig: _Track, copy: _Track) -> str:
    if orig.genre_label == copy.genre_label:
        return ""
    return f" (filed under {copy.genre_label}, the audio is {orig.true_genre})"


def _write_wav(path: Path, audio: np.ndarray) -> None:
    sf.write(path, audio, SR, subtype="PCM_16", format="WAV")


def _clip_path(root: Path, genre: str, track_id: str) -> Path:
    return root / "genres" / genre / f"{track_id}.wav"


def _write_meta(path: Path, tracks: list[_Track]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(META_COLUMNS)
        for t in tracks:
            writer.writerow(
                [
                    t.track_id,
                    t.genre_label,
                    t.true_genre,
                    t.artist.name,
                    t.fault,
                    ";".join(t.related),
                    t.detail,
                ]
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


def _dest(dest: Path | None) -> Path:
    """``dest`` in full, or the demo folder of the settings when it is None."""
    return Path(dest).expanduser().resolve() if dest is not None else settings.current().demo_dir


def _replaceable(dest: Path) -> bool:
    return dest.is_dir() and (not any(dest.iterdir()) or (dest / META_NAME).is_file())


# --------------------------------------------------------------------------- planted faults


def _plant(track: _Track, audio: np.ndarray, seed: int) -> np.ndarray:
    """Apply a clipping or dropout fault to int16 ``audio`` and describe it in the track."""
    if track.fault not in ("clipping", "dropout"):
        return audio
    rng = np.random.default_rng([seed, GENRES.index(track.genre_label), 2, _index(track)])
    n = len(audio)
    if track.fault == "clipping":
        level = int(round(track.clip_level * FULL_SCALE))
        x = audio.astype(np.float64)
        gain = level / np.quantile(np.abs(x), 1 - rng.uniform(0.02, 0.06))
        out = np.clip(np.round(x * gain), -level, level).astype(np.int16)
        flat = np.mean(np.abs(out) == level)
        track.detail = (
            f"hard-clipped at {100 * track.clip_level:.0f}% of full scale (+/-{level}) after a "
            f"gain of {20 * np.log10(gain):.1f} dB: {100 * flat:.1f}% of the samples are flat tops"
        )
        return out
    out = audio.copy()
    count = int(rng.integers(1, 4))
    slots = np.sort(rng.choice(np.arange(1, 3 * count + 1), size=count, replace=False))
    spans = []
    for slot in slots:  # one gap per slot of the clip: never overlapping, never at the edges
        length = int(rng.uniform(0.02, 0.05) * n)
        start = int((slot + rng.uniform(0.1, 0.5)) * n / (3 * count + 2))
        out[start : start + length] = 0
        spans.append(
            f"{start / SR:.3f}-{(start + length) / SR:.3f} s (samples {start}:{start + length})"
        )
    track.detail = "digital silence (exact zeros) at " + ", ".join(spans)
    return out


def _index(track: _Track) -> int:
    return int(track.track_id.rsplit(".", 1)[1])


# --------------------------------------------------------------------------- synthesis helpers


# Sounds are float32 where transcendental functions run over whole notes (5-8 times faster).


def _t(n: int) -> np.ndarray:
    """Times of ``n`` samples in seconds (float32)."""
    return np.arange(n, dtype=np.float32) / np.float32(SR)


def _decay(n: int, tau: float) -> np.ndarray:
    """An exponential decay with time constant ``tau`` seconds (float32)."""
    return np.exp(np.arange(n, dtype=np.float32) * np.float32(-1 / (tau * SR)))


def _saturate(x: np.ndarray, drive: float) -> np.ndarray:
    """tanh saturation of ``x`` scaled to peak ``drive`` (float32)."""
    return np.tanh(x.astype(np.float32) * np.float32(drive / (np.abs(x).max() + 1e-9)))


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _filt(x: np.ndarray, kind: str, fc: float | tuple[float, float], order: int = 2) -> np.ndarray:
    """Butterworth filter; cut-offs are rounded to a sixth of a semitone so designs are reused."""
    edges = tuple(round(72 * np.log2(f)) for f in np.atleast_1d(fc))
    return signal.sosfilt(_sos(kind, edges, order), x)


@functools.lru_cache(maxsize=1024)
def _sos(kind: str, edges: tuple[int, ...], order: int) -> np.ndarray:
    fc = [2 ** (e / 72) for e in edges]
    return signal.butter(order, fc if len(fc) > 1 else fc[0], kind, fs=SR, output="sos")


def _fade(x: np.ndarray, attack: float = 0.003, release: float = 0.01) -> np.ndarray:
    """Linear attack and release ramps (in seconds), in place."""
    a, r = min(len(x), int(attack * SR)), min(len(x), int(release * SR))
    if a:
        x[:a] *= np.linspace(0, 1, a, endpoint=False)
    if r:
        x[len(x) - r :] *= np.linspace(1, 0, r)
    return x


_TABLE = 2048


def _table(amps: np.ndarray) -> np.ndarray:
    """One period of a wave with the given harmonic amplitudes, peak-normalised."""
    k = np.arange(1, len(amps) + 1)[:, None]
    wave = (amps[:, None] * np.sin(2 * np.pi * k * np.arange(_TABLE) / _TABLE)).sum(0)
    return wave / np.abs(wave).max()


def _osc(
    table: np.ndarray,
    hz: float,
    n: int,
    vibrato: float = 0.0,
    rate: float = 5.5,
    phase: float = 0.0,
) -> np.ndarray:
    """Read a wavetable at ``hz`` for ``n`` samples; ``vibrato`` is a depth in semitones."""
    step = hz * _TABLE / SR
    if vibrato:  # 2**(v/12 * lfo) ~ 1 + v*ln2/12 * lfo for the small depths used here
        lfo = np.sin(np.arange(n, dtype=np.float32) * np.float32(2 * np.pi * rate / SR))
        index = np.cumsum(lfo * np.float32(step * vibrato * np.log(2) / 12), dtype=np.float64)
        index += np.arange(n) * step + phase * _TABLE
    else:
        index = np.arange(n) * step + phase * _TABLE
    return table[index.astype(np.intp) & (_TABLE - 1)]


def _karplus(
    hz: float, n: int, rng: np.random.Generator, bright: float, decay: float = 0.998
) -> np.ndarray:
    """A plucked string (Karplus-Strong), computed one period at a time."""
    period = max(2, int(round(SR / hz)))
    blocks = -(-n // period)
    y = np.zeros(blocks * period)
    burst = rng.uniform(-1, 1, period)
    c = 0.85 * (1 - bright)
    y[:period] = signal.lfilter([1 - c], [1, -c], burst - burst.mean())
    g = 0.5 * decay
    for k in range(1, blocks):
        prev, cur = y[(k - 1) * period : k * period], y[k * period : (k + 1) * period]
        np.add(prev[1:], prev[:-1], out=cur[1:])
        cur[0] = prev[0] + (y[(k - 1) * period - 1] if k > 1 else 0.0)
        cur *= g
    return _fade(y[:n] / (np.abs(y[:period]).max() + 1e-9), 0.0, 0.01)


_TIMBRES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "saw": lambda k: 1 / k,
    "square": lambda k: (k % 2) / k,
    "organ": lambda k: np.isin(k, (1, 2, 3, 4, 6, 8)) / np.sqrt(k),
    "strings": lambda k: k**-1.3,
    "horn": lambda k: k * np.exp(-k / 2.5),
    "piano": lambda k: k**-1.6,
    "epiano": lambda k: np.exp(-(k - 1) * 1.2),
    "bass": lambda k: k**-2.2,
    "voice": lambda k: k**-1.0,
}


@functools.lru_cache(maxsize=1024)
def _artist_table(seed: int, name: str, bright: float) -> np.ndarray:
    """The artist's own version of a timbre: partial amplitudes jittered by the artist's seed."""
    rng = np.random.default_rng([seed, sum(map(ord, name))])
    k = np.arange(1, 25, dtype=float)
    amps = _TIMBRES[name](k) * np.exp(rng.normal(0, 0.35, k.size)) * k ** (bright - 0.5)
    return _table(amps)


# --------------------------------------------------------------------------- drums


@functools.lru_cache(maxsize=64)
def _kit(seed: int, genre: str) -> dict[str, np.ndarray]:
    """An artist's drum kit: one sample per drum, tuned by the artist's seed."""
    rng = np.random.default_rng([seed, 3])
    tune, tight = float(rng.uniform(0.8, 1.25)), float(rng.uniform(0.7, 1.4))
    heavy = genre in ("metal", "hiphop", "disco")

    def noise(n: int) -> np.ndarray:
        return rng.standard_normal(n, dtype=np.float32)

    n = int(0.45 * SR)
    t = _t(n)
    f = 48 * tune + (130 if heavy else 90) * tune * np.exp(-t / 0.03)
    kick = np.sin(2 * np.pi * np.cumsum(f) / SR) * _decay(n, 0.16 / tight)
    kick[:90] += 0.4 * noise(90) * np.linspace(1, 0, 90)
    n = int(0.3 * SR)
    snare = 0.6 * np.sin(2 * np.pi * 190 * tune * _t(n)) * _decay(n, 0.05) + _filt(
        noise(n), "bandpass", (1200 * tune, 9000)
    ) * _decay(n, 0.1 / tight)
    clap = _filt(noise(n), "bandpass", (900, 3500)) * _decay(n, 0.09)
    clap[: int(0.03 * SR)] *= np.tile(np.r_[np.ones(150), np.zeros(70)], 4)[: int(0.03 * SR)]
    n = int(0.08 * SR)
    rim = (
        np.sin(2 * np.pi * 1650 * tune * _t(n)) + 0.6 * np.sin(2 * np.pi * 420 * _t(n))
    ) * _decay(n, 0.012)
    n = int(1.6 * SR)
    metal_partials = np.array([205.3, 304.4, 369.6, 522.7, 540.0, 800.0]) * tune * 2.2
    metallic = np.sign(np.sin(2 * np.pi * metal_partials[:, None] * _t(n))).sum(0)
    ride = _filt(metallic, "highpass", 4000) * _decay(n, 0.55 / tight) * 0.3
    ride[:400] += _filt(noise(400), "highpass", 3000) * 0.5
    crash = _filt(0.2 * metallic + noise(n), "highpass", 3500) * _decay(n, 0.9 / tight)
    hat = _filt(noise(int(0.06 * SR)), "highpass", 7000) * _decay(int(0.06 * SR), 0.014 / tight)
    ohat = _filt(noise(int(0.5 * SR)) + 0.3 * metallic[: int(0.5 * SR)], "highpass", 6500) * _decay(
        int(0.5 * SR), 0.16
    )
    brush = _filt(noise(int(0.25 * SR)), "bandpass", (2000, 7000)) * np.hanning(int(0.25 * SR))
    sounds = dict(
        kick=kick,
        snare=snare,
        clap=clap,
        rim=rim,
        ride=ride,
        crash=crash,
        hat=hat,
        ohat=ohat,
        brush=brush,
    )
    return {k: _fade(v / np.abs(v).max(), 0.0, 0.005) for k, v in sounds.items()}


_VELOCITY = {"X": 1.0, "x": 0.7, "o": 0.35}


# --------------------------------------------------------------------------- music theory

_CHORDS = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
    "9": (0, 4, 7, 10, 14),
    "m9": (0, 3, 7, 10, 14),
    "5": (0, 7, 12),
}
_SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "penta": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "majpenta": (0, 2, 4, 7, 9),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "bebop": (0, 2, 4, 5, 7, 9, 10, 11),
}
#: Chord progressions in Roman numerals, one chord per bar. Upper case is major, lower case
#: minor; suffixes: 7 (dominant, or minor 7th in lower case), maj7, 9, 5 (power chord).
_PROGRESSIONS: dict[str, tuple[str, ...]] = {
    "blues": ("I7 I7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7", "I7 IV7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7"),
    "classical": ("I IV V7 I", "I vi ii V7", "i iv V7 i", "I V vi iii IV I IV V7"),
    "country": ("I IV V I", "I V vi IV", "I I IV V7"),
    "disco": ("i7 iv7", "i7 bVII bVI V7", "Imaj7 vi7 ii7 V9"),
    "hiphop": ("i7 bVImaj7", "i9 iv7", "i7 i7 bVII bVImaj7"),
    "jazz": ("ii7 V9 Imaj7 Imaj7", "ii9 V7 Imaj7 VI7", "Imaj7 vi7 ii7 V9"),
    "metal": ("i5 bII5", "i5 bVI5 bVII5 i5", "i5 biii5 iv5 bv5"),
    "pop": ("I V vi IV", "vi IV I V", "I vi IV V"),
    "reggae": ("I IV", "i iv", "I V IV V"),
    "rock": ("I5 bVII5 IV5 I5", "I5 IV5 V5 IV5", "I5 bVI5 bVII5 I5"),
}
_NUMERALS = ("i", "ii", "iii", "iv", "v", "vi", "vii")


def _parse_chord(symbol: str) -> tuple[int, str]:
    """'bVII' -> (10, 'maj'), 'ii7' -> (2, 'm7'), 'V9' -> (7, '9'): semitones above the key."""
    flat = symbol.startswith("b")
    numeral = re.match(r"[ivIV]+", symbol[flat:]).group()
    suffix = symbol[flat + len(numeral) :]
    root = _SCALES["major"][_NUMERALS.index(numeral.lower())] - flat
    minor = numeral.islower()
    quality = {
        "": "min" if minor else "maj",
        "7": "m7" if minor else "7",
        "9": "m9" if minor else "9",
    }
    return root % 12, quality.get(suffix, suffix)


def _voicing(root: int, quality: str, low: int) -> list[int]:
    """Chord tones of ``root`` (a midi pitch class offset) placed from midi ``low`` upwards."""
    base = low + (root - low) % 12
    return [base + i for i in _CHORDS[quality]]


def _degree(key_midi: int, scale: str, degree: int) -> int:
    steps = _SCALES[scale]
    octave, i = divmod(degree, len(steps))
    return key_midi + 12 * octave + steps[i]


# --------------------------------------------------------------------------- one clip


class _Song:
    """One clip being rendered: tempo, key, feel, and one buffer per track."""

    def __init__(self, artist: _Artist, rng: np.random.Generator, n: int) -> None:
        spec = _SPECS[artist.genre]
        self.artist, self.rng, self.n = artist, rng, n
        lo, hi = spec.tempo
        self.tempo = float(np.clip(artist.tempo * rng.normal(1, 0.06), lo, hi))
        self.key = int(rng.choice(artist.keys) if rng.random() < 0.7 else rng.integers(12))
        self.variant = artist.variant if rng.random() < 0.7 else int(rng.integers(3))
        self.swing = float(rng.uniform(*spec.swing))
        self.start = float(rng.uniform(0, 4))  # the clip starts mid-bar, like an excerpt
        self.retempo(self.tempo)
        self.jitter = rng.uniform(0.002, 0.012) * SR
        progs = _PROGRESSIONS[artist.genre]
        chosen = progs[int(rng.integers(len(progs)))]
        self.progression = [_parse_chord(symbol) for symbol in chosen.split()]
        self.tracks: dict[str, np.ndarray] = {}
        self._notes: dict[tuple, np.ndarray] = {}

    def retempo(self, bpm: float) -> None:
        self.tempo = bpm
        self.beat = 60.0 * SR / bpm  # samples per beat
        self.bars = int(np.ceil((self.n / self.beat + self.start) / 4)) + 1

    def chord(self, bar: int) -> tuple[int, str]:
        root, quality = self.progression[bar % len(self.progression)]
        return (self.key + root) % 12, quality

    def sample(self, beat: float) -> int:
        """Sample index of a beat position, with swung eighths and sixteenths and human timing.

        Triplet positions (blues and jazz patterns carry their swing in them) are left alone.
        """
        whole = np.floor(beat)
        frac, s = beat - whole, self.swing
        if (frac * 4).is_integer():
            frac = frac * 2 * s if frac <= 0.5 else s + (frac - 0.5) * 2 * (1 - s)
        return int(round((whole + frac - self.start) * self.beat + self.rng.normal(0, self.jitter)))

    def add(self, track: str, sound: np.ndarray, beat: float, gain: float = 1.0) -> None:
        buf = self.tracks.get(track)
        if buf is None:
            buf = self.tracks[track] = np.zeros(self.n)
        i = self.sample(beat)
        if i < 0:
            sound, i = sound[-i:], 0
        m = min(len(sound), self.n - i)
        if m > 0:
            buf[i : i + m] += gain * sound[:m]

    def pattern(
        self, track: str, sound: np.ndarray, bar_pattern: str, gain: float = 1.0, vary: float = 0.08
    ) -> None:
        """Play a one-bar pattern ('X' accent, 'x' hit, 'o' ghost, '.' rest) on every bar."""
        steps = len(bar_pattern)
        hits = [(4 * i / steps, _VELOCITY[c]) for i, c in enumerate(bar_pattern) if c != "."]
        for bar in range(self.bars):
            for pos, vel in hits:
                if vel < 1 and self.rng.random() < vary:
                    continue
                self.add(track, sound, 4 * bar + pos, gain * vel * self.rng.uniform(0.85, 1.0))

    def fills(self, kit: dict[str, np.ndarray], every: int = 4) -> None:
        """A snare fill at the end of each phrase and a crash on the next downbeat."""
        for bar in range(every - 1, self.bars, every):
            if self.rng.random() < 0.7:
                for i in range(int(self.rng.choice([4, 8]))):
                    self.add("drums", kit["snare"], 4 * bar + 3 + i / 4 - (i >= 4), 0.5 + 0.06 * i)
            self.add("drums", kit["crash"], 4 * bar + 4, 0.6)

    def note(self, instrument: str, midi: float, beats: float) -> np.ndarray:
        """A note of ``beats`` length on an instrument (cached: loops repeat their notes)."""
        key = (instrument, midi, round(beats, 3))
        if key not in self._notes:
            n = max(64, int(beats * self.beat))
            self._notes[key] = _INSTRUMENTS[instrument](self, _hz(midi), n)
        return self._notes[key]

    def table(self, name: str) -> np.ndarray:
        return _artist_table(self.artist.seed, name, self.artist.bright)

    def mix(self, gains: dict[str, float]) -> np.ndarray:
        out = np.zeros(self.n)
        for name, gain in gains.items():
            if name in self.tracks:
                x = self.tracks[name]
                rms = np.sqrt(np.mean(x**2)) + 1e-9
                out += gain * 10 ** (self.rng.normal(0, 2.5) / 20) * x / rms
        return out


# --------------------------------------------------------------------------- instruments


def _i_pluck(s: _Song, hz: float, n: int) -> np.ndarray:
    return _karplus(hz, min(n, int(1.5 * SR)), s.rng, s.artist.bright)


def _i_mute(s: _Song, hz: float, n: int) -> np.ndarray:
    return _karplus(hz, min(n, int(0.15 * SR)), s.rng, 0.3 * s.artist.bright, decay=0.9)


def _i_piano(s: _Song, hz: float, n: int) -> np.ndarray:
    tau = float(np.clip(1.2 * np.sqrt(220 / hz), 0.3, 3.0))
    x = _osc(s.table("piano"), hz, n) * _decay(n, tau) + _osc(
        s.table("saw"), hz * 1.001, n
    ) * 0.4 * _decay(n, tau / 6)
    return _fade(x, 0.002, 0.03)


def _i_epiano(s: _Song, hz: float, n: int) -> np.ndarray:
    t = _t(n)
    x = _osc(s.table("epiano"), hz, n) * _decay(n, 1.5) + 0.25 * np.sin(
        2 * np.pi * 7.0 * hz * t
    ) * _decay(n, 0.08)
    return _fade(x, 0.002, 0.03)


def _i_organ(s: _Song, hz: float, n: int) -> np.ndarray:
    return _fade(_osc(s.table("organ"), hz, n, vibrato=0.03, rate=6.5), 0.005, 0.02)


def _i_strings(s: _Song, hz: float, n: int) -> np.ndarray:
    x = _osc(s.table("strings"), hz, n, 0.12, 5.2) + _osc(
        s.table("strings"), hz * 1.004, n, 0.1, 4.7, 0.3
    )
    return _fade(x, min(0.25, n / SR / 3), min(0.3, n / SR / 3))


def _i_pad(s: _Song, hz: float, n: int) -> np.ndarray:
    x = _osc(s.table("saw"), hz * 0.997, n) + _osc(s.table("saw"), hz * 1.003, n, phase=0.5)
    return _fade(x, min(0.08, n / SR / 4), min(0.2, n / SR / 4))


def _i_lead(s: _Song, hz: float, n: int) -> np.ndarray:
    return _fade(_osc(s.table("square"), hz, n, 0.15, 5.5), 0.01, 0.04)


def _i_horn(s: _Song, hz: float, n: int) -> np.ndarray:
    x = _osc(s.table("horn"), hz, n, 0.2, 5.0) * (0.7 + 0.3 * _decay(n, 0.15))
    return _fade(x, 0.03, 0.04)


def _i_voice(s: _Song, hz: float, n: int) -> np.ndarray:
    return _fade(_osc(s.table("voice"), hz, n, 0.25, 5.3), 0.04, 0.06)


def _i_bass(s: _Song, hz: float, n: int) -> np.ndarray:
    return _fade(_osc(s.table("bass"), hz, n) * _decay(n, 0.5), 0.003, 0.02)


def _i_synthbass(s: _Song, hz: float, n: int) -> np.ndarray:
    return _fade(_osc(s.table("saw"), hz, n) * _decay(n, 0.3), 0.002, 0.02)


def _i_sub(s: _Song, hz: float, n: int) -> np.ndarray:
    f = hz * (1 + 0.5 * _decay(n, 0.02))
    sub = _saturate(np.sin(np.cumsum(f) * np.float32(2 * np.pi / SR)), 1.5)
    return _fade(sub * _decay(n, 0.9), 0.001, 0.03)


def _i_power(s: _Song, hz: float, n: int) -> np.ndarray:
    saw = s.table("saw")
    x = _osc(saw, hz, n) + _osc(saw, hz * 1.4983, n, phase=0.3) + 0.6 * _osc(saw, hz * 2.003, n)
    return _fade(x, 0.002, 0.02)


def _i_chug(s: _Song, hz: float, n: int) -> np.ndarray:
    n = min(n, int(0.18 * SR))
    return _i_power(s, hz, n) * _decay(n, 0.06)


def _i_syllable(s: _Song, hz: float, n: int) -> np.ndarray:
    buzz = _osc(s.table("voice"), hz, n, 0.6, 3.0)
    breath = s.rng.standard_normal(n, dtype=np.float32)
    return _fade((buzz + 0.5 * breath) * _decay(n, 0.09), 0.005, 0.02)


_INSTRUMENTS: dict[str, Callable[[_Song, float, int], np.ndarray]] = {
    "pluck": _i_pluck,
    "mute": _i_mute,
    "piano": _i_piano,
    "epiano": _i_epiano,
    "organ": _i_organ,
    "strings": _i_strings,
    "pad": _i_pad,
    "lead": _i_lead,
    "horn": _i_horn,
    "voice": _i_voice,
    "bass": _i_bass,
    "synthbass": _i_synthbass,
    "sub": _i_sub,
    "power": _i_power,
    "chug": _i_chug,
    "syllable": _i_syllable,
}


# --------------------------------------------------------------------------- shared parts


def _chords(
    s: _Song,
    track: str,
    instrument: str,
    positions: list[float],
    beats: float,
    low: int = 52,
    gain: float = 1.0,
    strum: float = 0.0,
) -> None:
    """Play each bar's chord at the given beat positions (optionally strummed)."""
    for bar in range(s.bars):
        root, quality = s.chord(bar)
        for pos in positions:
            for i, midi in enumerate(_voicing(root, quality, low)):
                s.add(track, s.note(instrument, midi, beats), 4 * bar + pos + i * strum, gain)


def _bassline(
    s: _Song,
    track: str,
    instrument: str,
    rhythm: list[tuple[float, int]],
    beats: float,
    low: int = 28,
) -> None:
    """Per bar, notes at (beat, interval above the chord root)."""
    for bar in range(s.bars):
        root, _ = s.chord(bar)
        base = low + (root - low) % 12
        for pos, interval in rhythm:
            s.add(
                track,
                s.note(instrument, base + interval, beats),
                4 * bar + pos,
                s.rng.uniform(0.8, 1.0),
            )


def _melody(
    s: _Song,
    track: str,
    instrument: str,
    scale: str,
    low: int,
    durations: tuple[float, ...],
    density: float = 0.85,
    span: int = 6,
) -> None:
    """A random-walk melody in two-bar phrases with breaths between them."""
    rng, key = s.rng, low + (s.key - low) % 12
    degree, beat, end = 0, float(rng.choice([0, 1, 2])), 4.0 * s.bars
    while beat < end:
        phrase_end = beat + 8
        while beat < min(phrase_end, end):
            d = float(rng.choice(durations))
            if rng.random() < density:
                degree = int(np.clip(degree + rng.integers(-2, 3), -span // 2, span))
                s.add(
                    track,
                    s.note(instrument, _degree(key, scale, degree), d * 0.95),
                    beat,
                    rng.uniform(0.6, 1.0),
                )
            beat += d
        beat += float(rng.choice([0.5, 1, 2, 4]))


def _vocals(s: _Song, scale: str, low: int, durations: tuple[float, ...]) -> None:
    """A sung line when the artist sings; the vowel (formants) is the artist's."""
    if s.rng.random() < s.artist.vocal:
        _melody(s, "voice", "voice", scale, low, durations, density=0.8)
        s.tracks["voice"] = _formants(s.tracks.get("voice", np.zeros(s.n)), s.artist.vocal)


def _formants(x: np.ndarray, vowel: float) -> np.ndarray:
    f1, f2 = 300 + 500 * vowel, 2200 - 1200 * vowel
    return (
        _filt(x, "bandpass", (f1 * 0.8, f1 * 1.25))
        + 0.6 * _filt(x, "bandpass", (f2 * 0.85, f2 * 1.18))
        + 0.2 * _filt(x, "bandpass", (2800, 3400))
    )


def _distort(x: np.ndarray, drive: float, cab: float) -> np.ndarray:
    """An amplifier: gain into tanh saturation, then a cabinet low-pass at ``cab`` Hz."""
    x = _saturate(x, drive)
    return _filt(_filt(x, "highpass", 90), "lowpass", cab, order=4)


def _vary(pattern: str, rng: np.random.Generator, p: float = 0.12) -> str:
    """Random ghost notes added to and taken from a pattern (never its accents)."""
    out = []
    for c in pattern:
        r = rng.random()
        if c == "." and r < p / 2:
            c = "o"
        elif c in "xo" and r < p / 3:
            c = "."
        out.append(c)
    return "".join(out)


# --------------------------------------------------------------------------- genres


def _blues(s: _Song) -> np.ndarray:
    kit, rng = _kit(s.artist.seed, "blues"), s.rng
    s.pattern("drums", kit["kick"], _vary("x.....x.....", rng))
    s.pattern("drums", kit["snare"], "...X.....X..", 0.8)
    s.pattern("drums", kit["ride" if s.variant == 1 else "hat"], "x.xx.xx.xx.x", 0.5)
    boogie = [(0, 0), (2 / 3, 0), (1, 4), (5 / 3, 4), (2, 7), (8 / 3, 7), (3, 9), (11 / 3, 10)]
    _bassline(s, "bass", "bass", boogie, 0.6)
    comp = "piano" if s.variant == 2 else "organ" if s.variant == 1 else "pluck"
    _chords(s, "comp", comp, [0, 1 + 2 / 3, 3], 0.6, low=50, gain=0.6, strum=0.02)
    _melody(s, "lead", "lead" if s.variant == 1 else "pluck", "blues", 57, (0.5, 1, 1.5, 2 / 3))
    _vocals(s, "blues", 50, (1.0, 0.5, 1.5, 2.0))
    return s.mix({"drums": 0.7, "bass": 0.8, "comp": 0.6, "lead": 0.7, "voice": 0.7})


def _classical(s: _Song) -> np.ndarray:
    rng = s.rng
    if s.variant == 1:  # solo piano: broken chords and a melody
        arps = [i / 2 for i in range(8)]
        for bar in range(s.bars):
            root, quality = s.chord(bar)
            notes = _voicing(root, quality, 45) + [_voicing(root, quality, 57)[0]]
            for j, pos in enumerate(arps):
                s.add("piano", s.note("piano", notes[j % len(notes)], 2.0), 4 * bar + pos, 0.6)
        _melody(s, "piano", "piano", "major", 67, (0.5, 1.0, 1.5, 2.0))
    else:
        _chords(s, "strings", "strings", [0], 4.0, low=55, gain=0.7)
        _bassline(s, "cello", "strings", [(0, 0), (2, 7 if rng.random() < 0.5 else 0)], 2.0, 36)
        _melody(
            s,
            "violin",
            "strings" if s.variant == 0 else "horn",
            "major",
            67,
            (1.0, 2.0, 0.5, 3.0),
            density=0.9,
        )
        if s.variant == 2:  # harp / pizzicato arpeggios
            _chords(s, "harp", "pluck", [0, 1, 2, 3], 1.0, low=60, gain=0.4, strum=0.12)
    x = s.mix({"piano": 1.0, "strings": 0.8, "cello": 0.6, "violin": 0.8, "harp": 0.5})
    # Wide dynamics: slow swells between -26 dB and 0 dB.
    points = rng.uniform(-26, 0, 5)
    curve = np.interp(np.linspace(0, 4, s.n), np.arange(5), points)
    return x * 10 ** (curve / 20)


def _country(s: _Song) -> np.ndarray:
    kit, rng = _kit(s.artist.seed, "country"), s.rng
    s.pattern("drums", kit["kick"], "x.......x.......")
    if s.variant == 0:  # train beat on brushes
        s.pattern("drums", kit["brush"], "xoxoXoxoxoxoXoxo", 0.5)
    else:
        s.pattern("drums", kit["snare"], "....X.......X...", 0.7)
        s.pattern("drums", kit["hat"], _vary("x.x.x.x.x.x.x.x.", rng), 0.4)
    _bassline(s, "bass", "bass", [(0, 0), (2, 7)], 1.0, low=33)  # boom ... boom
    _chords(s, "gtr", "pluck", [1, 1.5, 3, 3.5], 0.5, low=52, gain=0.5, strum=0.015)  # chick
    if s.variant == 2:  # banjo rolls
        roll = [0, 7, 12, 0, 7, 12, 4, 7]
        _bassline(s, "banjo", "pluck", [(i / 2, roll[i]) for i in range(8)], 0.5, low=62)
    _melody(s, "fiddle", "strings" if s.variant else "lead", "majpenta", 64, (0.5, 1.0, 1.5))
    _vocals(s, "majpenta", 55, (0.5, 1.0, 1.5, 2.0))
    return s.mix({"drums": 0.6, "bass": 0.8, "gtr": 0.8, "banjo": 0.5, "fiddle": 0.5, "voice": 0.8})


def _disco(s: _Song) -> np.ndarray:
    kit, rng = _kit(s.artist.seed, "disco"), s.rng
    s.pattern("drums", kit["kick"], "X...X...X...X...")
    s.pattern("drums", kit["clap" if s.variant == 2 else "snare"], "....X.......X...", 0.8)
    s.pattern("drums", kit["ohat"], "..x...x...x...x.", 0.45)
    s.pattern("drums", kit["hat"], _vary("xxxxxxxxxxxxxxxx", rng, 0.3), 0.25)
    _bassline(
        s,
        "bass",
        "synthbass" if s.variant == 1 else "bass",
        [(i / 2, 12 * (i % 2)) for i in range(8)],
        0.45,
        low=31,
    )  # octave bounce
    _chords(s, "strings", "pad", [0, 2.5] if s.variant else [0], 1.5, low=60, gain=0.5)
    _chords(
        s, "gtr", "mute", [i / 4 for i in range(16) if i % 4 in (1, 3)], 0.25, low=62, gain=0.35
    )
    _vocals(s, "dorian", 62, (0.5, 1.0, 2.0))
    return s.mix({"drums": 0.9, "bass": 0.8, "strings": 0.5, "gtr": 0.4, "voice": 0.6})


def _hiphop(s: _Song) -> np.ndarray:
    kit, rng = _kit(s.artist.seed, "hiphop"), s.rng
    trap = s.variant == 2
    if trap:  # half-time feel, hats rolling in 16ths and 32nds
        s.pattern("drums", kit["kick"], _vary("x.....x...x.....", rng))
        s.pattern("drums", kit["clap"], "........X.......")
        s.pattern("drums", kit["hat"], _vary("x" * 32, rng, 0.4), 0.3)
    else:  # boom-bap with swung sixteenths
        s.swing = 0.5 + (s.swing - 0.5) / 2
        s.pattern("drums", kit["kick"], _vary("X.....x...x..x..", rng, 0.2))
        s.pattern("drums", kit["snare"], "....X.......X...")
        s.pattern("drums", kit["hat"], _vary("x.x.x.x.x.x.x.x.", rng), 0.4)
    _bassline(s, "sub", "sub", [(0, 0), (1.5 if trap else 2.5, 0)], 1.4, low=29)
    _chords(s, "loop", "epiano" if s.variant == 1 else "piano", [0, 2.5], 1.5, low=55, gain=0.5)
    s.tracks["loop"] = _filt(
        np.round(s.tracks.get("loop", np.zeros(s.n)) * 40) / 40,
        "lowpass",
        2500 + 3000 * s.artist.bright,
    )
    for beat in np.arange(0, 4 * s.bars, 0.25):  # the rap: syllables on sixteenths, with rests
        if rng.random() < 0.55 and (beat // 8) % 2 == 0 or rng.random() < 0.15:
            s.add("rap", s.note("syllable", 47 + int(rng.integers(0, 5)), 0.3), beat, 0.8)
    s.tracks["rap"] = _formants(s.tracks.get("rap", np.zeros(s.n)), s.artist.vocal)
    return s.mix({"drums": 1.0, "sub": 0.9, "loop": 0.5, "rap": 0.8})


def _jazz(s: _Song) -> np.ndarray:
    kit, rng = _kit(s.artist.seed, "jazz"), s.rng
    s.pattern("drums", kit["ride"], "x..x.xx..x.x", 0.6)  # ding, ding-a ding
    s.pattern("drums", kit["hat"], "...x.....x..", 0.4)  # foot hi-hat on 2 and 4
    s.pattern("drums", kit["kick"], "o..o..o..o..", 0.4, vary=0.3)  # feathering
    s.pattern("drums", kit["snare" if s.variant else "brush"], _vary("......", rng, 0.5), 0.3)
    for bar in range(s.bars):  # walking bass: root, chord tones, chromatic approach
        root, quality = s.chord(bar)
        nxt, _ = s.chord(bar + 1)
        base, tones = 33 + (root - 33) % 12, _CHORDS[quality]
        walk = [
            0,
            int(rng.choice(tones[1:])),
            int(rng.choice(tones[1:3])) + 12 * int(rng.integers(2)),
            (33 + (nxt - 33) % 12) - base + int(rng.choice([-1, 1])),
        ]
        for beat, interval in enumerate(walk):
            s.add("bass", s.note("bass", base + interval, 1.0), 4 * bar + beat, rng.uniform(0.7, 1))
    for bar in range(s.bars):  # comping: rootless 7th/9th voicings, Charleston-like rhythm
        root, quality = s.chord(bar)
        voicing = _voicing(root, quality, 52)[1:] + [_voicing(root, quality, 52)[0] + 12]
        for pos in rng.choice([0, 1.5, 2, 2 + 2 / 3, 3 + 2 / 3], size=2, replace=False):
            for midi in voicing:
                s.add("piano", s.note("piano", midi, 0.7), 4 * bar + pos, 0.4)
    _melody(s, "horn", "piano" if s.variant == 2 else "horn", "bebop", 60, (0.5, 0.5, 1.0, 2 / 3))
    return s.mix({"drums": 0.6, "bass": 0.8, "piano": 0.6, "horn": 0.8})


def _metal(s: _Song) -> np.ndarray:
    kit, rng = _kit(s.artist.seed, "metal"), s.rng
    if s.variant == 1:  # blast beat
        s.retempo(max(s.tempo, 170.0))
        s.pattern("drums", kit["kick"], "x.x.x.x.x.x.x.x.")
        s.pattern("drums", kit["snare"], ".x.x.x.x.x.x.x.x", 0.8)
        s.pattern("drums", kit["crash"], "x...x...x...x...", 0.4)
    elif s.variant == 2:  # doom: slow, half-time, ringing chords
        s.pattern("drums", kit["kick"], "x.......x.x.....")
        s.pattern("drums", kit["snare"], "........X.......")
        s.pattern("drums", kit["ride"], "x...x...x...x...", 0.4)
    else:  # double kick
        s.pattern("drums", kit["kick"], "xxxxxxxxxxxxxxxx", 0.8)
        s.pattern("drums", kit["snare"], "....X.......X...")
        s.pattern("drums", kit["hat"], "x.x.x.x.x.x.x.x.", 0.4)
    s.fills(kit, 2)
    low = 26 + int(rng.integers(0, 5))  # down-tuned
    riff = _vary("XxxxXxxxXxXxxxXx", rng, 0.5) if s.variant != 2 else "X.......X......."
    for bar in range(s.bars):
        root, _ = s.chord(bar)
        base = low + 12 + (root - low) % 12
        for i, c in enumerate(riff[:16]):
            if c == "X":
                s.add("gtr", s.note("power", base, 2.0 if s.variant == 2 else 0.5), 4 * bar + i / 4)
            elif c != ".":
                s.add("gtr", s.note("chug", base, 0.25), 4 * bar + i / 4, 0.8)
        s.add("bass", s.note("synthbass", base - 12, 1.0), 4 * bar, 0.9)
        s.add("bass", s.note("synthbass", base - 12, 1.0), 4 * bar + 2, 0.9)
    drive = 12 + 20 * s.artist.drive
    s.tracks["gtr"] = _distort(s.tracks["gtr"], drive, 3500 + 2500 * s.artist.bright)
    if rng.random() < 0.4:
        _melody(s, "lead", "power", "phrygian", 62, (0.25, 0.5, 1.0))
        s.tracks["lead"] = _distort(s.tracks.get("lead", np.zeros(s.n)), drive, 5000)
    return s.mix({"drums": 0.9, "gtr": 1.0, "bass": 0.6, "lead": 0.5})


def _pop(s: _Song) -> np.ndarray:
    kit, rng = _kit(s.artist.seed, "pop"), s.rng
    s.pattern("drums", kit["kick"], "X...X...X...X..." if s.variant == 1 else "X.......X.x.....")
    s.pattern("drums", kit["clap"], "....X.......X...", 0.9)
    s.pattern("drums", kit["hat"], _vary("x.x.x.x.x.x.x.x.", rng), 0.4)
    s.fills(kit, 8)
    _bassline(s, "bass", "synthbass", [(0, 0), (1.5, 0), (2, 0), (3.5, 7)], 0.45, low=31)
    _chords(s, "pad", "pad", [0], 4.0, low=60, gain=0.4)
    if s.variant == 2:
        _chords(s, "keys", "pluck", [0, 1.5, 3], 0.5, low=60, gain=0.5, strum=0.01)
    else:
        _chords(s, "keys", "piano", [i / 2 for i in range(8)], 0.5, low=55, gain=0.4)
    _melody(s, "voice", "voice", "major", 62, (0.5, 1.0, 0.5, 1.5), density=0.9)
    s.tracks["voice"] = _formants(s.tracks.get("voice", np.zeros(s.n)), s.artist.vocal)
    return s.mix({"drums": 0.9, "bass": 0.8, "pad": 0.5, "keys": 0.5, "voice": 1.0})


def _reggae(s: _Song) -> np.ndarray:
    kit, rng = _kit(s.artist.seed, "reggae"), s.rng
    if s.variant == 1:  # steppers: four on the floor, rim on three
        s.pattern("drums", kit["kick"], "x...x...x...x...")
    else:  # one drop: nothing on one, kick and rim together on three
        s.pattern("drums", kit["kick"], "........X.......")
    s.pattern("drums", kit["rim"], "........X.......", 0.7)
    s.pattern("drums", kit["hat"], _vary("x.x.x.x.x.x.x.x.", rng), 0.35)
    # skank on the off-beats, organ "bubble" between them
    _chords(s, "skank", "mute", [0.5, 1.5, 2.5, 3.5] if s.variant == 2 else [1, 3], 0.3, low=60)
    _chords(
        s, "organ", "organ", [0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75], 0.2, low=55, gain=0.4
    )
    bass = [(0.5, 0), (1, 0), (1.75, 7), (2.5, 12), (3, 10), (3.5, 7)]
    _bassline(s, "bass", "bass", bass[int(rng.integers(0, 2)) :], 0.55, low=28)
    s.tracks["bass"] = _filt(s.tracks["bass"], "lowpass", 500)
    _vocals(s, "majpenta", 57, (0.5, 1.0, 1.5))
    return s.mix({"drums": 0.6, "bass": 1.0, "skank": 0.5, "organ": 0.35, "voice": 0.7})


def _rock(s: _Song) -> np.ndarray:
    kit, rng = _kit(s.artist.seed, "rock"), s.rng
    s.pattern("drums", kit["kick"], _vary("X.......X.x.....", rng))
    s.pattern("drums", kit["snare"], "....X.......X...")
    s.pattern("drums", kit["ride" if s.variant == 2 else "hat"], "x.x.x.x.x.x.x.x.", 0.45)
    s.fills(kit, 4)
    for bar in range(s.bars):
        root, _ = s.chord(bar)
        base = 40 + (root - 40) % 12
        for i in range(8):
            if s.variant == 1 and i % 2:  # crunchier, open strummed chords
                continue
            s.add(
                "gtr",
                s.note("power", base, 1.0 if s.variant == 1 else 0.5),
                4 * bar + i / 2,
                0.9 if i % 2 else 1.0,
            )
            s.add("bass", s.note("bass", base - 12, 0.5), 4 * bar + i / 2, 0.9)
    drive = 3 + 8 * s.artist.drive
    s.tracks["gtr"] = _distort(s.tracks["gtr"], drive, 3000 + 3000 * s.artist.bright)
    if s.variant == 1:
        _chords(s, "acoustic", "pluck", [0, 1, 1.5, 2.5, 3], 0.5, low=52, strum=0.012, gain=0.5)
    _vocals(s, "penta", 55, (0.5, 1.0, 1.5))
    return s.mix({"drums": 0.9, "gtr": 0.8, "bass": 0.7, "acoustic": 0.5, "voice": 0.8})


_RECIPES: dict[str, Callable[[_Song], np.ndarray]] = {
    "blues": _blues,
    "classical": _classical,
    "country": _country,
    "disco": _disco,
    "hiphop": _hiphop,
    "jazz": _jazz,
    "metal": _metal,
    "pop": _pop,
    "reggae": _reggae,
    "rock": _rock,
}
assert set(_RECIPES) == set(GENRES), "every genre of core.genres needs a recipe"


# --------------------------------------------------------------------------- mastering


def _render(track: _Track, seed: int, n: int) -> np.ndarray:
    """Synthesise a clean clip of ``n`` samples for the track's artist, as int16."""
    rng = np.random.default_rng([seed, GENRES.index(track.genre_label), 0, _index(track)])
    artist = track.artist
    spec = _SPECS[artist.genre]
    song = _Song(artist, rng, n)
    x = _RECIPES[artist.genre](song)
    x = _EFFECT_FUNCS[artist.effect](x / (np.abs(x).max() + 1e-9), rng)
    # A random equaliser tilt, as recordings and masterings differ.
    x = (
        x
        + rng.uniform(-0.6, 0.8) * _filt(x, "lowpass", rng.uniform(120, 400))
        + rng.uniform(-0.6, 0.8) * _filt(x, "highpass", rng.uniform(2500, 6000))
    )
    drive = spec.drive[0] + (spec.drive[1] - spec.drive[0]) * artist.drive
    if drive > 0.05:
        x = _saturate(x, drive)
    noise = rng.standard_normal(n, dtype=np.float32)
    x = x + noise * (np.sqrt(np.mean(x**2)) * 10 ** (-rng.uniform(25, 55) / 20))  # hiss
    x *= rng.uniform(*spec.level) * FULL_SCALE / np.abs(x).max()
    # A floor of 2.5 LSB keeps clean clips free of digital silence; the peaks stay far enough
    # under full scale that clean clips never clip.
    return np.round(x + 2.5 * noise).astype(np.int16)


def _fx_room(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = x.copy()
    for delay, gain in zip(rng.uniform(0.01, 0.09, 6), 0.5 * 0.7 ** np.arange(6), strict=True):
        d = int(delay * SR)
        out[d:] += gain * x[:-d]
    return _filt(out, "lowpass", 9000)


def _fx_echo(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out, d = x.copy(), int(rng.uniform(0.18, 0.4) * SR)
    for i in range(1, 4):
        if i * d < len(x):
            out[i * d :] += 0.45**i * x[: len(x) - i * d]
    return out


def _fx_tremolo(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    rate = float(rng.uniform(3, 7))
    return x * (1 - 0.35 * (0.5 + 0.5 * np.sin(2 * np.pi * rate * _t(len(x)))))


def _fx_chorus(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    i = np.arange(len(x)) - (0.012 + 0.004 * np.sin(2 * np.pi * 0.8 * _t(len(x)))) * SR
    return x + 0.7 * np.interp(i, np.arange(len(x)), x, left=0.0)


def _fx_lofi(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An old recording: narrow band, hiss and crackle."""
    x = _filt(x, "bandpass", (rng.uniform(150, 300), rng.uniform(3500, 6000)))
    hiss = rng.standard_normal(len(x), dtype=np.float32)
    crackle = rng.random(len(x), dtype=np.float32) < 3e-4
    return x + hiss * (0.01 + 0.5 * crackle)


def _fx_tape(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _saturate(_filt(x, "lowpass", rng.uniform(6000, 9000)), 1.5)


_EFFECT_FUNCS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "none": lambda x, rng: x,
    "room": _fx_room,
    "echo": _fx_echo,
    "tremolo": _fx_tremolo,
    "chorus": _fx_chorus,
    "lofi": _fx_lofi,
    "tape": _fx_tape,
}
