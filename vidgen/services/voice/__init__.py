"""Speech for a scene's lines, in each speaker's voice.

Voice ids (`RenderSettings.voice`, `Voice.model`):

    "piper:en_US-joe-medium"    the built-in Piper voice (shipped on PyPI; registry id `piper-joe`)
    "piper:/path/voice.onnx"    another Piper voice (its .onnx.json config beside it)
    "espeak-ng"                 eSpeak NG, built in, ~100 languages (espeak.py); chosen by itself for
                                a line whose language its speaker's voice does not speak (choice.py)
    "none"                      no speech (project voice only)
    a registry voice id         `mms-tts-eng`/`-fra`/`-spa` or a VITS repo the user added
                                (transformers, vits.py), `xtts-v2` (voice cloning, optional
                                coqui-tts, xtts.py); downloaded first

Every voice id resolves to a registry record (each "piper:..." id to `piper-joe`), and the
record's `backend` picks the module that speaks it through the one table in models/backends.py
(engines.py; the backends' shared interface is in model.py).

`cast` gives every speaker a voice: the narrator `RenderSettings.narrator`, each character its own
`Character.voice`, or, when it has none, a distinct default derived from its place in the
character list (another speaker of a multi-speaker model, else a pitch and pace offset from the
narrator). Lines by an unknown speaker use the narrator's voice.

Each sentence (a long one in bounded units, prosody.py and text.py) is synthesised on its own by
its speaker's backend, so its text and its audio stay paired, and written to the WAV as it comes
(memory holds one unit, not the scene); it is resampled to one rate for the scene (the first backend's), pitch-shifted without
changing its duration (ffmpeg's rubberband filter) and paced per voice, line markup and scene mood
(prosody.py). The subtitle cues are each sentence's measured start and end (voice activity
inside the sentence's audio), not an estimate. A Piper voice also says when each of its phonemes
is spoken (its alignment, with the onnx package): `VoiceResult.phones`, per cue, in seconds of the
WAV, moved with the trims; other voices give None (their mouths follow the text's phonemes).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np


from ...domain import Character, Cue, Line, RenderSettings, Voice
from ...errors import VidgenError
from ...media import decode_audio, probe
from ...models.registry import PackagedRecords
from . import prosody
from .audio import SPEECH_DB, Phone, WavSink, active_fraction, fit_peak, shape, shifted, speak_timed, speech_bounds
from .engines import Engines, registry_or_default, resolve
from .ids import BUILTIN_VOICE, NO_VOICE
from .language import check_language, detect_language
from .model import SamplePath, VoiceModel

log = logging.getLogger(__name__)

SENTENCE_PAUSE = 0.22  # seconds between sentences of one line
LINE_PAUSE = 0.45  # seconds between lines (a change of turn)
TIMING = "measured per sentence"  # how VoiceResult cues are obtained
PREVIEW_MAX_CHARS = 500

# Default voices of characters without one, by their index in the character list: pitch
# (semitones from the narrator) and pace factors. Alternating signs keep neighbours apart.
DEFAULT_PITCHES = (3.0, -3.0, 5.0, -5.0, 4.0, -2.5, 2.5, -4.0)
DEFAULT_SPEEDS = (1.04, 0.96, 1.0, 0.94, 1.06, 0.98, 0.92, 1.02)  # all different: see default_voice

SAMPLE_SECONDS = (6.0, 30.0)  # a voice-cloning sample's accepted length
SAMPLE_MIN_RATE = 16000
SAMPLE_MIN_ACTIVE = 0.3  # fraction of 20 ms frames above SPEECH_DB


@dataclass
class VoiceResult:
    wav: Path
    duration: float
    sample_rate: int
    cues: list[Cue] = field(default_factory=list)  # relative to the start of the WAV
    timing: str = TIMING  # how the cues were obtained
    phones: list[list[Phone] | None] = field(default_factory=list)  # per cue: its aligned phonemes, or None


# --- voice ids ---------------------------------------------------------------------------------

def check_voice(voice: str, registry: PackagedRecords | None = None) -> str:
    """Validate a voice id early (known, downloaded, its backend installed), with a message that
    lists what is accepted. `registry` knows the user's added models (default: built-in records)."""
    if voice == NO_VOICE:
        return voice
    resolve(voice, registry)
    return voice


