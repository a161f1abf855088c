"""AnimateDiff (motion adapter v1-5-2 on Stable Diffusion 1.5) as an animation backend.

    animate(registry.get("animatediff-v1-5-2"), ClipJob(image, motion, 6.0, 24, (1280, 720), prompt=...), "s1.mp4")

Route: video-to-video (`AnimateDiffVideoToVideoPipeline`). The scene's picture, cover-fitted to SD
1.5's native area (512x512 pixels, sides multiples of 64: 704x384 for 16:9), is repeated as the input
"video"; its latents are re-noised to `denoise_strength(job.strength)` and denoised by the SD 1.5
UNet with the motion modules inserted, so the frames keep the still's layout and colours while the
adapter's temporal attention makes them move. Why this route: it needs nothing beyond the two
records (no SparseCtrl or ControlNet download), it is one diffusers class with the stock SD 1.5
components, and `strength` is one honest knob between "stays the picture" (0 -> 0.6) and "moves
freely" (1 -> 0.95). Plain `AnimateDiffPipeline` with img2img latents would be the same maths done by
hand. The prompt is `job.prompt` / `job.negative` (classifier-free guidance 7.5); `job.steps` are the
denoising steps actually run (0 = 25; the schedule is stretched by 1/strength to get them).

Scheduler: the base's DDIM config with beta_schedule="linear", clip_sample=False,
timestep_spacing="linspace", steps_offset=1 (what AnimateDiff's model cards use).

AnimateDiff-Lightning (a record with `weights`, e.g. "animatediff_lightning_4step_diffusers.safetensors"):
one state-dict file and no config, so the MotionAdapter's shape is read from the weights
(`adapter_config`); it was distilled for N steps (the "Nstep" in the file name: the default steps)
with guidance 1 on Euler with trailing timesteps and a linear beta schedule, which is what it gets.

Length: one pipeline call ("chunk") makes NATIVE_FRAMES (16; fewer if the adapter's positional
embeddings are shorter) at NATIVE_FPS (8). A longer scene is continued: the next chunk's input video
is the previous chunk's last `overlap` frames followed by its last frame held, denoised with the same
seed's generator; the overlap is crossfaded. Chunks go straight into a ClipSink (sink.py: stabilized
when asked, retimed to the film's fps by optical flow, cover-fitted to `job.size`, encoded as they
come), an H.264 MP4 of exactly round(duration * fps) frames.

Memory: fp16 on CUDA, float32 on the CPU; VAE slicing always (the VAE encodes and decodes every
frame); model CPU offload when the compatibility check says "offload"; too large fails before any
work. Progress after every denoising step (chunks share the first 95%), then while writing;
`cancel()` before loading, before each chunk, after every step and every few written frames: a
cancelled clip leaves nothing at the output path. Nothing heavy is imported at import time.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ...errors import VidgenError
from ...media import check_cancel
from ...models import hub
from ...models.cache import ModelCache, get_cache
from ...models.registry import ModelSpec, packaged
from . import clips
from .clips import chunk_count, check_runs_here, native_size, overlap_for
from .job import ClipJob
from .sink import ClipSink

log = logging.getLogger(__name__)

BACKEND = "diffusers-animatediff"
BASE_ID = "sd15"  # the SD 1.5 record the adapter runs on, unless the record names another in `requires`
NATIVE_FRAMES = 16  # frames the v1-5-2 adapter was trained on
NATIVE_FPS = 8  # AnimateDiff's frames are timed at 8 fps
DEFAULT_STEPS = 25
GUIDANCE = 7.5
DENOISE_MIN, DENOISE_MAX = 0.6, 0.95  # how far the still is re-noised at motion strength 0 and 1
DECODE_CHUNK = 16  # frames the VAE encodes/decodes at once
DECODE_CHUNK_OFFLOAD = 4
_DISTILLED = re.compile(r"(\d+)step")  # AnimateDiff-Lightning's file names: ..._4step_diffusers.safetensors


# --- loading ---------------------------------------------------------------------------------

def base_spec(spec: ModelSpec) -> ModelSpec:
    """The SD 1.5 record an adapter record runs on (its first `requires`, else sd15)."""
    return packaged().get(spec.requires[0] if spec.requires else BASE_ID)


def distilled_steps(spec: ModelSpec) -> int:
    """The steps a distilled adapter (AnimateDiff-Lightning: "Nstep" in its weight file) was made for; 0 if not."""
    found = _DISTILLED.search(Path(spec.weights).name) if spec.weights else None
    return int(found.group(1)) if found else 0


def adapter_config(state: dict[str, Any]) -> dict[str, Any]:
    """MotionAdapter's arguments from its state dict's keys and shapes (a single-file adapter has no
    config). Heads and norm groups leave no trace in the shapes: they keep MotionAdapter's defaults,
    which the published adapters use."""
    def count(prefix: str) -> int:
        found = {int(m.group(1)) for k in state if (m := re.match(re.escape(prefix) + r"(\d+)\.", k))}
        return max(found) + 1 if found else 0

    blocks = count("down_blocks.")
    if not blocks:
        raise ValueError("no down_blocks.N.motion_modules weights: not a MotionAdapter state dict")
    channels = tuple(int(state[f"down_blocks.{i}.motion_modules.0.proj_in.weight"].shape[0]) for i in range(blocks))
    pe = next(v for k, v in state.items() if k.endswith("pos_embed.pe"))
    mid = count("mid_block.motion_modules.")
    return {"block_out_channels": channels, "motion_layers_per_block": count("down_blocks.0.motion_modules."),
            "motion_transformer_layers_per_block": count("down_blocks.0.motion_modules.0.transformer_blocks."),
            "motion_max_seq_length": int(pe.shape[1]), "use_motion_mid_block": bool(mid),
            "motion_mid_block_layers_per_block": max(1, mid)}


def load_adapter(spec: ModelSpec, folder: Path, dtype: Any) -> Any:
    """The record's MotionAdapter: a diffusers folder, or the one weight file its `weights` names."""
    from diffusers import MotionAdapter

    if not spec.weights:
        return MotionAdapter.from_pretrained(str(folder), dtype=dtype, variant=clips.fp16_variant(folder),
                                             local_files_only=True)
    from safetensors.torch import load_file

    state = load_file(str(folder / spec.weights))
    adapter = MotionAdapter(**adapter_config(state))
    adapter.load_state_dict(state, strict=True)
    return adapter.to(dtype)


