"""`models bench`: a tiny random-weight VITS voice measured for real (load from disk, one sentence,
peak memory), built-in records timed without a load, one-line refusals, the resident-memory sampler,
and the CPU-tier timing on a simulated CUDA device (`ModelCache.offload` itself: test_cache.py)."""

from __future__ import annotations

import json
import mmap

import pytest

from vidgen.errors import VidgenError
from vidgen.models import bench as bench_mod
from vidgen.models.bench import PeakMemory, bench, summary
from vidgen.models.registry import ModelSpec, Registry, packaged

from . import tiny_vits as tv
from .test_cache import FakeGPU, Spec, make
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


# --- the CPU tier on a simulated CUDA device (test_cache.py's) -------------------------------

def test_the_bench_times_the_use_after_an_offload_on_a_device_with_a_cpu_tier():
    cache, _ = make({"a": 4}, gpu=FakeGPU(total=1 << 20), cpu_budget_bytes=1 << 20)
    with cache.use("a"):
        pass
    seconds, why = bench_mod._from_cpu_tier(cache, Spec("a"), "ok")
    assert seconds is not None and seconds >= 0 and why == "" and cache.stats()["offload_hits"] == 1
    assert bench_mod._from_cpu_tier(cache, Spec("a"), "offload") == (None, bench_mod.CPU_OFFLOAD)
    full, _ = make({"b": 4}, gpu=FakeGPU(total=1 << 20), cpu_budget_bytes=0)
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
