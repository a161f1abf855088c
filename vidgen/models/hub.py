"""Model files on disk: downloads from the Hugging Face hub, storage info, compatibility checks.

Everything goes through `huggingface_hub` into the standard HF cache (`HF_HOME` / `HF_HUB_CACHE`
respected, `HF_TOKEN` used for gated repos), fetching only a record's `allow_patterns`.
`huggingface_hub` and `torch` are imported inside the functions: importing this module is free.

Ollama models live in the Ollama server (`OLLAMA_HOST`), which is asked through
`services.script.llm.client`: present = the server lists the tag (a server that does not answer
has nothing: False, within seconds), download = a pull with progress, remove = a delete.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
from pathlib import Path
from typing import Any, Callable

from ..errors import VidgenError, without_paths
from . import ollama_server, url_records
from .registry import ModelSpec, Registry

log = logging.getLogger(__name__)

GB = 1_000_000_000  # sizes in the registry are decimal gigabytes
TRUE = {"1", "on", "yes", "true"}
Progress = Callable[[float, str], None]


# ----------------------------------------------------------------------------- where files live

def hf_cache_dir() -> Path:
    """The HF hub cache folder, read from the environment at call time (HF_HUB_CACHE, HF_HOME, XDG)."""
    env = os.environ
    for key in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if env.get(key):
            return Path(env[key]).expanduser()
    home = env.get("HF_HOME") or os.path.join(env.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
    return Path(home).expanduser() / "hub"


def offline() -> bool:
    """HF_HUB_OFFLINE as set now (huggingface_hub reads it once at import)."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in TRUE:
        return True
    try:
        from huggingface_hub import constants
    except ImportError:
        return False
    return bool(constants.HF_HUB_OFFLINE)


def _label(spec: ModelSpec) -> str:
    return f"{spec.name} ({spec.repo})" if spec.repo and spec.repo != spec.name else spec.name


def _patterns(spec: ModelSpec) -> list[str] | None:
    return list(spec.allow_patterns) or None


def _fetch_hint(spec: ModelSpec) -> str:
    return (f"run `python -m vidgen models download {spec.id}` (or Download in the Models tab) on a machine with "
            f"internet, or copy its folder models--{spec.repo.replace('/', '--')} into {hf_cache_dir()}")


def _hub() -> Any:
    try:
        import huggingface_hub
    except ImportError as e:  # pragma: no cover - a base dependency
        raise VidgenError("huggingface_hub is not installed: `pip install huggingface_hub`.") from e
    return huggingface_hub


# ----------------------------------------------------------------------------- presence

def local_path(spec: ModelSpec) -> Path:
    """The snapshot folder of a downloaded HF model, found with no network (`local_files_only`); a
    URL model's folder in the data folder."""
    if spec.source == "url":
        return url_records.local_path(spec)
    if spec.source != "hf":
        raise VidgenError(f"{spec.name} is {'built in' if spec.source == 'builtin' else 'an ' + spec.source + ' model'}:"
                          " it has no files in the Hugging Face cache.")
    hub = _hub()
    from huggingface_hub import errors

    try:
        path = hub.snapshot_download(spec.repo, revision=spec.revision or "main", cache_dir=hf_cache_dir(),
                                     allow_patterns=_patterns(spec), local_files_only=True)
    except errors.IncompleteSnapshotError as e:
        raise VidgenError(f"{_label(spec)} is only partly downloaded: {_fetch_hint(spec)} to finish it.") from e
    except (errors.LocalEntryNotFoundError, FileNotFoundError, ValueError) as e:
        raise VidgenError(f"{_label(spec)} is not downloaded: {_fetch_hint(spec)}.") from e
    return Path(path)


def load_failure(spec: ModelSpec, exc: BaseException, folder: Path, as_what: str = "") -> VidgenError:
    """The answer when a downloaded model's files do not load: the model and the library's reason,
    never the server's folders (those go to the log, for the operator)."""
    log.warning("%s cannot be loaded from %s: %s", spec.id, folder, exc)
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    first = without_paths(first.replace(str(folder), "<model folder>"))[:200]
    return VidgenError(f"{_label(spec)} cannot be loaded{as_what}: {first}; "
                       f"run `python -m vidgen models download {spec.id}` again.")


