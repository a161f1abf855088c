"""The built-in sounds by name, and the one way to make them: checked arguments, a seed of its own
per sound, and the same finish for all (DC removed, click-free fades, a stated peak level), so
the mixer can trust every sound alike."""

from __future__ import annotations

import math
import numbers
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ...errors import VidgenError
from . import ambience, calls, crowd, impacts
from .dsp import fade, peak_normalise

Recipe = Callable[[float, int, np.random.Generator], np.ndarray]

KINDS = ("bed", "event")  # a bed lasts the whole scene; an event is placed at a time
MIN_SECONDS, MAX_SECONDS = 0.05, 600.0
MIN_RATE, MAX_RATE = 22050, 192000
PEAK_DB = -3.0  # every sound's peak, room tone's excepted (it is meant to be barely there)
BED_FADE, EVENT_FADE_IN, EVENT_FADE_OUT = 0.5, 0.005, 0.1  # s; at most a quarter of the sound each


@dataclass(frozen=True)
class Sound:
    name: str
    kind: str  # "bed" | "event"
    description: str  # one line for people: what it sounds like, and that it is synthesised
    recipe: Recipe
    seconds: float  # a natural length: an event's whole ring-out, a bed's suggested loop
    peak_db: float = PEAK_DB

    def make(self, seconds: float, rate: int = 48000, seed: int = 0) -> np.ndarray:
        """`seconds` of this sound as mono float32 at `rate`, the same samples for the same seed."""
        check_args(self.name, seconds, rate, seed)
        seconds, rate, seed = float(seconds), int(rate), int(seed)
        n = int(round(seconds * rate))  # every recipe counts its samples the same way
        rng = np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(self.name.encode())]))
        x = np.asarray(self.recipe(seconds, rate, rng), np.float32)
        if x.shape != (n,) or not np.all(np.isfinite(x)):  # a recipe's bug, never the user's
            raise VidgenError(f"The built-in sound {self.name!r} came out malformed; please report it.")
        return finish(x, rate, self.kind, self.peak_db)


def finish(x: np.ndarray, rate: int, kind: str, peak_db: float = PEAK_DB) -> np.ndarray:
    """The finish every sound gets, built in or generated (in place): a bed loses its DC offset and
    fades over BED_FADE, an event fades in fast and out over EVENT_FADE_OUT, then the peak is `peak_db`."""
    quarter = x.size / rate / 4
    if kind == "bed":
        x -= np.float32(x.mean(dtype=np.float64))
        fade(x, rate, min(BED_FADE, quarter), min(BED_FADE, quarter))
    else:
        fade(x, rate, min(EVENT_FADE_IN, quarter), min(EVENT_FADE_OUT, quarter))
    return peak_normalise(x, peak_db)


def check_args(name: str, seconds: float, rate: int, seed: int) -> None:
    """VidgenError naming `name` when a length, sample rate or seed is out of range."""
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real) or not math.isfinite(seconds) \
            or not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise VidgenError(f"A sound lasts {MIN_SECONDS:g} to {MAX_SECONDS:g} seconds; {name!r} was asked "
                          f"for {seconds!r}.")
    if isinstance(rate, bool) or not isinstance(rate, numbers.Integral) or not MIN_RATE <= rate <= MAX_RATE:
        raise VidgenError(f"Sample rate must be a whole number of Hz from {MIN_RATE} to {MAX_RATE}, not {rate!r}.")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2 ** 63:
        raise VidgenError(f"A sound's seed is a whole number from 0, not {seed!r}.")


def _sound(name: str, kind: str, description: str, recipe: Recipe, seconds: float, **kw) -> Sound:
    return Sound(name, kind, f"{description} (built-in, synthesised)", recipe, seconds, **kw)


SOUNDS: dict[str, Sound] = {s.name: s for s in (
    _sound("rain", "bed", "Steady rain: a bright hiss with near drops", ambience.rain, 30.0),
    _sound("wind", "bed", "Wind in slow gusts, low and whistling", ambience.wind, 30.0),
    _sound("waves", "bed", "Surf breaking on a shore every 6-9 s", ambience.waves, 40.0),
    _sound("fire", "bed", "A crackling fire over a low roar", ambience.fire, 30.0),
    _sound("crowd", "bed", "A crowd murmuring: many voices, no words", crowd.crowd, 30.0),
    _sound("applause", "bed", "Applause from a small audience", crowd.applause, 10.0),
    _sound("room_tone", "bed", "Room tone: an empty room's faint air", ambience.room_tone, 30.0, peak_db=-30.0),
    _sound("clock", "bed", "A clock ticking once a second", impacts.clock, 30.0),
    _sound("heartbeat", "bed", "A heartbeat at rest", impacts.heartbeat, 30.0),
    _sound("thunder", "event", "A thunderclap and its long roll", ambience.thunder, 8.0),
    _sound("bell", "event", "One strike of a church bell", impacts.bell, 6.0),
    _sound("phone", "event", "An old telephone ringing", impacts.phone, 6.0),
    _sound("footsteps", "event", "Footsteps on a hard floor", impacts.footsteps, 4.0),
    _sound("knock", "event", "Three knocks on a wooden door", impacts.knock, 1.2),
    _sound("birds", "event", "Songbirds calling", calls.birds, 4.0),
    _sound("rooster", "event", "A rooster crowing", calls.rooster, 2.0),
)}


def synthesize(name: str, seconds: float, rate: int = 48000, seed: int = 0) -> np.ndarray:
    """`seconds` of the built-in sound `name` (one of SOUNDS) as mono float32 at `rate`."""
    sound = SOUNDS.get(name) if isinstance(name, str) else None
    if sound is None:
        raise VidgenError(f"No built-in sound {name!r}; there are: {', '.join(SOUNDS)}.")
    return sound.make(seconds, rate, seed)
