"""Things struck: a bell, a phone's bell ringer, footsteps, a knock on a door, a clock's ticks and
a heartbeat. Each is a resonator (damped partials, inharmonic for metal, low and few for wood and
flesh) excited at the times the thing is struck, so timing and decay are exact and measurable.
Events start after a short lead-in (LEAD_IN) so their attack is never cut by the fade-in."""

from __future__ import annotations

import numpy as np

from .dsp import band_rows, envelope_ad, modes, scatter

LEAD_IN = 0.02  # s of silence before an event's first strike
_CHUNK = 1 << 16  # samples of a long ring computed at once

# A tuned church bell's partials (ratio to the prime, level, decay relative to the hum's):
# hum, prime, tierce (minor third), quint, nominal, then the upper partials.
BELL_PARTIALS = np.array([
    (0.5, 0.55, 1.0), (1.0, 0.7, 0.7), (1.183, 0.6, 0.55), (1.506, 0.3, 0.45), (2.0, 1.0, 0.4),
    (2.514, 0.35, 0.3), (2.662, 0.3, 0.28), (3.011, 0.25, 0.24), (4.166, 0.2, 0.18), (5.433, 0.12, 0.14),
    (6.796, 0.08, 0.1)])


def _n(seconds: float, rate: int) -> int:
    return int(round(seconds * rate))


def _at(seconds: float, rate: int, times: np.ndarray) -> np.ndarray:
    return (np.asarray(times) * rate).astype(np.int64)