def is_downloaded(spec: ModelSpec) -> bool:
    """Built-in models always are; HF models when their snapshot is in the cache; Ollama tags when the
    server (OLLAMA_HOST) lists them; False when that server does not answer."""
    if spec.source == "builtin" or spec.builtin:
        return True
    if spec.source == "ollama":
        return ollama_server.has_model(spec.repo)
    try:
        local_path(spec)
    except VidgenError:
        return False
    return True


# ----------------------------------------------------------------------------- download

def _progress_class(progress: Progress, label: str) -> type:
    """A tqdm class for `snapshot_download` that turns its bars into `progress(fraction, message)` calls."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    class Hook(hf_tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._bar = kwargs.get("name") or ""
            self._bytes = kwargs.get("unit") == "B"
            kwargs["disable"] = True  # the caller shows the progress (CLI bar, gr.Progress)
            super().__init__(*args, **kwargs)
            self._done = float(kwargs.get("initial") or 0)

        def update(self, n: float | None = 1) -> bool | None:
            self._done += float(n or 0)
            self.n = self._done
            total = float(self.total or 0)
            if not total or self._bar.endswith(".transfer"):  # network bytes: no reliable total
                return None
            fraction = min(self._done / total, 1.0)
            if self._bytes:
                progress(fraction, f"{label}: {self._done / 1e6:.1f} of {total / 1e6:.1f} MB")
            elif not self._bar:  # the per-file bar of the thread map
                progress(fraction, f"{label}: {int(self._done)} of {int(total)} files")
            return None

    return Hook


def download(spec: ModelSpec, *, progress: Progress | None = None) -> Path:
    """Fetch a model's needed files into the HF cache (resumable); returns its snapshot folder.

    Already in the cache: returned with no network. Offline or hub unreachable: a VidgenError that
    names the model and how to fetch it. A planned record (no runtime) is refused with one line."""
    spec.check_runs()  # a planned record: nothing would use its files
    report = progress or (lambda fraction, message: None)
    if spec.source == "builtin" or spec.builtin:
        report(1.0, f"{spec.name} is built in: nothing to download")
        return Path()
    if spec.source == "ollama":
        return _ollama_pull(spec, report)
    if spec.source == "url":  # its hashes live in the data folder: operations.download fetches it
        raise VidgenError(f"{spec.name} comes from a URL: run `python -m vidgen models download {spec.id}`.")
    if spec.source != "hf":
        raise VidgenError(f"{spec.name}: unknown source {spec.source!r}.")
    if offline():
        try:
            path = local_path(spec)
        except VidgenError as e:
            raise VidgenError(f"{_label(spec)} is not downloaded and the hub cannot be reached (HF_HUB_OFFLINE is "
                              f"set): {_fetch_hint(spec)}.") from e
        report(1.0, f"{spec.name}: already downloaded")
        return path
    need = int(spec.size_gb * GB)
    free = _disk_free()
    if need and free < need and not is_downloaded(spec):
        raise VidgenError(f"Not enough disk space for {_label(spec)}: it needs {need / GB:.1f} GB, {free / GB:.1f} GB "
                          f"free in {hf_cache_dir()}; free some space or point HF_HOME to a larger disk.")
    hub = _hub()
    from huggingface_hub import errors

    report(0.0, f"{spec.name}: starting download")
    try:
        path = hub.snapshot_download(spec.repo, revision=spec.revision or "main", cache_dir=hf_cache_dir(),
                                     allow_patterns=_patterns(spec), token=os.environ.get("HF_TOKEN") or None,
                                     tqdm_class=_progress_class(report, spec.name))
    except errors.GatedRepoError as e:
        raise VidgenError(f"{_label(spec)} is gated: accept its licence at https://huggingface.co/{spec.repo} and set "
                          "HF_TOKEN to a token of that account.") from e
    except errors.RevisionNotFoundError as e:
        raise VidgenError(f"{_label(spec)}: revision {spec.revision!r} does not exist on the hub.") from e
    except errors.RepositoryNotFoundError as e:
        raise VidgenError(f"{_label(spec)}: repository not found on the hub (check the repo id; a private repo needs "
                          "HF_TOKEN).") from e
    except errors.IncompleteSnapshotError as e:
        raise VidgenError(f"{_label(spec)} is only partly downloaded and the hub cannot be reached: "
                          f"{_fetch_hint(spec)}.") from e
    except errors.LocalEntryNotFoundError as e:
        raise VidgenError(f"{_label(spec)} is not downloaded and the hub cannot be reached: {_fetch_hint(spec)}.") from e
    except errors.HfHubHTTPError as e:
        raise VidgenError(f"Downloading {_label(spec)} failed: {str(e).splitlines()[0]}; run the download again "
                          "to resume.") from e
    except OSError as e:
        raise VidgenError(f"Downloading {_label(spec)} failed: {e}; run the download again to resume.") from e
    report(1.0, f"{spec.name}: downloaded")
    return Path(path)


def _ollama_pull(spec: ModelSpec, report: Progress) -> Path:
    """Pull through the Ollama server (its store, not the HF cache): returns Path() like a built-in."""
    if ollama_server.has_model(spec.repo):
        report(1.0, f"{spec.name}: already pulled")
        return Path()
    ollama_server.pull_model(spec.repo, report)
    report(1.0, f"{spec.name}: pulled")
    return Path()


# ----------------------------------------------------------------------------- storage

def cached_repos() -> dict[str, Any]:
    """repo id -> CachedRepoInfo of the models in the HF cache (empty when there is no cache yet)."""
    if not hf_cache_dir().is_dir():
        return {}
    hub = _hub()
    from huggingface_hub.errors import CacheNotFound

    try:
        info = hub.scan_cache_dir(hf_cache_dir())
    except CacheNotFound:
        return {}
    return {repo.repo_id: repo for repo in info.repos if repo.repo_type == "model"}


def remove(spec: ModelSpec) -> int:
    """Delete a model's files from the HF cache (every cached revision of its repo); returns the bytes freed."""
    if spec.source == "builtin" or spec.builtin:
        raise VidgenError(f"{spec.name} is built in: there is nothing to remove.")
    if spec.source == "ollama":
        return ollama_server.delete_model(spec.repo)
    if spec.source == "url":
        return url_records.remove(spec)
    repo = cached_repos().get(spec.repo)
    if repo is None:
        return 0
    hub = _hub()
    strategy = hub.scan_cache_dir(hf_cache_dir()).delete_revisions(*(r.commit_hash for r in repo.revisions))
    freed = int(strategy.expected_freed_size)
    strategy.execute()
    folder = Path(repo.repo_path)
    if folder.exists():  # refs or tree caches left behind
        shutil.rmtree(folder, ignore_errors=True)
    return freed


