"""Everything the studio does, as plain data: the UI's callbacks and the API endpoints call this.

A thin facade over the projects (vidgen/projects.py), the asset library (vidgen/library_studio.py),
the job queue (vidgen/jobs/queue.py) and the models (vidgen/models/operations.py). Inputs and outputs
are JSON-friendly (str ids, dicts, lists, file paths as str). Every failure a user can act on is a `VidgenError` with a one-line message;
the UI turns it into `gr.Error`.

Renders run on the queue's background worker (started on the first render), so a render goes on
when the browser goes away and its result is found later by job id; with `threads=False` (the CLI)
the same jobs run in the calling thread, after the same checks.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from .config import Settings
from .domain import Job
from .edits import need_id, scene_index
from .errors import VidgenError
from .export_ops import ExportOps
from .jobs import EventFn, GpuLane, JobQueue
from .library import user_file_meta
from .library_files import check_file
from .library_studio import LibraryMixin
from .look_preview import preview_look
from .pipeline import ImageWork, MusicWork, RenderWork, SceneWork
from .pipeline.executor import Executor, LocalExecutor
from .pipeline.query import timeline_blocks
from .projects import Projects
from .scene_ops import SceneOps
from .version_ops import VersionOps
from .services.assembly.caption_style import caption_style, font_family
from .services.assembly.grade import check_lut
from .services.delivery.formats import format_named
from .services.images import check_image
from .services.sfx import user_sound
from .services.sfx.scene import EVENT_LEAD

RESUMABLE = ("interrupted", "failed", "cancelled")
LOOK_FILES = {"caption_font": "caption font", "grade_lut": "LUT", "watermark": "watermark image"}


class Studio(ExportOps, LibraryMixin, VersionOps, SceneOps, Projects):
    def __init__(self, settings: Settings, *, gpu_slots: int = 1, max_queued: int = 16,
                 lane: GpuLane | None = None, upload_roots: list[str | os.PathLike] | None = None,
                 threads: bool = True, local_files: bool = False, executor: Executor | None = None) -> None:
        """`upload_roots`: folders that files given by path (uploads: scripts, images, music) must be
        in, so an API caller cannot make the studio read any file of the server. Default: the data
        folder and Gradio's upload folder (GRADIO_TEMP_DIR, default <tmp>/gradio).
        `lane`: the GPU lane to hold (default: the process's, or a private one with `gpu_slots` slots).
        `threads`: False runs each job in the thread that waits for it (the CLI).
        `local_files`: the caller is this machine's user (the CLI), not a remote client: voices may be
        files ("piper:/path.onnx"). Off by default, so a served studio only names assets and models."""
        if upload_roots is None:
            # Where Gradio puts uploads (its default, or GRADIO_TEMP_DIR); never all of /tmp.
            gradio_tmp = os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio"
            upload_roots = [settings.data_dir, gradio_tmp]
        self.jobs = JobQueue(settings, gpu_slots=gpu_slots, max_queued=max_queued, lane=lane, threads=threads)
        self.executor = executor or LocalExecutor()  # where renders run their scene steps (pipeline/executors.py)
        super().__init__(settings, self.jobs.store, [Path(r).expanduser().resolve() for r in upload_roots],
                         self.jobs.active, local_files)

    @property
    def gpu_slots(self) -> int:
        return self.jobs.gpu_slots

    @property
    def max_queued(self) -> int:
        return self.jobs.max_queued

    @property
    def lane(self) -> GpuLane:
        return self.jobs.lane

    # --- rendering -----------------------------------------------------------------------------

    def start_render(self, project_id: str, formats: tuple[str, ...] = ()) -> str:
        """Queue a full render of the project; returns the new job's id (status "pending"). `formats`:
        delivery formats made from the film as well (export_film's names), kept with the render."""
        project = self.store.get_project(need_id(project_id, "project"))
        names = tuple(dict.fromkeys(format_named(f).name for f in formats))
        return self.jobs.enqueue(project.id, "render", RenderWork(self.store, project.id, self.executor,
                                                                     formats=names), "Queued")

    def wait(self, job_id: str, on_event: EventFn | None = None, timeout: float | None = None) -> dict:
        """Block until the job ends, passing its progress events to `on_event` as they come; returns
        get_job(job_id). A job that has already ended returns at once; after `timeout` seconds the
        job is returned as it is then (check its status). A waiter that falls far behind skips events."""
        return self._job_dict(self.jobs.wait(need_id(job_id, "job"), on_event, timeout))

    def render(self, project_id: str, on_event: EventFn | None = None) -> dict:
        """Render the project and wait for it; returns the job dict (status "completed", or
        "cancelled"/"interrupted" when stopped). A failed render raises VidgenError with its error."""
        job = self.wait(self.start_render(project_id), on_event)
        if job["status"] == "failed":
            raise VidgenError(job["error"] or job["message"] or f"Render {job['id']} failed.")
        return job

    def _run_short(self, project_id: str, kind: str, work: Callable, what: str,
                   on_event: EventFn | None) -> tuple[dict, str]:
        """Queue a short job in the GPU lane and wait for it: (its result, its id); VidgenError unless it completed."""
        job_id = self.jobs.enqueue(project_id, kind, work, f"Queued: {what}")
        job = self.wait(job_id, on_event)
        if job["status"] != "completed":
            raise VidgenError(job["error"] or job["message"] or f"{what[0].upper()}{what[1:]}: {job['status']}.")
        return job["result"], job_id

    def render_scene(self, project_id: str, number: int, on_event: EventFn | None = None) -> dict:
        """Preview one scene through the same cached steps a render uses (a job of kind "scene", in
        the same lane as renders). Returns {"image", "clip", "speech" (paths; speech "" when
        silent), "duration", "motion", "cached": {"image", "voice", "animation"}, "job"}."""
        project = self.store.get_project(need_id(project_id, "project"))
        scene = project.scenes[scene_index(project.scenes, number, project.id)]
        r, job_id = self._run_short(project.id, "scene", SceneWork(self.store, project.id, scene.number),
                              f"the preview of scene {scene.number}", on_event)
        return {k: r[k] for k in ("image", "clip", "speech", "duration", "motion", "cached")} | {"job": job_id}

    def generate_image(self, project_id: str, number: int, on_event: EventFn | None = None) -> dict:
        """Make (or take from the cache) one scene's picture with its image model: the painter, the
        user's picture, or an AI model (a job of kind "image", in the same lane as renders).
        Returns {"image": path, "cached": bool, "model": image model id, "job"}."""
        project = self.store.get_project(need_id(project_id, "project"))
        scene = project.scenes[scene_index(project.scenes, number, project.id)]
        r, job_id = self._run_short(project.id, "image", ImageWork(self.store, project.id, scene.number),
                              f"the image of scene {scene.number}", on_event)
        return {"image": r["image"], "cached": r["cached"], "model": r["model"], "job": job_id}

    def generate_music(self, project_id: str, on_event: EventFn | None = None) -> dict:
        """Make (or take from the cache) the project's generated score with its music settings (a job
        of kind "music"). Returns {"audio": WAV path, "cached", "model", "tempo", "key", "segments", "job"}."""
        project = self.store.get_project(need_id(project_id, "project"))
        r, job_id = self._run_short(project.id, "music", MusicWork(self.store, project.id), "the score", on_event)
        return {"audio": r["audio"], "cached": r["cached"], "model": r["model"], "tempo": r["tempo"],
                "key": r["key"], "segments": r["segments"], "prompt": r.get("prompt", ""), "job": job_id}

    def preview_look(self, project_id: str, number: int, captions: str | None = None,
                     grade: str | None = None) -> dict:
        """One still of a scene as the film shows it: its picture (made or uploaded; grey before there is
        one) at the frame size, graded, with its caption style over its first line. `captions`/`grade`:
        values being edited (None: the scene's). Makes no picture. Returns {"image": PNG path}."""
        project = self.store.get_project(need_id(project_id, "project"))
        scene = project.scenes[scene_index(project.scenes, number, project.id)]
        for value, what in ((captions, "captions"), (grade, "grade")):
            if value is not None and not isinstance(value, str):
                raise VidgenError(f"The {what} must be a style name (text), not {type(value).__name__}.")
        made = next((m["image"] for m in self.scene_media(project.id) if m["number"] == scene.number), "")
        still = made or (str(self.store.asset_path(scene.image)) if scene.image else None)
        self.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.settings.tmp_dir) as tmp:
            png = preview_look(self.store, project, scene, Path(tmp) / "look.png", still=still, captions=captions,
                               grade=grade, tmp_dir=tmp)
            asset = self.store.add_file(png, type="image", name=f"look-scene-{scene.number}.png")
        return {"image": str(self.store.asset_path(asset.id))}

    def add_scene_sound(self, project_id: str, number: int, sound_path: str, at: float | None = None,
                        bed: bool = False) -> dict:
        """Add the user's own sound file to a scene (checked by decoding it: audio, 50 ms to 10 min, not
        silent): an event `at` seconds into the scene (default: half a second in), or with `bed` looped
        under the whole scene. It plays whatever the sound-effects settings. Returns the project."""
        project = self.store.get_project(need_id(project_id, "project"))
        index = scene_index(project.scenes, number, project.id)
        scene = project.scenes[index]
        path = self._uploaded(sound_path, "sound")
        user_sound(path)
        name = Path(path).name
        entry = {"asset": self.store.add_file(path, type="audio", name=name, meta=user_file_meta()).id, "name": name,
                 "at": EVENT_LEAD if at is None else at, "bed": bed}
        files = [*scene.sound_files, entry]
        return self.update_scene(project.id, scene.number, {"sound_files": files})

    def set_scene_clip(self, project_id: str, number: int, clip_path: str | None) -> dict:
        """Use the user's own video clip as a scene's moving picture (checked by decoding it; looped or
        cut to the scene's length, its sound left out; lip sync still applies); None removes it."""
        project = self.store.get_project(need_id(project_id, "project"))
        scene = project.scenes[scene_index(project.scenes, number, project.id)]
        clip = ""
        if clip_path:
            path = self._uploaded(clip_path, "clip")
            check_file(path, "video", Path(path).name)
            clip = self.store.add_file(path, type="video", name=Path(path).name, meta=user_file_meta()).id
        return self.update_scene(project.id, scene.number, {"clip": clip})

    def add_look_file(self, path: str, setting: str) -> dict:
        """Keep an uploaded caption font (.ttf/.otf), LUT (.cube) or watermark image with the studio,
        checked as a render will use it; returns {"asset": id, "name"}: set `setting` to the id."""
        if setting not in LOOK_FILES:
            raise VidgenError(f"Files are kept for {', '.join(LOOK_FILES)}, not {str(setting)[:40]!r}.")
        path = self._uploaded(path, LOOK_FILES[setting])
        if setting == "caption_font":
            font_family(caption_style(font=path))
        elif setting == "grade_lut":
            check_lut(path)
        else:
            check_image(path)
        name = Path(path).name
        return {"asset": self.store.add_file(path, type="image" if setting == "watermark" else "data", name=name,
                                             meta=user_file_meta()).id,
                "name": name}

    def timeline(self, project_id: str) -> dict:
        """The project's timeline as the step cache has it: {"blocks": [{number, heading, seconds, measured,
        transition, image, speech}], "music": the music setting}. Computes nothing."""
        project = self.store.get_project(need_id(project_id, "project"))
        return {"blocks": timeline_blocks(self.store, project), "music": project.settings.music}

    def job_previews(self, job_id: str) -> list[dict]:
        """What a job has made so far, per scene in order: {"scene", "image", "clip"} (paths, "" where
        not made yet), from its finished steps; for showing a render as it goes."""
        job = self.jobs.store.get_job(need_id(job_id, "job"))
        made: dict[int, dict] = {}
        for step in job.steps:
            role = {"image": "image", "animation": "clip", "lipsync": "clip"}.get(step.name)
            if role is None or step.scene is None:
                continue
            hit = self.store.get_step(step.key)
            asset = (hit or {}).get("outputs", {}).get(role)
            if asset:
                entry = made.setdefault(step.scene, {"scene": step.scene, "image": "", "clip": ""})
                entry[role] = str(self.store.asset_path(asset))
        return [made[n] for n in sorted(made)]

    # --- jobs ----------------------------------------------------------------------------------

    def list_jobs(self, project_id: str | None = None, limit: int = 50) -> list[dict]:
        """Newest first, at most `limit`."""
        if project_id is not None and project_id != "":
            project_id = need_id(project_id, "project")
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise VidgenError(f"limit must be a whole number >= 1, not {limit!r}.")
        return [self._job_dict(j) for j in self.store.list_jobs(project_id or None)[:limit]]

    def get_job(self, job_id: str) -> dict:
        """asdict(Job) plus "video" and "subtitles" (absolute paths of a completed render, else "")."""
        return self._job_dict(self.store.get_job(need_id(job_id, "job")))

    def cancel_job(self, job_id: str) -> dict:
        """Stop a job: a queued one is cancelled at once and never runs; a running one stops at its
        next step. An ended job is left as it is. Returns the job."""
        job = self.store.get_job(need_id(job_id, "job"))
        self.jobs.cancel(job.id)
        return self.get_job(job.id)

    def resume_job(self, job_id: str) -> str:
        """Queue an interrupted, failed or cancelled render again; steps it finished come from the
        cache. Returns the job id."""
        job = self.store.get_job(need_id(job_id, "job"))
        if job.kind != "render":
            raise VidgenError(f"Job {job.id} is a {job.kind} preview, not a render: "
                              f"{'generate the image' if job.kind == 'image' else 'preview the scene'} again.")
        if job.status not in RESUMABLE:
            raise VidgenError(f"Job {job.id} is {job.status}; only an interrupted, failed or cancelled render can be resumed.")
        self.store.get_project(job.project_id)
        return self.jobs.enqueue(job.project_id, "render", RenderWork(self.store, job.project_id, self.executor),
                                 "Queued (resume)",
                                 job_id=job.id)

    def shutdown(self, timeout: float | None = None) -> None:
        """Stop the workers after their current job; jobs still queued become interrupted (resumable)."""
        self.jobs.shutdown(timeout)
        close = getattr(self.executor, "shutdown", None)
        if close is not None:  # a cluster executor's workers
            close()

    # --- helpers ---

    def _job_dict(self, job: Job) -> dict:
        d = asdict(job)
        done = job.status == "completed" and job.kind == "render"
        d["video"] = str(job.result.get("video", "")) if done else ""
        d["subtitles"] = str(job.result.get("subtitles", "")) if done else ""
        return d
