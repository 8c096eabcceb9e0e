"""One clip being composed: its tempo, key and feel, the instruments that play its notes, and
the parts shared by the genre recipes (chords, bass lines, melodies, vocals)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from core.demo.plan import _SPECS, _Artist
from core.demo.sound import (
    _VELOCITY,
    SR,
    _artist_table,
    _decay,
    _fade,
    _filt,
    _hz,
    _karplus,
    _osc,
    _saturate,
    _t,
)
from core.demo.theory import _PROGRESSIONS, _degree, _parse_chord, _voicing


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
