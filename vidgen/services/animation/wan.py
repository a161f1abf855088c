"""Wan (2.2 TI2V 5B, 2.1 I2V 14B 480p) as an animation backend: the scene's picture moves as its
description says.

    animate(registry.get("wan2.2-ti2v-5b"), ClipJob(image, motion, 6.0, 24, (1280, 720), prompt=...), "s1.mp4")

Route: `WanImageToVideoPipeline` for both records, the picture (cover-fitted) as its `image`. The
variant comes from the loaded pipeline (VARIANTS):
- `expand_timesteps` (2.2 TI2V 5B; its snapshot's model_index says WanPipeline, the config flag
  comes through): the still is encoded as the first latent frame and kept clean by per-token
  timesteps; 121 frames per call at about 1280x704 pixels, timed at 24 fps, 50 steps.
- otherwise (2.1 I2V 480p): the still reaches the transformer through a CLIP image encoder and a
  masked first frame; 81 frames per call at about 832x480, 16 fps, 40 steps.
Sides are multiples of the VAE's downsampling x the transformer's patch (32 on 2.2, 16 on 2.1), at
the film's aspect. The prompt is `job.prompt`, the negative `job.negative` or NEGATIVE; guidance
GUIDANCE; `job.steps` overrides the steps; `job.seed` seeds one torch Generator for the clip.

Strength (0..1) is the scheduler's flow shift: shift = the snapshot's own shift x 2^(2 strength - 1)
(0.5 -> the model's own: 5.0 on TI2V, 3.0 on 480p; 0 -> half, 1 -> twice). The shift bends the
flow-matching schedule (sigma' = shift sigma / (1 + (shift - 1) sigma)): a larger one keeps more of
the steps at high noise, where a video's layout and its movement are decided, so the frames stray
further from the still; a smaller one spends them refining detail around a layout settled early,
close to the still. Wan's own sampler exposes the same knob (sample_shift). Guidance was not used:
it trades prompt adherence for quality, not movement.

Prompts are encoded once per clip with WanPipeline's encoder (the same T5 code as the image-to-video
pipeline's, whose prompt cleaning needs ftfy unconditionally; WanPipeline's treats ftfy as optional)
and passed as embeddings to every chunk.

Length: one call ("chunk") makes the variant's frames (4k+1). A longer scene is continued: the next
chunk starts from the previous chunk's frame where their overlap starts, and the overlap is
crossfaded. Chunks go straight into a ClipSink (sink.py: stabilized when asked, retimed to the film's
fps by optical flow, cover-fitted to `job.size`, encoded as they come): H.264 of round(duration * fps)
frames, a few frames in memory whatever the scene's length.

Memory: transformer and text encoder in bfloat16 on CUDA, float32 on the CPU; the VAE (and a CLIP
image encoder) always float32, as diffusers' Wan examples load them. The compatibility check
decides before any work: too large fails; "offload" uses model CPU offload and a tiled VAE. Progress after every
denoising step of every chunk (chunks share the first 95%), 1 when the clip is written; `cancel()` before
loading, before each chunk, after every step and every few written frames: nothing is left at the
output path. Nothing heavy is imported at import time.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ...errors import VidgenError
from ...media import check_cancel
from ...models import hub
from ...models.cache import ModelCache, get_cache
from ...models.registry import ModelSpec
from . import clips
from .clips import chunk_count, check_runs_here, native_size, overlap_for
from .job import ClipJob
from .sink import ClipSink

log = logging.getLogger(__name__)

BACKEND = "diffusers-wan"
GUIDANCE = 5.0
MAX_SEQUENCE = 512  # UMT5 tokens per prompt (the pipeline's default)
NEGATIVE = ("static, still picture, frozen frame, blurred details, worst quality, low quality, JPEG artifacts, "
            "jittery, deformed, subtitles, watermark")


@dataclass(frozen=True)
class Variant:
    """What one pipeline call of a Wan variant makes."""
    area: int  # pixels per frame at the native size
    frames: int  # frames per call (4k+1)
    fps: int  # what those frames are timed at
    steps: int  # default denoising steps


# By pipeline variant (`variant_of`); tests put tiny ones here.
VARIANTS = {
    "ti2v": Variant(1280 * 704, 121, 24, 50),  # 2.2 TI2V 5B (expand_timesteps)
    "i2v": Variant(832 * 480, 81, 16, 40),  # 2.1 I2V 480p (CLIP image encoder)
}


# --- loading ---------------------------------------------------------------------------------

def _components(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # from_pretrained says what is wrong


def load_pipeline(spec: ModelSpec, device: str) -> Any:
    """The model cache's loader for diffusers-wan: WanImageToVideoPipeline from the local HF cache
    only (also for the TI2V snapshot, whose model_index names WanPipeline), the VAE and any image
    encoder in float32, the rest bfloat16 on CUDA."""
    import torch
    from diffusers import AutoencoderKLWan, WanImageToVideoPipeline

    folder = hub.local_path(spec)
    cuda = device.startswith("cuda")
    try:
        parts: dict[str, Any] = {
            "vae": AutoencoderKLWan.from_pretrained(str(folder), subfolder="vae", dtype=torch.float32,
                                                    local_files_only=True)}
        if (_components(folder).get("image_encoder") or [None])[0]:
            from transformers import CLIPVisionModel

            parts["image_encoder"] = CLIPVisionModel.from_pretrained(str(folder), subfolder="image_encoder",
                                                                     dtype=torch.float32, local_files_only=True)
        pipe = WanImageToVideoPipeline.from_pretrained(
            str(folder), **parts, dtype=torch.bfloat16 if cuda else torch.float32, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise hub.load_failure(spec, exc, folder) from exc
    if pipe.transformer is None:
        raise hub.load_failure(spec, ValueError("the snapshot has no transformer"), folder)
    return clips.placed(pipe, spec, device, on_offload=lambda p: p.vae.enable_tiling())


def register_loaders(cache: ModelCache) -> None:
    """Give `cache` the Wan loader, unless it has its own for that backend."""
    if BACKEND not in cache.loaders:
        cache.register_loader(BACKEND, load_pipeline)


# --- settings (no torch) ---------------------------------------------------------------------

def shift_for(strength: float, base: float) -> float:
    """The scheduler's flow shift for a motion strength of 0..1 around the model's own `base` (0.5)."""
    if not (isinstance(strength, (int, float)) and 0.0 <= strength <= 1.0):
        raise VidgenError(f"Animation strength must be from 0 to 1, not {strength!r}.")
    return float(base) * 2.0 ** (2.0 * float(strength) - 1.0)


def variant_of(pipe: Any) -> str:
    """"ti2v" for a pipeline conditioning by per-token timesteps (2.2 TI2V 5B), else "i2v"."""
    return "ti2v" if pipe.config.get("expand_timesteps") else "i2v"


def chunk_frames(frames: int, temporal: int = 4) -> int:
    """Frames per call: `frames` brought down to k*temporal + 1 (what the VAE makes), at least temporal + 1."""
    return max(temporal + 1, (int(frames) - 1) // temporal * temporal + 1)


def side_multiple(pipe: Any) -> int:
    """Pixels both sides must be multiples of: the VAE's downsampling x the transformer's patch."""
    return int(pipe.vae_scale_factor_spatial) * int(pipe.transformer.config.patch_size[1])


# --- generation ------------------------------------------------------------------------------

def _shifted(scheduler: Any, strength: float) -> Any:
    """A copy of `scheduler` with its flow shift set for `strength` (UniPC: flow_shift, Euler: shift)."""
    key = "flow_shift" if "flow_shift" in scheduler.config else "shift"
    if key not in scheduler.config:
        raise VidgenError(f"Wan's scheduler {type(scheduler).__name__} has no flow shift to set the strength with.")
    return type(scheduler).from_config(scheduler.config, **{key: shift_for(strength, scheduler.config[key] or 1.0)})


def _encode_prompts(pipe: Any, prompt: str, negative: str) -> tuple[Any, Any]:
    from diffusers import WanPipeline

    encode = WanPipeline._get_t5_prompt_embeds  # same code as the i2v pipeline's, ftfy optional
    device = pipe._execution_device
    return (encode(pipe, prompt=prompt, max_sequence_length=MAX_SEQUENCE, device=device),
            encode(pipe, prompt=negative, max_sequence_length=MAX_SEQUENCE, device=device))


def animate(spec: ModelSpec, job: ClipJob, out_path: str | Path, *, progress: Callable[[float], None] | None = None,
            cancel: Callable[[], None] | None = None, cache: ModelCache | None = None) -> Path:
    """The animation backend entry point (services/animation/job.py): Wan from the scene's picture and
    description, extended to the scene's duration, at the film's fps and size."""
    w, h = clips.check_job(job)  # strength included
    check_runs_here(spec)
    check_cancel(cancel)
    count = max(1, int(round(job.duration * job.fps)))
    cache = cache or get_cache()
    register_loaders(cache)

    import torch

    with cache.use(spec) as pipe:
        variant = VARIANTS[variant_of(pipe)]
        per_chunk = chunk_frames(variant.frames, int(pipe.vae_scale_factor_temporal))
        overlap = overlap_for(per_chunk)
        chunks = chunk_count(clips.frames_needed(count, job.fps, variant.fps), per_chunk, overlap)
        gw, gh = native_size(variant.area, side_multiple(pipe), (w, h))
        steps = job.steps or variant.steps
        generator = torch.Generator("cpu").manual_seed(int(job.seed))
        image = clips.still(job.image, (gw, gh))
        own = pipe.scheduler
        pipe.scheduler = _shifted(own, job.strength)
        log.info("%s: %d frames at %d fps from %d chunk(s) of %d at %dx%d (%d steps, %s)", spec.id, count, job.fps,
                 chunks, per_chunk, gw, gh, steps, variant_of(pipe))
        try:
            with torch.inference_mode():
                embeds, negative = _encode_prompts(pipe, job.prompt or "", job.negative or NEGATIVE)
            with ClipSink(job, (w, h), out_path, variant.fps, overlap, progress=progress, cancel=cancel) as sink:
                for c in range(chunks):
                    check_cancel(cancel)
                    if c:
                        image = clips.to_pil(sink.tail[0])  # where the overlap starts

                    step_end = clips.step_callback(progress, cancel, c, chunks, steps)
                    with torch.inference_mode():
                        frames = pipe(image=image, prompt_embeds=embeds, negative_prompt_embeds=negative, height=gh,
                                      width=gw, num_frames=per_chunk, num_inference_steps=steps,
                                      guidance_scale=GUIDANCE, generator=generator,
                                      callback_on_step_end=step_end, output_type="np").frames[0]
                    log.info("%s: chunk %d/%d done", spec.id, c + 1, chunks)
                    sink.push(list(frames), overlap if c else 0)
        finally:
            pipe.scheduler = own  # the cached pipeline keeps the model's own schedule
    return Path(out_path)


__all__ = ["animate", "load_pipeline", "register_loaders", "shift_for", "variant_of", "chunk_frames",
           "side_multiple", "Variant", "VARIANTS", "GUIDANCE", "NEGATIVE"]
