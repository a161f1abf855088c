"""Project edits given as plain data (the API's JSON, the studio's forms): checked and turned into
the domain's records, each mistake a one-line VidgenError that names the field and the fix."""

from __future__ import annotations

import dataclasses
from typing import Any

from .domain import (FIGURE_ACTIONS, FIGURE_AGES, LIGHTS, MOODS, MOTIONS, PLACES, PROPS, SEASONS, SHOTS, TIMES_OF_DAY,
                     TRANSITIONS, WEATHERS, CameraKey, Character, Figure, Line, Scene, ScenePlan)
from .errors import VidgenError
from .render_settings import GRADES, typed, voice_from
from .services.assembly.caption_style import PRESETS
from .services.assembly.overlays import TextOverlay
from .services.images.prompts import styles
from .services.voice.prosody import parse_line

SCENE_CHANGES = ("heading", "visual", "narration", "lines", "duration", "motion", "transition", "mood", "camera",
                 "image_model", "image_strength", "location", "interior", "time_of_day", "weather", "shot", "sounds",
                 "plan", "camera_path", "animation_model", "lipsync_model", "speaker_faces", "grade", "overlays",
                 "captions", "sound_files", "seed", "clip", "style", "min_duration")
MAX_TITLE = 200
SCENE_CAPTIONS = ("none", *PRESETS)  # a scene's own caption style ("" = the project's)
MAX_OVERLAYS = 20
MAX_SOUND_FILES = 20
MAX_SCENE_SECONDS = 3600.0

__all__ = ["need_str", "need_id", "title_of", "scene_index", "character_index", "scene_from", "line_from",
           "characters_from", "replace_narration", "typed", "voice_from", "SCENE_CHANGES", "MAX_TITLE",
           "MAX_PREVIEW_CHARS"]


def need_str(value: Any, what: str) -> None:
    if not isinstance(value, str):
        raise VidgenError(f"The {what} must be text, not {type(value).__name__}.")


def need_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise VidgenError(f"A {what} id is needed (text), not {value!r}.")
    return value.strip()


def title_of(title: str) -> str:
    t = " ".join(title.split())
    if not t:
        raise VidgenError("The title is empty: give the project a title.")
    if len(t) > MAX_TITLE:
        raise VidgenError(f"The title is {len(t)} characters long: use at most {MAX_TITLE}.")
    return t


MAX_PREVIEW_CHARS = 500


def scene_index(scenes: list[Scene], number: Any, project_id: str) -> int:
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if not isinstance(number, int) or isinstance(number, bool):
        raise VidgenError(f"A scene number is a whole number, not {number!r}.")
    for i, s in enumerate(scenes):
        if s.number == number:
            return i
    raise VidgenError(f"No scene {number} in project '{project_id}': it has scenes 1 to {len(scenes)}.")


def character_index(characters: list[Character], name: Any) -> int:
    need_str(name, "character name")
    for i, c in enumerate(characters):
        if c.name.casefold() == " ".join(name.split()).casefold():
            return i
    known = ", ".join(c.name for c in characters) or "none"
    raise VidgenError(f"No character {name!r} in this project (characters: {known}).")


SCENE_FIELDS = {f.name: f for f in dataclasses.fields(Scene)}


