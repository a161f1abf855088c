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
from typing import Any, Callable, TypeVar

from . import render_settings
from .render_settings import (ASPECTS, QUALITIES, RESOLUTIONS, TRANSITIONS, Lora, RenderSettings,  # noqa: F401
                              Voice)

MOTIONS = ("zoom_in", "zoom_out", "pan_left", "pan_right", "pan_up", "pan_down", "rotate", "static")
MOODS = ("joyful", "calm", "sad", "tense", "mysterious", "romantic", "epic", "neutral")
TIMES_OF_DAY = ("dawn", "day", "dusk", "night")
WEATHERS = ("clear", "cloudy", "rain", "storm", "snow", "fog", "wind")
SHOTS = ("wide", "medium", "close-up", "extreme close-up", "over the shoulder", "aerial", "point of view")
# What a picture can show (ScenePlan): the script reader fills it, the painter draws it, prompts use it.
PLACES = ("kitchen", "bakery", "stairwell", "cafe", "shop", "office", "bedroom", "living room", "classroom",
          "church", "station", "lighthouse", "room", "harbour", "village square", "street", "city", "forest",
          "beach", "sea", "mountain", "desert", "field", "garden", "space")
INTERIOR_PLACES = PLACES[:PLACES.index("room") + 1]
SEASONS = ("spring", "summer", "autumn", "winter")
LIGHTS = ("sun", "moon", "stars", "lamp", "candle", "fire", "window", "lantern", "streetlight", "neon")
PROPS = ("boat", "ship", "car", "bicycle", "train", "lamp", "table", "chair", "bed", "book", "cup", "bread", "oven",
         "door", "clock", "tree", "flower", "house", "barn", "tower", "bridge", "fence", "dog", "cat", "bird", "gull",
         "horse", "cow", "fish", "rock")
FIGURE_AGES = ("adult", "child")
FIGURE_ACTIONS = ("stand", "walk", "run", "sit", "talk")
JOB_STATUSES = ("pending", "running", "completed", "failed", "cancelled", "interrupted")
STAGES = ("parse", "images", "voice", "animation", "music", "assembly", "export")

# Scene timing. Speech starts after the incoming transition plus a breath and is followed by a
# pause, so no line is ever covered by a transition.
SPEECH_LEAD_SECONDS = 0.3  # added to the transition length
SPEECH_TAIL_SECONDS = 0.7
MIN_SCENE_SECONDS = 3.0
WORDS_PER_SECOND = 2.6  # the built-in voice speaks ~155 words a minute
# A render's work and memory grow with its length: these bound the worst case the script limit allows
# (bench/README.md, "the longest film"). Checked on the words before any work.
MAX_SCENE_MINUTES = 20
MAX_FILM_MINUTES = 60


def estimate_duration(words: int, transition_seconds: float = 0.5) -> float:
    """Seconds a scene with this many spoken words will last."""
    speech = words / WORDS_PER_SECOND
    return round(max(MIN_SCENE_SECONDS, transition_seconds + SPEECH_LEAD_SECONDS + speech + SPEECH_TAIL_SECONDS), 2)


@dataclass
class Line:
    """One spoken line: narration (speaker None) or a character's dialogue."""

    text: str
    speaker: str | None = None
    parenthetical: str = ""  # e.g. "whispering", without brackets, as written
    delivery: str = ""  # how it is said (whispered, angry, ...): from the parenthetical or the script reader


@dataclass
class CameraKey:
    """One keyframe of a custom camera path: at `t` (0 = the scene's start, 1 = its end) the view is
    centred at (x, y) in the picture (0..1 each, 0.5 = the centre), zoomed by `zoom` (1 = the whole
    picture fits, up to 4) and turned by `rotate` degrees; `ease` shapes the move into this key
    (linear, in, out, in_out)."""

    t: float
    x: float = 0.5
    y: float = 0.5
    zoom: float = 1.0
    rotate: float = 0.0
    ease: str = "in_out"


@dataclass
class Figure:
    """A person in the picture: a character (by name) or someone ("")."""

    name: str = ""
    age: str = "adult"  # one of FIGURE_AGES
    action: str = "stand"  # one of FIGURE_ACTIONS


@dataclass
class ScenePlan:
    """What the scene's picture shows beyond Scene's interior, time_of_day and weather: the place (one
    of PLACES), the season, light sources, props and figures, each from its vocabulary."""

    place: str = ""
    season: str = ""
    lights: list[str] = field(default_factory=list)
    props: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