def load_pipeline(spec: ModelSpec, device: str) -> Any:
    """The model cache's loader for diffusers-animatediff: the record's MotionAdapter and the SD 1.5
    base from the local HF cache only, as an AnimateDiffVideoToVideoPipeline."""
    import torch
    from diffusers import AnimateDiffVideoToVideoPipeline, DDIMScheduler, EulerDiscreteScheduler

    cuda = device.startswith("cuda")
    dtype = torch.float16 if cuda else torch.float32
    folder = hub.local_path(spec)
    try:
        adapter = load_adapter(spec, folder, dtype)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:  # RuntimeError: load_state_dict's mismatches
        raise hub.load_failure(spec, exc, folder) from exc
    base = base_spec(spec)
    base_folder = hub.local_path(base)
    try:
        pipe = AnimateDiffVideoToVideoPipeline.from_pretrained(
            str(base_folder), motion_adapter=adapter, dtype=dtype,
            variant=clips.fp16_variant(base_folder / "unet"), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise hub.load_failure(base, exc, base_folder, f" as the base of {spec.name}") from exc
    if distilled_steps(spec):
        pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config, timestep_spacing="trailing",
                                                            beta_schedule="linear")
    else:
        pipe.scheduler = DDIMScheduler.from_config(pipe.scheduler.config, beta_schedule="linear", clip_sample=False,
                                                   timestep_spacing="linspace", steps_offset=1)
    pipe.vae.enable_slicing()
    return clips.placed(pipe, spec, device)


def register_loaders(cache: ModelCache) -> None:
    """Give `cache` the AnimateDiff loader, unless it has its own for that backend."""
    if BACKEND not in cache.loaders:
        cache.register_loader(BACKEND, load_pipeline)


# --- settings (no torch) ---------------------------------------------------------------------

def denoise_strength(strength: float) -> float:
    """How far the still is re-noised (the pipeline's `strength`) for a motion strength of 0..1."""
    if not (isinstance(strength, (int, float)) and 0.0 <= strength <= 1.0):
        raise VidgenError(f"Animation strength must be from 0 to 1, not {strength!r}.")
    return DENOISE_MIN + (DENOISE_MAX - DENOISE_MIN) * float(strength)


