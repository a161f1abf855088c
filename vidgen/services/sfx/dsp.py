"""The pieces every built-in sound is made of, so each sound is a short recipe: noise shaped in the
short-time spectrum (its spectrum may follow slow controls), slow random controls, short grains
added at chosen times, damped resonances, fades and peak normalisation.

numpy only (scipy is not a dependency). Long sounds are built in bounded blocks: memory grows with
the output's own length and a few blocks, never with FFTs of the whole thing."""

from __future__ import annotations

from typing import Callable

import numpy as np

# (frame times in s, bin frequencies in Hz) -> magnitude per frame and bin; 1 everywhere = unit variance
Shape = Callable[[np.ndarray, np.ndarray], np.ndarray]
GrainFn = Callable[[np.ndarray], np.ndarray]  # indices of the grains -> their samples, one row each

NFFT = 2048
_FRAMES_PER_BLOCK = 512
_GRAIN_VALUES_PER_BLOCK = 1 << 21
TWO_PI = 2.0 * np.pi


def hann(n: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(TWO_PI * np.arange(n) / n)).astype(np.float32)


def shaped_noise(n: int, rate: int, rng: np.random.Generator, shape: Shape, nfft: int = NFFT) -> np.ndarray:
    """`n` samples of noise whose short-time magnitude spectrum is `shape(t, f)`: random phases per
    frame, Hann windows overlap-added at 75 % (their squares sum to a constant, so a constant shape
    gives stationary noise of variance mean(shape**2))."""
    hop = nfft // 4
    freqs = np.fft.rfftfreq(nfft, 1.0 / rate).astype(np.float32)
    window = hann(nfft) * np.float32(np.sqrt(nfft / 1.5))
    n_frames = -(-(n + nfft) // hop)
    out = np.zeros(n_frames * hop + nfft, np.float32)
    for first in range(0, n_frames, _FRAMES_PER_BLOCK):
        k = np.arange(first, min(first + _FRAMES_PER_BLOCK, n_frames))
        t = np.maximum(k * hop - nfft / 2, 0.0) / rate  # each frame's centre on the output's clock
        mag = np.broadcast_to(np.asarray(shape(t, freqs), np.float32), (k.size, freqs.size))
        phase = rng.random(mag.shape, dtype=np.float32) * np.float32(TWO_PI)
        spec = np.empty(mag.shape, np.complex64)
        spec.real, spec.imag = mag * np.cos(phase), mag * np.sin(phase)
        frames = np.fft.irfft(spec, n=nfft).astype(np.float32, copy=False)
        frames *= window
        for j in range(4):  # frames four hops apart tile without overlap: add each set as one run
            run = frames[j::4].reshape(-1)
            pos = (first + j) * hop
            out[pos:pos + run.size] += run
    return out[nfft:nfft + n]


def control(rng: np.random.Generator, seconds: float, cutoff: float,
            rate: float = 50.0) -> Callable[[np.ndarray], np.ndarray]:
    """A smooth random signal below `cutoff` Hz (mean 0, std 1) over `seconds`, read at any times."""
    n = max(int(np.ceil(seconds * rate)) + 2, 8)
    spec = np.fft.rfft(rng.standard_normal(n))
    spec *= np.exp(-0.5 * (np.fft.rfftfreq(n, 1.0 / rate) / cutoff) ** 2)
    spec[0] = 0.0
    x = np.fft.irfft(spec, n)
    x /= x.std() or 1.0
    grid = np.arange(n) / rate
    return lambda t: np.interp(t, grid, x).astype(np.float32)


def lowpass(f: np.ndarray, fc: np.ndarray | float, order: float = 2.0) -> np.ndarray:
    """Magnitude of a Butterworth-like low-pass (broadcasts: fc may be one value per frame)."""
    return 1.0 / np.sqrt(1.0 + (f / fc) ** (2 * order))


def highpass(f: np.ndarray, fc: np.ndarray | float, order: float = 2.0) -> np.ndarray:
    return 1.0 / np.sqrt(1.0 + (fc / np.maximum(f, 1e-3)) ** (2 * order))


def bump(f: np.ndarray, centre: np.ndarray | float, width: np.ndarray | float) -> np.ndarray:
    """A Gaussian resonance in the spectrum (width = standard deviation in Hz)."""
    return np.exp(-0.5 * ((f - centre) / width) ** 2)


def scatter(n: int, starts: np.ndarray, length: int, grains: GrainFn) -> np.ndarray:
    """`n` samples holding grain i (from `grains`, `length` samples each) added at sample starts[i];
    parts outside are dropped. Grains are made a block at a time, in time order."""
    out = np.zeros(n, np.float32)
    order = np.argsort(starts, kind="stable")
    starts = np.asarray(starts, np.int64)[order]
    per_block = max(1, _GRAIN_VALUES_PER_BLOCK // max(length, 1))
    for i in range(0, starts.size, per_block):
        rows = np.asarray(grains(order[i:i + per_block]), np.float32)
        for row, s in zip(rows, starts[i:i + per_block].tolist()):
            a, b = max(s, 0), min(s + length, n)
            if a < b:
                out[a:b] += row[a - s:b - s]
    return out


def modes(t: np.ndarray, freqs: np.ndarray, decays: np.ndarray, amps: np.ndarray,
          phases: np.ndarray | None = None) -> np.ndarray:
    """Damped sinusoids summed over the last axis of freqs/decays/amps (a struck object's ring).
    `t` is (L,); the parameters are (modes,) or (grains, modes), giving (L,) or (grains, L)."""
    freqs, decays, amps = (np.asarray(a, np.float64)[..., None] for a in (freqs, decays, amps))
    ph = 0.0 if phases is None else np.asarray(phases, np.float64)[..., None]
    return (amps * np.exp(-t / decays) * np.sin(TWO_PI * freqs * t + ph)).sum(axis=-2)


def band_rows(rows: np.ndarray, rate: int, lo: np.ndarray | float, hi: np.ndarray | float) -> np.ndarray:
    """Each row band-passed between lo and hi Hz (per-row values allowed), in the frequency domain."""
    m = rows.shape[-1]
    f = np.fft.rfftfreq(m, 1.0 / rate)
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    if lo.ndim:
        lo, hi = lo[:, None], hi[:, None]
    gain = highpass(f, lo, 2.0) * lowpass(f, hi, 2.0)
    return np.fft.irfft(np.fft.rfft(rows, axis=-1) * gain, n=m, axis=-1)


def spectral_filter(x: np.ndarray, rate: int, gain: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """A whole (short) signal filtered by `gain(f)`; for events only, whose length is small."""
    f = np.fft.rfftfreq(x.size, 1.0 / rate)
    return np.fft.irfft(np.fft.rfft(x) * gain(f), n=x.size).astype(np.float32)


def envelope_ad(t: np.ndarray, attack: float, decay: float) -> np.ndarray:
    """0 before t=0, a smooth rise over `attack` s, then exponential decay with time constant `decay`."""
    tt = np.maximum(t, 0.0)
    rise = np.sin(0.5 * np.pi * np.minimum(tt / attack, 1.0)) ** 2
    return np.where(t >= 0, rise * np.exp(-np.maximum(tt - attack, 0.0) / decay), 0.0)


def surges(t: np.ndarray, starts: np.ndarray, sizes: np.ndarray, attack: np.ndarray | float,
           decay: np.ndarray | float) -> np.ndarray:
    """A loudness curve at times `t`: events that each rise (time constant `attack`) and die away
    (`decay`) from their start, summed (waves breaking, thunder's swells)."""
    dt = np.maximum(t[:, None] - starts, 0.0)
    rise = np.where(t[:, None] >= starts, 1.0 - np.exp(-dt / attack), 0.0)
    return (sizes * rise * np.exp(-dt / decay)).sum(axis=1)


def chirp(f: np.ndarray, rate: int) -> np.ndarray:
    """A sine whose instantaneous frequency follows `f` (Hz per sample): phase by accumulation."""
    return np.sin(TWO_PI * np.cumsum(f) / rate)


def poisson_times(rng: np.random.Generator, seconds: float, per_second: Callable[[np.ndarray], np.ndarray] | float,
                  step: float = 0.05) -> np.ndarray:
    """Event times (s) of a Poisson process whose rate may vary (evaluated every `step` s)."""
    edges = np.arange(0.0, seconds, step)
    lam = per_second(edges + step / 2) if callable(per_second) else np.full(edges.size, float(per_second))
    counts = rng.poisson(np.maximum(lam, 0.0) * step)
    times = np.repeat(edges, counts) + rng.random(int(counts.sum())) * step
    return np.sort(times[times < seconds])


def fade(x: np.ndarray, rate: int, fade_in: float, fade_out: float) -> np.ndarray:
    """Raised-cosine fades at both ends (in place), so the sound starts and ends at zero."""
    for seconds, at_start in ((fade_in, True), (fade_out, False)):
        m = min(max(int(round(seconds * rate)), 1), x.size)
        ramp = (0.5 - 0.5 * np.cos(np.pi * np.arange(m) / m)).astype(x.dtype)
        if at_start:
            x[:m] *= ramp
        else:
            x[-m:] *= ramp[::-1]
    x[0] = x[-1] = 0.0
    return x


def rms(x: np.ndarray) -> float:
    """Root mean square, summed a megasample at a time (no float64 copy of a long bed); 1 for silence."""
    total = sum(float(np.dot(c, c)) for c in (x[i:i + (1 << 20)] for i in range(0, x.size, 1 << 20)))
    return float(np.sqrt(total / max(x.size, 1))) or 1.0


def peak_normalise(x: np.ndarray, peak_db: float) -> np.ndarray:
    """Scaled so the largest sample is exactly `peak_db` dBFS (silence stays silent)."""
    peak = max(float(x.max()), -float(x.min())) if x.size else 0.0
    if peak > 0:
        x *= np.float32(10.0 ** (peak_db / 20.0) / peak)
    return x
