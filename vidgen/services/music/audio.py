"""What the music backends share: their result type and loudness and fade helpers (below the front)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

TARGET_RMS_DB = -20.0  # every piece is brought to this loudness, so segments match
PEAK_CEILING_DB = -1.0


@dataclass
class MusicResult:
    wav: Path
    seconds: float
    sample_rate: int
    tempo: float  # BPM; 0 when unknown (MusicGen, or segments of different tempi)
    key: str  # e.g. "D minor"; "" when unknown or mixed
    loop_start: float  # seconds; a region that repeats seamlessly (0/0: none)
    loop_end: float
    backend: str  # "composer" | "transformers-musicgen"
    prompt: str = ""  # MusicGen's text prompt(s)


def normalize(audio: np.ndarray, rms_db: float = TARGET_RMS_DB, peak_db: float = PEAK_CEILING_DB) -> np.ndarray:
    """Scale to `rms_db` dBFS RMS, less where the peak would pass `peak_db` (silence stays silent)."""
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if rms < 1e-7:
        return audio.astype(np.float32)
    gain = min(10 ** (rms_db / 20) / rms, 10 ** (peak_db / 20) / peak)
    return (audio * gain).astype(np.float32)


def fade_edges(audio: np.ndarray, sr: int, *, fade_in: float, fade_out: float) -> np.ndarray:
    """A copy with raised-cosine fades of `fade_in` / `fade_out` seconds at the ends."""
    out = audio.astype(np.float32, copy=True)
    for seconds, edge in ((fade_in, slice(None)), (fade_out, slice(None, None, -1))):
        n = min(len(out), round(seconds * sr))
        if n > 0:
            ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, dtype=np.float32)))
            out[edge][:n] *= ramp
    return out
