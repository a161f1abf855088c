"""`python -m vidgen models ...`: list, activate, add, download, remove, storage."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import VidgenError
from .progress import Parser


def _registry(args: argparse.Namespace):
    from ..models.registry import Registry
    from ..store import Store

    return Registry(Store.open(Settings.from_env(args.data)))


def _hub():
    """vidgen.models.hub, or None where it (or huggingface_hub) is not installed."""
    try:
        from ..models import hub
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


def add_parser(sub, common) -> None:
    from ..models.registry import KINDS

    m = sub.add_parser("models", help="list, download, activate and remove AI models")
    msub = m.add_subparsers(dest="models_command", required=True, parser_class=Parser)

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


