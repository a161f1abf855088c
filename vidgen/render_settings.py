"""The render settings: one table from which the dataclass, the CLI flags, the studio's forms, the
API's settings-dict checks and the README's settings table are all derived (datasette's `SETTINGS`).

A new setting is one `Setting` row here plus its use. `RenderSettings` is built from the rows, so
its fields, defaults and types cannot drift from the table; `tests/test_docs.py` fails when the
README's table does.

Stored projects keep their settings grouped by the rows' `group` (`to_doc`); `from_doc` also reads
the flat layout that projects saved before the grouping have (the migration on loading).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .errors import VidgenError
from .platforms import PLATFORMS

ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:5": (4, 5)}
RESOLUTIONS = {"480p": 480, "720p": 720, "1080p": 1080}  # length of the short side
TRANSITIONS = ("fade", "dissolve", "wipe", "slide", "cut")
QUALITIES = {  # name -> (x264 preset, crf)
    "draft": ("ultrafast", 26),
    "standard": ("veryfast", 21),
    "high": ("medium", 18),
}
GROUPS = ("script", "output", "image", "animation", "voice", "music", "subtitles", "look", "titles")
CAPTION_STYLES = ("clean", "boxed", "outline", "karaoke", "words")  # services/assembly/caption_style.PRESETS
GRADES = ("none", "warm", "cool", "teal_orange", "noir", "vintage", "vivid")  # services/assembly/grade.GRADES
MAX_PROMPT = 2000  # characters of a negative prompt


@dataclass
class Voice:
    """How one speaker sounds: the narrator (RenderSettings.narrator) or a character."""

    model: str = ""  # a voice id (see services/voice); "" = the project's voice (RenderSettings.voice)
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
class Lora:
    """A LoRA applied to the AI image model: a hub repo id ("owner/name", or "owner/name/file.safetensors"),
    the asset id of an uploaded .safetensors file, or the id of a LoRA record (`models add URL --kind adapter`)."""

    source: str
    scale: float = 1.0


@dataclass(frozen=True)
class Setting:
    """One render setting. `kind` is how a value is checked and shown: bool, int, float, str, or one of
    the structured kinds "optional_float" (None = the model's default), "voice" (a Voice), "loras"
    (a list of Lora) and "programs" (General MIDI program numbers)."""

    name: str
    kind: str
    default: Any
    help: str
    group: str
    choices: tuple[str, ...] = ()  # fixed choices ("" allowed only when `empty` says what it means)
    range: tuple[float, float] | None = None  # inclusive
    empty: str = ""  # what "" (or 0 for numbers) means, e.g. "the model's own"
    flag: str = ""  # the CLI flag ("" = --name-with-dashes; "-" = no flag)
    metavar: str = ""
    label: str = ""  # the studio's field label ("" = the name in words)
    scene: str = ""  # the Scene field that overrides this setting for one scene ("" = none does)

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def cli_flag(self) -> str:
        if self.flag:
            return self.flag
        if self.kind == "bool" and self.default is True:
            return "--no-" + self.name.replace("_", "-")
        return "--" + self.name.replace("_", "-")

    @property
    def py_type(self) -> Any:
        return {"bool": bool, "int": int, "float": float, "str": str, "optional_float": float | None,
                "voice": Voice, "loras": list[Lora], "programs": list[int]}[self.kind]

    def field(self) -> Any:
        if self.kind == "voice":
            return field(default_factory=Voice)
        if isinstance(self.default, list):
            return field(default_factory=list)
        return field(default=self.default)


def _s(name: str, kind: str, default: Any, help: str, group: str, **kw: Any) -> Setting:
    return Setting(name, kind, default, help, group, **kw)


SETTINGS: tuple[Setting, ...] = (
    # script
    _s("parser", "str", "rules", "who reads the script into scenes, characters and lines: rules (built in) or "
       "an LLM served by Ollama (a model id from `models list --kind llm`, or ollama:TAG for any local model); "
       "the spoken words are always the script's", "script", metavar="rules|ID", label="Script reader"),
    # output
    _s("aspect", "str", "16:9", "frame aspect", "output", choices=tuple(ASPECTS)),
    _s("resolution", "str", "720p", "length of the frame's short side", "output", choices=tuple(RESOLUTIONS)),
    _s("fps", "int", 24, "frames per second", "output", range=(1, 60), metavar="N", label="Frames per second"),
    _s("quality", "str", "standard", "encoder effort and quality: draft, standard, high (x264 ultrafast / veryfast / "
       "medium, the other encoders matched)", "output", choices=tuple(QUALITIES)),
    _s("platform", "str", "", "a platform preset: sets aspect, resolution, fps, bitrate ceiling and loudness (a "
       "setting given with it wins)", "output", choices=("", *PLATFORMS), empty="none"),
    _s("max_bitrate", "int", 0, "video bitrate ceiling, kbit/s", "output", range=(300, 200000), empty="none",
       metavar="KBPS", label="Bitrate ceiling (kbit/s)"),
    _s("loudness", "float", -16.0, "the film's integrated loudness, LUFS (EBU R128)", "output", range=(-40.0, -5.0),
       metavar="LUFS", label="Loudness (LUFS)"),
    _s("encoder", "str", "auto", "video encoder: auto = NVENC where it works, else software (libx264, libx265); "
       "software; nvenc", "output", choices=("auto", "software", "nvenc")),
    _s("seed", "int", 0, "seed of every generated picture, voice and score (a fixed offset per scene)", "output",
       range=(0, 2**32 - 1), metavar="N"),
    # image
    _s("image_model", "str", "", "image model id (`models list --kind image`; storyboard = the painter)", "image",
       empty="the active image model", metavar="ID", scene="image_model"),
    _s("scene_label", "bool", True, "the painter writes the scene's number and heading on its picture (a "
       "storyboard aid; turn it off for a finished film: the captions already say it)", "image",
       label="Scene label on painted pictures"),
    _s("style", "str", "", "style preset of AI image models (cinematic, photographic, anime, ...)", "image",
       empty="none", metavar="NAME", scene="style"),
    _s("negative_prompt", "str", "", "added to the style's negative prompt (AI image models)", "image",
       flag="--negative", metavar="TEXT", label="Negative prompt (AI images)"),
    _s("image_steps", "int", 0, "denoising steps of AI image models", "image", range=(1, 200),
       empty="the model's own, e.g. SDXL-Turbo 2, SDXL 30", metavar="N",
       label="Steps (AI images)"),
    _s("image_guidance", "optional_float", None, "classifier-free guidance of AI image models", "image",
       range=(0.0, 30.0), empty="the model's own", flag="--guidance", metavar="G", label="Guidance (AI images)"),
    _s("scheduler", "str", "", "sampler of AI image models (euler, euler_a, dpm++, ddim)", "image",
       empty="the model's own", metavar="NAME"),
    _s("loras", "loras", [], "LoRAs: a .safetensors file, a hub repo id or a LoRA record's id (`models add URL "
       "--kind adapter`), each with a scale (-4 to 4)", "image",
       flag="--lora", metavar="SRC[:SCALE]", label="LoRAs (one per line)"),
    _s("reference_scale", "float", 0.6, "how strongly a character's reference picture steers the AI image "
       "(IP-Adapter)", "image", range=(0.0, 1.0), metavar="S",
       label="Character reference strength"),
    # animation
    _s("transition", "str", "fade", "transition between scenes", "animation", choices=TRANSITIONS,
       scene="transition"),
    _s("transition_seconds", "float", 0.5, "length of each transition", "animation", range=(0.0, 2.0),
       metavar="S", label="Transition length (s)"),
    _s("animation_model", "str", "", "animation model id (`models list --kind animation`; camera = the built-in "
       "camera move over the still)", "animation", empty="the active animation model", metavar="ID",
       scene="animation_model"),
    _s("animation_strength", "float", 0.5, "how much an image-to-video model moves the picture (0 still, 1 a lot)",
       "animation", range=(0.0, 1.0), metavar="S", label="Motion strength (AI video)"),
    _s("animation_steps", "int", 0, "denoising steps of image-to-video models", "animation", range=(1, 100),
       empty="the model's own", metavar="N", label="Steps (AI video)"),
    _s("stabilize", "bool", False, "smooth the shake of image-to-video clips (feature tracking, a 4% crop)",
       "animation", label="Stabilize AI clips"),
    _s("lipsync_model", "str", "", "lip-sync model id (`models list --kind lipsync`; visemes = the built-in drawn "
       "mouth; none = no lip sync)", "animation", empty="the active lip-sync model", metavar="ID",
       scene="lipsync_model"),
    _s("motion_blur", "bool", False, "blur the camera's moves along their path (slower to render)", "animation",
       label="Motion blur"),
    # voice
    _s("voice", "str", "piper:en_US-joe-medium", "the project's voice: piper:en_US-joe-medium, none (a silent "
       "film), piper:/path/voice.onnx or a voice model id", "voice", metavar="VOICE"),
    _s("narrator", "voice", None, "the narrator's speaker, speed, pitch and cloning sample (model \"\" = voice)",
       "voice", flag="-"),
    _s("language", "str", "", "the script's language, ISO 639-1 (en, fr, es ...)", "voice",
       empty="detected from the script", metavar="CODE"),
    # music
    _s("music", "str", "auto", "auto: a score generated for the film's moods; none; or a music file "
       "(looped, ducked under speech)", "music", metavar="auto|none|FILE"),
    _s("music_model", "str", "", "music model of the generated score", "music",
       empty="the active music model (the composer)", metavar="ID"),
    _s("music_genre", "str", "", "genre of the generated score (ambient, orchestral, piano, electronic, lofi, "
       "rock, jazz, cinematic)", "music", empty="from the moods", flag="--genre", metavar="NAME", label="Genre"),
    _s("music_tempo", "int", 0, "tempo of the generated score in BPM", "music", range=(40, 220),
       empty="the mood's", flag="--tempo", metavar="BPM", label="Tempo (BPM)"),
    _s("music_key", "str", "", 'key of the generated score, e.g. "D minor"', "music", empty="the mood's",
       flag="--key", metavar="KEY", label="Key"),
    _s("music_instruments", "programs", [], "General MIDI programs of the score's melody, chords, bass and pad, "
       "e.g. 0,48,32,89", "music", empty="the genre's", flag="--instruments", metavar="P,P,P,P",
       label="Instruments (General MIDI programs)"),
    _s("music_volume", "float", 0.3, "music level relative to the voice (0.3 is about 10 dB under it)", "music",
       range=(0.0, 2.0), metavar="V", label="Music level"),
    _s("sound_effects", "bool", True, "the script's sound cues (\"rain on the window\", SFX: THUNDER) play as sound "
       "effects from the built-in synthesised library, ducked under the voices", "music", label="Sound effects"),
    _s("sfx_model", "str", "", "sound-effects model (`models list --kind sfx`; sfx-synth = the built-in "
       "synthesised library, which plays the cues it has a sound for; an AI model makes every cue from its words)",
       "music", empty="the active sound-effects model", metavar="ID", label="Sound-effects model"),
    _s("effects_volume", "float", 0.5, "sound-effects level relative to the voice (0.5 is about 6 dB under it)",
       "music", range=(0.0, 2.0), metavar="V", label="Sound-effects level"),
    # subtitles
    _s("subtitles", "bool", True, "burn the captions into the picture (the .srt sidecar is always written)",
       "subtitles", flag="--no-burn-subtitles", label="Burn captions into the picture"),
    _s("caption_style", "str", "clean", "how burnt-in captions look: clean (outlined), boxed, outline (bold), karaoke "
       "(the spoken word lights up), words (one to three big words at a time, as short videos do)", "subtitles",
       choices=CAPTION_STYLES, label="Caption style", scene="captions"),
    _s("caption_position", "str", "", "where captions sit (bottom, middle, top), inside the aspect's safe margins",
       "subtitles", choices=("", "bottom", "middle", "top"), empty="the style's", label="Caption position"),
    _s("caption_size", "optional_float", None, "caption text height as a fraction of the frame height (9:16 "
       "captions are scaled for the narrow frame)", "subtitles", range=(0.02, 0.25), empty="the style's",
       metavar="F", label="Caption size"),
    _s("caption_color", "str", "", "caption text colour, #RRGGBB", "subtitles", empty="the style's (white)",
       metavar="#RRGGBB", label="Caption colour"),
    _s("caption_highlight", "str", "", "the spoken word's colour (karaoke, words), #RRGGBB", "subtitles",
       empty="the style's (yellow)", metavar="#RRGGBB", label="Spoken-word colour"),
    _s("caption_font", "str", "", "a .ttf/.otf font for the captions (a file, or its asset id)", "subtitles",
       empty="the bundled DejaVu Sans", metavar="FILE", label="Caption font"),
    # look
    _s("grade", "str", "none", "colour grade of the whole film", "look", choices=GRADES, label="Colour grade",
       scene="grade"),
    _s("grade_lut", "str", "", "a .cube 3D LUT applied after the grade (a file, or its asset id)", "look",
       empty="none", metavar="FILE", label="LUT (.cube)"),
    _s("grade_strength", "float", 1.0, "how much of the grade and LUT is applied (0 none, 1 all)", "look",
       range=(0.0, 1.0), metavar="S", label="Grade strength"),
    # titles
    _s("title_text", "str", "", "a title card before the first scene (new lines allowed)", "titles", empty="none",
       flag="--title-card", metavar="TEXT", label="Title card"),
    _s("title_seconds", "float", 3.0, "how long the title card shows", "titles", range=(0.5, 30.0), metavar="S",
       label="Title card length (s)"),
    _s("end_text", "str", "", "an end card after the last scene", "titles", empty="none", flag="--end-card",
       metavar="TEXT", label="End card"),
    _s("end_seconds", "float", 3.0, "how long the end card shows", "titles", range=(0.5, 30.0), metavar="S",
       label="End card length (s)"),
    _s("card_color", "str", "#FFFFFF", "the title and end cards' text colour, #RRGGBB", "titles",
       metavar="#RRGGBB", label="Card text colour"),
    _s("card_background", "str", "#000000", "the title and end cards' background colour, #RRGGBB", "titles",
       metavar="#RRGGBB", label="Card background"),
    _s("lower_thirds", "bool", False, "each character's name in the lower third when they first speak", "titles",
       label="Lower thirds"),
    _s("watermark", "str", "", "a logo over the whole film (an image file, or its asset id)", "titles",
       empty="none", metavar="FILE", label="Watermark image"),
    _s("watermark_text", "str", "", "a text watermark over the whole film (instead of an image)", "titles",
       empty="none", metavar="TEXT", label="Watermark text"),
    _s("watermark_corner", "str", "bottom-right", "the watermark's corner", "titles",
       choices=("top-left", "top-right", "bottom-left", "bottom-right"), label="Watermark corner"),
    _s("watermark_opacity", "float", 0.8, "the watermark's opacity", "titles", range=(0.0, 1.0), metavar="A",
       label="Watermark opacity"),
    _s("watermark_scale", "float", 0.12, "the watermark's width as a fraction of the frame's", "titles",
       range=(0.02, 0.5), metavar="F", label="Watermark size"),
)
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def _size(self: Any) -> tuple[int, int]:
    """(width, height) in pixels, both even as H.264 4:2:0 needs."""
    aw, ah = ASPECTS[self.aspect]
    short = RESOLUTIONS[self.resolution]
    w, h = (short * aw / ah, short) if aw >= ah else (short, short * ah / aw)
    return int(round(w / 2)) * 2, int(round(h / 2)) * 2


def _music_source(self: Any) -> str:
    """"auto", "none" or an asset id ("" in records from before "auto" existed meant none)."""
    return self.music or "none"


def _validate(self: Any) -> Any:
    """Every rule of the table (choices, ranges, structured values); VidgenError names the setting."""
    for s in SETTINGS:
        check_value(s, getattr(self, s.name))
    return self


RenderSettings = dataclasses.make_dataclass(
    "RenderSettings", [(s.name, s.py_type, s.field()) for s in SETTINGS],
    namespace={"__doc__": "The render settings of a project (fields from SETTINGS).", "__module__": __name__,
               "size": property(_size), "music_source": property(_music_source), "validate": _validate})


# --- values ------------------------------------------------------------------------------------

_LABELS = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


def typed(name: str, value: Any, kind: type) -> Any:
    """`value` as a `kind` (int/float/str/bool), or a VidgenError naming the field."""
    if kind is bool and isinstance(value, bool):
        return value
    if kind is int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind is str and isinstance(value, str):
        return value
    raise VidgenError(f"{name} must be {_LABELS[kind]}, not {value!r}.")


def voice_from(value: Any, who: str) -> Voice:
    """A Voice from plain data ({model, speaker, speed, pitch, sample}), type-checked and in range."""
    if isinstance(value, Voice):
        value = dataclasses.asdict(value)
    if not isinstance(value, dict):
        raise VidgenError(f"{who}: a voice is a dict of model, speaker, speed, pitch, sample, not {value!r}.")
    kinds = {f.name: type(getattr(Voice(), f.name)) for f in dataclasses.fields(Voice)}
    unknown = sorted(set(map(str, value)) - set(kinds))
    if unknown:
        raise VidgenError(f"{who}: unknown voice field {', '.join(unknown)}: use {', '.join(kinds)}.")
    return Voice(**{k: typed(f"{who} {k}", v, kinds[k]) for k, v in value.items()}).validate(who)


def _loras(value: Any) -> list[Lora]:
    if not isinstance(value, list):
        raise VidgenError(f"loras must be a list of {{source, scale}}, not {value!r}.")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, Lora):
            item = dataclasses.asdict(item)
        if isinstance(item, (list, tuple)) and len(item) == 2:
            item = {"source": item[0], "scale": item[1]}
        if not isinstance(item, dict) or set(map(str, item)) - {"source", "scale"}:
            raise VidgenError(f"LoRA {i + 1} must be {{source, scale}}, not {item!r}.")
        out.append(Lora(typed(f"LoRA {i + 1} source", item.get("source", ""), str).strip(),
                        typed(f"LoRA {i + 1} scale", item.get("scale", 1.0), float)))
    return out


def convert(s: Setting, value: Any) -> Any:
    """One setting's value from plain data (the API's JSON, a CLI flag), type-checked."""
    if s.kind == "optional_float":
        return None if value is None else typed(s.name, value, float)
    if s.kind == "voice":
        return voice_from(value, s.name)
    if s.kind == "loras":
        return _loras(value)
    if s.kind == "programs":
        if not isinstance(value, list):
            raise VidgenError(f"{s.name} must be a list of General MIDI program numbers, not {value!r}.")
        return [typed("a music instrument", v, int) for v in value]
    return typed(s.name, value, s.py_type)


def check_value(s: Setting, value: Any) -> None:
    """The table's rule for one (converted) value: its choices and range; VidgenError names the fix."""
    if s.choices and value not in s.choices:
        raise VidgenError(f"Unknown {s.name} {value!r}: use one of {', '.join(s.choices)}.")
    zero_ok = bool(s.empty) and s.kind == "int" and value == 0  # 0 = the model's / mood's own
    if s.range is not None and value is not None and not zero_ok and not s.range[0] <= value <= s.range[1]:
        low, high = (num(v) for v in s.range)
        extra = f" (or 0 for {s.empty})" if s.empty and s.kind == "int" else ""
        raise VidgenError(f"{s.name} must be from {low} to {high}{extra}, not {value!r}.")
    if s.kind == "voice":
        value.validate(s.name)
    elif s.kind == "loras":
        for lora in value:
            if not lora.source.strip() or not -4.0 <= lora.scale <= 4.0:
                raise VidgenError(f"LoRA {lora.source!r}: give a source and a scale from -4 to 4, not {lora.scale!r}.")
    elif s.kind == "programs":
        if len(value) > 4 or not all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p <= 127 for p in value):
            raise VidgenError(f"{s.name}: at most four General MIDI programs (0-127) for melody, chords, bass and "
                              f"pad, not {value!r}.")