def bell(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """One strike of a church bell: its eleven inharmonic partials (prime 180-400 Hz), each split
    into a beating pair a fraction of a hertz apart, decaying exponentially (the hum over ~5 s, the
    upper partials in well under one), plus the clapper's short bright thud."""
    n = _n(seconds, rate)
    prime = np.exp(rng.uniform(np.log(180.0), np.log(400.0)))
    ratio, level, rel = BELL_PARTIALS.T
    split = rng.uniform(0.2, 0.8, ratio.size)
    freqs = np.concatenate([prime * ratio - split / 2, prime * ratio + split / 2])
    hum_decay = rng.uniform(4.0, 6.0)
    decays = np.tile(hum_decay * rel, 2)
    amps = np.tile(level * rng.uniform(0.85, 1.15, ratio.size), 2) / 2
    start = int(LEAD_IN * rate)
    t = np.arange(min(n - start, int(8.0 * hum_decay * rate))) / rate  # beyond: below -69 dB
    phases = rng.uniform(0, 2 * np.pi, freqs.size)
    ring = np.concatenate([modes(t[i:i + _CHUNK], freqs, decays, amps, phases) for i in range(0, t.size, _CHUNK)])
    strike = min(t.size, int(0.05 * rate))
    thud = band_rows(rng.standard_normal((1, strike)) * np.exp(-t[:strike] / 0.004), rate, 800.0, 6000.0)[0]
    ring[:strike] += 0.3 * thud
    out = np.zeros(n, np.float32)
    out[start:start + t.size] = ring
    return out


def phone(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """An old telephone's ringer: a clapper striking two small bells in turn, 40 strikes a second,
    in rings of 2 s every 6 s (a clip under 3 s rings for 60 % of its length). A strike excites
    three inharmonic partials of its gong (fundamentals 1-1.4 kHz) ringing for ~0.15 s."""
    n = _n(seconds, rate)
    base = rng.uniform(1000.0, 1200.0)
    gongs = np.array([base, base * 1.17])
    on = 2.0 if seconds >= 3.0 else max(seconds * 0.6, 0.05)
    rings = np.arange(LEAD_IN, seconds, 6.0)
    strikes = np.concatenate([r + np.arange(0.0, on, 0.025) for r in rings])
    strikes = strikes[strikes < seconds]
    length = int(0.4 * rate)
    t = np.arange(length) / rate
    ratios = np.array([1.0, 2.76, 5.4])
    ring = modes(t, gongs[:, None] * ratios, np.tile([0.15, 0.06, 0.03], (2, 1)), np.tile([1.0, 0.5, 0.25], (2, 1)))
    return scatter(n, _at(seconds, rate, strikes), length, lambda i: ring[i % 2])


def _impact(t: np.ndarray, rng: np.random.Generator, m: int, rate: int, thump_hz: tuple[float, float],
            grit: tuple[float, float]) -> np.ndarray:
    """`m` impacts: a low thump (a damped sine) and a gritty noise scuff in the band `grit`."""
    thump = modes(t, rng.uniform(*thump_hz, (m, 1)), rng.uniform(0.012, 0.02, (m, 1)), np.ones((m, 1)))
    scuff = band_rows(rng.standard_normal((m, t.size)) * np.exp(-t / rng.uniform(0.006, 0.012, (m, 1))),
                      rate, *grit)
    return thump + 1.2 * scuff


def footsteps(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """A walk on a hard floor at 1.7-2.2 steps a second (±4 % timing): each step a heel strike and,
    50-80 ms later, a softer toe, each a low thump (80-140 Hz) with a scuff (0.4-4 kHz); the left
    and right feet differ a little in weight."""
    n = _n(seconds, rate)
    cadence = rng.uniform(1.7, 2.2)
    steps = LEAD_IN + np.arange(0.0, seconds, 1.0 / cadence)
    steps = steps + np.concatenate([[0.0], 0.04 / cadence * rng.standard_normal(steps.size - 1)])
    toes = steps + rng.uniform(0.05, 0.08, steps.size)
    times = np.concatenate([steps, toes])
    weight = np.concatenate([np.where(np.arange(steps.size) % 2, 0.85, 1.0) * rng.uniform(0.85, 1.15, steps.size),
                             0.45 * rng.uniform(0.8, 1.2, steps.size)])
    length = int(0.1 * rate)
    t = np.arange(length) / rate
    return scatter(n, _at(seconds, rate, times), length,
                   lambda i: weight[i, None] * _impact(t, rng, i.size, rate, (80.0, 140.0), (400.0, 4000.0)))


def knock(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Three knuckle raps on a wooden door, 0.16-0.22 s apart: the panel's six low modes
    (110-1500 Hz, each ±10 %) ringing 15-60 ms, and the knuckle's click."""
    n = _n(seconds, rate)
    gap = rng.uniform(0.16, 0.22)
    times = LEAD_IN + gap * np.arange(3) + np.array([0.0, *rng.uniform(-0.015, 0.015, 2)])
    panel = np.array([110.0, 190.0, 340.0, 580.0, 900.0, 1500.0]) * rng.uniform(0.9, 1.1, 6)
    decays = np.array([0.06, 0.05, 0.04, 0.03, 0.02, 0.015])
    levels = np.array([0.6, 1.0, 0.8, 0.6, 0.4, 0.25])
    length = int(0.25 * rate)
    t = np.arange(length) / rate

    def rap(i):
        amp = rng.uniform(0.8, 1.0, (i.size, 1))
        wood = modes(t, np.tile(panel, (i.size, 1)), np.tile(decays, (i.size, 1)), levels * amp)
        click = band_rows(rng.standard_normal((i.size, length)) * np.exp(-t / 0.0015), rate, 1500.0, 8000.0)
        return wood + 0.5 * amp * click

    return scatter(n, _at(seconds, rate, times), length, rap)


def clock(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """A clock's escapement once a second, tick and tock alternating: a tiny metallic click
    (partials 2-6 kHz ringing ~3 ms) over the case's ~800 Hz knock, the tock a tenth lower."""
    n = _n(seconds, rate)
    times = np.arange(rng.uniform(0.3, 0.7), seconds, 1.0)
    pitch = rng.uniform(0.9, 1.1)
    length = int(0.05 * rate)
    t = np.arange(length) / rate
    click = np.array([2500.0, 4100.0, 6300.0, 800.0]) * pitch
    decays = np.array([0.003, 0.0025, 0.002, 0.008])
    levels = np.array([1.0, 0.7, 0.5, 0.6])

    def tick(i):
        lower = np.where(i % 2, 0.9, 1.0)[:, None]
        return modes(t, click * lower, np.tile(decays, (i.size, 1)), np.tile(levels, (i.size, 1)))

    return scatter(n, _at(seconds, rate, times), length, tick)


def heartbeat(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """A resting heart at 60-80 beats a minute (±2 %): "lub", a soft ~50 Hz thud rising over 10 ms
    and dying in ~40 ms, then "dub", shorter and a little higher, 0.28-0.33 s later."""
    n = _n(seconds, rate)
    period = 60.0 / rng.uniform(60.0, 80.0)
    beats = np.arange(rng.uniform(0.2, 0.5), seconds, period)
    beats = beats + 0.02 * period * rng.standard_normal(beats.size)
    dubs = beats + rng.uniform(0.28, 0.33)
    times = np.concatenate([beats, dubs])
    kind = np.concatenate([np.zeros(beats.size, int), np.ones(dubs.size, int)])
    length = int(0.25 * rate)
    t = np.arange(length) / rate
    freq, decay, level = np.array([50.0, 65.0]), np.array([0.04, 0.03]), np.array([1.0, 0.6])

    def thud(i):
        k = kind[i]
        f0 = freq[k] * rng.uniform(0.95, 1.05, i.size)
        env = envelope_ad(t, 0.01, decay[k][:, None])
        tone = np.sin(2 * np.pi * f0[:, None] * t) + 0.3 * np.sin(4 * np.pi * f0[:, None] * t)
        return level[k, None] * env * tone

    return scatter(n, _at(seconds, rate, times), length, thud)