def check_voice_sample(path: str | Path) -> float:
    """Check a voice-cloning sample: audio, 6 to 30 s, recorded at 16 kHz or more, mostly speech
    (not silence). Returns its length in seconds; a VidgenError says exactly what to fix."""
    name = Path(path).name
    try:
        info = probe(path)
    except VidgenError:
        info = None
    if info is None or info.audio is None:
        raise VidgenError(f"{name} is not an audio file: give a recording of the voice as WAV, MP3, FLAC, OGG or M4A.")
    if info.audio.sample_rate < SAMPLE_MIN_RATE:
        raise VidgenError(f"{name} is recorded at {info.audio.sample_rate} Hz: a cloning sample needs "
                          f"{SAMPLE_MIN_RATE} Hz or more (record or export it at 22050, 44100 or 48000 Hz).")
    rate = SAMPLE_MIN_RATE
    audio = decode_audio(path, rate, what=name)
    seconds = audio.size / rate
    low, high = SAMPLE_SECONDS
    if seconds < low:
        raise VidgenError(f"{name} is {seconds:.1f} s long: a cloning sample needs {low:g} to {high:g} s of "
                          "speech; record a longer one.")
    if seconds > high:
        raise VidgenError(f"{name} is {seconds:.1f} s long: a cloning sample needs {low:g} to {high:g} s of "
                          f"speech; trim it to {high:g} s or less.")
    active = active_fraction(audio, rate)
    if active < SAMPLE_MIN_ACTIVE:
        raise VidgenError(f"{name} is almost silent: only {active:.0%} of it is louder than {SPEECH_DB:g} dBFS; "
                          "use a recording of clear speech at a normal level.")
    return seconds


# --- sentences and markup ----------------------------------------------------------------------

def split_sentences(text: str) -> list[str]:
    """Sentences to speak and caption: stage directions like "(beat)" and prosody markup removed,
    and a [pause] ends a sentence (services/prosody.py)."""
    return prosody.sentences(text)


def estimated_cues(lines: list[Line], speech_seconds: float) -> list[Cue]:
    """Cues for a silent film (voice 'none'): sentences spread over the time by length."""
    sentences = [(s, line.speaker) for line in lines for s in split_sentences(line.text)]
    total = sum(len(s) for s, _ in sentences) or 1
    cues, t = [], 0.0
    for s, speaker in sentences:
        d = speech_seconds * len(s) / total
        cues.append(Cue(round(t, 3), round(t + d, 3), s, speaker))
        t += d
    return cues


# --- who speaks how ----------------------------------------------------------------------------

def _full(voice: Voice, project_voice: str) -> Voice:
    return replace(voice, model=voice.model or project_voice)


def default_voice(index: int, narrator: Voice, speakers: int = 1) -> Voice:
    """The distinct voice of the `index`-th character without one: on a model with several
    speakers, another speaker than the narrator's while they last; then a pitch and pace offset
    from the narrator (see DEFAULT_PITCHES), so neighbours in the list sound apart."""
    others = [s for s in range(speakers) if s != narrator.speaker]
    if index < len(others):
        return replace(narrator, speaker=others[index], pitch=0.0, speed=1.0)
    # Past the first eight, each round nudges odd rounds' pitches toward the narrator and pairs
    # each pitch with another pace: 64 different voices before any repeats.
    slot, round_ = divmod(index - len(others), len(DEFAULT_PITCHES))[::-1]
    offset = DEFAULT_PITCHES[slot]
    if round_ % 2:
        offset += -0.5 if offset > 0 else 0.5
    pitch = narrator.pitch + offset
    if abs(pitch) > 12.0:
        pitch = narrator.pitch - offset
    speed = min(2.0, max(0.5, narrator.speed * DEFAULT_SPEEDS[(slot + round_) % len(DEFAULT_SPEEDS)]))
    return replace(narrator, pitch=round(pitch, 2), speed=round(speed, 3))


def cast(settings: RenderSettings, characters: list[Character], *, registry: PackagedRecords | None = None) -> dict[str | None, Voice]:
    """Every speaker's voice, fully resolved (model never ""): key None is the narrator, then each
    character by name. Look voices up with `voice_for` (names match case-insensitively)."""
    project = settings.voice
    narrator = _full(settings.narrator, project)
    speakers = 1
    if project != NO_VOICE:
        with contextlib.suppress(VidgenError):  # check_voices reports a bad voice; a cast is still given
            speakers = resolve(project, registry).num_speakers
    voices: dict[str | None, Voice] = {None: narrator}
    defaults = 0
    for character in characters:
        if character.voice is not None:
            voices[character.name] = _full(character.voice, project)
        else:
            base = narrator if narrator.model == project else Voice(model=project)
            voices[character.name] = default_voice(defaults, base, speakers)
            defaults += 1
    return voices


def voice_for(voices: dict[str | None, Voice], speaker: str | None) -> Voice:
    """The voice of `speaker` in a cast (case-insensitive); the narrator's for None or an unknown name."""
    if speaker is not None:
        if speaker in voices:
            return voices[speaker]
        folded = speaker.casefold()
        for name, voice in voices.items():
            if name is not None and name.casefold() == folded:
                return voice
    return voices[None]


