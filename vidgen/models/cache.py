"""The model cache: every loaded model lives here, and one model computes at a time.

    with get_cache().use(spec) as pipe:  # a ModelSpec from the store's registry
        image = pipe(prompt).images[0]

`use` holds the process's GPU lane (`vidgen.jobs.LANE`, the same FIFO lock renders hold), loads
the model on first use with its backend's loader, measures its real size from its parameters
and buffers, and keeps it resident. Before a model is loaded, least-recently-used models are
evicted until it fits the budget (free device memory minus an inference reserve; ComfyUI's
`free_memory(required, device, keep_loaded)`); pinned models and models in use are never
evicted. On CUDA an evicted model first moves to CPU memory when the CPU budget allows, so its
next use is a host-to-device copy instead of a load from disk. Out of memory inside `use` frees
every model, fails that job with a clear message, and leaves the cache ready for the next job.

Nothing loads, and torch is not imported, at import or construction time (probes and sizes: `memory.py`).
The lane's hold is re-entrant per thread: a render holds it for its whole work, and the `use` calls inside do
not wait for it again. A model loaded from other files under the same id (`models use`) is loaded again.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Iterator

from ..errors import VidgenError
from ..jobs import LANE, GpuLane
from .memory import (CPU_RESERVE, GiB, Handle, detect_device, device_free, env_gib, files_of, gib, is_oom,
                     model_bytes, move_to, ram_available)
from .registry import ModelSpec

log = logging.getLogger(__name__)

Loader = Callable[[ModelSpec, str], Any]  # (spec, device) -> model on that device


# --- the cache -------------------------------------------------------------------------------

class ModelCache:
    """Loaded models, an LRU budget on the device, a CPU offload tier, and the GPU lane."""

    def __init__(self, *, loaders: dict[str, Loader] | None = None,
                 resolve: Callable[[str], ModelSpec] | None = None,
                 device: str | None = None,
                 budget_bytes: int | None = None,
                 reserve_bytes: int = GiB,
                 cpu_budget_bytes: int | None = None,
                 free_memory: Callable[[], int] | None = None,
                 lane: GpuLane | None = None,
                 active: Callable[[str], ModelSpec] | None = None) -> None:
        """`resolve`: model id -> spec, and `active`: kind -> spec of the active model, both from the
        creator's registry (e.g. `registry_for(store).get` / `.active`); without them the cache
        takes specs only (a registry of its own would not see the store's models and activations).
        `free_memory`: free bytes on the device, with the cache's own models counted as used
        (default: torch's probe for the device)."""
        if budget_bytes is not None and budget_bytes < 0:
            raise VidgenError(f"The model cache budget must be >= 0 bytes, not {budget_bytes}.")
        self.loaders: dict[str, Loader] = dict(loaders or {})
        self._resolve_fn = resolve
        self._active_fn = active
        self._device = device
        self.budget_bytes = budget_bytes
        self.reserve_bytes = reserve_bytes
        self.cpu_budget_bytes = cpu_budget_bytes
        self._free_memory = free_memory
        self.lane = lane or LANE
        self._lock = threading.Lock()  # bookkeeping: the two tiers, pins, counters
        self._load_lock = threading.RLock()  # one load/move/evict at a time, even with a multi-slot lane
        self._on_device: OrderedDict[str, Handle] = OrderedDict()  # least recently used first
        self._offloaded: OrderedDict[str, Handle] = OrderedDict()  # on CPU, least recently used first
        self._pinned: set[str] = set()
        self._known_bytes: dict[str, int] = {}  # measured sizes, for fitting before a reload
        self._counts = dict(hits=0, misses=0, offload_hits=0, evictions=0, offloads=0, drops=0, ooms=0)
        self._load_seconds = 0.0
        self._reload_seconds = 0.0

    # -- configuration -------------------------------------------------------------------------

    @property
    def device(self) -> str:
        if self._device is None:
            self._device = detect_device()
        return self._device

    def register_loader(self, backend: str, loader: Loader) -> None:
        self.loaders[backend] = loader

    def resolve(self, model: ModelSpec | str) -> ModelSpec:
        """A spec from a model id (or a spec, returned as is)."""
        if not isinstance(model, str):
            return model
        if self._resolve_fn is None:
            raise VidgenError(f"This model cache was made without a registry: pass the model '{model}' as its "
                              "ModelSpec, or make the cache with resolve=registry_for(store).get.")
        return self._resolve_fn(model)

    def _active(self, kind: str) -> ModelSpec:
        if self._active_fn is None:
            raise VidgenError(f"This model cache was made without a registry: it cannot tell the active {kind} "
                              "model; make it with active=registry_for(store).active.")
        return self._active_fn(kind)

    def budget(self) -> int:
        """Bytes the cache may keep on the device now: the override, else free memory (with the
        cache's own models counted as free) minus the inference reserve."""
        if self.budget_bytes is not None:
            return self.budget_bytes
        free = self._free_memory() if self._free_memory else device_free(self.device)
        with self._lock:
            mine = sum(h.bytes for h in self._on_device.values())
        return max(0, int(free) + mine - self.reserve_bytes)

    def cpu_budget(self) -> int:
        """Bytes the offload tier may hold: the override, else available RAM minus a reserve."""
        if self.cpu_budget_bytes is not None:
            return self.cpu_budget_bytes
        with self._lock:
            mine = sum(h.bytes for h in self._offloaded.values())
        return max(0, ram_available() + mine - CPU_RESERVE)

    @property
    def _offloads(self) -> bool:
        return self.device != "cpu"  # moving a CPU model "to CPU" would free nothing

    # -- use ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def use(self, model_id: ModelSpec | str) -> Iterator[Any]:
        """Hold the GPU lane, load `model_id` if needed, and yield the model."""
        spec = self.resolve(model_id)
        with self.lane.hold(spec.id):
            with self._guard(spec):
                handle = self._acquire(spec)
            try:
                with self._guard(spec):
                    yield handle.model
            finally:
                with self._lock:
                    handle.in_use -= 1
                    handle.last_used = time.time()

    @contextlib.contextmanager
    def use_active(self, kind: str) -> Iterator[Any]:
        """`use` the active model of `kind`, looked up when the lane is ours: activating another
        model takes effect on the next use (hot swap); the old one stays cached until evicted."""
        with self.lane.hold(f"active:{kind}"):
            spec = self._active(kind)
            with self.use(spec) as model:
                yield model

    @contextlib.contextmanager
    def _guard(self, spec: ModelSpec) -> Iterator[None]:
        """Out of memory -> free every model and fail with a message that says what to do."""
        try:
            yield
        except VidgenError:
            raise
        except BaseException as e:
            if not is_oom(e):
                raise
            self.clear()
            with self._lock:
                self._counts["ooms"] += 1
            where = "memory" if self._device == "cpu" else "GPU memory"
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            raise VidgenError(f"Out of {where} running {getattr(spec, 'name', '') or spec.id}: {first}; "
                              "the cache was cleared, try again or use a smaller model.") from e

    def _acquire(self, spec: ModelSpec) -> Handle:
        """The handle for `spec`, on the device, marked in use (caller holds the lane)."""
        mid = spec.id
        with self._load_lock:
            self._drop_other_version(spec)
            with self._lock:
                handle = self._on_device.get(mid)
                if handle is not None:
                    self._on_device.move_to_end(mid)
                    handle.in_use += 1
                    handle.last_used = time.time()
                    self._counts["hits"] += 1
                    return handle
                offloaded = self._offloaded.get(mid)
                need = self._known_bytes.get(mid) or int(float(getattr(spec, "vram_gb", 0) or 0) * GiB)
            budget = self.budget()
            self._check_fits(spec, need, budget)
            self._make_room(need, budget, keep=mid)
            start = time.perf_counter()
            if offloaded is not None:  # the cheap reload: host-to-device copy
                with self._lock:
                    self._offloaded.pop(mid, None)
                    offloaded.in_use += 1  # not evictable while it moves
                try:
                    offloaded.model = move_to(offloaded.model, self.device)
                except BaseException:
                    with self._lock:
                        offloaded.in_use -= 1
                    self._drop(offloaded)
                    raise
                handle = offloaded
                handle.device = self.device
                kind = "offload_hits"
            else:
                loader = self.loaders.get(spec.backend)
                if loader is None:
                    raise VidgenError(f"No loader for backend '{spec.backend}' (model '{mid}'): "
                                      "its backend is not installed or not registered with the model cache.")
                model = loader(spec, self.device)
                handle = Handle(spec, model, model_bytes(model), self.device, in_use=1)
                kind = "misses"
            seconds = time.perf_counter() - start
            with self._lock:
                self._on_device[mid] = handle
                self._known_bytes[mid] = handle.bytes
                handle.last_used = time.time()
                self._counts[kind] += 1
                if kind == "misses":
                    self._load_seconds += seconds
                else:
                    self._reload_seconds += seconds
            # The real size may differ from the estimate: make room again now that it is known.
            try:
                self._check_fits(spec, handle.bytes, budget)
                self._make_room(0, budget, keep=mid)
            except VidgenError:
                with self._lock:
                    handle.in_use -= 1
                self._drop(handle)
                raise
            log.info("model cache: %s %s (%s) in %.2f s", "loaded" if kind == "misses" else "reloaded",
                     mid, gib(handle.bytes), seconds)
            return handle

    def _drop_other_version(self, spec: ModelSpec) -> None:
        """Free a model loaded from other files under this id (another revision, after `models use`)."""
        with self._lock:
            old = self._on_device.get(spec.id) or self._offloaded.get(spec.id)
        if old is not None and not old.in_use and files_of(old.spec) != files_of(spec):
            log.info("model cache: %s changed revision (%s -> %s)", spec.id, old.spec.revision, spec.revision)
            self._drop(old)

    def _check_fits(self, spec: ModelSpec, need: int, budget: int) -> None:
        with self._lock:
            kept = [h for h in self._on_device.values()
                    if h.id != spec.id and (h.id in self._pinned or h.in_use)]
        kept_bytes = sum(h.bytes for h in kept)
        if need and need + kept_bytes > budget:
            names = ", ".join(f"{h.id} {gib(h.bytes)}" for h in kept)
            raise VidgenError(
                f"Model {spec.id} needs {gib(need)} but the model cache budget on {self.device} is "
                f"{gib(budget)}" + (f" and pinned or busy models keep {gib(kept_bytes)} ({names})" if kept else "")
                + ": free memory, unpin a model, raise the budget, or use a smaller model.")

    def _make_room(self, need: int, budget: int, *, keep: str) -> None:
        """Evict least-recently-used models until the device's models plus `need` fit `budget`."""
        while True:
            with self._lock:
                used = sum(h.bytes for h in self._on_device.values())
                if used + need <= budget:
                    return
                victim = next((h for h in self._on_device.values()
                               if h.id != keep and h.id not in self._pinned and not h.in_use), None)
                if victim is None:
                    return  # `_check_fits` said what cannot fit
                del self._on_device[victim.id]
                self._counts["evictions"] += 1
            self._demote(victim)

    def _demote(self, handle: Handle) -> None:
        """Move an evicted model to the CPU offload tier if it fits there, else drop it."""
        if self._offloads:
            cpu_budget = self.cpu_budget()
            with self._lock:
                room = handle.bytes <= cpu_budget
                victims = []
                held = sum(h.bytes for h in self._offloaded.values())
                for h in list(self._offloaded.values()):  # oldest first
                    if not room or held + handle.bytes <= cpu_budget:
                        break
                    victims.append(self._offloaded.pop(h.id))
                    held -= h.bytes
            for v in victims:
                self._drop(v)
            if room:
                try:
                    handle.model = move_to(handle.model, "cpu")
                except Exception as e:  # a model that cannot move is dropped, never half-kept
                    if not is_oom(e):
                        log.warning("model cache: could not move %s to CPU (%s); dropping it", handle.id, e)
                    self._drop(handle)
                    return
                handle.device = "cpu"
                with self._lock:
                    self._offloaded[handle.id] = handle
                    self._counts["offloads"] += 1
                self._free_device_cache()
                return
        self._drop(handle)

    def _drop(self, handle: Handle) -> None:
        with self._lock:
            self._on_device.pop(handle.id, None)
            self._offloaded.pop(handle.id, None)
            self._counts["drops"] += 1
        handle.model = None
        gc.collect()
        self._free_device_cache()

    def _free_device_cache(self) -> None:
        if self._device and self._device.startswith("cuda"):
            torch = sys.modules.get("torch")
            if torch is not None and torch.cuda.is_initialized():
                torch.cuda.empty_cache()

    # -- management -----------------------------------------------------------------------------

    def pin(self, model_id: ModelSpec | str) -> None:
        """Never evict this model (it may be loaded later; the pin waits for it)."""
        with self._lock:
            self._pinned.add(self._id(model_id))

    def unpin(self, model_id: ModelSpec | str) -> None:
        with self._lock:
            self._pinned.discard(self._id(model_id))

    @staticmethod
    def _id(model: ModelSpec | str) -> str:
        return model if isinstance(model, str) else model.id

    def evict(self, model_id: ModelSpec | str) -> bool:
        """Free a model from the device and from CPU memory; True if it was loaded. A pinned or busy
        model is freed too: its current user keeps its reference until it is done."""
        mid = self._id(model_id)
        with self._load_lock:
            with self._lock:
                handle = self._on_device.get(mid) or self._offloaded.get(mid)
                if handle is not None:
                    self._counts["evictions"] += mid in self._on_device
            if handle is None:
                return False
            self._drop(handle)
            return True

    def offload(self, model_id: ModelSpec | str) -> bool:
        """Move a model to the CPU offload tier now, as an eviction would; True if it is there (False: not on
        the device, in use, a CPU device with no tier, or no room there, when it is dropped)."""
        mid = self._id(model_id)
        with self._load_lock:
            with self._lock:
                handle = self._on_device.get(mid)
                if handle is None or handle.in_use or not self._offloads:
                    return False
                del self._on_device[mid]
            self._demote(handle)
            with self._lock:
                return mid in self._offloaded

    def clear(self) -> None:
        """Free every model (pins are kept for when they load again)."""
        with self._load_lock:
            with self._lock:
                handles = list(self._on_device.values()) + list(self._offloaded.values())
                self._counts["evictions"] += len(self._on_device)
                self._on_device.clear()
                self._offloaded.clear()
                self._counts["drops"] += len(handles)
            for h in handles:
                h.model = None
            del handles
            gc.collect()
            self._free_device_cache()

    def loaded(self, model_id: ModelSpec | str) -> str | None:
        """Where a model is: the device name, "cpu" (offload tier), or None."""
        mid = self._id(model_id)
        with self._lock:
            h = self._on_device.get(mid) or self._offloaded.get(mid)
            return h.device if h else None

    def stats(self) -> dict:
        """Resident models (device first, most recent first), bytes, counters and load seconds."""
        with self._lock:
            def row(h: Handle, tier: str) -> dict:
                return {"id": h.id, "bytes": h.bytes, "device": h.device, "tier": tier,
                        "pinned": h.id in self._pinned, "in_use": h.in_use > 0, "last_used": h.last_used}

            resident = ([row(h, "device") for h in reversed(self._on_device.values())]
                        + [row(h, "offload") for h in reversed(self._offloaded.values())])
            return {
                "device": self._device or "",  # "" until the first use detects it
                "budget_bytes": self.budget_bytes,
                "resident": resident,
                "bytes": sum(h.bytes for h in self._on_device.values()),
                "offloaded_bytes": sum(h.bytes for h in self._offloaded.values()),
                "pinned": sorted(self._pinned),
                **self._counts,
                "load_seconds": round(self._load_seconds, 3),
                "reload_seconds": round(self._reload_seconds, 3),
            }


_cache: ModelCache | None = None  # the process's
_cache_lock = threading.Lock()


def get_cache() -> ModelCache:
    """The process-wide cache, created on first call (nothing is loaded or probed then).
    VIDGEN_MODEL_BUDGET_GB, VIDGEN_MODEL_RESERVE_GB and VIDGEN_CPU_OFFLOAD_GB override the budgets."""
    global _cache
    with _cache_lock:
        if _cache is None:
            reserve = env_gib("VIDGEN_MODEL_RESERVE_GB")
            _cache = ModelCache(budget_bytes=env_gib("VIDGEN_MODEL_BUDGET_GB"),
                                reserve_bytes=GiB if reserve is None else reserve,
                                cpu_budget_bytes=env_gib("VIDGEN_CPU_OFFLOAD_GB"))
        return _cache
