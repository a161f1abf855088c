"""Built-in animation backend: a camera move over a still (the "Ken Burns camera").

Every frame is one affine warp of the still computed in floating point, so the move is sub-pixel
smooth; ffmpeg's zoompan rounds the crop window to whole pixels each frame, which is the jitter
this module exists to avoid. The view never leaves the cover-fitted still: zoom >= 1 everywhere,
pans travel only within the margin the zoom creates, rotation carries the zoom that hides corners.
"""

from __future__ import annotations

import math
import queue
import random
import threading
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from ...domain import MOTIONS, CameraKey, Scene
from ...errors import VidgenError
from ...media import VideoWriter, atomic_output, check_cancel
from .camera_path import Cam, blur_samples, inverse_affine, path_camera, path_max_zoom, project, rotate_zoom
from .job import ClipJob
from ..images.files import open_image  # same checks and messages as the image service
from ...models.registry import ModelSpec

ZOOM = 1.15  # zoom_in / zoom_out travel
PAN_ZOOM = 1.12  # fixed zoom during pans; the margin it creates is the pan's travel
ROTATE_DEGREES = 2.5  # rotate swings from -2.5 to +2.5 degrees
STATIC_ZOOM = 1.02  # a slow drift so a "static" shot is not frozen
SAFETY = 0.995  # stay this fraction inside the margin so rounding never shows an edge
CANCEL_EVERY = 4  # frames between cancel checks
OVERSAMPLE = 2.0  # source resolution over the output's, beyond the zoom (see _load_cover)
MAX_SOURCE_PIXELS = 24_000_000  # caps the oversampled source (~72 MB) for very large outputs

# Weights of the automatic choice: zooms and horizontal pans mostly, rotate rarely, never static.
AUTO_WEIGHTS = {"zoom_in": 4, "zoom_out": 3, "pan_left": 3, "pan_right": 3, "pan_up": 1, "pan_down": 1,
                "rotate": 0.4}


def choose_motion(scene: Scene, previous: str | None = None, *, seed: int = 0) -> str:
    """The camera move for `scene`: its override, else its first script direction, else a varied pick."""
    allowed = ", ".join(MOTIONS)
    if scene.motion:
        if scene.motion not in MOTIONS:
            raise VidgenError(f"Scene {scene.number}: unknown motion {scene.motion!r}: use one of {allowed}.")
        return scene.motion
    if scene.camera:
        first = scene.camera[0]
        if first not in MOTIONS:
            raise VidgenError(f"Scene {scene.number}: unknown camera direction {first!r}: use one of {allowed}.")
        return first
    # A string seed keeps the pick stable across processes (random.Random hashes it with SHA-512).
    # The scene's variant (its number unless it moved): a moved scene keeps its pick where it can.
    rng = random.Random(f"vidgen-motion:{seed}:{scene.variant}")
    names = [m for m in AUTO_WEIGHTS if m != previous]
    return rng.choices(names, weights=[AUTO_WEIGHTS[m] for m in names])[0]


def ease(t: float) -> float:
    """Cosine ease-in-out: zero speed at both ends, so cuts and crossfades meet a still camera."""
    t = min(1.0, max(0.0, t))
    return 0.5 - 0.5 * math.cos(math.pi * t)


