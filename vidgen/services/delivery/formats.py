"""The delivery formats: what each one is (container, codecs, kind), and which one a file name or a
--format asks for.

Kinds: "video" (the film encoded again from its scene clips and soundtrack), "audio" (the
soundtrack alone, at the film's loudness), "stems" (dialogue, music and effects as separate WAVs,
aligned to the film) and "preview" (a short, small animation made from the finished MP4).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import VidgenError


@dataclass(frozen=True)
class Format:
    name: str
    ext: str  # of the file written (stems: a .zip of WAVs)
    kind: str  # video | audio | stems | preview
    label: str
    codec: str = ""  # video codec family (encoders.SOFTWARE): h264, hevc, vp9, prores
    container: str = ""  # ffmpeg muxer
    audio: tuple[str, ...] = ()  # ffmpeg audio output arguments


AAC = ("-c:a", "aac", "-b:a", "160k")
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("mp4", ".mp4", "video", "MP4 H.264 + AAC (plays everywhere)", "h264", "mp4", AAC),
    Format("mp4-h265", ".mp4", "video", "MP4 H.265/HEVC + AAC (smaller, newer players)", "hevc", "mp4", AAC),
    Format("webm", ".webm", "video", "WebM VP9 + Opus (the open web)", "vp9", "webm",
           ("-c:a", "libopus", "-b:a", "128k")),
    Format("mov", ".mov", "video", "MOV ProRes 422 + PCM (for editing)", "prores", "mov", ("-c:a", "pcm_s16le")),
    Format("gif", ".gif", "preview", "animated GIF preview (short, small)"),
    Format("webp", ".webp", "preview", "animated WebP preview (short, small)"),
    Format("wav", ".wav", "audio", "the soundtrack as WAV (16-bit PCM)", container="wav", audio=("-c:a", "pcm_s16le")),
    Format("mp3", ".mp3", "audio", "the soundtrack as MP3 (192 kbit/s)", container="mp3",
           audio=("-c:a", "libmp3lame", "-b:a", "192k")),
    Format("stems", ".zip", "stems", "stems: dialogue, music and effects WAVs aligned to the film"),
)}
BY_EXT = {".mp4": "mp4", ".webm": "webm", ".mov": "mov", ".gif": "gif", ".webp": "webp", ".wav": "wav",
          ".mp3": "mp3", ".zip": "stems"}
PREVIEW_SECONDS = 12.0  # a preview shows at most the film's first this many seconds
PREVIEW_WIDTH = 480
PREVIEW_FPS = 12


def format_named(name: str) -> Format:
    """The format of a --format name; a clear error naming the formats otherwise."""
    fmt = FORMATS.get(str(name).strip().lower())
    if fmt is None:
        raise VidgenError(f"Unknown format {name!r}: use one of {', '.join(FORMATS)}.")
    return fmt


def format_for(path: str | Path, name: str = "") -> Format:
    """The format an output path asks for by its extension, or `name` when given (which must then
    fit the extension: out.webm cannot hold ProRes)."""
    ext = Path(path).suffix.lower()
    if name:
        fmt = format_named(name)
        if ext and ext != fmt.ext:
            raise VidgenError(f"The output {Path(path).name} ends in {ext}, but the {fmt.name} format writes "
                              f"{fmt.ext}: name the file {Path(path).stem}{fmt.ext}.")
        return fmt
    if ext not in BY_EXT:
        known = ", ".join(sorted(BY_EXT))
        raise VidgenError(f"Cannot tell the format of {Path(path).name}: end the name in one of {known} "
                          "(or pass --format).")
    return FORMATS[BY_EXT[ext]]
