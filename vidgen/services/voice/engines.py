"""Voice ids to backends: a voice id is resolved to its registry record, whose `backend` picks the
module that runs it through models/backends.py's table (see model.py for that module's interface)."""

from __future__ import annotations

import contextlib
from typing import Any

from ...errors import VidgenError
from ...models.registry import PackagedRecords, packaged
from .ids import BUILTIN_VOICE, PIPER_RECORD
from .model import SamplePath, VoiceModel


def registry_or_default(registry: PackagedRecords | None) -> PackagedRecords:
    return packaged() if registry is None else registry


def is_file_voice(voice: str) -> bool:
    """A voice given as a file ("piper:/path/voice.onnx"): any "piper:" id but the built-in one."""
    return voice.startswith("piper:") and voice != BUILTIN_VOICE


def _unknown(voice: str, registry: PackagedRecords) -> VidgenError:
    ids = [s.id for s in registry.list("voice")]
    return VidgenError(
        f"Unknown voice {voice!r}: use {BUILTIN_VOICE!r}, 'none' (no speech), 'piper:/path/to/voice.onnx' "
        f"for another Piper voice, or a voice model id ({', '.join(ids)}; see `python -m vidgen models list "
        "--kind voice`).")


def resolve(voice: str, registry: PackagedRecords | None = None) -> VoiceModel:
    """The record and files of a voice id, checked (not loaded); VidgenError says what to do."""
    registry = registry_or_default(registry)
    if voice == BUILTIN_VOICE or (voice.startswith("piper:") and voice.endswith(".onnx")):
        spec = registry.get(PIPER_RECORD)  # every Piper file runs as the built-in Piper record
    else:
        try:
            spec = registry.get(voice)
        except VidgenError:
            raise _unknown(voice, registry) from None
        if spec.kind != "voice":
            raise VidgenError(f"{spec.id!r} is an {spec.kind} model, not a voice: {_unknown(voice, registry)}")
    return VoiceModel(voice, spec).runtime().resolve(voice, spec)


class Engines:
    """Backends opened on first use for one synthesis call; models stay in the cache's hands."""

    def __init__(self, stack: contextlib.ExitStack, registry: PackagedRecords, cache: Any, samples: SamplePath | None) -> None:
        self.stack, self.registry, self.cache, self.samples = stack, registry, cache, samples
        self.open: dict[str, Any] = {}

    def get(self, voice_id: str) -> Any:
        if voice_id not in self.open:
            model = resolve(voice_id, self.registry)
            self.open[voice_id] = self.stack.enter_context(model.runtime().open_engine(model, self.cache, self.samples))
        return self.open[voice_id]


__all__ = ["resolve", "registry_or_default", "is_file_voice", "Engines"]