def camera_at(motion: str, e: float, w: int, h: int) -> tuple[float, float, float, float]:
    """(zoom, dx, dy, theta) of the view at eased time e in [0, 1].

    dx, dy move the view centre in output pixels of the cover-fitted still (+x right, +y down);
    theta is the view's rotation in radians.
    """
    if motion == "zoom_in":
        return 1.0 + (ZOOM - 1.0) * e, 0.0, 0.0, 0.0
    if motion == "zoom_out":
        return ZOOM - (ZOOM - 1.0) * e, 0.0, 0.0, 0.0
    if motion in ("pan_left", "pan_right", "pan_up", "pan_down"):
        z = PAN_ZOOM
        mx = (w / 2) * (1 - 1 / z) * SAFETY
        my = (h / 2) * (1 - 1 / z) * SAFETY
        d = 2 * e - 1  # -1 .. 1
        if motion == "pan_right":  # the camera moves right: the view centre goes left -> right
            return z, mx * d, 0.0, 0.0
        if motion == "pan_left":
            return z, -mx * d, 0.0, 0.0
        if motion == "pan_down":
            return z, 0.0, my * d, 0.0
        return z, 0.0, -my * d, 0.0
    if motion == "rotate":
        theta = math.radians(ROTATE_DEGREES) * (2 * e - 1)
        base = rotate_zoom(math.radians(ROTATE_DEGREES), w, h) / SAFETY
        return base + 0.03 * e, 0.0, 0.0, theta
    if motion == "static":
        return 1.0 + (STATIC_ZOOM - 1.0) * e, 0.0, 0.0, 0.0
    raise VidgenError(f"Unknown motion {motion!r}: use one of {', '.join(MOTIONS)}.")


def max_zoom(motion: str, w: int, h: int) -> float:
    return max(camera_at(motion, e, w, h)[0] for e in (0.0, 1.0))


def render_camera_motion(image: str | Path, motion: str, duration: float, fps: int, size: tuple[int, int],
                         out_path: str | Path, *, preset: str = "ultrafast", crf: int = 16,
                         progress: Callable[[float], None] | None = None,
                         cancel: Callable[[], None] | None = None, path: Sequence[CameraKey] = (),
                         motion_blur: bool = False) -> Path:
    """Write an H.264 MP4 (yuv420p, no audio) of round(duration * fps) frames moving over `image`.

    A `path` of two or more keys (camera_path.py) is followed instead of `motion`; `motion_blur`
    averages sub-frames along the move (camera_path.blur_samples). `cancel` is called every few
    frames and may raise (Cancelled); then nothing is left at `out_path` (an earlier file there is
    kept). `progress` gets the fraction of frames done.
    """
    w, h = _check_args(motion, duration, fps, size, crf)
    n = max(1, int(round(duration * fps)))
    check_cancel(cancel)
    src = _load_cover(image, w, h, _zmax(motion, path, w, h))
    out = Path(out_path)
    with atomic_output(out, suffix=".mp4") as tmp:
        with VideoWriter(tmp, w, h, fps, preset=preset, crf=crf) as writer, _Pipe(writer) as pipe:
            for i, frame in enumerate(_frames(src, _view(motion, path, n, w, h), n, w, h, motion_blur)):
                if i % CANCEL_EVERY == 0:
                    check_cancel(cancel)
                pipe.put(frame)
                if progress is not None:
                    progress((i + 1) / n)
    return out


def motion_frames(still: np.ndarray, motion: str, n: int, size: tuple[int, int], *, path: Sequence[CameraKey] = (),
                  motion_blur: bool = False) -> Iterator[np.ndarray]:
    """The n frames (H x W x 3 uint8) of `motion` (or of `path`) over an RGB array, unencoded."""
    w, h = _check_args(motion, 1.0, 1, size, 0)
    src = _cover(np.ascontiguousarray(still[..., :3]), w, h, _zmax(motion, path, w, h))
    return _frames(src, _view(motion, path, n, w, h), n, w, h, motion_blur)


def still_to_frame(image_size: tuple[int, int], motion: str, n: int, size: tuple[int, int], *,
                   path: Sequence[CameraKey] = ()) -> Callable[[int, float, float], tuple[float, float]]:
    """Where a point (x, y) of the still (its own pixels, `image_size` = (w, h)) lands in frame i of the
    n-frame move at `size`: the cover fit, then the view the frame shows (exact, no estimate)."""
    w, h = _check_args(motion, 1.0, 1, size, 0)
    iw, ih = image_size
    k = max(w / iw, h / ih)  # still pixels -> output pixels of the cover-fitted still
    x0, y0 = (iw - w / k) / 2, (ih - h / k) / 2
    view = _view(motion, path, n, w, h)
    return lambda i, x, y: project(view(float(i)), (x - x0) * k, (y - y0) * k, w, h)


