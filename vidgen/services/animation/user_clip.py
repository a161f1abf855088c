"""The user's own video clip as a scene's moving picture: looped or cut to the scene's length, scaled
and cropped to fill the frame, at the film's fps, without its sound (the voice and mix are the
film's); and its first frame as the scene's still (thumbnails, face finding for lip sync)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ... import media
from ...errors import VidgenError

MAX_CLIP_SECONDS = 3600.0


def _fill(size: tuple[int, int], fps: int) -> str:
    w, h = size
    return f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1,fps={fps},format=yuv420p"


def fit_user_clip(src: str | Path, duration: float, fps: int, size: tuple[int, int], out_path: str | Path, *,
                  preset: str = "ultrafast", crf: int = 15, cancel: Callable[[], None] | None = None) -> Path:
    """`duration` seconds of the clip at `size` and `fps` (a shorter clip loops from its start)."""
    info = media.probe(src)
    if info.video is None:
        raise VidgenError(f"{Path(src).name} has no video in it: give an MP4, MOV, WebM or MKV clip.")
    if not 0 < info.duration <= MAX_CLIP_SECONDS:
        raise VidgenError(f"{Path(src).name} lasts {info.duration:.1f} s: use a clip of at most an hour.")
    out = Path(out_path)
    loop = ["-stream_loop", "-1"] if info.duration < duration else []
    with media.atomic_output(out) as tmp:
        media.run_ffmpeg([*loop, "-i", str(Path(src).resolve()), "-vf", _fill(size, fps), "-t", f"{duration:.3f}",
                          "-an", "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
                          "-f", "mp4", str(Path(tmp).resolve())],
                         duration=duration, cancel=cancel, what="your clip")
    return out


def clip_still(src: str | Path, size: tuple[int, int], out_path: str | Path) -> Path:
    """The clip's first frame filling `size`, as a PNG."""
    out = Path(out_path)
    with media.atomic_output(out) as tmp:
        media.run_ffmpeg(["-i", str(Path(src).resolve()), "-vf", _fill(size, 25), "-frames:v", "1", "-f", "image2",
                          "-c:v", "png", str(Path(tmp).resolve())], what="your clip's first frame")
    return out


__all__ = ["fit_user_clip", "clip_still", "MAX_CLIP_SECONDS"]
