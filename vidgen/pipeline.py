"""Project -> per-scene steps (image, voice, animation) -> music -> assembly.

Every step is keyed by a hash of its inputs (and the step's code version) and its outputs are
stored as assets, so a re-run or a resumed job redoes only what changed: editing one scene
re-renders one scene, and a render interrupted by a crash continues where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from .domain import (SPEECH_LEAD_SECONDS, SPEECH_TAIL_SECONDS, MIN_SCENE_SECONDS,
                     WORDS_PER_SECOND, Cue, Job, Project, RenderSettings, Scene, SceneMedia)
from .errors import VidgenError
from .jobs import EventFn, JobContext, new_job, run_job
from .store import Store

# Bump a step's version when its code changes what it produces: old cache entries then miss.
STEP_VERSIONS = {"image": 2, "voice": 1, "animation": 1, "assembly": 1}
CLIP_PRESET, CLIP_CRF = "ultrafast", 15  # intermediate scene clips: fast, near-lossless


def step_key(name: str, **inputs: Any) -> str:
    payload = json.dumps({"step": name, "v": STEP_VERSIONS[name], **inputs}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


# --- projects ------------------------------------------------------------------------------

def create_project(store: Store, text: str, *, title: str | None = None,
                   settings: RenderSettings | None = None, scene_images: dict[int, str] | None = None) -> Project:
    """Parse a script and save it as a new project; `scene_images` maps scene numbers to the
    user's own pictures (used instead of painting). Everything is checked before anything is saved."""
    from .services.images import check_image
    from .services.script import parse_script

    settings = (settings or RenderSettings()).validate()
    parsed = parse_script(text, title=title, max_bytes=store.settings.max_script_bytes,
                          transition_seconds=settings.transition_seconds,
                          max_scenes=store.settings.max_scenes)
    for number, path in (scene_images or {}).items():
        if not 1 <= number <= len(parsed.scenes):
            raise VidgenError(f"No scene {number} for the image {Path(path).name}: the script has "
                              f"{len(parsed.scenes)} scenes (`python -m vidgen parse SCRIPT` lists them).")
        if not Path(path).is_file():
            raise VidgenError(f"Image {path} not found.")
        check_image(path)
    for number, path in (scene_images or {}).items():
        parsed.scenes[number - 1].image = store.add_file(path, type="image", name=Path(path).name).id
    project = Project(id=uuid.uuid4().hex[:12], title=parsed.title, script=text, form=parsed.form,
                      settings=settings, scenes=parsed.scenes, characters=parsed.characters)
    return store.save_project(project)


def render(store: Store, project_id: str, *, on_event: EventFn | None = None) -> Job:
    """Render a project as a new job; returns the finished job (raises on failure)."""
    store.get_project(project_id)
    job = new_job(store, project_id)
    return run_job(store, job.id, RenderWork(store, project_id), on_event)


def resume(store: Store, job_id: str, *, on_event: EventFn | None = None) -> Job:
    """Finish an interrupted, failed or cancelled render; finished steps come from the cache."""
    job = store.get_job(job_id)
    if job.status not in ("interrupted", "failed", "cancelled", "pending"):
        raise VidgenError(f"Job {job_id} is {job.status}; only an interrupted, failed or cancelled job can be resumed.")
    return run_job(store, job_id, RenderWork(store, job.project_id), on_event)


# --- the render ------------------------------------------------------------------------------

def scene_duration(speech_seconds: float, settings: RenderSettings) -> float:
    """Scene length for this much speech, rounded up to whole frames."""
    d = max(MIN_SCENE_SECONDS, settings.transition_seconds + SPEECH_LEAD_SECONDS + speech_seconds + SPEECH_TAIL_SECONDS)
    return math.ceil(d * settings.fps - 1e-6) / settings.fps


