"""Command line: `python -m vidgen render|parse|resume|jobs|projects|cancel|models|serve ...`."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from . import __version__
from .config import Settings
from .domain import ASPECTS, QUALITIES, RESOLUTIONS, TRANSITIONS, ProgressEvent, RenderSettings
from .errors import Cancelled, VidgenError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not a usage dump
        cmd = self.prog.replace("vidgen", "python -m vidgen", 1)
        self.exit(2, f"error: {message} (see `{cmd} --help`)\n")


class StageBars:
    """A progress bar per stage on stderr, fed by the job's progress events."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.stage = ""
        self.shown: tuple[int, str] = (-1, "")
        self.bar: Any = None

    def __call__(self, ev: ProgressEvent) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if ev.stage != self.stage:
            self.close()
            self.stage = ev.stage
            self.shown = (-1, "")
            self.bar = tqdm(total=100, desc=f"{ev.stage:<9}", file=sys.stderr, leave=True,
                            bar_format="{desc} |{bar:30}| {percentage:3.0f}% {elapsed} {postfix}")
        shown = (round(ev.fraction * 100), ev.message[:60])
        if shown != self.shown:  # per-frame events would flood a log
            self.shown = shown
            self.bar.n = shown[0]
            self.bar.set_postfix_str(shown[1], refresh=False)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _store(args: argparse.Namespace):
    from .store import Store

    store = Store.open(Settings.from_env(args.data))
    store.mark_interrupted()
    return store


def _copy_out(src: str, dest: Path) -> Path:
    from .media import atomic_output

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


def _scene_image(value: str) -> tuple[int, str]:
    number, sep, path = value.partition("=")
    if not sep or not number.strip().isdigit() or not path:
        raise argparse.ArgumentTypeError(f"expected SCENE=FILE (e.g. 2=photo.jpg), not {value!r}")
    return int(number), path


def _programs(value: str) -> list[int]:
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected General MIDI program numbers like 0,48,32, not {value!r}") from None


def _lora(value: str) -> tuple[str, float]:
    source, sep, scale = value.rpartition(":")
    try:
        return (source, float(scale)) if sep and source else (value, 1.0)
    except ValueError:
        return value, 1.0  # a ":" that is not a scale, e.g. in a path


