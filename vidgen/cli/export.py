"""`python -m vidgen export PROJECT`: a render's film in other formats, or its editable timeline;
and the output names of `render -o NAME.EXT --format ...`."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any, Callable

from ..errors import VidgenError
from ..media import atomic_output
from ..pipeline.export import suffix_of
from ..services.delivery.encoders import ENCODER_CHOICES
from ..services.delivery.formats import FORMATS, format_for, format_named
from ..services.delivery.timeline_export import TIMELINE_KINDS
from .progress import StageBars, local_studio


def check_folder(path: Path) -> None:
    """An output named by the user goes into a folder that exists (a typo makes no new folders)."""
    folder = path.expanduser().parent
    if not folder.is_dir():
        raise VidgenError(f"The folder {folder} does not exist: create it, or write {path.name} somewhere else.")


def outputs(output: str | None, formats: list[str] | None, default: Path) -> dict[str, Path]:
    """{format: where to write it}: -o's format by its extension (or the first --format), the other
    formats beside it under the same name; the default name when -o is not given."""
    names = [format_named(f).name for f in formats or []]
    if output:
        first = format_for(output, names[0] if names and Path(output).suffix == "" else "")
        path = Path(output) if Path(output).suffix else Path(output).with_suffix(first.ext)
        check_folder(path)
    else:
        first = format_named(names[0]) if names else FORMATS["mp4"]
        path = default.with_suffix(first.ext)
    out = {first.name: path}
    for name in names:
        fmt = format_named(name)
        if fmt.name not in out:
            out[fmt.name] = path.with_name(path.name[: -len(path.suffix)] + suffix_of(fmt))
    return out


def copy_out(src: str, dest: Path) -> Path:
    with atomic_output(dest) as tmp:
        try:
            shutil.copyfile(src, tmp)
        except OSError as e:
            if e.errno == 28:
                raise VidgenError(f"Disk full while writing {dest}: free some space and run again.") from e
            raise VidgenError(f"Cannot write {dest}: {e.strerror}.") from e
    return dest


def add_parser(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    e = sub.add_parser("export", help="a render's film in other formats, or its editable timeline (OTIO, FCP XML)")
    e.add_argument("project", help="the project's id (see `python -m vidgen projects`)")
    e.add_argument("-o", "--output", metavar="OUT.EXT",
                   help="where to write it; the extension names the format (.mp4 .webm .mov .gif .webp .wav .mp3 "
                        ".zip = stems); a timeline bundle is a .zip (default: out/<project>.<ext>)")
    e.add_argument("--format", action="append", metavar="{" + ",".join(FORMATS) + "}",
                   help="a format to export (repeatable; each beside -o under its own extension)")
    e.add_argument("--timeline", choices=list(TIMELINE_KINDS),
                   help="the editable timeline instead: otio (OpenTimelineIO), fcpxml (Final Cut Pro X), fcp7 "
                        "(FCP 7 XML for Premiere and Resolve), zipped with its media")
    e.add_argument("--version", dest="version_id", default="", metavar="ID",
                   help="which render (default: the latest; see the studio's Versions tab)")
    e.add_argument("--encoder", choices=list(ENCODER_CHOICES), default="",
                   help="video encoder (default: the project's setting, auto = NVENC where it works)")
    e.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    common(e)
    e.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    studio = local_studio(args)
    project = studio.store.get_project(args.project)
    default = Path("out") / project.id
    bars = StageBars(not args.quiet)
    try:
        if args.timeline:
            if args.format:
                raise VidgenError("Give either --timeline or --format, not both.")
            dest = Path(args.output) if args.output else default.with_name(f"{project.id}-{args.timeline}.zip")
            if dest.suffix.lower() != ".zip":
                raise VidgenError(f"A timeline is written as a .zip with its media: name it {dest.stem}.zip.")
            if args.output:
                check_folder(dest)
            r = studio.export_timeline(project.id, args.timeline, args.version_id, on_event=bars)
            bars.close()
            print(f"timeline:  {copy_out(r['bundle'], dest)}  ({r['timeline']} and the media of {r['clips']} scenes)")
            return 0
        wanted = outputs(args.output, args.format, default)
        r = studio.export_film(project.id, list(wanted), args.version_id, args.encoder, on_event=bars)
    finally:
        bars.close()
    for e in r["exports"]:
        dest = copy_out(r["files"][e["format"]], wanted[e["format"]])
        how = f", {e['encoder']}" if e["encoder"] else ""
        print(f"{e['format']:<9}  {dest}  ({'from the cache' if e['cached'] else 'encoded'}{how})")
        if e["note"]:
            print(f"note: {e['note']}")
    return 0
