"""The voices at hand: the built-in ones and the Piper voices the user has put in a folder.

    find_piper_voices([folder, ...])   every <name>.onnx with its <name>.onnx.json under the folders
    builtin_voices(registry)            the Piper voice shipped on PyPI and eSpeak NG

Each is a `FoundVoice` with its voice id (a Piper file is "piper:/abs/path.onnx", as the CLI takes
it per character) and the ISO 639-1 languages it speaks, read from the voice's .json
(`language.family` / `language.code` / `espeak.voice`). The folders are VIDGEN_VOICES_DIR and the
data folder's voices/ (config.Settings.voice_folders), plus any the caller adds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ...models.registry import PackagedRecords
from . import espeak
from .engines import registry_or_default
from .ids import BUILTIN_VOICE, PIPER_RECORD
from .piper import config_language


@dataclass(frozen=True)
class FoundVoice:
    id: str  # the voice id to give (--voice, --character-voice NAME=ID)
    name: str
    languages: tuple[str, ...]  # ISO 639-1; () = unknown
    source: str  # "builtin", or the folder it was found in
    problem: str = ""  # why it cannot be used (no .json beside it, an unreadable .json)

    @property
    def language(self) -> str:
        return self.languages[0] if len(self.languages) == 1 else ""


def find_piper_voices(folders: Iterable[str | Path]) -> list[FoundVoice]:
    """The Piper voices (`*.onnx`) under each folder that exists, sorted by path, each with its
    language; one without its `.onnx.json` beside it is listed with the problem, not skipped silently."""
    found, seen = [], set()
    for folder in folders:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        for model in sorted(root.rglob("*.onnx")):
            path = model.resolve()
            if path in seen:
                continue
            seen.add(path)
            found.append(_piper_file(path, str(root)))
    return found


def _piper_file(model: Path, source: str) -> FoundVoice:
    config = Path(str(model) + ".json")
    voice_id = f"piper:{model}"
    if not config.is_file():
        return FoundVoice(voice_id, model.stem, (), source, f"no {config.name} beside it")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return FoundVoice(voice_id, model.stem, (), source, f"{config.name} cannot be read: {e}")
    code = config_language(data) if isinstance(data, dict) else ""
    return FoundVoice(voice_id, model.stem, (code,) if code else (), source)


def builtin_voices(registry: PackagedRecords | None = None) -> list[FoundVoice]:
    """The voices that need no download: the built-in Piper voice and, when its package is
    installed, eSpeak NG with the languages its data holds."""
    registry = registry_or_default(registry)
    piper = registry.get(PIPER_RECORD)
    out = [FoundVoice(BUILTIN_VOICE, piper.name, tuple(piper.languages), "builtin")]
    if espeak.available():
        out.append(FoundVoice(espeak.VOICE_ID, espeak.NAME, espeak.spoken_languages(), "builtin"))
    return out


def usable(voices: Iterable[FoundVoice]) -> list[FoundVoice]:
    return [v for v in voices if not v.problem]


__all__ = ["FoundVoice", "find_piper_voices", "builtin_voices", "usable"]
