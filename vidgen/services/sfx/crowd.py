"""People as beds: crowd murmur and applause. A murmur is many voices, each talking in phrases of
syllables (4-5.5 a second) with its own pitch and vowels, so the sum carries speech's spectrum and
its syllable-rate rhythm without a single word being intelligible; applause is many clappers,
each a few claps a second with a hand-specific resonance."""

from __future__ import annotations

import numpy as np

from .dsp import band_rows, bump, control, highpass, lowpass, rms, scatter, shaped_noise

# F1, F2, F3 (Hz) of an adult male's vowels (Peterson & Barney); women's are scaled by 1.17.
VOWELS = np.array([(730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480),
                   (570, 840, 2410), (660, 1720, 2410), (490, 1350, 1690), (440, 1020, 2240)], float)
_BANDWIDTHS = np.array([90.0, 110.0, 170.0])
VOICES = 10
SYLLABLE_SECONDS = 0.32  # the longest syllable grain
VOICE_RATE = 12000  # Hz, at least: voices are band-limited to ~3.5 kHz, so they are made at a low rate


def _syllables(rng: np.random.Generator, seconds: float) -> dict[str, np.ndarray]:
    """Every syllable of every voice: start, length, pitch, pitch slope, vowel, formant scale, level."""
    cols: dict[str, list] = {k: [] for k in ("start", "dur", "f0", "slope", "vowel", "scale", "level")}
    for _ in range(VOICES):
        female = rng.random() < 0.5
        base = rng.uniform(185.0, 235.0) if female else rng.uniform(95.0, 135.0)
        level, rate = rng.uniform(0.4, 1.0), rng.uniform(4.0, 5.5)
        t = -rng.uniform(0.0, 2.0)  # voices are mid-sentence when the scene starts
        while t < seconds:
            phrase = rng.uniform(1.2, 3.5)
            end, k = t + phrase, 0
            while t < end and t < seconds:
                step = rng.uniform(0.75, 1.25) / rate
                cols["start"].append(t)
                cols["dur"].append(min(step * rng.uniform(0.7, 0.95), SYLLABLE_SECONDS))
                cols["f0"].append(base * (1.0 + 0.12 * rng.standard_normal()) * (1.0 - 0.04 * k))
                cols["slope"].append(rng.uniform(-0.15, 0.1))
                cols["vowel"].append(rng.integers(len(VOWELS)))
                cols["scale"].append(1.17 if female else 1.0)
                cols["level"].append(level * rng.uniform(0.6, 1.0))
                t, k = t + step, k + 1
            t += rng.uniform(0.3, 1.5)  # a breath, a pause
    return {k: np.asarray(v) for k, v in cols.items()}


def crowd(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Ten voices, each syllable a voiced buzz (a sawtooth at the voice's pitch, gliding) shaped by a
    vowel's three formants and a smooth syllable envelope, heard from a little way off (high
    frequencies rolled off above ~3.5 kHz), over a faint speech-shaped wash of the room."""
    n = int(round(seconds * rate))
    syl = _syllables(rng, seconds)
    down = max(1, rate // VOICE_RATE)  # voices are made at rate/down and widened in the spectrum
    low = rate / down
    short = int(SYLLABLE_SECONDS * low)
    length = short * down
    t = (np.arange(short) / low).astype(np.float32)
    f = np.fft.rfftfreq(short, 1.0 / low).astype(np.float32)
    distance = lowpass(f, 3500.0, 2.0) * highpass(f, 120.0, 2.0)

    def voiced(i):
        dur = syl["dur"][i, None].astype(np.float32)
        x = np.minimum(t / dur, 1.0)
        f0 = (syl["f0"][i, None] * (1.0 + syl["slope"][i, None] * x)).astype(np.float32)
        phase = np.cumsum(f0, axis=1) / np.float32(low) + rng.random((i.size, 1), dtype=np.float32)
        buzz = 2.0 * (phase % 1.0) - 1.0
        env = np.where(t < dur, np.maximum(np.sin(np.pi * x), 0.0) ** 1.5, 0.0)  # a smooth rise and fall
        scale = syl["scale"][i, None].astype(np.float32)
        formants = VOWELS[syl["vowel"][i]].astype(np.float32) * scale  # (m, 3)
        gain = sum(bump(f, formants[:, k, None], _BANDWIDTHS[k] * scale) * (1.0, 0.7, 0.35)[k] for k in range(3))
        spec = np.fft.rfft(buzz * env, axis=1) * (gain * distance)
        return syl["level"][i, None] * down * np.fft.irfft(spec, n=length, axis=1)

    voices = scatter(n, (syl["start"] * rate).astype(np.int64), length, voiced)
    room = shaped_noise(n, rate, rng, lambda tt, ff: bump(ff, 500.0, 250.0) + 0.5 * bump(ff, 1500.0, 600.0))
    room *= np.float32(0.12 * rms(voices) / rms(room))
    voices += room
    return voices


def applause(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Thirty clappers at 3-5 claps a second each (±8 % timing), every clap a ~10 ms noise burst
    band-passed around the clapper's own hand resonance (0.8-2.5 kHz); the whole swells slowly."""
    n = int(round(seconds * rate))
    swell = control(rng, seconds, 0.15)
    starts, who = [], []
    for c in range(30):
        period = 1.0 / rng.uniform(3.0, 5.0)
        beats = np.arange(rng.uniform(0.0, period), seconds, period)
        starts.append(beats + 0.08 * period * rng.standard_normal(beats.size))
        who.append(np.full(beats.size, c))
    times, clapper = np.concatenate(starts), np.concatenate(who)
    centre = rng.uniform(800.0, 2500.0, 30)
    level = rng.uniform(0.4, 1.0, 30)
    length = int(0.03 * rate)
    t = np.arange(length) / rate

    def claps(i):
        burst = rng.standard_normal((i.size, length)) * np.exp(-t / rng.uniform(0.003, 0.008, (i.size, 1)))
        c = clapper[i]
        amp = level[c] * rng.uniform(0.6, 1.0, i.size) * 10.0 ** (2.0 * swell(times[i]) / 20.0)
        return amp[:, None] * band_rows(burst, rate, centre[c] / 1.6, centre[c] * 1.6)

    return scatter(n, (times * rate).astype(np.int64), length, claps)
