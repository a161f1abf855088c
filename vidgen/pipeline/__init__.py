"""Project -> per-scene steps (image, voice, animation) -> music -> assembly.

Every step is keyed by a hash of its inputs (and the step's code version) and its outputs are
stored as assets, so a re-run or a resumed job redoes only what changed: editing one scene
re-renders one scene, and a render interrupted by a crash continues where it stopped.

    keys.py      step keys and scene timing          plan.py     what each step is asked to make
    steps.py     one scene's cached steps, the score  executor.py where a stage's scene steps run
    render.py    the render job                       previews.py the one-scene and score jobs
    query.py     what the cache holds for a project
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Callable

from ..checks import check_saved
from ..domain import Job, Project, RenderSettings
from ..errors import VidgenError
from ..jobs import EventFn, gpu_lane, new_job, run_job
from ..services.images import check_image
from ..store import Store
from ..text import count
from .executor import Executor, LocalExecutor
from .keys import STEP_VERSIONS, clip_key, image_key, scene_duration, step_key, voice_key
from .plan import image_plan, music_segments, scene_motions
from .previews import ImageWork, MusicWork, SceneWork
from .reading import Progress, read_script
from .query import cached_scene_media, current_scene_image, speech_seconds
from .export import ExportWork, TimelineWork
from .render import RenderWork
from .steps import Steps

__all__ = ["create_project", "render", "resume", "RenderWork", "ExportWork", "TimelineWork", "SceneWork", "ImageWork", "MusicWork", "Steps",
           "Executor", "LocalExecutor", "STEP_VERSIONS", "step_key", "image_key", "voice_key", "clip_key",
           "scene_duration", "image_plan", "music_segments", "scene_motions", "cached_scene_media",
           "current_scene_image", "speech_seconds"]


def create_project(store: Store, text: str, *, title: str | None = None,
                   settings: RenderSettings | None = None, scene_images: dict[int, str] | None = None,
                   before_save: Callable[[Project], None] | None = None, filename: str = "",
                   progress: Progress | None = None) -> Project:
    """Read a script (the settings' reader) and save it as a new project; `scene_images` maps scene
    numbers to the user's own pictures (used instead of painting). Everything is checked before
    anything is saved; `before_save(project)` may change and check the new project further (it is
    saved after it). `filename`: the script file's name, a hint of its form (.fountain)."""
    settings = check_saved(store, settings or RenderSettings())
    parsed = read_script(store, text, settings, title=title, filename=filename, progress=progress)
    for number, path in (scene_images or {}).items():
        if not 1 <= number <= len(parsed.scenes):
            raise VidgenError(f"No scene {number} for the image {Path(path).name}: the script has "
                              f"{count(len(parsed.scenes), 'scene')} (`python -m vidgen parse SCRIPT` lists them).")
        if not Path(path).is_file():
            raise VidgenError(f"Image {path} not found.")
        check_image(path)
    for number, path in (scene_images or {}).items():
        parsed.scenes[number - 1].image = store.add_file(path, type="image", name=Path(path).name).id
    project = Project(id=uuid.uuid4().hex[:12], title=parsed.title, script=text, form=parsed.form,
                      settings=settings, scenes=parsed.scenes, characters=parsed.characters, notes=parsed.notes)
    if before_save is not None:
        before_save(project)
    return store.save_project(project)


def render(store: Store, project_id: str, *, on_event: EventFn | None = None) -> Job:
    """Render a project as a new job in this thread; returns the finished job (raises on failure)."""
    store.get_project(project_id)
    job = new_job(store, project_id)
    with gpu_lane(job.id):
        return run_job(store, job.id, RenderWork(store, project_id), on_event)


def resume(store: Store, job_id: str, *, on_event: EventFn | None = None) -> Job:
    """Finish an interrupted, failed or cancelled render; finished steps come from the cache."""
    job = store.get_job(job_id)
    if job.status not in ("interrupted", "failed", "cancelled", "pending"):
        raise VidgenError(f"Job {job_id} is {job.status}; only an interrupted, failed or cancelled job can be resumed.")
    with gpu_lane(job_id):
        return run_job(store, job_id, RenderWork(store, job.project_id), on_event)
