"""Work functions for tests/test_ray_executor.py. Ray workers unpickle a function by importing its
module, so they live here (module level, importable with the repo root on PYTHONPATH)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from vidgen.errors import VidgenError

LOADS: dict[str, int] = {}  # model name -> times loaded in this (worker) process
_MODELS: dict[str, str] = {}


def _model(name: str) -> tuple[str, bool]:
    """A stand-in model, loaded once per process: (the model, loaded by this call)."""
    if name in _MODELS:
        return _MODELS[name], False
    time.sleep(0.05)
    LOADS[name] = LOADS.get(name, 0) + 1
    _MODELS[name] = f"model {name}"
    return _MODELS[name], True


def make(folder: str, name: str, *, model: str = "", sleep: float = 0.0, pid_file: str = "", marker: str = "",
         check: bool = False, progress=None, cancel=None):
    """Write `folder/name.txt` after `sleep` seconds (in ten slices, reporting progress, calling
    `cancel()` between them when `check`); `marker` is written only after the whole sleep."""
    if pid_file:
        Path(pid_file).write_text(str(os.getpid()))
    loaded = _model(model)[1] if model else False
    for i in range(10):
        time.sleep(sleep / 10)
        if progress is not None:
            progress((i + 1) / 10)
        if check:
            cancel()
    if marker:
        Path(marker).write_text("slept to the end")
    out = Path(folder) / f"{name}.txt"
    out.write_text(f"{name} by {os.getpid()}")
    return {"text": (out, "text")}, {"loaded": loaded, "loads": LOADS.get(model, 0)}


def fail(message: str, progress=None, cancel=None):
    raise VidgenError(message)


def _tiny_linear(spec, device):
    """A tiny random-weight torch model (the loader the model cache calls on a miss)."""
    import torch

    torch.manual_seed(0)
    return torch.nn.Linear(4, 2).to(device)


def cached_model_work(folder: str, name: str, *, progress=None, cancel=None):
    """One unit of work through the worker process's own model cache (vidgen.models.cache.get_cache),
    the way a backend uses it: the same tiny model for every call; says what the cache counted."""
    import torch

    from vidgen.models.cache import get_cache
    from vidgen.models.records import ModelSpec

    torch.set_num_threads(1)
    cache = get_cache()
    cache.register_loader("tiny-linear", _tiny_linear)
    spec = ModelSpec(id="tiny-linear", kind="image", backend="tiny-linear", name="tiny", source="builtin", builtin=True)
    with cache.use(spec) as model:
        value = float(model(torch.ones(1, 4)).sum())
    out = Path(folder) / f"{name}.txt"
    out.write_text(f"{value:.6f}")
    stats = cache.stats()
    return {"text": (out, "data")}, {"misses": stats["misses"], "hits": stats["hits"], "pid": os.getpid()}
