"""A logo or a line of text over the whole film, in one corner.

The image is checked and copied into the work folder as `asm-logo.png` (RGBA, bounded size), so
the graph names only that; it is one extra `-i` input, scaled and faded once, and `overlay`
repeats its single frame to the end. A text watermark is a TextOverlay in the overlay ASS (never
drawtext), so its words travel only through that file too.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from ...errors import VidgenError
from .overlay_text import ASPECTS, TextStyle, aspect_of, bad, check_number, check_size, check_text, text_width
from .overlays import TextOverlay

LOGO = "asm-logo.png"  # fixed name in the work folder
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
MAX_PIXELS = 40_000_000  # of the image given
MAX_SIDE = 2048  # the staged copy's longer side: enough for a 4K film at scale 0.5
MAX_TEXT = 100
TEXT_HEIGHT = 0.08  # a text watermark's font size at most, over the frame height
_LABEL = re.compile(r"[A-Za-z0-9_:]+")


@dataclass(frozen=True)
class Watermark:
    """`image` (a file) or `text`, in `corner`; `margin`: gap to both edges over the frame's shorter
    side; `opacity` 0..1 (multiplies the image's own alpha); `scale`: width over the frame width."""

    image: str | None = None
    text: str | None = None
    corner: str = "bottom-right"
    margin: float = 0.03
    opacity: float = 0.8
    scale: float = 0.12

    def __post_init__(self) -> None:
        if (self.image is None) == (self.text is None):
            raise VidgenError("Watermark: give an image or a text (one of them).")
        if self.image is not None and (not isinstance(self.image, str) or not self.image.strip()):
            raise bad("Watermark", "image", self.image, "the path of an image file")
        if self.text is not None:
            check_text("Watermark", "text", self.text, MAX_TEXT)
        if self.corner not in CORNERS:
            raise bad("Watermark", "corner", self.corner, "one of " + ", ".join(CORNERS))
        check_number("Watermark", "margin", self.margin, 0.0, 0.25)
        check_number("Watermark", "opacity", self.opacity, 0.0, 1.0)
        check_number("Watermark", "scale", self.scale, 0.01, 0.5)


def stage_watermark(wm: Watermark, work_dir: str | os.PathLike) -> str | None:
    """Copy the logo into `work_dir` as asm-logo.png (RGBA, EXIF-upright, at most MAX_SIDE px);
    return that name, or None for a text watermark."""
    if wm.image is None:
        return None
    from PIL import Image, ImageOps, UnidentifiedImageError

    src = Path(wm.image)
    name = src.name[:60]
    if not src.is_file():
        raise VidgenError(f"Watermark: the image {name} does not exist.")
    too_big = f"Watermark: {name} is too large; use an image of at most {MAX_PIXELS // 1_000_000} megapixels."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(src) as im:
                if im.width * im.height > MAX_PIXELS:
                    raise VidgenError(too_big)
                im.load()
                rgba = ImageOps.exif_transpose(im).convert("RGBA")
    except Image.DecompressionBombError:
        raise VidgenError(too_big) from None
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
        raise VidgenError(f"Watermark: {name} is not an image that can be read; use a PNG, JPEG or WebP.") from None
    if max(rgba.size) > MAX_SIDE:
        rgba.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    dest = Path(work_dir) / LOGO
    dest.parent.mkdir(parents=True, exist_ok=True)
    rgba.save(dest, format="PNG")
    return LOGO


def watermark_inputs(wm: Watermark | None) -> list[str]:
    """The extra ffmpeg input (after the scene clips; ffmpeg runs in the work folder): one still frame."""
    return ["-i", LOGO] if wm is not None and wm.image is not None else []


def _label(value: str) -> str:
    if not isinstance(value, str) or not _LABEL.fullmatch(value):
        raise VidgenError(f"Watermark: a filter label must be letters, digits, _ or :, not {str(value)[:40]!r}.")
    return value


def watermark_filter(wm: Watermark, size: tuple[int, int], input_label: str, video_label: str,
                     out_label: str) -> str:
    """filter_complex text: the logo input `input_label` (e.g. "3:v") scaled to `scale` of the frame
    width, its alpha times `opacity`, over `video_label` in its corner, as `out_label`. Only labels
    and numbers: no file name or text. For an image watermark only (text: watermark_text)."""
    if wm.image is None:
        raise VidgenError("Watermark: a text watermark is drawn by the overlay ASS, not by a filter.")
    w, h = check_size(size)
    src, video, out = _label(input_label), _label(video_label), _label(out_label)
    logo_w = max(2, round(wm.scale * w))
    m = round(wm.margin * min(w, h))
    x = str(m) if wm.corner.endswith("left") else f"main_w-overlay_w-{m}"
    y = str(m) if wm.corner.startswith("top") else f"main_h-overlay_h-{m}"
    logo = f"{out}_logo"
    return (f"[{src}]format=rgba,scale={logo_w}:-1,colorchannelmixer=aa={wm.opacity:.4f}[{logo}];"
            f"[{video}][{logo}]overlay=x={x}:y={y}:eof_action=repeat:format=auto[{out}]")


def watermark_text(wm: Watermark, size: tuple[int, int], duration: float) -> TextOverlay | None:
    """A text watermark as a TextOverlay over [0, duration], about `scale` of the frame width wide
    (at most TEXT_HEIGHT of its height tall), at `opacity`; None for an image watermark."""
    if wm.text is None:
        return None
    w, h = check_size(size)
    check_number("Watermark", "duration", duration, 0.0, above=True)
    per_px = max(1e-6, text_width(" ".join(wm.text.split()), 1.0, True) + 0.08)
    px = min(wm.scale * w / per_px, TEXT_HEIGHT * h)
    rel = px / (h * ASPECTS[aspect_of((w, h))].scale)
    alpha = round(wm.opacity * 255)
    style = TextStyle(size=min(0.25, max(0.02, round(rel, 4))), colour=f"#FFFFFF{alpha:02X}", outline=0.04,
                      outline_colour=f"#000000{round(alpha * 0.8):02X}", bold=True)
    return TextOverlay(" ".join(wm.text.split()), wm.corner, 0.0, float(duration), style, margin=wm.margin, fade=0.0)