def with_changes(base: Any, data: Any) -> Any:
    """`base` (RenderSettings) with the given plain-data fields changed, each converted and checked."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise VidgenError(f"Render settings must be a dict, not {type(data).__name__}.")
    unknown = sorted(set(map(str, data)) - set(BY_NAME))
    if unknown:
        raise VidgenError(f"Unknown render setting {', '.join(unknown)}: use {', '.join(BY_NAME)}.")
    settings = dataclasses.replace(base)
    for name, value in data.items():
        setattr(settings, name, convert(BY_NAME[name], value))
    return settings.validate()


# --- the stored layout -------------------------------------------------------------------------

def to_doc(settings: Any) -> dict[str, dict[str, Any]]:
    """Settings as stored: {group: {name: value}}."""
    flat = dataclasses.asdict(settings)
    return {g: {s.name: flat[s.name] for s in SETTINGS if s.group == g} for g in GROUPS}


def from_doc(doc: Any) -> dict[str, Any]:
    """The flat {name: value} of stored settings, grouped (today) or flat (projects saved before the
    grouping); unknown names are dropped, as for every stored record."""
    if not isinstance(doc, dict):
        return {}
    # "music" names a group and a setting: only the other groups tell the two layouts apart
    if any(isinstance(doc.get(g), dict) for g in GROUPS if g not in BY_NAME):
        flat = {k: v for g in GROUPS if isinstance(doc.get(g), dict) for k, v in doc[g].items()}
    else:
        flat = dict(doc)  # the flat layout of earlier versions
    return {k: v for k, v in flat.items() if k in BY_NAME}


def num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"
