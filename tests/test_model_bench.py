"""`models bench`: a tiny random-weight VITS voice measured for real (load from disk, one sentence,
peak memory), built-in records timed without a load, one-line refusals, the resident-memory sampler,
and `ModelCache.offload` on a simulated CUDA device (the next use is an offload hit)."""

from __future__ import annotations

import json
import mmap
from dataclasses import dataclass

import numpy as np
import pytest

from vidgen.errors import VidgenError
from vidgen.jobs import GpuLane
from vidgen.models import bench as bench_mod
from vidgen.models.bench import PeakMemory, bench, summary
from vidgen.models.cache import ModelCache, model_bytes
from vidgen.models.registry import ModelSpec, Registry, packaged

from . import tiny_vits as tv
from .tiny_models import offline_hub, one_torch_thread

KEYS = {"model", "kind", "device", "load_disk_s", "load_cpu_s", "load_cpu_reason", "work_s", "work", "made_s",
        "peak_bytes", "memory_on", "measured_at", "torch"}


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A store's registry with the tiny VITS voice added as a user model, the HF cache offline on it."""
    pytest.importorskip("transformers")
    from vidgen.config import Settings
    from vidgen.store import Store

    hf_cache = tv.make_hf_cache(tmp_path_factory.mktemp("hf") / "hub")
    mp = pytest.MonkeyPatch()
    offline_hub(mp, hf_cache)
    mp.setattr(bench_mod, "detect_device", lambda: "cpu")  # a CUDA build on a GPU machine: still the CPU path
    yield Registry(Store(Settings.from_env(tmp_path_factory.mktemp("data"))))
    mp.undo()


def test_a_downloaded_voice_is_loaded_from_disk_and_speaks_a_sentence(registry):
    spec = registry.add(tv.REPO, "voice")
    phases = []
    with one_torch_thread():
        r = bench(registry, spec.id, progress=lambda f, m: phases.append((f, m)))
    assert set(r) == KEYS and json.loads(json.dumps(r)) == r  # JSON-able, as stored with the record
    assert r["model"] == spec.id and r["kind"] == "voice" and r["device"] == "cpu"
    assert r["load_disk_s"] > 0 and r["work_s"] > 0
    assert r["load_cpu_s"] is None and r["load_cpu_reason"] == "the device is the CPU: there is no offload tier"
    assert "s of speech" in r["work"] and r["made_s"] > 0 and f"{r['made_s']:.2f} s" in r["work"]
    assert r["peak_bytes"] > 0 and r["memory_on"] == "cpu (process RSS)"
    assert r["measured_at"].endswith("+00:00") and r["torch"]
    fractions = [f for f, _ in phases]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert summary(r).startswith("load ") and " · work " in summary(r) and "from RAM" not in summary(r)


@pytest.mark.parametrize("model_id, unit, made", [("storyboard", "one 1280x720 storyboard frame", None),
                                                   ("composer", "1.00 s of calm music", 1.0),
                                                   ("camera", "a 1.00 s clip at 1280x720, 24 fps", 1.0),
                                                   ("sfx-synth", "1.00 s of sound", 1.0)])
def test_a_built_in_record_has_no_load_and_times_its_work(model_id, unit, made):
    r = bench(packaged(), model_id)
    assert r["load_disk_s"] is None and r["load_cpu_s"] is None and r["load_cpu_reason"].startswith("built in")
    assert r["work_s"] > 0 and r["work"].startswith(unit) and r["device"] == "cpu"
    assert r["made_s"] == (None if made is None else pytest.approx(made, abs=0.05))
    assert summary(r).startswith("work ")


def test_planned_and_unbenchable_records_are_refused_in_one_line(registry):
    planned = ModelSpec(id="tiny-cog", kind="animation", backend="diffusers-cogvideox", name="Tiny CogVideoX",
                        source="hf", repo="someone/tiny-cog", license="apache-2.0", user=True)
    registry.store.set_model_state(planned.id, spec=planned.to_dict())
    with pytest.raises(VidgenError, match=r"^tiny-cog \(Tiny CogVideoX\) has no runtime in vidgen yet \(planned\)"):
        bench(registry, "tiny-cog")
    for model_id in ("rules", "ip-adapter-sdxl"):
        with pytest.raises(VidgenError) as err:
            bench(registry, model_id)
        line = str(err.value)
        assert "\n" not in line and "bench covers image, animation, voice, music, lipsync and sfx" in line
        assert "adapters are measured with their image model" in line


def test_a_model_not_downloaded_says_to_download_it_first(registry):
    spec = registry.add("tiny-org/not-downloaded", "voice")
    with pytest.raises(VidgenError, match=f"not downloaded: run `python -m vidgen models download {spec.id}` first"):
        bench(registry, spec.id)


