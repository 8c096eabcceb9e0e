"""Music theory for the demo set: chords, scales, progressions per genre in Roman numerals."""

from __future__ import annotations

import re

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
