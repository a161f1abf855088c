"""`python -m vidgen models ...`: list, activate, add, download, remove, storage, versions, use, verify,
bench."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import textwrap
from typing import Any

from ..config import Settings
from ..domain import ProgressEvent
from ..errors import VidgenError
from ..models import bench as benchmark
from ..models import operations, url_records
from ..models.registry import KINDS, ModelSpec, Registry, registry_for
from ..store import Store
from .progress import Parser, StageBars
from .table import out_width, table


def _registry(args: argparse.Namespace) -> Registry:
    return registry_for(Store.open(Settings.from_env(args.data)))


def _gb(value: float) -> str:
    return f"{value:.2f} GB" if 0 < value < 1 else (f"{value:.1f} GB" if value else "-")


HEADERS = ("", "ID", "KIND", "STATUS", "SIZE", "VRAM", "DOWNLOADED", "FITS", "MEASURED", "NAME", "LICENCE", "SOURCE")


def _cells(r: dict[str, Any]) -> list[str]:
    marks = ("*" if r["active"] else " ") + ("d" if r["default"] else " ")
    size = _gb(r["bytes"] / 1e9) if r.get("bytes") else _gb(r["size_gb"])  # an Ollama server's real size
    return [marks, r["id"], r["kind"], r["status"], size, _gb(r["vram_gb"]),
            "yes" if r["downloaded"] else "no", r["compatibility"].get("status", "?"), r.get("measured") or "-",
            r["name"], r["license"], operations.source_label(r)]


def cmd_models_list(args: argparse.Namespace) -> int:
    rows = operations.list_rows(_registry(args), args.kind)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print("\n".join(table(HEADERS, [_cells(r) for r in rows], wrap=(8, 9, 10, 11), right=(4, 5), width=out_width())))
    print(textwrap.fill("* active, d default; STATUS planned: no runtime yet (cannot be activated or downloaded); "
                        "FITS: how it runs on this machine (ok, offload, cpu or too_large); MEASURED: what "
                        "`models bench ID` measured here", out_width() or 1000))
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
    if args.source[0].startswith(("https://", "http://")):
        r = operations.add_url(_registry(args), args.source, args.kind, sha256=args.sha256 or [], name=args.name or "",
                               allow_pickle=args.allow_pickle)
        if r["pickle"]:
            print(f"warning: {r['weights']} is a pickle checkpoint, which can run code when loaded carelessly; vidgen "
                  "reads it with torch's tensors-only loader. Prefer a .safetensors file.", file=sys.stderr)
    else:
        if len(args.source) > 1 or args.sha256 or args.allow_pickle:
            raise VidgenError("Give one Hugging Face repo id; --sha256 and --allow-pickle are for URLs.")
        r = operations.add(_registry(args), args.source[0], args.kind, name=args.name or "", revision=args.revision)
    if r["source"] == "url" and r["runs"]:
        print(f"added {r['id']} ({r['kind']}, {r['backend']}, {len(r['urls'])} file(s) from "
              f"{r['urls'][0].split('/')[2]}); fetch it with `python -m vidgen models download {r['id']}`.")
    elif r["source"] == "url":
        print(f"added {r['id']} ({r['kind']}, {r['backend']}) as planned: nothing in vidgen runs {r['backend']} yet, "
              "so it cannot be downloaded or used until a runtime lands.")
    elif r["runs"]:
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

        done = operations.download(_registry(args), args.model_id, start, check=not args.no_verify,
                                   max_bytes=int(args.max_gb * 1e9))
    for f in done["fetched"]:
        if not f["folder"]:
            print(f"{f['id']} is built in: nothing to download.")
            continue
        at = f" at {f['revision'][:10]}" if f["revision"] else ""
        checked = f", {f['checked']} file(s) verified" if f["checked"] else ""
        print(f"{f['id']}{at}: {f['folder']}{checked}")
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


def cmd_models_versions(args: argparse.Namespace) -> int:
    v = operations.model_versions(_registry(args), args.model_id, online=not args.offline)
    if args.json:
        print(json.dumps(v, indent=2, ensure_ascii=False))
        return 0
    print(f"{v['id']} ({v['repo']}) uses {v['revision']}" + ("" if v["pinned"] else " (a branch: pinned on download)"))
    rows = [["*" if r["used"] else " ", r["commit"], ",".join(r["refs"]) or "-", _gb(r["bytes"] / 1e9)]
            for r in v["downloaded"]]
    print("downloaded:" if rows else "downloaded: none")
    if rows:
        print("\n".join(table(("", "COMMIT", "REFS", "SIZE"), rows, right=(3,), width=out_width())))
    if v["hub"]:
        print("on the hub:")
        print("\n".join(table(("TYPE", "COMMIT", "NAME"), [[r["type"], r["commit"], r["ref"]] for r in v["hub"]],
                               width=out_width())))
    if v["note"]:
        print(v["note"])
    return 0


def cmd_models_use(args: argparse.Namespace) -> int:
    done = operations.use_revision(_registry(args), args.ref, project_id=args.project or "")
    print(f"{done['id']} now renders at {done['revision']} for {done['scope']} (was {done['was']}).")
    return 0


def cmd_models_verify(args: argparse.Namespace) -> int:
    done = operations.verify(_registry(args), args.model_id)
    if args.json:
        print(json.dumps(done, indent=2, ensure_ascii=False))
    else:
        for f in done["files"]:
            mark = {True: "ok", False: "CHANGED", None: "unchecked"}[f["ok"]]
            print(f"{mark:<9} {f['file']}  {f['reason']}")
    if done["changed"]:
        print(f"{done['id']}: {len(done['changed'])} file(s) changed on disk: run `python -m vidgen models remove "
              f"{done['id']}` and download it again.", file=sys.stderr)
        return 1
    checked = len(done["files"]) - len(done["unchecked"])
    print(f"{done['id']}: {checked} file(s) match their published hashes"
          + (f"; {len(done['unchecked'])} could not be checked (no hash at hand offline)" if done["unchecked"] else "")
          + ".", file=sys.stderr)
    return 0


def cmd_models_bench(args: argparse.Namespace) -> int:
    with contextlib.ExitStack() as bars:
        registry = _registry(args)
        progress = None if args.quiet else _bar(bars, registry.get(args.model_id))
        result = operations.bench(registry, args.model_id, progress)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(f"{result['model']} on {result['device']}: {benchmark.summary(result)}")
    print(f"  load from disk  {_secs(result.get('load_disk_s'))}")
    print(f"  load from CPU   {_secs(result.get('load_cpu_s'))}" + (f" ({result['load_cpu_reason']})"
                                                                    if result.get("load_cpu_reason") else ""))
    print(f"  work            {_secs(result.get('work_s'))}  ({result.get('work', '')})")
    print(f"  peak memory     {result.get('peak_bytes', 0) / 1e9:.2f} GB on {result.get('memory_on', '')}")
    return 0


def _secs(value: Any) -> str:
    return "-" if value is None else f"{value:.3f} s"


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

    ad = msub.add_parser("add", help="register another model: a Hugging Face repo id (an Ollama tag for llm), "
                                     "or the https:// URLs of its files")
    ad.add_argument("source", nargs="+",
                    help="REPO or URL ...: owner/name (an Ollama tag for --kind llm), or one or more https:// URLs: a Piper voice "
                         "(.onnx, its .onnx.json found beside it), a Wav2Lip checkpoint, a LoRA (.safetensors)")
    ad.add_argument("--kind", required=True, choices=list(KINDS), help="the model's kind")
    ad.add_argument("--name", help="display name (default: the repo id or file name)")
    ad.add_argument("--revision", default="main", help="branch, tag or commit (default main; pinned on download)")
    ad.add_argument("--sha256", action="append", metavar="HASH",
                    help="a URL file's SHA-256, once per URL in order (checked on download; else kept from it)")
    ad.add_argument("--allow-pickle", action="store_true",
                    help="accept a pickle checkpoint (.ckpt/.pt/.pth), which can hold code: only from a source you trust")
    ad.set_defaults(func=cmd_models_add)

    dl = msub.add_parser("download", help="fetch a model's files (resumable) and verify them against their "
                                          "published hashes")
    dl.add_argument("model_id", help=MODEL_ID + "; ID@REV fetches another revision (a commit)")
    dl.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    dl.add_argument("--max-gb", type=float, default=url_records.DEFAULT_MAX_BYTES / 1e9,
                    help="refuse a URL file larger than this many GB (default %(default).0f)")
    dl.add_argument("--no-verify", action="store_true", help="skip checking the files against their hashes")
    dl.set_defaults(func=cmd_models_download)

    vs = msub.add_parser("versions", help="a hub model's downloaded revisions, the one renders use, and the "
                                          "hub's branches, tags and latest commits")
    vs.add_argument("model_id", help=MODEL_ID)
    vs.add_argument("--offline", action="store_true", help="list only what is downloaded")
    vs.add_argument("--json", action="store_true", help="print the answer as JSON")
    vs.set_defaults(func=cmd_models_versions)

    us = msub.add_parser("use", help="render with another downloaded revision: ID@REV (a commit, short or full)")
    us.add_argument("ref", help="ID@REV: the model and the revision, e.g. sdxl-turbo@71153311")
    us.add_argument("--project", metavar="PROJECT_ID", help="only this project (default: the data folder's default)")
    us.set_defaults(func=cmd_models_use)

    vf = msub.add_parser("verify", help="re-check a downloaded model's files against their published hashes")
    vf.add_argument("model_id", help=MODEL_ID)
    vf.add_argument("--json", action="store_true", help="print the answer as JSON")
    vf.set_defaults(func=cmd_models_verify)

    bn = msub.add_parser("bench", help="measure a model on this machine: load time (disk, CPU tier), one unit of "
                                       "work, peak memory; kept and shown in `models list`")
    bn.add_argument("model_id", help=MODEL_ID)
    bn.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    bn.add_argument("--json", action="store_true", help="print the figures as JSON")
    bn.set_defaults(func=cmd_models_bench)

    rm = msub.add_parser("remove", help="delete a model's downloaded files")
    rm.add_argument("model_id", help=MODEL_ID)
    rm.add_argument("--forget", action="store_true", help="also drop a model you added from the registry")
    rm.set_defaults(func=cmd_models_remove)

    st = msub.add_parser("storage", help="disk used per model and per kind, free disk")
    st.add_argument("--json", action="store_true", help="print the figures as JSON")
    st.set_defaults(func=cmd_models_storage)

    for sp in (ls, act, ad, dl, rm, st, vs, us, vf, bn):
        common(sp)


