"""The built-in library as a sound-effect backend (registry record `sfx-synth`): the sound the cue's
words matched, synthesised on the CPU. It makes only its own sounds; a cue that matched none is
refused with what to do instead, never answered with something else."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import VidgenError
from ...media import CancelFn, ProgressFn, check_cancel
from ...models.registry import ModelSpec
from .library import SOUNDS, synthesize
from .request import SoundRequest

BACKEND = "synth"


def check_sound(spec: ModelSpec, request: SoundRequest) -> None:
    """What is refused before any work: a cue no built-in sound fits."""
    if not request.sound:
        raise VidgenError(f"There is no built-in sound for the cue {request.prompt.strip()!r} (built in: "
                          f"{', '.join(SOUNDS)}): use an AI sound model (`python -m vidgen models list --kind "
                          "sfx`) or give the scene a sound file of your own.")


def sound(spec: ModelSpec, request: SoundRequest, *, progress: ProgressFn | None = None,
          cancel: CancelFn | None = None, cache: Any = None) -> tuple[np.ndarray, str]:
    """(mono float32 at request.rate, "" for the prompt: no model is told anything)."""
    check_sound(spec, request)
    check_cancel(cancel)
    samples = synthesize(request.sound, request.seconds, request.rate, request.seed)
    if progress is not None:
        progress(1.0)
    return samples, ""
