"""Measurements the tests make on real output files (frames, audio, subtitles)."""

from __future__ import annotations

import numpy as np


def frame_at(path, t: float) -> np.ndarray:
    """RGB frame shown at time t (the last frame whose pts <= t)."""
    import av

    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        c.seek(max(0, int((t - 1.0) / stream.time_base)), stream=stream, backward=True)
        best = None
        for frame in c.decode(stream):
            if frame.time is not None and frame.time > t + 1e-6:
                break
            best = frame
        assert best is not None, f"no frame at {t}"
        return best.to_ndarray(format="rgb24").astype(np.float32)


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a - b)))


def audio_of(path, sample_rate: int = 16000) -> np.ndarray:
    from vidgen.media import decode_audio

    return decode_audio(path, sample_rate)


def rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12))


def f0_median(audio: np.ndarray, sr: int, fmin: float = 50.0, fmax: float = 300.0) -> float:
    """Median fundamental frequency (Hz) of the voiced frames, by YIN (cumulative mean normalised
    difference, threshold 0.15): robust to the octave errors a plain autocorrelation peak makes."""
    w, hop = int(0.03 * sr), int(0.01 * sr)
    lo, hi = int(sr / fmax), int(sr / fmin)
    found = []
    for start in range(0, audio.size - w - hi, hop):
        x = audio[start:start + w + hi].astype(np.float64)
        if np.sqrt(np.mean(x[:w] ** 2)) < 0.03:
            continue
        d = ((np.lib.stride_tricks.sliding_window_view(x, w)[: hi + 1] - x[:w]) ** 2).sum(axis=1)
        cmnd = d[1:] * np.arange(1, hi + 1) / np.maximum(np.cumsum(d[1:]), 1e-12)  # cmnd[i]: lag i + 1
        below = np.nonzero(cmnd[lo - 1:] < 0.15)[0]
        if below.size == 0:
            continue  # unvoiced
        i = lo - 1 + int(below[0])
        while i + 1 < cmnd.size and cmnd[i + 1] < cmnd[i]:
            i += 1
        found.append(sr / (i + 1))
    assert len(found) > 20, "too few voiced frames to measure"
    return float(np.median(found))


def semitones(a: float, b: float) -> float:
    return 12 * np.log2(a / b)
