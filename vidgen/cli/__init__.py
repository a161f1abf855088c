"""Command line: `python -m vidgen render|parse|write|resume|jobs|projects|cancel|models|voices|doctor|serve ...`."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from .. import __version__
from ..errors import Cancelled, VidgenError
from ..ops import logs
from . import doctor, export, models, render, scripts, voices
from .progress import Parser
from ..ui.serve import add_arguments, log_format  # argparse only: gradio is imported when serving
from .settings_flags import add_setting_flags
from ..services.delivery.formats import FORMATS
from ..pipeline.executors import EXECUTORS


def _format_name(value: str) -> str:
    if value.strip().lower() not in FORMATS:
        raise argparse.ArgumentTypeError(f"unknown format {value!r}: use one of {', '.join(FORMATS)}")
    return value.strip().lower()


def _executor_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--executor", choices=EXECUTORS, default="",
                   help="where the scene steps run: local (here, in order) or ray (the Ray cluster at RAY_ADDRESS, "
                        "else a local one); default VIDGEN_EXECUTOR, else local")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="vidgen", description="Turn a written script into a finished video.")
    p.add_argument("--version", action="version", version=f"vidgen {__version__}")
    p.add_argument("--log-format", choices=logs.FORMATS, default=argparse.SUPPRESS,
                   help="log lines of every command: plain or json (env VIDGEN_LOG_FORMAT; default: plain for serve, "
                        "none for the others)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--data", metavar="DIR", help="data folder (default ./data, env VIDGEN_DATA)")

    r = sub.add_parser("render", help="render a script to an MP4 (built-in backends, or an AI image model)")
    r.add_argument("script", help="script file (.txt, .fountain, .md)")
    r.add_argument("-o", "--output", metavar="OUT.EXT",
                   help="where to write the video; the extension names the format: .mp4 (H.264), .webm (VP9), "
                        ".mov (ProRes), .gif, .webp, .wav, .mp3, .zip (stems) (default out/<script>.mp4)")
    r.add_argument("--format", action="append", metavar="FORMAT", type=_format_name,
                   help=f"a delivery format ({', '.join(FORMATS)}); repeatable: each is written beside -o under "
                        "its own extension, from the same render")
    r.add_argument("--title", help="the film's title (default: the script's own, else words of its first scene)")
    r.add_argument("--image", action="append", type=render.scene_image, metavar="SCENE=FILE",
                   help="use your own picture for a scene instead of painting it (repeatable)")
    r.add_argument("--character-voice", action="append", type=render.named, metavar="NAME=VOICE",
                   help="a character's voice (a voice id, e.g. mms-tts-eng; repeatable)")
    r.add_argument("--character-image", action="append", type=render.named, metavar="NAME=FILE",
                   help="a character's reference picture (IP-Adapter of the image model; repeatable)")
    r.add_argument("--character-seed", action="append", type=render.named, metavar="NAME=N",
                   help="a character's fixed seed for the scenes they lead (repeatable)")
    add_setting_flags(r)
    _executor_flag(r)
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    common(r)
    r.set_defaults(func=render.cmd_render)

    scripts.add_parsers(sub, common)

    re_ = sub.add_parser("resume", help="finish an interrupted render (finished steps are reused)")
    re_.add_argument("job_id", help="the job to finish (see `python -m vidgen jobs`)")
    re_.add_argument("-o", "--output", metavar="OUT.EXT",
                     help="also copy the video and its .srt here (default: only the data folder's copy)")
    re_.add_argument("--format", action="append", metavar="FORMAT", type=_format_name,
                     help="a delivery format to write as well (repeatable, as for render)")
    _executor_flag(re_)
    re_.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    common(re_)
    re_.set_defaults(func=render.cmd_resume)

    for name, fn, text in (("jobs", render.cmd_jobs, "list render jobs"), ("projects", render.cmd_projects, "list projects")):
        sp = sub.add_parser(name, help=text)
        sp.add_argument("--json", action="store_true", help=f"print the {name} as JSON")
        common(sp)
        sp.set_defaults(func=fn)

    c = sub.add_parser("cancel", help="ask a running render to stop")
    c.add_argument("job_id", help="the job to stop (see `python -m vidgen jobs`)")
    common(c)
    c.set_defaults(func=render.cmd_cancel)

    export.add_parser(sub, common)
    models.add_parser(sub, common)
    voices.add_parser(sub, common)
    doctor.add_parser(sub, common)

    sv = add_arguments(sub.add_parser("serve", help="open the web studio (Gradio)"))
    sv.set_defaults(func=render.cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        try:
            return _run(argv)
        finally:
            sys.stdout.flush()  # a reader that has gone shows here, not at the interpreter's exit
    except BrokenPipeError:  # `vidgen jobs | head -1`: the reader has what it wanted
        return _reader_gone()


def _reader_gone() -> int:
    """End quietly as the Unix tools do when their reader closes the pipe: no message, exit status
    128 + SIGPIPE; stdout points at devnull so the interpreter's last flush cannot complain."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # a stdout without a descriptor (a test's capture)
        pass
    return 128 + getattr(signal, "SIGPIPE", 13)


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if fmt := log_format(args):  # serve logs plain lines by default; the other commands only when asked
            logs.configure(fmt)
        return args.func(args)
    except Cancelled as e:
        print(f"cancelled: {e}", file=sys.stderr)
        return 3
    except VidgenError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        raise  # not a file that cannot be written: main ends quietly
    except OSError as e:  # outside a job (the job runner words its own)
        reason = "the disk is full" if e.errno == 28 else (e.strerror or str(e))
        print(f"error: cannot write {e.filename or 'a file'}: {reason}.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: resume with `python -m vidgen resume JOB_ID` (see `python -m vidgen jobs`)",
              file=sys.stderr)
        return 130
