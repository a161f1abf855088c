"""The model cache, on CPU: small real torch modules of known size, and a simulated CUDA device
(a fake GPU whose free memory is what the models moved onto it leave; ComfyUI tests eviction the
same way, with fake handles and a patched free-memory probe)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from vidgen.errors import VidgenError
from vidgen.jobs import LANE, GpuLane
from vidgen.models import cache as cache_mod
from vidgen.models.cache import ModelCache, model_bytes

KiB = 1024


@dataclass(frozen=True)
class Spec:
    id: str
    backend: str = "fake"
    kind: str = "image"
    name: str = ""
    vram_gb: float = 0.0


def linear(kib: int) -> nn.Module:
    """A module of exactly `kib` KiB of fp32 weights."""
    return nn.Linear(256, kib, bias=False)


class FakeGPU:
    """Free memory of a simulated CUDA device: what the models on it leave of `total`."""

    def __init__(self, total: int):
        self.total = total
        self.used: dict[int, int] = {}
        self.other = 0  # memory held by someone else

    def free(self) -> int:
        return self.total - self.other - sum(self.used.values())


class FakeModel:
    """A real module behind a `.to()` that records where it was sent (no CUDA needed)."""

    def __init__(self, module: nn.Module, gpu: FakeGPU | None, device: str):
        self.module = module
        self.gpu = gpu
        self.moves: list[str] = []
        self.device = "cpu"
        self.to(device)
        if gpu is not None:
            key = id(self)
            weakref.finalize(self, gpu.used.pop, key, None)

    def parameters(self):
        return self.module.parameters()

    def buffers(self):
        return self.module.buffers()

    def to(self, device: str) -> "FakeModel":
        self.moves.append(device)
        self.device = device
        if self.gpu is not None:
            if device == "cuda":
                self.gpu.used[id(self)] = model_bytes(self.module)
            else:
                self.gpu.used.pop(id(self), None)
        return self


class Loader:
    """A backend loader building models of known sizes; counts its calls."""

    def __init__(self, sizes: dict[str, int], gpu: FakeGPU | None = None):
        self.sizes = sizes
        self.gpu = gpu
        self.calls: list[str] = []

    def __call__(self, spec: Spec, device: str):
        self.calls.append(spec.id)
        module = linear(self.sizes[spec.id])
        return FakeModel(module, self.gpu, device) if self.gpu is not None else module


def make(sizes: dict[str, int], *, gpu: FakeGPU | None = None, lane: GpuLane | None = None, **kw):
    loader = Loader(sizes, gpu)
    kw.setdefault("resolve", lambda mid: Spec(mid, name=mid.upper()))
    if gpu is not None:
        kw.setdefault("device", "cuda")
        kw.setdefault("free_memory", gpu.free)
        kw.setdefault("reserve_bytes", 0)
    else:
        kw.setdefault("device", "cpu")
    return ModelCache(loaders={"fake": loader}, lane=lane or GpuLane(), **kw), loader


def ids(cache: ModelCache, tier: str = "device") -> list[str]:
    return [r["id"] for r in cache.stats()["resident"] if r["tier"] == tier]


# --- sizes -----------------------------------------------------------------------------------

def test_model_bytes_counts_parameters_buffers_once():
    assert model_bytes(nn.Linear(10, 20)) == (200 + 20) * 4
    bn = nn.BatchNorm1d(8)  # weight, bias, running mean/var (fp32) + num_batches_tracked (int64)
    assert model_bytes(bn) == 4 * 8 * 4 + 8
    tied = nn.Sequential(nn.Linear(4, 4, bias=False), nn.Linear(4, 4, bias=False))
    tied[1].weight = tied[0].weight
    assert model_bytes(tied) == 16 * 4
    half = nn.Linear(16, 16, bias=False).half()
    assert model_bytes(half) == 256 * 2


def test_model_bytes_of_a_pipeline_sums_unique_components():
    unet, vae = linear(3), linear(2)

    class Pipe:
        components = {"unet": unet, "vae": vae, "vae_again": vae, "tokenizer": object(), "scheduler": None}

    assert model_bytes(Pipe()) == 5 * KiB
    assert model_bytes(object()) == 0  # e.g. a built-in backend with no torch weights


def test_nothing_loads_at_import_or_construction():
    code = "import sys, vidgen.models.cache as c; c.get_cache(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    cache, loader = make({"a": 1})
    assert cache.stats()["resident"] == [] and loader.calls == []
    assert ModelCache().lane is LANE  # the process's one GPU lane, not a lock of its own


# --- budget, LRU, pins -----------------------------------------------------------------------

def test_lru_eviction_order_and_budget_respected():
    cache, loader = make({k: 1 for k in "abcde"}, budget_bytes=3 * KiB)
    for mid in "abc":
        with cache.use(mid) as m:
            assert model_bytes(m) == KiB
    with cache.use("a"):  # a is now the most recent
        pass
    with cache.use("d"):
        assert cache.stats()["bytes"] <= 3 * KiB
    assert cache.loaded("b") is None and ids(cache) == ["d", "a", "c"]  # most recent first
    with cache.use("e"):
        pass
    assert cache.loaded("c") is None and ids(cache) == ["e", "d", "a"]
    assert loader.calls == list("abcde")
    s = cache.stats()
    assert (s["hits"], s["misses"], s["evictions"], s["offloads"]) == (1, 5, 2, 0)  # CPU: evicted = dropped


def test_budget_respected_after_every_load_with_mixed_sizes():
    sizes = {"a": 2, "b": 3, "c": 1, "d": 4, "e": 2, "f": 5}
    budget = 6 * KiB
    cache, _ = make(sizes, budget_bytes=budget)
    for mid in "abcdefacebdf":
        with cache.use(mid):
            assert cache.stats()["bytes"] <= budget
            assert mid in ids(cache)


def test_pinned_models_are_never_evicted():
    cache, _ = make({"a": 1, "b": 1, "c": 1, "d": 1}, budget_bytes=2 * KiB)
    cache.pin("a")
    for mid in "abcd":
        with cache.use(mid):
            pass
    assert ids(cache) == ["d", "a"]
    assert cache.stats()["resident"][1]["pinned"] is True
    cache.unpin("a")
    with cache.use("b"):
        pass
    assert ids(cache) == ["b", "d"]


def test_a_model_too_large_for_the_budget_is_an_error_with_sizes():
    cache, loader = make({"a": 1, "big": 2}, budget_bytes=2 * KiB)
    cache.pin("a")
    with cache.use("a"):
        pass
    with pytest.raises(VidgenError, match=r"(?s)needs 0\.00 GiB.*pinned.*a 0\.00 GiB"):
        with cache.use("big"):
            pass
    assert ids(cache) == ["a"] and cache.stats()["bytes"] <= 2 * KiB  # the new one was freed again
    # Known too large before loading (record's VRAM need): the loader is not even called.
    cache2, loader2 = make({"x": 1}, budget_bytes=GIB_HALF, resolve=lambda mid: Spec(mid, vram_gb=1.0))
    with pytest.raises(VidgenError, match=r"x needs 1\.00 GiB .* budget on cpu is 0\.50 GiB"):
        with cache2.use("x"):
            pass
    assert loader2.calls == []


GIB_HALF = 1 << 29


def test_nested_use_on_one_thread_holds_the_lane_once_and_keeps_busy_models():
    cache, _ = make({"a": 1, "b": 1, "c": 1}, budget_bytes=2 * KiB)
    with cache.use("a") as a:
        with cache.use("b"):
            pass
        with cache.use("c"):  # must evict b, not a (in use)
            assert cache.loaded("a") == "cpu" and cache.loaded("b") is None
        assert isinstance(a, nn.Module)
    assert cache.lane.holders == [] and len(cache.lane.history) == 1


def test_lane_held_by_the_caller_is_not_waited_for():
    lane = GpuLane()
    cache, _ = make({"a": 1}, budget_bytes=KiB, lane=lane)
    done = []

    def job():
        with lane.hold("job-1"):  # a render job holding the lane for its work (the hold is re-entrant)
            with cache.use("a"):
                done.append(True)

    t = threading.Thread(target=job)
    t.start()
    t.join(5)
    assert done == [True] and not t.is_alive()


# --- simulated CUDA: probe, offload tier, OOM -------------------------------------------------

def test_cuda_budget_is_free_memory_minus_reserve():
    fake = FakeGPU(total=5 * KiB)
    fake.other = KiB  # held by something else
    cache, _ = make({k: 1 for k in "abcdef"}, gpu=fake, reserve_bytes=KiB, cpu_budget_bytes=0)
    assert cache.budget() == 3 * KiB
    for mid in "abcdef":
        with cache.use(mid):
            assert cache.stats()["bytes"] <= 3 * KiB
            assert fake.free() >= KiB  # the inference reserve is left free
    assert len(ids(cache)) == 3


def test_cuda_eviction_moves_to_cpu_first_and_reload_is_a_hit_from_offload():
    fake = FakeGPU(total=2 * KiB)
    cache, loader = make({"a": 1, "b": 1, "c": 1}, gpu=fake, cpu_budget_bytes=10 * KiB)
    with cache.use("a") as a:
        pass
    with cache.use("b"):
        pass
    with cache.use("c"):  # evicts a to CPU memory
        assert cache.loaded("a") == "cpu" and a.device == "cpu"
        assert fake.free() == 0
    assert ids(cache, "offload") == ["a"]
    with cache.use("a") as again:  # moved back, not loaded from disk; b goes to CPU
        assert again is a and a.device == "cuda"
    assert loader.calls == ["a", "b", "c"] and a.moves == ["cuda", "cpu", "cuda"]
    s = cache.stats()
    assert (s["misses"], s["offload_hits"], s["hits"], s["offloads"], s["evictions"]) == (3, 1, 0, 2, 2)
    assert ids(cache, "offload") == ["b"] and s["offloaded_bytes"] == KiB


def test_offload_moves_a_resident_model_to_the_cpu_tier_and_the_next_use_is_an_offload_hit():
    cache, loader = make({"a": 1}, gpu=FakeGPU(total=4 * KiB), cpu_budget_bytes=4 * KiB)
    with cache.use("a") as model:
        assert not cache.offload("a")  # in use: it stays where it computes
    assert cache.offload("a") and cache.loaded("a") == "cpu" and model.moves == ["cuda", "cpu"]
    s = cache.stats()
    assert s["offloaded_bytes"] == KiB and s["bytes"] == 0
    assert not cache.offload("a") and not cache.offload("never-loaded")  # not on the device
    with cache.use("a") as again:
        assert again is model and model.moves[-1] == "cuda"
    s = cache.stats()
    assert (s["misses"], s["offload_hits"], s["offloads"], s["evictions"]) == (1, 1, 1, 0) and loader.calls == ["a"]


def test_offload_is_refused_on_the_cpu_and_drops_a_model_the_cpu_tier_cannot_hold():
    cpu, _ = make({"a": 1})
    with cpu.use("a"):
        pass
    assert not cpu.offload("a") and cpu.loaded("a") == "cpu" and cpu.stats()["offloads"] == 0
    full, _ = make({"a": 1}, gpu=FakeGPU(total=4 * KiB), cpu_budget_bytes=0)
    with full.use("a"):
        pass
    assert not full.offload("a") and full.loaded("a") is None and full.stats()["drops"] == 1


def test_offload_tier_has_its_own_lru_budget_and_drops_when_full():
    fake = FakeGPU(total=KiB)
    cache, loader = make({"a": 1, "b": 1, "c": 1}, gpu=fake, cpu_budget_bytes=KiB)
    for mid in "abc":
        with cache.use(mid):
            pass
    assert ids(cache, "offload") == ["b"]  # a was offloaded, then dropped to make room for b
    with cache.use("a"):  # dropped: a real reload from the loader
        pass
    assert loader.calls == ["a", "b", "c", "a"]
    cache0, loader0 = make({"a": 1, "b": 1}, gpu=FakeGPU(total=KiB), cpu_budget_bytes=0)
    for mid in "aba":
        with cache0.use(mid):
            pass
    assert loader0.calls == ["a", "b", "a"] and cache0.stats()["offloads"] == 0


@pytest.mark.parametrize("error", [torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
                                   RuntimeError("CUDA error: out of memory")])
def test_out_of_memory_inside_use_frees_everything_and_the_next_use_works(error):
    fake = FakeGPU(total=4 * KiB)
    lane = GpuLane()
    cache, loader = make({"a": 1, "b": 2}, gpu=fake, lane=lane, cpu_budget_bytes=10 * KiB)
    cache.pin("a")
    with cache.use("a"):
        pass
    with pytest.raises(VidgenError, match=r"Out of GPU memory running B: .*out of memory.*cache was cleared"):
        with cache.use("b"):
            raise error
    s = cache.stats()
    assert s["resident"] == [] and s["ooms"] == 1 and fake.free() == fake.total
    assert lane.holders == []
    with cache.use("b") as b:  # the next job works
        assert model_bytes(b) == 2 * KiB
    assert loader.calls == ["a", "b", "b"] and "a" in cache.stats()["pinned"]


def test_out_of_memory_while_loading_is_the_same_clear_error():
    fake = FakeGPU(total=4 * KiB)
    calls = []

    def loader(spec, device):
        calls.append(spec.id)
        if spec.id == "huge":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        return FakeModel(linear(1), fake, device)

    cache = ModelCache(loaders={"fake": loader}, resolve=lambda m: Spec(m, name="Huge one"), device="cuda",
                       free_memory=fake.free, reserve_bytes=0, lane=GpuLane())
    with cache.use("a"):
        pass
    with pytest.raises(VidgenError, match="Out of GPU memory running Huge one"):
        with cache.use("huge"):
            pass
    assert cache.stats()["resident"] == []
    with cache.use("a"):
        pass
    assert calls == ["a", "huge", "a"]


def test_other_errors_pass_through_and_keep_the_cache():
    cache, _ = make({"a": 1}, budget_bytes=KiB)
    with pytest.raises(ValueError, match="bad prompt"):
        with cache.use("a"):
            raise ValueError("bad prompt")
    assert ids(cache) == ["a"] and cache.stats()["ooms"] == 0
    with pytest.raises(VidgenError, match="No loader for backend 'nope'"):
        with ModelCache(resolve=lambda m: Spec(m, backend="nope"), device="cpu", lane=GpuLane()).use("x"):
            pass


# --- hot swap --------------------------------------------------------------------------------

def test_hot_swap_takes_effect_on_the_next_use():
    active = {"image": "turbo"}
    cache, loader = make({"turbo": 1, "base": 2}, budget_bytes=10 * KiB,
                         active=lambda kind: Spec(active[kind], kind=kind))
    with cache.use_active("image") as m:
        assert model_bytes(m) == KiB
    active["image"] = "base"  # `models activate base`: no restart, no new cache
    with cache.use_active("image") as m:
        assert model_bytes(m) == 2 * KiB
    active["image"] = "turbo"
    with cache.use_active("image") as m:  # the old one is still cached: a hit
        assert model_bytes(m) == KiB
    assert loader.calls == ["turbo", "base"] and cache.stats()["hits"] == 1


def test_use_active_resolves_when_the_lane_is_ours():
    """A job queued before an activation uses the model active when its turn comes."""
    lane = GpuLane()
    active = {"image": "turbo"}
    cache, _ = make({"turbo": 1, "base": 1}, lane=lane, budget_bytes=10 * KiB,
                    active=lambda kind: Spec(active[kind], kind=kind))
    got = []
    ticket = lane.acquire("someone")

    def job():
        with cache.use_active("image") as m:
            got.append(model_bytes(m) and ids(cache)[0])

    t = threading.Thread(target=job)
    t.start()
    while lane.waiting == 0:
        time.sleep(0.001)
    active["image"] = "base"
    lane.release(ticket)
    t.join(5)
    assert got == ["base"]


# --- threads ---------------------------------------------------------------------------------

def test_threads_never_overlap_in_the_lane_and_are_served_in_arrival_order():
    lane = GpuLane()
    names = [f"m{i}" for i in range(6)]
    cache, _ = make({n: 1 for n in names}, lane=lane, budget_bytes=3 * KiB)
    spans: list[tuple[str, float, float]] = []
    spans_lock = threading.Lock()

    def job(name):
        with cache.use(name):
            entered = time.monotonic()
            time.sleep(0.01)
            exited = time.monotonic()
        with spans_lock:
            spans.append((name, entered, exited))

    ticket = lane.acquire("gate")  # everyone queues behind it, in the order they start
    threads = []
    for i, name in enumerate(names):
        t = threading.Thread(target=job, args=(name,))
        t.start()
        threads.append(t)
        while lane.waiting < i + 1:
            time.sleep(0.001)
    lane.release(ticket)
    for t in threads:
        t.join(10)
    spans.sort(key=lambda s: s[1])
    assert [s[0] for s in spans] == names  # arrival order
    for (_, _, end), (_, start, _) in zip(spans, spans[1:]):
        assert end <= start  # never two inside at once
    holds = lane.history[1:]
    assert [h[0] for h in holds] == names
    assert all(a[2] <= b[1] for a, b in zip(holds, holds[1:]))
    assert cache.stats()["bytes"] <= 3 * KiB


def test_concurrent_uses_of_the_same_and_different_models_load_each_once_at_a_time():
    loading = []
    overlap = []
    lock = threading.Lock()

    def loader(spec, device):
        with lock:
            loading.append(spec.id)
            if len(loading) > 1:
                overlap.append(list(loading))
        time.sleep(0.005)
        with lock:
            loading.remove(spec.id)
        return linear(1)

    cache = ModelCache(loaders={"fake": loader}, resolve=Spec, device="cpu", budget_bytes=2 * KiB, lane=GpuLane())

    def worker(k):
        for i in range(10):
            with cache.use("abc"[(k + i) % 3]):
                pass

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    s = cache.stats()
    assert overlap == [] and s["hits"] + s["misses"] == 40 and s["bytes"] <= 2 * KiB


# --- stats and the process's cache -----------------------------------------------------------

def test_stats():
    cache, _ = make({"a": 1, "b": 2}, budget_bytes=2 * KiB)
    cache.pin("a")
    with cache.use("a"):
        assert cache.stats()["resident"][0]["in_use"] is True
    with cache.use("a"):
        pass
    cache.unpin("a")
    with cache.use("b"):
        pass
    s = cache.stats()
    assert (s["hits"], s["misses"], s["evictions"]) == (1, 2, 1)
    assert s["device"] == "cpu" and s["bytes"] == 2 * KiB and s["load_seconds"] >= 0
    row = s["resident"][0]
    assert row["id"] == "b" and row["bytes"] == 2 * KiB and row["device"] == "cpu"
    assert row["pinned"] is False and row["last_used"] <= time.time()
    assert cache.evict("b") is True and cache.evict("b") is False
    assert cache.stats()["resident"] == []


def test_get_cache_is_one_per_process_with_budget_overrides(monkeypatch):
    monkeypatch.setattr(cache_mod, "_cache", None)
    monkeypatch.setenv("VIDGEN_MODEL_BUDGET_GB", "1.5")
    c = cache_mod.get_cache()
    assert c is cache_mod.get_cache() and c.budget_bytes == 3 << 29 and c.lane is LANE
    monkeypatch.setattr(cache_mod, "_cache", None)
    monkeypatch.setenv("VIDGEN_MODEL_BUDGET_GB", "lots")
    with pytest.raises(VidgenError, match="VIDGEN_MODEL_BUDGET_GB"):
        cache_mod.get_cache()


def test_without_a_resolver_the_cache_takes_specs_only():
    """No registry of its own: one without the store would miss the user's models and activations."""
    loader = Loader({"a": 1})
    cache = ModelCache(loaders={"fake": loader}, device="cpu", lane=GpuLane())
    with cache.use(Spec("a")) as m:
        assert model_bytes(m) == KiB
    with pytest.raises(VidgenError, match="made without a registry: pass the model 'a' as its ModelSpec"):
        with cache.use("a"):
            pass
    with pytest.raises(VidgenError, match="cannot tell the active image model"):
        with cache.use_active("image"):
            pass