def check_voices(settings: RenderSettings, characters: list[Character], *, registry: PackagedRecords | None = None,
                 samples: SamplePath | None = None) -> dict[str | None, Voice]:
    """Validate the narrator's and every character's voice before a render (ids, ranges, speakers,
    the language, cloning samples when `samples` resolves them); returns the cast."""

    settings.narrator.validate("narrator")
    for c in characters:
        if c.voice is not None:
            c.voice.validate(f"{c.name}'s voice")
    check_language(settings.language)
    check_voice(settings.voice, registry)
    voices = cast(settings, characters, registry=registry)
    if settings.voice == NO_VOICE:
        return voices
    models: dict[str, VoiceModel] = {}
    for name, v in voices.items():
        who = "the narrator" if name is None else name
        if v.model == NO_VOICE:
            raise VidgenError(f"{who}: 'none' silences the whole film (the project voice), not one speaker.")
        if v.model not in models:
            models[v.model] = resolve(v.model, registry)
        model = models[v.model]
        if not model.clones:
            n = model.num_speakers
            if v.speaker >= n:
                has = f"speakers 0 to {n - 1}" if n > 1 else "one speaker (0)"
                raise VidgenError(f"{who}: voice {v.model!r} has {has}, not {v.speaker}.")
            if v.sample:
                raise VidgenError(f"{who}: only an XTTS voice (xtts-v2) clones a sample; {v.model!r} does not.")
        elif v.sample and samples is not None:
            check_voice_sample(samples(v.sample))
        # A voice that does not speak the language is not an error: choice.plan_lines speaks those
        # lines with a voice of the language, or keeps the user's choice, and says so.
    return voices


# --- synthesis ---------------------------------------------------------------------------------

def engine_language(given: str, detected: str, speaks: frozenset[str] | None) -> str:
    """The language a voice that needs one is told: the user's (a voice that cannot speak it says so),
    else the detected one if the voice speaks it, else English, with a note: a guess never fails a render."""
    if given or speaks is None or detected in speaks:
        return given or detected
    fallback = "en" if "en" in speaks else sorted(speaks)[0]
    log.warning("The script reads as %r, which this voice does not speak: it reads it as %r (set the "
                "project's language to choose).", detected, fallback)
    return fallback


