"""Everything the studio does, as plain data: the UI's callbacks and the API endpoints call this.

Inputs and outputs are JSON-friendly (str ids, dicts, lists, file paths as str). Every failure a
user can act on is a `VidgenError` with a one-line message; the UI turns it into `gr.Error`.

Renders run on the background workers of a `vidgen.jobs.JobQueue` (started on the first render),
so a render goes on when the browser goes away and its result is found later by job id. A worker
holds the process's GPU lane (`vidgen.jobs.lane`) for each job's whole work, so jobs never overlap
on the GPU; waiting callers hear about progress through a `threading.Condition`, never a sleep loop.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from .config import Settings
from .checks import check_saved, check_scene
from .domain import (MOODS, MOTIONS, TIMES_OF_DAY, TRANSITIONS, Character, Job, Line, RenderSettings, Scene,
                     estimate_duration)
from .errors import VidgenError
from .jobs import EventFn, GpuLane, JobQueue
from .models.registry import registry_for
from .render_settings import typed, voice_from, with_changes
from .resolve import default_voice

RESUMABLE = ("interrupted", "failed", "cancelled")
SCENE_CHANGES = ("heading", "visual", "narration", "lines", "duration", "motion", "transition", "mood", "camera",
                 "image_model", "image_strength")
MAX_TITLE = 200
MAX_SCENE_SECONDS = 3600.0


class Studio:
    def __init__(self, settings: Settings, *, gpu_slots: int = 1, max_queued: int = 16,
                 lane: GpuLane | None = None, upload_roots: list[str | os.PathLike] | None = None) -> None:
        """`upload_roots`: folders that files given by path (uploads: scripts, images, music) must be
        in, so an API caller cannot make the studio read any file of the server. Default: the data
        folder and Gradio's upload folder (GRADIO_TEMP_DIR, default <tmp>/gradio).
        `lane`: the GPU lane to hold (default: the process's, or a private one with `gpu_slots` slots)."""
        self.settings = settings
        if upload_roots is None:
            # Where Gradio puts uploads (its default, or GRADIO_TEMP_DIR); never all of /tmp.
            gradio_tmp = os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio"
            upload_roots = [settings.data_dir, gradio_tmp]
        self.upload_roots = [Path(r).expanduser().resolve() for r in upload_roots]
        self.jobs = JobQueue(settings, gpu_slots=gpu_slots, max_queued=max_queued, lane=lane)
        self.store = self.jobs.store

    @property
    def gpu_slots(self) -> int:
        return self.jobs.gpu_slots

    @property
    def max_queued(self) -> int:
        return self.jobs.max_queued

    @property
    def lane(self) -> GpuLane:
        return self.jobs.lane

    # --- scripts -------------------------------------------------------------------------------

    def parse_script(self, text: str, title: str = "") -> dict:
        """Scenes and characters of a script (nothing is saved)."""
        from .services.script import parse_script

        _need_str(title, "title")
        parsed = parse_script(text, title=title.strip() or None, max_bytes=self.settings.max_script_bytes,
                              max_scenes=self.settings.max_scenes)
        return asdict(parsed)

    def read_script_upload(self, path: str) -> str:
        """The text of an uploaded script file (.txt, .fountain, .md or any plain text)."""
        from .services.script import read_script_file

        if not path or not isinstance(path, (str, os.PathLike)):
            raise VidgenError("No script file given: upload a .txt, .fountain or .md file.")
        return read_script_file(self._uploaded(path, "script"), self.settings.max_script_bytes)

    # --- projects ------------------------------------------------------------------------------

    def create_project(self, text: str, title: str = "", settings: dict | None = None) -> dict:
        from .pipeline import create_project

        _need_str(title, "title")
        rs = self._render_settings(settings, RenderSettings(voice=default_voice(self.store)))
        project = create_project(self.store, text, title=_title(title) if title.strip() else None, settings=rs)
        return self._project_dict(project)

    def list_projects(self) -> list[dict]:
        """Newest first: id, title, scenes, updated, status (of the last render, "" if none), video, job."""
        last: dict[str, Job] = {}
        for job in self.store.list_jobs():  # newest first
            if job.kind == "render":
                last.setdefault(job.project_id, job)
        out = []
        for p in self.store.list_projects():
            job = last.get(p.id)
            out.append({"id": p.id, "title": p.title, "scenes": len(p.scenes), "updated": p.updated,
                        "status": job.status if job else "", "video": self._output(p.outputs.get("video")),
                        "job": job.id if job else ""})
        return out

    def get_project(self, project_id: str) -> dict:
        """asdict(Project) plus "video" and "subtitles": absolute paths of the last render ("" if none)."""
        return self._project_dict(self.store.get_project(_id(project_id, "project")))

    def save_project(self, project: dict) -> dict:
        """Replace an existing project's title, settings, scenes and characters (keys left out stay
        as they are; the script, outputs and dates are not changed here). Everything is checked first."""
        if not isinstance(project, dict):
            raise VidgenError(f"A project must be a dict (as get_project returns), not {type(project).__name__}.")
        stored = self.store.get_project(_id(project.get("id"), "project"))
        if "title" in project:
            _need_str(project["title"], "title")
            stored.title = _title(project["title"])
        if "settings" in project:
            stored.settings = self._render_settings(project["settings"], stored.settings)
        if "scenes" in project:
            stored.scenes = self._scenes(project["scenes"])
        if "characters" in project:
            stored.characters = _characters(project["characters"], len(stored.scenes))
            for c in stored.characters:
                if c.reference and self.store.get_asset(c.reference).type != "image":
                    raise VidgenError(f"{c.name}: the reference {c.reference!r} is not an image: upload a PNG, "
                                      "JPEG or WebP.")
        elif "scenes" in project:  # scenes removed: their numbers leave the characters' lists
            for c in stored.characters:
                c.scenes = [n for n in c.scenes if 1 <= n <= len(stored.scenes)]
        return self._project_dict(self.store.save_project(stored))

    def scene_media(self, project_id: str) -> list[dict]:
        """Per scene {"number", "image", "clip"}: what the step cache already holds for the
        project as it stands (paths, "" where not made yet). Computes nothing."""
        from .pipeline import cached_scene_media

        return cached_scene_media(self.store, self.store.get_project(project_id))

    def update_settings(self, project_id: str, settings: dict) -> dict:
        """Change some render settings of a project; returns the project."""
        project = self.store.get_project(_id(project_id, "project"))
        project.settings = self._render_settings(settings, project.settings)
        return self._project_dict(self.store.save_project(project))

    def update_scene(self, project_id: str, number: int, changes: dict) -> dict:
        """Edit one scene: heading, visual, narration (text that replaces the narration lines), lines
        (list of {text, speaker, parenthetical}), duration, motion, transition, mood, camera. Returns the project."""
        project = self.store.get_project(_id(project_id, "project"))
        if not isinstance(changes, dict):
            raise VidgenError(f"Scene changes must be a dict, not {type(changes).__name__}.")
        unknown = sorted(set(changes) - set(SCENE_CHANGES))
        if unknown:
            raise VidgenError(f"Cannot change {', '.join(map(str, unknown))} of a scene: change {', '.join(SCENE_CHANGES)}.")
        if "narration" in changes and "lines" in changes:
            raise VidgenError("Give either narration or lines for a scene, not both.")
        index = _scene_index(project.scenes, number, project.id)
        data = asdict(project)
        scene = data["scenes"][index]
        changes = dict(changes)
        words_changed = "narration" in changes or "lines" in changes
        if "narration" in changes:
            scene["lines"] = _replace_narration(scene["lines"], changes.pop("narration"))
        scene.update(changes)
        if words_changed and "duration" not in changes:  # keep the estimate in step with the words
            lines = scene["lines"] if isinstance(scene["lines"], list) else []
            words = sum(len(str(ln.get("text", "")).split()) for ln in lines if isinstance(ln, dict))
            scene["duration"] = estimate_duration(words, project.settings.transition_seconds)
        return self.save_project({"id": project.id, "scenes": data["scenes"]})

    def set_scene_image(self, project_id: str, number: int, image_path: str | None) -> dict:
        """Use the user's own picture for a scene (checked by decoding it); None goes back to painting."""
        from .services.images import check_image

        project = self.store.get_project(_id(project_id, "project"))
        index = _scene_index(project.scenes, number, project.id)
        if image_path is None or image_path == "":
            project.scenes[index].image = ""
        else:
            image_path = self._uploaded(image_path, "image")
            check_image(image_path)
            project.scenes[index].image = self.store.add_file(image_path, type="image",
                                                              name=Path(image_path).name).id
        return self._project_dict(self.store.save_project(project))

    def keep_scene_image(self, project_id: str, number: int, strength: float = 0.5) -> dict:
        """Take the scene's current picture (the one its image model last made) as its own image, to
        refine with image-to-image at `strength` (0 keeps it as it is). Returns the project."""
        from .pipeline.query import current_scene_image

        project = self.store.get_project(_id(project_id, "project"))
        index = _scene_index(project.scenes, number, project.id)
        strength = _typed("strength", strength, float)
        if not 0.0 <= strength <= 1.0:
            raise VidgenError(f"strength must be from 0 (keep the picture) to 1, not {strength}.")
        asset = current_scene_image(self.store, project, project.scenes[index])
        if not asset:
            raise VidgenError(f"Scene {number} has no picture yet: generate it first.")
        project.scenes[index].image, project.scenes[index].image_strength = asset, strength
        return self._project_dict(self.store.save_project(project))

    def update_character(self, project_id: str, name: str, changes: dict) -> dict:
        """Edit one character's sheet: description, seed (None = derived from the name), voice
        ({model, speaker, speed, pitch, sample} or None for a default voice). Returns the project."""
        project = self.store.get_project(_id(project_id, "project"))
        if not isinstance(changes, dict):
            raise VidgenError(f"Character changes must be a dict, not {type(changes).__name__}.")
        unknown = sorted(set(map(str, changes)) - {"description", "seed", "voice"})
        if unknown:
            raise VidgenError(f"Cannot change {', '.join(unknown)} of a character: change description, seed, voice.")
        index = _character_index(project.characters, name)
        data = [asdict(c) for c in project.characters]
        data[index].update(changes)
        return self.save_project({"id": project.id, "characters": data})

    def set_character_reference(self, project_id: str, name: str, image_path: str | None) -> dict:
        """A character's reference picture (checked by decoding it), which steers AI images of the
        scenes they lead through the image model's IP-Adapter; None removes it."""
        from .services.images import check_image

        project = self.store.get_project(_id(project_id, "project"))
        character = project.characters[_character_index(project.characters, name)]
        if image_path is None or image_path == "":
            character.reference = ""
        else:
            image_path = self._uploaded(image_path, "image")
            check_image(image_path)
            character.reference = self.store.add_file(image_path, type="image", name=Path(image_path).name).id
        return self._project_dict(self.store.save_project(project))

    def model_choices(self, kind: str) -> list[dict]:
        """The models of `kind` a project may pick: [{"id", "name", "builtin", "active"}], planned ones left out."""
        registry = registry_for(self.store)
        active = registry.active(kind).id
        return [{"id": m.id, "name": m.name, "builtin": m.builtin, "active": m.id == active}
                for m in registry.list(kind) if getattr(m, "runs", True)]

    def cast(self, project_id: str) -> dict:
        """Every speaker's voice as the next render uses it: {"narrator": voice, "characters": {name: voice}},
        a voice being {model, speaker, speed, pitch, sample}; characters without one get their distinct default."""
        from .services.voice import cast

        project = self.store.get_project(_id(project_id, "project"))
        voices = cast(project.settings, project.characters, registry=registry_for(self.store))
        return {"narrator": asdict(voices[None]),
                "characters": {c.name: asdict(voices[c.name]) for c in project.characters}}

    def set_voice(self, project_id: str, character: str | None, voice: dict, sample_path: str | None = None) -> dict:
        """Give the narrator (character None or "") or a character a voice ({model, speaker, speed, pitch});
        `sample_path` is an uploaded voice-cloning sample (checked: 6-30 s of speech). Returns the project."""
        from .services.voice import check_voice, check_voice_sample

        project = self.store.get_project(_id(project_id, "project"))
        who = character or "narrator"
        chosen = _voice(voice, who)
        if chosen.model:
            check_voice(chosen.model, registry_for(self.store))
        if sample_path:
            sample_path = self._uploaded(sample_path, "voice sample")
            check_voice_sample(sample_path)
            chosen.sample = self.store.add_file(sample_path, type="audio", name=Path(sample_path).name).id
        elif chosen.sample:
            self.store.get_asset(chosen.sample)
        if character:
            project.characters[_character_index(project.characters, character)].voice = chosen
        else:
            project.settings.narrator = chosen
        return self._project_dict(self.store.save_project(project))

    def preview_voice(self, project_id: str, text: str, voice: dict | None = None, sample_path: str | None = None,
                      who: str | None = None) -> dict:
        """Speak `text` with a voice ({model, speaker, speed, pitch}; None: `who`'s voice in the project,
        the narrator's when `who` is None). Returns {"audio": WAV path, "seconds", "sample_rate", "voice"}."""
        from .services.voice import cast, check_voice, check_voice_sample, synthesize_preview

        _need_str(text, "preview text")
        text = " ".join(text.split())
        if not text:
            raise VidgenError("Write a sentence to preview the voice with.")
        if len(text) > MAX_PREVIEW_CHARS:
            raise VidgenError(f"The preview text is {len(text)} characters long: use at most {MAX_PREVIEW_CHARS}.")
        settings, characters = RenderSettings(), []
        if project_id:
            project = self.store.get_project(_id(project_id, "project"))
            settings, characters = project.settings, project.characters
        registry = registry_for(self.store)
        voices = cast(settings, characters, registry=registry)
        if who:
            who = characters[_character_index(characters, who)].name  # a clear "no character" error
        chosen = voices[who or None] if voice is None else _voice(voice, who or "voice")
        if not chosen.model:
            chosen.model = settings.voice
        if chosen.model == "none":
            raise VidgenError("The voice is 'none' (a silent film): pick a voice to preview.")
        check_voice(chosen.model, registry)
        if sample_path:
            sample_path = self._uploaded(sample_path, "voice sample")
            check_voice_sample(sample_path)
            chosen.sample = self.store.add_file(sample_path, type="audio", name=Path(sample_path).name).id
        self.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.settings.tmp_dir) as tmp:
            r = synthesize_preview(text, chosen, Path(tmp) / "preview.wav", language=settings.language,
                                   registry=registry, project_voice=settings.voice, samples=self.store.asset_path)
            asset = self.store.add_file(r.wav, type="audio", name="voice-preview.wav")
        return {"audio": str(self.store.asset_path(asset.id)), "seconds": r.duration, "sample_rate": r.sample_rate,
                "voice": asdict(chosen)}

    def asset_file(self, asset_id: str) -> str:
        """The path of a stored asset (for showing it)."""
        return str(self.store.asset_path(_id(asset_id, "asset")))

    def set_music(self, project_id: str, music_path: str | None) -> dict:
        """Score the film with the user's music file (checked by decoding it); None goes back to the
        generated score ("auto"; set the `music` setting to "none" for no music)."""
        from .services.music import check_music_file

        project = self.store.get_project(_id(project_id, "project"))
        if music_path is None or music_path == "":
            project.settings.music = "auto"
        else:
            music_path = self._uploaded(music_path, "music")
            check_music_file(music_path)
            project.settings.music = self.store.add_file(music_path, type="audio", name=Path(music_path).name).id
        return self._project_dict(self.store.save_project(project))

    def duplicate_project(self, project_id: str, title: str | None = None) -> dict:
        project = self.store.get_project(_id(project_id, "project"))
        if title is not None:
            _need_str(title, "title")
        project.title = _title(title) if title and title.strip() else _title(f"Copy of {project.title}"[:MAX_TITLE])
        project.id = uuid.uuid4().hex[:12]
        project.created = project.updated = 0.0
        project.outputs = {}
        return self._project_dict(self.store.save_project(project))

    def rename_project(self, project_id: str, title: str) -> dict:
        project = self.store.get_project(_id(project_id, "project"))
        _need_str(title, "title")
        project.title = _title(title)
        return self._project_dict(self.store.save_project(project))

    def delete_project(self, project_id: str) -> None:
        """Delete a project (its rendered files stay in the asset store); refused while it has a job
        queued or running."""
        project = self.store.get_project(_id(project_id, "project"))
        busy = self.jobs.active(project.id)
        if busy:
            raise VidgenError(f"Project '{project.title}' has a render in progress (job {busy[0]}): "
                              "cancel it or wait until it ends, then delete the project.")
        self.store.delete_project(project.id)

    # --- rendering -----------------------------------------------------------------------------

    def start_render(self, project_id: str) -> str:
        """Queue a full render of the project; returns the new job's id (status "pending")."""
        from .pipeline import RenderWork

        project = self.store.get_project(_id(project_id, "project"))
        return self.jobs.enqueue(project.id, "render", RenderWork(self.store, project.id), "Queued")

    def wait(self, job_id: str, on_event: EventFn | None = None, timeout: float | None = None) -> dict:
        """Block until the job ends, passing its progress events to `on_event` as they come; returns
        get_job(job_id). A job that has already ended returns at once; after `timeout` seconds the
        job is returned as it is then (check its status). A waiter that falls far behind skips events."""
        return self._job_dict(self.jobs.wait(_id(job_id, "job"), on_event, timeout))

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
        from .pipeline import SceneWork

        project = self.store.get_project(_id(project_id, "project"))
        scene = project.scenes[_scene_index(project.scenes, number, project.id)]
        r, job_id = self._run_short(project.id, "scene", SceneWork(self.store, project.id, scene.number),
                              f"the preview of scene {scene.number}", on_event)
        return {k: r[k] for k in ("image", "clip", "speech", "duration", "motion", "cached")} | {"job": job_id}

    def generate_image(self, project_id: str, number: int, on_event: EventFn | None = None) -> dict:
        """Make (or take from the cache) one scene's picture with its image model: the painter, the
        user's picture, or an AI model (a job of kind "image", in the same lane as renders).
        Returns {"image": path, "cached": bool, "model": image model id, "job"}."""
        from .pipeline import ImageWork

        project = self.store.get_project(_id(project_id, "project"))
        scene = project.scenes[_scene_index(project.scenes, number, project.id)]
        r, job_id = self._run_short(project.id, "image", ImageWork(self.store, project.id, scene.number),
                              f"the image of scene {scene.number}", on_event)
        return {"image": r["image"], "cached": r["cached"], "model": r["model"], "job": job_id}

    def generate_music(self, project_id: str, on_event: EventFn | None = None) -> dict:
        """Make (or take from the cache) the project's generated score with its music settings (a job
        of kind "music"). Returns {"audio": WAV path, "cached", "model", "tempo", "key", "segments", "job"}."""
        from .pipeline import MusicWork

        project = self.store.get_project(_id(project_id, "project"))
        r, job_id = self._run_short(project.id, "music", MusicWork(self.store, project.id), "the score", on_event)
        return {"audio": r["audio"], "cached": r["cached"], "model": r["model"], "tempo": r["tempo"],
                "key": r["key"], "segments": r["segments"], "prompt": r.get("prompt", ""), "job": job_id}

    # --- jobs ----------------------------------------------------------------------------------

    def list_jobs(self, project_id: str | None = None, limit: int = 50) -> list[dict]:
        """Newest first, at most `limit`."""
        if project_id is not None and project_id != "":
            project_id = _id(project_id, "project")
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise VidgenError(f"limit must be a whole number >= 1, not {limit!r}.")
        return [self._job_dict(j) for j in self.store.list_jobs(project_id or None)[:limit]]

    def get_job(self, job_id: str) -> dict:
        """asdict(Job) plus "video" and "subtitles" (absolute paths of a completed render, else "")."""
        return self._job_dict(self.store.get_job(_id(job_id, "job")))

    def cancel_job(self, job_id: str) -> dict:
        """Stop a job: a queued one is cancelled at once and never runs; a running one stops at its
        next step. An ended job is left as it is. Returns the job."""
        job = self.store.get_job(_id(job_id, "job"))
        self.jobs.cancel(job.id)
        return self.get_job(job.id)

    def resume_job(self, job_id: str) -> str:
        """Queue an interrupted, failed or cancelled render again; steps it finished come from the
        cache. Returns the job id."""
        job = self.store.get_job(_id(job_id, "job"))
        if job.kind != "render":
            raise VidgenError(f"Job {job.id} is a {job.kind} preview, not a render: "
                              f"{'generate the image' if job.kind == 'image' else 'preview the scene'} again.")
        if job.status not in RESUMABLE:
            raise VidgenError(f"Job {job.id} is {job.status}; only an interrupted, failed or cancelled render can be resumed.")
        self.store.get_project(job.project_id)
        from .pipeline import RenderWork

        return self.jobs.enqueue(job.project_id, "render", RenderWork(self.store, job.project_id), "Queued (resume)",
                                 job_id=job.id)

    def shutdown(self, timeout: float | None = None) -> None:
        """Stop the workers after their current job; jobs still queued become interrupted (resumable)."""
        self.jobs.shutdown(timeout)

    # --- helpers -------------------------------------------------------------------------------

    def _uploaded(self, path: Any, what: str) -> str:
        """The real path of an uploaded file; refused outside the upload folders."""
        if not isinstance(path, (str, os.PathLike)):
            raise VidgenError(f"The {what} file must be given as a path, not {type(path).__name__}.")
        name = Path(path).name
        try:
            real = Path(path).expanduser().resolve(strict=True)
        except (OSError, RuntimeError):
            raise VidgenError(f"The {what} file {name} was not found: upload it again.") from None
        if not any(real.is_relative_to(root) for root in self.upload_roots):
            raise VidgenError(f"The {what} file {name} is not an upload: upload it through the studio.")
        return str(real)

    def _output(self, rel: str | None) -> str:
        if not rel:
            return ""
        path = self.settings.data_dir / rel
        return str(path) if path.is_file() else ""

    def _project_dict(self, project) -> dict:
        d = asdict(project)
        d["video"] = self._output(project.outputs.get("video"))
        d["subtitles"] = self._output(project.outputs.get("subtitles"))
        return d

    def _job_dict(self, job: Job) -> dict:
        d = asdict(job)
        done = job.status == "completed" and job.kind == "render"
        d["video"] = str(job.result.get("video", "")) if done else ""
        d["subtitles"] = str(job.result.get("subtitles", "")) if done else ""
        return d

    def _render_settings(self, data: Any, base: RenderSettings) -> RenderSettings:
        """`base` with the given fields changed, every field checked (vidgen/checks.py)."""
        return check_saved(self.store, with_changes(base, data))

    def _scenes(self, data: Any) -> list[Scene]:
        if not isinstance(data, list):
            raise VidgenError(f"scenes must be a list of scene dicts, not {type(data).__name__}.")
        if not data:
            raise VidgenError("A project needs at least one scene.")
        if len(data) > self.settings.max_scenes:
            raise VidgenError(f"{len(data)} scenes is over the limit of {self.settings.max_scenes}: "
                              "split the story into several projects.")
        scenes = [_scene(d, i + 1, self.settings.max_script_bytes) for i, d in enumerate(data)]
        for scene in scenes:
            check_scene(self.store, scene)
            if scene.image:
                asset = self.store.get_asset(scene.image)
                if asset.type != "image":
                    raise VidgenError(f"Scene {scene.number}: asset {scene.image!r} is a {asset.type} file, "
                                      "not an image: upload a PNG, JPEG or WebP.")
        return scenes


