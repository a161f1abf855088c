"""A scene's sound effects as one track: its cues matched to sounds, beds under the whole scene and
events at their moment, written as a WAV that starts with the scene (the assembler mixes it under
the dialogue, ducked, beside the music).

    placed = plan_effects(scene_text, sounds, line_starts, duration)   # what plays when
    r = write_effects(placed, duration, out_wav, seed=s)               # the track, or None: nothing to play

An event's moment comes from where its cue stands in the scene's text: at the start of the first
line written after it (the voice's measured time), else EVENT_LEAD seconds into the scene. Beds
fade in and out over BED_FADE seconds and sit BED_DB under the events: an ambience is a floor,
not a sound to listen to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ...errors import VidgenError
from ...media import check_cancel, write_wav
from ...models.registry import ModelSpec
from .cues import match_cue
from .library import MAX_SECONDS, SOUNDS, synthesize
from .make import sound_audio
from .request import SoundRequest
from .user import user_sound

RATE = 48000
BED_DB = -10.0  # beds under events
BED_FADE = 1.0  # seconds
EVENT_LEAD = 0.5  # seconds into the scene for an event whose place is not known
JOIN_SECONDS = 0.05  # a looped file's crossfade at each join (no click)
EVENT_SECONDS = 4.0  # an AI model's one-shot for a cue the library has no sound for
# The scene's weather and place, as the script reader found them, give a bed when no cue did.
AMBIENCE = {"weather": {"rain": "rain", "storm": "rain", "wind": "wind"},
            "place": {"cafe": "crowd", "beach": "waves", "sea": "waves", "harbour": "waves", "village square": "crowd",
                      "street": "crowd", "city": "crowd"}}


@dataclass(frozen=True)
class Effect:
    cue: str  # the script's words
    sound: str  # the SOUNDS name it plays ("" when nothing matched: only an AI model plays it)
    kind: str  # "bed" | "event"
    at: float  # seconds into the scene (0 for a bed)
    file: str = ""  # the user's own sound file, played as it is (a bed loops), whatever the model


def plan_effects(text: str, sounds: Sequence[str], lines: Sequence[tuple[str, float]], duration: float, *,
                 weather: str = "", place: str = "", files: Sequence[tuple[str, str, float, bool]] = ()) -> list[Effect]:
    """Each sound cue matched and placed: `lines` are the scene's spoken lines as (text, start s);
    the user's `files` as (name, path, at s, bed); then, when neither gave a bed, the bed of the
    scene's weather, else of its place (AMBIENCE)."""
    lowered = text.lower()
    line_at = [(lowered.find(t.lower()[:40]) if t.strip() else -1, start) for t, start in lines]
    out = []
    for cue in sounds:
        m = match_cue(cue)
        kind = m.kind if m is not None else "event"  # an AI model makes what the words say, as a one-shot
        at = 0.0
        if kind == "event":
            pos = lowered.find(cue.lower())
            after = [start for where, start in line_at if pos >= 0 and where > pos]
            at = min(after) if after else EVENT_LEAD
            at = min(max(0.0, at), max(0.0, duration - 0.5))
        out.append(Effect(cue, m.name if m is not None else "", kind, round(at, 3)))
    for name, path, at, bed in files:
        at = 0.0 if bed else min(max(0.0, at), max(0.0, duration - 0.5))
        out.append(Effect(f"your file {name}", "", "bed" if bed else "event", round(at, 3), file=path))
    if not any(e.kind == "bed" for e in out):
        for what, value in (("weather", weather), ("place", place)):
            bed = AMBIENCE[what].get(value, "")
            if bed:
                out.append(Effect(f"the scene's {what}: {value}", bed, "bed", 0.0))
                break
    return out


Make = Callable[[Effect, float, int], np.ndarray]  # (effect, seconds, seed) -> mono float32 at RATE


def built_in(effect: Effect, seconds: float, seed: int) -> np.ndarray:
    return synthesize(effect.sound, seconds, RATE, seed)


def from_file(effect: Effect, seconds: float) -> np.ndarray:
    """The user's file, `seconds` long: a bed loops (with a short crossfade at each join), an
    event is cut where the scene ends."""
    x = user_sound(effect.file, RATE)
    n = int(round(seconds * RATE))
    if effect.kind != "bed" or x.size >= n:
        return x[:n]
    join = min(int(JOIN_SECONDS * RATE), x.size // 4)
    out = x.copy()
    while out.size < n:
        if join:
            ramp = np.linspace(0.0, 1.0, join, dtype=np.float32)
            out[-join:] = out[-join:] * ramp[::-1] + x[:join] * ramp
            out = np.concatenate([out, x[join:]])
        else:
            out = np.concatenate([out, x])
    return out[:n]


def model_maker(spec: ModelSpec, *, cancel: Callable[[], None] | None = None, cache: Any = None,
                steps: int = 0) -> Make:
    """`make` for an AI sound model: each effect made from its cue's words (make.sound_audio)."""
    def make(effect: Effect, seconds: float, seed: int) -> np.ndarray:
        request = SoundRequest(effect.cue, seconds, effect.sound, effect.kind, RATE, seed, steps)
        return sound_audio(spec, request, cancel=cancel, cache=cache)[0]

    return make


def write_effects(effects: Sequence[Effect], duration: float, out_wav: str | Path, *, seed: int = 0,
                  cancel: Callable[[], None] | None = None, make: Make | None = None) -> Path | None:
    """The scene's effects track (mono 16-bit, RATE), `duration` seconds; None when nothing plays.
    `make` gives each effect's sound (an AI model: every cue; default: the built-in library, the
    cues it matched)."""
    playing = [e for e in effects if e.sound or e.file or make is not None]
    make = make or built_in
    if not playing:
        return None
    if not 0 < duration <= MAX_SECONDS:
        raise VidgenError(f"A scene's sound effects last 0 to {MAX_SECONDS:g} s, not {duration:g} s.")
    n = int(round(duration * RATE))
    track = np.zeros(n, np.float32)
    bed_gain = np.float32(10 ** (BED_DB / 20))
    for k, e in enumerate(playing):
        check_cancel(cancel)
        if e.kind == "bed":
            x = (from_file(e, duration) if e.file else make(e, duration, seed + k))[:n] * bed_gain
            fade = min(int(BED_FADE * RATE), n // 4)
            if fade:
                ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
                x[:fade] *= ramp
                x[-fade:] *= ramp[::-1]
            track += x[:n]
        else:
            length = duration - e.at if e.file else min(SOUNDS[e.sound].seconds if e.sound else EVENT_SECONDS,
                                                         duration - e.at)
            if length < 0.05:
                continue
            x = from_file(e, length) if e.file else make(e, length, seed + k)
            i = int(round(e.at * RATE))
            track[i:i + x.size] += x[:n - i]
    peak = float(np.max(np.abs(track)))
    if peak > 0.9:  # several sounds at once: keep the sum under full scale (the mix sets the level)
        track *= np.float32(0.9 / peak)
    write_wav(out_wav, track, RATE)
    return Path(out_wav)


__all__ = ["Effect", "Make", "built_in", "from_file", "model_maker", "plan_effects", "write_effects", "RATE", "BED_DB", "EVENT_LEAD", "AMBIENCE"]
