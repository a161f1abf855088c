"""`models bench ID`: what a model costs on this machine, measured before a render needs it.

    result = bench(registry_for(store), "sdxl-turbo", progress=lambda f, m: print(f"{f:4.0%} {m}"))
    summary(result)   # "load 4.2 s (0.9 s from RAM) · work 1.3 s · 7.1 GB"

In a model cache of its own (on the detected device, the process's GPU lane held for the whole bench,
so no render computes beside it), the model is

1. loaded from disk: the first `use`, timed (`load_disk_s`);
2. loaded from the CPU tier: moved to CPU memory (`ModelCache.offload`, as an eviction does), then
   used again, timed (`load_cpu_s`: the host-to-device copy). None with `load_cpu_reason` on the CPU
   (there is no offload tier), with model CPU offload (its parts move per call), or without room;
3. used for one unit of work through the entry point renders use, at its native settings
   (bench_work.py says what each kind's unit is), timed (`work_s`, `work` says what was made).

Peak memory (`peak_bytes`) is the most the device held above what it held before loading, during
all three: on CUDA torch's allocator peak (`max_memory_allocated`: tensors, not the CUDA context or
the allocator's spare blocks); elsewhere the process's resident memory (or MPS's allocation),
sampled every SAMPLE_SECONDS, which also counts the libraries a first load imports.

Built-in records (the painter, the camera, Piper, eSpeak NG, the composer, the visemes, the
synthesised sounds) load nothing through the cache: their load fields are None, and their work is
timed on a second run (the first, untimed, pays their one-off set-up: Piper's ONNX session, fonts).
The private cache is cleared at the end. Everything is measured; nothing is estimated.

torch is imported inside the functions that read its memory (as memory.py does): importing this
module loads no model library.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from ..errors import VidgenError
from . import hub
from .backends import runtime
from .bench_work import KINDS_LINE, prepare
from .cache import ModelCache
from .memory import detect_device
from .registry import ModelSpec, PackagedRecords

Progress = Callable[[float, str], None]

KINDS = ("image", "animation", "voice", "music", "lipsync", "sfx")
SAMPLE_SECONDS = 0.02  # between samples of the resident memory
NO_TIER = "the device is the CPU: there is no offload tier"
CPU_OFFLOAD = ("it runs with model CPU offload here (too little free device memory): its parts move to the "
               "device on every call, there is no CPU tier")
NO_ROOM = "the CPU offload tier has no room for it (too little free RAM): its next use loads it from disk"
BUILT_IN = "built in: there is no model to load"


# --- checks ----------------------------------------------------------------------------------

def benchable(registry: PackagedRecords, model_id: str) -> ModelSpec:
    """The record of `model_id` if it can be benched here; VidgenError (one line) saying why not."""
    spec = registry.get(model_id)
    spec.check_runs()
    if spec.kind not in KINDS:
        raise VidgenError(f"{spec.id} is an {spec.kind} model: {KINDS_LINE}.")
    if spec.builtin:
        return spec
    hint = f"run `python -m vidgen models download {spec.id}` first"
    if not hub.is_downloaded(spec):
        raise VidgenError(f"{spec.name} ({spec.id}) is not downloaded: {hint}.")
    for required in (registry.get(r) for r in spec.requires):
        if not hub.is_downloaded(required):
            raise VidgenError(f"{spec.name} loads with {required.name} ({required.id}), which is not downloaded: "
                              f"{hint}.")
    return spec


# --- memory ----------------------------------------------------------------------------------

def rss_bytes() -> int | None:
    """The process's resident memory (psutil, else /proc/self/statm); None when neither is there."""
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except ImportError:
        pass
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _mps_bytes() -> int | None:
    import torch

    return int(torch.mps.current_allocated_memory())


class PeakMemory:
    """The most `device` held above its level at entry, while the `with` block ran (`peak`, bytes;
    None when it cannot be read), and what was read (`where`)."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.peak: int | None = None
        self.where = ""
        self._probe: Callable[[], int | None] | None = None
        self._baseline = 0
        self._high = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "PeakMemory":
        if self.device.startswith("cuda"):
            import torch

            dev = torch.device(self.device)
            index = dev.index if dev.index is not None else torch.cuda.current_device()
            self.where = f"cuda:{index}"
            torch.cuda.synchronize(index)
            torch.cuda.reset_peak_memory_stats(index)
            self._baseline = int(torch.cuda.memory_allocated(index))
            return self
        self._probe, self.where = (_mps_bytes, "mps (allocated)") if self.device == "mps" \
            else (rss_bytes, "cpu (process RSS)")
        first = self._probe()
        if first is None:
            self._probe, self.where = None, ""
            return self
        self._baseline = self._high = first
        self._thread = threading.Thread(target=self._sample, name="vidgen-bench-memory", daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self._read()

    def _read(self) -> None:
        value = self._probe() if self._probe is not None else None
        if value is not None and value > self._high:
            self._high = value

    def __exit__(self, *exc: Any) -> None:
        if self.where.startswith("cuda"):
            import torch

            index = int(self.where.split(":")[1])
            torch.cuda.synchronize(index)
            self.peak = max(0, int(torch.cuda.max_memory_allocated(index)) - self._baseline)
            return
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._read()
            self.peak = max(0, self._high - self._baseline)


def _synchronize(device: str) -> None:
    """Wait for the device's queued work, so a timing ends when the work does."""
    torch = sys.modules.get("torch")
    if torch is not None and device.startswith("cuda") and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def _torch_version() -> str:
    torch = sys.modules.get("torch")
    if torch is not None:
        return str(torch.__version__)
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return ""


