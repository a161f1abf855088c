"""What every sound-effect backend is asked and answers: one request type (the cue's words, the
built-in sound they matched, length, rate, seed) checked once here, so the built-in library and
an AI model refuse the same bad requests with the same words."""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass
from pathlib import Path

from ...errors import VidgenError
from .cues import match_cue
from .library import KINDS, SOUNDS, check_args

MAX_PROMPT_CHARS = 500
MAX_STEPS = 500
DEFAULT_RATE = 48000


@dataclass(frozen=True)
class SoundRequest:
    prompt: str  # the script's cue, e.g. "THUNDER ROLLS" or "a gull cries over the harbour"
    seconds: float
    sound: str = ""  # the built-in sound the cue matched (a key of SOUNDS); "" when none did
    kind: str = ""  # "bed" (lasts the scene, may loop) | "event" (one-shot); "" = the sound's own, else event
    rate: int = DEFAULT_RATE  # the film's sample rate: every backend answers at it
    seed: int = 0
    steps: int = 0  # denoising steps of an AI model; 0 = the model's own

    @classmethod
    def for_cue(cls, cue: str, seconds: float, *, kind: str = "", rate: int = DEFAULT_RATE, seed: int = 0,
                steps: int = 0) -> "SoundRequest":
        """A request for a script's sound cue, with the built-in sound its words name (if any)."""
        match = match_cue(cue)
        return cls(cue, seconds, match.name if match else "", kind or (match.kind if match else ""), rate, seed,
                   steps)


@dataclass(frozen=True)
class SoundResult:
    wav: Path  # mono 16-bit WAV at sample_rate
    seconds: float
    sample_rate: int
    model: str  # the registry id that made it
    backend: str
    kind: str  # "bed" | "event"
    sound: str  # the built-in sound used ("" from an AI model)
    prompt: str  # what the AI model was told ("" for the built-in library)


def check_request(request: SoundRequest) -> SoundRequest:
    """The request with its kind resolved; VidgenError saying what is wrong with it."""
    if not isinstance(request, SoundRequest):
        raise VidgenError(f"A sound is asked for with a SoundRequest, not {type(request).__name__}.")
    if not isinstance(request.prompt, str) or len(request.prompt) > MAX_PROMPT_CHARS:
        raise VidgenError(f"A sound cue is text of at most {MAX_PROMPT_CHARS} characters.")
    if not request.prompt.strip() and not request.sound:
        raise VidgenError("The sound cue is empty: say what is heard (\"rain on a tin roof\").")
    if request.sound and request.sound not in SOUNDS:
        raise VidgenError(f"No built-in sound {request.sound!r}; there are: {', '.join(SOUNDS)}.")
    if request.kind and request.kind not in KINDS:
        raise VidgenError(f"A sound is a {' or an '.join(KINDS)}, not {request.kind!r}.")
    check_args(request.sound or "the sound", request.seconds, request.rate, request.seed)
    if isinstance(request.steps, bool) or not isinstance(request.steps, numbers.Integral) \
            or not 0 <= request.steps <= MAX_STEPS:
        raise VidgenError(f"Denoising steps are 0 (the model's own) to {MAX_STEPS}, not {request.steps!r}.")
    kind = request.kind or (SOUNDS[request.sound].kind if request.sound else "event")
    return dataclasses.replace(request, kind=kind, seconds=float(request.seconds), rate=int(request.rate),
                               seed=int(request.seed), steps=int(request.steps))


def cue_words(request: SoundRequest) -> str:
    """The cue as a model reads it: one line, screenplay capitals lowered ("THUNDER ROLLS" -> "thunder rolls")."""
    text = " ".join(request.prompt.split()).strip(" .")
    if text.isupper():
        text = text.lower()
    return text or request.sound.replace("_", " ")
