"""The short jobs: one scene's preview, one scene's picture, the film's score. Each goes through the
same cached steps as a render, after the same checks."""

from __future__ import annotations

from typing import Any

from ..checks import check_render
from ..domain import SPEECH_LEAD_SECONDS, SPEECH_TAIL_SECONDS, Project
from ..errors import VidgenError
from ..jobs import JobContext
from ..store import Store
from .keys import scene_duration
from .plan import scene_motions
from .query import speech_seconds
from .steps import Steps, work_folder


class _OneSceneWork:
    """What the one-scene jobs share: the scene by number, checked before any work."""

    voices = False  # whether the job speaks (and so checks the voices)

    def __init__(self, store: Store, project_id: str, number: int):
        self.store = store
        self.project_id = project_id
        self.number = number

    def _prepare(self, ctx: JobContext) -> tuple[Project, int]:
        ctx.begin_stage("parse", f"Checking scene {self.number}")
        project = self.store.get_project(self.project_id)
        index = next((i for i, sc in enumerate(project.scenes) if sc.number == self.number), None)
        if index is None:
            raise VidgenError(f"No scene {self.number} in project '{project.id}': it has {len(project.scenes)} scenes.")
        check_render(self.store, project, [project.scenes[index]], voices=self.voices, music=False,
                     warn=ctx.note)
        return project, index


class SceneWork(_OneSceneWork):
    """The work function of a one-scene preview job (kind "scene"): that scene's image, voice and
    clip through the same cached steps as a full render, without music or assembly."""

    stage_weights = {"parse": 0.05, "images": 0.3, "voice": 0.3, "animation": 0.35}
    voices = True

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        store = self.store
        project, index = self._prepare(ctx)
        scene = project.scenes[index]
        label = f"Scene {scene.number}"
        with work_folder(store, ctx) as work_dir:
            steps = Steps(store, ctx, work_dir)
            ctx.begin_stage("images", f"{label}: image")
            image = steps.image(project, scene, ctx.sub_progress(0.0, 1.0, f"{label}: image", scene.number))
            ctx.progress(1.0, f"{label}: image", scene.number)
            ctx.begin_stage("voice", f"{label}: voice")
            voice = steps.voice(project, scene)
            ctx.progress(1.0, f"{label}: voice", scene.number)
            motion = scene_motions(project)[index]
            message = f"{label}: {motion.replace('_', ' ')}"
            ctx.begin_stage("animation", message)
            clip = steps.clip(project, scene, image["image"], voice, motion,
                              ctx.sub_progress(0.0, 0.8, message, scene.number))
            clip = steps.lipsync(project, scene, image["image"], voice, clip, motion,
                                 ctx.sub_progress(0.8, 1.0, message, scene.number))  # the mouths, as a render has them
            ctx.progress(1.0, message, scene.number)
        return {
            "project": project.id, "scene": scene.number,
            "image": str(store.asset_path(image["image"])), "clip": str(store.asset_path(clip["clip"])),
            "speech": str(store.asset_path(voice["speech"])) if voice["speech"] else "",
            "duration": clip["duration"], "motion": motion,
            # True: taken from the step cache (for the voice also: nothing to speak)
            "cached": {"image": image["cached"], "voice": voice["cached"] is not False,
                       "animation": clip["cached"]},
        }


class ImageWork(_OneSceneWork):
    """The work function of a one-image job (kind "image"): one scene's picture through the same
    cached step as a render (the painter, the user's picture or an AI model)."""

    stage_weights = {"parse": 0.05, "images": 0.95}

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        store = self.store
        project, index = self._prepare(ctx)
        scene = project.scenes[index]
        label = f"Scene {scene.number}: image"
        with work_folder(store, ctx) as work_dir:
            ctx.begin_stage("images", label)
            image = Steps(store, ctx, work_dir).image(project, scene, ctx.sub_progress(0.0, 1.0, label, scene.number))
            ctx.progress(1.0, label, scene.number)
        return {"project": project.id, "scene": scene.number, "image": str(store.asset_path(image["image"])),
                "cached": image["cached"], "model": image["model"]}


class MusicWork:
    """The work function of a music job (kind "music"): the film's score through the same cached step
    as a render. Scene lengths come from the cached speech where it was made, else from the words."""

    stage_weights = {"parse": 0.05, "music": 0.95}

    def __init__(self, store: Store, project_id: str):
        self.store = store
        self.project_id = project_id

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        store = self.store
        ctx.begin_stage("parse", "Checking the project")
        project = store.get_project(self.project_id)
        project.settings.music = "auto"  # this job makes the generated score, whatever the film uses
        check_render(store, project, [], voices=False)
        s = project.settings
        clips = [{"duration": scene_duration(speech_seconds(store, project, scene)
                                             or max(0.0, scene.duration - s.transition_seconds - SPEECH_LEAD_SECONDS
                                                    - SPEECH_TAIL_SECONDS), s, scene.min_duration)}
                 for scene in project.scenes]
        with work_folder(store, ctx) as work_dir:
            ctx.begin_stage("music")
            hit = Steps(store, ctx, work_dir).score(project, clips)
        return {"project": project.id, "audio": str(store.asset_path(hit["outputs"]["music"])),
                "cached": hit["cached"], **hit["data"]}
