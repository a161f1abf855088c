"""Models from direct URLs: a Piper voice, a Wav2Lip checkpoint, a LoRA, a SoundFont or a single-file checkpoint
from any https:// address, kept in the data folder's models/<id>/ (`registry.models_dir`).

    spec = add_url(registry, [url], "voice", sha256=[h])   # a user record, source "url"
    download(spec)   # resumable, size-limited, verified; the record keeps each file's hash

A record's files are its URLs' last path parts. Nothing downloaded is executed or unpickled here;
a pickle format (.ckpt/.pt/.pth) is refused unless the user allowed it when adding the record
(`pickle`), and the loaders that read one use torch's tensors-only unpickler.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import VidgenError
from . import url_fetch
from .backends import has_runtime
from .records import SHA256, ModelSpec, check_kind
from .registry import Registry, new_id

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]

# kind -> (backend, the file suffixes it takes, in the order its files are listed)
URL_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "voice": ("piper", (".onnx", ".json")),  # the voice and its .onnx.json config
    "lipsync": ("wav2lip", (".pth", ".pt", ".safetensors")),
    "adapter": ("lora", (".safetensors",)),
    "music": ("composer", (".sf2", ".sf3")),  # the built-in composer, played with this SoundFont
    "image": ("diffusers-sdxl-single", (".safetensors",)),  # planned: no single-file loader yet
}
DEFAULT_MAX_BYTES = 20 * 10**9


def _check_hashes(hashes: Sequence[str], urls: Sequence[str]) -> tuple[str, ...]:
    out = tuple((h or "").strip().lower() for h in hashes)
    bad = [h for h in out if not SHA256.match(h)]
    if bad:
        raise VidgenError(f"'{bad[0]}' is not a sha256: give 64 hex digits (e.g. from `sha256sum FILE`).")
    if out and len(out) != len(urls):
        raise VidgenError(f"Give one sha256 per URL ({len(urls)} URLs, {len(out)} hashes), or none.")
    return out


def _with_config(kind: str, urls: list[str]) -> list[str]:
    """A Piper voice given by its .onnx alone takes the config published beside it (<url>.json)."""
    if kind == "voice" and len(urls) == 1 and urls[0].lower().endswith(".onnx"):
        return [urls[0], urls[0] + ".json"]
    return urls


def add_url(registry: Registry, urls: Sequence[str], kind: str, *, sha256: Sequence[str] = (), name: str = "",
            allow_pickle: bool = False) -> ModelSpec:
    """Register the files at `urls` as a user model of `kind` (not downloaded yet)."""
    check_kind(kind)
    if kind not in URL_KINDS:
        raise VidgenError(f"A {kind} model cannot come from a URL: URLs take kinds {', '.join(URL_KINDS)}.")
    backend, suffixes = URL_KINDS[kind]
    given = [url_fetch.check_url(u) for u in urls if (u or "").strip()]
    if not given:
        raise VidgenError("Give at least one https:// URL of the model's file.")
    hashes = _check_hashes(sha256, given)
    urls = _with_config(kind, given)
    hashes = hashes + ("",) * (len(urls) - len(hashes)) if hashes else ()
    names = [url_fetch.file_name(u) for u in urls]
    for n in names:
        if not n.lower().endswith(suffixes):
            raise VidgenError(f"{n} is not a {kind} file vidgen takes from a URL: use {', '.join(suffixes)}.")
        url_fetch.check_format(n, allow_pickle=allow_pickle)
    if len(set(names)) != len(names):
        raise VidgenError("Two URLs end in the same file name: each file of a model needs its own name.")
    if kind == "voice" and sorted(n.lower().endswith(".json") for n in names) != [False, True]:
        raise VidgenError("A Piper voice is two files: its .onnx and its .onnx.json config.")
    records = {s.id: s for s in registry.list()}
    for s in records.values():
        if s.source == "url" and s.urls == tuple(urls):
            raise VidgenError(f"{names[0]} is already registered as '{s.id}'.")
    main = next(n for n in names if not n.lower().endswith(".json"))
    spec = ModelSpec(
        id=new_id(Path(main).stem.split(".")[0], records), kind=kind, backend=backend,
        name=(name or "").strip() or Path(main).stem, source="url", urls=tuple(urls),
        sha256=hashes if any(hashes) else (), pickle=allow_pickle,
        weights=main if kind != "voice" else "",
        license="see the source of the file", user=True,
        notes=f"Added by the user from {urls[0].split('/')[2]}; "
              f"{'runs on' if has_runtime(kind, backend) else 'for'} the {backend} backend.")
    bad = spec.problems()
    if bad:
        raise VidgenError(f"Cannot add {main}: {'; '.join(bad)}.")
    return registry.keep(spec)


def files(spec: ModelSpec) -> list[Path]:
    """Where a url record's files are (downloaded or not)."""
    if not spec.folder:
        raise VidgenError(f"{spec.id} is a URL model: open it through the data folder's registry.")
    return [Path(spec.folder) / url_fetch.file_name(u) for u in spec.urls]