def scene_from(d: Any, expected: int, max_text: int) -> Scene:
    if not isinstance(d, dict):
        raise VidgenError(f"Scene {expected} must be a dict, not {type(d).__name__}.")
    unknown = sorted(set(map(str, d)) - set(SCENE_FIELDS))
    if unknown:
        raise VidgenError(f"Scene {expected}: unknown field {', '.join(unknown)}: use {', '.join(SCENE_FIELDS)}.")
    where = f"Scene {expected}"
    number = typed(f"{where} number", d.get("number"), int)
    if number != expected:
        raise VidgenError(f"Scene numbers must run 1, 2, 3... in order: scene {expected} is numbered {number}.")

    def text(name: str, default: str = "") -> str:
        value = typed(f"{where} {name}", d.get(name, default), str)
        if len(value) > max_text:
            raise VidgenError(f"{where}: the {name} is {len(value)} characters long: use at most {max_text}.")
        return value

    def choice(name: str, allowed: tuple[str, ...], empty_ok: bool, default: str = "") -> str:
        value = text(name, default)
        if value not in allowed and not (empty_ok and value == ""):
            raise VidgenError(f"{where}: unknown {name} {value!r}: use one of {', '.join(allowed)}"
                              f"{' (or empty for automatic)' if empty_ok else ''}.")
        return value

    def str_list(name: str) -> list[str]:
        value = d.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise VidgenError(f"{where}: {name} must be a list of text, not {value!r}.")
        return list(value)

    lines_in = d.get("lines", [])
    if not isinstance(lines_in, list):
        raise VidgenError(f"{where}: lines must be a list of {{text, speaker, parenthetical}}, not {lines_in!r}.")
    lines = [line_from(ln, f"{where} line {i + 1}", max_text) for i, ln in enumerate(lines_in)]
    duration = typed(f"{where} duration", d.get("duration", Scene.duration), float)
    if not 0 < duration <= MAX_SCENE_SECONDS:
        raise VidgenError(f"{where}: duration must be over 0 and at most {MAX_SCENE_SECONDS:.0f} seconds, not {duration}.")
    camera = str_list("camera")
    bad = [c for c in camera if c not in MOTIONS]
    if bad:
        raise VidgenError(f"{where}: unknown camera direction {bad[0]!r}: use one of {', '.join(MOTIONS)}.")
    at_least = typed(f"{where} min_duration", d.get("min_duration", 0.0), float)
    if not 0 <= at_least <= MAX_SCENE_SECONDS:
        raise VidgenError(f"{where}: min_duration must be from 0 (as long as its speech) to {MAX_SCENE_SECONDS:.0f} "
                          f"seconds, not {at_least}.")
    strength = typed(f"{where} image_strength", d.get("image_strength", 0.0), float)
    if not 0.0 <= strength <= 1.0:
        raise VidgenError(f"{where}: image_strength must be from 0 (use the image as it is) to 1, not {strength}.")
    interior = d.get("interior")
    if interior is not None and not isinstance(interior, bool):
        raise VidgenError(f"{where}: interior must be true, false or null, not {interior!r}.")
    return Scene(
        number=number, heading=text("heading"), text=text("text"), lines=lines, visual=text("visual"),
        mood=choice("mood", MOODS, False, "neutral"), duration=round(duration, 3), camera=camera,
        min_duration=round(at_least, 3),
        location=text("location"), interior=interior, time_of_day=choice("time_of_day", TIMES_OF_DAY, True),
        weather=choice("weather", WEATHERS, True), shot=choice("shot", SHOTS, True), sounds=str_list("sounds"),
        plan=plan_from(d.get("plan"), where), camera_path=camera_path_from(d.get("camera_path"), where),
        animation_model=text("animation_model"), lipsync_model=text("lipsync_model"),
        speaker_faces=speaker_faces_from(d.get("speaker_faces"), where),
        characters=str_list("characters"), motion=choice("motion", MOTIONS, True), image=text("image"),
        transition=choice("transition", TRANSITIONS, True), image_model=text("image_model"),
        image_strength=strength, grade=choice("grade", GRADES, True), overlays=overlays_from(d.get("overlays"), where),
        captions=choice("captions", SCENE_CAPTIONS, True), sound_files=sound_files_from(d.get("sound_files"), where),
        seed=seed_from(d.get("seed"), where), clip=text("clip"), style=choice("style", ("none", *styles()), True),
    )