def _existing(path: Path) -> Path:
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _disk_free() -> int:
    return int(shutil.disk_usage(_existing(hf_cache_dir())).free)


def storage_info(registry: Registry) -> dict[str, Any]:
    """Size on disk per model and per kind, the cache folder and the free disk space."""
    repos = cached_repos()
    models, by_kind, counted = [], {}, set()
    total = 0
    for spec in registry.list():
        size = int(repos[spec.repo].size_on_disk) if spec.source == "hf" and spec.repo in repos else 0
        if spec.source == "ollama":  # on the Ollama server's disk, which may be another machine's
            size = int((ollama_server.find_model(spec.repo) or {}).get("size", 0))
        elif spec.source == "url":
            size = url_records.size(spec)
        models.append({"id": spec.id, "kind": spec.kind, "name": spec.name, "source": spec.source,
                       "repo": spec.repo, "downloaded": is_downloaded(spec), "bytes": size})
        by_kind[spec.kind] = by_kind.get(spec.kind, 0) + size
        if size and (spec.repo or spec.id) not in counted:  # two records may share a repo: count its files once
            counted.add(spec.repo or spec.id)
            total += size
    known = {s.repo for s in registry.list() if s.source == "hf"}
    other = [{"repo": r, "bytes": int(info.size_on_disk)} for r, info in sorted(repos.items()) if r not in known]
    return {"models": models, "by_kind": by_kind, "total_bytes": total, "other_repos": other,
            "cache_dir": str(hf_cache_dir()), "free_disk_bytes": _disk_free()}


# ----------------------------------------------------------------------------- device and compatibility