def _zmax(motion: str, path: Sequence[CameraKey], w: int, h: int) -> float:
    return path_max_zoom(path, w, h) if len(path) >= 2 else max_zoom(motion, w, h)


def _view(motion: str, path: Sequence[CameraKey], n: int, w: int, h: int) -> Callable[[float], Cam]:
    """The view at frame time u (0 .. n-1, fractional for motion blur's sub-frames)."""
    span = max(1, n - 1)
    if len(path) >= 2:
        return lambda u: path_camera(path, u / span, w, h)
    return lambda u: camera_at(motion, ease(u / span) if n > 1 else 0.0, w, h)


def _warp(src: np.ndarray, cam: Cam, w: int, h: int) -> np.ndarray:
    import cv2

    sx, sy = src.shape[1] / w, src.shape[0] / h  # source pixels per output pixel at zoom 1
    # Bilinear from the oversampled source: cubic quality at bilinear speed.
    return cv2.warpAffine(src, inverse_affine(cam, w, h, sx, sy), (w, h),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT101)


def cover_size(motion: str, size: tuple[int, int], path: Sequence[CameraKey] = ()) -> tuple[int, int]:
    """The (even) size a moving picture is fitted to before `moving_frames` moves over it: the
    output at the move's tightest zoom, so no frame of the move is upscaled."""
    w, h = _check_args(motion, 1.0, 1, size, 0)
    z = _zmax(motion, path, w, h)
    return 2 * math.ceil(w * z / 2), 2 * math.ceil(h * z / 2)


def moving_frames(frames: Iterable[np.ndarray], motion: str, n: int, size: tuple[int, int], *,
                  path: Sequence[CameraKey] = ()) -> Iterator[np.ndarray]:
    """The camera's move over a moving picture: frame i of `frames` (each at `cover_size`) seen
    through the view of frame i of the n-frame move; a shorter source holds its last frame."""
    w, h = _check_args(motion, 1.0, 1, size, 0)
    view = _view(motion, path, n, w, h)
    last = None
    source = iter(frames)
    for i in range(n):
        last = next(source, last)
        if last is None:
            raise VidgenError("The clip to move over has no frames.")
        yield _warp(np.ascontiguousarray(last[..., :3]), view(float(i)), w, h)


def _frames(src: np.ndarray, view: Callable[[float], Cam], n: int, w: int, h: int,
            motion_blur: bool = False) -> Iterator[np.ndarray]:
    def warp(u: float) -> np.ndarray:
        return _warp(src, view(u), w, h)

    for i in range(n):
        samples = blur_samples(view, i, n, w, h) if motion_blur else [(float(i), 1.0)]
        if len(samples) == 1:
            yield warp(samples[0][0])
            continue
        acc = np.zeros((h, w, src.shape[2]), np.float32)
        for u, weight in samples:
            acc += weight * warp(u).astype(np.float32)
        yield np.clip(acc + 0.5, 0, 255).astype(np.uint8)


class _Pipe:
    """Feeds frames to the encoder from a second thread, so warping overlaps the pipe writes.

    cv2 and the pipe write both release the GIL. An encoder error is re-raised in the caller.
    """

    def __init__(self, writer: VideoWriter, depth: int = 3):
        self.writer = writer
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.abandoned = False  # the producer failed: drop what is queued, the file is discarded
        self.thread = threading.Thread(target=self._run, name="vidgen-encode", daemon=True)

    def _run(self) -> None:
        while True:
            frame = self.queue.get()
            if frame is None:
                return
            if self.error is None and not self.abandoned:
                try:
                    self.writer.write(frame)
                except BaseException as e:  # handed to the producer below
                    self.error = e

    def put(self, frame: np.ndarray) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(frame)

    def __enter__(self) -> "_Pipe":
        self.thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.abandoned = exc_type is not None
        self.queue.put(None)
        self.thread.join()
        if exc_type is None and self.error is not None:
            raise self.error