def local_path(spec: ModelSpec) -> Path:
    """The folder of a downloaded url record; VidgenError saying how to fetch it when a file is missing."""
    missing = [p.name for p in files(spec) if not p.is_file()]
    if missing:
        raise VidgenError(f"{spec.name} is not downloaded ({', '.join(missing)} missing): run "
                          f"`python -m vidgen models download {spec.id}`.")
    return Path(spec.folder)


def expected_hashes(spec: ModelSpec, state: dict[str, Any]) -> list[str]:
    """Each file's expected sha256: the record's, else the one measured at its first download ("" if none)."""
    measured = state.get("sha256") or []
    return [(spec.sha256[i] if i < len(spec.sha256) and spec.sha256[i] else
             (measured[i] if i < len(measured) else "")) for i in range(len(spec.urls))]


def download(registry: Registry, spec: ModelSpec, *, progress: Progress | None = None,
             max_bytes: int = DEFAULT_MAX_BYTES) -> Path:
    """Fetch every file of a url record (resuming a partial one), check each against its sha256, and
    keep the hashes measured when the record had none (so `models verify` can check them later)."""
    spec.check_runs()
    report = progress or (lambda fraction, message: None)
    expected = expected_hashes(spec, registry.state(spec.id))
    paths = files(spec)
    paths[0].parent.mkdir(parents=True, exist_ok=True)
    measured = []
    for i, (url, path, sha) in enumerate(zip(spec.urls, paths, expected)):
        def step(fraction: float, message: str, i: int = i) -> None:
            report((i + fraction) / len(paths), message)

        got = url_fetch.fetch(url, path.parent, sha256=sha, max_bytes=max_bytes, allow_pickle=spec.pickle,
                              progress=step, label=f"{spec.id}: {path.name}")
        measured.append(sha or url_fetch.sha256_of(got))
    if measured != expected:
        registry.set_hashes(spec.id, measured)
    report(1.0, f"{spec.name}: downloaded and verified")
    return Path(spec.folder)


def size(spec: ModelSpec) -> int:
    return sum(p.stat().st_size for p in files(spec) if p.is_file())


def remove(spec: ModelSpec) -> int:
    """Delete a url record's folder; returns the bytes freed."""
    freed = size(spec)
    shutil.rmtree(spec.folder, ignore_errors=True)
    return freed


def verify(registry: Registry, spec: ModelSpec) -> list[dict[str, Any]]:
    """Each file of a downloaded url record against its expected hash: [{file, ok, reason}]."""
    out = []
    for path, sha in zip(files(spec), expected_hashes(spec, registry.state(spec.id))):
        if not path.is_file():
            out.append({"file": path.name, "ok": False, "reason": "missing"})
        elif not sha:
            out.append({"file": path.name, "ok": True, "reason": "no hash known (downloaded before hashes were kept)"})
        else:
            got = url_fetch.sha256_of(path)
            out.append({"file": path.name, "ok": got == sha,
                        "reason": "sha256 matches" if got == sha else f"sha256 {got[:12]}… is not {sha[:12]}…"})
    return out
