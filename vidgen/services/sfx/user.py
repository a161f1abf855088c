"""A user's own sound file in place of a built-in one: checked before it is trusted (it is audio,
of a length the mixer can hold, not silent) with a one-line reason when it is not. The length is
read from the container first, so a three-hour file is refused without being decoded."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ...errors import VidgenError
from ...media import decode_audio, probe
from .library import MAX_SECONDS, MIN_SECONDS

MAX_SOUND_BYTES = 200 * 2 ** 20
SILENT_PEAK = 10 ** (-80 / 20)  # dBFS: nothing louder than this is taken for silence
SLACK = 0.1  # s a container may misstate its length by (encoder padding)
FORMATS = "WAV, MP3, OGG, FLAC or M4A"


def user_sound(path: str | os.PathLike, rate: int = 48000, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """The file's audio as mono float32 at `rate`, at its own level; VidgenError says what to fix."""
    p = Path(path)
    if not p.is_file():
        raise VidgenError(f"Sound file {p.name} not found: give a {FORMATS} file.")
    if p.stat().st_size > MAX_SOUND_BYTES:
        raise VidgenError(f"Sound file {p.name} is over {MAX_SOUND_BYTES // 2 ** 20} MB: "
                          "use a shorter or compressed file.")
    try:
        info = probe(p)
    except VidgenError as e:
        raise VidgenError(f"Sound file {p.name} is not audio ffmpeg can read: give a {FORMATS} file.") from e
    if info.audio is None:
        raise VidgenError(f"Sound file {p.name} has no audio in it: give a {FORMATS} file.")
    too_long = f"is longer than {max_seconds:g} s: trim it (a scene's sound is at most {max_seconds:g} s)."
    if info.duration > max_seconds + SLACK:
        raise VidgenError(f"Sound file {p.name} ({info.duration:.0f} s) {too_long}")
    audio = decode_audio(p, rate, what=p.name)
    seconds = audio.size / rate
    if seconds > max_seconds + SLACK:
        raise VidgenError(f"Sound file {p.name} ({seconds:.0f} s) {too_long}")
    if seconds < MIN_SECONDS:
        raise VidgenError(f"Sound file {p.name} is only {seconds * 1000:.0f} ms long: use at least "
                          f"{MIN_SECONDS * 1000:.0f} ms of sound.")
    if not np.all(np.isfinite(audio)) or float(np.max(np.abs(audio))) < SILENT_PEAK:
        raise VidgenError(f"Sound file {p.name} is silent: nothing in it is louder than -80 dBFS.")
    return audio
