"""Stable Video Diffusion (img2vid-xt) as an animation backend: the scene's picture moves.

    animate(registry.get("svd-xt"), ClipJob(image, motion, duration=6.0, fps=24, size=(1280, 720), seed=7), "s1.mp4")

The picture is the conditioning image, cover-fitted to the model's native pixel area (1024x576 for
16:9 on XT) at the job's aspect, sides multiples of 8 x the VAE's downsampling (64 px on XT).
`job.strength` (0..1) is the motion bucket (1..255), `job.steps` the denoising steps (0 = 25),
`job.seed` one torch Generator for the whole clip.

Length: one pipeline call ("chunk") makes the UNet's `num_frames` (25 on XT) at NATIVE_FPS. A scene
longer than one chunk is continued: the next chunk is conditioned on the previous chunk's frame
where their overlap starts (its last `overlap` frames), so both chunks cover the same moments
there, and the two are crossfaded over those frames. Each chunk goes straight into a ClipSink
(sink.py): stabilized when asked, retimed to the film's fps by optical flow, cover-fitted to
`job.size` and encoded while the next chunk is made, so memory holds a few frames whatever the
scene's length; the MP4 has exactly round(duration * fps) frames. A long scene is never an error:
it costs more chunks.

Memory: fp16 on CUDA (the registry downloads only the fp16 files), float32 on the CPU. The
compatibility check decides before any work: too large fails with its reason; "offload" loads
with model CPU offload and UNet forward chunking and decodes DECODE_CHUNK_OFFLOAD frames at a time;
otherwise DECODE_CHUNK.

Progress is reported after every denoising step of every chunk (chunks share the first 95%),
then while writing; `cancel()` is called before loading, after every step and every few written
frames, and raises: nothing is left at the output path. Nothing heavy is imported at import time.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from ...errors import VidgenError
from ...media import check_cancel
from ...models import hub
from ...models.cache import ModelCache, get_cache
from ...models.registry import ModelSpec
from . import clips
from .clips import chunk_count, check_runs_here, fit_frame, native_size, overlap_for
from .job import ClipJob
from .sink import ClipSink

log = logging.getLogger(__name__)

BACKEND = "diffusers-svd"
NATIVE_FPS = 7  # the fps SVD is conditioned on and its frames are timed at (diffusers' default)
DEFAULT_STEPS = 25
NOISE_AUG = 0.02  # noise added to the conditioning image (diffusers' default); more = freer motion
DECODE_CHUNK = 8  # frames the temporal VAE decodes at once
DECODE_CHUNK_OFFLOAD = 2


# --- loading ---------------------------------------------------------------------------------

def _variant(folder: Path) -> str | None:
    """"fp16" when the snapshot's UNet holds only fp16 weight files (what the registry downloads)."""
    return clips.fp16_variant(folder / "unet")


def load_pipeline(spec: ModelSpec, device: str) -> Any:
    """The model cache's loader for diffusers-svd: StableVideoDiffusionPipeline from the local HF
    cache only, fp16 on CUDA, CPU offload when the compatibility check says so."""
    import torch
    from diffusers import StableVideoDiffusionPipeline

    folder = hub.local_path(spec)
    cuda = device.startswith("cuda")
    try:
        pipe = StableVideoDiffusionPipeline.from_pretrained(
            str(folder), dtype=torch.float16 if cuda else torch.float32, variant=_variant(folder),
            local_files_only=True)
    except (OSError, ValueError) as exc:
        raise hub.load_failure(spec, exc, folder) from exc
    return clips.placed(pipe, spec, device, on_offload=lambda p: p.unet.enable_forward_chunking())


def register_loaders(cache: ModelCache) -> None:
    """Give `cache` the SVD loader, unless it has its own for that backend."""
    if BACKEND not in cache.loaders:
        cache.register_loader(BACKEND, load_pipeline)


# --- sizes and timing (no torch) -------------------------------------------------------------

def motion_bucket(strength: float) -> int:
    """SVD's motion bucket (1..255) for a motion strength of 0..1 (0.5 -> 128, near its default 127)."""
    if not (isinstance(strength, (int, float)) and 0.0 <= strength <= 1.0):
        raise VidgenError(f"Animation strength must be from 0 to 1, not {strength!r}.")
    return int(round(1 + 254 * float(strength)))


def frames_needed(frames: int, fps: int, native_fps: int = NATIVE_FPS) -> int:
    """Native frames (at SVD's 7 fps unless told) that cover `frames` output frames at `fps`."""
    return clips.frames_needed(frames, fps, native_fps)


def _check_job(job: ClipJob) -> tuple[int, int]:
    size = clips.check_job(job)
    motion_bucket(job.strength)
    return size


# --- generation ------------------------------------------------------------------------------

def animate(spec: ModelSpec, job: ClipJob, out_path: str | Path, *, progress: Callable[[float], None] | None = None,
            cancel: Callable[[], None] | None = None, cache: ModelCache | None = None) -> Path:
    """The animation backend entry point (services/animation/job.py): SVD from the scene's picture,
    extended to the scene's duration, at the film's fps and size."""
    w, h = _check_job(job)
    status = check_runs_here(spec)
    check_cancel(cancel)
    count = max(1, int(round(job.duration * job.fps)))
    cache = cache or get_cache()
    register_loaders(cache)

    import torch

    with cache.use(spec) as pipe:
        per_chunk = int(pipe.unet.config.num_frames)
        overlap = overlap_for(per_chunk)
        chunks = chunk_count(frames_needed(count, job.fps), per_chunk, overlap)
        scale = int(getattr(pipe, "vae_scale_factor", 8))
        side = int(pipe.unet.config.sample_size) * scale  # XT: 96 x 8 = 768, i.e. 1024x576's area
        gw, gh = native_size(side * side, 8 * scale, (w, h))
        steps = job.steps or DEFAULT_STEPS
        decode = DECODE_CHUNK_OFFLOAD if status == "offload" else DECODE_CHUNK
        generator = torch.Generator("cpu").manual_seed(int(job.seed))
        image = clips.still(job.image, (gw, gh))
        log.info("%s: %d frames at %d fps from %d chunk(s) of %d at %dx%d (%d steps)", spec.id, count, job.fps,
                 chunks, per_chunk, gw, gh, steps)
        with ClipSink(job, (w, h), out_path, NATIVE_FPS, overlap, progress=progress, cancel=cancel) as sink:
            for c in range(chunks):
                check_cancel(cancel)
                if c:
                    image = clips.to_pil(sink.tail[0])  # where the overlap starts

                step_end = clips.step_callback(progress, cancel, c, chunks, steps)
                with torch.inference_mode():
                    frames = pipe(image, height=gh, width=gw, num_frames=per_chunk, num_inference_steps=steps,
                                  fps=NATIVE_FPS, motion_bucket_id=motion_bucket(job.strength),
                                  noise_aug_strength=NOISE_AUG, decode_chunk_size=decode, generator=generator,
                                  callback_on_step_end=step_end, output_type="np").frames[0]
                log.info("%s: chunk %d/%d done", spec.id, c + 1, chunks)
                sink.push(list(frames), overlap if c else 0)
    return Path(out_path)


__all__ = ["animate", "load_pipeline", "register_loaders", "check_runs_here", "native_size", "motion_bucket",
           "overlap_for", "frames_needed", "chunk_count", "fit_frame", "NATIVE_FPS",
           "DEFAULT_STEPS", "NOISE_AUG"]