class RenderWork:
    """The work function of a render job (callable with a JobContext)."""

    def __init__(self, store: Store, project_id: str):
        self.store = store
        self.project_id = project_id

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        store = self.store
        work_dir = store.settings.tmp_dir / ctx.job.id
        work_dir.mkdir(parents=True, exist_ok=True)
        try:
            project = self._prepare(ctx)
            s = project.settings
            images = self._images(ctx, project, work_dir)
            voices = self._voices(ctx, project, work_dir)
            clips = self._animation(ctx, project, images, voices, work_dir)
            ctx.begin_stage("music")
            music = str(store.asset_path(s.music)) if s.music else ""
            ctx.progress(1.0, "Music bed ready" if music else "No music")
            video, srt, duration = self._assemble(ctx, project, clips, voices, music, work_dir)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
        project.outputs = {"video": video, "subtitles": srt, "job": ctx.job.id}
        store.save_project(project)
        data = store.settings.data_dir
        return {"project": project.id, "video": str(data / video), "subtitles": str(data / srt),
                "duration": duration, "scenes": len(project.scenes)}

    # parse: make sure the project is complete and valid before any work
    def _prepare(self, ctx: JobContext) -> Project:
        ctx.begin_stage("parse", "Checking the project")
        project = self.store.get_project(self.project_id)
        project.settings.validate()
        if not project.scenes:
            from .services.script import parse_script

            parsed = parse_script(project.script, title=project.title or None,
                                  max_bytes=self.store.settings.max_script_bytes,
                                  transition_seconds=project.settings.transition_seconds)
            project.scenes, project.characters, project.form = parsed.scenes, parsed.characters, parsed.form
            self.store.save_project(project)
        from .services.voice import check_voice

        check_voice(project.settings.voice)
        if project.settings.music:
            self.store.asset_path(project.settings.music)
        ctx.progress(1.0, f"{len(project.scenes)} scenes")
        return project

    def _step(self, ctx: JobContext, name: str, scene: int | None, key: str,
              produce: Callable[[], tuple[dict[str, tuple[Path, str]], dict[str, Any]]]) -> dict[str, Any]:
        """Return the cached outputs of a step, or produce, store and cache them."""
        ctx.check_cancel()
        t0 = time.monotonic()
        hit = self.store.get_step(key)
        if hit is not None:
            ctx.record_step(name, scene, key, True, time.monotonic() - t0)
            return hit
        files, data = produce()
        outputs = {role: self.store.add_file(path, type=kind, move=True).id for role, (path, kind) in files.items()}
        self.store.put_step(key, name, outputs, data)
        ctx.record_step(name, scene, key, False, time.monotonic() - t0)
        return {"key": key, "name": name, "outputs": outputs, "data": data}

    def _images(self, ctx: JobContext, project: Project, work_dir: Path) -> list[str]:
        from .services.images import fit_user_image, paint_storyboard

        s = project.settings
        ctx.begin_stage("images", "Painting the storyboard")
        out = []
        n = len(project.scenes)
        for i, scene in enumerate(project.scenes):
            path = work_dir / f"image-{scene.number}.png"
            if scene.image:
                src = self.store.asset_path(scene.image)
                key = step_key("image", backend="user", asset=scene.image, size=s.size)
                produce = lambda src=src, path=path: ({"image": (fit_user_image(src, s.size, path), "image")}, {})
            else:
                key = step_key("image", backend="painter", size=s.size, seed=s.seed, total=n,
                               scene=_visual_fields(scene))
                produce = lambda scene=scene, path=path: (
                    {"image": (paint_storyboard(scene, s.size, path, seed=s.seed, total_scenes=n), "image")}, {})
            out.append(self._step(ctx, "image", scene.number, key, produce)["outputs"]["image"])
            ctx.progress((i + 1) / n, f"Scene {scene.number}/{n}: image", scene.number)
        return out

    def _voices(self, ctx: JobContext, project: Project, work_dir: Path) -> list[dict[str, Any]]:
        """Per scene: {"speech": asset id or "", "seconds": float, "cues": [...] relative to speech start}."""
        from .services.voice import NO_VOICE, estimated_cues, synthesize_lines

        s = project.settings
        ctx.begin_stage("voice", "Speaking the lines")
        out = []
        n = len(project.scenes)
        for i, scene in enumerate(project.scenes):
            lines = [line for line in scene.lines if line.text.strip()]
            words = sum(len(line.text.split()) for line in lines)
            if s.voice == NO_VOICE or not lines:
                seconds = words / WORDS_PER_SECOND
                out.append({"speech": "", "seconds": seconds,
                            "cues": [asdict(c) for c in estimated_cues(lines, seconds)]})
            else:
                key = step_key("voice", voice=s.voice, lines=[asdict(line) for line in lines])
                path = work_dir / f"voice-{scene.number}.wav"

                def produce(lines=lines, path=path):
                    r = synthesize_lines(lines, path, voice=s.voice, cancel=ctx.check_cancel)
                    return {"speech": (r.wav, "audio")}, {"seconds": r.duration, "cues": [asdict(c) for c in r.cues]}

                hit = self._step(ctx, "voice", scene.number, key, produce)
                out.append({"speech": hit["outputs"]["speech"], **hit["data"]})
            ctx.progress((i + 1) / n, f"Scene {scene.number}/{n}: voice", scene.number)
        return out

    def _animation(self, ctx: JobContext, project: Project, images: list[str],
                   voices: list[dict[str, Any]], work_dir: Path) -> list[dict[str, Any]]:
        from .services.animation import choose_motion, render_camera_motion

        s = project.settings
        ctx.begin_stage("animation", "Moving the camera")
        out = []
        previous = None
        n = len(project.scenes)
        for i, (scene, image, voice) in enumerate(zip(project.scenes, images, voices)):
            duration = scene_duration(voice["seconds"], s)
            motion = choose_motion(scene, previous, seed=s.seed)
            previous = motion
            key = step_key("animation", backend="camera", image=image, motion=motion, duration=duration,
                           fps=s.fps, size=s.size)
            path = work_dir / f"clip-{scene.number}.mp4"
            prog = ctx.sub_progress(i / n, (i + 1) / n, f"Scene {scene.number}/{n}: {motion.replace('_', ' ')}",
                                    scene.number)

            def produce(image=image, motion=motion, duration=duration, path=path, prog=prog):
                clip = render_camera_motion(self.store.asset_path(image), motion, duration, s.fps, s.size, path,
                                            preset=CLIP_PRESET, crf=CLIP_CRF, progress=prog, cancel=ctx.check_cancel)
                return {"clip": (clip, "video")}, {}

            clip = self._step(ctx, "animation", scene.number, key, produce)["outputs"]["clip"]
            out.append({"clip": clip, "duration": duration, "motion": motion})
            ctx.progress((i + 1) / n, f"Scene {scene.number}/{n}: {motion.replace('_', ' ')}", scene.number)
        return out

    def _assemble(self, ctx: JobContext, project: Project, clips: list[dict[str, Any]],
                  voices: list[dict[str, Any]], music: str, work_dir: Path) -> tuple[str, str, float]:
        from .services.assembly import assemble

        s = project.settings
        ctx.begin_stage("assembly", "Assembling the film")
        offset = s.transition_seconds + SPEECH_LEAD_SECONDS
        scenes_media = []
        for scene, clip, voice in zip(project.scenes, clips, voices):
            scenes_media.append(SceneMedia(
                clip=str(self.store.asset_path(clip["clip"])), duration=clip["duration"],
                speech=str(self.store.asset_path(voice["speech"])) if voice["speech"] else "",
                speech_offset=offset,
                cues=[Cue(c["start"] + offset, c["end"] + offset, c["text"], c.get("speaker")) for c in voice["cues"]],
                transition=scene.transition or s.transition,
            ))
        key = step_key("assembly", clips=[c["clip"] for c in clips], durations=[c["duration"] for c in clips],
                       speech=[v["speech"] for v in voices], cues=[[asdict(c) for c in m.cues] for m in scenes_media],
                       transitions=[m.transition for m in scenes_media], music=s.music, music_volume=s.music_volume,
                       size=s.size, fps=s.fps, transition_seconds=s.transition_seconds, subtitles=s.subtitles,
                       quality=s.quality)
        out = work_dir / "film.mp4"

        def produce():
            r = assemble(scenes_media, out, size=s.size, fps=s.fps, transition_seconds=s.transition_seconds,
                         music=music, music_volume=s.music_volume, burn_subtitles=s.subtitles,
                         quality=s.quality, progress=ctx.progress, cancel=ctx.check_cancel, work_dir=work_dir)
            return {"video": (Path(r.video), "video"), "subtitles": (Path(r.subtitles), "subtitles")}, \
                {"duration": r.duration}

        hit = self._step(ctx, "assembly", None, key, produce)
        ctx.progress(1.0, "Film assembled")
        video = self.store.get_asset(hit["outputs"]["video"]).path
        srt = self.store.get_asset(hit["outputs"]["subtitles"]).path
        return video, srt, hit["data"]["duration"]


def _visual_fields(scene: Scene) -> dict[str, Any]:
    """The scene fields the painter looks at (so editing dialogue does not repaint)."""
    return {k: getattr(scene, k) for k in ("number", "heading", "visual", "mood", "location", "interior",
                                           "time_of_day", "characters")}
