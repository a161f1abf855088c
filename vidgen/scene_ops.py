"""Scene management: add, delete, duplicate, move, split at a line and merge with the next, as plain
data for the Storyboard and the API (the Studio inherits `SceneOps`).

Scenes stay numbered 1, 2, 3... in film order. A scene whose number changes keeps its variation
(`Scene.seed` pinned to the number it had), so its picture, clip and voice are the same steps as
before and a re-render takes them from the cache; only what really changed is made again. The
characters' scene lists follow the new numbers. Every operation is checked in full before anything
is saved (Projects.save_project), so a refused one changes nothing.
"""

from __future__ import annotations

import copy
from dataclasses import asdict
from typing import Any, Callable

from .domain import Line, Project, Scene, estimate_duration
from .edits import SCENE_CHANGES, need_id, replace_narration, scene_index
from .errors import VidgenError
from .store import Store

MAX_SCENES = 500
NEW_HEADING = "New scene"

Plan = list[tuple[Scene, int | None]]  # the scenes in their new order, each with its old number (None: new)


class SceneOps:
    store: Store
    save_project: Callable[[dict], dict]

    def add_scene(self, project_id: str, after: int | None = None, fields: dict[str, Any] | None = None) -> dict:
        """A new scene after scene `after` (0: first; None: last), from `fields` (heading, narration or
        lines, visual, mood ...; default an empty "New scene"). Returns the project."""
        if fields is not None and not isinstance(fields, dict):
            raise VidgenError(f"A new scene's fields must be a dict, not {type(fields).__name__}.")
        fields = dict(fields or {})
        unknown = sorted(set(map(str, fields)) - set(SCENE_CHANGES) - {"narration"})
        if unknown:
            raise VidgenError(f"A new scene has no field {', '.join(unknown)}: use {', '.join(SCENE_CHANGES)}.")
        if "narration" in fields and "lines" in fields:
            raise VidgenError("Give either narration or lines for a scene, not both.")

        def plan(p: Project) -> Plan:
            at = len(p.scenes) if after is None else _position(p, after, allow_zero=True)
            new = Scene(number=0, heading=NEW_HEADING, duration=0.0)  # estimated from its words on save
            out: Plan = [(s, s.number) for s in p.scenes]
            out.insert(at, (new, None))
            return out

        def fill(scene: dict[str, Any]) -> None:
            if "narration" in fields:
                scene["lines"] = replace_narration(scene["lines"], fields.pop("narration"))
            scene.update(fields)

        return self._restructure(project_id, plan, "add a scene", fill)

    def delete_scene(self, project_id: str, number: int) -> dict:
        """Remove a scene (its rendered steps stay in the cache). The last scene cannot go."""
        def plan(p: Project) -> Plan:
            i = scene_index(p.scenes, number, p.id)
            if len(p.scenes) == 1:
                raise VidgenError("A project needs at least one scene: edit this one instead of deleting it.")
            return [(s, s.number) for k, s in enumerate(p.scenes) if k != i]

        return self._restructure(project_id, plan, "delete a scene")

    def duplicate_scene(self, project_id: str, number: int) -> dict:
        """A copy of a scene right after it, with the same variation (the same picture until edited)."""
        def plan(p: Project) -> Plan:
            i = scene_index(p.scenes, number, p.id)
            twin = copy.deepcopy(p.scenes[i])
            twin.seed = p.scenes[i].variant
            out: Plan = [(s, s.number) for s in p.scenes]
            out.insert(i + 1, (twin, p.scenes[i].number))
            return out

        return self._restructure(project_id, plan, "duplicate a scene")

    def move_scene(self, project_id: str, number: int, to: int) -> dict:
        """Move a scene to position `to` (1 = first); the others close up around it."""
        def plan(p: Project) -> Plan:
            i = scene_index(p.scenes, number, p.id)
            j = _position(p, to) - 1
            out: Plan = [(s, s.number) for s in p.scenes]
            out.insert(j, out.pop(i))
            return out

        return self._restructure(project_id, plan, "move a scene")

    def split_scene(self, project_id: str, number: int, at_line: int) -> dict:
        """Cut a scene before its line `at_line` (1-based; 2 to the number of lines): the lines from there
        become a new scene right after it, with the same heading, picture description and settings."""
        def plan(p: Project) -> Plan:
            i = scene_index(p.scenes, number, p.id)
            scene = p.scenes[i]
            k = _whole(at_line, "line number")
            if not 2 <= k <= len(scene.lines):
                raise VidgenError(f"Scene {scene.number} has {len(scene.lines)} line(s): split it before line 2 to "
                                  f"{len(scene.lines)}, not {k}." if len(scene.lines) > 1 else
                                  f"Scene {scene.number} has one line: there is nothing to split.")
            head, tail = copy.deepcopy(scene), copy.deepcopy(scene)
            head.lines, tail.lines = scene.lines[:k - 1], scene.lines[k - 1:]
            tail.text = _text(tail.lines)  # the first keeps the source text (its cues are placed in it)
            head.duration = tail.duration = 0.0  # estimated again from the words on save
            tail.seed = _fresh(p)
            tail.sound_files, tail.overlays, tail.sounds = [], [], []  # cues stay with the first half
            out: Plan = [(s, s.number) for s in p.scenes]
            out[i] = (head, scene.number)
            out.insert(i + 1, (tail, None))
            return out

        return self._restructure(project_id, plan, "split a scene")

    def merge_scenes(self, project_id: str, number: int) -> dict:
        """Join a scene with the next one: its lines, sound cues, sound files and overlays follow (times
        of the second shifted by the first's estimated length); the first scene's settings stay."""
        def plan(p: Project) -> Plan:
            i = scene_index(p.scenes, number, p.id)
            if i + 1 >= len(p.scenes):
                raise VidgenError(f"Scene {number} is the last scene: merge a scene with the one after it.")
            a, b = copy.deepcopy(p.scenes[i]), p.scenes[i + 1]
            shift = a.duration
            a.lines = a.lines + copy.deepcopy(b.lines)
            a.text = "\n\n".join(t for t in (a.text, b.text) if t.strip())
            a.visual = a.visual or b.visual
            a.sounds = a.sounds + [c for c in b.sounds if c not in a.sounds]
            a.sound_files = a.sound_files + [{**f, "at": f["at"] + (0 if f["bed"] else shift)} for f in b.sound_files]
            a.overlays = a.overlays + [{**o, "start": o["start"] + shift} for o in b.overlays]
            a.characters = a.characters + [c for c in b.characters if c not in a.characters]
            a.duration = 0.0
            return [(s, s.number) for s in p.scenes[:i]] + [(a, p.scenes[i].number)] + \
                [(s, s.number) for s in p.scenes[i + 2:]]

        return self._restructure(project_id, plan, "merge scenes")

    def _restructure(self, project_id: str, plan: Callable[[Project], Plan], what: str,
                     fill: Callable[[dict[str, Any]], None] | None = None) -> dict:
        """Save the scenes in `plan`'s order, renumbered; `fill` edits the new scene's dict first (all
        of it checked together by save_project, so a bad field saves nothing)."""
        project = self.store.get_project(need_id(project_id, "project"))
        order = plan(project)
        if len(order) > MAX_SCENES:
            raise VidgenError(f"A project has at most {MAX_SCENES} scenes: cannot {what}.")
        fresh = max([_fresh(project)] + [s.seed + 1 for s, _ in order if s.seed is not None])
        renumber: dict[int, list[int]] = {}
        scenes = []
        for n, (scene, old) in enumerate(order, 1):
            if scene.seed is None and scene.number != n:
                scene.seed = scene.number if old is not None else fresh  # keep the variation it had
                fresh += old is None
            if old is not None:
                renumber.setdefault(old, []).append(n)
            scene.number = n
            scenes.append(scene)
        data = asdict(project)
        data["scenes"] = [asdict(s) for s in scenes]
        for (_, old), s in zip(order, data["scenes"]):
            if old is None and fill is not None:
                fill(s)
        for s in data["scenes"]:
            if not s["duration"]:  # new, split or merged: estimated from its words
                lines = s["lines"] if isinstance(s["lines"], list) else []
                words = sum(len(str(ln.get("text", "")).split()) for ln in lines if isinstance(ln, dict))
                s["duration"] = estimate_duration(words, project.settings.transition_seconds)
        for c in data["characters"]:
            c["scenes"] = sorted({n for old in c["scenes"] for n in renumber.get(old, [])})
        return self.save_project({"id": project.id, "scenes": data["scenes"], "characters": data["characters"]})


def _whole(value: Any, what: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise VidgenError(f"A {what} is a whole number, not {value!r:.40}.")
    return value


def _position(p: Project, value: Any, allow_zero: bool = False) -> int:
    n = _whole(value, "scene position")
    low = 0 if allow_zero else 1
    if not low <= n <= len(p.scenes):
        raise VidgenError(f"Position {n} is outside the project: use {low} to {len(p.scenes)}.")
    return n


def _fresh(p: Project) -> int:
    """A variation no scene of the project has (a new scene must not repeat a moved one's picture)."""
    return max([s.variant for s in p.scenes] + [len(p.scenes)]) + 1


def _text(lines: list[Line]) -> str:
    return "\n".join(f"{ln.speaker.upper()}: {ln.text}" if ln.speaker else ln.text for ln in lines)


__all__ = ["SceneOps", "MAX_SCENES", "NEW_HEADING"]