# --- the bench -------------------------------------------------------------------------------

def _timed_use(cache: ModelCache, spec: ModelSpec) -> float:
    start = time.perf_counter()
    with cache.use(spec):
        _synchronize(cache.device)
    return round(time.perf_counter() - start, 3)


def _from_cpu_tier(cache: ModelCache, spec: ModelSpec, status: str) -> tuple[float | None, str]:
    """(seconds of the next use once the model is in the CPU tier, or None; why it is None)."""
    if cache.device == "cpu":
        return None, NO_TIER
    if status == "offload":
        return None, CPU_OFFLOAD
    if not cache.offload(spec.id):
        return None, NO_ROOM
    return _timed_use(cache, spec), ""


def bench(registry: PackagedRecords, model_id: str, *, progress: Progress | None = None) -> dict[str, Any]:
    """Measure `model_id` on this machine (see the module docstring): a JSON-able dict
    {model, kind, device, load_disk_s, load_cpu_s, load_cpu_reason, work_s, work, made_s,
    peak_bytes, memory_on, measured_at, torch}; seconds rounded to the millisecond."""
    spec = benchable(registry, model_id)
    report = progress or (lambda fraction, message: None)
    device = "cpu" if spec.builtin else detect_device()
    status = ""
    if not spec.builtin:
        compat = hub.compatibility(spec)
        status = str(compat.get("status", ""))
        if status == "too_large":
            raise VidgenError(f"{spec.name} cannot run on this machine: {compat.get('reason', 'too large')}.")
    cache = ModelCache(resolve=registry.get, active=registry.active, device=device)
    result: dict[str, Any] = {"model": spec.id, "kind": spec.kind, "device": device, "load_disk_s": None,
                              "load_cpu_s": None, "load_cpu_reason": BUILT_IN if spec.builtin else ""}
    report(0.0, f"{spec.name}: starting (after any render in progress)")
    try:
        with cache.lane.hold(f"bench:{spec.id}"), tempfile.TemporaryDirectory(prefix="vidgen-bench-") as tmp:
            unit = prepare(spec, registry, cache, Path(tmp))
            with PeakMemory(device) as memory:
                if spec.builtin:
                    report(0.1, f"{spec.name}: a first run (untimed: its one-off set-up)")
                    unit()
                else:
                    runtime(spec).register_loaders(cache)
                    report(0.05, f"{spec.name}: loading from disk onto {device}")
                    result["load_disk_s"] = _timed_use(cache, spec)
                    report(0.45, f"{spec.name}: loading from the CPU tier")
                    result["load_cpu_s"], result["load_cpu_reason"] = _from_cpu_tier(cache, spec, status)
                    if cache.loaded(spec.id) != device:  # dropped for want of room: back before the work
                        with cache.use(spec):
                            pass
                report(0.55, f"{spec.name}: one unit of work")
                start = time.perf_counter()
                line, made = unit()
                _synchronize(device)
                work_s = round(time.perf_counter() - start, 3)
    finally:
        cache.clear()
    result.update(work_s=work_s, work=line, made_s=None if made is None else round(made, 3),
                  peak_bytes=memory.peak, memory_on=memory.where,
                  measured_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), torch=_torch_version())
    report(1.0, f"{spec.name}: {summary(result)}")
    return result


# --- showing it ------------------------------------------------------------------------------

def _seconds(s: float) -> str:
    if s < 0.1:
        return f"{s * 1000:.0f} ms"
    return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"


def _bytes(n: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def summary(result: dict[str, Any]) -> str:
    """A table cell: "load 4.2 s (0.9 s from RAM) · work 1.3 s · 7.1 GB" (the parts measured)."""
    parts = []
    disk, cpu = result.get("load_disk_s"), result.get("load_cpu_s")
    if disk is not None:
        parts.append(f"load {_seconds(disk)}" + (f" ({_seconds(cpu)} from RAM)" if cpu is not None else ""))
    if result.get("work_s") is not None:
        parts.append(f"work {_seconds(result['work_s'])}")
    if result.get("peak_bytes") is not None:
        parts.append(_bytes(int(result["peak_bytes"])))
    return " · ".join(parts)


__all__ = ["bench", "benchable", "summary", "PeakMemory", "rss_bytes", "KINDS", "SAMPLE_SECONDS"]