# --- validation --------------------------------------------------------------------------------

def _need_str(value: Any, what: str) -> None:
    if not isinstance(value, str):
        raise VidgenError(f"The {what} must be text, not {type(value).__name__}.")


def _id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise VidgenError(f"A {what} id is needed (text), not {value!r}.")
    return value.strip()


def _title(title: str) -> str:
    t = " ".join(title.split())
    if not t:
        raise VidgenError("The title is empty: give the project a title.")
    if len(t) > MAX_TITLE:
        raise VidgenError(f"The title is {len(t)} characters long: use at most {MAX_TITLE}.")
    return t


MAX_PREVIEW_CHARS = 500
_voice = voice_from
_typed = typed


def _scene_index(scenes: list[Scene], number: Any, project_id: str) -> int:
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if not isinstance(number, int) or isinstance(number, bool):
        raise VidgenError(f"A scene number is a whole number, not {number!r}.")
    for i, s in enumerate(scenes):
        if s.number == number:
            return i
    raise VidgenError(f"No scene {number} in project '{project_id}': it has scenes 1 to {len(scenes)}.")


def _character_index(characters: list[Character], name: Any) -> int:
    _need_str(name, "character name")
    for i, c in enumerate(characters):
        if c.name.casefold() == " ".join(name.split()).casefold():
            return i
    known = ", ".join(c.name for c in characters) or "none"
    raise VidgenError(f"No character {name!r} in this project (characters: {known}).")


