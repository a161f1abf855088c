"""Voice cloning with Coqui XTTS v2 (backend "coqui-xtts", registry id `xtts-v2`).

An optional backend: it needs the `coqui-tts` package (`pip install -r requirements-xtts.txt`),
which needs a torchaudio that imports, i.e. a CUDA torch build on a GPU machine. On the CPU-only
torch this project installs, `import TTS` fails (torchaudio/torchcodec are CUDA builds), and every
entry point here says so with a VidgenError instead.

    with cache.use(spec) as xtts:                      # an XttsVoice, loaded by `load_model`
        audio = synthesize(xtts, "Hello there.", language="en", sample="ana.wav", seed=1)  # 24 kHz

A voice is cloned from a sample of 6 to 30 seconds of clean speech (see voice.check_voice_sample);
without one, `speaker` picks one of the model's built-in studio speakers (sorted by name). XTTS
samples autoregressively: each call seeds a forked RNG with `seed`.

`coqui-tts` and torch are imported inside the functions only.
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ...domain import Voice
from ...errors import VidgenError
from ...models import hub
from ...models.cache import ModelCache, get_cache
from ...models.registry import ModelSpec
from .model import SamplePath, VoiceModel, record_languages, require_downloaded

BACKEND = "coqui-xtts"
CLONES = True  # its built-in speakers are known only once loaded
SAMPLE_RATE = 24000  # XTTS v2 always speaks at 24 kHz
INSTALL_HINT = ("Voice cloning with XTTS v2 needs the optional coqui-tts package: pip install -r "
                "requirements-xtts.txt (it needs a CUDA torch build / torchaudio that imports); "
                "until then use a Piper or MMS-TTS voice.")
# ISO 639-1 -> XTTS v2's language codes (the same, but for Chinese).
LANGUAGES = {code: code for code in ("en", "es", "fr", "de", "it", "pt", "pl", "tr", "ru", "nl", "cs", "ar",
                                     "ja", "hu", "ko", "hi")} | {"zh": "zh-cn"}


@functools.lru_cache(maxsize=1)
def _import_error() -> str:
    """"" when coqui-tts imports, else why not (tried once per process: the import takes seconds)."""
    try:
        from TTS.tts.models.xtts import Xtts  # noqa: F401
    except Exception as exc:  # ImportError, or OSError from a CUDA-only torchaudio
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    return ""


def require() -> None:
    """Raise the install hint when coqui-tts cannot be imported."""
    why = _import_error()
    if why:
        raise VidgenError(f"{INSTALL_HINT} (import failed: {why})")


def xtts_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise VidgenError(f"XTTS v2 does not speak {lang!r}: it speaks {', '.join(sorted(LANGUAGES))}.")
    return LANGUAGES[lang]


class XttsVoice:
    """A loaded Xtts model and the conditioning latents computed so far (one per sample file)."""

    sample_rate = SAMPLE_RATE

    def __init__(self, model: Any, spec: ModelSpec = None) -> None:
        self.model = model
        self.spec = spec
        self.latents: dict[str, tuple[Any, Any]] = {}

    @property
    def components(self) -> dict[str, Any]:
        return {"model": self.model}

    def to(self, device: str) -> "XttsVoice":
        self.model.to(device)
        self.latents.clear()  # they live on the old device
        return self

    def speakers(self) -> list[str]:
        manager = getattr(self.model, "speaker_manager", None)
        return sorted(getattr(manager, "speakers", None) or {})


def load_model(spec: ModelSpec, device: str) -> XttsVoice:
    """The cache's loader for coqui-xtts: config, checkpoint and vocab from the local HF cache only."""
    require()
    from TTS.tts.configs.xtts_config import XttsConfig
    from TTS.tts.models.xtts import Xtts

    folder = hub.local_path(spec)
    try:
        config = XttsConfig()
        config.load_json(str(folder / "config.json"))
        model = Xtts.init_from_config(config)
        # speakers_xtts.pth beside the checkpoint gives the built-in speakers.
        model.load_checkpoint(config, checkpoint_dir=str(folder), eval=True, use_deepspeed=False)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise hub.load_failure(spec, exc, folder) from exc
    return XttsVoice(model.to(device), spec)