def _named(value: str) -> tuple[str, str]:
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
    from .domain import Voice
    from .services.voice import check_voice
    from .services.images import check_image

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
    from .domain import Lora
    from .models.registry import Registry
    from .pipeline import check_image_spec, check_music_settings, check_style, default_voice
    from .services.diffusion import check_lora_source
    from .services.music import check_music_file
    from .services.voice import check_voice

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
    from .pipeline import create_project, render
    from .services.script import read_script_file

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
    from .pipeline import resume

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
    from .services.script import parse_script, read_script_file

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
    from .jobs import request_cancel

    job = request_cancel(_store(args), args.job_id)
    print(f"{job.id}: {job.status}{' (cancel requested)' if job.cancel_requested else ''}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .ui.serve import serve

    serve(args)
    return 0


# --- models ---------------------------------------------------------------------------------------


def _registry(args: argparse.Namespace):
    from .models.registry import Registry
    from .store import Store

    return Registry(Store.open(Settings.from_env(args.data)))


def _hub():
    """vidgen.models.hub, or None where it (or huggingface_hub) is not installed."""
    try:
        from .models import hub
    except ImportError:
        return None
    return hub


def _gb(value: float) -> str:
    return f"{value:.2f} GB" if 0 < value < 1 else (f"{value:.1f} GB" if value else "-")


def _model_row(spec, registry, hub, info) -> dict[str, Any]:
    row = spec.to_dict()
    row["active"] = registry.is_active(spec)
    if hub is not None:
        # None: Ollama keeps its own store, which is not looked at here
        row["downloaded"] = bool(hub.is_downloaded(spec)) if spec.source == "hf" else (True if spec.builtin else None)
        row["compatibility"] = hub.compatibility(spec, info)
    return row


def cmd_models_list(args: argparse.Namespace) -> int:
    registry = _registry(args)
    hub = _hub()
    info = hub.device_info() if hub is not None else None
    rows = [_model_row(s, registry, hub, info) for s in registry.list(args.kind)]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for r in rows:
        marks = ("*" if r["active"] else " ") + ("d" if r["default"] else " ")
        source = r["source"] if r["source"] == "builtin" else f"{r['source']}:{r['repo']}"
        extra = ""
        if "downloaded" in r:
            shown = {True: "yes", False: "no", None: "-"}[r["downloaded"]]
            extra = f"  {shown:<3}  {r['compatibility'].get('status', '?')}"
        print(f"{marks} {r['id']:<20} {r['kind']:<9} {r['name'][:34]:<34} {_gb(r['size_gb']):>8} "
              f"{_gb(r['vram_gb']):>8}  {r['license'][:26]:<26} {source}{extra}")
    print("* active, d default" + ("; then: downloaded, compatibility" if hub is not None else
                                   "; (install huggingface_hub to see download state)"))
    return 0


def cmd_models_activate(args: argparse.Namespace) -> int:
    spec = _registry(args).activate(args.model_id)
    print(f"{spec.id} is now the active {spec.kind} model (takes effect on the next render).")
    hub = _hub()
    if hub is not None and spec.source == "hf" and not hub.is_downloaded(spec):
        print(f"It is not downloaded yet: run `python -m vidgen models download {spec.id}`.")
    return 0


def cmd_models_add(args: argparse.Namespace) -> int:
    spec = _registry(args).add(args.repo, args.kind, name=args.name or "", revision=args.revision)
    print(f"added {spec.id} ({spec.kind}, {spec.backend}, {spec.repo}); "
          f"fetch it with `python -m vidgen models download {spec.id}`, use it with "
          f"`python -m vidgen models activate {spec.id}`.")
    return 0


def cmd_models_download(args: argparse.Namespace) -> int:
    registry = _registry(args)
    spec = registry.get(args.model_id)
    if spec.source == "builtin":
        print(f"{spec.id} is built in: nothing to download.")
        return 0
    if spec.source == "ollama":
        raise VidgenError(f"{spec.id} is served by Ollama: run `ollama pull {spec.repo}`.")
    hub = _hub()
    if hub is None:
        raise VidgenError("Downloading models needs huggingface_hub: pip install -r requirements.txt.")
    info = hub.device_info()
    for s in [registry.get(r) for r in spec.requires] + [spec]:
        compat = hub.compatibility(s, info)
        print(f"{s.id}: {compat.get('status')} - {compat.get('reason', '')}", file=sys.stderr)
        path = _download(hub, s, quiet=args.quiet)
        print(f"{s.id}: {path}")
    return 0


def _download(hub, spec, *, quiet: bool):
    if quiet:
        return hub.download(spec)
    from tqdm import tqdm

    with tqdm(total=100, desc=spec.id, file=sys.stderr, bar_format="{desc} |{bar:30}| {percentage:3.0f}% {postfix}") as bar:
        def progress(fraction: float, message: str) -> None:
            bar.n = round(max(0.0, min(1.0, fraction)) * 100)
            bar.set_postfix_str(message[:50], refresh=False)
            bar.refresh()

        return hub.download(spec, progress=progress)


def cmd_models_remove(args: argparse.Namespace) -> int:
    registry = _registry(args)
    spec = registry.get(args.model_id)
    freed = 0
    if spec.source == "hf":
        hub = _hub()
        if hub is None:
            raise VidgenError("Removing downloaded models needs huggingface_hub: pip install -r requirements.txt.")
        freed = hub.remove(spec)
    elif spec.source == "ollama":
        print(f"{spec.id} is stored by Ollama: run `ollama rm {spec.repo}` to free its space.")
    print(f"{spec.id}: freed {freed / 1e9:.2f} GB")
    if args.forget:
        registry.remove_user_model(spec.id)
        print(f"{spec.id}: removed from the registry")
    return 0


def cmd_models_storage(args: argparse.Namespace) -> int:
    hub = _hub()
    if hub is None:
        raise VidgenError("Storage info needs huggingface_hub: pip install -r requirements.txt.")
    info = hub.storage_info(_registry(args))
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    for m in info.get("models", []):
        if m.get("downloaded"):
            print(f"{m['id']:<20} {m['kind']:<9} {m['bytes'] / 1e9:8.2f} GB")
    for kind, n in sorted(info.get("by_kind", {}).items()):
        print(f"total {kind:<13} {n / 1e9:8.2f} GB")
    print(f"cache {info.get('cache_dir')}  free disk {info.get('free_disk_bytes', 0) / 1e9:.1f} GB")
    return 0


def _add_models_parser(sub, common) -> None:
    from .models.registry import KINDS

    m = sub.add_parser("models", help="list, download, activate and remove AI models")
    msub = m.add_subparsers(dest="models_command", required=True, parser_class=_Parser)

    ls = msub.add_parser("list", help="every known model: size, VRAM, licence, active, downloaded, compatibility")
    ls.add_argument("--kind", choices=list(KINDS))
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_models_list)

    act = msub.add_parser("activate", help="use this model for its kind from the next render on")
    act.add_argument("model_id")
    act.set_defaults(func=cmd_models_activate)

    ad = msub.add_parser("add", help="register another model by Hugging Face repo id (an Ollama tag for llm)")
    ad.add_argument("repo")
    ad.add_argument("--kind", required=True, choices=list(KINDS))
    ad.add_argument("--name", help="display name (default: the repo id)")
    ad.add_argument("--revision", default="main", help="branch, tag or commit (default main)")
    ad.set_defaults(func=cmd_models_add)

    dl = msub.add_parser("download", help="fetch a model's files into the Hugging Face cache (resumable)")
    dl.add_argument("model_id")
    dl.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    dl.set_defaults(func=cmd_models_download)

    rm = msub.add_parser("remove", help="delete a model's downloaded files")
    rm.add_argument("model_id")
    rm.add_argument("--forget", action="store_true", help="also drop a model you added from the registry")
    rm.set_defaults(func=cmd_models_remove)

    st = msub.add_parser("storage", help="disk used per model and per kind, free disk")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_models_storage)

    for sp in (ls, act, ad, dl, rm, st):
        common(sp)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="vidgen", description="Turn a written script into a finished video.")
    p.add_argument("--version", action="version", version=f"vidgen {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--data", metavar="DIR", help="data folder (default ./data, env VIDGEN_DATA)")

    r = sub.add_parser("render", help="render a script to an MP4 (built-in backends, or an AI image model)")
    r.add_argument("script", help="script file (.txt, .fountain, .md)")
    r.add_argument("-o", "--output", metavar="OUT.mp4", help="where to write the video (default out/<script>.mp4)")
    r.add_argument("--title")
    r.add_argument("--aspect", default="16:9", choices=list(ASPECTS))
    r.add_argument("--resolution", default="720p", choices=list(RESOLUTIONS))
    r.add_argument("--fps", type=int, default=24)
    r.add_argument("--transition", default="fade", choices=list(TRANSITIONS))
    r.add_argument("--voice", metavar="VOICE",
                   help="the narrator's voice: piper:en_US-joe-medium, none (a silent film), piper:/path/to/voice.onnx "
                        "or a voice model id (default: the active voice model, `models activate`)")
    r.add_argument("--music", default="auto", metavar="auto|none|FILE",
                   help="auto (default): a score generated for the film's moods; none; or your music file "
                        "(looped, ducked under speech)")
    r.add_argument("--music-model", metavar="ID", help="music model for --music auto (default the active one: composer)")
    r.add_argument("--genre", metavar="NAME", help="genre of the generated score (ambient, orchestral, piano, electronic, "
                                                 "lofi, rock, jazz, cinematic; default from the moods)")
    r.add_argument("--tempo", type=int, default=0, metavar="BPM", help="tempo of the generated score (default from the mood)")
    r.add_argument("--key", metavar="KEY", help='key of the generated score, e.g. "D minor" (default from the mood)')
    r.add_argument("--instruments", type=_programs, metavar="P,P,P,P",
                   help="General MIDI programs of the score's melody, chords, bass and pad, e.g. 0,48,32,89 "
                        "(default the genre's)")
    r.add_argument("--music-volume", type=float, default=RenderSettings.music_volume, metavar="V",
                   help="music level relative to the voice (default 0.3, about 10 dB under it)")
    r.add_argument("--language", metavar="CODE", help="the script's language, ISO 639-1 (default: detected)")
    r.add_argument("--character-voice", action="append", type=_named, metavar="NAME=VOICE",
                   help="a character's voice (a voice id, e.g. mms-tts-eng; repeatable)")
    r.add_argument("--image", action="append", type=_scene_image, metavar="SCENE=FILE",
                   help="use your own picture for a scene instead of painting it (repeatable)")
    r.add_argument("--image-model", metavar="ID",
                   help="image model id (`models list --kind image`; default the active one, storyboard = the painter)")
    r.add_argument("--style", metavar="NAME", help="style preset for AI image models (cinematic, anime, ...)")
    r.add_argument("--negative", metavar="TEXT", help="negative prompt for AI image models")
    r.add_argument("--image-steps", type=int, default=0, metavar="N",
                   help="denoising steps for AI image models (default: the model's, e.g. SDXL-Turbo 2, SDXL 30)")
    r.add_argument("--guidance", type=float, metavar="G", help="guidance scale (default: the model's)")
    r.add_argument("--scheduler", default="", choices=["", "euler", "euler_a", "dpm++", "ddim"],
                   help="sampler for AI image models (default: the model's own)")
    r.add_argument("--lora", action="append", type=_lora, metavar="SRC[:SCALE]",
                   help="LoRA: a .safetensors file or hub repo id, scale default 1 (repeatable)")
    r.add_argument("--character-image", action="append", type=_named, metavar="NAME=FILE",
                   help="a character's reference picture (IP-Adapter of the image model; repeatable)")
    r.add_argument("--character-seed", action="append", type=_named, metavar="NAME=N",
                   help="a character's fixed seed for the scenes they lead (repeatable)")
    r.add_argument("--reference-scale", type=float, default=0.6, metavar="S",
                   help="how strongly character reference pictures steer the image (0-1, default 0.6)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--quality", default="standard", choices=list(QUALITIES))
    r.add_argument("--no-burn-subtitles", action="store_true", help="only write the .srt sidecar")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    common(r)
    r.set_defaults(func=cmd_render)

    pa = sub.add_parser("parse", help="print the scenes and characters found in a script")
    pa.add_argument("script")
    pa.add_argument("--title")
    pa.add_argument("--json", action="store_true")
    common(pa)
    pa.set_defaults(func=cmd_parse)

    re_ = sub.add_parser("resume", help="finish an interrupted render (finished steps are reused)")
    re_.add_argument("job_id")
    re_.add_argument("-o", "--output", metavar="OUT.mp4")
    re_.add_argument("-q", "--quiet", action="store_true")
    common(re_)
    re_.set_defaults(func=cmd_resume)

    for name, fn, text in (("jobs", cmd_jobs, "list render jobs"), ("projects", cmd_projects, "list projects")):
        sp = sub.add_parser(name, help=text)
        sp.add_argument("--json", action="store_true")
        common(sp)
        sp.set_defaults(func=fn)

    c = sub.add_parser("cancel", help="ask a running render to stop")
    c.add_argument("job_id")
    common(c)
    c.set_defaults(func=cmd_cancel)

    _add_models_parser(sub, common)

    from .ui.serve import add_arguments  # argparse only: gradio is imported when serving

    sv = add_arguments(sub.add_parser("serve", help="open the web studio (Gradio)"))
    sv.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Cancelled as e:
        print(f"cancelled: {e}", file=sys.stderr)
        return 3
    except VidgenError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # outside a job (the job runner words its own)
        reason = "the disk is full" if e.errno == 28 else (e.strerror or str(e))
        print(f"error: cannot write {e.filename or 'a file'}: {reason}.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: resume with `python -m vidgen resume JOB_ID` (see `python -m vidgen jobs`)",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
