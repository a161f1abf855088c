"""VITS voices through transformers (backend "transformers-vits"): Meta's MMS-TTS checkpoints
(facebook/mms-tts-<iso639-3>, one per language) and other `VitsModel` repos.

    with cache.use(spec) as vits:        # a VitsVoice, loaded by `load_model`
        audio = synthesize(vits, "Bonjour.", speed=1.1, seed=3)   # float32 at vits.sample_rate

VITS samples its durations and its latent from noise, so the same text differs from run to run
unless seeded: `synthesize` seeds a forked RNG with `seed` for every call, so the same text, seed
and settings give the same audio without touching the process's global random state.

Some MMS languages in non-Latin scripts need text romanised by `uroman` (their tokenizer config
says `is_uroman`); without the package transformers would only log a warning and speak garbage,
so loading such a voice fails with what to install instead.

Nothing is imported from torch or transformers at import time.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ...domain import Voice
from ...errors import VidgenError
from ...models import hub
from ...models.cache import ModelCache, get_cache
from ...models.registry import ModelSpec
from .model import SamplePath, VoiceModel, record_languages, require_downloaded

BACKEND = "transformers-vits"
CLONES = False


class VitsVoice:
    """A loaded VitsModel with its tokenizer: what the model cache holds for this backend."""

    def __init__(self, model: Any, tokenizer: Any, spec: ModelSpec = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.spec = spec

    @property
    def components(self) -> dict[str, Any]:  # how the cache finds the weights to measure
        return {"model": self.model}

    def to(self, device: str) -> "VitsVoice":
        self.model.to(device)
        return self

    @property
    def sample_rate(self) -> int:
        return int(self.model.config.sampling_rate)

    @property
    def num_speakers(self) -> int:
        return int(self.model.config.num_speakers)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        return {}


def _uroman_missing(spec: ModelSpec) -> VidgenError:
    return VidgenError(f"{spec.name} ({spec.repo}) reads romanised text: install the uroman romaniser "
                       "(`pip install uroman`) to use it.")


def check_model(spec: ModelSpec) -> None:
    """What can be checked without loading: downloaded, and uroman installed when the tokenizer needs it."""
    folder = hub.local_path(spec)  # raises with the download command when missing
    if _read_json(folder / "tokenizer_config.json").get("is_uroman") and importlib.util.find_spec("uroman") is None:
        raise _uroman_missing(spec)


def num_speakers(spec: ModelSpec) -> int:
    """Speakers of a downloaded model, from its config (1 when unknown)."""
    try:
        folder = hub.local_path(spec)
    except VidgenError:
        return 1
    return max(1, int(_read_json(folder / "config.json").get("num_speakers") or 1))


def load_model(spec: ModelSpec, device: str) -> VitsVoice:
    """The cache's loader for transformers-vits: model and tokenizer from the local HF cache only."""
    from transformers import AutoTokenizer, VitsModel

    folder = hub.local_path(spec)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = VitsModel.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise hub.load_failure(spec, exc, folder, " as a VITS voice") from exc
    if getattr(tokenizer, "is_uroman", False) and importlib.util.find_spec("uroman") is None:
        raise _uroman_missing(spec)
    model.eval()
    return VitsVoice(model.to(device), tokenizer, spec)


def register_loaders(cache: ModelCache) -> None:
    """Give `cache` the VITS loader, unless it has its own for the backend."""
    if BACKEND not in cache.loaders:
        cache.register_loader(BACKEND, load_model)


def synthesize(voice: VitsVoice, text: str, *, speed: float = 1.0, speaker: int = 0, seed: int = 0) -> np.ndarray:
    """One sentence -> mono float32 at `voice.sample_rate`; the same inputs give the same audio."""
    import torch

    name = voice.spec.name if voice.spec is not None else "the VITS voice"
    if voice.num_speakers > 1:
        if not 0 <= speaker < voice.num_speakers:
            raise VidgenError(f"{name} has speakers 0 to {voice.num_speakers - 1}, not {speaker}.")
        speaker_id: int | None = speaker
    elif speaker:
        raise VidgenError(f"{name} has one speaker: use speaker 0, not {speaker}.")
    else:
        speaker_id = None
    inputs = voice.tokenizer(text, return_tensors="pt")
    ids = inputs["input_ids"]
    pad = voice.tokenizer.pad_token_id or 0
    if ids.numel() == 0 or bool((ids == pad).all()):
        raise VidgenError(f"{name} knows none of the characters of {text[:60]!r}: "
                          "is the voice's language the script's language?")
    device = voice.model.device
    forked = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=forked), torch.inference_mode():
        torch.manual_seed(int(seed))
        out = voice.model(**{k: v.to(device) for k, v in inputs.items()}, speaker_id=speaker_id,
                          speaking_rate=float(speed))
    return out.waveform[0].float().cpu().numpy().astype(np.float32)


# --- the voice backend interface (see model.py) ------------------------------------------------

def resolve(voice: str, spec: ModelSpec) -> VoiceModel:
    """A VITS record checked without loading: downloaded, and uroman installed when needed."""
    require_downloaded(spec)
    check_model(spec)
    return VoiceModel(voice, spec)


def speakers(model: VoiceModel) -> int:
    return num_speakers(model.spec)


languages = record_languages


class VitsEngine:
    chunks = True
    needs_language = False

    def __init__(self, bundle: VitsVoice) -> None:
        self.bundle = bundle
        self.sample_rate = bundle.sample_rate

    def speak(self, text: str, voice: Voice, speed: float, seed: int, language: str) -> np.ndarray:
        return synthesize(self.bundle, text, speed=speed, speaker=voice.speaker, seed=seed)


@contextlib.contextmanager
def open_engine(model: VoiceModel, cache: ModelCache | None = None,
                samples: SamplePath | None = None) -> Iterator[VitsEngine]:
    """The voice held in use in the model cache (default: the process's) while the engine speaks."""
    cache = cache or get_cache()
    register_loaders(cache)
    with cache.use(model.spec) as bundle:
        yield VitsEngine(bundle)


__all__ = ["BACKEND", "CLONES", "VitsVoice", "VitsEngine", "check_model", "num_speakers", "load_model",
           "register_loaders", "synthesize", "resolve", "speakers", "languages", "open_engine"]
