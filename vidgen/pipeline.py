"""Project -> per-scene steps (image, voice, animation) -> music -> assembly.

Every step is keyed by a hash of its inputs (and the step's code version) and its outputs are
stored as assets, so a re-run or a resumed job redoes only what changed: editing one scene
re-renders one scene, and a render interrupted by a crash continues where it stopped.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import re
import shutil
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from .domain import (SPEECH_LEAD_SECONDS, SPEECH_TAIL_SECONDS, MIN_SCENE_SECONDS,
                     WORDS_PER_SECOND, Cue, Job, Line, Project, RenderSettings, Scene, SceneMedia)
from .errors import VidgenError
from .jobs import EventFn, JobContext, gpu_lane, new_job, run_job
from .store import Store

log = logging.getLogger(__name__)

# Bump a step's version when its code changes what it produces: old cache entries then miss.
STEP_VERSIONS = {"image": 2, "voice": 2, "animation": 1, "music": 1, "assembly": 1}
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
    with gpu_lane(job.id):
        return run_job(store, job.id, RenderWork(store, project_id), on_event)


def resume(store: Store, job_id: str, *, on_event: EventFn | None = None) -> Job:
    """Finish an interrupted, failed or cancelled render; finished steps come from the cache."""
    job = store.get_job(job_id)
    if job.status not in ("interrupted", "failed", "cancelled", "pending"):
        raise VidgenError(f"Job {job_id} is {job.status}; only an interrupted, failed or cancelled job can be resumed.")
    with gpu_lane(job_id):
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
            images = self._images(ctx, project, work_dir)
            voices = self._voices(ctx, project, work_dir)
            clips = self._animation(ctx, project, images, voices, work_dir)
            music = self._music(ctx, project, clips, work_dir)
            video, srt, duration = self._assemble(ctx, project, clips, voices, music, work_dir)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
        data = store.settings.data_dir
        video, srt = (_named_copy(data, data / rel, ctx.job.id, project.title) for rel in (video, srt))
        latest = store.get_project(project.id)  # keep edits made while this job ran
        latest.outputs = {"video": video, "subtitles": srt, "job": ctx.job.id}
        store.save_project(latest)
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
        check_project_voices(self.store, project, ctx)
        if project.settings.music_source not in ("auto", "none"):
            self.store.asset_path(project.settings.music)
        check_image_models(self.store, project, project.scenes)
        check_music_model(self.store, project)
        ctx.progress(1.0, f"{len(project.scenes)} scenes")
        return project

    def _music(self, ctx: JobContext, project: Project, clips: list[dict[str, Any]], work_dir: Path) -> str:
        """The music bed's path ("" for none): the user's file, or a score generated for the film."""
        ctx.begin_stage("music")
        source = project.settings.music_source
        if source == "none":
            ctx.progress(1.0, "No music")
            return ""
        if source != "auto":
            ctx.progress(1.0, "Music bed ready")
            return str(self.store.asset_path(source))
        hit = self.score(ctx, project, clips, work_dir)
        return str(self.store.asset_path(hit["outputs"]["music"]))

    def score(self, ctx: JobContext, project: Project, clips: list[dict[str, Any]], work_dir: Path) -> dict[str, Any]:
        """The generated score of the film (a cached step): {"outputs": {"music": asset id}, "data", "cached"}."""
        from .services.music import score_film

        s = project.settings
        spec = music_model(self.store, project)
        segments = music_segments(project, clips)
        key = step_key("music", model=spec.id, repo=spec.repo, revision=spec.revision, segments=segments,
                       genre=s.music_genre, tempo=s.music_tempo, key=s.music_key, instruments=s.music_instruments,
                       seed=s.seed)
        out = work_dir / "music.wav"
        moods = " → ".join(m for m, _ in segments)

        def produce():
            r = score_film(segments, out, model=spec, genre=s.music_genre, tempo=s.music_tempo, key=s.music_key,
                           instruments=s.music_instruments, seed=s.seed, progress=lambda f: ctx.progress(f, f"Scoring: {moods}"),
                           cancel=ctx.check_cancel)
            return {"music": (Path(r.wav), "audio")}, {"model": spec.id, "tempo": r.tempo, "key": r.key,
                                                       "prompt": r.prompt, "segments": segments}

        hit = self._step(ctx, "music", None, key, produce)
        ctx.progress(1.0, f"Music: {spec.name} ({moods})")
        return hit

    def _step(self, ctx: JobContext, name: str, scene: int | None, key: str,
              produce: Callable[[], tuple[dict[str, tuple[Path, str]], dict[str, Any]]]) -> dict[str, Any]:
        """Return the cached outputs of a step, or produce, store and cache them."""
        ctx.check_cancel()
        t0 = time.monotonic()
        hit = self.store.get_step(key)
        if hit is not None:
            ctx.record_step(name, scene, key, True, time.monotonic() - t0)
            return {**hit, "cached": True}
        files, data = produce()
        outputs = {role: self.store.add_file(path, type=kind, move=True).id for role, (path, kind) in files.items()}
        self.store.put_step(key, name, outputs, data)
        ctx.record_step(name, scene, key, False, time.monotonic() - t0)
        return {"key": key, "name": name, "outputs": outputs, "data": data, "cached": False}

    def _images(self, ctx: JobContext, project: Project, work_dir: Path) -> list[str]:
        ctx.begin_stage("images", "Painting the storyboard")
        out = []
        n = len(project.scenes)
        for i, scene in enumerate(project.scenes):
            message = f"Scene {scene.number}/{n}: image"
            prog = ctx.sub_progress(i / n, (i + 1) / n, message, scene.number)
            out.append(self.scene_image(ctx, project, scene, work_dir, prog)["image"])
            ctx.progress((i + 1) / n, message, scene.number)
        return out

    def _voices(self, ctx: JobContext, project: Project, work_dir: Path) -> list[dict[str, Any]]:
        ctx.begin_stage("voice", "Speaking the lines")
        out = []
        n = len(project.scenes)
        for i, scene in enumerate(project.scenes):
            out.append(self.scene_voice(ctx, project, scene, work_dir))
            ctx.progress((i + 1) / n, f"Scene {scene.number}/{n}: voice", scene.number)
        return out

    def _animation(self, ctx: JobContext, project: Project, images: list[str],
                   voices: list[dict[str, Any]], work_dir: Path) -> list[dict[str, Any]]:
        ctx.begin_stage("animation", "Moving the camera")
        out = []
        n = len(project.scenes)
        motions = scene_motions(project)
        for i, (scene, image, voice, motion) in enumerate(zip(project.scenes, images, voices, motions)):
            message = f"Scene {scene.number}/{n}: {motion.replace('_', ' ')}"
            prog = ctx.sub_progress(i / n, (i + 1) / n, message, scene.number)
            out.append(self.scene_clip(ctx, project, scene, image, voice, motion, work_dir, prog))
            ctx.progress((i + 1) / n, message, scene.number)
        return out

    # One scene's steps. A full render and a one-scene preview (SceneWork) share them, and so
    # their step keys: what a preview made, the next render finds in the cache.

    def scene_image(self, ctx: JobContext, project: Project, scene: Scene, work_dir: Path,
                    progress: Callable[[float], None] | None = None) -> dict[str, Any]:
        """{"image": asset id, "cached": bool, "model": image model id}"""
        from .services.images import fit_user_image, paint_storyboard

        s = project.settings
        n = len(project.scenes)
        path = work_dir / f"image-{scene.number}.png"
        spec = image_model(self.store, project, scene)
        plan = image_plan(self.store, project, scene, spec)
        if plan is not None:
            from .services.images import diffusion

            request, key = plan

            adapter = ip_adapter_for(self.store, spec) if request.ip_image else None

            def produce():
                out = diffusion.generate(spec, request, path, size=s.size, progress=progress, cancel=ctx.check_cancel,
                                         ip_adapter=adapter)
                return {"image": (Path(out), "image")}, {"model": spec.id, "prompt": request.prompt,
                                                         "seed": request.seed}
        elif scene.image:
            key = image_key(project, scene)
            src = self.store.asset_path(scene.image)
            produce = lambda: ({"image": (fit_user_image(src, s.size, path), "image")}, {})
        else:
            key = image_key(project, scene)
            produce = lambda: ({"image": (paint_storyboard(scene, s.size, path, seed=s.seed, total_scenes=n),
                                          "image")}, {})
        hit = self._step(ctx, "image", scene.number, key, produce)
        return {"image": hit["outputs"]["image"], "cached": hit["cached"], "model": spec.id}

    def scene_voice(self, ctx: JobContext, project: Project, scene: Scene, work_dir: Path) -> dict[str, Any]:
        """{"speech": asset id or "", "seconds": float, "cues": [...] relative to speech start,
        "cached": bool or None (None: nothing to speak, no step)}"""
        from .models.registry import Registry
        from .services.voice import NO_VOICE, estimated_cues, synthesize_lines

        s = project.settings
        lines = spoken_lines(scene)
        if s.voice == NO_VOICE or not lines:
            seconds = silent_speech_seconds(lines)
            return {"speech": "", "seconds": seconds, "cues": [asdict(c) for c in estimated_cues(lines, seconds)],
                    "cached": None}
        registry = Registry(self.store)
        voices, language = scene_voices(project, scene, registry)
        key = voice_key(project, scene, registry)
        path = work_dir / f"voice-{scene.number}.wav"

        def produce():
            r = synthesize_lines(lines, path, cast=voices, mood=scene.mood, language=language, seed=s.seed,
                                 cancel=ctx.check_cancel, registry=registry, samples=self.store.asset_path)
            return {"speech": (r.wav, "audio")}, {"seconds": r.duration, "cues": [asdict(c) for c in r.cues],
                                                  "timing": r.timing}

        hit = self._step(ctx, "voice", scene.number, key, produce)
        return {"speech": hit["outputs"]["speech"], **hit["data"], "cached": hit["cached"]}

    def scene_clip(self, ctx: JobContext, project: Project, scene: Scene, image: str, voice: dict[str, Any],
                   motion: str, work_dir: Path, progress: Callable[[float], None] | None = None) -> dict[str, Any]:
        """{"clip": asset id, "duration": s, "motion": str, "cached": bool}; `motion` from `scene_motions`."""
        from .services.animation import render_camera_motion

        s = project.settings
        duration = scene_duration(voice["seconds"], s)
        key = clip_key(project, image, motion, duration)
        path = work_dir / f"clip-{scene.number}.mp4"

        def produce():
            clip = render_camera_motion(self.store.asset_path(image), motion, duration, s.fps, s.size, path,
                                        preset=CLIP_PRESET, crf=CLIP_CRF, progress=progress, cancel=ctx.check_cancel)
            return {"clip": (clip, "video")}, {}

        hit = self._step(ctx, "animation", scene.number, key, produce)
        return {"clip": hit["outputs"]["clip"], "duration": duration, "motion": motion, "cached": hit["cached"]}

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
                       transitions=[m.transition for m in scenes_media], music=Path(music).name, music_volume=s.music_volume,
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


class _OneSceneWork:
    """What the one-scene jobs share: the scene by number, checked before any work."""

    def __init__(self, store: Store, project_id: str, number: int):
        self.store = store
        self.project_id = project_id
        self.number = number

    def _prepare(self, ctx: JobContext) -> tuple[Project, int]:
        ctx.begin_stage("parse", f"Checking scene {self.number}")
        project = self.store.get_project(self.project_id)
        project.settings.validate()
        index = next((i for i, sc in enumerate(project.scenes) if sc.number == self.number), None)
        if index is None:
            raise VidgenError(f"No scene {self.number} in project '{project.id}': it has {len(project.scenes)} scenes.")
        check_image_models(self.store, project, [project.scenes[index]])
        return project, index


class SceneWork(_OneSceneWork):
    """The work function of a one-scene preview job (kind "scene"): that scene's image, voice and
    clip through the same cached steps as a full render, without music or assembly."""

    stage_weights = {"parse": 0.05, "images": 0.3, "voice": 0.3, "animation": 0.35}

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        store = self.store
        project, index = self._prepare(ctx)
        check_project_voices(store, project, ctx)
        scene = project.scenes[index]
        work = RenderWork(store, project.id)
        work_dir = store.settings.tmp_dir / ctx.job.id
        work_dir.mkdir(parents=True, exist_ok=True)
        label = f"Scene {scene.number}"
        try:
            ctx.begin_stage("images", f"{label}: image")
            image = work.scene_image(ctx, project, scene, work_dir,
                                     ctx.sub_progress(0.0, 1.0, f"{label}: image", scene.number))
            ctx.progress(1.0, f"{label}: image", scene.number)
            ctx.begin_stage("voice", f"{label}: voice")
            voice = work.scene_voice(ctx, project, scene, work_dir)
            ctx.progress(1.0, f"{label}: voice", scene.number)
            motion = scene_motions(project)[index]
            message = f"{label}: {motion.replace('_', ' ')}"
            ctx.begin_stage("animation", message)
            clip = work.scene_clip(ctx, project, scene, image["image"], voice, motion, work_dir,
                                   ctx.sub_progress(0.0, 1.0, message, scene.number))
            ctx.progress(1.0, message, scene.number)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
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
        work_dir = store.settings.tmp_dir / ctx.job.id
        work_dir.mkdir(parents=True, exist_ok=True)
        label = f"Scene {scene.number}: image"
        try:
            ctx.begin_stage("images", label)
            image = RenderWork(store, project.id).scene_image(ctx, project, scene, work_dir,
                                                               ctx.sub_progress(0.0, 1.0, label, scene.number))
            ctx.progress(1.0, label, scene.number)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
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
        project.settings.validate()
        project.settings.music = "auto"  # this job makes the generated score, whatever the film uses
        check_music_model(store, project)
        s = project.settings
        clips = [{"duration": scene_duration(speech_seconds(store, project, scene)
                                             or max(0.0, scene.duration - s.transition_seconds - SPEECH_LEAD_SECONDS
                                                    - SPEECH_TAIL_SECONDS), s)} for scene in project.scenes]
        work_dir = store.settings.tmp_dir / ctx.job.id
        work_dir.mkdir(parents=True, exist_ok=True)
        try:
            hit = RenderWork(store, project.id).score(ctx, project, clips, work_dir)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
        return {"project": project.id, "audio": str(store.asset_path(hit["outputs"]["music"])),
                "cached": hit["cached"], **hit["data"]}


def scene_motions(project: Project) -> list[str]:
    """The camera move of every scene (an automatic pick avoids repeating the previous scene's)."""
    from .services.animation import choose_motion

    out: list[str] = []
    for scene in project.scenes:
        out.append(choose_motion(scene, out[-1] if out else None, seed=project.settings.seed))
    return out


def _named_copy(data_dir: Path, src: Path, job_id: str, title: str) -> str:
    """A link to an output named after the film (downloads get "the-last-keeper.mp4", not a hash),
    under renders/<job>/; returns its path relative to the data folder."""
    slug = re.sub(r"[^\w]+", "-", title.lower()).strip("-")[:60] or "film"
    dest = data_dir / "renders" / job_id / f"{slug}{src.suffix}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not dest.exists():
        try:
            os.link(src, dest)  # same bytes, no copy
        except OSError:
            shutil.copyfile(src, dest)
    return str(dest.relative_to(data_dir))


# --- image models ----------------------------------------------------------------------------

def image_model(store: Store, project: Project, scene: Scene) -> Any:
    """The image model (a ModelSpec) of a scene: its own, else the project's, else the registry's active one."""
    from .models.registry import Registry

    registry = Registry(store)
    model_id = scene.image_model or project.settings.image_model
    spec = registry.get(model_id) if model_id else registry.active("image")
    if spec.kind != "image":
        raise VidgenError(f"'{spec.id}' is a {spec.kind} model, not an image model: "
                          "run `python -m vidgen models list --kind image`.")
    return spec


def is_ai_image_model(spec: Any) -> bool:
    """False for the built-in painter (which also uses the user's own pictures as they are)."""
    return not (spec.builtin or spec.source == "builtin")


def scene_characters(project: Project, scene: Scene) -> list[Any]:
    """The project's Character records of the characters in this scene, in the scene's order."""
    by_name = {c.name.casefold(): c for c in project.characters}
    names = list(scene.characters) + [ln.speaker for ln in scene.lines if ln.speaker]
    out, seen = [], set()
    for name in names:
        c = by_name.get(name.casefold())
        if c is not None and c.name not in seen:
            seen.add(c.name)
            out.append(c)
    return out


def dominant_character(project: Project, scene: Scene) -> Any:
    """The character a scene is about: the only one in it, or the one who speaks over half its
    dialogue lines; None when no one dominates."""
    chars = scene_characters(project, scene)
    if len(chars) == 1:
        return chars[0]
    spoken = [ln.speaker.casefold() for ln in scene.lines if ln.speaker and ln.text.strip()]
    for c in chars:
        if spoken and sum(1 for sp in spoken if sp == c.name.casefold()) * 2 > len(spoken):
            return c
    return None


SCENE_SEED_STRIDE = 7919  # a prime: scene n of seed s never shares scene m's seed of the same project


def image_plan(store: Store, project: Project, scene: Scene, spec: Any) -> tuple[Any, str] | None:
    """(ImageRequest, step key) when an AI model makes this scene's picture; None when the
    built-in path does (the painter, or the user's own picture used as it is)."""
    if not is_ai_image_model(spec):
        return None
    if scene.image and scene.image_strength <= 0:
        return None  # the user's picture as it is: no AI involved
    from .services.images import diffusion

    s = project.settings
    chars = scene_characters(project, scene)
    prompt, negative = diffusion.compose_prompt(scene, chars, s.style)
    negative = ", ".join(p for p in (negative.strip(), s.negative_prompt.strip()) if p)
    lead = dominant_character(project, scene)
    if lead is not None:
        seed = diffusion.character_seed(lead, s.seed)  # the character's own seed when set
    else:
        seed = (s.seed + SCENE_SEED_STRIDE * scene.number) % 2**32
    width, height = diffusion.native_size(spec, s.aspect)
    fields: dict[str, Any] = {"prompt": prompt, "negative_prompt": negative, "width": width, "height": height,
                              "seed": seed, "steps": s.image_steps or None, "guidance": s.image_guidance,
                              "scheduler": s.scheduler,
                              "loras": [(lora_path(store, lo.source), lo.scale) for lo in s.loras]}
    inputs: dict[str, Any] = {"loras": [(lo.source, lo.scale) for lo in s.loras]}
    if scene.image and scene.image_strength > 0:
        fields.update(init_image=str(store.asset_path(scene.image)), strength=min(1.0, scene.image_strength))
        inputs["init_image"] = scene.image
    if lead is not None and lead.reference and spec.ip_adapter:
        fields.update(ip_image=str(store.asset_path(lead.reference)), ip_scale=s.reference_scale)
        inputs["ip_image"] = lead.reference
    request = diffusion.ImageRequest(**fields)
    # the key names the pictures by asset id (content hash), not by their path in this data folder
    keyed = {**asdict(request), **inputs}
    key = step_key("image", backend="diffusion", model=spec.id, repo=spec.repo, revision=spec.revision,
                   request=keyed, size=s.size)
    return request, key


_ASSET_ID = re.compile(r"^[0-9a-f]{64}$")


def lora_path(store: Store, source: str) -> str:
    """What the diffusers service loads for a LoRA: an uploaded file (asset id) by its path, else the
    hub id or local path as given."""
    return str(store.asset_path(source)) if _ASSET_ID.match(source) else source


def ip_adapter_for(store: Store, spec: Any) -> Any:
    """The IP-Adapter record of an image model (None when it has none)."""
    from .models.registry import Registry

    return Registry(store).get(spec.ip_adapter) if spec.ip_adapter else None


def check_image_models(store: Store, project: Project, scenes: list[Scene]) -> None:
    """Before any work: every AI image model the scenes use exists, fits this machine and is downloaded,
    with its IP-Adapter where a character has a reference picture; the style and LoRAs are known."""
    from .models import hub
    from .services.images import diffusion

    s = project.settings
    specs: dict[str, Any] = {}
    adapters: dict[str, Any] = {}
    for scene in scenes:
        spec = image_model(store, project, scene)
        if is_ai_image_model(spec) and not (scene.image and scene.image_strength <= 0):
            specs[spec.id] = spec
            lead = dominant_character(project, scene)
            if lead is not None and lead.reference:
                store.asset_path(lead.reference)
                if spec.ip_adapter:
                    adapters[spec.ip_adapter] = ip_adapter_for(store, spec)
                else:
                    log.warning("%s has no IP-Adapter: %s's reference picture is not used.", spec.name, lead.name)
    if not specs:
        return
    if s.style:
        check_style(s.style)
    if s.scheduler and s.scheduler not in diffusion.SCHEDULERS:
        raise VidgenError(f"Unknown scheduler {s.scheduler!r}: use one of {', '.join(diffusion.SCHEDULERS)} "
                          "(or leave it empty for the model's own).")
    for lora in s.loras:
        diffusion.check_lora_source(lora_path(store, lora.source))
    for spec in specs.values():
        check_image_spec(spec)
    for adapter in adapters.values():
        if not hub.is_downloaded(adapter):
            raise VidgenError(f"A character has a reference picture, which needs {adapter.name}: run "
                              f"`python -m vidgen models download {adapter.id}` (or remove the reference).")


def default_voice(store: Store) -> str:
    """The voice a new project speaks with: the registry's active voice model (the built-in Piper
    voice unless another was activated)."""
    from .models.registry import Registry
    from .services.voice import BUILTIN_VOICE

    spec = Registry(store).active("voice")
    return BUILTIN_VOICE if spec.builtin else spec.id


def music_model(store: Store, project: Project) -> Any:
    """The model that scores the film: the project's choice, else the registry's active music model."""
    from .models.registry import Registry

    registry = Registry(store)
    spec = registry.get(project.settings.music_model) if project.settings.music_model else registry.active("music")
    if spec.kind != "music":
        raise VidgenError(f"'{spec.id}' is a {spec.kind} model, not a music model: "
                          "run `python -m vidgen models list --kind music`.")
    return spec


def check_music_settings(settings: RenderSettings) -> None:
    """The score's genre and key are known (VidgenError listing what is)."""
    from .services.music import composer

    if settings.music_genre and settings.music_genre not in composer.GENRES:
        raise VidgenError(f"Unknown music genre {settings.music_genre!r}: use one of {', '.join(composer.GENRES)} "
                          "(or empty to choose from the moods).")
    if settings.music_key:
        composer.parse_key(settings.music_key)


def check_music_model(store: Store, project: Project) -> None:
    """A generated score's model can run here (the built-in composer always can), with these settings."""
    if project.settings.music_source != "auto":
        return
    check_music_settings(project.settings)
    spec = music_model(store, project)
    if spec.builtin:
        return
    if project.settings.music_key:
        raise VidgenError(f"{spec.name} cannot be told a key: leave the key empty, or score with the "
                          "built-in composer.")
    check_runs_here(spec)


def music_segments(project: Project, clips: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """(mood, seconds) runs of the film's timeline: consecutive scenes of one mood share a piece, and
    the lengths add up to the film's (scenes overlap by their transitions)."""
    from .services.assembly import scene_starts

    s = project.settings
    media = [SceneMedia(clip="", duration=c["duration"], transition=scene.transition or s.transition)
             for scene, c in zip(project.scenes, clips)]
    starts = scene_starts(media, s.transition_seconds)
    ends = starts[1:] + [starts[-1] + media[-1].duration]
    segments: list[tuple[str, float]] = []
    for scene, start, end in zip(project.scenes, starts, ends):
        if segments and segments[-1][0] == scene.mood:
            segments[-1] = (scene.mood, segments[-1][1] + end - start)
        else:
            segments.append((scene.mood, end - start))
    return [(mood, round(seconds, 3)) for mood, seconds in segments]


def check_image_spec(spec: Any) -> None:
    """An AI image model can run here: a diffusers backend, not too large, downloaded (else VidgenError)."""
    if not is_ai_image_model(spec):
        return
    if spec.backend not in ("diffusers-sdxl", "diffusers-sd"):
        raise VidgenError(f"{spec.name} runs on the {spec.backend} backend, which cannot paint scenes: "
                          "pick a diffusers image model (`python -m vidgen models list --kind image`).")
    check_runs_here(spec)


def check_runs_here(spec: Any) -> None:
    """A downloaded model that fits this machine, else VidgenError saying which and why."""
    from .models import hub

    compat = hub.compatibility(spec)
    if compat.get("status") == "too_large":
        raise VidgenError(f"{spec.name} cannot run on this machine: {compat.get('reason', 'too large')}.")
    hub.local_path(spec)  # "not downloaded" before any work


def check_style(style: str) -> None:
    from .services.images import diffusion

    names = sorted(diffusion.styles())
    if style and style not in names:
        raise VidgenError(f"Unknown style {style!r}: use one of {', '.join(names)} (or none).")


def image_key(project: Project, scene: Scene) -> str:
    s = project.settings
    if scene.image:
        return step_key("image", backend="user", asset=scene.image, size=s.size)
    return step_key("image", backend="painter", size=s.size, seed=s.seed, total=len(project.scenes),
                    scene=_visual_fields(scene))


def spoken_lines(scene: Scene) -> list[Line]:
    return [line for line in scene.lines if line.text.strip()]


def silent_speech_seconds(lines: list[Line]) -> float:
    """How long the lines would take to say (a silent film's captions follow this)."""
    from .services.voice.prosody import strip_markup

    return sum(len(strip_markup(line.text).split()) for line in lines) / WORDS_PER_SECOND


def project_language(project: Project) -> str:
    """The script's language: the project's setting, else detected from the spoken lines."""
    from .services.voice.prosody import strip_markup

    if project.settings.language:
        return project.settings.language
    return _detected(strip_markup(" ".join(ln.text for sc in project.scenes for ln in sc.lines)))


@functools.lru_cache(maxsize=64)
def _detected(text: str) -> str:
    from .services.voice.language import detect_language

    return detect_language(text)


def scene_voices(project: Project, scene: Scene, registry: Any) -> tuple[dict[str | None, Any], str]:
    """The cast (every speaker's voice) and the language a scene is spoken in."""
    from .services.voice import cast

    return cast(project.settings, project.characters, registry=registry), project_language(project)


def check_project_voices(store: Store, project: Project, ctx: JobContext | None = None) -> None:
    """Every voice of the film is usable before any work; a script in a language the project's voice
    does not speak is reported (the render goes on: the words are still spoken)."""
    from .models.registry import Registry
    from .services.voice.language import voice_for_language
    from .services.voice import NO_VOICE, check_voices

    registry = Registry(store)
    check_voices(project.settings, project.characters, registry=registry, samples=store.asset_path)
    if project.settings.voice == NO_VOICE or project.settings.language:
        return
    language = project_language(project)
    voice = project.settings.voice
    spec_languages = _voice_languages(registry, voice)
    if spec_languages and language not in spec_languages:
        hint = voice_for_language(language, registry)
        note = (f"The script reads as '{language}' but the voice {voice} speaks {', '.join(spec_languages)}"
                + (f": try --voice {hint} (`models download {hint}`)." if hint and hint != voice else "."))
        log.warning(note)
        if ctx is not None:
            ctx.progress(0.5, note)


def _voice_languages(registry: Any, voice: str) -> tuple[str, ...]:
    """The languages a voice speaks; () when unknown (a Piper model file of the user's)."""
    from .services.voice import BUILTIN_VOICE

    if voice == BUILTIN_VOICE:
        return ("en",)
    if voice.startswith("piper:"):
        return ()
    try:
        return tuple(registry.get(voice).languages)
    except VidgenError:
        return ()


def voice_key(project: Project, scene: Scene, registry: Any = None) -> str:
    """The voice step's key: the marked-up lines, each speaker's resolved voice, the mood, language and seed."""
    from .models.registry import Registry
    from .services.voice import voice_for

    lines = spoken_lines(scene)
    voices, language = scene_voices(project, scene, registry or Registry())
    speakers = sorted({ln.speaker or "" for ln in lines})
    return step_key("voice", voice=project.settings.voice, lines=[asdict(line) for line in lines],
                    voices={sp: asdict(voice_for(voices, sp or None)) for sp in speakers},
                    mood=scene.mood, language=language, seed=project.settings.seed)


def clip_key(project: Project, image: str, motion: str, duration: float) -> str:
    s = project.settings
    return step_key("animation", backend="camera", image=image, motion=motion, duration=duration,
                    fps=s.fps, size=s.size)


def _registry(store: Store) -> Any:
    from .models.registry import Registry

    return Registry(store)


def speech_seconds(store: Store, project: Project, scene: Scene) -> float | None:
    """How long the scene's speech lasts: measured by its cached voice step (None when that has not
    run), or estimated from the words for a silent film."""
    from .services.voice import NO_VOICE

    lines = spoken_lines(scene)
    if project.settings.voice == NO_VOICE or not lines:
        return silent_speech_seconds(lines)
    voice = store.get_step(voice_key(project, scene, _registry(store)))
    return voice["data"]["seconds"] if voice else None


def current_scene_image(store: Store, project: Project, scene: Scene) -> str:
    """The asset id of the scene's picture in the step cache as the project stands ("" when none)."""
    plan = image_plan(store, project, scene, image_model(store, project, scene))
    step = store.get_step(plan[1] if plan else image_key(project, scene))
    return step["outputs"]["image"] if step else ""


def cached_scene_media(store: Store, project: Project) -> list[dict[str, str]]:
    """Per scene, the image and clip already in the step cache for the project as it stands now
    ("" where that step has not run yet); nothing is computed."""
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
            clip = store.get_step(clip_key(project, image_id, motion, scene_duration(seconds, project.settings)))
            if clip is not None:
                entry["clip"] = str(store.asset_path(clip["outputs"]["clip"]))
        out.append(entry)
    return out


def _visual_fields(scene: Scene) -> dict[str, Any]:
    """The scene fields the painter looks at (so editing dialogue does not repaint)."""
    return {k: getattr(scene, k) for k in ("number", "heading", "visual", "mood", "location", "interior",
                                           "time_of_day", "characters")}
