"""Plain dataclasses shared by the services, the pipeline, the store and the UI.

Everything here is JSON-friendly: `to_dict` gives what the store keeps, `from_dict` reads it back
(unknown keys are ignored so older records still load).
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import VidgenError

ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
RESOLUTIONS = {"480p": 480, "720p": 720, "1080p": 1080}  # length of the short side
TRANSITIONS = ("fade", "dissolve", "wipe", "slide", "cut")
MOTIONS = ("zoom_in", "zoom_out", "pan_left", "pan_right", "pan_up", "pan_down", "rotate", "static")
MOODS = ("joyful", "calm", "sad", "tense", "mysterious", "romantic", "epic", "neutral")
TIMES_OF_DAY = ("dawn", "day", "dusk", "night")
QUALITIES = {  # name -> (x264 preset, crf)
    "draft": ("ultrafast", 26),
    "standard": ("veryfast", 21),
    "high": ("medium", 18),
}
JOB_STATUSES = ("pending", "running", "completed", "failed", "cancelled", "interrupted")
STAGES = ("parse", "images", "voice", "animation", "music", "assembly")

# Scene timing. Speech starts after the incoming transition plus a breath and is followed by a
# pause, so no line is ever covered by a transition.
SPEECH_LEAD_SECONDS = 0.3  # added to the transition length
SPEECH_TAIL_SECONDS = 0.7
MIN_SCENE_SECONDS = 3.0
WORDS_PER_SECOND = 2.6  # the built-in voice speaks ~155 words a minute


def estimate_duration(words: int, transition_seconds: float = 0.5) -> float:
    """Seconds a scene with this many spoken words will last."""
    speech = words / WORDS_PER_SECOND
    return round(max(MIN_SCENE_SECONDS, transition_seconds + SPEECH_LEAD_SECONDS + speech + SPEECH_TAIL_SECONDS), 2)


@dataclass
class Line:
    """One spoken line: narration (speaker None) or a character's dialogue."""

    text: str
    speaker: str | None = None
    parenthetical: str = ""  # e.g. "whispering", without brackets


@dataclass
class Scene:
    number: int
    heading: str
    text: str = ""  # the scene's source text, as written
    lines: list[Line] = field(default_factory=list)
    visual: str = ""  # what the picture shows (action lines, prose)
    mood: str = "neutral"
    duration: float = MIN_SCENE_SECONDS  # estimated from the words; the render uses the speech
    camera: list[str] = field(default_factory=list)  # directions found in the script (MOTIONS)
    location: str = ""
    interior: bool | None = None
    time_of_day: str = ""  # one of TIMES_OF_DAY or ""
    characters: list[str] = field(default_factory=list)
    # Storyboard overrides, "" means automatic / project default.
    motion: str = ""
    image: str = ""  # asset id of an image the user supplied
    transition: str = ""  # transition *into* this scene
    image_model: str = ""  # image model id for this scene, "" = the project's
    image_strength: float = 0.0  # > 0 with `image` and an AI model: img2img from the user's image


@dataclass
class Voice:
    """How one speaker sounds: the narrator (RenderSettings.narrator) or a character."""

    model: str = ""  # a voice id (see services/voice.py); "" = the project's voice (RenderSettings.voice)
    speaker: int = 0  # speaker index of a multi-speaker model
    speed: float = 1.0  # pace, 0.5..2 (1 = the model's own)
    pitch: float = 0.0  # semitones, -12..12, duration kept
    sample: str = ""  # asset id of a voice-cloning sample (XTTS)

    def validate(self, who: str = "voice") -> "Voice":
        if not isinstance(self.speaker, int) or self.speaker < 0:
            raise VidgenError(f"{who}: speaker must be a whole number 0 or more, not {self.speaker!r}.")
        if not isinstance(self.speed, (int, float)) or not 0.5 <= self.speed <= 2.0:
            raise VidgenError(f"{who}: speed must be from 0.5 to 2, not {self.speed!r}.")
        if not isinstance(self.pitch, (int, float)) or not -12.0 <= self.pitch <= 12.0:
            raise VidgenError(f"{who}: pitch must be from -12 to 12 semitones, not {self.pitch!r}.")
        return self


