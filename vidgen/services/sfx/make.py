"""One way to make a sound effect with any sfx model: the record's backend (models/backends.py) is
picked as the music's is, every backend answers mono float32 at the film's rate, and the front
checks the request, holds the length to the sample and writes the WAV atomically."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ...errors import VidgenError
from ...media import CancelFn, ProgressFn, atomic_output, write_wav
from ...models import backends
from ...models.registry import ModelSpec, packaged
from .request import SoundRequest, SoundResult, check_request

BUILTIN = "sfx-synth"  # the built-in library's record: the model when none is given


def _runtime(spec: ModelSpec) -> ModuleType:
    if getattr(spec, "kind", None) != "sfx":
        known = ", ".join(b for k, b in backends.RUNTIMES if k == "sfx")
        raise VidgenError(f"Model '{spec.id}' runs on '{spec.backend}', not a sound-effect backend ({known}).")
    return backends.runtime(spec)


def sound_audio(spec: ModelSpec | None, request: SoundRequest, *, progress: ProgressFn | None = None,
                cancel: CancelFn | None = None, cache: Any = None) -> tuple[np.ndarray, str]:
    """(the sound as mono float32 at request.rate, exactly request.seconds long; the text prompt an AI
    model was given, "" for the built-in library). `spec` None = the built-in library."""
    request = check_request(request)
    spec = packaged().get(BUILTIN) if spec is None else spec
    runtime = _runtime(spec)
    runtime.check_sound(spec, request)
    samples, prompt = runtime.sound(spec, request, progress=progress, cancel=cancel, cache=cache)
    n = int(round(request.seconds * request.rate))
    samples = np.asarray(samples, np.float32)
    if samples.ndim != 1 or abs(samples.size - n) > 1 or not np.all(np.isfinite(samples)):
        raise VidgenError(f"{spec.name} made a malformed sound ({samples.shape} samples, {n} asked); please report it.")
    return np.pad(samples, (0, max(0, n - samples.size)))[:n], prompt


def make_sound(spec: ModelSpec | None, request: SoundRequest, out_path: str | Path, *,
               progress: ProgressFn | None = None, cancel: CancelFn | None = None,
               cache: Any = None) -> SoundResult:
    """Make the requested sound with `spec` (None = the built-in library) and write it to `out_path`
    as a mono 16-bit WAV at request.rate. `progress(fraction)` as it goes (per denoising step with an
    AI model); `cancel()` raises Cancelled and leaves nothing at `out_path`."""
    request = check_request(request)
    spec = packaged().get(BUILTIN) if spec is None else spec
    samples, prompt = sound_audio(spec, request, progress=progress, cancel=cancel, cache=cache)
    with atomic_output(out_path) as tmp:
        write_wav(tmp, samples, request.rate)
    return SoundResult(wav=Path(out_path), seconds=samples.size / request.rate, sample_rate=request.rate,
                       model=spec.id, backend=spec.backend, kind=request.kind,
                       sound="" if prompt else request.sound, prompt=prompt)
