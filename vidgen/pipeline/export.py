"""Exports: the film of a render in another delivery format, each one more cached step on top of the
render's (services/delivery/formats.py says what each format is).

A video format runs the assembler's final pass again with its own encoder, from the same scene
clips and soundtrack; the soundtrack and the stems come from the same mix; an animated preview is
made from the master MP4. Nothing before the encode runs again: the export job walks the render's
steps (each found in the cache) and adds its own (kind "export", keyed by the film and the format).
"""

from __future__ import annotations

import contextlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .. import media
from ..domain import Project, Version, from_dict
from ..errors import VidgenError
from ..jobs import JobContext
from ..services.assembly import Encoding, scene_starts, timeline_cues
from ..services.delivery.encoders import Pick, choose, video_args
from ..services.delivery.timeline_export import TIMELINE_KINDS, export_bundle
from ..services.delivery.formats import PREVIEW_FPS, PREVIEW_SECONDS, PREVIEW_WIDTH, Format, format_named
from ..store import Store
from .executor import LocalExecutor, Work
from .film import FilmInputs, assembly_args, film_inputs, film_slug, master, master_encoder, named_copy, walk
from .keys import step_key
from .steps import Steps, work_folder
from .work_fns import Made, assemble_into


def suffix_of(fmt: Format) -> str:
    """The named copy's ending: the format's extension, told apart where two formats share one."""
    return {"mp4-h265": ".h265.mp4", "stems": ".stems.zip"}.get(fmt.name, fmt.ext)


def export_step(ctx: JobContext, steps: Steps, project: Project, film: FilmInputs, made: dict[str, Any],
                name: str, index: int = 0, total: int = 1, encoder: str = "") -> dict[str, Any]:
    """One format of the film (a cached step): {"role", "file" (in the data folder), "suffix", "format",
    "encoder", "note", "cached"}. `made` is the master (film.master); `encoder` overrides the setting."""
    fmt, s = format_named(name), project.settings
    pick = choose(fmt.codec, encoder or s.encoder) if fmt.kind == "video" else Pick("")
    if fmt.name == "mp4" and pick.name == master_encoder(project).name:  # the master itself
        return {"role": "mp4", "file": made["files"]["video"],
                "suffix": ".mp4", "format": "mp4", "encoder": pick.name, "note": pick.note, "cached": True}
    if index == 0:
        ctx.begin_stage("export", f"Exporting {fmt.label}")
    report = ctx.sub_progress(index / total, (index + 1) / total, f"Exporting {fmt.name}")
    out = str(steps.work_dir / f"export-{fmt.name}{fmt.ext}")
    key = step_key("export", film=film.key, format=fmt.name, encoder=pick.name)
    if fmt.kind in ("video", "audio", "stems"):
        encoding = Encoding(video=video_args(pick.name, s.quality, s.max_bitrate), container=fmt.container,
                            audio=fmt.audio) if fmt.kind == "video" else \
            Encoding(only="audio", audio=fmt.audio) if fmt.kind == "audio" else \
            Encoding(only="stems", audio=("-c:a", "pcm_s16le"))
        source: Any = assembly_args(steps, project, film, pick if fmt.kind != "stems" else Pick(""), encoding)
    else:  # the animated preview: from the master MP4
        source = (str(steps.store.settings.data_dir / made["files"]["video"]), made["duration"])
    work = Work(export_work, (fmt, out, source), dict(encoder=pick.name, note=pick.note), name="export")
    hit = steps.run("export", None, key, work, report)
    report(1.0)
    if pick.note and not hit["cached"]:
        ctx.note(pick.note)
    asset = steps.store.get_asset(hit["outputs"]["export"])
    return {"role": fmt.name, "file": asset.path,
            "suffix": suffix_of(fmt), "format": fmt.name, "encoder": hit["data"]["encoder"],
            "note": hit["data"]["note"], "cached": hit["cached"]}


def export_work(fmt: Format, out: str, source: Any, *, encoder: str, note: str, progress=None, cancel=None) -> Made:
    """One format's file (a step's work): `source` is the assembler's arguments (`assembly_args`), or for
    a preview (the master MP4's path, its duration)."""
    path = Path(out)
    if fmt.kind in ("video", "audio"):
        assemble_into(path, source, progress, cancel)
    elif fmt.kind == "stems":
        _stems(source, path, progress, cancel)
    else:
        _preview(source[0], source[1], fmt, path, progress, cancel)
    kind = {"video": "video", "audio": "audio", "stems": "data"}.get(fmt.kind, "image")
    return {"export": (path, kind)}, {"format": fmt.name, "encoder": encoder, "note": note}


def _stems(assembly: dict[str, Any], out: Path, progress, cancel) -> None:
    folder = Path(assembly["work_dir"]) / "stems"
    assemble_into(folder, assembly, progress, cancel)
    wavs = sorted(folder.glob("*.wav"))
    if not wavs:
        raise VidgenError("This film has no sound (no voice, music or effects): there are no stems to write.")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:  # WAV hardly compresses: stored is as small, faster
        for wav in wavs:
            z.write(wav, wav.name)


