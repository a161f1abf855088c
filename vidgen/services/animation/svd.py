"""Stable Video Diffusion (img2vid-xt) as an animation backend: the scene's picture moves.

    animate(registry.get("svd-xt"), ClipJob(image, motion, duration=6.0, fps=24, size=(1280, 720), seed=7), "s1.mp4")

The picture is the conditioning image, cover-fitted to the model's native pixel area (1024x576 for
16:9 on XT) at the job's aspect, sides multiples of 8 x the VAE's downsampling (64 px on XT).
`job.strength` (0..1) is the motion bucket (1..255), `job.steps` the denoising steps (0 = 25),
`job.seed` one torch Generator for the whole clip.

Length: one pipeline call ("chunk") makes the UNet's `num_frames` (25 on XT) at NATIVE_FPS. A scene
longer than one chunk is continued: the next chunk is conditioned on the previous chunk's frame
where their overlap starts (its last `overlap` frames), so both chunks cover the same moments
there, and the two are crossfaded over those frames. The joined frames are then brought to the
film's fps by optical-flow interpolation (`interpolate.retime`; stabilized first when asked), cover-fitted to `job.size`, and written as an
H.264 MP4 of exactly round(duration * fps) frames. A long scene is never an error: it costs more
chunks.

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
import math
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ...errors import VidgenError
from ...media import VideoWriter, atomic_output, check_cancel
from ...models import hub
from ...models.cache import ModelCache, get_cache
from ...models.registry import ModelSpec
from ..images.files import cover_fit, open_image
from .interpolate import retime as flow_retime
from .job import ClipJob
from .stabilize import stabilize

log = logging.getLogger(__name__)

BACKEND = "diffusers-svd"
NATIVE_FPS = 7  # the fps SVD is conditioned on and its frames are timed at (diffusers' default)
DEFAULT_STEPS = 25
NOISE_AUG = 0.02  # noise added to the conditioning image (diffusers' default); more = freer motion
MAX_OVERLAP = 3  # frames two chunks share and crossfade over
DECODE_CHUNK = 8  # frames the temporal VAE decodes at once
DECODE_CHUNK_OFFLOAD = 2
DENOISE_SHARE = 0.95  # of the progress; the rest is writing
CANCEL_EVERY = 8  # written frames between cancel checks
MAX_FPS = 120


# --- loading ---------------------------------------------------------------------------------

def _variant(folder: Path) -> str | None:
    """"fp16" when the snapshot's UNet holds only fp16 weight files (what the registry downloads)."""
    unet = folder / "unet"
    if any(unet.glob("*.fp16.safetensors")) and not any(
            p for p in unet.glob("*.safetensors") if ".fp16." not in p.name):
        return "fp16"
    return None


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
    pipe.set_progress_bar_config(disable=True)
    if device == "cpu":
        log.warning("%s runs on the CPU: expect many minutes per clip; a CUDA GPU with %.0f GB VRAM is "
                    "recommended.", spec.name, spec.vram_gb)
        return pipe
    if cuda and hub.compatibility(spec)["status"] == "offload":
        log.warning("%s: not enough free VRAM, using CPU offload and UNet forward chunking (slower).", spec.name)
        pipe.enable_model_cpu_offload(device=device)
        pipe.unet.enable_forward_chunking()
        return pipe
    return pipe.to(device)


def register_loaders(cache: ModelCache) -> None:
    """Give `cache` the SVD loader, unless it has its own for that backend."""
    if BACKEND not in cache.loaders:
        cache.register_loader(BACKEND, load_pipeline)


def check_runs_here(spec: ModelSpec) -> str:
    """The compatibility status of `spec` here; VidgenError (one line) when it is too large or not
    downloaded, before any work."""
    compat = hub.compatibility(spec)
    if compat.get("status") == "too_large":
        raise VidgenError(f"{spec.name} cannot run on this machine: {compat.get('reason', 'too large')}.")
    hub.local_path(spec)  # "not downloaded" with the command that fetches it
    return str(compat.get("status", ""))


