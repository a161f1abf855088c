"""The Script tab's render-settings form: one field per row of the settings table.

Fields come from `vidgen.render_settings.SETTINGS` (kind, choices, range, help, group): a new setting
appears here with no code of its own, unless its choices come from the registry or a service
(`DYNAMIC`) or it has a structured value. `values()` turns the form's values into the API's settings
dict, `show()` a project's settings into the form's values, in the same order as `fields`.
"""

from __future__ import annotations

from typing import Any, Callable

import gradio as gr

from ..platforms import PLATFORMS
from ..render_settings import BY_NAME, GROUPS, SETTINGS, Setting
from .boundary import shown
from ..services.images.diffusion import SCHEDULERS, styles
from ..services.music.composer import GENRES
from ..services.voice import BUILTIN_VOICE

LANGUAGES = [("detect from the script", ""), ("English", "en"), ("French", "fr"), ("Spanish", "es"),
             ("German", "de"), ("Italian", "it"), ("Portuguese", "pt"), ("Dutch", "nl"), ("Polish", "pl"),
             ("Russian", "ru"), ("Hindi", "hi"), ("Japanese", "ja"), ("Chinese", "zh")]
MUSIC_AUTO, MUSIC_NONE, MUSIC_FILE = "generated score", "no music", "my file"
SCRIPT_GROUPS = ("script", "output", "image", "animation", "voice")  # the Script tab's; music: Music tab
ASSEMBLE_GROUPS = ("subtitles", "look", "titles")  # the Assemble tab's
FORM_GROUPS = {"script": "Script reader", "output": "Output", "image": "Pictures", "animation": "Transitions", "voice": "Voice",
               "music": "Music", "subtitles": "Captions", "look": "Colour grade", "titles": "Titles and watermark"}
OPEN_GROUPS = ("output",)  # the rest start folded


def _models(studio: Any, kind: str, active_label: bool = True) -> list[tuple[str, str]]:
    models = studio.model_choices(kind)
    active = next((m["name"] for m in models if m["active"]), "")
    head = [(f"Active model ({active})", "")] if active_label else []
    return head + [(f"{m['name']} [{m['id']}]", m["id"]) for m in models]


def _voices(studio: Any) -> list[tuple[str, str]]:
    models = [(f"{m['name']} [{m['id']}]", m["id"]) for m in studio.model_choices("voice") if not m["builtin"]]
    return [("Piper en_US-joe-medium (built in)", BUILTIN_VOICE), *models, ("none (silent film)", "none")]


# Settings whose choices are not fixed in the table: (studio) -> [(label, value)]
DYNAMIC: dict[str, Callable[[Any], list[tuple[str, str]]]] = {
    "parser": lambda studio: [("Rules (built in)", "rules"), *((f"{m['name']} [{m['id']}]", m["id"])
                                                             for m in studio.model_choices("llm") if not m["builtin"])],
    "image_model": lambda studio: _models(studio, "image"),
    "music_model": lambda studio: _models(studio, "music"),
    "animation_model": lambda studio: _models(studio, "animation"),
    "lipsync_model": lambda studio: [*_models(studio, "lipsync"), ("No lip sync", "none")],
    "voice": _voices,
    "language": lambda studio: LANGUAGES,
    "style": lambda studio: [("none", ""), *((n, n) for n in styles())],
    "scheduler": lambda studio: [("the model's own", ""), *((n, n) for n in SCHEDULERS)],
    "music_genre": lambda studio: [("from the moods", ""), *((g, g) for g in GENRES)],
}
FILE_TYPES = {"caption_font": [".ttf", ".otf"], "grade_lut": [".cube"], "watermark": ["image"]}
CUSTOM_VALUES = ("voice", "language", "parser")  # also ollama:TAG  # a voice file or language code not in the list is allowed


def _field(studio: Any, s: Setting) -> gr.components.Component:
    info = s.help + (f" (empty: {s.empty})" if s.empty else "")
    common = {"label": s.title, "info": info.replace("`", ""), "elem_id": "render-" + s.name.replace("_", "-"),
              "render": False}
    if s.name == "music":
        return gr.Radio([MUSIC_AUTO, MUSIC_NONE, MUSIC_FILE], value=MUSIC_AUTO, **{**common, "elem_id": "render-music-mode"})
    if s.name in DYNAMIC:
        return gr.Dropdown(DYNAMIC[s.name](studio), value=s.default, allow_custom_value=s.name in CUSTOM_VALUES, **common)
    if s.choices:
        return gr.Dropdown(list(s.choices), value=s.default, **common)
    if s.kind == "bool":
        return gr.Checkbox(value=s.default, **common)
    if s.kind in ("int", "float") and s.range is not None and s.range[1] - s.range[0] <= 240:
        low = 0 if s.empty else s.range[0]
        return gr.Slider(low, s.range[1], value=s.default, step=1 if s.kind == "int" else 0.05, **common)
    if s.kind in ("int", "float", "optional_float"):
        return gr.Number(value=s.default, precision=0 if s.kind == "int" else None, **common)
    lines = 2 if s.kind == "loras" else 1
    return gr.Textbox(value=s.default if isinstance(s.default, str) else "", lines=lines, placeholder=s.metavar,
                      **common)


