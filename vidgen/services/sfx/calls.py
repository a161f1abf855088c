"""Animal calls: songbirds and a rooster. A bird's song is pure frequency movement, so each element
is a sine whose instantaneous frequency follows a contour (sweeps, trills, slurs, warbles in
2-8 kHz); a rooster's crow is voiced, so it is a stack of harmonics of a gliding pitch shaped by
a throat's resonances, with the roughness of a jittering pitch."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .dsp import bump, chirp, control

LEAD_IN = 0.02
Song = Callable[[np.random.Generator, int], np.ndarray]


def _env(m: int, rise: float = 0.2) -> np.ndarray:
    """A note's envelope: a sin² rise over `rise` of its length and a longer fall."""
    x = np.arange(m) / max(m - 1, 1)
    return np.where(x < rise, np.sin(0.5 * np.pi * x / rise) ** 2, np.cos(0.5 * np.pi * (x - rise) / (1 - rise)) ** 2)


def _tone(f: np.ndarray, rate: int) -> np.ndarray:
    return (chirp(f, rate) + 0.06 * chirp(2 * f, rate)) * _env(f.size)


def _chirps(rng: np.random.Generator, rate: int) -> np.ndarray:
    """3-6 quick down-sweeps (40-80 ms, ~6.5 kHz to ~3 kHz) 40-70 ms apart."""
    hi, lo = rng.uniform(5500.0, 7500.0), rng.uniform(2500.0, 4000.0)
    dur, gap = rng.uniform(0.04, 0.08), rng.uniform(0.04, 0.07)
    notes = []
    for _ in range(rng.integers(3, 7)):
        m = int(dur * rate)
        notes += [_tone(hi * (lo / hi) ** np.linspace(0, 1, m), rate), np.zeros(int(gap * rate))]
    return np.concatenate(notes)


def _trill(rng: np.random.Generator, rate: int) -> np.ndarray:
    """0.4-0.9 s around 3.5-5 kHz, frequency-modulated 22-35 times a second by ±500-900 Hz."""
    m = int(rng.uniform(0.4, 0.9) * rate)
    t = np.arange(m) / rate
    rate_hz, depth = rng.uniform(22.0, 35.0), rng.uniform(500.0, 900.0)
    wobble = np.sin(2 * np.pi * rate_hz * t)
    f = rng.uniform(3500.0, 5000.0) + depth * wobble
    return _tone(f, rate) * (0.4 + 0.6 * np.abs(wobble))


def _whistle(rng: np.random.Generator, rate: int) -> np.ndarray:
    """2-3 clear notes of 150-300 ms, each sliding 20-40 % up or down from 2.8-4.2 kHz ("fee-bee")."""
    notes = []
    for _ in range(rng.integers(2, 4)):
        m = int(rng.uniform(0.15, 0.3) * rate)
        a = rng.uniform(2800.0, 4200.0)
        b = a * (1.0 + rng.choice([-1.0, 1.0]) * rng.uniform(0.2, 0.4))  # a slur of a third or more
        notes += [_tone(np.linspace(a, b, m), rate), np.zeros(int(0.05 * rate))]
    return np.concatenate(notes)


def _warble(rng: np.random.Generator, rate: int) -> np.ndarray:
    """0.5-1 s wandering quickly (below ~8 Hz) within ±1 kHz of 3-5 kHz."""
    seconds = rng.uniform(0.5, 1.0)
    wander = control(rng, seconds, 8.0, rate=200.0)
    t = np.arange(int(seconds * rate)) / rate
    return _tone(rng.uniform(3000.0, 5000.0) + 700.0 * np.clip(wander(t), -1.5, 1.5), rate)


SONGS: tuple[Song, ...] = (_chirps, _trill, _whistle, _warble)


def birds(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Two or three birds, each with one kind of song (chirps, trill, whistle or warble) sung with
    fresh variation each time, at its own distance; a song starts every ~1.4 s on average."""
    n = int(round(seconds * rate))
    out = np.zeros(n, np.float32)
    singers = rng.choice(len(SONGS), size=rng.integers(2, 4), replace=False)
    levels = rng.uniform(0.5, 1.0, singers.size)
    t, first = LEAD_IN, True
    while t < seconds:
        k = 0 if first else rng.integers(singers.size)
        song = SONGS[singers[k]](rng, rate) * levels[k]
        start = int(t * rate)
        part = song[:max(n - start, 0)]
        out[start:start + part.size] += part
        t += song.size / rate + max(rng.exponential(1.0), 0.15)
        first = False
    return out


# The crow's syllables: (length s, pitch at start, pitch at end) relative to the base pitch.
CROW = ((0.14, 0.85, 1.1), (0.12, 1.0, 0.95), (0.2, 1.05, 1.2), (0.9, 1.25, 0.9))
THROAT = ((1100.0, 350.0, 1.0), (2500.0, 500.0, 0.6), (3700.0, 600.0, 0.3))  # resonances: Hz, width, level


def rooster(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Cock-a-doodle-doo: four voiced syllables (the last long and falling) at a base pitch of
    450-600 Hz with 3 % jitter, every harmonic below 9 kHz weighted by three throat resonances."""
    n = int(round(seconds * rate))
    out = np.zeros(n, np.float32)
    base = rng.uniform(450.0, 600.0)
    start = int(LEAD_IN * rate)
    for length, a, b in CROW:
        m = int(length * rng.uniform(0.9, 1.1) * rate)
        t = np.arange(m) / rate
        jitter = control(rng, length + 0.1, 40.0, rate=400.0)(t)
        f0 = base * np.linspace(a, b, m) * (1.0 + 0.03 * jitter)
        phase = 2 * np.pi * np.cumsum(f0) / rate
        k = np.arange(1, int(9000.0 / (base * 1.3)) + 1)[:, None]
        weight = sum(level * bump(k * f0, hz, width) for hz, width, level in THROAT) / k ** 0.5
        voice = (weight * np.sin(k * phase)).sum(axis=0) * _env(m, 0.1)
        part = voice[:max(n - start, 0)]
        out[start:start + part.size] += part
        start += m + int(0.03 * rate)
    return out
