"""LTX-Video (the 2B model and the 0.9.7 distilled 13B) as an animation backend: the scene's picture
moves as its description says.

    animate(registry.get("ltx-video"), ClipJob(image, motion, 6.0, 24, (1280, 720), prompt=...), "s1.mp4")

Routes (`pipeline_class`): the distilled backend (diffusers-ltx-distilled) and any snapshot whose
model_index names LTXConditionPipeline run on LTXConditionPipeline, the still as a condition at
frame 0 at full strength; other diffusers-ltx snapshots (the 2B repo's root names LTXPipeline) run
on LTXImageToVideoPipeline, the still as the clean first latent frame. Both take the prompt
(`job.prompt`; `job.negative` or NEGATIVE, LTX's own).

Size: the picture is cover-fitted to LTX's native grid of NATIVE_LATENTS latent cells per frame
(768x512 pixels at the VAE's 32x spatial compression) at the job's aspect, sides multiples of 32
(832x480 for 16:9); the compression ratios are read from the loaded pipeline.

Settings: the full model runs classifier-free guidance 5.0 for `job.steps` steps (0 = 30); the
distilled one guidance 1.0 on DISTILLED_TIMESTEPS (diffusers' documented 8-step schedule) unless
`job.steps` asks for another count. A timestep-conditioned VAE (0.9.1 and later) decodes at
decode_timestep 0.05 / decode_noise_scale 0.025, as diffusers documents. `job.strength` (0..1) is
how loosely the still holds the clip: on LTXConditionPipeline it is `image_cond_noise_scale`, the
noise (times t^2, so it fades out by the last step) put back on the conditioning latents at every
step: 0 -> 0 (the still pinned), 0.5 -> 0.025 (diffusers' recommended value), 1 -> 0.15 (the
pipeline's default, for freer motion). LTXImageToVideoPipeline holds its first latent frame clean
and has no such parameter: there strength is checked but moves nothing (the log line says so).
`job.seed` is one torch Generator for the whole clip.

Length: one pipeline call ("chunk") makes NATIVE_FRAMES (121: LTX makes k * 8 + 1) at NATIVE_FPS
(24). A longer scene is continued: the next chunk's frame-0 condition is the previous chunk's frame
where their overlap starts (its last `overlap` frames), so both cover the same moments there, and
the two are crossfaded over those frames. Chunks go straight into a ClipSink (sink.py: stabilized
when asked, retimed to the film's fps by optical flow, cover-fitted to `job.size`, encoded as they
come): an H.264 MP4 of exactly round(duration * fps) frames, a few frames in memory.

Memory: bfloat16 on CUDA (LTX's documented dtype), float32 on the CPU; on CUDA the VAE decodes in
tiles (diffusers' LTX examples do); model CPU offload when the compatibility check says "offload";
too large fails before any work. Progress after every denoising step of every chunk (chunks share
the first 95%), 1 once written; `cancel()` before loading, before each chunk, after every step
and every few written frames: a cancelled clip leaves nothing at the output path. Nothing heavy is
imported at import time.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any, Callable

import numpy as np

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

BACKEND = "diffusers-ltx"
DISTILLED = "diffusers-ltx-distilled"
BACKENDS = (BACKEND, DISTILLED)
CONDITION, IMAGE_TO_VIDEO = "LTXConditionPipeline", "LTXImageToVideoPipeline"
NATIVE_FPS = 24  # LTX's frames are timed at 24 fps (its model card; the pipelines' frame_rate)
NATIVE_FRAMES = 121  # frames per pipeline call: 5 s at 24 fps, 15 latent frames of 8 + the first
NATIVE_LATENTS = 24 * 16  # latent cells per frame: 768x512 pixels at the VAE's 32x compression
SIDE_MULTIPLE = 32  # both pipelines reject sides that are not multiples of 32
DEFAULT_STEPS = 30
GUIDANCE = 5.0
DISTILLED_GUIDANCE = 1.0  # guidance-distilled: no negative pass
DISTILLED_TIMESTEPS = (1000, 993, 987, 981, 975, 909, 725, 0.03)  # diffusers' docs for 0.9.7 distilled
DECODE_TIMESTEP, DECODE_NOISE = 0.05, 0.025  # for timestep-conditioned VAEs (0.9.1+), diffusers' values
COND_NOISE = (0.0, 0.025, 0.15)  # image_cond_noise_scale at strength 0, 0.5 and 1
NEGATIVE = "worst quality, inconsistent motion, blurry, jittery, distorted"  # LTX's examples


# --- loading ---------------------------------------------------------------------------------

def pipeline_class(spec: ModelSpec, folder: Path) -> str:
    """The diffusers class that runs `spec`'s snapshot in `folder`: LTXConditionPipeline for the
    distilled backend or a model_index that names it, else LTXImageToVideoPipeline."""
    if spec.backend == DISTILLED:
        return CONDITION
    try:
        name = json.loads((folder / "model_index.json").read_text(encoding="utf-8")).get("_class_name")
    except (OSError, ValueError, AttributeError):
        name = None  # from_pretrained says what is wrong with the snapshot
    return CONDITION if name == CONDITION else IMAGE_TO_VIDEO


def load_pipeline(spec: ModelSpec, device: str) -> Any:
    """The model cache's loader for diffusers-ltx(-distilled): the record's pipeline class from the
    local HF cache only, bfloat16 on CUDA with a tiled VAE, CPU offload when the check says so."""
    import diffusers
    import torch

    folder = hub.local_path(spec)
    cuda = device.startswith("cuda")
    cls = getattr(diffusers, pipeline_class(spec, folder))
    try:
        pipe = cls.from_pretrained(str(folder), dtype=torch.bfloat16 if cuda else torch.float32,
                                   local_files_only=True)
    except (OSError, ValueError) as exc:
        raise hub.load_failure(spec, exc, folder) from exc
    if cuda:
        pipe.vae.enable_tiling()  # 121 frames at 768x512 decode in tiles, offloaded or not
    return clips.placed(pipe, spec, device)


def register_loaders(cache: ModelCache) -> None:
    """Give `cache` the LTX loader for both backends, unless it has its own."""
    for backend in BACKENDS:
        if backend not in cache.loaders:
            cache.register_loader(backend, load_pipeline)


# --- settings (no torch) ---------------------------------------------------------------------

def cond_noise(strength: float) -> float:
    """LTXConditionPipeline's `image_cond_noise_scale` for a motion strength of 0..1 (COND_NOISE,
    piecewise linear: 0.5 is diffusers' recommended 0.025)."""
    if not (isinstance(strength, (int, float)) and 0.0 <= strength <= 1.0):
        raise VidgenError(f"Animation strength must be from 0 to 1, not {strength!r}.")
    return float(np.interp(float(strength), (0.0, 0.5, 1.0), COND_NOISE))


