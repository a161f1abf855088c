"""Wav2Lip's audio front end: the mel spectrogram it was trained on, cut into one window per video frame.

    mel = melspectrogram(to_16k(samples, 44100))    # (80, T): 80 mel frames per second, in [-4, 4]
    windows = frame_windows(mel, fps=25, frames=n)  # (n, 80, 16): frame i's 16 mel frames (0.2 s)

The numbers are the authors' hparams: 16 kHz audio, preemphasis 0.97, an 800-point Hann STFT with a
200-sample hop (centred, reflect padding, as librosa's stft of their day), 80 Slaney mel bands
55-7600 Hz (librosa's `filters.mel` defaults: Slaney scale, area-normalised), amplitude in dB with
a -100 dB floor less the 20 dB reference level, then mapped linearly onto [-4, 4] and clipped.
Silence is -4 everywhere. Video frame i's window starts at mel frame int(80 * i / fps); where
the audio ends first, the spectrogram is padded with silence (the authors' script instead
reused the last window and cut the video short).

numpy and scipy only.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ...errors import VidgenError

SAMPLE_RATE = 16000
N_FFT = 800
HOP = 200
WIN = 800
N_MELS = 80
FMIN = 55.0
FMAX = 7600.0
PREEMPHASIS = 0.97
MIN_LEVEL_DB = -100.0
REF_LEVEL_DB = 20.0
MAX_ABS = 4.0
MEL_FPS = SAMPLE_RATE / HOP  # 80 mel frames per second
WINDOW = 16  # mel frames per video frame's window (0.2 s)
FLOOR = -MAX_ABS  # the value of silence


def to_16k(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mono float32 audio at 16 kHz (a polyphase resampler with scipy's Kaiser window)."""
    from scipy.signal import resample_poly

    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise VidgenError(f"Wav2Lip takes mono audio (one channel), not an array of shape {x.shape}.")
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise VidgenError(f"The audio's sample rate must be a positive whole number of Hz, not {sample_rate!r}.")
    if not np.isfinite(x).all():
        raise VidgenError("The audio for lip sync holds NaN or infinite samples.")
    if sample_rate == SAMPLE_RATE or len(x) == 0:
        return x
    g = math.gcd(int(sample_rate), SAMPLE_RATE)
    return resample_poly(x, SAMPLE_RATE // g, int(sample_rate) // g).astype(np.float32)


# --- the Slaney mel scale (librosa's htk=False) ----------------------------------------------

_LINEAR_HZ = 200.0 / 3  # Hz per mel below 1 kHz
_BREAK_HZ = 1000.0
_BREAK_MEL = _BREAK_HZ / _LINEAR_HZ
_LOG_STEP = math.log(6.4) / 27.0  # above 1 kHz: log-spaced


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    log = _BREAK_MEL + np.log(np.maximum(hz, _BREAK_HZ) / _BREAK_HZ) / _LOG_STEP
    return np.where(hz >= _BREAK_HZ, log, hz / _LINEAR_HZ)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    log = _BREAK_HZ * np.exp(_LOG_STEP * (np.maximum(mel, _BREAK_MEL) - _BREAK_MEL))
    return np.where(mel >= _BREAK_MEL, log, mel * _LINEAR_HZ)


def band_edges() -> np.ndarray:
    """N_MELS + 2 frequencies (Hz): band k rises from edge k, peaks at edge k + 1, falls to edge k + 2."""
    return mel_to_hz(np.linspace(hz_to_mel(FMIN), hz_to_mel(FMAX), N_MELS + 2))


@lru_cache(maxsize=1)
def mel_filters() -> np.ndarray:
    """(N_MELS, N_FFT // 2 + 1) triangular filters, each scaled to unit area (Slaney's norm)."""
    edges = band_edges()
    freqs = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    weights.flags.writeable = False
    return weights


# --- the spectrogram ---------------------------------------------------------------------------

def _stft_magnitude(x: np.ndarray) -> np.ndarray:
    """|STFT| (N_FFT // 2 + 1, 1 + len // HOP): centred frames, periodic Hann window."""
    from scipy.signal import get_window

    half = N_FFT // 2
    mode = "reflect" if len(x) > half else "constant"  # reflect needs more samples than its pad
    padded = np.pad(x.astype(np.float64), half, mode=mode)
    count = 1 + (len(padded) - N_FFT) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:count]
    window = get_window("hann", WIN, fftbins=True)
    return np.abs(np.fft.rfft(frames * window, n=N_FFT, axis=1)).T


def melspectrogram(samples16k: np.ndarray) -> np.ndarray:
    """(N_MELS, 1 + len // HOP) float32 in [-4, 4], from mono 16 kHz audio."""
    from scipy.signal import lfilter

    x = np.asarray(samples16k, dtype=np.float64)
    if len(x) == 0:
        return np.zeros((N_MELS, 0), dtype=np.float32)
    emphasised = lfilter([1.0, -PREEMPHASIS], [1.0], x)
    mel = mel_filters() @ _stft_magnitude(emphasised)
    floor = 10.0 ** (MIN_LEVEL_DB / 20.0)
    db = 20.0 * np.log10(np.maximum(floor, mel)) - REF_LEVEL_DB
    scaled = 2 * MAX_ABS * (db - MIN_LEVEL_DB) / -MIN_LEVEL_DB - MAX_ABS
    return np.clip(scaled, -MAX_ABS, MAX_ABS).astype(np.float32)


def window_start(i: int, fps: float) -> int:
    """The mel frame where video frame i's window starts."""
    return int(i * MEL_FPS / fps)


def frame_windows(mel: np.ndarray, fps: float, frames: int) -> np.ndarray:
    """(frames, N_MELS, WINDOW) float32: for video frame i, mel[:, s:s + WINDOW] with s = int(80 * i / fps),
    silence past the spectrogram's end."""
    if not isinstance(fps, (int, float)) or not math.isfinite(fps) or fps <= 0:
        raise VidgenError(f"The video's frame rate must be a positive number, not {fps!r}.")
    if not isinstance(frames, (int, np.integer)) or frames < 0:
        raise VidgenError(f"The number of video frames must be a whole number >= 0, not {frames!r}.")
    if frames == 0:
        return np.zeros((0, N_MELS, WINDOW), dtype=np.float32)
    starts = np.array([window_start(i, fps) for i in range(frames)], dtype=np.int64)
    need = int(starts[-1]) + WINDOW
    if mel.shape[1] < need:
        mel = np.pad(mel, ((0, 0), (0, need - mel.shape[1])), constant_values=FLOOR)
    view = np.lib.stride_tricks.sliding_window_view(mel, WINDOW, axis=1)  # (N_MELS, T - 15, WINDOW)
    return np.ascontiguousarray(view[:, starts].transpose(1, 0, 2), dtype=np.float32)
