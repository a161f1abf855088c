"""Stable Audio Open (Stability AI, through diffusers' StableAudioPipeline): a sound effect from the
cue's words, for cues the built-in library has no sound for (or sounds it makes better).

    make_sound(registry.get("stable-audio-open-1.0"), SoundRequest.for_cue("a gull cries", 3.0), "gull.wav")

The pipeline loads through the model cache from the local HF cache only (offline-safe), fp16 on
CUDA. One generation is at most the model's window (sample_size x the VAE's hop at its rate:
47.55 s for Open 1.0), read from the snapshot's configs so a too-long event is refused before
anything loads; a longer bed is one full window looped with equal-power crossfades. The stereo
44.1 kHz output is downmixed to mono, resampled to the film's rate and given the library's finish
(fades, peak level). The seed is a torch Generator (it also seeds the SDE sampler's Brownian
noise); `progress` and `cancel` run after every denoising step. Its sampler needs torchsde.

Nothing is imported from torch, diffusers or scipy at import time.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import numpy as np

from ...errors import VidgenError
from ...media import CancelFn, ProgressFn, check_cancel
from ...models import hub
from ...models.cache import ModelCache, get_cache
from ...models.registry import ModelSpec
from .library import finish
from .request import SoundRequest, cue_words

log = logging.getLogger(__name__)

BACKEND = "diffusers-stable-audio"
DEFAULT_STEPS = 100  # diffusers' and stable-audio-tools' default
GUIDANCE = 7.0
NEGATIVE_PROMPT = "low quality, distorted, music, speech"  # sound effects: no score, no voices
LOOP_CROSSFADE = 2.0  # s at each seam of a looped bed (at most a quarter of the window)
DENOISE_SHARE = 0.95  # of the progress; the rest is decoding, resampling and the finish


# --- the model's limits, from its files (no torch) -------------------------------------------

def limits(spec: ModelSpec) -> tuple[float, int]:
    """(the longest sound one generation makes, in seconds; the model's sample rate), read from the
    snapshot's transformer and VAE configs. VidgenError when it is not downloaded."""
    folder = hub.local_path(spec)
    try:
        dit = json.loads((folder / "transformer" / "config.json").read_text(encoding="utf-8"))
        vae = json.loads((folder / "vae" / "config.json").read_text(encoding="utf-8"))
        rate = int(vae.get("sampling_rate", 44100))
        hop = math.prod(int(r) for r in vae.get("downsampling_ratios", (2, 4, 4, 8, 8)))
        return int(dit.get("sample_size", 1024)) * hop / rate, rate
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise hub.load_failure(spec, exc, folder) from exc


def check_sound(spec: ModelSpec, request: SoundRequest) -> float:
    """What is refused before any work (not downloaded, too large for this machine, an event longer
    than one generation, no torchsde); returns the generation window in seconds."""
    if spec.backend != BACKEND:
        raise VidgenError(f"Model '{spec.id}' runs on '{spec.backend}', not {BACKEND}.")
    window, _ = limits(spec)
    if request.kind == "event" and request.seconds > window:
        raise VidgenError(f"{spec.name} makes at most {window:.1f} s of sound at once, and the event "
                          f"{cue_words(request)!r} asks for {request.seconds:g} s: make it shorter, or a bed "
                          "(beds loop).")
    compat = hub.compatibility(spec)
    if compat.get("status") == "too_large":
        raise VidgenError(f"{spec.name} cannot run on this machine: {compat.get('reason', 'too large')}.")
    from diffusers.utils import is_torchsde_available

    if not is_torchsde_available():
        raise VidgenError(f"{spec.name}'s sampler needs the torchsde package: `pip install -r requirements.txt`.")
    return window


def compose_prompt(request: SoundRequest) -> str:
    """The text prompt: the cue's words, said to be an ambience (a bed) or a sound effect (an event)."""
    return f"{cue_words(request)}, {'steady ambience' if request.kind == 'bed' else 'sound effect'}"


# --- loading ---------------------------------------------------------------------------------

def load_pipeline(spec: ModelSpec, device: str) -> Any:
    """The model cache's loader for diffusers-stable-audio: from the local HF cache only, fp16 on
    CUDA (CPU offload when the compatibility check says so), float32 on the CPU."""
    import torch
    from diffusers import StableAudioPipeline

    folder = hub.local_path(spec)
    cuda = device.startswith("cuda")
    try:
        pipe = StableAudioPipeline.from_pretrained(str(folder), dtype=torch.float16 if cuda else torch.float32,
                                                   local_files_only=True)
    except (OSError, ValueError, ImportError) as exc:
        raise hub.load_failure(spec, exc, folder) from exc
    return hub.placed(pipe, spec, device, per="sound")


def register_loaders(cache: ModelCache) -> None:
    """Give `cache` the Stable Audio loader, unless it has its own for that backend."""
    if BACKEND not in cache.loaders:
        cache.register_loader(BACKEND, load_pipeline)


# --- audio (numpy) ---------------------------------------------------------------------------

def to_mono(audio: np.ndarray) -> np.ndarray:
    """(channels, samples) or (samples,) -> mono float32, the channels averaged."""
    x = np.asarray(audio, np.float32)
    return x.mean(axis=0, dtype=np.float32) if x.ndim == 2 else x.reshape(-1)


def resample(x: np.ndarray, rate: int, target: int) -> np.ndarray:
    """`x` from `rate` to `target` Hz (scipy's polyphase filter: 44.1 -> 48 kHz is up 160, down 147)."""
    if rate == target or x.size == 0:
        return x.astype(np.float32, copy=False)
    from scipy.signal import resample_poly

    g = math.gcd(int(rate), int(target))
    return resample_poly(x, int(target) // g, int(rate) // g).astype(np.float32)


def loop(x: np.ndarray, n: int, overlap: int) -> np.ndarray:
    """`n` samples of `x` repeated: it plays once to its last `overlap` samples, which then crossfade
    (equal power, for uncorrelated noise) into its start, and so on; every seam is continuous."""
    if n <= x.size:
        return x[:n].copy()
    overlap = max(1, min(int(overlap), x.size // 4))
    ramp = np.linspace(0.0, np.pi / 2, overlap, dtype=np.float32)
    seam = x[x.size - overlap:] * np.cos(ramp) + x[:overlap] * np.sin(ramp)
    again = np.concatenate([seam, x[overlap:x.size - overlap]])  # each repeat after the first
    first = x[:x.size - overlap]
    reps = math.ceil((n - first.size) / again.size)
    return np.concatenate([first, np.tile(again, reps)])[:n]


# --- generation ------------------------------------------------------------------------------

def _on_step(progress: ProgressFn | None, cancel: CancelFn | None, steps: int) -> Any:
    """The pipeline's per-step `callback(step, timestep, latents)`: cancel, then progress."""
    def callback(step: int, timestep: Any, latents: Any) -> None:
        check_cancel(cancel)
        if progress is not None:
            progress(DENOISE_SHARE * min(1.0, (step + 1) / steps))

    return callback


def sound(spec: ModelSpec, request: SoundRequest, *, progress: ProgressFn | None = None,
          cancel: CancelFn | None = None, cache: ModelCache | None = None) -> tuple[np.ndarray, str]:
    """The sound-effect backend's entry point (services/sfx/make.py): (mono float32 exactly
    request.seconds long at request.rate, the text prompt)."""
    window = check_sound(spec, request)
    check_cancel(cancel)
    cache = cache or get_cache()
    register_loaders(cache)
    prompt = compose_prompt(request)
    seconds = min(request.seconds, window)
    steps = request.steps or DEFAULT_STEPS

    import torch

    with cache.use(spec) as pipe:
        rate = int(pipe.vae.config.sampling_rate)
        log.info("%s: %.2f s %s from %.2f s generated (%d steps): %r", spec.id, request.seconds, request.kind,
                 seconds, steps, prompt)
        out = pipe(prompt, negative_prompt=NEGATIVE_PROMPT, audio_end_in_s=seconds, num_inference_steps=steps,
                   guidance_scale=GUIDANCE, generator=torch.Generator("cpu").manual_seed(request.seed),
                   callback=_on_step(progress, cancel, steps), callback_steps=1, output_type="np")
        audio = np.asarray(out.audios[0], np.float32)
    check_cancel(cancel)
    x = resample(to_mono(audio), rate, request.rate)
    n = int(round(request.seconds * request.rate))
    if n > x.size and request.seconds > window:  # a bed longer than one generation
        x = loop(x, n, round(LOOP_CROSSFADE * request.rate))
    x = np.pad(x, (0, max(0, n - x.size)))[:n]
    if not np.all(np.isfinite(x)):
        raise VidgenError(f"{spec.name} made a sound with NaN or infinite samples (a numeric overflow); "
                          "try another seed, or run it in float32 on the CPU.")
    x = finish(x, request.rate, request.kind)
    if progress is not None:
        progress(1.0)
    return x, prompt
