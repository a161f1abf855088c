"""Memory of models and devices: bytes a model holds, free memory per device, out-of-memory errors,
budget overrides from the environment, and the `Handle` the cache keeps per loaded model.

The model cache's probes, apart from its eviction logic so that each reads on its own. torch is
imported inside the functions (or looked up in `sys.modules`): importing this module is free.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..errors import VidgenError
from .registry import ModelSpec

GiB = 1 << 30
CPU_RESERVE = 2 * GiB  # RAM left to the rest of the process when offloading / budgeting on CPU


# --- sizes -----------------------------------------------------------------------------------

def _tensors(obj: Any) -> Iterator[Any]:
    """Parameters and buffers of a torch module, or of each component of a pipeline."""
    components = getattr(obj, "components", None)
    if isinstance(components, dict):  # diffusers pipelines: unet, vae, text encoders, ...
        for part in components.values():
            if part is not None and part is not obj:
                yield from _tensors(part)
        return
    params = getattr(obj, "parameters", None)
    if callable(params):
        try:
            yield from params()
            buffers = getattr(obj, "buffers", None)
            if callable(buffers):
                yield from buffers()
        except TypeError:  # a `parameters` that is not torch's
            return


def model_bytes(model: Any) -> int:
    """Bytes held by a model's parameters and buffers, each tensor's storage counted once."""
    seen: set[Any] = set()
    total = 0
    for t in _tensors(model):
        try:
            storage = t.untyped_storage()
            key = (str(t.device), storage.data_ptr()) if storage.data_ptr() else id(t)
            size = storage.nbytes() if storage.data_ptr() else t.numel() * t.element_size()
        except (AttributeError, RuntimeError):  # meta tensors, tensor subclasses
            key, size = id(t), t.numel() * t.element_size()
        if key in seen:
            continue
        seen.add(key)
        total += size
    return total


# --- probes (torch imported only when a model is used) ---------------------------------------

def detect_device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def ram_available() -> int:
    """Available RAM in bytes (MemAvailable on Linux)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def device_free(device: str) -> int:
    """Free memory on `device`; memory the cache's models hold counts as used."""
    if device.startswith("cuda"):
        import torch

        free, _total = torch.cuda.mem_get_info(torch.device(device))
        # Blocks torch's caching allocator keeps but no tensor uses are free to us.
        return int(free + torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device))
    if device == "mps":
        import torch

        return int(torch.mps.recommended_max_memory() - torch.mps.driver_allocated_memory())
    return ram_available()


def is_oom(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    torch = sys.modules.get("torch")
    oom = getattr(getattr(torch, "cuda", None), "OutOfMemoryError", None) if torch else None
    if oom is not None and isinstance(exc, oom):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def move_to(model: Any, device: str) -> Any:
    moved = model.to(device)
    return model if moved is None else moved


def gib(n: float) -> str:
    return f"{n / GiB:.2f} GiB"


def env_gib(name: str) -> int | None:
    """Bytes from a GiB count in the environment variable `name` (None when unset)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return int(float(value) * GiB)
    except ValueError:
        raise VidgenError(f"{name} must be a number of GiB, not {value!r}.") from None


def files_of(spec: Any) -> tuple[str, str, str, str]:
    """What names a record's files (a spec built by hand, in a test, may lack the newer fields)."""
    return (getattr(spec, "repo", ""), getattr(spec, "revision", ""), getattr(spec, "folder", ""),
            getattr(spec, "backend", ""))


@dataclass
class Handle:
    """A loaded model and what the cache knows of it (ComfyUI's ModelPatcher, minus patching)."""

    spec: ModelSpec
    model: Any
    bytes: int
    device: str  # where its weights are now: the cache's device, or "cpu" in the offload tier
    last_used: float = field(default_factory=time.time)
    in_use: int = 0

    @property
    def id(self) -> str:
        return self.spec.id
