"""`python -m vidgen parse|write`: read a script as a render would, or write one from a topic."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Callable

from ..edits import title_of
from ..errors import VidgenError
from ..media import atomic_output
from ..script_desk import MAX_MINUTES
from ..services.script import read_script_file
from ..services.script.llm import FORMS as WRITER_FORMS
from ..text import count, noun_for
from .progress import local_studio, print_notes, progress_bar


def add_parsers(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]) -> None:
    pa = sub.add_parser("parse", help="print the scenes, characters and notes found in a script")
    pa.add_argument("script", help="script file (.txt, .fountain, .md)")
    pa.add_argument("--title", help="the film's title (default: the script's own, else words of its first scene)")
    pa.add_argument("--parser", default="rules", metavar="rules|ID",
                    help="the script reader: rules (built in), an LLM model id or ollama:TAG (default rules)")
    pa.add_argument("--json", action="store_true", help="print the reading as JSON")
    common(pa)
    pa.set_defaults(func=cmd_parse)

    w = sub.add_parser("write", help="write a script from a topic with an LLM (Ollama), ready to render")
    w.add_argument("topic", help='what the film is about, e.g. "how bread is made"')
    w.add_argument("--minutes", type=float, default=1.0, help=f"length of the film, 0.25 to {MAX_MINUTES:g} (default 1)")
    w.add_argument("--tone", default="", help='e.g. "warm and curious" (default: none)')
    w.add_argument("--language", default="en", metavar="CODE", help="ISO 639-1 (default en)")
    w.add_argument("--form", choices=WRITER_FORMS, default="narrated",
                   help="narrated video, dialogue scene or storyboard (default narrated)")
    w.add_argument("--model", default="", metavar="ID", help="an LLM model id or ollama:TAG (default: the active LLM)")
    w.add_argument("-o", "--output", metavar="FILE", help="write the script here (default: print it)")
    w.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    common(w)
    w.set_defaults(func=cmd_write)


def cmd_parse(args: argparse.Namespace) -> int:
    studio = local_studio(args)
    title = title_of(args.title) if args.title and args.title.strip() else ""  # the studio's limit and words
    text = read_script_file(args.script, studio.settings.max_script_bytes)
    report, close = progress_bar(args.parser != "rules" and not args.json)
    try:
        parsed = studio.parse_script(text, title, {"parser": args.parser}, progress=report,
                                     filename=Path(args.script).name)
    finally:
        close()
    if args.json:
        print(json.dumps(parsed, indent=2, ensure_ascii=False))
        return 0
    print_notes(parsed["notes"])
    total = sum(s["duration"] for s in parsed["scenes"])
    print(f"{parsed['title']}  ({parsed['form']}, {count(len(parsed['scenes']), 'scene')}, ~{total:.0f} s, "
          f"read by {parsed['parser']})")
    for s in parsed["scenes"]:
        who = ", ".join(s["characters"]) or "narration"
        cam = f" camera: {', '.join(s['camera'])}" if s["camera"] else ""
        print(f"  {s['number']:>3}. {s['heading'][:48]:<48} {s['mood']:<10} {s['duration']:5.1f} s  {who}{cam}")
    if parsed["characters"]:
        print("characters: " + ", ".join(f"{c['name']} ({noun_for(len(c['scenes']), 'scene')} "
                                         f"{', '.join(map(str, c['scenes']))})" for c in parsed["characters"]))
    return 0


def cmd_write(args: argparse.Namespace) -> int:
    studio = local_studio(args)
    if args.output and Path(args.output).is_dir():
        raise VidgenError(f"{args.output} is a folder: name the script file to write, e.g. script.txt.")
    report, close = progress_bar(not args.quiet)
    try:
        text = studio.write_script(args.topic, minutes=args.minutes, tone=args.tone, language=args.language,
                                   form=args.form, model=args.model, progress=report)
    finally:
        close()
    if not args.output:
        print(text)
        return 0
    with atomic_output(Path(args.output)) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    print(f"script: {args.output}  (render it with `python -m vidgen render {args.output}`)")
    return 0
