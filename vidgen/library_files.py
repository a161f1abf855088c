"""The library's file checks: what kind a file is (image, video, audio, font, lut, lora), checked by
decoding it as a render would, its facts (size in pixels, length ...) and its preview PNG (a
thumbnail, a video's first frame, a waveform, a font sample). Plain files in, plain data out; the
records are vidgen/library.py's.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .domain import MAX_FILM_MINUTES
from .errors import VidgenError
from .media import decode_audio, probe
from .services.assembly.caption_style import caption_style, font_family
from .services.assembly.grade import check_lut
from .services.images.files import open_image
from .services.sfx.library import MIN_SECONDS
from .services.sfx.user import FORMATS, SILENT_PEAK

KINDS = ("image", "video", "audio", "font", "lut", "lora")
STORE_TYPES = {"image": "image", "video": "video", "audio": "audio", "font": "data", "lut": "data", "lora": "data"}
EXTENSIONS = {
    "image": (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"),
    "video": (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi"),
    "audio": (".wav", ".mp3", ".ogg", ".oga", ".flac", ".m4a", ".aac", ".opus"),
    "font": (".ttf", ".otf"),
    "lut": (".cube",),
    "lora": (".safetensors",),
}
BY_EXTENSION = {ext: kind for kind, exts in EXTENSIONS.items() for ext in exts}
PREVIEW_SIDE = 256  # thumbnails fit in a 256 x 256 box
WAVE_SIZE = (256, 64)  # waveform width, height
WAVE_RATE = 8000  # Hz the waveform (and the audio check) decodes at: the envelope needs no more
MAX_MEDIA_SECONDS = MAX_FILM_MINUTES * 60.0  # nothing longer than the longest film is of use
SAFETENSORS_HEADER_MAX = 100 * 2 ** 20  # what the safetensors library itself accepts
WAVE_BG, WAVE_LINE, WAVE_FG = (24, 26, 32), (70, 74, 84), (98, 178, 255)


@dataclass
class Checked:
    """A file that decoded as `kind`: its facts (width, height, duration ...) and preview PNG (b"" if none)."""

    kind: str
    facts: dict[str, Any] = field(default_factory=dict)
    preview: bytes = b""


def check_kind(kind: Any) -> str:
    """"" (detect it) or one of KINDS; anything else is a one-line VidgenError."""
    if kind in ("", None):
        return ""
    if not isinstance(kind, str) or kind.strip().lower() not in KINDS:
        raise VidgenError(f"Unknown asset kind {str(kind)[:40]!r}: use one of {', '.join(KINDS)} (or leave it "
                          "empty to tell it from the file).")
    return kind.strip().lower()


def check_file(path: str | os.PathLike, kind: str = "", name: str = "") -> Checked:
    """Decode the file as `kind` (given: verified; "": told from its extension, else by trying each
    decoder); VidgenError says what the file is not and what to give instead."""
    p = Path(path)
    name = name or p.name
    kind = check_kind(kind)
    if kind:
        return _CHECKS[kind](p, name)
    guess = BY_EXTENSION.get(p.suffix.lower())
    if guess:
        return _CHECKS[guess](p, name)
    # An unknown extension: a picture or media file, whichever decodes. Fonts, LUTs and LoRAs are
    # named by their extension, which the stored copy keeps for the libraries that load it.
    for trial in ("image", "video", "audio"):
        try:
            return _CHECKS[trial](p, name)
        except VidgenError:
            continue
    raise VidgenError(f"Cannot tell what {name} is: it is no image, video or audio file; give its kind or a file "
                      f"with a known extension ({', '.join(sorted(BY_EXTENSION))}).")


# --- the checks, one per kind ------------------------------------------------------------------

def _image(p: Path, name: str) -> Checked:
    im = open_image(p)  # fully decoded, bounded in pixels (the scene-picture check)
    try:
        width, height = im.size
        return Checked("image", {"width": width, "height": height}, thumbnail_png(im))
    finally:
        im.close()


def _video(p: Path, name: str) -> Checked:
    info = probe(p)
    if info.video is None or not info.video.width:
        raise VidgenError(f"{name} has no video in it: give an MP4, MOV, WebM or MKV clip.")
    if info.duration <= 0.0:
        raise VidgenError(f"{name} is a still picture, not a clip: upload a video (MP4, MOV, WebM or MKV), or "
                          "use the picture as the scene's image.")
    if not 0.0 < info.duration <= MAX_MEDIA_SECONDS:
        raise VidgenError(f"{name} lasts {info.duration:.1f} s: a clip must last more than 0 and at most "
                          f"{MAX_MEDIA_SECONDS / 60:.0f} minutes.")
    frame = first_frame(p, name)
    facts = {"width": info.video.width, "height": info.video.height, "duration": round(info.duration, 3),
             "fps": round(info.video.fps, 3), "audio": info.audio is not None}
    return Checked("video", facts, thumbnail_png(frame))


def _audio(p: Path, name: str) -> Checked:
    try:
        info = probe(p)
    except VidgenError:
        raise VidgenError(f"{name} is not audio ffmpeg can read: give a {FORMATS} file.") from None
    if info.audio is None:
        raise VidgenError(f"{name} has no audio in it: give a {FORMATS} file.")
    if info.duration > MAX_MEDIA_SECONDS:
        raise VidgenError(f"{name} lasts {info.duration / 60:.0f} minutes: at most {MAX_MEDIA_SECONDS / 60:.0f} "
                          "minutes of audio are of use; trim it.")
    samples = decode_audio(p, WAVE_RATE, what=name)
    seconds = samples.size / WAVE_RATE
    if seconds < MIN_SECONDS:
        raise VidgenError(f"{name} is only {seconds * 1000:.0f} ms long: use at least {MIN_SECONDS * 1000:.0f} ms "
                          "of sound.")
    if not np.all(np.isfinite(samples)) or float(np.max(np.abs(samples))) < SILENT_PEAK:
        raise VidgenError(f"{name} is silent: nothing in it is louder than -80 dBFS.")
    facts = {"duration": round(seconds, 3), "sample_rate": info.audio.sample_rate, "channels": info.audio.channels}
    return Checked("audio", facts, waveform_png(samples))


def _font(p: Path, name: str) -> Checked:
    if p.suffix.lower() not in EXTENSIONS["font"]:  # the captions install it under its own extension
        raise VidgenError(f"{name} is not a .ttf or .otf file: give the font as one.")
    try:
        family = font_family(caption_style(font=str(p)))  # as the captions will load it
    except VidgenError:
        raise VidgenError(f"{name} is not a font the captions can use: give a .ttf or .otf file.") from None
    return Checked("font", {"family": family}, font_sample_png(p))


def _lut(p: Path, name: str) -> Checked:
    return Checked("lut", {"points": check_lut(p)})  # the message names the file and the fault


def _lora(p: Path, name: str) -> Checked:
    bad = f"{name} is not a readable .safetensors file"
    if p.suffix.lower() != ".safetensors":
        raise VidgenError(f"{name} is not a .safetensors file: LoRAs are taken as .safetensors only.")
    size = p.stat().st_size
    try:
        with open(p, "rb") as f:  # a bounded read: the header's length comes first
            head = f.read(8)
            length = int.from_bytes(head, "little") if len(head) == 8 else 0
            if not 2 <= length <= min(SAFETENSORS_HEADER_MAX, size - 8):
                raise VidgenError(f"{bad}: its header is missing or damaged.")
            header = json.loads(f.read(length))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise VidgenError(f"{bad}: its header is not JSON.") from None
    if not isinstance(header, dict):
        raise VidgenError(f"{bad}: its header is not a table of tensors.")
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    if not tensors:
        raise VidgenError(f"{name} holds no tensors: give the LoRA's weights file.")
    _check_offsets(tensors, size - 8 - length, bad)
    try:
        from safetensors import safe_open  # the well-kept reader, where installed: its own full check
    except ImportError:
        safe_open = None
    if safe_open is not None:
        try:
            with safe_open(str(p), framework="numpy") as st:
                count = len(list(st.keys()))
        except Exception as exc:  # SafetensorError is not importable by a stable name
            raise VidgenError(f"{bad}: {str(exc).splitlines()[0][:120]}.") from None
    else:
        count = len(tensors)
    meta = header.get("__metadata__") if isinstance(header.get("__metadata__"), dict) else {}
    return Checked("lora", {"tensors": count, "base_model": str(meta.get("ss_base_model_version", ""))[:80]})


def _check_offsets(tensors: dict[str, Any], data_bytes: int, bad: str) -> None:
    """Each tensor's [begin, end) lies in the data block, and together they fill it."""
    end = 0
    for key, info in tensors.items():
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= data_bytes):
            raise VidgenError(f"{bad}: tensor {str(key)[:40]!r} lies outside the file.")
        end = max(end, offsets[1])
    if end != data_bytes:
        raise VidgenError(f"{bad}: its data is {data_bytes} bytes, its tensors name {end}.")