# --- sizes and timing (no torch) -------------------------------------------------------------

def native_size(area: int, multiple: int, size: tuple[int, int]) -> tuple[int, int]:
    """(w, h) of about `area` pixels at the aspect of `size`, both sides multiples of `multiple`."""
    w, h = size
    nw = max(multiple, int(round(math.sqrt(area * w / h) / multiple)) * multiple)
    nh = max(multiple, int(round(math.sqrt(area * h / w) / multiple)) * multiple)
    return nw, nh


def motion_bucket(strength: float) -> int:
    """SVD's motion bucket (1..255) for a motion strength of 0..1 (0.5 -> 128, near its default 127)."""
    if not (isinstance(strength, (int, float)) and 0.0 <= strength <= 1.0):
        raise VidgenError(f"Animation strength must be from 0 to 1, not {strength!r}.")
    return int(round(1 + 254 * float(strength)))


def overlap_for(per_chunk: int) -> int:
    """Frames two chunks share: up to MAX_OVERLAP, at most a quarter of a chunk, at least the one the
    next chunk starts from."""
    return max(1, min(MAX_OVERLAP, per_chunk // 4))


def frames_needed(frames: int, fps: int, native_fps: int = NATIVE_FPS) -> int:
    """Native frames that cover `frames` output frames at `fps` (the last one's neighbours included)."""
    if frames <= 1:
        return 1
    return int(math.floor((frames - 1) * native_fps / fps)) + 2


def chunk_count(needed: int, per_chunk: int, overlap: int) -> int:
    """Pipeline calls that make at least `needed` frames: the first gives `per_chunk`, each next
    `per_chunk - overlap`."""
    if per_chunk < 2:
        raise VidgenError(f"An SVD chunk must make at least 2 frames, not {per_chunk}.")
    return 1 + max(0, math.ceil((needed - per_chunk) / (per_chunk - overlap)))


def join(joined: list[np.ndarray], chunk: list[np.ndarray], overlap: int) -> list[np.ndarray]:
    """`chunk` appended to `joined`, its first `overlap` frames crossfaded into joined's last ones
    (float frames; the weight of the new chunk rises linearly across the seam)."""
    if not joined:
        return list(chunk)
    out = list(joined)
    for j in range(overlap):
        w = (j + 1) / (overlap + 1)
        out[len(out) - overlap + j] = (1 - w) * out[len(out) - overlap + j] + w * chunk[j]
    return out + list(chunk[overlap:])


def fit_frame(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A float RGB frame (0..1) cover-fitted to `size` (centre crop, then area/cubic resize), uint8."""
    import cv2

    w, h = size
    fh, fw = frame.shape[:2]
    if fw * h > fh * w:  # wider than the target: crop the sides
        cw = max(1, int(round(fh * w / h)))
        frame = frame[:, (fw - cw) // 2:(fw - cw) // 2 + cw]
    elif fw * h < fh * w:
        ch = max(1, int(round(fw * h / w)))
        frame = frame[(fh - ch) // 2:(fh - ch) // 2 + ch]
    if frame.shape[:2] != (h, w):
        shrink = frame.shape[1] > w
        frame = cv2.resize(np.ascontiguousarray(frame, dtype=np.float32), (w, h),
                           interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
    return (np.clip(frame, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _check_job(job: ClipJob) -> tuple[int, int]:
    if not isinstance(job.fps, int) or not 1 <= job.fps <= MAX_FPS:
        raise VidgenError(f"fps must be a whole number from 1 to {MAX_FPS}, not {job.fps!r}.")
    if not (isinstance(job.duration, (int, float)) and math.isfinite(job.duration) and 0 < job.duration <= 3600):
        raise VidgenError(f"Clip duration must be between 0 and 3600 seconds, not {job.duration!r}.")
    try:
        w, h = (int(v) for v in job.size)
    except (TypeError, ValueError):
        raise VidgenError(f"Video size must be (width, height), not {job.size!r}.") from None
    if not (16 <= w <= 4096 and 16 <= h <= 4096) or w % 2 or h % 2:
        raise VidgenError(f"Video size {w}x{h} is not usable: both sides must be even, 16 to 4096 pixels.")
    if not isinstance(job.steps, int) or job.steps < 0:
        raise VidgenError(f"Animation steps must be a whole number >= 0 (0 = the model's own), not {job.steps!r}.")
    motion_bucket(job.strength)
    return w, h


def _still(path: str, size: tuple[int, int]) -> Any:
    from PIL import ImageOps

    im = open_image(Path(path))
    try:
        return cover_fit(ImageOps.exif_transpose(im).convert("RGB"), size)
    finally:
        im.close()


def _to_pil(frame: np.ndarray) -> Any:
    from PIL import Image

    return Image.fromarray((np.clip(frame, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))


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
        image = _still(job.image, (gw, gh))
        log.info("%s: %d frames at %d fps from %d chunk(s) of %d at %dx%d (%d steps)", spec.id, count, job.fps,
                 chunks, per_chunk, gw, gh, steps)
        joined: list[np.ndarray] = []
        for c in range(chunks):
            check_cancel(cancel)
            if c:
                image = _to_pil(joined[len(joined) - overlap])  # where the overlap starts

            def on_step_end(p: Any, step: int, timestep: Any, kwargs: dict, c: int = c) -> dict:
                check_cancel(cancel)
                if progress is not None:
                    total = max(1, int(getattr(p, "num_timesteps", 0) or steps))
                    progress(DENOISE_SHARE * (c + min(1.0, (step + 1) / total)) / chunks)
                return kwargs

            with torch.inference_mode():
                frames = pipe(image, height=gh, width=gw, num_frames=per_chunk, num_inference_steps=steps,
                              fps=NATIVE_FPS, motion_bucket_id=motion_bucket(job.strength),
                              noise_aug_strength=NOISE_AUG, decode_chunk_size=decode, generator=generator,
                              callback_on_step_end=on_step_end, output_type="np").frames[0]
            log.info("%s: chunk %d/%d done", spec.id, c + 1, chunks)
            joined = join(joined, [np.asarray(f, dtype=np.float32) for f in frames], overlap if c else 0)
    return _write(to_film_fps(joined, job, count), job, (w, h), out_path, progress, cancel)


def to_film_fps(frames: list[np.ndarray], job: ClipJob, count: int) -> list[np.ndarray]:
    """`count` frames at the film's fps from the model's (float RGB 0..1): optical-flow interpolation,
    after stabilization when the job asks for it."""
    frames8 = [np.clip(f * 255.0 + 0.5, 0, 255).astype(np.uint8) for f in frames]
    if job.stabilize and len(frames8) > 2:
        frames8 = stabilize(frames8)
    timed = flow_retime(frames8, NATIVE_FPS, job.fps) if job.fps != NATIVE_FPS else frames8
    timed = (list(timed) + [timed[-1]] * count)[:count]  # its count is round(n * dst / src)
    return [f.astype(np.float32) / 255.0 for f in timed]


def _write(frames: list[np.ndarray], job: ClipJob, size: tuple[int, int], out_path: str | Path,
           progress: Callable[[float], None] | None, cancel: Callable[[], None] | None) -> Path:
    out = Path(out_path)
    with atomic_output(out, suffix=".mp4") as tmp:
        with VideoWriter(tmp, size[0], size[1], job.fps, preset=job.preset, crf=job.crf) as writer:
            for i, frame in enumerate(frames):
                if i % CANCEL_EVERY == 0:
                    check_cancel(cancel)
                writer.write(fit_frame(frame, size))
                if progress is not None:
                    progress(DENOISE_SHARE + (1 - DENOISE_SHARE) * (i + 1) / len(frames))
    return out


__all__ = ["animate", "load_pipeline", "register_loaders", "check_runs_here", "native_size", "motion_bucket",
           "overlap_for", "frames_needed", "chunk_count", "join", "to_film_fps", "fit_frame", "NATIVE_FPS",
           "DEFAULT_STEPS", "NOISE_AUG"]
