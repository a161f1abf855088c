"""Weather and elements: the beds rain, wind, waves, fire and room tone, and thunder. Each is noise
shaped in the short-time spectrum and moved by slow random controls (that movement is what makes
wind sound like wind rather than hiss), with sparse grains where the real thing is made of
impacts: rain drops, fire crackles. Recipes take (seconds, rate, rng) and return raw float32
samples; the library (library.py) fades and normalises them."""

from __future__ import annotations

import numpy as np

from .dsp import band_rows, bump, control, highpass, lowpass, poisson_times, rms, scatter, shaped_noise, surges

# Frame shapes broadcast (frames, 1) controls against (bins,) frequencies.
_DROPS = 64  # distinct drop sounds in the rain, each heard at random levels


def _n(seconds: float, rate: int) -> int:
    return int(round(seconds * rate))


def _mix(base: np.ndarray, *layers: tuple[np.ndarray, float]) -> np.ndarray:
    """`base` at unit RMS plus each layer at its RMS relative to it, in place (beds are long)."""
    base *= np.float32(1.0 / rms(base))
    for layer, level in layers:
        layer *= np.float32(level / rms(layer))
        base += layer
    return base


def rain(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Broadband hiss (the far drops, above ~500 Hz, brightest at 2-8 kHz) swelling by a couple of
    dB, plus ~300 near drops a second: tiny rising resonances of 1.5-7 kHz with heavy-tailed levels."""
    n = _n(seconds, rate)
    swell = control(rng, seconds, 0.08)

    def shape(t, f):
        g = 10.0 ** (1.5 * swell(t)[:, None] / 20.0)
        return g * highpass(f, 500.0, 2.0) * lowpass(f, 9000.0, 1.5) * (0.6 + 0.4 * bump(f, 4500.0, 2500.0))

    hiss = shaped_noise(n, rate, rng, shape)
    times = poisson_times(rng, seconds, 300.0)
    length = int(0.012 * rate)
    t = np.arange(length) / rate
    freq = np.exp(rng.uniform(np.log(1500.0), np.log(7000.0), (_DROPS, 1)))
    rise = 1.0 + 0.6 * t / t[-1]  # a drop's bubble resonance rises as it closes
    bank = np.exp(-t / rng.uniform(0.0015, 0.005, (_DROPS, 1))) * np.sin(2 * np.pi * freq * rise * t)
    which = rng.integers(_DROPS, size=times.size)
    amp = np.minimum(rng.pareto(2.5, times.size) + 0.2, 6.0)

    def drops(i):
        return amp[i, None] * bank[which[i]]

    near = scatter(n, (times * rate).astype(np.int64), length, drops)
    return _mix(hiss, (near, 0.7))


def wind(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Low rumbling noise (mostly under 1 kHz) in slow gusts of several seconds, and a whistling
    resonance whose pitch rises with each gust (350-900 Hz), strongest at the gust's height."""
    n = _n(seconds, rate)
    gust_c, pitch_c = control(rng, seconds, 0.12), control(rng, seconds, 0.2)

    def shape(t, f):
        gust = (0.55 + 0.45 * np.tanh(gust_c(t)))[:, None]
        centre = 350.0 + 450.0 * gust + 60.0 * pitch_c(t)[:, None]
        body = lowpass(f, 200.0 + 300.0 * gust, 2.0) * highpass(f, 35.0, 2.0)
        whistle = 0.9 * bump(f, centre, 0.07 * centre) + 0.3 * bump(f, 1.6 * centre, 0.05 * centre)
        return gust * body + gust ** 2 * whistle

    return shaped_noise(n, rate, rng, shape)


def waves(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Surf: each wave rises in about a second as it breaks (its sound opens up to 4 kHz) and washes
    back over several seconds, darker; waves arrive every 6.5-9 s (each ±12 %), over a low steady
    sea rumble."""
    n = _n(seconds, rate)
    period = rng.uniform(6.5, 9.0)
    gaps = period * np.clip(1.0 + 0.12 * rng.standard_normal(int(seconds / period) + 3), 0.7, 1.3)
    arrivals = np.cumsum(gaps) - gaps[0] * rng.uniform(0.2, 0.9)
    grid = np.arange(0.0, seconds + 0.1, 0.02)
    level = surges(grid, arrivals, rng.uniform(0.7, 1.1, arrivals.size), 0.35, 2.2)
    level /= level.max() or 1.0
    flutter = control(rng, seconds, 1.5)

    def shape(t, f):
        e = np.interp(t, grid, level)[:, None]
        bright = 400.0 + 3600.0 * e ** 1.5
        wash = (0.08 + e) * (1.0 + 0.1 * flutter(t)[:, None]) * lowpass(f, bright, 1.5) * highpass(f, 80.0, 2.0)
        return wash + 0.25 * lowpass(f, 160.0, 2.0) * highpass(f, 25.0, 2.0)

    return shaped_noise(n, rate, rng, shape)


def fire(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """A flickering low roar (under ~200 Hz) and faint hiss, with crackles: sharp bright bursts of a
    few ms at ~12 a second in clusters, their sizes heavy-tailed (a few loud pops among many ticks)."""
    n = _n(seconds, rate)
    flicker, clusters = control(rng, seconds, 0.6), control(rng, seconds, 0.3)

    def shape(t, f):
        g = 10.0 ** (4.0 * flicker(t)[:, None] / 20.0)
        hiss = 0.08 * highpass(f, 2500.0, 2.0) * lowpass(f, 9000.0)
        return g * lowpass(f, 180.0, 2.0) * highpass(f, 30.0, 2.0) + hiss

    roar = shaped_noise(n, rate, rng, shape)
    times = poisson_times(rng, seconds, lambda t: 12.0 * np.exp(0.8 * clusters(t)))
    length = int(0.01 * rate)
    t = np.arange(length) / rate
    amp = np.minimum(rng.pareto(2.5, times.size) + 0.3, 6.0)
    decay = rng.uniform(0.0005, 0.003, times.size)
    pitch = rng.uniform(1500.0, 5000.0, times.size)

    def crackles(i):
        burst = rng.standard_normal((i.size, length)) * np.exp(-t / decay[i, None])
        return amp[i, None] * band_rows(burst, rate, pitch[i] / 2.0, pitch[i] * 2.0)

    crack = scatter(n, (times * rate).astype(np.int64), length, crackles)
    return _mix(roar, (crack, 0.4))


def room_tone(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """An empty room's near-silence: soft pinkish noise rolling off above ~1.5 kHz, a faint
    ventilation hum near 120 Hz, level steady within half a dB."""
    n = _n(seconds, rate)
    drift = control(rng, seconds, 0.1)

    def shape(t, f):
        g = 10.0 ** (0.4 * drift(t)[:, None] / 20.0)
        pink = 1.0 / np.sqrt(np.maximum(f, 40.0) / 100.0)
        return g * (pink * highpass(f, 30.0, 2.0) * lowpass(f, 1500.0, 1.0) + 0.4 * bump(f, 120.0, 25.0))

    return shaped_noise(n, rate, rng, shape)


def thunder(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """One thunderclap: a crack (a cluster of ~30 sharp bursts within 0.3 s, under 5 kHz) and then
    the roll, low noise whose brightness falls from ~1.1 kHz to ~120 Hz, in 3-6 irregular swells
    over the first half of the clip (of up to 10 s), dying away."""
    n = _n(seconds, rate)
    span = min(seconds, 10.0)
    lead = 0.02
    swells = lead + np.sort(rng.uniform(0.05, 0.5, rng.integers(3, 7))) * span
    sizes = rng.uniform(0.4, 1.0, swells.size)
    attack, decay = rng.uniform(0.15, 0.5, swells.size), rng.uniform(0.6, 2.0, swells.size) * span / 8.0
    grid = np.arange(0.0, seconds + 0.1, 0.01)
    roll = surges(grid, swells, sizes, attack, decay)
    roll = roll / (roll.max() or 1.0) * np.exp(-np.maximum(grid - lead, 0) / (0.35 * span))
    roll += 0.6 * np.exp(-np.maximum(grid - lead, 0) / 0.25) * (grid >= lead)

    def shape(t, f):
        e = np.interp(t, grid, roll)[:, None]
        bright = 120.0 + 1000.0 * np.exp(-t[:, None] / (0.06 * span))
        return e * lowpass(f, bright, 2.0) * highpass(f, 25.0, 2.0)

    rumble = shaped_noise(n, rate, rng, shape)
    times = lead + rng.exponential(0.08, 30)
    length = int(0.02 * rate)
    tt = np.arange(length) / rate
    amp = rng.uniform(0.3, 1.0, times.size)

    def crack(i):
        burst = rng.standard_normal((i.size, length)) * np.exp(-tt / 0.003)
        return amp[i, None] * band_rows(burst, rate, 60.0, 5000.0)

    cracks = scatter(n, (times * rate).astype(np.int64), length, crack)
    return _mix(rumble, (cracks, 0.25))
