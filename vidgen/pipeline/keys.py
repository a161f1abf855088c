"""Step keys: a hash of each step's inputs and its code version, and the scene timing they depend on.

What a render, a one-scene preview and a cache query compute here agrees, so what one of them made,
the others find in the step cache.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict
from typing import Any

from ..domain import MIN_SCENE_SECONDS, SPEECH_LEAD_SECONDS, SPEECH_TAIL_SECONDS, Line, Project, Scene, ScenePlan
from ..models.registry import registry_for
from ..render_settings import RenderSettings
from ..resolve import (model_revision, music_model, project_registry, scene_cast, scene_speech, spoken_lines,
                       voice_revisions)
from ..services.voice import voice_for
from ..store import Store

# Bump a step's version when its code changes what it produces: old cache entries then miss.
PAINTER_VERSION = 2
STEP_VERSIONS = {"parse": 1, "image": 2, "voice": 3, "animation": 1, "lipsync": 2, "effects": 1, "music": 1, "assembly": 2, "export": 1}


def step_key(name: str, **inputs: Any) -> str:
    payload = json.dumps({"step": name, "v": STEP_VERSIONS[name], **inputs}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def scene_duration(speech_seconds: float, settings: RenderSettings, at_least: float = 0.0) -> float:
    """Scene length for this much speech (and at least `at_least`, the scene's own minimum), rounded up
    to whole frames. The speech is never cut: a minimum shorter than it changes nothing."""
    d = max(MIN_SCENE_SECONDS, at_least,
            settings.transition_seconds + SPEECH_LEAD_SECONDS + speech_seconds + SPEECH_TAIL_SECONDS)
    return math.ceil(d * settings.fps - 1e-6) / settings.fps


def image_key(project: Project, scene: Scene) -> str:
    """The built-in path's key: the user's own picture, or the painter's frame."""
    s = project.settings
    if scene.image:
        return step_key("image", backend="user", asset=scene.image, size=s.size)
    if scene.clip:  # the still of the user's clip: its first frame
        return step_key("image", backend="user-clip", asset=scene.clip, size=s.size)
    label = {} if s.scene_label else {"label": False}  # keys of labelled frames stay what they were
    # The painter's own version (issue 13 draws plans, rooms, weather): its frames are made again, while
    # the step's version, shared with the AI images, stays (their cache is costly to remake)
    return step_key("image", backend="painter", size=s.size, seed=s.seed, total=len(project.scenes),
                    scene=_visual_fields(scene, s.scene_label), painter=PAINTER_VERSION, **label)


def _visual_fields(scene: Scene, labelled: bool) -> dict[str, Any]:
    """The scene fields the painter looks at (so editing dialogue does not repaint)."""
    fields = {k: getattr(scene, k) for k in ("number", "heading", "visual", "mood", "location", "interior",
                                             "time_of_day", "characters")}
    if scene.variant != scene.number:  # a moved scene: its picture is its variant's
        fields["number"] = scene.variant
        if labelled:  # the label shows the number it has now
            fields["shown_number"] = scene.number
    # Fields added later count only when set, so the keys of older projects stay what they were
    added = {k: getattr(scene, k) for k in ("weather", "shot") if getattr(scene, k)}
    if scene.plan != ScenePlan():
        added["plan"] = asdict(scene.plan)
    return fields | added


def _line_fields(line: Line) -> dict[str, Any]:
    fields = asdict(line)
    if not fields.get("delivery"):  # added later: older keys stay what they were
        fields.pop("delivery", None)
    return fields


def voice_key(store: Store, project: Project, scene: Scene) -> str:
    """The voice step's key: the marked-up lines, each speaker's resolved voice, the mood, language and seed."""
    lines = spoken_lines(scene)
    voices, language = scene_cast(store, project)
    speakers = sorted({ln.speaker or "" for ln in lines})
    # A line spoken by another voice or in its own language (choice.py) adds what it is spoken by;
    # a scene spoken as cast keeps the key it had.
    spoken = scene_speech(store, project, scene)
    as_cast = all(sp.voice == voice_for(voices, ln.speaker) and sp.language == language for sp, ln in zip(spoken, lines))
    own = {} if as_cast else \
        {"spoken": [[asdict(sp.voice), sp.language] for sp in spoken]}
    # downloaded voices' exact files (built-in voices: none)
    revisions = voice_revisions(project_registry(store, project), [sp.voice.model for sp in spoken])
    if revisions:
        own["revisions"] = revisions
    return step_key("voice", voice=project.settings.voice, lines=[_line_fields(line) for line in lines],
                    voices={sp: asdict(voice_for(voices, sp or None)) for sp in speakers},
                    mood=scene.mood, language=language, seed=project.settings.seed, **own)


def user_clip_key(project: Project, scene: Scene, duration: float) -> str:
    """The key of a scene's clip made from the user's own video (the camera's move on top: only when set,
    so keys of clips without one stay what they were)."""
    s = project.settings
    extra: dict[str, Any] = {}
    if scene.motion:
        extra["motion"] = scene.motion
    if len(scene.camera_path) >= 2:
        extra["path"] = [asdict(k) for k in scene.camera_path]
    return step_key("animation", backend="user-clip", clip=scene.clip, duration=duration, fps=s.fps, size=s.size,
                    **extra)


def clip_key(project: Project, image: str, motion: str, duration: float, backend: str = "camera",
             **extra: Any) -> str:
    """The camera clip's key (`extra`: a custom path, motion blur: only when set, so keys stay)."""
    s = project.settings
    return step_key("animation", backend=backend, image=image, motion=motion, duration=duration,
                    fps=s.fps, size=s.size, **extra)


def music_key(store: Store, project: Project, segments: list[tuple[str, float]]) -> str:
    """The score's key: its model (and revision), the film's mood segments and the music settings."""
    spec, s = music_model(store, project), project.settings
    own = {"file": model_revision(spec, registry_for(store))} if spec.source == "url" else {}  # its SoundFont's hash
    return step_key("music", model=spec.id, repo=spec.repo, revision=spec.revision, segments=segments, **own,
                    genre=s.music_genre, tempo=s.music_tempo, key=s.music_key, instruments=s.music_instruments,
                    seed=s.seed)