def register_loaders(cache: ModelCache) -> None:
    if BACKEND not in cache.loaders:
        cache.register_loader(BACKEND, load_model)


def _conditioning(voice: XttsVoice, sample: str, speaker: int) -> tuple[Any, Any]:
    if sample:
        key = str(Path(sample).resolve())
        if key not in voice.latents:
            voice.latents[key] = voice.model.get_conditioning_latents(audio_path=[key])
        return voice.latents[key]
    names = voice.speakers()
    if not names:
        raise VidgenError("This XTTS checkpoint has no built-in speakers: give the voice a cloning sample.")
    if not 0 <= speaker < len(names):
        raise VidgenError(f"XTTS v2 has built-in speakers 0 to {len(names) - 1}, not {speaker}.")
    found = voice.model.speaker_manager.speakers[names[speaker]]  # {"gpt_cond_latent", "speaker_embedding"}
    return found["gpt_cond_latent"], found["speaker_embedding"]


def synthesize(voice: XttsVoice, text: str, *, language: str, sample: str = "", speaker: int = 0,
               speed: float = 1.0, seed: int = 0) -> np.ndarray:
    """One sentence in the sample's voice (or built-in speaker `speaker`) -> float32 at 24 kHz."""
    import torch

    lang = xtts_language(language)
    latent, embedding = _conditioning(voice, sample, speaker)
    device = next(voice.model.parameters()).device
    forked = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=forked), torch.inference_mode():
        torch.manual_seed(int(seed))
        out = voice.model.inference(text, lang, latent, embedding, speed=float(speed), enable_text_splitting=False)
    return np.asarray(out["wav"], dtype=np.float32).reshape(-1)


# --- the voice backend interface (see model.py) ------------------------------------------------

def resolve(voice: str, spec: ModelSpec) -> VoiceModel:
    """The package first, then the download: 1.9 GB are no use without coqui-tts."""
    require()
    require_downloaded(spec)
    return VoiceModel(voice, spec)


def speakers(model: VoiceModel) -> int:
    return 1  # its built-in speakers are known only once loaded


languages = record_languages


class XttsEngine:
    chunks = False  # XTTS wanders on two-word inputs: emphasis is a louder whole sentence
    needs_language = True
    languages = frozenset(LANGUAGES)
    sample_rate = SAMPLE_RATE

    def __init__(self, bundle: XttsVoice, samples: SamplePath | None) -> None:
        self.bundle = bundle
        self.samples = samples

    def speak(self, text: str, voice: Voice, speed: float, seed: int, language: str) -> np.ndarray:
        sample = ""
        if voice.sample:
            sample = str(self.samples(voice.sample) if self.samples is not None else voice.sample)
            if not Path(sample).is_file():
                raise VidgenError(f"The voice-cloning sample {voice.sample!r} is not a file: pass `samples` "
                                  "(asset id -> path) to synthesize_lines.")
        return synthesize(self.bundle, text, language=language, sample=sample, speaker=voice.speaker,
                          speed=speed, seed=seed)


@contextlib.contextmanager
def open_engine(model: VoiceModel, cache: ModelCache | None = None,
                samples: SamplePath | None = None) -> Iterator[XttsEngine]:
    """The model held in use in the model cache (default: the process's) while the engine speaks."""
    cache = cache or get_cache()
    register_loaders(cache)
    with cache.use(model.spec) as bundle:
        yield XttsEngine(bundle, samples)


__all__ = ["BACKEND", "CLONES", "SAMPLE_RATE", "INSTALL_HINT", "LANGUAGES", "XttsVoice", "XttsEngine", "require",
           "xtts_language", "load_model", "register_loaders", "synthesize", "resolve", "speakers", "languages",
           "open_engine"]