def synthesize_lines(
    lines: list[Line],
    out_wav: str | Path,
    *,
    voice: str = BUILTIN_VOICE,
    cast: dict[str | None, Voice] | None = None,
    mood: str = "neutral",
    language: str = "",
    seed: int = 0,
    length_scale: float | None = None,
    cancel: Callable[[], None] | None = None,
    cache: Any = None,
    registry: PackagedRecords | None = None,
    samples: SamplePath | None = None,
    spoken: list[tuple[Voice, str]] | None = None,
) -> VoiceResult:
    """Speak `lines` in order into one mono WAV; return its duration and per-sentence cues.

    `cast` (from `cast(...)`) gives each speaker's voice; without one every line is spoken in
    `voice` with default settings. `mood` is the scene's (prosody.MOOD_PROSODY); `language` is
    for XTTS ("" = detected from the lines); `seed` makes VITS and XTTS repeatable (Piper's noise
    cannot be seeded); `length_scale` > 1 slows every voice (kept for older callers); `samples`
    turns a Voice.sample asset id into a file (default: the sample is a path already). `spoken`
    gives each line its own (voice, language) (choice.plan_lines), overriding the cast.
    """

    voices = cast if cast is not None else {None: Voice(model=voice)}
    if None not in voices:
        raise VidgenError("A cast needs the narrator's voice under the key None.")
    if spoken is not None and len(spoken) != len(lines):
        raise VidgenError(f"spoken gives {len(spoken)} lines' voices for {len(lines)} lines.")
    for name, v in [*voices.items(), *((f"line {i + 1}", sv) for i, (sv, _) in enumerate(spoken or []))]:
        if not v.model:
            raise VidgenError(f"The voice of {name or 'the narrator'} has no model: build the cast with cast().")
        if v.model == NO_VOICE:
            raise VidgenError("synthesize_lines was asked to speak with voice 'none'.")
        v.validate(f"{name or 'narrator'}'s voice")
    if length_scale is not None and not 0.25 <= length_scale <= 4.0:
        raise VidgenError(f"length_scale must be 0.25 to 4, not {length_scale!r}.")
    mp = prosody.mood_prosody(mood)
    parsed = [prosody.parse_line(line.text, where=f"line {i + 1} ({line.text[:40]!r})") for i, line in enumerate(lines)]
    lang = check_language(language)

    given, detected, told = lang, "", {}  # told: id(engine) -> its language (one note per voice)

    def spoken_language(engine: Any) -> str:
        nonlocal detected
        if id(engine) not in told:
            if not given and not detected:
                detected = detect_language(" ".join(s.text for p in parsed for s in p.sentences))
            told[id(engine)] = engine_language(given, detected, getattr(engine, "languages", None))
        return told[id(engine)]

    pace = 1.0 / length_scale if length_scale else 1.0
    cues: list[Cue] = []
    phones: list[list[Phone] | None] = []  # each cue's phonemes in seconds of the WAV, where aligned
    sink: WavSink | None = None  # the WAV, written unit by unit (opened at the first audio)
    explicit: float | None = None  # [pause] seconds waiting to go in before the next sentence
    last_line = -1
    with contextlib.ExitStack() as stack:
        engines = Engines(stack, registry_or_default(registry), cache, samples)
        for li, (line, parsed_line) in enumerate(zip(lines, parsed)):
            v, own = spoken[li] if spoken is not None else (voice_for(voices, line.speaker), lang)
            # how it is said: the reader's word, else the cue's parenthetical, else one inside the line
            said = prosody.delivery_prosody(line.delivery or line.parenthetical or " ".join(parsed_line.directions))
            speed = v.speed * mp.speed * parsed_line.speed * pace * said.speed
            pitch = max(-12.0, min(12.0, v.pitch + mp.pitch + said.pitch))
            gain = np.float32(10 ** (said.gain_db / 20))
            for item in parsed_line.items:
                if isinstance(item, prosody.Pause):
                    explicit = (explicit or 0.0) + item.seconds
                    continue
                if cancel is not None:
                    cancel()
                engine = engines.get(v.model)
                rate = sink.rate if sink is not None else engine.sample_rate
                if not engine.needs_language:
                    told_language = own or lang
                elif own and own != lang:  # a line in another language than the film's
                    told_language = engine_language("", own, getattr(engine, "languages", None))
                else:
                    told_language = spoken_language(engine)
                audio, timed = speak_timed(engine, item, v, speed, seed, told_language)
                audio = shape(audio, engine.sample_rate, rate, pitch)  # keeps the duration: times hold
                a, b = speech_bounds(audio, rate)
                audio = fit_peak(audio[a:b]) * gain
                if audio.size == 0:
                    continue
                if sink is None:
                    sink = WavSink(out_wav, rate)
                    stack.callback(lambda: sink.close(commit=False) if sink is not None else None)
                if explicit is not None:
                    gap = explicit
                elif sink.samples:
                    gap = (LINE_PAUSE if li != last_line else SENTENCE_PAUSE) * mp.pause
                else:
                    gap = 0.0
                explicit, last_line = None, li
                if gap > 0:
                    sink.silence(gap)
                cues.append(Cue(sink.samples / rate, (sink.samples + audio.size) / rate, item.text, line.speaker))
                phones.append(None if timed is None else shifted(timed, (sink.samples - a) / rate, audio.size / rate,
                                                                 sink.samples / rate))
                sink.write(audio)
        if sink is None:
            raise VidgenError("The voice produced no audio: the lines have no speakable words.")
        if explicit:  # a [pause] after the last words
            sink.silence(explicit)
        done, sink = sink, None
        done.close(commit=True)
    return VoiceResult(Path(out_wav), done.samples / done.rate, done.rate, cues, phones=phones)


def synthesize_preview(text: str, voice: Voice, out_wav: str | Path, *, language: str = "", mood: str = "neutral",
                       registry: PackagedRecords | None = None, cache: Any = None, project_voice: str = BUILTIN_VOICE,
                       samples: SamplePath | None = None, seed: int = 0) -> VoiceResult:
    """Speak `text` (a sentence or two, markup allowed) in `voice`, for trying a voice out;
    `voice.model` "" means `project_voice`."""
    if not text.strip():
        raise VidgenError("Write a sentence to preview the voice with.")
    if len(text) > PREVIEW_MAX_CHARS:
        raise VidgenError(f"A voice preview speaks at most {PREVIEW_MAX_CHARS} characters, not {len(text)}.")
    v = _full(voice, project_voice).validate("voice")
    check_voice(v.model, registry)
    return synthesize_lines([Line(text)], out_wav, cast={None: v}, mood=mood, language=language, seed=seed,
                            cache=cache, registry=registry, samples=samples)


__all__ = ["BUILTIN_VOICE", "NO_VOICE", "SENTENCE_PAUSE", "LINE_PAUSE", "TIMING", "VoiceResult", "check_voice",
           "check_voices", "check_voice_sample", "split_sentences", "estimated_cues", "default_voice", "cast",
           "voice_for", "synthesize_lines", "synthesize_preview"]
