"""`python -m vidgen models ...`: list, activate, add, download, remove, storage."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import textwrap
from typing import Any

from ..config import Settings
from ..domain import ProgressEvent
from ..models import operations
from ..models.registry import KINDS, ModelSpec, Registry, registry_for
from ..store import Store
from .progress import Parser, StageBars
from .table import out_width, table


def _registry(args: argparse.Namespace) -> Registry:
    return registry_for(Store.open(Settings.from_env(args.data)))


def _gb(value: float) -> str:
    return f"{value:.2f} GB" if 0 < value < 1 else (f"{value:.1f} GB" if value else "-")


HEADERS = ("", "ID", "KIND", "STATUS", "SIZE", "VRAM", "DOWNLOADED", "FITS", "NAME", "LICENCE", "SOURCE")


def _cells(r: dict[str, Any]) -> list[str]:
    marks = ("*" if r["active"] else " ") + ("d" if r["default"] else " ")
    source = r["source"] if r["source"] == "builtin" else f"{r['source']}:{r['repo']}"
    return [marks, r["id"], r["kind"], r["status"], _gb(r["size_gb"]), _gb(r["vram_gb"]),
            "yes" if r["downloaded"] else "no", r["compatibility"].get("status", "?"), r["name"], r["license"], source]


def cmd_models_list(args: argparse.Namespace) -> int:
    rows = operations.list_rows(_registry(args), args.kind)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print("\n".join(table(HEADERS, [_cells(r) for r in rows], wrap=(8, 9, 10), right=(4, 5), width=out_width())))
    print(textwrap.fill("* active, d default; STATUS planned: no runtime yet (cannot be activated or downloaded); "
                        "FITS: how it runs on this machine (ok, offload, cpu or too_large)", out_width() or 1000))
    if args.kind in (None, "", "llm"):
        extra = operations.server_llms(_registry(args))
        if extra:
            print("also on the Ollama server (read scripts with --parser ollama:TAG): "
                  + ", ".join(f"{r['name']} ({_gb(r['size'] / 1e9)})" for r in extra))
    return 0


def cmd_models_activate(args: argparse.Namespace) -> int:
    done = operations.activate(_registry(args), args.model_id)
    print(f"{done['id']} is now the active {done['kind']} model ({done['effect']}).")
    if done["download"]:
        print(f"It is not downloaded yet: run `{done['download']}`.")
    return 0


def cmd_models_add(args: argparse.Namespace) -> int:
    r = operations.add(_registry(args), args.repo, args.kind, name=args.name or "", revision=args.revision)
    if r["runs"]:
        print(f"added {r['id']} ({r['kind']}, {r['backend']}, {r['repo']}); "
              f"fetch it with `python -m vidgen models download {r['id']}`, use it with "
              f"`python -m vidgen models activate {r['id']}`.")
    else:
        print(f"added {r['id']} ({r['kind']}, {r['backend']}, {r['repo']}) as planned: nothing in vidgen runs "
              f"{r['backend']} yet, so it cannot be downloaded or activated until a runtime lands.")
    return 0


def cmd_models_download(args: argparse.Namespace) -> int:
    with contextlib.ExitStack() as bars:
        def start(spec: ModelSpec, compat: dict[str, str]) -> Any:
            print(f"{spec.id}: {compat.get('status')} - {compat.get('reason', '')}", file=sys.stderr)
            if args.quiet or spec.builtin:
                return None
            return _bar(bars, spec)

        done = operations.download(_registry(args), args.model_id, start)
    for f in done["fetched"]:
        print(f"{f['id']}: {f['folder']}" if f["folder"] else f"{f['id']} is built in: nothing to download.")
    return 0


def _bar(bars: contextlib.ExitStack, spec: ModelSpec) -> Any:
    """A progress callback drawing one tqdm bar for this model (closed with `bars`); a log gets lines."""
    if not sys.stderr.isatty():
        lines = bars.enter_context(contextlib.closing(StageBars(tty=False)))
        return lambda fraction, message: lines(ProgressEvent(spec.id, fraction, fraction, message))
    from tqdm import tqdm

    bar = bars.enter_context(tqdm(total=100, desc=spec.id, file=sys.stderr,
                                  bar_format="{desc} |{bar:30}| {percentage:3.0f}% {postfix}"))

    def progress(fraction: float, message: str) -> None:
        bar.n = round(max(0.0, min(1.0, fraction)) * 100)
        bar.set_postfix_str(message[:50], refresh=False)
        bar.refresh()

    return progress


def cmd_models_remove(args: argparse.Namespace) -> int:
    done = operations.remove(_registry(args), args.model_id, forget=args.forget)
    if done["note"]:
        print(done["note"])
    print(f"{done['id']}: freed {done['freed'] / 1e9:.2f} GB")
    if done["forgotten"]:
        print(f"{done['id']}: removed from the registry")
    return 0


def cmd_models_storage(args: argparse.Namespace) -> int:
    info = operations.storage(_registry(args), live=False)  # this process has no model loaded
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


MODEL_ID = "a model id (see `python -m vidgen models list`)"


def add_parser(sub: Any, common: Any) -> None:
    m = sub.add_parser("models", help="list, download, activate and remove AI models")
    msub = m.add_subparsers(dest="models_command", required=True, parser_class=Parser)

    ls = msub.add_parser("list", help="every known model: status (ready/planned), size, VRAM, licence, active, "
                                           "downloaded, compatibility")
    ls.add_argument("--kind", choices=list(KINDS), help="only the models of this kind (default: every kind)")
    ls.add_argument("--json", action="store_true", help="print the rows as JSON")
    ls.set_defaults(func=cmd_models_list)

    act = msub.add_parser("activate", help="make this model the active one of its kind (a planned one is refused)")
    act.add_argument("model_id", help=MODEL_ID)
    act.set_defaults(func=cmd_models_activate)

    ad = msub.add_parser("add", help="register another model by Hugging Face repo id (an Ollama tag for llm)")
    ad.add_argument("repo", help="a Hugging Face repo id, owner/name (an Ollama tag for --kind llm)")
    ad.add_argument("--kind", required=True, choices=list(KINDS), help="the model's kind")
    ad.add_argument("--name", help="display name (default: the repo id)")
    ad.add_argument("--revision", default="main", help="branch, tag or commit (default main)")
    ad.set_defaults(func=cmd_models_add)

    dl = msub.add_parser("download", help="fetch a model's files into the Hugging Face cache (resumable)")
    dl.add_argument("model_id", help=MODEL_ID)
    dl.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    dl.set_defaults(func=cmd_models_download)

    rm = msub.add_parser("remove", help="delete a model's downloaded files")
    rm.add_argument("model_id", help=MODEL_ID)
    rm.add_argument("--forget", action="store_true", help="also drop a model you added from the registry")
    rm.set_defaults(func=cmd_models_remove)

    st = msub.add_parser("storage", help="disk used per model and per kind, free disk")
    st.add_argument("--json", action="store_true", help="print the figures as JSON")
    st.set_defaults(func=cmd_models_storage)

    for sp in (ls, act, ad, dl, rm, st):
        common(sp)