def seed_from(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2 ** 32:
        raise VidgenError(f"{where}: seed must be a whole number from 0 to {2 ** 32 - 1} or null, not {value!r:.40}.")
    return value


def overlays_from(value: Any, where: str) -> list[dict]:
    """A scene's text overlays, each {text, position, start, seconds} checked as the assembler will."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_OVERLAYS:
        raise VidgenError(f"{where}: overlays must be a list of at most {MAX_OVERLAYS} "
                          "{text, position, start, seconds}.")
    out = []
    for i, item in enumerate(value, 1):
        if not isinstance(item, dict) or set(map(str, item)) - {"text", "position", "start", "seconds"}:
            raise VidgenError(f"{where}: overlay {i} must be {{text, position, start, seconds}}, not {item!r:.80}.")
        o = {"text": typed(f"{where} overlay {i} text", item.get("text", ""), str),
             "position": typed(f"{where} overlay {i} position", item.get("position", "bottom"), str),
             "start": typed(f"{where} overlay {i} start", item.get("start", 0.0), float),
             "seconds": typed(f"{where} overlay {i} seconds", item.get("seconds", 3.0), float)}
        try:
            TextOverlay(**o)
        except VidgenError as e:
            raise VidgenError(f"{where}: overlay {i}: {e}") from None
        out.append(o)
    return out


def sound_files_from(value: Any, where: str) -> list[dict]:
    """A scene's own sound files, each {asset, name, at, bed}: an event `at` seconds into the scene, or
    a bed (looped under the whole scene, `at` ignored)."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_SOUND_FILES:
        raise VidgenError(f"{where}: sound_files must be a list of at most {MAX_SOUND_FILES} {{asset, name, at, bed}}.")
    out = []
    for i, item in enumerate(value, 1):
        if not isinstance(item, dict) or set(map(str, item)) - {"asset", "name", "at", "bed"}:
            raise VidgenError(f"{where}: sound file {i} must be {{asset, name, at, bed}}, not {item!r:.80}.")
        asset = need_id(item.get("asset"), f"{where} sound file {i} asset")
        at = typed(f"{where} sound file {i} at", item.get("at", 0.0), float)
        bed = item.get("bed", False)
        if not isinstance(bed, bool):
            raise VidgenError(f"{where}: sound file {i} bed must be true or false, not {bed!r}.")
        if not 0 <= at <= MAX_SCENE_SECONDS:
            raise VidgenError(f"{where}: sound file {i} plays at {at:g} s: use 0 to {MAX_SCENE_SECONDS:g} seconds.")
        out.append({"asset": asset, "name": typed(f"{where} sound file {i} name", item.get("name", ""), str)[:120] or asset,
                    "at": round(at, 3), "bed": bed})
    return out


MAX_FACES = 16


def speaker_faces_from(d: Any, where: str) -> dict[str, int]:
    """{speaker: face index} (0 = the leftmost face of the shot), checked."""
    if d is None or d == {}:
        return {}
    if not isinstance(d, dict):
        raise VidgenError(f"{where}: speaker_faces must be {{speaker: face number from 0}}, not {type(d).__name__}.")
    out = {}
    for name, face in d.items():
        if not isinstance(name, str) or not name.strip():
            raise VidgenError(f"{where}: speaker_faces needs speaker names, not {name!r}.")
        if isinstance(face, bool) or not isinstance(face, int) or not 0 <= face < MAX_FACES:
            raise VidgenError(f"{where}: the face of {name!r} must be a whole number from 0 (the leftmost face) "
                              f"to {MAX_FACES - 1}, not {face!r}.")
        out[" ".join(name.split()).upper()] = face
    return out


EASES = ("linear", "in", "out", "in_out")
MAX_KEYS = 32


def camera_path_from(keys: Any, where: str) -> list[CameraKey]:
    """A custom camera path as plain data: keyframes {t, x, y, zoom, rotate, ease}, t rising from 0 to 1."""
    if keys is None or keys == []:
        return []
    if not isinstance(keys, list) or len(keys) > MAX_KEYS:
        raise VidgenError(f"{where}: camera_path must be a list of at most {MAX_KEYS} keyframes {{t, x, y, zoom, "
                          "rotate, ease}.")
    out: list[CameraKey] = []
    limits = {"t": (0.0, 1.0), "x": (0.0, 1.0), "y": (0.0, 1.0), "zoom": (1.0, 4.0), "rotate": (-45.0, 45.0)}
    for i, k in enumerate(keys):
        at = f"{where} camera keyframe {i + 1}"
        if not isinstance(k, dict) or set(map(str, k)) - {*limits, "ease"} or "t" not in k:
            raise VidgenError(f"{at} must be {{t, x, y, zoom, rotate, ease}} with t from 0 to 1, not {k!r}.")
        values = {}
        for name, (low, high) in limits.items():
            value = typed(f"{at} {name}", k.get(name, getattr(CameraKey, name, 0.0) if name != "t" else 0.0), float)
            if not low <= value <= high:
                raise VidgenError(f"{at}: {name} must be from {low:g} to {high:g}, not {value:g}.")
            values[name] = value
        ease = k.get("ease", "in_out")
        if ease not in EASES:
            raise VidgenError(f"{at}: ease must be one of {', '.join(EASES)}, not {ease!r}.")
        if out and values["t"] <= out[-1].t:
            raise VidgenError(f"{at}: t must rise from keyframe to keyframe ({values['t']:g} after {out[-1].t:g}).")
        out.append(CameraKey(ease=ease, **values))
    if len(out) < 2:
        raise VidgenError(f"{where}: a camera path needs at least two keyframes (a start and an end).")
    return out


def plan_from(d: Any, where: str) -> ScenePlan:
    """A scene's picture plan as plain data: every word from its vocabulary (domain.PLACES, PROPS ...)."""
    if d is None:
        return ScenePlan()
    if not isinstance(d, dict):
        raise VidgenError(f"{where}: plan must be a dict with place, season, lights, props and figures, not {d!r}.")
    unknown = sorted(set(map(str, d)) - {"place", "season", "lights", "props", "figures"})
    if unknown:
        raise VidgenError(f"{where}: unknown plan field {', '.join(unknown)}: use place, season, lights, props, figures.")

    def one(name: str, allowed: tuple[str, ...]) -> str:
        value = typed(f"{where} plan {name}", d.get(name, ""), str)
        if value and value not in allowed:
            raise VidgenError(f"{where}: unknown {name} {value!r}: use one of {', '.join(allowed)} (or empty).")
        return value

    def many(name: str, allowed: tuple[str, ...]) -> list[str]:
        values = d.get(name, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values) or len(values) > 24:
            raise VidgenError(f"{where}: plan {name} must be a list of at most 24 words, not {values!r}.")
        bad = [v for v in values if v not in allowed]
        if bad:
            raise VidgenError(f"{where}: unknown {name[:-1]} {bad[0]!r}: use {', '.join(allowed)}.")
        return list(dict.fromkeys(values))

    figures = d.get("figures", [])
    if not isinstance(figures, list) or len(figures) > 12:
        raise VidgenError(f"{where}: plan figures must be a list of at most 12 {{name, age, action}}, not {figures!r}.")
    people = []
    for f in figures:
        if not isinstance(f, dict) or set(map(str, f)) - {"name", "age", "action"}:
            raise VidgenError(f"{where}: a figure is {{name, age, action}}, not {f!r}.")
        age, action = f.get("age", "adult"), f.get("action", "stand")
        if age not in FIGURE_AGES or action not in FIGURE_ACTIONS:
            raise VidgenError(f"{where}: a figure's age is {' or '.join(FIGURE_AGES)} and its action one of "
                              f"{', '.join(FIGURE_ACTIONS)}, not {age!r} / {action!r}.")
        people.append(Figure(name=" ".join(typed(f"{where} figure name", f.get("name", ""), str).split())[:80],
                             age=age, action=action))
    return ScenePlan(place=one("place", PLACES), season=one("season", SEASONS), lights=many("lights", LIGHTS),
                     props=many("props", PROPS), figures=people)


def line_from(d: Any, where: str, max_text: int) -> Line:
    if not isinstance(d, dict):
        raise VidgenError(f"{where} must be a dict with text, speaker and parenthetical, not {d!r}.")
    unknown = sorted(set(map(str, d)) - {"text", "speaker", "parenthetical", "delivery"})
    if unknown:
        raise VidgenError(f"{where}: unknown field {', '.join(unknown)}: use text, speaker, parenthetical, delivery.")
    text = typed(f"{where} text", d.get("text", ""), str)
    if not text.strip():
        raise VidgenError(f"{where} is empty: write the line or remove it.")
    if len(text) > max_text:
        raise VidgenError(f"{where} is {len(text)} characters long: use at most {max_text}.")
    parse_line(text, where=where)  # the voice's markup ([pause 1.5], *emphasis*, [slow]) must read
    speaker = d.get("speaker")
    if speaker is not None:
        speaker = typed(f"{where} speaker", speaker, str).strip() or None  # "" means narration
    paren = typed(f"{where} parenthetical", d.get("parenthetical", ""), str)
    delivery = typed(f"{where} delivery", d.get("delivery", ""), str)
    if len(paren) > 200 or len(delivery) > 200:
        raise VidgenError(f"{where}: a parenthetical or delivery is a few words (at most 200 characters).")
    return Line(text=text.strip(), speaker=speaker, parenthetical=paren.strip(), delivery=delivery.strip())


def characters_from(data: Any, n_scenes: int) -> list[Character]:
    if not isinstance(data, list):
        raise VidgenError(f"characters must be a list of {{name, description, scenes}}, not {type(data).__name__}.")
    out, names = [], set()
    for i, d in enumerate(data):
        where = f"Character {i + 1}"
        if not isinstance(d, dict):
            raise VidgenError(f"{where} must be a dict with name, description and scenes, not {d!r}.")
        unknown = sorted(set(map(str, d)) - {"name", "description", "age", "clothing", "scenes", "seed", "reference",
                                             "voice"})
        if unknown:
            raise VidgenError(f"{where}: unknown field {', '.join(unknown)}: "
                              "use name, description, age, clothing, scenes, seed, reference, voice.")
        name = " ".join(typed(f"{where} name", d.get("name", ""), str).split())
        if not name:
            raise VidgenError(f"{where} has no name: name it or remove it.")
        if name.casefold() in names:
            raise VidgenError(f"Character {name!r} is listed twice: merge the two entries.")
        names.add(name.casefold())
        scenes = d.get("scenes", [])
        if not isinstance(scenes, list):
            raise VidgenError(f"{name}: scenes must be a list of scene numbers, not {scenes!r}.")
        scenes = [typed(f"{name}: scene number", s, int) for s in scenes]
        bad = [s for s in scenes if not 1 <= s <= n_scenes]
        if bad:
            raise VidgenError(f"{name} is listed in scene {bad[0]}, but the project has scenes 1 to {n_scenes}.")
        seed = d.get("seed")
        if seed is not None:
            seed = typed(f"{name}: seed", seed, int)
            if not 0 <= seed < 2**32:
                raise VidgenError(f"{name}: the seed must be from 0 to {2**32 - 1}, not {seed}.")
        out.append(Character(name=name, description=typed(f"{name}: description", d.get("description", ""), str),
                             age=typed(f"{name}: age", d.get("age", ""), str),
                             clothing=typed(f"{name}: clothing", d.get("clothing", ""), str), scenes=scenes, seed=seed,
                             reference=typed(f"{name}: reference", d.get("reference", ""), str),
                             voice=None if d.get("voice") is None else voice_from(d["voice"], name)))
    return out


def replace_narration(lines: list[dict], narration: Any) -> list[dict]:
    """The scene's lines with the narration (speaker None) replaced by `narration`'s paragraphs,
    placed where the first narration line was (or first, when there was none)."""
    need_str(narration, "narration")
    paragraphs = [" ".join(p.split()) for p in narration.replace("\r\n", "\n").split("\n\n")]
    new = [{"text": p, "speaker": None, "parenthetical": ""} for p in paragraphs if p]
    at = next((i for i, ln in enumerate(lines) if not ln.get("speaker")), 0)
    kept = [ln for ln in lines if ln.get("speaker")]
    before = sum(1 for ln in lines[:at] if ln.get("speaker"))
    return kept[:before] + new + kept[before:]
