"""`python -m vidgen voices [--json] [--dir DIR]`: the voices at hand and the languages they speak.

Lists the built-in voices (the Piper voice shipped on PyPI, eSpeak NG) and every Piper voice
(`NAME.onnx` with `NAME.onnx.json` beside it) found in VIDGEN_VOICES_DIR, the data folder's
voices/ and each --dir, with the id to give it (`--character-voice NAME=piper:/path.onnx`).
A render picks one of these by itself for a line in a language its speaker's voice does not
speak (services/voice/choice.py).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any, Callable

from ..config import Settings
from ..services.voice.catalog import builtin_voices, find_piper_voices


def add_parser(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    v = sub.add_parser("voices", help="list the built-in voices and your Piper voices, with their languages")
    v.add_argument("--dir", action="append", metavar="DIR", default=[],
                   help="another folder of Piper voices (.onnx + .onnx.json; repeatable)")
    v.add_argument("--json", action="store_true", help="print the voices as JSON")
    common(v)
    v.set_defaults(func=cmd_voices)


def cmd_voices(args: argparse.Namespace) -> int:
    settings = Settings.from_env(args.data)
    folders = [*settings.voice_folders, *args.dir]
    found = builtin_voices() + find_piper_voices(folders)
    if args.json:
        print(json.dumps([{**asdict(v), "language": v.language} for v in found], indent=2, ensure_ascii=False))
        return 0
    for v in found:
        langs = ", ".join(v.languages) if len(v.languages) <= 8 else f"{len(v.languages)} languages"
        where = "built in" if v.source == "builtin" else v.source
        print(f"{v.id}\n    {v.name}: {langs or 'language unknown'} ({where})"
              + (f"; not usable: {v.problem}" if v.problem else ""))
    searched = ", ".join(str(f) for f in folders)
    print(f"Piper voices are looked for in {searched} (set VIDGEN_VOICES_DIR or use --dir).")
    return 0
