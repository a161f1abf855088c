"""Sound effects for the film: a built-in library of synthesised sounds, and script cues matched to it.

Every built-in sound is made here, procedurally, from numpy noise and oscillators (no recordings,
no AI model), so it costs nothing to ship, is the same for the same seed, and is always the
length asked for. A sound is a bed (an ambience that lasts the whole scene: rain, wind, waves,
fire, crowd, applause, room tone, clock, heartbeat) or an event (a one-shot placed at a time:
thunder, bell, phone, footsteps, knock, birds, rooster):

    samples = synthesize("rain", 30.0, rate=48000, seed=3)   # mono float32, peak -3 dBFS
    match_cue("THUNDER ROLLS")   # Match(name='thunder', kind='event', words=('thunder', 'roll'), score=4)
    user_sound("my_rain.flac")   # a user's file instead, checked

The recipes live in ambience.py, crowd.py, impacts.py and calls.py on the pieces of dsp.py; the
registry and the shared finish (fades, peak level) in library.py; cue words in cues.py.
"""

from .cues import VOCABULARY, Match, match_all, match_cue
from .library import KINDS, MAX_SECONDS, MIN_SECONDS, PEAK_DB, SOUNDS, Sound, synthesize
from .user import user_sound

__all__ = ["KINDS", "MAX_SECONDS", "MIN_SECONDS", "PEAK_DB", "SOUNDS", "Sound", "synthesize",
           "VOCABULARY", "Match", "match_all", "match_cue", "user_sound"]
