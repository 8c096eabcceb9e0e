"""Sound building blocks of the demo set: oscillators and wavetables, filters, plucked strings,
each artist's drum kit, and the recording effects an artist's clips share."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from scipy import signal

from core.settings import SAMPLE_RATE

SR = SAMPLE_RATE
FULL_SCALE = 32767  # of 16-bit PCM


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


# --------------------------------------------------------------------------- effects


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