def _check_args(motion: str, duration: float, fps: int, size: tuple[int, int], crf: int) -> tuple[int, int]:
    if motion not in MOTIONS:
        raise VidgenError(f"Unknown motion {motion!r}: use one of {', '.join(MOTIONS)}.")
    if not isinstance(fps, int) or not 1 <= fps <= 120:
        raise VidgenError(f"fps must be a whole number from 1 to 120, not {fps!r}.")
    if not (isinstance(duration, (int, float)) and math.isfinite(duration) and 0 < duration <= 3600):
        raise VidgenError(f"Clip duration must be between 0 and 3600 seconds, not {duration!r}.")
    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        raise VidgenError(f"Video size must be (width, height), not {size!r}.") from None
    if not (16 <= w <= 4096 and 16 <= h <= 4096) or w % 2 or h % 2:
        raise VidgenError(f"Video size {w}x{h} is not usable: both sides must be even, 16 to 4096 pixels.")
    if not 0 <= crf <= 51:
        raise VidgenError(f"crf must be 0 to 51, not {crf!r}.")
    return w, h


def _load_cover(image: str | Path, w: int, h: int, zmax: float) -> np.ndarray:
    """The still, cover-fitted to the output aspect, at `zmax` x OVERSAMPLE the output size.

    At `zmax` the tight end of a zoom stays sharp; the extra 2x (a one-off cubic resample) makes
    the per-frame bilinear warp as clean as a cubic one, since linear interpolation between
    oversampled samples of a smooth image is nearly exact.
    """
    from PIL import ImageOps

    im = open_image(image)
    try:
        rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    finally:
        im.close()
    return _cover(rgb, w, h, zmax)


def _cover(rgb: np.ndarray, w: int, h: int, zmax: float) -> np.ndarray:
    import cv2

    ih, iw = rgb.shape[:2]
    k = zmax * min(OVERSAMPLE, math.sqrt(MAX_SOURCE_PIXELS / (w * h * zmax * zmax)))
    tw, th = int(math.ceil(w * k)), int(math.ceil(h * k))
    # Centre crop box of the output aspect in the still's own pixels.
    if iw * h > ih * w:
        bw, bh = ih * w / h, float(ih)
    else:
        bw, bh = float(iw), iw * h / w
    x0, y0 = (iw - bw) / 2, (ih - bh) / 2
    shrinking = bw > tw
    if all(abs(v - round(v)) < 1e-6 for v in (x0, y0, bw, bh)):  # whole-pixel crop: plain resize
        crop = rgb[int(round(y0)):int(round(y0 + bh)), int(round(x0)):int(round(x0 + bw))]
        return cv2.resize(crop, (tw, th), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)
    # Fractional crop: one affine resample maps the box onto the target exactly.
    a = np.array([[bw / tw, 0, x0 + 0.5 * bw / tw - 0.5], [0, bh / th, y0 + 0.5 * bh / th - 0.5]], np.float64)
    if shrinking:  # pre-blur a little so the downscale does not alias
        sigma = 0.5 * (bw / tw)
        rgb = cv2.GaussianBlur(rgb, (0, 0), sigma)
    return cv2.warpAffine(rgb, a, (tw, th), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REFLECT101)


__all__ = ["choose_motion", "render_camera_motion", "motion_frames", "camera_at", "ease", "rotate_zoom",
           "still_to_frame", "cover_size", "moving_frames"]


def animate(spec: ModelSpec, job: ClipJob, out_path: str | Path, *, progress: Callable[[float], None] | None = None,
            cancel: Callable[[], None] | None = None) -> Path:
    """The animation backend entry point (services/animation/job.py): the camera move over the still, or
    the job's custom path (two or more keys win over `motion`), motion-blurred when the job asks."""
    return render_camera_motion(job.image, job.motion, job.duration, job.fps, job.size, out_path, preset=job.preset,
                                crf=job.crf, progress=progress, cancel=cancel, path=job.path,
                                motion_blur=job.motion_blur)