def _ram() -> tuple[int, int]:
    """(total, available) bytes of RAM: /proc/meminfo, else sysconf; (0, 0) when unknown."""
    try:
        fields = {}
        with open("/proc/meminfo") as f:
            for line in f:
                key, _, rest = line.partition(":")
                fields[key] = int(rest.split()[0]) * 1024
        return fields["MemTotal"], fields.get("MemAvailable", fields.get("MemFree", 0))
    except (OSError, KeyError, ValueError, IndexError):
        pass
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        return page * os.sysconf("SC_PHYS_PAGES"), page * os.sysconf("SC_AVPHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return 0, 0


def device_info() -> dict[str, Any]:
    """The compute device and its free memory: CUDA (via torch, imported here), MPS, else the CPU."""
    import importlib.util

    ram_total, ram_free = _ram()
    info: dict[str, Any] = {"device": "cpu", "name": platform.processor() or platform.machine() or "cpu",
                            "vram_total": 0, "vram_free": 0, "ram_total": ram_total, "ram_free": ram_free,
                            "disk_free": _disk_free()}
    if importlib.util.find_spec("torch") is None:
        return info
    try:
        import torch

        if torch.cuda.is_available():
            free, total = torch.cuda.mem_get_info()
            info.update(device="cuda", name=torch.cuda.get_device_name(0), vram_total=int(total), vram_free=int(free))
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            info.update(device="mps", name="Apple GPU (unified memory)", vram_total=ram_total, vram_free=ram_free)
    except Exception:  # a broken driver must not break the Models tab: fall back to the CPU
        pass
    return info


def compatibility(spec: ModelSpec, info: dict[str, Any] | None = None) -> dict[str, str]:
    """Can this machine run the model? {"status": ok | offload | cpu | too_large, "reason": ...}."""
    info = device_info() if info is None else info
    size, vram = int(spec.size_gb * GB), int(spec.vram_gb * GB)
    ram_free = int(info.get("ram_free") or 0)
    disk_free = int(info.get("disk_free") or 0)
    device = info.get("device", "cpu")

    def gb(n: int) -> str:
        return f"{n / GB:.1f} GB"

    if spec.source == "builtin" or spec.builtin:
        return {"status": "ok", "reason": "built in: runs on the CPU, nothing to download"}
    if spec.source == "hf" and size and disk_free < size and not is_downloaded(spec):
        return {"status": "too_large", "reason": f"needs {gb(size)} of disk, {gb(disk_free)} free "
                                                 f"({gb(size - disk_free)} short) in {hf_cache_dir()}"}
    if spec.source == "ollama":
        return {"status": "ok", "reason": "runs in the Ollama server, which manages its own memory"}
    need = max(vram, size)  # weights in memory at least as large as the fp16 need
    if device in ("cuda", "mps"):
        vram_free = int(info.get("vram_free") or 0)
        if vram_free >= vram:
            return {"status": "ok", "reason": f"{device}: needs {gb(vram)} VRAM, {gb(vram_free)} free"}
        if ram_free >= need:
            return {"status": "offload", "reason": f"{device}: needs {gb(vram)} VRAM but {gb(vram_free)} free; "
                                                   f"will use CPU offload ({gb(ram_free)} RAM free), slower"}
        return {"status": "too_large", "reason": f"{device}: needs {gb(vram)} VRAM, {gb(vram_free)} free, and "
                                                 f"{gb(need)} RAM for offload, {gb(ram_free)} free"}
    if ram_free and ram_free < need:
        return {"status": "too_large", "reason": f"no GPU, and it needs {gb(need)} RAM on the CPU, "
                                                 f"{gb(ram_free)} free"}
    return {"status": "cpu", "reason": f"no GPU: runs on the CPU ({gb(need)} RAM of {gb(ram_free)} free), "
                                       "very slow; a CUDA GPU with " + gb(vram) + " VRAM is recommended"}


def placed(pipe: Any, spec: ModelSpec, device: str, *, per: str = "run",
           on_offload: Callable[[Any], None] | None = None) -> Any:
    """A loaded diffusers pipeline put where it runs: as it is on the CPU (with the warning: expect
    minutes `per` image, clip, sound), with model CPU offload (and `on_offload(pipe)`, e.g. VAE tiling)
    when the compatibility check says so, else on `device`. Its progress bar is off: ours reports."""
    pipe.set_progress_bar_config(disable=True)
    if device == "cpu":
        log.warning("%s runs on the CPU: expect minutes per %s; a CUDA GPU with %.0f GB VRAM is recommended.",
                    spec.name, per, spec.vram_gb)
        return pipe
    if device.startswith("cuda") and compatibility(spec)["status"] == "offload":
        log.warning("%s: not enough free VRAM, using CPU offload (slower).", spec.name)
        pipe.enable_model_cpu_offload(device=device)
        if on_offload is not None:
            on_offload(pipe)
        return pipe
    return pipe.to(device)
