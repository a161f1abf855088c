"""MuseTalk 1.5's audio conditioning: Whisper-tiny encoder states, windowed per video frame.

What MuseTalk does (musetalk/utils/audio_processor.py, `get_audio_feature` + `get_whisper_chunk`), here
without librosa and for any frame count:

1. The audio at 16 kHz, cut into the feature extractor's 30 s pieces; each piece becomes an 80 x 3000
   log-mel (WhisperFeatureExtractor pads the last one with silence).
2. The Whisper encoder's hidden states of every layer (the embedding output, each block, the last
   after the final layer norm: 5 for tiny) stacked: (50 Hz whisper frames, layers, d_model); the
   pieces are joined in time and trimmed to the audio's own length, floor(seconds * 50) frames.
3. Video frame i takes 10 whisper frames (2 * (2 + 1 + 2): two video frames of context each side at
   MuseTalk's 25 fps) starting at floor(i * 50 / fps) - 2 * ceil(50 / fps); frames outside the audio
   are zeros (MuseTalk's padding). At 25 fps frame i covers whisper frames 2i-4 .. 2i+5, i.e. 80 ms
   before to 120 ms after its own time.
4. Flattened time-major to (10 * layers, d_model) tokens: token = whisper frame * layers + layer
   (einops 'b c h w -> b (c h) w'): 50 x 384 for whisper-tiny, the UNet's cross-attention input.

One difference: MuseTalk truncates fps to an int before the ratio (23.976 -> 23, so its windows drift
by 4 % over a clip); here the real fps places them. The sinusoidal positional encoding MuseTalk adds
to the 50 tokens just before the UNet is `positional_encoding` (generate adds it).

torch is imported inside the functions that run the encoder; importing this module is free.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...errors import VidgenError

SAMPLE_RATE = 16_000  # Whisper's input rate
CONTEXT_LEFT = CONTEXT_RIGHT = 2  # MuseTalk's audio_padding_length_left / _right (video frames)
WINDOW = 2 * (CONTEXT_LEFT + 1 + CONTEXT_RIGHT)  # whisper frames per video frame (10)
PIECES_PER_CALL = 4  # 30 s pieces encoded together: bounds the encoder's memory on long clips


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """`samples` at `target` Hz: band-limited (FFT) resampling, no extra dependency."""
    if rate == target or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    n_out = max(1, int(round(samples.size * target / rate)))
    spectrum = np.fft.rfft(samples.astype(np.float64))
    keep = min(spectrum.size, n_out // 2 + 1)
    out = np.zeros(n_out // 2 + 1, dtype=np.complex128)
    out[:keep] = spectrum[:keep]
    return (np.fft.irfft(out, n_out) * (n_out / samples.size)).astype(np.float32)


def whisper_rate(extractor: Any) -> float:
    """Whisper frames per second: the mel hop, halved by the encoder's stride-2 convolution (50 Hz)."""
    return extractor.sampling_rate / extractor.hop_length / 2


def window_index(fps: float, frames: int, audio_fps: float = 50.0) -> np.ndarray:
    """(frames, WINDOW) whisper-frame indexes each video frame reads (may be < 0 or past the end:
    padding), MuseTalk's get_whisper_chunk arithmetic."""
    step = audio_fps / fps
    start = np.floor(np.arange(frames) * step).astype(np.int64) - CONTEXT_LEFT * math.ceil(step)
    return start[:, None] + np.arange(WINDOW)[None, :]


def windows(states: np.ndarray, fps: float, frames: int, audio_fps: float = 50.0) -> np.ndarray:
    """(frames, WINDOW * layers, d_model) tokens from (whisper frames, layers, d_model) states."""
    count, layers, dim = states.shape
    index = window_index(fps, frames, audio_fps)
    inside = (index >= 0) & (index < count)
    picked = np.zeros((frames, WINDOW, layers, dim), dtype=np.float32)
    picked[inside] = states[index[inside]]
    return picked.reshape(frames, WINDOW * layers, dim)


def positional_encoding(length: int, dim: int) -> np.ndarray:
    """MuseTalk's PositionalEncoding table (the Transformer's sin/cos) for `length` tokens."""
    position = np.arange(length, dtype=np.float32)[:, None]
    rates = np.exp(np.arange(0, dim, 2, dtype=np.float32) * (-math.log(10000.0) / dim))
    table = np.zeros((length, dim), dtype=np.float32)
    table[:, 0::2] = np.sin(position * rates)
    table[:, 1::2] = np.cos(position * rates)[:, : dim // 2]
    return table


def encoder_states(encoder: Any, extractor: Any, audio: np.ndarray, device: str, dtype: Any) -> np.ndarray:
    """(whisper frames, layers, d_model) float32: every hidden state of the encoder over `audio`
    (16 kHz mono), trimmed to the audio's length."""
    import torch

    piece = int(extractor.n_samples)
    pieces = [audio[i:i + piece] for i in range(0, audio.size, piece)]
    out = []
    for i in range(0, len(pieces), PIECES_PER_CALL):
        mel = extractor(pieces[i:i + PIECES_PER_CALL], sampling_rate=SAMPLE_RATE, return_tensors="np").input_features
        hidden = encoder(torch.from_numpy(mel).to(device=device, dtype=dtype), output_hidden_states=True).hidden_states
        stacked = torch.stack(hidden, dim=2)  # (pieces, frames, layers, d_model)
        out.append(stacked.flatten(0, 1).float().cpu().numpy())
    states = np.concatenate(out)
    return states[: int(math.floor(audio.size / SAMPLE_RATE * whisper_rate(extractor)))]


def audio_features(encoder: Any, extractor: Any, samples: np.ndarray, sample_rate: int, fps: float, frames: int,
                   *, device: str, dtype: Any) -> np.ndarray:
    """Per video frame, the (WINDOW * layers, d_model) Whisper tokens MuseTalk conditions on."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 1:
        raise VidgenError(f"MuseTalk needs mono audio samples (one dimension), not shape {samples.shape}.")
    if not (fps > 0 and sample_rate > 0 and frames >= 0):
        raise VidgenError(f"MuseTalk's audio features need fps > 0, a sample rate > 0 and frames >= 0, "
                          f"not fps={fps}, rate={sample_rate}, frames={frames}.")
    layers = int(encoder.config.encoder_layers) + 1
    dim = int(encoder.config.d_model)
    audio = resample(samples, int(sample_rate))
    if frames == 0 or audio.size == 0:
        return np.zeros((frames, WINDOW * layers, dim), dtype=np.float32)
    import torch

    with torch.inference_mode():
        states = encoder_states(encoder, extractor, audio, device, dtype)
    return windows(states, fps, frames, whisper_rate(extractor))
