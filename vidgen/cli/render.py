"""`python -m vidgen render|resume|parse|jobs|projects|cancel`."""

from __future__ import annotations

import argparse
import shutil
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..config import Settings
from ..domain import RenderSettings
from ..errors import VidgenError
from .progress import StageBars


def _store(args: argparse.Namespace):
    from ..store import Store

    store = Store.open(Settings.from_env(args.data))
    store.mark_interrupted()
    return store


def _copy_out(src: str, dest: Path) -> Path:
    from ..media import atomic_output

    with atomic_output(dest) as tmp:
        try:
            shutil.copyfile(src, tmp)
        except OSError as e:
            if e.errno == 28:
                raise VidgenError(f"Disk full while writing {dest}: free some space and run again.") from e
            raise VidgenError(f"Cannot write {dest}: {e.strerror}.") from e
    return dest


def _deliver(job_result: dict[str, Any], output: str | None) -> tuple[str, str]:
    video, srt = job_result["video"], job_result["subtitles"]
    if output:
        out = Path(output)
        if out.suffix.lower() != ".mp4":
            raise VidgenError(f"The output {out} must end in .mp4.")
        video = str(_copy_out(video, out))
        srt = str(_copy_out(srt, out.with_suffix(".srt")))
    return video, srt


def _print_done(job, store, video: str, srt: str) -> None:
    r = job.result
    secs = (job.finished or time.time()) - (job.started or time.time())
    print(f"video:     {video}  ({r['duration']:.1f} s, {r['scenes']} scenes, rendered in {secs:.1f} s)")
    print(f"subtitles: {srt}")
    print(f"project:   {r['project']}  (job {job.id}; store {store.settings.db_path})")


def scene_image(value: str) -> tuple[int, str]:
    number, sep, path = value.partition("=")
    if not sep or not number.strip().isdigit() or not path:
        raise argparse.ArgumentTypeError(f"expected SCENE=FILE (e.g. 2=photo.jpg), not {value!r}")
    return int(number), path


def programs(value: str) -> list[int]:
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected General MIDI program numbers like 0,48,32, not {value!r}") from None


def lora(value: str) -> tuple[str, float]:
    source, sep, scale = value.rpartition(":")
    try:
        return (source, float(scale)) if sep and source else (value, 1.0)
    except ValueError:
        return value, 1.0  # a ":" that is not a scale, e.g. in a path


def named(value: str) -> tuple[str, str]:
    name, sep, rest = value.partition("=")
    if not sep or not name.strip() or not rest.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (e.g. Mara=mara.png), not {value!r}")
    return name.strip(), rest.strip()


def _apply_characters(store: Any, project: Any, images: list[tuple[str, str]], seeds: list[tuple[str, str]],
                      voices: list[tuple[str, str]]) -> None:
    """Give the named characters a reference picture (--character-image), a fixed seed
    (--character-seed) or a voice (--character-voice)."""
    if not images and not seeds and not voices:
        return
    from ..domain import Voice
    from ..services.voice import check_voice
    from ..services.images import check_image

    by_name = {c.name.casefold(): c for c in project.characters}

    def find(name: str) -> Any:
        if name.casefold() not in by_name:
            known = ", ".join(c.name for c in project.characters) or "none"
            raise VidgenError(f"No character {name!r} in the script (characters: {known}).")
        return by_name[name.casefold()]

    for name, path in images:
        check_image(path)
        find(name).reference = store.add_file(path, type="image", name=Path(path).name).id
    for name, seed in seeds:
        if not seed.lstrip("-").isdigit():
            raise VidgenError(f"--character-seed {name}={seed}: the seed must be a whole number.")
        find(name).seed = int(seed)
    for name, voice in voices:
        character = find(name)
        character.voice = Voice(**{**asdict(character.voice or Voice()), "model": check_voice(voice)})
    store.save_project(project)


