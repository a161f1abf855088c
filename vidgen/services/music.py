"""Music for the film. So far: the user's own file, checked by decoding; a later issue adds
the built-in composer and MusicGen."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import VidgenError
from ..media import probe

MAX_MUSIC_BYTES = 200 * 1024 * 1024


def check_music_file(path: str | os.PathLike) -> float:
    """Return the music's duration in seconds; VidgenError if it is missing or not audio."""
    p = Path(path)
    if not p.is_file():
        raise VidgenError(f"Music file {p} not found: give a path to a WAV, MP3, OGG, FLAC or M4A file, or 'none'.")
    if p.stat().st_size > MAX_MUSIC_BYTES:
        raise VidgenError(f"Music file {p.name} is over {MAX_MUSIC_BYTES // 2**20} MB: use a shorter or compressed file.")
    try:
        info = probe(p)
    except VidgenError as e:
        raise VidgenError(f"Cannot read the music file {p.name}: it is not an audio file ffmpeg can decode.") from e
    if info.audio is None:
        raise VidgenError(f"The music file {p.name} has no audio stream.")
    if info.duration < 0.5:
        raise VidgenError(f"The music file {p.name} is too short ({info.duration:.2f} s): use at least a second of music.")
    return info.duration
