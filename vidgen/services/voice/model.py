"""What a voice id resolves to, and the checks the voice backends share (below them and the front).

Every voice backend module (piper.py, vits.py, xtts.py; the table in models/backends.py names
them) has the same small interface, which the front uses and nothing else:

    BACKEND                               the record's `backend`
    CLONES                                True when voices clone a sample (XTTS): their speakers are
                                          known only once loaded, so check_voices does not count them
    resolve(voice_id, spec) -> VoiceModel the id checked (files, download, packages), not loaded
    speakers(model) -> int                its speakers, known before loading (1 when unknown)
    languages(model) -> tuple[str, ...]   ISO 639-1 codes the voice speaks (() = any / unknown)
    open_engine(model, cache, samples)    a context manager yielding an engine for one synthesis call

An engine has `sample_rate`, `chunks` (whether emphasis can be spoken as its own chunk),
`needs_language` (whether `speak` needs the script's language) and
`speak(text, voice, speed, seed, language) -> float32 mono at sample_rate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable

from ...errors import VidgenError
from ...models import backends, hub
from ...models.registry import ModelSpec

SamplePath = Callable[[str], "str | Path"]  # Voice.sample (an asset id) -> file


@dataclass(frozen=True)
class VoiceModel:
    """A voice id resolved: its registry record (the piper-joe record for "piper:..." ids) and,
    for Piper, the model and config files."""

    id: str
    spec: ModelSpec
    files: tuple[str, str] = ("", "")  # Piper model and config

    @property
    def backend(self) -> str:
        return self.spec.backend

    def runtime(self) -> ModuleType:
        """The backend module that runs this voice (models/backends.py's table)."""
        return backends.runtime(self.spec)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.runtime().languages(self))

    @property
    def num_speakers(self) -> int:
        return int(self.runtime().speakers(self))

    @property
    def clones(self) -> bool:
        return bool(self.runtime().CLONES)


def require_downloaded(spec: ModelSpec) -> None:
    """VidgenError with the download command unless `spec`'s files are in the local HF cache."""
    if not hub.is_downloaded(spec):
        raise VidgenError(f"Voice {spec.id!r} ({spec.name}) is not downloaded: run "
                          f"`python -m vidgen models download {spec.id}` (or Download in the Models tab).")


def record_languages(model: VoiceModel) -> tuple[str, ...]:
    """The languages the registry record lists."""
    return tuple(model.spec.languages) if model.spec is not None else ()


__all__ = ["SamplePath", "VoiceModel", "require_downloaded", "record_languages"]