def _settings_from(args: argparse.Namespace, store: Any) -> RenderSettings:
    """The render options as settings, every one checked before anything is saved."""
    from ..domain import Lora
    from ..models.registry import Registry
    from ..pipeline import check_image_spec, check_music_settings, check_style, default_voice
    from ..services.images.diffusion import check_lora_source
    from ..services.music import check_music_file
    from ..services.voice import check_voice

    registry = Registry(store)
    settings = RenderSettings(
        aspect=args.aspect, resolution=args.resolution, fps=args.fps, transition=args.transition, seed=args.seed,
        quality=args.quality, subtitles=not args.no_burn_subtitles,
        voice=check_voice(args.voice or default_voice(store), registry), language=(args.language or "").lower(),
        negative_prompt=args.negative or "", image_steps=args.image_steps, image_guidance=args.guidance,
        scheduler=args.scheduler, reference_scale=args.reference_scale,
        music_volume=args.music_volume, music_model=args.music_model or "", music_genre=args.genre or "",
        music_tempo=args.tempo, music_key=args.key or "", music_instruments=args.instruments or []).validate()
    for model_id, kind in ((args.image_model, "image"), (args.music_model, "music")):
        if model_id and registry.get(model_id).kind != kind:
            raise VidgenError(f"'{model_id}' is a {registry.get(model_id).kind} model, not a {kind} model: "
                              f"run `python -m vidgen models list --kind {kind}`.")
    if args.image_model:
        check_image_spec(registry.get(args.image_model))
        settings.image_model = args.image_model
    if args.style and args.style.lower() != "none":
        check_style(args.style)
        settings.style = args.style
    for source, scale in args.lora or []:
        check_lora_source(source)
        if Path(source).expanduser().is_file():  # kept with the project, like its other files
            source = store.add_file(Path(source).expanduser(), type="data", name=Path(source).name).id
        settings.loras.append(Lora(source, scale))
    check_music_settings(settings)
    if args.music.lower() in ("auto", "none"):
        settings.music = args.music.lower()
    else:
        check_music_file(args.music)
        settings.music = store.add_file(args.music, type="audio", name=Path(args.music).name).id
    return settings.validate()


def cmd_render(args: argparse.Namespace) -> int:
    from ..pipeline import create_project, render
    from ..services.script import read_script_file

    if args.output and Path(args.output).suffix.lower() != ".mp4":
        raise VidgenError(f"The output {args.output} must end in .mp4.")
    store = _store(args)
    settings = _settings_from(args, store)
    text = read_script_file(args.script, store.settings.max_script_bytes)
    project = create_project(store, text, title=args.title, settings=settings, scene_images=dict(args.image or []))
    _apply_characters(store, project, args.character_image or [], args.character_seed or [],
                      args.character_voice or [])
    bars = StageBars(not args.quiet)
    try:
        job = render(store, project.id, on_event=bars)
    finally:
        bars.close()
    output = args.output or str(Path("out") / f"{Path(args.script).stem}.mp4")
    video, srt = _deliver(job.result, output)
    _print_done(job, store, video, srt)
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from ..pipeline import resume

    store = _store(args)
    bars = StageBars(not args.quiet)
    try:
        job = resume(store, args.job_id, on_event=bars)
    finally:
        bars.close()
    video, srt = _deliver(job.result, args.output)
    _print_done(job, store, video, srt)
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    from ..services.script import parse_script, read_script_file

    settings = Settings.from_env(args.data)
    parsed = parse_script(read_script_file(args.script, settings.max_script_bytes), title=args.title,
                          max_bytes=settings.max_script_bytes, max_scenes=settings.max_scenes)
    if args.json:
        print(json.dumps(asdict(parsed), indent=2, ensure_ascii=False))
        return 0
    total = sum(s.duration for s in parsed.scenes)
    print(f"{parsed.title}  ({parsed.form}, {len(parsed.scenes)} scenes, ~{total:.0f} s)")
    for s in parsed.scenes:
        who = ", ".join(s.characters) or "narration"
        cam = f" camera: {', '.join(s.camera)}" if s.camera else ""
        print(f"  {s.number:>3}. {s.heading[:48]:<48} {s.mood:<10} {s.duration:5.1f} s  {who}{cam}")
    if parsed.characters:
        print("characters: " + ", ".join(f"{c.name} (scenes {', '.join(map(str, c.scenes))})"
                                         for c in parsed.characters))
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    store = _store(args)
    jobs = store.list_jobs()
    if args.json:
        print(json.dumps([asdict(j) for j in jobs], indent=2, ensure_ascii=False))
        return 0
    if not jobs:
        print("No jobs yet: render a script with `python -m vidgen render SCRIPT`.")
    for j in jobs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(j.created))
        took = f"{j.finished - j.started:6.1f} s" if j.finished and j.started else "       -"
        print(f"{j.id}  {when}  {j.status:<11} {j.stage:<9} {j.progress * 100:5.1f}%  {took}  "
              f"project {j.project_id}  {j.error or j.message}"[:200])
    return 0


def cmd_projects(args: argparse.Namespace) -> int:
    store = _store(args)
    projects = store.list_projects()
    if args.json:
        print(json.dumps([asdict(p) for p in projects], indent=2, ensure_ascii=False))
        return 0
    if not projects:
        print("No projects yet: render a script with `python -m vidgen render SCRIPT`.")
    for p in projects:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(p.updated))
        video = p.outputs.get("video", "")
        print(f"{p.id}  {when}  {p.title[:40]:<40} {len(p.scenes):>3} scenes  {video or 'not rendered'}")
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    from ..jobs import request_cancel

    job = request_cancel(_store(args), args.job_id)
    print(f"{job.id}: {job.status}{' (cancel requested)' if job.cancel_requested else ''}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ..ui.serve import serve

    serve(args)
    return 0


