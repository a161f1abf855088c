"""The user's own video clip as a scene's moving picture: looped or cut to the scene's length, scaled
and cropped to fill the frame, at the film's fps, without its sound (the voice and mix are the
film's), with the camera's move on top where the scene chooses one; and its first frame as the
scene's still (thumbnails)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from ... import media
from ...domain import CameraKey
from ...errors import VidgenError
from .camera import cover_size, moving_frames

MAX_CLIP_SECONDS = 3600.0


def _fill(size: tuple[int, int], fps: int) -> str:
    w, h = size
    return f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1,fps={fps},format=yuv420p"


def fit_user_clip(src: str | Path, duration: float, fps: int, size: tuple[int, int], out_path: str | Path, *,
                  preset: str = "ultrafast", crf: int = 15, cancel: Callable[[], None] | None = None,
                  motion: str = "", path: Sequence[CameraKey] = ()) -> Path:
    """`duration` seconds of the clip at `size` and `fps` (a shorter clip loops from its start); with a
    `motion` (or a `path` of two or more keys) the camera moves over the playing clip."""
    info = media.probe(src)
    if info.video is None:
        raise VidgenError(f"{Path(src).name} has no video in it: give an MP4, MOV, WebM or MKV clip.")
    if not 0 < info.duration <= MAX_CLIP_SECONDS:
        raise VidgenError(f"{Path(src).name} lasts {info.duration:.1f} s: use a clip of at most an hour.")
    out = Path(out_path)
    if not motion and len(path) < 2:
        with media.atomic_output(out) as tmp:
            _fit(src, info.duration, duration, fps, size, tmp, preset, crf, cancel)
        return out
    move = motion or "static"
    n = max(1, int(round(duration * fps)))
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".clip-", dir=out.parent) as scratch:
        # fitted first at the move's tightest zoom, then each frame warped as the camera sees it
        fitted = _fit(src, info.duration, duration, fps, cover_size(move, size, path), Path(scratch) / "fit.mp4",
                      "ultrafast", 12, cancel)
        with media.atomic_output(out, suffix=".mp4") as tmp, \
                media.VideoWriter(tmp, *size, fps, preset=preset, crf=crf, cancel=cancel) as writer:
            for frame in moving_frames(_decoded(fitted), move, n, size, path=path):
                writer.write(frame)
    return out


def _fit(src: str | Path, seconds: float, duration: float, fps: int, size: tuple[int, int], out: str | Path,
         preset: str, crf: int, cancel: Callable[[], None] | None) -> Path:
    loop = ["-stream_loop", "-1"] if seconds < duration else []
    media.run_ffmpeg([*loop, "-i", str(Path(src).resolve()), "-vf", _fill(size, fps), "-t", f"{duration:.3f}",
                      "-an", "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
                      "-f", "mp4", str(Path(out).resolve())],
                     duration=duration, cancel=cancel, what="your clip")
    return Path(out)


def _decoded(clip: Path) -> Iterator[np.ndarray]:
    import av

    with av.open(str(clip)) as c:
        for frame in c.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def clip_still(src: str | Path, size: tuple[int, int], out_path: str | Path) -> Path:
    """The clip's first frame filling `size`, as a PNG."""
    out = Path(out_path)
    with media.atomic_output(out) as tmp:
        media.run_ffmpeg(["-i", str(Path(src).resolve()), "-vf", _fill(size, 25), "-frames:v", "1", "-f", "image2",
                          "-c:v", "png", str(Path(tmp).resolve())], what="your clip's first frame")
    return out


__all__ = ["fit_user_clip", "clip_still", "MAX_CLIP_SECONDS"]