class SettingsForm:
    """Makes the fields and converts between them and the settings dict. The fields are made first
    and shown later, group by group, in whichever tab holds them (`render_groups`), so the Script
    tab's Parse and Render read the Music and Assemble tabs' fields too."""

    def __init__(self, studio: Any):
        self.studio = studio
        self.rows = [s for s in SETTINGS if s.kind != "voice"]  # the narrator's voice is set in the Cast tab
        self.by_group = {g: [s for s in self.rows if s.group == g] for g in GROUPS}
        self.by_name = {s.name: _field(studio, s) for s in self.rows}
        self.fields = [self.by_name[s.name] for s in self.rows]
        self.music_file = gr.File(label="Your music file (looped)", type="filepath", file_types=["audio"],
                                  elem_id="render-music", render=False)

    def render_groups(self, groups: tuple[str, ...]) -> None:
        """Show these groups' fields here, each group in an accordion."""
        for group in groups:
            with gr.Accordion(FORM_GROUPS[group], open=group in OPEN_GROUPS, elem_id=f"render-group-{group}"):
                for s in self.by_group[group]:
                    self.by_name[s.name].render()
                    if s.name in FILE_TYPES:
                        self._upload(s.name, self.by_name[s.name])
                if group == "music":
                    self.music_file.render()
                if group == "output":
                    self._platform_fills()

    def _platform_fills(self) -> None:
        """Choosing a platform (the user's pick, not a project loading) fills its settings' fields,
        which stay editable: what the form then saves is what it shows."""
        names = [n for n in ("aspect", "resolution", "fps", "max_bitrate", "loudness") if n in self.by_name]

        def fill(platform: str | None) -> list[Any]:
            preset = PLATFORMS.get(platform or "")
            return [_to_field(BY_NAME[n], preset[n]) if preset else gr.skip() for n in names]

        self.by_name["platform"].input(fill, self.by_name["platform"], [self.by_name[n] for n in names],
                                       api_visibility="private")

    def _upload(self, name: str, field: gr.components.Component) -> None:
        """An upload button under a setting that names a file: the file is kept (checked) and the field
        gets its asset id."""
        button = gr.UploadButton(f"Upload the {name.replace('_', ' ')} file", file_types=FILE_TYPES[name],
                                 type="filepath", size="sm", elem_id="render-upload-" + name.replace("_", "-"))

        @shown
        def kept(path: str | None) -> Any:
            return self.studio.add_look_file(path, name)["asset"] if path else gr.skip()

        button.upload(kept, button, field, api_visibility="private")

    def values(self, values: list[Any]) -> dict[str, Any]:
        """The API's settings dict from the fields' values (in `fields` order); the music file, when
        chosen, is set separately (Studio.set_music)."""
        out: dict[str, Any] = {}
        for s, v in zip(self.rows, values):
            if s.name == "music":
                if v != MUSIC_FILE:
                    out["music"] = "none" if v == MUSIC_NONE else "auto"
                continue
            out[s.name] = _from_field(s, v)
        return out

    def show(self, settings: dict[str, Any]) -> list[Any]:
        """The fields' values for a project's settings (dynamic choices refreshed)."""
        out: list[Any] = []
        for s in self.rows:
            v = settings.get(s.name, s.default)
            if s.name == "music":
                out.append({"auto": MUSIC_AUTO, "none": MUSIC_NONE, "": MUSIC_NONE}.get(v, MUSIC_FILE))
            elif s.name in DYNAMIC:
                out.append(gr.Dropdown(choices=DYNAMIC[s.name](self.studio), value=v))
            else:
                out.append(_to_field(s, v))
        return out

    def refresh_choices(self, name: str) -> Callable[[Any], Any]:
        """A callback that reloads one dynamic field's choices (models added in the Models tab)."""
        return lambda value: gr.Dropdown(choices=DYNAMIC[name](self.studio), value=value or "")


def _from_field(s: Setting, v: Any) -> Any:
    if s.kind == "loras":
        return parse_loras(v or "")
    if s.kind == "programs":
        return parse_programs(v or "")
    if s.kind == "int":
        return int(v or 0)
    if s.kind == "float":
        return float(v if v is not None else s.default)
    if s.kind == "str":
        if not (v or "").strip() and s.default:  # a cleared field goes back to its default (a colour)
            return s.default
        return (v or "").strip() if s.name in ("music_key",) else (v or "")
    return v


def _to_field(s: Setting, v: Any) -> Any:
    if s.kind == "loras":
        return "\n".join(f"{lo['source']}:{lo['scale']:g}" for lo in v or [])
    if s.kind == "programs":
        return ", ".join(map(str, v or []))
    return v


def parse_loras(text: str) -> list[dict[str, Any]]:
    """"owner/name:0.8" lines -> [{"source", "scale"}]; the scale defaults to 1."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        source, sep, scale = line.rpartition(":")
        try:
            out.append({"source": source.strip(), "scale": float(scale)} if sep else {"source": line, "scale": 1.0})
        except ValueError:
            raise gr.Error(f"LoRA line {line!r}: write source:scale, e.g. owner/name:0.8.") from None
    return out


def parse_programs(text: str) -> list[int]:
    """"0, 48, 32" -> [0, 48, 32] (General MIDI program numbers)."""
    try:
        return [int(v) for v in text.replace(",", " ").split()]
    except ValueError:
        raise gr.Error(f"Instruments {text!r}: write General MIDI program numbers, e.g. 0, 48, 32, 89.") from None
