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
