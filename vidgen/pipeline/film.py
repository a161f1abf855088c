"""The film of a project from its cached steps: each scene's picture, voice and shot, the score,
then the assembly (the master MP4 and its sidecars). A render walks these; an export walks them
again (every step found in the cache) and adds only its own encode (pipeline/export.py).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..domain import SPEECH_LEAD_SECONDS, Cue, Project, SceneMedia
from ..finishing import file_digest, finish_of, scene_captions
from ..jobs import JobContext
from ..services.assembly import Encoding, Finish
from ..services.assembly.overlays import TextOverlay
from ..services.delivery.encoders import Pick, choose, video_args
from .executor import Executor, Work
from .keys import step_key
from .plan import scene_motions
from .steps import Steps
from .work_fns import assembly_work


@dataclass
class FilmInputs:
    """What the assembly of a project is made from, and its step key."""

    scenes: list[SceneMedia]
    finish: Finish
    music: str
    key: str
    clips: list[dict[str, Any]]


def walk(ctx: JobContext, steps: Steps, project: Project, executor: Executor) -> tuple[list, list, str]:
    """Each scene's clip and voice, and the music bed's path ("" for none), through the cached steps."""
    n, each = len(project.scenes), executor.map
    ctx.begin_stage("images", "Painting the storyboard")
    images = each(ctx, lambda sc, p: steps.image(project, sc, p)["image"], project.scenes,
                  lambda sc: f"Scene {sc.number}/{n}: image")
    ctx.begin_stage("voice", "Speaking the lines")
    voices = each(ctx, lambda sc, p: steps.voice(project, sc), project.scenes, lambda sc: f"Scene {sc.number}/{n}: voice")
    ctx.begin_stage("animation", "Moving the camera")
    motions = dict(zip((sc.number for sc in project.scenes), scene_motions(project)))
    inputs = {sc.number: (image, voice) for sc, image, voice in zip(project.scenes, images, voices)}
    clips = each(ctx, lambda sc, p: _shot(steps, project, sc, inputs[sc.number], motions[sc.number], p),
                 project.scenes, lambda sc: f"Scene {sc.number}/{n}: {motions[sc.number].replace('_', ' ')}")
    return clips, voices, _music(ctx, steps, project, clips)


def _shot(steps: Steps, project: Project, scene, inputs: tuple[str, dict[str, Any]], motion: str,
          progress) -> dict[str, Any]:
    """A scene's clip, then its speakers' mouths (each a cached step; the animation stage shares its
    progress between them)."""
    image, voice = inputs
    clip = steps.clip(project, scene, image, voice, motion, lambda f: progress(0.8 * f))
    return steps.lipsync(project, scene, image, voice, clip, motion, lambda f: progress(0.8 + 0.2 * f))


def _music(ctx: JobContext, steps: Steps, project: Project, clips: list[dict[str, Any]]) -> str:
    """The music bed's path ("" for none): the user's file, or a score generated for the film."""
    ctx.begin_stage("music")
    source = project.settings.music_source
    if source == "none":
        ctx.progress(1.0, "No music")
        return ""
    if source != "auto":
        ctx.progress(1.0, "Music bed ready")
        return str(steps.store.asset_path(source))
    return str(steps.store.asset_path(steps.score(project, clips)["outputs"]["music"]))


def film_inputs(steps: Steps, project: Project, clips: list[dict[str, Any]], voices: list[dict[str, Any]],
                music: str, encoder: Pick) -> FilmInputs:
    """The assembler's scenes and finishing layer, and the assembly's step key."""
    store, s = steps.store, project.settings
    offset = s.transition_seconds + SPEECH_LEAD_SECONDS
    scenes_media = []
    for scene, clip, voice in zip(project.scenes, clips, voices):
        effects = steps.effects(project, scene, voice, clip["duration"])["effects"]
        phones = steps.phones_of(voice)
        scenes_media.append(SceneMedia(
            clip=str(store.asset_path(clip["clip"])), duration=clip["duration"],
            speech=str(store.asset_path(voice["speech"])) if voice["speech"] else "",
            speech_offset=offset,
            cues=[Cue(c["start"] + offset, c["end"] + offset, c["text"], c.get("speaker")) for c in voice["cues"]],
            transition=scene.transition or s.transition,
            phones=[[(p[0], p[1] + offset, p[2] + offset) for p in ph] if ph else None for ph in phones],
            effects=str(store.asset_path(effects)) if effects else "",
            grade=scene.grade, overlays=[TextOverlay(**o) for o in scene.overlays],
            captions=scene_captions(store, s, scene.captions), burn_captions=scene.captions != "none",
        ))
    finish = finish_of(store, s)
    key = step_key("assembly", clips=[c["clip"] for c in clips], durations=[c["duration"] for c in clips],
                   speech=[v["speech"] for v in voices], cues=[[asdict(c) for c in m.cues] for m in scenes_media],
                   transitions=[m.transition for m in scenes_media], music=Path(music).name, music_volume=s.music_volume,
                   size=s.size, fps=s.fps, transition_seconds=s.transition_seconds, subtitles=s.subtitles,
                   quality=s.quality, phones=[v.get("phones", "") for v in voices],
                   effects=[Path(m.effects).name for m in scenes_media], grades=[m.grade for m in scenes_media],
                   finish=asdict(finish), lut=file_digest(finish.lut),
                   font=file_digest(finish.captions.font), overlays=[sc.overlays for sc in project.scenes],
                   **_scene_captions_key(scenes_media), **delivery_key(s, encoder),
                   logo=file_digest(finish.watermark.image or "") if finish.watermark else "")
    return FilmInputs(scenes_media, finish, music, key, clips)


def delivery_key(s: Any, encoder: Pick) -> dict[str, Any]:
    """The delivery settings an encode depends on, where they are not the defaults (so the keys of
    films made before them hold)."""
    out: dict[str, Any] = {}
    if encoder.name != "libx264":
        out["encoder"] = encoder.name
    if s.loudness != -16.0:
        out["loudness"] = s.loudness
    if s.max_bitrate:
        out["max_bitrate"] = s.max_bitrate
    return out


def master_encoder(project: Project) -> Pick:
    """The encoder of the master MP4 (H.264): NVENC where the settings allow it and it works."""
    return choose("h264", project.settings.encoder)


def assembly_args(steps: Steps, project: Project, film: FilmInputs, encoder: Pick,
                  encoding: Encoding | None = None) -> dict[str, Any]:
    """The assembler's arguments for `film` at the project's settings (plain data: work_fns.assemble_into)."""
    s = project.settings
    return dict(scenes=film.scenes, size=s.size, fps=s.fps, transition_seconds=s.transition_seconds,
                music=film.music, music_volume=s.music_volume, burn_subtitles=s.subtitles, loudness=s.loudness,
                quality=s.quality, work_dir=str(steps.work_dir), finish=film.finish,
                encoding=encoding or Encoding(video=video_args(encoder.name, s.quality, s.max_bitrate)))


def master(ctx: JobContext, steps: Steps, project: Project, film: FilmInputs, encoder: Pick) -> dict[str, Any]:
    """The assembly step: the master MP4 and its sidecars (cached): {"files": {role: asset path in the
    data folder}, "duration", "cached"}."""
    ctx.begin_stage("assembly", "Assembling the film")
    work = Work(assembly_work, (str(steps.work_dir / "film.mp4"), assembly_args(steps, project, film, encoder)),
                dict(encoder=encoder.name), name="assembly")
    hit = steps.run("assembly", None, film.key, work, ctx.progress)
    ctx.progress(1.0, "Film assembled")
    return {"files": {role: str(steps.store.get_asset(a).path) for role, a in hit["outputs"].items()},
            "duration": hit["data"]["duration"], "cached": hit["cached"]}


def _scene_captions_key(scenes: list[SceneMedia]) -> dict[str, Any]:
    """The scenes' own caption styles for the assembly key; nothing when none has one (old keys hold)."""
    own = [asdict(m.captions) if m.captions else m.burn_captions for m in scenes]
    return {"captions": own} if any(v is not True for v in own) else {}


def named_copy(data_dir: Path, src: Path, job_id: str, title: str, suffix: str = "") -> str:
    """A link to an output named after the film (downloads get "the-last-keeper.mp4", not a hash),
    under renders/<job>/; returns its path relative to the data folder."""
    dest = data_dir / "renders" / job_id / f"{film_slug(title)}{suffix or src.suffix}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not dest.exists():
        try:
            os.link(src, dest)  # same bytes, no copy
        except OSError:
            shutil.copyfile(src, dest)
    return str(dest.relative_to(data_dir))


def film_slug(title: str) -> str:
    """A file name from the film's title ("the-last-keeper")."""
    return re.sub(r"[^\w]+", "-", title.lower()).strip("-")[:60] or "film"
