"""Who plays each clip of the demo set, and which clips carry which planted fault: the genres'
feel, the invented artists, and the plan of tracks."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.demo.sound import _EFFECT_FUNCS
from core.genres import GENRES


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

_EFFECTS = tuple(_EFFECT_FUNCS)


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


def _index(track: _Track) -> int:
    return int(track.track_id.rsplit(".", 1)[1])


def _across(orig: _Track, copy: _Track) -> str:
    if orig.genre_label == copy.genre_label:
        return ""
    return f" (filed under {copy.genre_label}, the audio is {orig.true_genre})"
