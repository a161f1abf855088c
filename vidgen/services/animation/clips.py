"""What the image-to-video backends (svd, animatediff, ltx, wan) share: the checks before any work,
the device placement, the model's native size at the film's aspect, the chunks that extend a clip
past one pipeline call, the still and frame conversions. The chunks' frames go to a ClipSink
(sink.py), which crossfades the seams, retimes, fits and encodes them.

No torch at import time; every frame here is float RGB 0..1 unless it says uint8.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ...errors import VidgenError
from ...media import check_cancel
from ...models import hub
from ...models.registry import ModelSpec
from ..images.files import cover_fit, open_image
from .job import ClipJob

log = logging.getLogger(__name__)

MAX_OVERLAP = 3  # frames two chunks share and crossfade over
DENOISE_SHARE = 0.95  # of the progress: the denoising steps; 1 once the clip is written
CANCEL_EVERY = 8  # written frames between cancel checks
MAX_FPS = 120


def fp16_variant(folder: Path) -> str | None:
    """"fp16" when `folder` holds only fp16 weight files (what the registry downloads)."""
    if any(folder.glob("*.fp16.safetensors")) and not any(
            p for p in folder.glob("*.safetensors") if ".fp16." not in p.name):
        return "fp16"
    return None


def placed(pipe: Any, spec: ModelSpec, device: str, *, on_offload: Callable[[Any], None] | None = None) -> Any:
    """A loaded video pipeline put where it runs (hub.placed)."""
    return hub.placed(pipe, spec, device, per="clip", on_offload=on_offload)


def step_callback(progress: Callable[[float], None] | None, cancel: Callable[[], None] | None, chunk: int,
                  chunks: int, steps: int) -> Callable[..., dict]:
    """The pipelines' `callback_on_step_end` for chunk `chunk` of `chunks`: cancel after every step, and
    progress over the denoising share (chunks share it equally; `steps` when the pipeline tells none)."""
    def on_step_end(pipe: Any, step: int, timestep: Any, kwargs: dict) -> dict:
        check_cancel(cancel)
        if progress is not None:
            total = max(1, int(getattr(pipe, "num_timesteps", 0) or steps))
            progress(DENOISE_SHARE * (chunk + min(1.0, (step + 1) / total)) / chunks)
        return kwargs

    return on_step_end


def check_runs_here(spec: ModelSpec) -> str:
    """The compatibility status of `spec` here; VidgenError (one line) when it is too large or not
    downloaded, before any work."""
    compat = hub.compatibility(spec)
    if compat.get("status") == "too_large":
        raise VidgenError(f"{spec.name} cannot run on this machine: {compat.get('reason', 'too large')}.")
    hub.local_path(spec)  # "not downloaded" with the command that fetches it
    return str(compat.get("status", ""))


def native_size(area: int, multiple: int, size: tuple[int, int]) -> tuple[int, int]:
    """(w, h) of about `area` pixels at the aspect of `size`, both sides multiples of `multiple`."""
    w, h = size
    nw = max(multiple, int(round(math.sqrt(area * w / h) / multiple)) * multiple)
    nh = max(multiple, int(round(math.sqrt(area * h / w) / multiple)) * multiple)
    return nw, nh


def overlap_for(per_chunk: int) -> int:
    """Frames two chunks share: up to MAX_OVERLAP, at most a quarter of a chunk, at least the one the
    next chunk starts from."""
    return max(1, min(MAX_OVERLAP, per_chunk // 4))


def frames_needed(frames: int, fps: int, native_fps: int) -> int:
    """Native frames that cover `frames` output frames at `fps` (the last one's neighbours included)."""
    if frames <= 1:
        return 1
    return int(math.floor((frames - 1) * native_fps / fps)) + 2


def chunk_count(needed: int, per_chunk: int, overlap: int) -> int:
    """Pipeline calls that make at least `needed` frames: the first gives `per_chunk`, each next
    `per_chunk - overlap`."""
    if per_chunk < 2:
        raise VidgenError(f"A video chunk must make at least 2 frames, not {per_chunk}.")
    return 1 + max(0, math.ceil((needed - per_chunk) / (per_chunk - overlap)))


def fit_frame(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """An RGB frame (float 0..1, or uint8) cover-fitted to `size` (centre crop, then area/cubic resize), uint8."""
    import cv2

    w, h = size
    fh, fw = frame.shape[:2]
    if fw * h > fh * w:  # wider than the target: crop the sides
        cw = max(1, int(round(fh * w / h)))
        frame = frame[:, (fw - cw) // 2:(fw - cw) // 2 + cw]
    elif fw * h < fh * w:
        ch = max(1, int(round(fw * h / w)))
        frame = frame[(fh - ch) // 2:(fh - ch) // 2 + ch]
    if frame.dtype == np.uint8:
        if frame.shape[:2] == (h, w):
            return np.ascontiguousarray(frame)
        return cv2.resize(np.ascontiguousarray(frame), (w, h),
                          interpolation=cv2.INTER_AREA if frame.shape[1] > w else cv2.INTER_CUBIC)
    if frame.shape[:2] != (h, w):
        shrink = frame.shape[1] > w
        frame = cv2.resize(np.ascontiguousarray(frame, dtype=np.float32), (w, h),
                           interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
    return (np.clip(frame, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def check_job(job: ClipJob) -> tuple[int, int]:
    """The job's (w, h) once fps, duration, size, steps and strength are usable; VidgenError naming the bad one."""
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
    if not (isinstance(job.strength, (int, float)) and 0.0 <= job.strength <= 1.0):
        raise VidgenError(f"Animation strength must be from 0 to 1, not {job.strength!r}.")
    return w, h


def still(path: str, size: tuple[int, int]) -> Any:
    """The scene's picture as an RGB PIL image cover-fitted to `size` (EXIF orientation applied)."""
    from PIL import ImageOps

    im = open_image(Path(path))
    try:
        return cover_fit(ImageOps.exif_transpose(im).convert("RGB"), size)
    finally:
        im.close()


def to_pil(frame: np.ndarray) -> Any:
    from PIL import Image

    return Image.fromarray((np.clip(frame, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
