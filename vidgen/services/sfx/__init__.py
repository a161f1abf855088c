"""Sound effects for the film: a built-in library of synthesised sounds, and script cues matched to it.

Every built-in sound is made here, procedurally, from numpy noise and oscillators (no recordings,
no AI model), so it costs nothing to ship, is the same for the same seed, and is always the
length asked for. A sound is a bed (an ambience that lasts the whole scene: rain, wind, waves,
fire, crowd, applause, room tone, clock, heartbeat) or an event (a one-shot placed at a time:
thunder, bell, phone, footsteps, knock, birds, rooster):

    samples = synthesize("rain", 30.0, rate=48000, seed=3)   # mono float32, peak -3 dBFS
    match_cue("THUNDER ROLLS")   # Match(name='thunder', kind='event', words=('thunder', 'roll'), score=4)
    user_sound("my_rain.flac")   # a user's file instead, checked

Sound effects are also a model kind ("sfx"): `make_sound` makes a request with any sfx record, the
built-in library (`sfx-synth`, synth.py) or an AI text-to-audio model (Stable Audio Open,
stable_audio.py), picked by its backend through models/backends.py:

    request = SoundRequest.for_cue("a gull cries over the harbour", 3.0, seed=1)
    make_sound(registry.get("stable-audio-open-1.0"), request, "gull.wav")  # None = the library

The recipes live in ambience.py, crowd.py, impacts.py and calls.py on the pieces of dsp.py; the
registry and the shared finish (fades, peak level) in library.py; cue words in cues.py; the
request and result types in request.py; the front in make.py.
"""

from .cues import VOCABULARY, Match, match_all, match_cue
from .library import KINDS, MAX_SECONDS, MIN_SECONDS, PEAK_DB, SOUNDS, Sound, synthesize
from .make import BUILTIN, make_sound, sound_audio
from .request import SoundRequest, SoundResult
from .user import user_sound

__all__ = ["KINDS", "MAX_SECONDS", "MIN_SECONDS", "PEAK_DB", "SOUNDS", "Sound", "synthesize",
           "VOCABULARY", "Match", "match_all", "match_cue", "user_sound",
           "BUILTIN", "SoundRequest", "SoundResult", "make_sound", "sound_audio"]