_SCENE_FIELDS = {f.name: f for f in dataclasses.fields(Scene)}


def _scene(d: Any, expected: int, max_text: int) -> Scene:
    if not isinstance(d, dict):
        raise VidgenError(f"Scene {expected} must be a dict, not {type(d).__name__}.")
    unknown = sorted(set(map(str, d)) - set(_SCENE_FIELDS))
    if unknown:
        raise VidgenError(f"Scene {expected}: unknown field {', '.join(unknown)}: use {', '.join(_SCENE_FIELDS)}.")
    where = f"Scene {expected}"
    number = _typed(f"{where} number", d.get("number"), int)
    if number != expected:
        raise VidgenError(f"Scene numbers must run 1, 2, 3... in order: scene {expected} is numbered {number}.")

    def text(name: str, default: str = "") -> str:
        value = _typed(f"{where} {name}", d.get(name, default), str)
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
    lines = [_line(ln, f"{where} line {i + 1}", max_text) for i, ln in enumerate(lines_in)]
    duration = _typed(f"{where} duration", d.get("duration", Scene.duration), float)
    if not 0 < duration <= MAX_SCENE_SECONDS:
        raise VidgenError(f"{where}: duration must be over 0 and at most {MAX_SCENE_SECONDS:.0f} seconds, not {duration}.")
    camera = str_list("camera")
    bad = [c for c in camera if c not in MOTIONS]
    if bad:
        raise VidgenError(f"{where}: unknown camera direction {bad[0]!r}: use one of {', '.join(MOTIONS)}.")
    strength = _typed(f"{where} image_strength", d.get("image_strength", 0.0), float)
    if not 0.0 <= strength <= 1.0:
        raise VidgenError(f"{where}: image_strength must be from 0 (use the image as it is) to 1, not {strength}.")
    interior = d.get("interior")
    if interior is not None and not isinstance(interior, bool):
        raise VidgenError(f"{where}: interior must be true, false or null, not {interior!r}.")
    return Scene(
        number=number, heading=text("heading"), text=text("text"), lines=lines, visual=text("visual"),
        mood=choice("mood", MOODS, False, "neutral"), duration=round(duration, 3), camera=camera,
        location=text("location"), interior=interior, time_of_day=choice("time_of_day", TIMES_OF_DAY, True),
        characters=str_list("characters"), motion=choice("motion", MOTIONS, True), image=text("image"),
        transition=choice("transition", TRANSITIONS, True), image_model=text("image_model"),
        image_strength=strength,
    )