def schedule_steps(steps: int, denoise: float) -> int:
    """The schedule's length that runs `steps` denoising steps at `denoise` (diffusers runs
    int(schedule * denoise) of them)."""
    n = max(1, int(math.ceil(steps / denoise)))
    while int(n * denoise) < steps:
        n += 1
    return n


def chunk_frames(pipe: Any) -> int:
    """Frames per pipeline call: NATIVE_FRAMES, or fewer when the motion modules' positional
    embeddings are shorter."""
    limit = int(getattr(pipe.unet.config, "motion_max_seq_length", NATIVE_FRAMES) or NATIVE_FRAMES)
    return max(2, min(NATIVE_FRAMES, limit))


def next_input(joined: list[np.ndarray], per_chunk: int, overlap: int) -> list[np.ndarray]:
    """The next chunk's input video: the clip's last `overlap` frames, then its last frame held."""
    tail = list(joined[len(joined) - overlap:])
    return tail + [joined[-1]] * (per_chunk - overlap)


# --- generation ------------------------------------------------------------------------------

def animate(spec: ModelSpec, job: ClipJob, out_path: str | Path, *, progress: Callable[[float], None] | None = None,
            cancel: Callable[[], None] | None = None, cache: ModelCache | None = None) -> Path:
    """The animation backend entry point (services/animation/job.py): AnimateDiff from the scene's
    picture, extended to the scene's duration, at the film's fps and size."""
    w, h = clips.check_job(job)
    denoise = denoise_strength(job.strength)
    status = check_runs_here(spec)
    hub.local_path(base_spec(spec))  # the SD 1.5 base: "not downloaded" before any work
    check_cancel(cancel)
    count = max(1, int(round(job.duration * job.fps)))
    cache = cache or get_cache()
    register_loaders(cache)

    import torch

    with cache.use(spec) as pipe:
        per_chunk = chunk_frames(pipe)
        overlap = overlap_for(per_chunk)
        chunks = chunk_count(clips.frames_needed(count, job.fps, NATIVE_FPS), per_chunk, overlap)
        scale = int(getattr(pipe, "vae_scale_factor", 8))
        side = int(pipe.unet.config.sample_size) * scale  # SD 1.5: 64 x 8 = 512
        gw, gh = native_size(side * side, 8 * scale, (w, h))
        steps = job.steps or distilled_steps(spec) or DEFAULT_STEPS
        guidance = 1.0 if distilled_steps(spec) else GUIDANCE
        schedule = schedule_steps(steps, denoise)
        decode = DECODE_CHUNK_OFFLOAD if status == "offload" else DECODE_CHUNK
        generator = torch.Generator("cpu").manual_seed(int(job.seed))
        video = [clips.still(job.image, (gw, gh))] * per_chunk
        log.info("%s: %d frames at %d fps from %d chunk(s) of %d at %dx%d (%d steps, strength %.2f)", spec.id,
                 count, job.fps, chunks, per_chunk, gw, gh, steps, denoise)
        with ClipSink(job, (w, h), out_path, NATIVE_FPS, overlap, progress=progress, cancel=cancel) as sink:
            for c in range(chunks):
                check_cancel(cancel)
                if c:
                    video = [clips.to_pil(f) for f in next_input(sink.tail, per_chunk, overlap)]

                step_end = clips.step_callback(progress, cancel, c, chunks, steps)
                with torch.inference_mode():
                    frames = pipe(video=video, prompt=job.prompt or "", negative_prompt=job.negative or None,
                                  height=gh, width=gw, num_inference_steps=schedule, strength=denoise,
                                  guidance_scale=guidance, generator=generator, decode_chunk_size=decode,
                                  callback_on_step_end=step_end, output_type="np").frames[0]
                log.info("%s: chunk %d/%d done", spec.id, c + 1, chunks)
                sink.push(list(frames), overlap if c else 0)
    return Path(out_path)


__all__ = ["animate", "load_pipeline", "register_loaders", "base_spec", "denoise_strength", "schedule_steps",
           "distilled_steps", "adapter_config", "load_adapter",
           "chunk_frames", "next_input", "NATIVE_FPS", "NATIVE_FRAMES", "DEFAULT_STEPS"]
