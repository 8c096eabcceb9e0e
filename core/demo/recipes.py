"""One recipe per genre (drums, bass, chords, melody, voice) and the mastering that turns a
composed clip into a track's int16 audio."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from core.demo.plan import _SPECS, _index, _Track
from core.demo.song import _bassline, _chords, _distort, _formants, _melody, _Song, _vary, _vocals
from core.demo.sound import _EFFECT_FUNCS, FULL_SCALE, _filt, _kit, _saturate
from core.demo.theory import _CHORDS, _voicing
from core.genres import GENRES


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
