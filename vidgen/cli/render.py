"""`python -m vidgen render|resume|jobs|projects|cancel`."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from ..config import Settings
from ..checks import check_render
from ..domain import Character, Project, Voice
from ..errors import Cancelled, VidgenError
from ..jobs import request_cancel
from ..library import user_file_meta
from ..pipeline import RenderWork
from ..services.images import check_image
from ..services.images.diffusion import check_lora_source
from ..services.music import check_music_file
from ..services.script import read_script_file
from ..store import Store
from ..studio import Studio
from ..text import count, noun_for
from ..ui.serve import serve
from .export import copy_out, outputs
from .progress import StageBars, local_studio, print_notes, progress_bar
from .settings_flags import given_settings


def _store(args: argparse.Namespace) -> Store:
    store = Store.open(Settings.from_env(args.data))
    store.mark_interrupted()
    return store


def _deliver(studio: Studio, job: dict[str, Any], wanted: dict[str, Path]) -> tuple[list[str], str]:
    """Copy the render's films to where the user asked ({format: path}); a format the render did not
    make (a resumed render) is exported from it first. Returns (the paths written, the .srt's)."""
    r = job["result"]
    files = {"mp4": r["video"], **r.get("exports", {})}
    missing = [f for f in wanted if f not in files]
    if missing:
        files.update(studio.export_film(r["project"], missing, job["id"])["files"])
    written = [str(copy_out(files[f], dest)) for f, dest in wanted.items()]
    srt = r["subtitles"]
    if wanted:
        srt = str(copy_out(srt, next(iter(wanted.values())).with_suffix(".srt")))
    return written or [r["video"]], srt


def _print_done(job: dict[str, Any], store: Store, videos: list[str], srt: str) -> None:
    r = job["result"]
    secs = (job["finished"] or time.time()) - (job["started"] or time.time())
    print(f"video:     {videos[0]}  ({r['duration']:.1f} s, {count(r['scenes'], 'scene')}, rendered in {secs:.1f} s, "
          f"{r.get('encoder', 'libx264')})")
    for other in videos[1:]:
        print(f"also:      {other}")
    print(f"subtitles: {srt}")
    print(f"project:   {r['project']}  (job {job['id']}; store {store.settings.db_path})")


def scene_image(value: str) -> tuple[int, str]:
    number, sep, path = value.partition("=")
    if not sep or not number.strip().isdigit() or not path:
        raise argparse.ArgumentTypeError(f"expected SCENE=FILE (e.g. 2=photo.jpg), not {value!r}")
    return int(number), path


def named(value: str) -> tuple[str, str]:
    name, sep, rest = value.partition("=")
    if not sep or not name.strip() or not rest.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (e.g. Mara=mara.png), not {value!r}")
    return name.strip(), rest.strip()


def _apply_characters(store: Store, project: Project, images: list[tuple[str, str]], seeds: list[tuple[str, str]],
                      voices: list[tuple[str, str]]) -> None:
    """Give the named characters a reference picture (--character-image), a fixed seed
    (--character-seed) or a voice (--character-voice)."""
    by_name = {c.name.casefold(): c for c in project.characters}

    def find(name: str) -> Character:
        if name.casefold() not in by_name:
            known = ", ".join(c.name for c in project.characters) or "none"
            raise VidgenError(f"No character {name!r} in the script (characters: {known}).")
        return by_name[name.casefold()]

    for name, path in images:
        check_image(path)
        find(name).reference = store.add_file(path, type="image", name=Path(path).name, meta=user_file_meta()).id
    for name, seed in seeds:
        if not seed.lstrip("-").isdigit():
            raise VidgenError(f"--character-seed {name}={seed}: the seed must be a whole number.")
        find(name).seed = int(seed)
    for name, voice in voices:
        character = find(name)
        character.voice = Voice(**{**asdict(character.voice or Voice()), "model": voice})


def _settings_from(args: argparse.Namespace, store: Store) -> dict[str, Any]:
    """The render flags as the API's settings dict; files the flags name (music, LoRAs) are stored as
    assets first, as the studio's uploads are. The studio checks the rest, with the same words."""
    data = given_settings(args)
    if "language" in data:
        data["language"] = data["language"].lower()
    if data.get("style", "").lower() == "none":
        data["style"] = ""
    music = data.get("music", "auto")
    if music.lower() in ("auto", "none"):
        data["music"] = music.lower()
    else:
        check_music_file(music)
        data["music"] = store.add_file(music, type="audio", name=Path(music).name, meta=user_file_meta()).id
    for lora in data.get("loras", []):
        path = Path(lora["source"]).expanduser()
        if path.is_file():  # kept with the project, like its other files
            check_lora_source(str(path))
            lora["source"] = store.add_file(path, type="data", name=path.name, meta=user_file_meta()).id
    for name, kind in (("caption_font", "data"), ("grade_lut", "data"), ("watermark", "image")):
        if data.get(name):  # a file on this machine, kept with the project as an upload would be
            path = Path(data[name]).expanduser()
            if not path.is_file():
                raise VidgenError(f"--{name.replace('_', '-')}: {path.name} is not a file.")
            data[name] = store.add_file(path, type=kind, name=path.name, meta=user_file_meta()).id
    return data


def _finish(studio: Studio, job_id: str, wanted: dict[str, Path], quiet: bool) -> int:
    bars = StageBars(not quiet)
    try:
        job = studio.wait(job_id, on_event=bars)
    finally:
        bars.close()
    if job["status"] == "cancelled":
        raise Cancelled(job["message"] or "Cancelled by request.")
    if job["status"] != "completed":
        raise VidgenError(job["error"] or job["message"] or f"Render {job_id} {job['status']}.")
    videos, srt = _deliver(studio, job, wanted)
    _print_done(job, studio.store, videos, srt)
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    wanted = outputs(args.output, args.format, Path("out") / Path(args.script).stem)
    studio = local_studio(args)
    settings = _settings_from(args, studio.store)
    text = read_script_file(args.script, studio.settings.max_script_bytes)

    job: list[str] = []

    def ready(project: Project) -> None:  # everything a render needs is checked before the project is saved
        close()
        print_notes(project.notes)
        _apply_characters(studio.store, project, args.character_image or [], args.character_seed or [],
                          args.character_voice or [])
        check_render(studio.store, project, warn=lambda note: None)  # the job says its notes, once (StageBars)
        # The job is saved just before its project: a kill at any point leaves no project without a job.
        job.append(studio.jobs.reserve(project.id, "render", "Queued"))

    report, close = progress_bar(settings.get("parser", "rules") != "rules" and not args.quiet)
    try:
        project = studio.create_project(text, args.title or "", settings, scene_images=dict(args.image or []),
                                        before_save=ready, filename=Path(args.script).name, progress=report)
    except BaseException as e:
        if job:
            studio.jobs.abandon(job[0], f"The project could not be saved: {e}")
        raise
    finally:
        close()
    job_id = studio.jobs.enqueue(project["id"], "render", RenderWork(studio.store, project["id"], studio.executor,
                                                                          formats=tuple(wanted)),
                                 "Queued", job_id=job[0])
    return _finish(studio, job_id, wanted, args.quiet)


def cmd_resume(args: argparse.Namespace) -> int:
    studio = local_studio(args)
    wanted = outputs(args.output, args.format, Path("out") / args.job_id) if args.output or args.format else {}
    return _finish(studio, studio.resume_job(args.job_id), wanted, args.quiet)


def _table(rows: list[Any], as_json: bool, empty: str, line: Callable[[Any], str]) -> int:
    if as_json:
        print(json.dumps([asdict(r) for r in rows], indent=2, ensure_ascii=False))
    elif not rows:
        print(empty)
    for r in rows if not as_json else []:
        print(line(r))
    return 0


def _when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def cmd_jobs(args: argparse.Namespace) -> int:
    def line(j: Any) -> str:
        took = f"{j.finished - j.started:6.1f} s" if j.finished and j.started else "       -"
        return (f"{j.id}  {_when(j.created)}  {j.status:<11} {j.stage:<9} {j.progress * 100:5.1f}%  {took}  "
                f"project {j.project_id}  {j.error or j.message}"[:200])

    return _table(_store(args).list_jobs(), args.json, "No jobs yet: render a script with `python -m vidgen render "
                  "SCRIPT`.", line)


def cmd_projects(args: argparse.Namespace) -> int:
    def line(p: Any) -> str:
        video = p.outputs.get("video", "")
        n = len(p.scenes)
        return (f"{p.id}  {_when(p.updated)}  {p.title[:40]:<40} {n:>3} {noun_for(n, 'scene'):<6}  "
                f"{video or 'not rendered'}")

    return _table(_store(args).list_projects(), args.json, "No projects yet: render a script with `python -m vidgen "
                  "render SCRIPT`.", line)


def cmd_cancel(args: argparse.Namespace) -> int:
    job = request_cancel(_store(args), args.job_id)
    print(f"{job.id}: {job.status}{' (cancel requested)' if job.cancel_requested else ''}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    serve(args)
    return 0


