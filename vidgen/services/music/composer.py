"""The procedural composer: the film's built-in music, made without any AI model.

A mood (and optionally a genre, tempo, key and instruments) becomes a plan: key and mode, tempo,
a chord progression, and a General MIDI instrument per role (melody, chords, bass, pad, drums).
The plan becomes a real arrangement with pretty_midi: a one-bar intro (the tonic, softly, and
a drum fill), a body of 8-bar phrases (the 4-chord progression twice, the melody as question and
answer), and an ending that cadences to the tonic chord and lets it ring out. The MIDI is
rendered offline with TinySoundFont and the TimGM6mb SoundFont that pretty_midi ships, at
44.1 kHz mono, with a small convolution reverb (numpy FFT; scipy is not a dependency).

    result = render(MusicRequest(mood="tense", seconds=45, seed=3), "score.wav")

Everything random comes from `random.Random` seeded by the request: the same request gives the
same bytes; another seed gives another melody (and often another progression).

Loops: the first two phrases of the body are identical, so the second one is a loop region
whose seam is the music's own continuation (the tails of the bar before it are the tails its
own last bar leaves). `loop_to` repeats it to make any length; `render` does that itself for
requests longer than MAX_COMPOSE_SECONDS, so a 10-minute film costs ~90 s of composing.

The work is split below this front: theory.py (moods, genres, keys, the plan), arrangement.py
(the notes and the MIDI), soundfont.py (synthesis and reverb); their public names are re-exported
here, so `composer.plan`, `composer.GENRES`, `composer.compose_midi` ... stay where they were.
`piece` is this backend's entry point for the film's score (models/backends.py, backend "composer");
a composer record added by URL plays its own SoundFont (`own_soundfont`).

Nothing heavy (pretty_midi, tinysoundfont) is imported at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...errors import VidgenError
from ...media import CancelFn, ProgressFn, atomic_output, check_cancel, read_wav, write_wav
from ...models import hub
from ...models.registry import ModelSpec
from .arrangement import CRASH, DRUM_PATTERNS, KICK, ROLE_VOLUME, SNARE, compose_midi
from .audio import MusicResult, fade_edges, normalize
from .soundfont import reverb, soundfont_path, synthesize
from .theory import (BEATS_PER_BAR, FADE_OUT_SECONDS, FLAT_NAMES, GENRES, MAX_COMPOSE_SECONDS,
                     MAX_INSTRUMENTS, MAX_SECONDS, MIN_SECONDS, MODES, MOOD_STYLES, NOTE_NAMES, PHRASE_BARS,
                     RELEASE_SECONDS, RING_SECONDS, ROMAN, SAMPLE_RATE, TEMPO_RANGE, Genre, MoodStyle,
                     MusicRequest, Plan, parse_key, plan, resolve_style)

BACKEND = "composer"


def _loop(audio: np.ndarray, start: int, end: int, target: int, crossfade: int) -> np.ndarray:
    """`audio` lengthened to `target` samples by repeating audio[start:end] after itself. Whole
    repeats join seamlessly; a partial last repeat crossfades into the ending."""
    extra = target - len(audio)
    region = audio[start:end]
    whole, rest = divmod(extra, len(region))
    head, tail = audio[:end], audio[end:]
    if rest == 0:
        return np.concatenate([head, np.tile(region, whole), tail])
    xf = min(crossfade, len(tail))
    body = np.tile(region, whole + 2)[: whole * len(region) + rest + xf]
    ramp = np.linspace(0.0, np.pi / 2, xf, dtype=np.float32)
    seam = body[len(body) - xf:] * np.cos(ramp) + tail[:xf] * np.sin(ramp)
    return np.concatenate([head, body[: len(body) - xf], seam, tail[xf:]])


def render_audio(request: MusicRequest, *, cancel: CancelFn | None = None,
                 soundfont: Path | None = None) -> tuple[np.ndarray, Plan]:
    """The request's music as mono float32 at SAMPLE_RATE (exactly `seconds` long), and its plan;
    played with `soundfont` (else the one pretty_midi ships)."""
    p = plan(request)
    check_cancel(cancel)
    composed_n = round(p.composed_seconds * SAMPLE_RATE)
    audio = synthesize(compose_midi(request), composed_n, cancel=cancel,
                       check_every=round(p.bar_seconds * SAMPLE_RATE), soundfont=soundfont)
    audio = normalize(reverb(audio))
    audio = fade_edges(audio, SAMPLE_RATE, fade_in=0.01, fade_out=min(FADE_OUT_SECONDS, p.composed_seconds / 3))
    if p.repeats:
        start, end = round(p.loop_start * SAMPLE_RATE), round(p.loop_end * SAMPLE_RATE)
        audio = _loop(audio, start, end, round(p.seconds * SAMPLE_RATE), 0)
    return audio, p


def render(request: MusicRequest, out_wav: str | Path, *, cancel: CancelFn | None = None) -> MusicResult:
    """Compose and render `request` to a 16-bit mono WAV at 44.1 kHz, exactly `seconds` long
    (to the sample). `cancel()` is called every bar and stops the work by raising."""
    audio, p = render_audio(request, cancel=cancel)
    with atomic_output(out_wav) as tmp:
        write_wav(tmp, audio, SAMPLE_RATE)
    return MusicResult(wav=Path(out_wav), seconds=len(audio) / SAMPLE_RATE, sample_rate=SAMPLE_RATE, tempo=p.tempo,
                       key=p.key, loop_start=p.loop_start, loop_end=p.loop_end, backend=BACKEND)


def loop_to(result: MusicResult, seconds: float, out_wav: str | Path, *, crossfade: float = 0.25) -> MusicResult:
    """Lengthen a rendered piece to `seconds` by repeating its loop region in place (the ending
    stays the ending). Whole repeats are seamless; when the added length is not a whole number
    of loops, the last, partial repeat crossfades into the ending over `crossfade` seconds."""
    if result.loop_end <= result.loop_start:
        raise VidgenError(f"{Path(result.wav).name} has no loop region (too short to loop): "
                          f"render it at {MAX_COMPOSE_SECONDS:g} s or more, or render the full length.")
    audio, sr = read_wav(result.wav)
    target = round(seconds * sr)
    if target < len(audio):
        raise VidgenError(f"loop_to lengthens music: {seconds:g} s is shorter than the piece "
                          f"({len(audio) / sr:.2f} s).")
    audio = _loop(audio, round(result.loop_start * sr), round(result.loop_end * sr), target, round(crossfade * sr))
    with atomic_output(out_wav) as tmp:
        write_wav(tmp, audio, sr)
    return MusicResult(wav=Path(out_wav), seconds=len(audio) / sr, sample_rate=sr, tempo=result.tempo,
                       key=result.key, loop_start=result.loop_start, loop_end=result.loop_end,
                       backend=result.backend, prompt=result.prompt)


# --- the score backend's entry point (models/backends.py) ------------------------------------

def check_score(spec: ModelSpec, *, genre: str = "", tempo: float = 0, key: str = "",
                instruments: list[int] | None = None) -> None:
    """What can be refused before any segment is made: a SoundFont record not downloaded (plan()
    checks each request)."""
    own_soundfont(spec)


def own_soundfont(spec: ModelSpec) -> Path | None:
    """The SoundFont of a record added by URL (`models add URL.sf2 --kind music`), else None."""
    return hub.local_path(spec) / spec.weights if getattr(spec, "source", "") == "url" else None


def piece(spec: ModelSpec, *, mood: str, seconds: float, seed: int, genre: str = "", tempo: float = 0, key: str = "",
          instruments: list[int] | None = None, progress: ProgressFn | None = None, cancel: CancelFn | None = None,
          cache: Any = None) -> tuple[np.ndarray, int, float, str, str]:
    """One segment of the film's score: (mono float32 audio, sample rate, tempo, key, prompt "")."""
    request = MusicRequest(mood=mood, genre=genre, tempo=tempo, key=key, instruments=list(instruments or []),
                           seconds=seconds, seed=seed)
    audio, p = render_audio(request, cancel=cancel, soundfont=own_soundfont(spec))
    return audio, SAMPLE_RATE, p.tempo, p.key, ""


__all__ = ["BACKEND", "SAMPLE_RATE", "BEATS_PER_BAR", "PHRASE_BARS", "TEMPO_RANGE", "MIN_SECONDS", "MAX_SECONDS",
           "MAX_COMPOSE_SECONDS", "RING_SECONDS", "RELEASE_SECONDS", "FADE_OUT_SECONDS", "MAX_INSTRUMENTS",
           "NOTE_NAMES", "FLAT_NAMES", "MODES", "ROMAN", "MoodStyle", "MOOD_STYLES", "Genre", "GENRES",
           "DRUM_PATTERNS", "CRASH", "KICK", "SNARE", "ROLE_VOLUME", "MusicRequest", "Plan", "parse_key",
           "resolve_style", "plan", "compose_midi", "soundfont_path", "synthesize", "render_audio", "render",
           "loop_to", "check_score", "own_soundfont", "piece", "MusicResult"]
