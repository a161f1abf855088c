"""Music for the film: the user's own file (checked by decoding), or a score generated per mood.

`score_film` takes the film as consecutive mood segments (scenes with one mood merged by the
caller), makes one piece per segment with the model's backend, picked by its `backend` through
models/backends.py (the built-in composer, composer.py, or MusicGen, musicgen.py: each exposes
`check_score` and `piece`), and joins them with equal-power crossfades centred on the
segment boundaries, so the music changes with the story without gaps or jumps:

    score_film([("calm", 14.0), ("tense", 22.5)], "music.wav", seed=3)

The result is exactly as long as the segments together (to the sample), fades in at the start
and out at the end, and the same arguments give the same bytes.

The backends' shared result type and audio helpers live in audio.py. Nothing heavy is imported
at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ...domain import MOODS
from ...errors import VidgenError
from ...media import CancelFn, ProgressFn, atomic_output, check_cancel, probe, write_wav
from ...models import backends
from ...models.registry import ModelSpec, packaged
from .audio import MusicResult, fade_edges, normalize  # noqa: F401  (part of this API)

MAX_MUSIC_BYTES = 200 * 1024 * 1024
FILM_FADE_IN_SECONDS = 1.0
FILM_FADE_OUT_SECONDS = 3.0
MIN_SEGMENT_SECONDS = 1.0


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


# --- the film's score ------------------------------------------------------------------------

def _check_segments(segments: list[tuple[str, float]]) -> list[tuple[str, float]]:
    if not segments:
        raise VidgenError("The film has no scenes to score.")
    out = []
    for i, seg in enumerate(segments, 1):
        try:
            mood, seconds = seg
        except (TypeError, ValueError):
            raise VidgenError(f"Music segment {i} must be (mood, seconds), not {seg!r}.") from None
        if mood not in MOODS:
            raise VidgenError(f"Music segment {i}: unknown mood {mood!r}; use one of {', '.join(MOODS)}.")
        if not isinstance(seconds, (int, float)) or not seconds >= MIN_SEGMENT_SECONDS:
            raise VidgenError(f"Music segment {i} must last at least {MIN_SEGMENT_SECONDS:g} s, not {seconds!r}.")
        out.append((mood, float(seconds)))
    return out


def _layout(lengths: list[float], crossfade: float) -> tuple[list[float], list[float]]:
    """(boundaries, crossfade per boundary) in seconds. A crossfade takes at most half of either
    neighbour, so two crossfades never overlap inside one segment; the film's ends have none."""
    bounds = [0.0]
    for s in lengths:
        bounds.append(bounds[-1] + s)
    fades = [0.0] + [min(crossfade, 0.5 * min(a, b)) for a, b in zip(lengths, lengths[1:])] + [0.0]
    return bounds, fades


def _segment_seed(seed: int, index: int) -> int:
    return (seed * 1_000_003 + index) % 2**31


COMPOSER = "composer"  # the built-in composer's registry record: the score's model when none is given


def _runtime(spec: ModelSpec) -> ModuleType:
    """The backend module that scores with `spec` (a music ModelSpec), picked by its `backend`
    through models/backends.py's table."""
    if getattr(spec, "kind", None) != "music":
        known = ", ".join(b for k, b in backends.RUNTIMES if k == "music")
        raise VidgenError(f"Model '{spec.id}' runs on '{spec.backend}', not a music backend ({known}).")
    return backends.runtime(spec)


def _crossfade_ready(audio: np.ndarray, n: int, fade_in: int, fade_out: int) -> np.ndarray:
    """A copy exactly `n` samples long (backends round lengths on their own; at most a sample
    differs) with equal-power (sin/cos) ramps over its first `fade_in` and last `fade_out`."""
    piece = np.zeros(n, dtype=np.float32)
    piece[: min(n, len(audio))] = audio[:n]
    if fade_in:
        piece[:fade_in] *= np.sin(np.linspace(0.0, np.pi / 2, fade_in, dtype=np.float32))
    if fade_out:
        piece[n - fade_out:] *= np.cos(np.linspace(0.0, np.pi / 2, fade_out, dtype=np.float32))
    return piece


def score_film(segments: list[tuple[str, float]], out_wav: str | Path, *, model: Any = None, genre: str = "",
               tempo: float = 0, key: str = "", instruments: list[int] | None = None, seed: int = 0,
               crossfade: float = 2.0,
               progress: ProgressFn | None = None, cancel: CancelFn | None = None,
               cache: Any = None) -> MusicResult:
    """Score consecutive (mood, seconds) segments into one WAV, `sum(seconds)` long.

    `model`: a registry ModelSpec; None or backend "composer" = the built-in composer, backend
    "transformers-musicgen" = MusicGen through the model cache. `genre`/`tempo`/`key`/`instruments`
    (General MIDI programs: melody, chords, bass, pad) apply to every segment ("" / 0 / [] = each
    mood's own). Segments are joined by equal-power crossfades of
    `crossfade` seconds centred on the boundaries. `progress(fraction)` as segments complete
    (per decoding step with MusicGen); `cancel()` between bars / steps stops it by raising."""
    segs = _check_segments(segments)
    if not isinstance(crossfade, (int, float)) or crossfade < 0:
        raise VidgenError(f"The music crossfade must be 0 seconds or more, not {crossfade!r}.")
    spec = packaged().get(COMPOSER) if model is None else model
    runtime = _runtime(spec)
    style = dict(genre=genre, tempo=tempo, key=key, instruments=list(instruments or []))
    runtime.check_score(spec, **style)
    lengths = [s for _, s in segs]
    bounds, fades = _layout(lengths, float(crossfade))
    total = bounds[-1]
    check_cancel(cancel)

    mix: np.ndarray | None = None
    sr = 0
    tempi, keys, prompts = set(), set(), []
    for i, (mood, _seconds) in enumerate(segs):
        start_s, end_s = bounds[i] - fades[i] / 2, bounds[i + 1] + fades[i + 1] / 2
        done = bounds[i] / total

        def step(fraction: float, done: float = done, share: float = lengths[i] / total) -> None:
            if progress is not None:
                progress(min(1.0, done + share * fraction))

        audio, sr_i, piece_tempo, piece_key, prompt = runtime.piece(
            spec, mood=mood, seconds=end_s - start_s, seed=_segment_seed(seed, i), **style, progress=step,
            cancel=cancel, cache=cache)
        if mix is None:
            sr = sr_i
            mix = np.zeros(round(total * sr), dtype=np.float32)
        start, end = round(start_s * sr), round(end_s * sr)
        mix[start:end] += _crossfade_ready(audio, end - start, round(fades[i] * sr), round(fades[i + 1] * sr))
        tempi.add(piece_tempo)
        keys.add(piece_key)
        if prompt and prompt not in prompts:
            prompts.append(prompt)
        step(1.0)

    assert mix is not None  # segments is not empty
    mix = fade_edges(mix, sr, fade_in=min(FILM_FADE_IN_SECONDS, total / 4),
                     fade_out=min(FILM_FADE_OUT_SECONDS, total / 4))
    with atomic_output(out_wav) as tmp:
        write_wav(tmp, np.clip(mix, -1.0, 1.0), sr)
    return MusicResult(wav=Path(out_wav), seconds=len(mix) / sr, sample_rate=sr,
                       tempo=tempi.pop() if len(tempi) == 1 else 0.0, key=keys.pop() if len(keys) == 1 else "",
                       loop_start=0.0, loop_end=0.0, backend=spec.backend, prompt=" | ".join(prompts))