def frames_for(temporal: int, frames: int | None = None) -> int:
    """Frames per call: `frames` (NATIVE_FRAMES unless told) brought down to k * `temporal` + 1, the
    counts the causal VAE makes (at least two latent frames)."""
    frames = NATIVE_FRAMES if frames is None else frames
    return max(temporal + 1, (frames - 1) // temporal * temporal + 1)


def size_for(spatial: int, size: tuple[int, int]) -> tuple[int, int]:
    """The generation size for a film of `size`: NATIVE_LATENTS cells of `spatial` pixels at its
    aspect, sides multiples of 32 (and of `spatial`)."""
    return native_size(NATIVE_LATENTS * spatial * spatial, math.lcm(SIDE_MULTIPLE, spatial), size)


def schedule(distilled: bool, steps: int) -> dict[str, Any]:
    """The pipeline's schedule and guidance: the distilled timesteps (or `steps` of its own
    schedule when another count is asked), else `steps` (0 = DEFAULT_STEPS) at GUIDANCE."""
    if distilled:
        if steps in (0, len(DISTILLED_TIMESTEPS)):
            return {"timesteps": list(DISTILLED_TIMESTEPS), "guidance_scale": DISTILLED_GUIDANCE}
        return {"num_inference_steps": steps, "guidance_scale": DISTILLED_GUIDANCE}
    return {"num_inference_steps": steps or DEFAULT_STEPS, "guidance_scale": GUIDANCE}


# --- generation ------------------------------------------------------------------------------

def _is_condition(pipe: Any) -> bool:
    from diffusers import LTXConditionPipeline

    return isinstance(pipe, LTXConditionPipeline)


def _call_settings(spec: ModelSpec, pipe: Any, job: ClipJob) -> dict[str, Any]:
    """Everything but the picture, the generator and the callback, for every chunk of `job`."""
    kw = schedule(spec.backend == DISTILLED, job.steps)
    kw.update(prompt=job.prompt or "", negative_prompt=job.negative or NEGATIVE, frame_rate=NATIVE_FPS)
    if getattr(pipe.vae.config, "timestep_conditioning", False):
        kw.update(decode_timestep=DECODE_TIMESTEP, decode_noise_scale=DECODE_NOISE)
    if _is_condition(pipe):
        kw.update(frame_index=0, strength=1.0, image_cond_noise_scale=cond_noise(job.strength))
    return kw


def animate(spec: ModelSpec, job: ClipJob, out_path: str | Path, *, progress: Callable[[float], None] | None = None,
            cancel: Callable[[], None] | None = None, cache: ModelCache | None = None) -> Path:
    """The animation backend entry point (services/animation/job.py): LTX-Video from the scene's
    picture and description, extended to the scene's duration, at the film's fps and size."""
    w, h = clips.check_job(job)  # strength included
    check_runs_here(spec)
    check_cancel(cancel)
    count = max(1, int(round(job.duration * job.fps)))
    cache = cache or get_cache()
    register_loaders(cache)

    import torch

    with cache.use(spec) as pipe:
        per_chunk = frames_for(int(pipe.vae_temporal_compression_ratio))
        overlap = overlap_for(per_chunk)
        chunks = chunk_count(clips.frames_needed(count, job.fps, NATIVE_FPS), per_chunk, overlap)
        gw, gh = size_for(int(pipe.vae_spatial_compression_ratio), (w, h))
        settings = _call_settings(spec, pipe, job)
        steps = len(settings.get("timesteps") or ()) or settings["num_inference_steps"]
        generator = torch.Generator("cpu").manual_seed(int(job.seed))
        image = clips.still(job.image, (gw, gh))
        noise = settings.get("image_cond_noise_scale")
        log.info("%s: %d frames at %d fps from %d chunk(s) of %d at %dx%d on %s (%d steps, %s)", spec.id, count,
                 job.fps, chunks, per_chunk, gw, gh, type(pipe).__name__, steps,
                 "strength unused: the first frame is held clean" if noise is None else f"condition noise {noise:.3f}")
        with ClipSink(job, (w, h), out_path, NATIVE_FPS, overlap, progress=progress, cancel=cancel) as sink:
            for c in range(chunks):
                check_cancel(cancel)
                if c:
                    image = clips.to_pil(sink.tail[0])  # where the overlap starts

                step_end = clips.step_callback(progress, cancel, c, chunks, steps)
                with torch.inference_mode():
                    frames = pipe(image=image, height=gh, width=gw, num_frames=per_chunk, generator=generator,
                                  callback_on_step_end=step_end, output_type="np", **settings).frames[0]
                log.info("%s: chunk %d/%d done", spec.id, c + 1, chunks)
                sink.push(list(frames), overlap if c else 0)
    return Path(out_path)


__all__ = ["animate", "load_pipeline", "register_loaders", "pipeline_class", "cond_noise", "frames_for", "size_for",
           "schedule", "NATIVE_FPS", "NATIVE_FRAMES", "NATIVE_LATENTS", "DEFAULT_STEPS", "DISTILLED_TIMESTEPS",
           "NEGATIVE"]
