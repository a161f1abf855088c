"""Image files: decoding and checking the user's pictures, cover-fitting, writing PNGs.

Shared by the painter, the diffusers backend and the camera, below the images front (no cycles).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ...errors import VidgenError
from ...media import atomic_output

MAX_PIXELS = 40_000_000
MIN_SIDE, MAX_SIDE = 64, 4096


def check_image(path: str | Path) -> tuple[int, int]:
    """Decode `path` fully; return its (width, height). VidgenError if it is not a usable image."""
    im = open_image(path)
    try:
        return im.size
    finally:
        im.close()


def cover_fit(image, size: tuple[int, int]):
    """A PIL image scaled to cover exactly `size` and centre-cropped: one Lanczos resample from
    the source box of the target aspect."""
    from PIL import Image

    w, h = size
    sw, sh = image.size
    if (sw, sh) == (w, h):
        return image
    if sw * h > sh * w:
        bw = sh * w / h
        box = ((sw - bw) / 2, 0.0, (sw + bw) / 2, float(sh))
    else:
        bh = sw * h / w
        box = (0.0, (sh - bh) / 2, float(sw), (sh + bh) / 2)
    return image.resize((w, h), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def fit_user_image(src: str | Path, size: tuple[int, int], out_path: str | Path) -> Path:
    """Cover-fit the user's image to exactly `size` (EXIF orientation applied) and write a PNG."""
    from PIL import Image, ImageOps

    w, h = _check_size(size)
    im = open_image(src)
    try:
        im = ImageOps.exif_transpose(im)
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            rgba = im.convert("RGBA")
            bg = Image.new("RGBA", rgba.size, (0, 0, 0, 255))  # transparent parts become black
            im = Image.alpha_composite(bg, rgba)
        out = cover_fit(im.convert("RGB"), (w, h))
        return _write_png(np.asarray(out), out_path)
    finally:
        im.close()


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        raise VidgenError(f"Image size must be (width, height), not {size!r}.") from None
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise VidgenError(f"Image size {w}x{h} is out of range: each side must be {MIN_SIDE} to {MAX_SIDE} pixels.")
    return w, h


def open_image(path: str | Path):
    """Open and fully decode an image with Pillow (caller closes it); every failure is a VidgenError."""
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    name = p.name
    if not p.is_file():
        raise VidgenError(f"{name} does not exist or is not a file.")
    if p.stat().st_size == 0:
        raise VidgenError(f"{name} is empty: upload a PNG, JPEG or WebP image.")
    try:
        im = Image.open(p)
    except Image.DecompressionBombError:
        raise VidgenError(f"{name} is too large: at most {MAX_PIXELS // 1_000_000} megapixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise VidgenError(f"{name} is not a readable image: {_reason(e)}.") from None
    w, h = im.size
    if w * h > MAX_PIXELS:
        im.close()
        raise VidgenError(f"{name} is too large ({w}x{h}): at most {MAX_PIXELS // 1_000_000} megapixels.")
    if w == 0 or h == 0:
        im.close()
        raise VidgenError(f"{name} is empty (0 pixels).")
    try:
        im.load()  # the real check: decode every pixel (catches truncated files)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        im.close()
        raise VidgenError(f"{name} is not a readable image: {_reason(e)}.") from None
    return im


def _reason(e: Exception) -> str:
    text = str(e).split("\n")[0].strip().rstrip(".")
    text = re.sub(r" '[^']*'$", "", text)  # Pillow appends the full path; the name is enough
    return text or e.__class__.__name__


def _write_png(frame: np.ndarray, out_path: str | Path) -> Path:
    from PIL import Image

    out = Path(out_path)
    with atomic_output(out, suffix=".png") as tmp:
        # Level 1: these frames are intermediates; the dither makes higher levels slow for little gain.
        Image.fromarray(frame, "RGB").save(tmp, format="PNG", compress_level=1)
    return out