def _preview(master_mp4: str, duration: float, fmt: Format, out: Path, progress, cancel) -> None:
    """The film's first PREVIEW_SECONDS, PREVIEW_WIDTH wide at PREVIEW_FPS, looping: a GIF with its
    own palette (dithered) or an animated WebP."""
    seconds = min(PREVIEW_SECONDS, duration)
    size = f"fps={PREVIEW_FPS},scale={PREVIEW_WIDTH}:-2:flags=lanczos"
    if fmt.name == "gif":
        graph = f"{size},split[a][b];[a]palettegen=max_colors=128:stats_mode=diff[p];" \
                "[b][p]paletteuse=dither=bayer:bayer_scale=3"
        codec = ["-filter_complex", graph, "-loop", "0", "-f", "gif"]
    else:
        codec = ["-vf", size, "-c:v", "libwebp_anim", "-lossless", "0", "-q:v", "60", "-loop", "0", "-f", "webp"]
    media.run_ffmpeg(["-t", f"{seconds:.3f}", "-i", master_mp4, "-an", *codec, str(out)], duration=seconds,
                     progress=progress, cancel=cancel, what=f"the {fmt.name} preview")


@dataclass
class _Render:
    """A render's film walked again from the cache (an export's starting point)."""

    version: Version
    project: Project
    steps: Steps
    film: FilmInputs
    made: dict[str, Any]


@contextlib.contextmanager
def _from_render(store: Store, ctx: JobContext, version_id: str) -> Iterator[_Render]:
    """The render's project as it was rendered, through the cached steps to its master, in a work folder
    (removed afterwards); the stages before the export's own."""
    ctx.begin_stage("parse", "Reading the render")
    version = store.get_version(version_id)
    project = from_dict(Project, version.project)
    with work_folder(store, ctx) as work_dir:
        executor = LocalExecutor()
        steps = Steps(store, ctx, work_dir, executor)
        clips, voices, music = walk(ctx, steps, project, executor)
        encoder = master_encoder(project)
        film = film_inputs(steps, project, clips, voices, music, encoder)
        yield _Render(version, project, steps, film, master(ctx, steps, project, film, encoder))


class ExportWork:
    """The work function of an export job (kind "export"): a render's film in other formats. The
    render's project as it was rendered walks the cached steps again; only the formats' encodes run."""

    stage_weights = {"parse": 0.02, "images": 0.02, "voice": 0.02, "animation": 0.02, "music": 0.02,
                     "assembly": 0.05, "export": 0.85}

    def __init__(self, store: Store, version_id: str, formats: tuple[str, ...], encoder: str = ""):
        self.store, self.version_id, self.encoder = store, version_id, encoder
        self.formats = tuple(format_named(f).name for f in formats)

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        store = self.store
        with _from_render(store, ctx, self.version_id) as r:
            exports = [export_step(ctx, r.steps, r.project, r.film, r.made, f, i, len(self.formats), self.encoder)
                       for i, f in enumerate(self.formats)]
        data, files = store.settings.data_dir, {}
        for e in exports:
            rel = named_copy(data, data / e["file"], r.version.id, r.project.title, e["suffix"])
            store.add_version_output(r.version.id, e["role"], rel, Path(e["file"]).stem)
            files[e["role"]] = str(data / rel)
        return {"project": r.project.id, "version": r.version.id, "files": files, "duration": r.made["duration"],
                "exports": [{k: e[k] for k in ("format", "encoder", "note", "cached")} for e in exports]}


class TimelineWork:
    """The work function of a timeline job (kind "timeline"): a render's editable timeline and its media
    in one zip (services/delivery/timeline_export.py), from the render's cached steps."""

    stage_weights = ExportWork.stage_weights

    def __init__(self, store: Store, version_id: str, kind: str):
        self.store, self.version_id, self.kind = store, version_id, kind

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        store = self.store
        with _from_render(store, ctx, self.version_id) as r:
            s, film = r.project.settings, r.film
            ctx.begin_stage("export", f"Writing the {self.kind} timeline")
            slug = film_slug(r.project.title)
            out = r.steps.work_dir / f"{slug}-{self.kind}.zip"
            captions = timeline_cues(film.scenes, scene_starts(film.scenes, s.transition_seconds))
            export_bundle(film.scenes, out, kind=self.kind, fps=s.fps, size=s.size, captions=captions,
                          transition_seconds=s.transition_seconds, music=film.music, title=slug,
                          extra_files={f"{slug}.mp4": store.settings.data_dir / r.made["files"]["video"]})
            asset = store.add_file(out, type="data", name=out.name, move=True)
        data = store.settings.data_dir
        rel = named_copy(data, data / asset.path, r.version.id, r.project.title, f".{self.kind}.zip")
        store.add_version_output(r.version.id, f"timeline-{self.kind}", rel, asset.id)
        ctx.progress(1.0, "Timeline written")
        return {"project": r.project.id, "version": r.version.id, "bundle": str(data / rel),
                "timeline": f"{slug}{TIMELINE_KINDS[self.kind]}", "clips": len(film.scenes)}