@dataclass
class Character:
    name: str
    description: str = ""
    scenes: list[int] = field(default_factory=list)
    seed: int | None = None  # fixed seed for the scenes this character dominates (None: derived from the name)
    reference: str = ""  # asset id of a reference image (IP-Adapter, where the model has one)
    voice: Voice | None = None  # None: a distinct default voice is chosen (services/voice.py cast)


@dataclass
class ParsedScript:
    title: str
    form: str  # fountain | headings | markdown | dialogue | prose
    scenes: list[Scene]
    characters: list[Character]


@dataclass
class Lora:
    """A LoRA applied to the AI image model: a hub repo id ("owner/name", or "owner/name/file.safetensors")
    or the asset id of an uploaded .safetensors file."""

    source: str
    scale: float = 1.0


@dataclass
class RenderSettings:
    aspect: str = "16:9"
    resolution: str = "720p"
    fps: int = 24
    transition: str = "fade"
    transition_seconds: float = 0.5
    voice: str = "piper:en_US-joe-medium"  # the project's voice id, or "none" for a silent film
    narrator: Voice = field(default_factory=Voice)  # the narrator's speaker/speed/pitch (model "" = `voice`)
    language: str = ""  # ISO 639-1 code of the script's language; "" = detected from the script
    music: str = "auto"  # "auto" (generated by music_model), "none", or the asset id of a music file
    music_volume: float = 0.3  # linear gain of the music bed before ducking
    music_model: str = ""  # music model id; "" = the registry's active music model (the built-in composer)
    music_genre: str = ""  # a genre of services/composer.py; "" = chosen from the moods
    music_tempo: int = 0  # BPM; 0 = chosen from the mood
    music_key: str = ""  # e.g. "D minor", "F# major"; "" = chosen from the mood
    music_instruments: list[int] = field(default_factory=list)  # GM programs: melody, chords, bass, pad; [] = genre's
    seed: int = 0
    subtitles: bool = True  # burn them in (the .srt sidecar is always written)
    quality: str = "standard"
    image_model: str = ""  # image model id; "" = the registry's active image model ("storyboard" = the painter)
    style: str = ""  # a style preset name (diffusion.styles()), "" for none
    negative_prompt: str = ""  # added to the style's negative prompt (AI image models only)
    image_steps: int = 0  # denoising steps; 0 = the model's default (SDXL-Turbo 2, SDXL 30)
    image_guidance: float | None = None  # classifier-free guidance; None = the model's default
    scheduler: str = ""  # "" = the model's own; else a name in services/diffusion.SCHEDULERS
    loras: list[Lora] = field(default_factory=list)
    reference_scale: float = 0.6  # IP-Adapter strength of a character's reference image (0..1)

    def validate(self) -> "RenderSettings":
        def bad(name: str, value: Any, allowed: Any) -> VidgenError:
            return VidgenError(f"Unknown {name} {value!r}: use one of {', '.join(map(str, allowed))}.")

        if self.aspect not in ASPECTS:
            raise bad("aspect", self.aspect, ASPECTS)
        if self.resolution not in RESOLUTIONS:
            raise bad("resolution", self.resolution, RESOLUTIONS)
        if self.transition not in TRANSITIONS:
            raise bad("transition", self.transition, TRANSITIONS)
        if self.quality not in QUALITIES:
            raise bad("quality", self.quality, QUALITIES)
        if not isinstance(self.fps, int) or not 1 <= self.fps <= 60:
            raise VidgenError(f"fps must be a whole number from 1 to 60, not {self.fps!r}.")
        if not 0.0 <= self.transition_seconds <= 2.0:
            raise VidgenError("transition_seconds must be between 0 and 2.")
        if not 0.0 <= self.music_volume <= 2.0:
            raise VidgenError("music_volume must be between 0 and 2.")
        if len(self.music_instruments) > 4 or not all(
                isinstance(p, int) and not isinstance(p, bool) and 0 <= p <= 127 for p in self.music_instruments):
            raise VidgenError("music_instruments: at most four General MIDI programs (0-127) for melody, chords, "
                              f"bass and pad, not {self.music_instruments!r}.")
        if self.music_tempo and not 40 <= self.music_tempo <= 220:
            raise VidgenError(f"music_tempo must be 40 to 220 BPM (or 0 for automatic), not {self.music_tempo!r}.")
        if not isinstance(self.image_steps, int) or not 0 <= self.image_steps <= 200:
            raise VidgenError(f"image_steps must be 1 to 200 (or 0 for the model's default), not {self.image_steps!r}.")
        if self.image_guidance is not None and not 0.0 <= self.image_guidance <= 30.0:
            raise VidgenError(f"image_guidance must be 0 to 30, not {self.image_guidance!r}.")
        if not 0.0 <= self.reference_scale <= 1.0:
            raise VidgenError(f"reference_scale must be 0 to 1, not {self.reference_scale!r}.")
        for lora in self.loras:
            if not lora.source.strip() or not -4.0 <= lora.scale <= 4.0:
                raise VidgenError(f"LoRA {lora.source!r}: give a source and a scale from -4 to 4, not {lora.scale!r}.")
        if self.language and not (self.language.isascii() and self.language.isalpha() and len(self.language) == 2
                                  and self.language.islower()):
            raise VidgenError(f"language must be an ISO 639-1 code such as en, fr or es (or empty to detect it), "
                              f"not {self.language!r}.")
        self.narrator.validate("narrator")
        return self

    @property
    def music_source(self) -> str:
        """"auto", "none" or an asset id ("" in records from before "auto" existed meant none)."""
        return self.music or "none"

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels, both even as H.264 4:2:0 needs."""
        aw, ah = ASPECTS[self.aspect]
        short = RESOLUTIONS[self.resolution]
        if aw >= ah:
            w, h = short * aw / ah, short
        else:
            w, h = short, short * ah / aw
        return int(round(w / 2)) * 2, int(round(h / 2)) * 2


@dataclass
class Project:
    id: str
    title: str
    script: str
    form: str = ""
    settings: RenderSettings = field(default_factory=RenderSettings)
    scenes: list[Scene] = field(default_factory=list)
    characters: list[Character] = field(default_factory=list)
    created: float = 0.0
    updated: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)  # video, subtitles, job


@dataclass
class Asset:
    """A file in the content-addressed asset folder; `id` is the SHA-256 of its bytes."""

    id: str
    path: str  # relative to the data folder, e.g. "assets/ab/ab12....png"
    type: str  # image | audio | video | subtitles | script | data
    size: int = 0
    created: float = 0.0
    name: str = ""  # original file name, for display
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepRecord:
    """One pipeline step of a job: whether it ran or came from the step cache."""

    name: str  # image | voice | animation | music | assembly
    scene: int | None
    key: str
    cached: bool
    seconds: float


@dataclass
class Job:
    id: str
    project_id: str
    kind: str = "render"
    status: str = "pending"
    stage: str = ""
    progress: float = 0.0  # 0..1 over the whole job
    message: str = ""
    created: float = 0.0
    started: float | None = None
    finished: float | None = None
    error: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    steps: list[StepRecord] = field(default_factory=list)
    pid: int = 0
    host: str = ""
    cancel_requested: bool = False
    attempts: int = 0


@dataclass
class ProgressEvent:
    stage: str
    fraction: float  # within the stage, 0..1
    overall: float  # over the whole job, 0..1
    message: str = ""
    scene: int | None = None


@dataclass
class Cue:
    """A subtitle cue; times in seconds."""

    start: float
    end: float
    text: str
    speaker: str | None = None


@dataclass
class SceneMedia:
    """What the assembler needs of one scene."""

    clip: str  # video at the output size and fps, `duration` seconds long
    duration: float
    speech: str = ""  # mono WAV, starts `speech_offset` seconds into the scene
    speech_offset: float = 0.0
    cues: list[Cue] = field(default_factory=list)  # times relative to the scene start
    transition: str = "fade"  # transition into this scene (ignored for the first)


@dataclass
class AssemblyResult:
    video: str
    subtitles: str  # the .srt sidecar
    duration: float


T = TypeVar("T")


def to_dict(obj: Any) -> Any:
    return dataclasses.asdict(obj)


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)  # slow (evaluates annotations): once per class


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build a dataclass (nested ones too) from a dict; unknown keys are dropped."""
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name])
    return cls(**kwargs)


def _convert(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp) and isinstance(value, dict):
        return from_dict(tp, value)
    if origin is list and args:
        return [_convert(args[0], v) for v in value]
    if origin in (typing.Union, types.UnionType):
        for a in args:
            if a is not type(None) and dataclasses.is_dataclass(a) and isinstance(value, dict):
                return from_dict(a, value)
        return value
    return value