_CHECKS: dict[str, Callable[[Path, str], Checked]] = {
    "image": _image, "video": _video, "audio": _audio, "font": _font, "lut": _lut, "lora": _lora}


# --- previews ----------------------------------------------------------------------------------

def first_frame(path: str | os.PathLike, name: str):
    """The first decodable frame of a video as a PIL image (decoding it is part of the check)."""
    import av

    try:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                return frame.to_image()
    except (av.error.FFmpegError, IndexError, ValueError):  # type: ignore[attr-defined]
        pass
    raise VidgenError(f"{name}: no frame of its video decodes: give an MP4, MOV, WebM or MKV clip.")


def thumbnail_png(image) -> bytes:
    """A PIL image (EXIF orientation applied) shrunk to fit PREVIEW_SIDE, as PNG bytes; never enlarged."""
    from PIL import Image, ImageOps

    im = ImageOps.exif_transpose(image)
    alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    im = im.convert("RGBA" if alpha else "RGB")
    im.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS)
    return _png(im)


def waveform_png(samples: np.ndarray) -> bytes:
    """Mono samples as a WAVE_SIZE picture: a bar per column, its height the column's peak relative
    to the file's peak, over a thin centre line (a silent stretch shows only the line)."""
    from PIL import Image

    width, height = WAVE_SIZE
    columns = np.array_split(np.abs(np.asarray(samples, np.float32)), width)
    peaks = np.array([float(c.max()) if c.size else 0.0 for c in columns])
    top = float(peaks.max()) or 1.0
    half = height // 2
    reach = np.round(peaks / top * (half - 1)).astype(int)
    reach[peaks < SILENT_PEAK] = 0
    rows = np.abs(np.arange(height) - half)[:, None]  # distance of each row from the centre
    img = np.empty((height, width, 3), np.uint8)
    img[:] = WAVE_BG
    img[half] = WAVE_LINE
    img[(rows <= reach[None, :]) & (reach[None, :] > 0)] = WAVE_FG
    return _png(Image.fromarray(img, "RGB"))


def font_sample_png(path: str | os.PathLike) -> bytes:
    """"Aa Bb 123" in the font on a light card, PREVIEW_SIDE wide."""
    from PIL import Image, ImageDraw, ImageFont

    text, size = "Aa Bb Gg 123", 48
    font = ImageFont.truetype(str(path), size)
    while size > 8 and font.getlength(text) > PREVIEW_SIDE - 16:
        size -= 4
        font = ImageFont.truetype(str(path), size)
    im = Image.new("RGB", (PREVIEW_SIDE, 96), (245, 245, 240))
    ImageDraw.Draw(im).text((PREVIEW_SIDE // 2, 48), text, font=font, fill=(20, 20, 20), anchor="mm")
    return _png(im)


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()