def test_peak_memory_is_what_the_block_added_to_the_process():
    with PeakMemory("cpu") as memory:
        # 64 MiB of fresh pages, each touched (a heap block could reuse pages already resident)
        block = mmap.mmap(-1, 64 << 20)
        for at in range(0, 64 << 20, mmap.PAGESIZE):
            block[at] = 1
        memory._read()
        block.close()
    assert memory.where == "cpu (process RSS)" and memory.peak >= 48 << 20


def test_summary_shows_only_what_was_measured():
    assert summary({"load_disk_s": 1.234, "load_cpu_s": 0.05, "work_s": 12.4, "peak_bytes": 3_100_000_000}) \
        == "load 1.2 s (50 ms from RAM) · work 12 s · 3.1 GB"
    assert summary({"load_disk_s": None, "work_s": 0.8, "peak_bytes": None}) == "work 0.8 s"


# --- ModelCache.offload on a simulated CUDA device -------------------------------------------

@dataclass(frozen=True)
class Spec:
    id: str
    backend: str = "fake"
    kind: str = "image"
    name: str = ""
    vram_gb: float = 0.0


class FakeOnDevice:
    """A real module behind a `.to()` that records where it was sent (no CUDA needed)."""

    def __init__(self, kib: int):
        from torch import nn

        self.module = nn.Linear(256, kib, bias=False)
        self.moves: list[str] = []

    def parameters(self):
        return self.module.parameters()

    def buffers(self):
        return self.module.buffers()

    def to(self, device: str) -> "FakeOnDevice":
        self.moves.append(device)
        return self


def fake_cuda(**kw) -> ModelCache:
    kw.setdefault("cpu_budget_bytes", 1 << 30)
    return ModelCache(loaders={"fake": lambda spec, device: FakeOnDevice(4)}, resolve=lambda mid: Spec(mid),
                      device="cuda", budget_bytes=1 << 30, free_memory=lambda: 1 << 30, lane=GpuLane(), **kw)


def test_offload_moves_a_resident_model_to_the_cpu_tier_and_the_next_use_is_an_offload_hit():
    cache = fake_cuda()
    with cache.use("a") as model:
        assert not cache.offload("a")  # in use: it stays where it computes
    assert cache.offload("a") and cache.loaded("a") == "cpu" and model.moves[-1] == "cpu"
    assert cache.stats()["offloaded_bytes"] == model_bytes(model.module) and cache.stats()["bytes"] == 0
    assert not cache.offload("a") and not cache.offload("never-loaded")  # not on the device
    with cache.use("a") as again:
        assert again is model and model.moves[-1] == "cuda"
    s = cache.stats()
    assert (s["misses"], s["offload_hits"], s["offloads"], s["evictions"]) == (1, 1, 1, 0)
    assert cache.loaded("a") == "cuda"


def test_offload_is_refused_on_the_cpu_and_drops_a_model_the_cpu_tier_cannot_hold():
    cpu = ModelCache(loaders={"fake": lambda spec, device: FakeOnDevice(4)}, resolve=lambda mid: Spec(mid),
                     device="cpu", budget_bytes=1 << 30, lane=GpuLane())
    with cpu.use("a"):
        pass
    assert not cpu.offload("a") and cpu.loaded("a") == "cpu" and cpu.stats()["offloads"] == 0
    full = fake_cuda(cpu_budget_bytes=0)
    with full.use("a"):
        pass
    assert not full.offload("a") and full.loaded("a") is None and full.stats()["drops"] == 1


def test_the_bench_times_the_use_after_an_offload_on_a_device_with_a_cpu_tier():
    cache = fake_cuda()
    with cache.use("a"):
        pass
    seconds, why = bench_mod._from_cpu_tier(cache, Spec("a"), "ok")
    assert seconds is not None and seconds >= 0 and why == "" and cache.stats()["offload_hits"] == 1
    assert bench_mod._from_cpu_tier(cache, Spec("a"), "offload") == (None, bench_mod.CPU_OFFLOAD)
    full = fake_cuda(cpu_budget_bytes=0)
    with full.use("b"):
        pass
    assert bench_mod._from_cpu_tier(full, Spec("b"), "ok") == (None, bench_mod.NO_ROOM)


def test_benching_through_the_operations_frees_the_shared_caches_copy_first(registry):
    """The bench loads a copy of its own: the process's cache lets its copy go, so one model is never
    on the device twice (the studio's cache may hold it from a render)."""
    from vidgen.models import operations
    from vidgen.models.cache import get_cache
    from vidgen.services.voice import vits

    spec = next((s for s in registry.list("voice") if s.repo == tv.REPO), None) or registry.add(tv.REPO, "voice")
    shared = get_cache()
    vits.register_loaders(shared)
    with one_torch_thread():
        with shared.use(spec):
            pass
        assert shared.loaded(spec.id) is not None
        result = operations.bench(registry, spec.id)
    assert shared.loaded(spec.id) is None
    assert result["load_disk_s"] > 0 and registry.state(spec.id)["bench"] == result
