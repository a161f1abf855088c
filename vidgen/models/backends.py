"""The one table from a model record's `backend` to the code that runs it.

Every capability picks its backend the same way: `runtime(spec)` imports the module this table
names for the record's (kind, backend) and returns it; the capability's front then calls that
module's entry point for its kind. A record whose backend is not here has no runtime: the
registry shows it as planned, and it cannot be activated, downloaded or rendered with.

Data only: importing this module imports no backend (they load on the first `runtime` call).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Protocol

from ..errors import VidgenError

# (kind, backend) -> the module that runs it
RUNTIMES: dict[tuple[str, str], str] = {
    ("llm", "rules"): "vidgen.services.script",
    ("llm", "ollama"): "vidgen.services.script.llm",  # read_with_llm, write_script; needs a running Ollama server
    ("image", "storyboard"): "vidgen.services.images.painter",
    ("image", "diffusers-sdxl"): "vidgen.services.images.diffusion",
    ("image", "diffusers-sd"): "vidgen.services.images.diffusion",
    ("adapter", "ip-adapter"): "vidgen.services.images.diffusion",
    ("adapter", "lora"): "vidgen.services.images.diffusion",  # a LoRA file from a URL, named by its record id
    ("animation", "camera"): "vidgen.services.animation.camera",
    ("animation", "diffusers-svd"): "vidgen.services.animation.svd",  # Stable Video Diffusion (XT), image to video
    ("animation", "diffusers-animatediff"): "vidgen.services.animation.animatediff",  # AnimateDiff on SD 1.5, video to video from the still
    ("animation", "diffusers-ltx"): "vidgen.services.animation.ltx",  # LTX-Video, image (and prompt) to video
    ("animation", "diffusers-ltx-distilled"): "vidgen.services.animation.ltx",  # its few-step distilled checkpoints
    ("animation", "diffusers-wan"): "vidgen.services.animation.wan",  # Wan 2.1 I2V / 2.2 TI2V
    ("lipsync", "visemes"): "vidgen.services.lipsync.visemes",  # built in: a drawn mouth opened by the speech's loudness
    ("lipsync", "wav2lip"): "vidgen.services.lipsync.wav2lip",  # the authors' GAN checkpoint, our network
    ("lipsync", "musetalk"): "vidgen.services.lipsync.musetalk",  # MuseTalk 1.5, with its VAE and Whisper parts
    ("adapter", "diffusers-vae"): "vidgen.services.lipsync.musetalk",
    ("adapter", "transformers-whisper"): "vidgen.services.lipsync.musetalk",
    ("voice", "piper"): "vidgen.services.voice.piper",
    ("voice", "espeak-ng"): "vidgen.services.voice.espeak",
    ("voice", "transformers-vits"): "vidgen.services.voice.vits",
    ("voice", "coqui-xtts"): "vidgen.services.voice.xtts",
    ("music", "composer"): "vidgen.services.music.composer",
    ("music", "transformers-musicgen"): "vidgen.services.music.musicgen",
    ("sfx", "synth"): "vidgen.services.sfx.synth",  # built in: the synthesised library, matched by the cue's words
    ("sfx", "diffusers-stable-audio"): "vidgen.services.sfx.stable_audio",  # Stable Audio Open, text to audio
}


class Record(Protocol):
    """What `runtime` reads of a ModelSpec (a protocol: registry.py imports this module, not the reverse)."""

    id: str
    kind: str
    backend: str
    name: str


def has_runtime(kind: str, backend: str) -> bool:
    """Whether vidgen has code that runs models of this kind on this backend."""
    return (kind, backend) in RUNTIMES


def runtime(spec: Record) -> ModuleType:
    """The module that runs `spec` (a ModelSpec); VidgenError when its backend has none yet."""
    path = RUNTIMES.get((spec.kind, spec.backend))
    if path is None:
        raise VidgenError(f"{spec.name} ({spec.id}) runs on '{spec.backend}', which vidgen cannot run yet "
                          f"(planned): pick another {spec.kind} model (`python -m vidgen models list --kind "
                          f"{spec.kind}`).")
    return importlib.import_module(path)
