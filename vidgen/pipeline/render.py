"""The render job: project -> per-scene pictures, voices and clips -> the score -> the film."""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..checks import check_render
from ..domain import SPEECH_LEAD_SECONDS, Cue, Project, SceneMedia, Version, project_doc
from ..jobs import JobContext
from ..services.assembly import assemble
from ..services.assembly.overlays import TextOverlay
from ..store import Store
from .executor import Executor, LocalExecutor
from ..finishing import file_digest, finish_of, scene_captions
from .keys import step_key
from .plan import scene_motions
from .reading import read_script
from .steps import Steps, work_folder
from ..text import count


class RenderWork:
    """The work function of a render job (callable with a JobContext)."""

    def __init__(self, store: Store, project_id: str, executor: Executor | None = None):
        self.store = store
        self.project_id = project_id
        self.executor = executor or LocalExecutor()

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        store = self.store
        with work_folder(store, ctx) as work_dir:
            project = self._prepare(ctx)
            steps = Steps(store, ctx, work_dir)
            n, each = len(project.scenes), self.executor.map
            ctx.begin_stage("images", "Painting the storyboard")
            images = each(ctx, lambda sc, p: steps.image(project, sc, p)["image"], project.scenes,
                          lambda sc: f"Scene {sc.number}/{n}: image")
            ctx.begin_stage("voice", "Speaking the lines")
            voices = each(ctx, lambda sc, p: steps.voice(project, sc), project.scenes,
                          lambda sc: f"Scene {sc.number}/{n}: voice")
            ctx.begin_stage("animation", "Moving the camera")
            motions = dict(zip((sc.number for sc in project.scenes), scene_motions(project)))
            inputs = {sc.number: (image, voice) for sc, image, voice in zip(project.scenes, images, voices)}
            clips = each(ctx, lambda sc, p: self._shot(steps, project, sc, inputs[sc.number], motions[sc.number], p),
                         project.scenes, lambda sc: f"Scene {sc.number}/{n}: {motions[sc.number].replace('_', ' ')}")
            music = self._music(ctx, steps, project, clips)
            files, duration = self._assemble(ctx, steps, project, clips, voices, music)
        data = store.settings.data_dir
        named = {role: _named_copy(data, data / rel, ctx.job.id, project.title, _SUFFIX.get(role, ""))
                 for role, rel in files.items()}
        latest = store.get_project(project.id)  # keep edits made while this job ran
        latest.outputs = {**named, "job": ctx.job.id}
        store.save_project(latest)
        job = ctx.job
        store.save_version(Version(
            id=job.id, project_id=project.id, created=time.time(), project=project_doc(project), outputs=named,
            assets={role: Path(rel).stem for role, rel in files.items()},  # an asset's file is named by its id
            duration=duration,
            seconds=round(time.time() - (job.started or time.time()), 3),
            steps=[{"name": s.name, "scene": s.scene, "cached": s.cached, "seconds": s.seconds} for s in job.steps]))
        return {"project": project.id, **{role: str(data / rel) for role, rel in named.items()},
                "duration": duration, "scenes": len(project.scenes)}

    @staticmethod
    def _shot(steps: Steps, project: Project, scene, inputs: tuple[str, dict[str, Any]], motion: str,
              progress) -> dict[str, Any]:
        """A scene's clip, then its speakers' mouths (each a cached step; the animation stage shares its
        progress between them)."""
        image, voice = inputs
        clip = steps.clip(project, scene, image, voice, motion, lambda f: progress(0.8 * f))
        return steps.lipsync(project, scene, image, voice, clip, motion, lambda f: progress(0.8 + 0.2 * f))

    def _prepare(self, ctx: JobContext) -> Project:
        """The project, complete and checked, before any work (the parse stage)."""
        ctx.begin_stage("parse", "Checking the project")
        project = self.store.get_project(self.project_id)
        if not project.scenes:
            parsed = read_script(self.store, project.script, project.settings, title=project.title or None,
                                 progress=ctx.progress, cancel=ctx.check_cancel)
            project.scenes, project.characters, project.form = parsed.scenes, parsed.characters, parsed.form
            project.notes = parsed.notes
            self.store.save_project(project)
        check_render(self.store, project, warn=ctx.note)
        ctx.progress(1.0, count(len(project.scenes), "scene"))
        return project

    def _music(self, ctx: JobContext, steps: Steps, project: Project, clips: list[dict[str, Any]]) -> str:
        """The music bed's path ("" for none): the user's file, or a score generated for the film."""
        ctx.begin_stage("music")
        source = project.settings.music_source
        if source == "none":
            ctx.progress(1.0, "No music")
            return ""
        if source != "auto":
            ctx.progress(1.0, "Music bed ready")
            return str(self.store.asset_path(source))
        return str(self.store.asset_path(steps.score(project, clips)["outputs"]["music"]))

    def _assemble(self, ctx: JobContext, steps: Steps, project: Project, clips: list[dict[str, Any]],
                  voices: list[dict[str, Any]], music: str) -> tuple[dict[str, str], float]:
        """The film and its sidecars ({role: path in the data folder}: video, subtitles, captions (WebVTT),
        words (JSON)) and its duration."""
        s = project.settings
        ctx.begin_stage("assembly", "Assembling the film")
        offset = s.transition_seconds + SPEECH_LEAD_SECONDS
        scenes_media = []
        for scene, clip, voice in zip(project.scenes, clips, voices):
            effects = steps.effects(project, scene, voice, clip["duration"])["effects"]
            phones = steps.phones_of(voice)
            scenes_media.append(SceneMedia(
                clip=str(self.store.asset_path(clip["clip"])), duration=clip["duration"],
                speech=str(self.store.asset_path(voice["speech"])) if voice["speech"] else "",
                speech_offset=offset,
                cues=[Cue(c["start"] + offset, c["end"] + offset, c["text"], c.get("speaker")) for c in voice["cues"]],
                transition=scene.transition or s.transition,
                phones=[[(p[0], p[1] + offset, p[2] + offset) for p in ph] if ph else None for ph in phones],
                effects=str(self.store.asset_path(effects)) if effects else "",
                grade=scene.grade, overlays=[TextOverlay(**o) for o in scene.overlays],
                captions=scene_captions(self.store, s, scene.captions), burn_captions=scene.captions != "none",
            ))
        finish = finish_of(self.store, s)
        key = step_key("assembly", clips=[c["clip"] for c in clips], durations=[c["duration"] for c in clips],
                       speech=[v["speech"] for v in voices], cues=[[asdict(c) for c in m.cues] for m in scenes_media],
                       transitions=[m.transition for m in scenes_media], music=Path(music).name, music_volume=s.music_volume,
                       size=s.size, fps=s.fps, transition_seconds=s.transition_seconds, subtitles=s.subtitles,
                       quality=s.quality, phones=[v.get("phones", "") for v in voices],
                       effects=[Path(m.effects).name for m in scenes_media], grades=[m.grade for m in scenes_media],
                       finish=asdict(finish), lut=file_digest(finish.lut),
                       font=file_digest(finish.captions.font), overlays=[sc.overlays for sc in project.scenes],
                       **_scene_captions_key(scenes_media),
                       logo=file_digest(finish.watermark.image or "") if finish.watermark else "")
        out = steps.work_dir / "film.mp4"

        def produce():
            r = assemble(scenes_media, out, size=s.size, fps=s.fps, transition_seconds=s.transition_seconds,
                         music=music, music_volume=s.music_volume, burn_subtitles=s.subtitles,
                         quality=s.quality, progress=ctx.progress, cancel=ctx.check_cancel, work_dir=steps.work_dir,
                         finish=finish)
            return {"video": (Path(r.video), "video"), "subtitles": (Path(r.subtitles), "subtitles"),
                    "captions": (out.with_suffix(".vtt"), "subtitles"), "words": (out.with_suffix(".words.json"), "data")}, \
                {"duration": r.duration}

        hit = steps.run("assembly", None, key, produce)
        ctx.progress(1.0, "Film assembled")
        return {role: str(self.store.get_asset(a).path) for role, a in hit["outputs"].items()}, hit["data"]["duration"]


_SUFFIX = {"captions": ".vtt", "words": ".words.json"}  # stored assets keep one suffix: the names get theirs


def _named_copy(data_dir: Path, src: Path, job_id: str, title: str, suffix: str = "") -> str:
    """A link to an output named after the film (downloads get "the-last-keeper.mp4", not a hash),
    under renders/<job>/; returns its path relative to the data folder."""
    slug = re.sub(r"[^\w]+", "-", title.lower()).strip("-")[:60] or "film"
    dest = data_dir / "renders" / job_id / f"{slug}{suffix or src.suffix}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not dest.exists():
        try:
            os.link(src, dest)  # same bytes, no copy
        except OSError:
            shutil.copyfile(src, dest)
    return str(dest.relative_to(data_dir))


def _scene_captions_key(scenes: list[SceneMedia]) -> dict[str, Any]:
    """The scenes' own caption styles for the assembly key; nothing when none has one (old keys hold)."""
    own = [asdict(m.captions) if m.captions else m.burn_captions for m in scenes]
    return {"captions": own} if any(v is not True for v in own) else {}
