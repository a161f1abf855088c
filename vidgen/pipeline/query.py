"""What the step cache already holds for a project as it stands: computes nothing."""

from __future__ import annotations

from ..domain import Project, Scene
from ..errors import VidgenError
from ..resolve import image_model, silent_speech_seconds, spoken_lines
from ..services.voice import NO_VOICE
from ..store import Store
from .keys import image_key, scene_duration, voice_key
from .plan import clip_plan, image_plan, scene_motions


def speech_seconds(store: Store, project: Project, scene: Scene) -> float | None:
    """How long the scene's speech lasts: measured by its cached voice step (None when that has not
    run), or estimated from the words for a silent film."""
    lines = spoken_lines(scene)
    if project.settings.voice == NO_VOICE or not lines:
        return silent_speech_seconds(lines)
    voice = _voice_step(store, project, scene)
    return voice["data"]["seconds"] if voice else None


def _voice_step(store: Store, project: Project, scene: Scene) -> dict | None:
    return store.get_step(voice_key(store, project, scene))


def current_scene_image(store: Store, project: Project, scene: Scene) -> str:
    """The asset id of the scene's picture in the step cache as the project stands ("" when none)."""
    plan = image_plan(store, project, scene, image_model(store, project, scene))
    step = store.get_step(plan[1] if plan else image_key(project, scene))
    return step["outputs"]["image"] if step else ""


def cached_scene_media(store: Store, project: Project) -> list[dict[str, str]]:
    """Per scene, the image and clip already in the step cache for the project as it stands now
    ("" where that step has not run yet)."""
    out = []
    for scene, motion in zip(project.scenes, scene_motions(project)):
        entry = {"number": scene.number, "image": "", "clip": ""}
        try:
            image_id = current_scene_image(store, project, scene)
        except VidgenError:  # e.g. a model that was removed: nothing of it can be shown
            image_id = ""
        if not image_id:
            out.append(entry)
            continue
        entry["image"] = str(store.asset_path(image_id))
        seconds = speech_seconds(store, project, scene)
        if seconds is not None:
            try:
                key = clip_plan(store, project, scene, image_id, motion, scene_duration(seconds, project.settings,
                                                                                        scene.min_duration))[2]
            except VidgenError:  # e.g. an animation model that was removed
                key = ""
            clip = store.get_step(key) if key else None
            if clip is not None:
                entry["clip"] = str(store.asset_path(clip["outputs"]["clip"]))
        out.append(entry)
    return out


def timeline_blocks(store: Store, project: Project) -> list[dict]:
    """Per scene, what a timeline strip shows: {number, heading, seconds (measured when the voice
    step has run, else estimated), measured, transition (into it), image, speech (paths or "")}."""
    media = {m["number"]: m for m in cached_scene_media(store, project)}
    out = []
    for scene in project.scenes:
        lines, speech = spoken_lines(scene), ""
        if project.settings.voice == NO_VOICE or not lines:
            seconds: float | None = silent_speech_seconds(lines)
        else:  # one read of the voice step for its length and its file
            step = _voice_step(store, project, scene)
            seconds = step["data"]["seconds"] if step else None
            if step and step["outputs"].get("speech"):
                speech = str(store.asset_path(step["outputs"]["speech"]))
        out.append({"number": scene.number, "heading": scene.heading,
                    "seconds": scene_duration(seconds, project.settings, scene.min_duration) if seconds is not None
                    else max(scene.duration, scene.min_duration),
                    "measured": seconds is not None, "transition": scene.transition or project.settings.transition,
                    "image": media.get(scene.number, {}).get("image", ""), "speech": speech})
    return out