@dataclass
class Scene:
    number: int
    heading: str
    text: str = ""  # the scene's source text, as written
    lines: list[Line] = field(default_factory=list)
    visual: str = ""  # what the picture shows (action lines, prose)
    mood: str = "neutral"
    duration: float = MIN_SCENE_SECONDS  # estimated from the words; the render uses the speech
    min_duration: float = 0.0  # the user's: the scene lasts at least this long (s); 0 = as long as its speech
    camera: list[str] = field(default_factory=list)  # directions found in the script (MOTIONS)
    location: str = ""
    interior: bool | None = None
    time_of_day: str = ""  # one of TIMES_OF_DAY or ""
    weather: str = ""  # one of WEATHERS or "" (not said)
    shot: str = ""  # one of SHOTS or "" (the image model's own framing)
    sounds: list[str] = field(default_factory=list)  # sound cues of the script (SFX, "thunder rolls")
    plan: ScenePlan = field(default_factory=ScenePlan)  # what the picture shows (issue 13)
    camera_path: list[CameraKey] = field(default_factory=list)  # a custom camera move (empty: `motion`)
    animation_model: str = ""  # animation model id for this scene, "" = the project's
    lipsync_model: str = ""  # lip-sync model id for this scene, "none" = no lip sync, "" = the project's
    speaker_faces: dict[str, int] = field(default_factory=dict)  # speaker -> face (0 = leftmost), else automatic
    characters: list[str] = field(default_factory=list)
    # Storyboard overrides, "" means automatic / project default.
    motion: str = ""
    image: str = ""  # asset id of an image the user supplied
    clip: str = ""  # asset id of the user's video clip: the scene's moving picture (looped or cut to length)
    transition: str = ""  # transition *into* this scene
    image_model: str = ""  # image model id for this scene, "" = the project's
    style: str = ""  # AI image style preset of this scene, "" = the project's, "none" = no style here
    image_strength: float = 0.0  # > 0 with `image` and an AI model: img2img from the user's image
    grade: str = ""  # colour grade of this scene, "" = the project's
    overlays: list[dict] = field(default_factory=list)  # text overlays: {text, position, start, seconds}
    captions: str = ""  # caption style preset of this scene, "" = the project's, "none" = no captions here
    sound_files: list[dict] = field(default_factory=list)  # the user's sounds: {asset, name, at (s), bed}
    seed: int | None = None  # the scene's variation (pictures, clips); None: its number. Kept when scenes move

    @property
    def variant(self) -> int:
        """What varies this scene's random choices: its own seed, else its number (as scenes always had)."""
        return self.seed if self.seed is not None else self.number


@dataclass
class Character:
    name: str
    description: str = ""  # appearance, reused in every picture the character is in
    age: str = ""  # as the script says it ("about sixty", "a child")
    clothing: str = ""
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
    # What the user should hear before rendering: a form that is only a guess, text that yields no
    # spoken line, a preamble left out, a chunk the LLM reader got wrong and the rules read instead.
    notes: list[str] = field(default_factory=list)
    parser: str = "rules"  # "rules" or the LLM model id that read it


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
    notes: list[str] = field(default_factory=list)  # what the reader said about the script (ParsedScript.notes)
    model_revisions: dict[str, str] = field(default_factory=dict)  # model id -> hub commit (`models use ID@REV --project`)


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
    user: str = ""  # who started it, when the studio has logins ("" otherwise)


@dataclass
class Version:
    """One finished render of a project: what it was made from and what it made."""

    id: str  # the render job's id
    project_id: str
    number: int = 0  # 1, 2, 3 ... per project
    name: str = ""
    created: float = 0.0
    project: dict[str, Any] = field(default_factory=dict)  # the project as rendered (domain.project_doc)
    outputs: dict[str, str] = field(default_factory=dict)  # role -> path in the data folder (renders/<job>/...)
    assets: dict[str, str] = field(default_factory=dict)  # role -> asset id of the same file
    duration: float = 0.0  # the film's seconds
    seconds: float = 0.0  # the render's wall time
    steps: list[dict[str, Any]] = field(default_factory=list)  # {name, scene, cached, seconds}
    models: dict[str, str] = field(default_factory=dict)  # model id -> the revision (hub commit, file hash) used


@dataclass
class ProgressEvent:
    stage: str
    fraction: float  # within the stage, 0..1
    overall: float  # over the whole job, 0..1
    message: str = ""
    scene: int | None = None
    note: bool = False  # a note to show on its own line (JobContext.note), not a progress message


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
    phones: list[list[tuple[str, float, float]] | None] = field(default_factory=list)  # per cue: the voice's aligned phonemes
    effects: str = ""  # the scene's sound-effects WAV, from the scene's start
    grade: str = ""  # the scene's own colour grade ("" = the film's)
    overlays: list[Any] = field(default_factory=list)  # assembly.overlays.TextOverlay, times from the scene start
    captions: Any = None  # the scene's own assembly CaptionStyle (None: the film's)
    burn_captions: bool = True  # False: no captions burned over this scene (the sidecars keep its lines)


@dataclass
class AssemblyResult:
    video: str
    subtitles: str  # the .srt sidecar
    duration: float


T = TypeVar("T")


def to_dict(obj: Any) -> Any:
    return dataclasses.asdict(obj)


def project_doc(project: "Project") -> dict[str, Any]:
    """A project as the store keeps it: its settings grouped (render_settings.to_doc)."""
    doc = dataclasses.asdict(project)
    doc["settings"] = render_settings.to_doc(project.settings)
    return doc


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)  # slow (evaluates annotations): once per class


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build a dataclass (nested ones too) from a dict; unknown keys are dropped."""
    kwargs = {}
    for name, convert in _plan(cls):
        if name in data:
            value = data[name]
            kwargs[name] = None if value is None else convert(value)
    return cls(**kwargs)


@functools.lru_cache(maxsize=None)
def _plan(cls: type) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    # each field's converter worked out once per class: building a project is a store read's main cost
    hints = _hints(cls)
    return tuple((f.name, _converter(hints[f.name])) for f in dataclasses.fields(cls))  # type: ignore[arg-type]


def _same(value: Any) -> Any:
    return value


@functools.lru_cache(maxsize=None)
def _converter(tp: Any) -> Callable[[Any], Any]:
    """value -> the field's value: nested dataclasses built, lists copied (never shared with the doc)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is RenderSettings:  # grouped, or flat as saved before the grouping
        return lambda v: from_dict(tp, render_settings.from_doc(v)) if isinstance(v, dict) else v
    if dataclasses.is_dataclass(tp):
        return lambda v: from_dict(tp, v) if isinstance(v, dict) else v
    if origin is list and args:
        inner = _converter(args[0])
        if inner is _same:
            return list
        return lambda v: [None if x is None else inner(x) for x in v]
    if origin in (typing.Union, types.UnionType):
        for a in args:
            if a is not type(None) and dataclasses.is_dataclass(a):
                return lambda v, a=a: from_dict(a, v) if isinstance(v, dict) else v
    return _same
