"""Sentence audio helpers of the voice service: speech detection, trimming, pitch and rate, fades,
emphasis (below the front and the backends)."""

from __future__ import annotations

import os
import wave
from pathlib import Path
from typing import Any

import numpy as np

from ...domain import Voice
from ...errors import VidgenError
from ...media import ffmpeg_exe, run_child
from ...text import speakable
from .prosody import EMPHASIS_GAIN_DB, EMPHASIS_SPEED, Sentence

Phone = tuple[str, float, float]  # a phoneme, its start and end in seconds of the audio it is in

SPEECH_DB = -45.0  # 20 ms frames louder than this are speech
PEAK = 0.99  # a sentence louder than this (emphasis, pitch shift) is scaled down to it
SPEED_RANGE = (0.3, 3.0)  # voice x mood x line pace x emphasis is kept in this range


def loud_frames(audio: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
    """Which 20 ms frames are louder than SPEECH_DB (RMS), and the frame length in samples."""
    hop = max(1, sr // 50)
    n = len(audio) // hop
    rms = np.sqrt(np.mean(audio[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    return rms > 10 ** (SPEECH_DB / 20), hop


def speech_bounds(audio: np.ndarray, sr: int) -> tuple[int, int]:
    """First and last sample of audible speech."""
    loud, hop = loud_frames(audio, sr)
    if loud.size == 0:
        return 0, len(audio)
    found = np.nonzero(loud)[0]
    if found.size == 0:
        return 0, 0
    return int(found[0] * hop), int(min(len(audio), (found[-1] + 1) * hop))


def active_fraction(audio: np.ndarray, sr: int) -> float:
    loud, _ = loud_frames(audio, sr)
    return float(loud.mean()) if loud.size else 0.0


def trim(audio: np.ndarray, sr: int) -> np.ndarray:
    start, end = speech_bounds(audio, sr)
    return audio[start:end]


def shape(audio: np.ndarray, sr: int, out_sr: int, semitones: float) -> np.ndarray:
    """Pitch-shift by `semitones` keeping the duration, and resample to `out_sr`: one ffmpeg call
    through pipes, no temp files. Measured: ~15 ms to start ffmpeg plus ~8 ms per second of audio
    (rubberband), so one call per sentence costs little next to synthesis and keeps the code simple."""
    filters = []
    if abs(semitones) >= 0.01:
        filters.append(f"rubberband=pitch={2 ** (semitones / 12):.6f}")
    if sr != out_sr:
        filters.append(f"aresample={out_sr}")
    if not filters or audio.size == 0:
        return audio
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-f", "f32le", "-ar", str(sr), "-ac", "1",
           "-i", "pipe:0", "-af", ",".join(filters), "-f", "f32le", "-ar", str(out_sr), "pipe:1"]
    proc = run_child(cmd, input=np.ascontiguousarray(audio, np.float32).tobytes())
    if proc.returncode != 0:
        last = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        raise VidgenError(f"Pitch shift / resampling of speech failed in ffmpeg: {last}")
    return np.frombuffer(proc.stdout, np.float32).copy()


def fade_edges(audio: np.ndarray, sr: int, seconds: float = 0.005) -> np.ndarray:
    """Short fades so chunks joined without a gap do not click."""
    n = min(int(sr * seconds), audio.size // 2)
    if n > 0:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        audio = audio.copy()
        audio[:n] *= ramp
        audio[-n:] *= ramp[::-1]
    return audio


def speak(engine: Any, sentence: Sentence, voice: Voice, speed: float, seed: int, language: str) -> np.ndarray:
    """One sentence (a bounded unit), its emphasis realised (see prosody.py), at the engine's rate;
    tokens too long to say are given to the voice in pieces (text.speakable)."""
    return speak_timed(engine, sentence, voice, speed, seed, language)[0]


def speak_timed(engine: Any, sentence: Sentence, voice: Voice, speed: float, seed: int,
                language: str) -> tuple[np.ndarray, list[Phone] | None]:
    """`speak`, with its phonemes' (phoneme, start, end) seconds where the engine aligns them
    (`speak_timed`, Piper with onnx), else None."""
    sr = engine.sample_rate
    gain = np.float32(10 ** (EMPHASIS_GAIN_DB / 20))

    def say(text: str, s: float) -> tuple[np.ndarray, list[Phone] | None]:
        if hasattr(engine, "speak_timed"):
            return engine.speak_timed(speakable(text), voice, clamp(s), seed, language)
        return engine.speak(speakable(text), voice, clamp(s), seed, language), None

    if not sentence.emphasised:
        return say(sentence.text, speed)
    if not engine.chunks:
        audio, phones = say(sentence.text, speed)
        return audio * gain, phones
    parts, timed, at = [], [], 0
    for span in sentence.spans:
        audio, phones = say(span.text, speed * EMPHASIS_SPEED if span.emphasis else speed)
        a, b = speech_bounds(audio, sr)
        part = fade_edges(audio[a:b] * gain if span.emphasis else audio[a:b], sr)
        if phones is not None and timed is not None:
            timed.extend(shifted(phones, (at - a) / sr, (b - a) / sr, at / sr))
        else:
            timed = None
        parts.append(part)
        at += part.size
    return (np.concatenate(parts) if parts else np.zeros(0, np.float32)), timed


def shifted(phones: list[Phone], by: float, length: float, floor: float = 0.0) -> list[Phone]:
    """Phone times moved by `by` seconds and kept within [floor, floor + length] (those left empty dropped)."""
    out = []
    for ph, a, b in phones:
        a, b = max(floor, a + by), min(floor + length, b + by)
        if b > a:
            out.append((ph, a, b))
    return out


def clamp(speed: float) -> float:
    return min(SPEED_RANGE[1], max(SPEED_RANGE[0], speed))


def fit_peak(audio: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return audio * np.float32(PEAK / peak) if peak > PEAK else audio


class WavSink:
    """A mono 16-bit WAV written as its pieces come (as media.write_wav writes one), into a
    `.part` file renamed on `commit`: a scene's speech never sits whole in memory."""

    def __init__(self, path: str | os.PathLike, rate: int):
        self.path, self.rate, self.samples = Path(path), rate, 0
        self._part = self.path.with_name(self.path.name + ".part")
        self._w = wave.open(str(self._part), "wb")
        self._w.setnchannels(1)
        self._w.setsampwidth(2)
        self._w.setframerate(rate)

    def write(self, audio: np.ndarray) -> None:
        self._w.writeframes((np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes())
        self.samples += audio.size

    def silence(self, seconds: float) -> None:
        n = int(round(seconds * self.rate))
        while n > 0:  # in blocks: a long pause is not one big array either
            block = min(n, self.rate * 10)
            self._w.writeframes(bytes(2 * block))
            self.samples += block
            n -= block

    def close(self, commit: bool) -> None:
        self._w.close()
        if commit:
            os.replace(self._part, self.path)
        else:
            self._part.unlink(missing_ok=True)


__all__ = ["WavSink", "SPEECH_DB", "PEAK", "SPEED_RANGE", "loud_frames", "speech_bounds", "active_fraction", "trim", "shape",
           "fade_edges", "speak", "clamp", "fit_peak"]