def _line(d: Any, where: str, max_text: int) -> Line:
    if not isinstance(d, dict):
        raise VidgenError(f"{where} must be a dict with text, speaker and parenthetical, not {d!r}.")
    unknown = sorted(set(map(str, d)) - {"text", "speaker", "parenthetical"})
    if unknown:
        raise VidgenError(f"{where}: unknown field {', '.join(unknown)}: use text, speaker, parenthetical.")
    text = _typed(f"{where} text", d.get("text", ""), str)
    if not text.strip():
        raise VidgenError(f"{where} is empty: write the line or remove it.")
    if len(text) > max_text:
        raise VidgenError(f"{where} is {len(text)} characters long: use at most {max_text}.")
    from .services.voice.prosody import parse_line

    parse_line(text, where=where)  # the voice's markup ([pause 1.5], *emphasis*, [slow]) must read
    speaker = d.get("speaker")
    if speaker is not None:
        speaker = _typed(f"{where} speaker", speaker, str).strip() or None  # "" means narration
    paren = _typed(f"{where} parenthetical", d.get("parenthetical", ""), str)
    return Line(text=text.strip(), speaker=speaker, parenthetical=paren.strip())


def _characters(data: Any, n_scenes: int) -> list[Character]:
    if not isinstance(data, list):
        raise VidgenError(f"characters must be a list of {{name, description, scenes}}, not {type(data).__name__}.")
    out, names = [], set()
    for i, d in enumerate(data):
        where = f"Character {i + 1}"
        if not isinstance(d, dict):
            raise VidgenError(f"{where} must be a dict with name, description and scenes, not {d!r}.")
        unknown = sorted(set(map(str, d)) - {"name", "description", "scenes", "seed", "reference", "voice"})
        if unknown:
            raise VidgenError(f"{where}: unknown field {', '.join(unknown)}: "
                              "use name, description, scenes, seed, reference, voice.")
        name = " ".join(_typed(f"{where} name", d.get("name", ""), str).split())
        if not name:
            raise VidgenError(f"{where} has no name: name it or remove it.")
        if name.casefold() in names:
            raise VidgenError(f"Character {name!r} is listed twice: merge the two entries.")
        names.add(name.casefold())
        scenes = d.get("scenes", [])
        if not isinstance(scenes, list):
            raise VidgenError(f"{name}: scenes must be a list of scene numbers, not {scenes!r}.")
        scenes = [_typed(f"{name}: scene number", s, int) for s in scenes]
        bad = [s for s in scenes if not 1 <= s <= n_scenes]
        if bad:
            raise VidgenError(f"{name} is listed in scene {bad[0]}, but the project has scenes 1 to {n_scenes}.")
        seed = d.get("seed")
        if seed is not None:
            seed = _typed(f"{name}: seed", seed, int)
            if not 0 <= seed < 2**32:
                raise VidgenError(f"{name}: the seed must be from 0 to {2**32 - 1}, not {seed}.")
        out.append(Character(name=name, description=_typed(f"{name}: description", d.get("description", ""), str),
                             scenes=scenes, seed=seed,
                             reference=_typed(f"{name}: reference", d.get("reference", ""), str),
                             voice=None if d.get("voice") is None else _voice(d["voice"], name)))
    return out


def _replace_narration(lines: list[dict], narration: Any) -> list[dict]:
    """The scene's lines with the narration (speaker None) replaced by `narration`'s paragraphs,
    placed where the first narration line was (or first, when there was none)."""
    _need_str(narration, "narration")
    paragraphs = [" ".join(p.split()) for p in narration.replace("\r\n", "\n").split("\n\n")]
    new = [{"text": p, "speaker": None, "parenthetical": ""} for p in paragraphs if p]
    at = next((i for i, ln in enumerate(lines) if not ln.get("speaker")), 0)
    kept = [ln for ln in lines if ln.get("speaker")]
    before = sum(1 for ln in lines[:at] if ln.get("speaker"))
    return kept[:before] + new + kept[before:]
