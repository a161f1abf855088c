"""Model files: a tiny diffusers pipeline saved in the HF cache layout is found and loaded offline;
missing models give a clear error; storage info, remove and the compatibility check."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from vidgen.errors import VidgenError
from vidgen.models import hub

from tests.tiny_models import COMMIT, SD_REPO, build_tiny_sd, offline_hub, save_in_hf_cache
from vidgen.models.registry import ModelSpec

REPO = SD_REPO
GB = hub.GB


def spec(repo: str = REPO, **kw) -> ModelSpec:
    base = dict(id="tiny-sd", kind="image", backend="diffusers-sd", name="Tiny SD", source="hf", repo=repo,
                size_gb=0.001, vram_gb=0.001, license="mit")
    return ModelSpec(**{**base, **kw})


@pytest.fixture(scope="module")
def tiny_snapshot(tmp_path_factory) -> Path:
    """The pipeline's files written straight into a snapshot folder of a fresh HF cache (no blobs)."""
    cache = tmp_path_factory.mktemp("hf") / "hub"
    save_in_hf_cache(build_tiny_sd(tmp_path_factory.mktemp("scratch")), cache, REPO)
    return cache


@pytest.fixture
def offline_cache(tiny_snapshot, monkeypatch) -> Path:
    offline_hub(monkeypatch, tiny_snapshot)
    return tiny_snapshot


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    assert hub.hf_cache_dir() == tmp_path / "home" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "c"))
    assert hub.hf_cache_dir() == tmp_path / "c"


def test_tiny_pipeline_in_the_cache_loads_and_runs_offline(offline_cache):
    import torch
    from diffusers import DiffusionPipeline

    path = hub.local_path(spec())
    assert path == offline_cache / f"models--{REPO.replace('/', '--')}" / "snapshots" / COMMIT
    assert hub.is_downloaded(spec())
    assert hub.download(spec()) == path  # already there: no network needed
    pipe = DiffusionPipeline.from_pretrained(str(path), local_files_only=True)
    image = pipe("a red fox", num_inference_steps=1, height=64, width=64, guidance_scale=1.0,
                 generator=torch.Generator().manual_seed(0)).images[0]
    assert image.size == (64, 64)


def test_missing_model_gives_a_clear_error(offline_cache):
    missing = spec("tiny-org/not-here", id="ghost", name="Ghost Model")
    assert not hub.is_downloaded(missing)
    with pytest.raises(VidgenError) as err:
        hub.local_path(missing)
    msg = str(err.value)
    assert "Ghost Model (tiny-org/not-here) is not downloaded" in msg and "python -m vidgen models download ghost" in msg
    with pytest.raises(VidgenError) as err:
        hub.download(missing)
    msg = str(err.value)
    assert "hub cannot be reached" in msg and "models download ghost" in msg and str(offline_cache) in msg


def test_allow_patterns_missing_from_a_snapshot_are_not_downloaded(offline_cache):
    # the tree listing is unknown offline, so patterns cannot be checked: the snapshot counts as present
    assert hub.is_downloaded(spec(allow_patterns=("unet/*", "*.json")))


def test_builtin_models_need_nothing(offline_cache):
    piper = spec("", id="piper", name="Piper voice", source="builtin", builtin=True, kind="voice", backend="piper")
    assert hub.is_downloaded(piper)
    seen = []
    assert hub.download(piper, progress=lambda f, m: seen.append(f)) == Path()
    assert seen == [1.0]
    assert hub.compatibility(piper, {"device": "cpu", "ram_free": 0, "disk_free": 0})["status"] == "ok"


class FakeRegistry:
    store = None  # no data folder: nothing is kept (no pins, no benchmarks)

    def __init__(self, *specs):
        self.specs = list(specs)

    def state(self, model_id):
        return {}

    def list(self, kind=None):
        return [s for s in self.specs if kind in (None, s.kind)]


def test_storage_info_and_remove_free_the_bytes(offline_cache, tmp_path, monkeypatch):
    import shutil

    cache = tmp_path / "hub"  # a copy: the module's snapshot stays for the other tests
    shutil.copytree(offline_cache, cache)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    snapshot = cache / f"models--{REPO.replace('/', '--')}" / "snapshots" / COMMIT
    size = folder_bytes(snapshot)
    assert size > 10_000
    reg = FakeRegistry(spec(), spec("tiny-org/not-here", id="ghost"),
                       spec("", id="piper", source="builtin", builtin=True, kind="voice"))
    info = hub.storage_info(reg)
    by_id = {m["id"]: m for m in info["models"]}
    assert by_id["tiny-sd"]["downloaded"] and by_id["tiny-sd"]["bytes"] == size
    assert not by_id["ghost"]["downloaded"] and by_id["ghost"]["bytes"] == 0
    assert by_id["piper"]["downloaded"] and by_id["piper"]["bytes"] == 0
    assert info["by_kind"] == {"image": size, "voice": 0} and info["total_bytes"] == size
    assert info["cache_dir"] == str(cache) and info["free_disk_bytes"] > 0

    assert hub.remove(spec()) == size
    assert not snapshot.exists() and not hub.is_downloaded(spec())
    assert hub.storage_info(reg)["by_kind"]["image"] == 0
    assert hub.remove(spec()) == 0  # nothing left


def test_progress_hook_reports_fractions():
    seen = []
    Hook = hub._progress_class(lambda f, m: seen.append((f, m)), "Tiny")
    bar = Hook(total=200, unit="B", name="huggingface_hub.snapshot_download")
    bar.update(50)
    bar.update(150)
    files = Hook(total=4)
    files.update(1)
    transfer = Hook(total=100, unit="B", name="huggingface_hub.snapshot_download.transfer")
    transfer.update(10)
    assert [f for f, _ in seen] == [0.25, 1.0, 0.25]
    assert "MB" in seen[0][1] and "1 of 4 files" in seen[2][1]


def test_device_info_has_the_fields():
    info = hub.device_info()
    assert info["device"] in ("cuda", "mps", "cpu")
    assert info["ram_total"] > 0 and info["disk_free"] > 0
    assert set(info) >= {"name", "vram_total", "vram_free", "ram_free"}


@pytest.mark.parametrize("info, status, words", [
    ({"device": "cuda", "vram_free": 24 * GB, "ram_free": 64 * GB, "disk_free": 500 * GB}, "ok", "VRAM"),
    ({"device": "cuda", "vram_free": 4 * GB, "ram_free": 64 * GB, "disk_free": 500 * GB}, "offload", "CPU offload"),
    ({"device": "cuda", "vram_free": 4 * GB, "ram_free": 2 * GB, "disk_free": 500 * GB}, "too_large", "RAM"),
    ({"device": "cpu", "vram_free": 0, "ram_free": 64 * GB, "disk_free": 500 * GB}, "cpu", "slow"),
    ({"device": "cpu", "vram_free": 0, "ram_free": 2 * GB, "disk_free": 500 * GB}, "too_large", "RAM"),
    ({"device": "cuda", "vram_free": 24 * GB, "ram_free": 64 * GB, "disk_free": 1 * GB}, "too_large", "disk"),
])
def test_compatibility(offline_cache, info, status, words):
    sdxl = spec("tiny-org/not-here", id="sdxl", name="SDXL", size_gb=7.0, vram_gb=10.0)
    got = hub.compatibility(sdxl, info)
    assert got["status"] == status, got
    assert words in got["reason"]


def test_disk_is_no_concern_once_downloaded(offline_cache):
    big = spec(size_gb=7.0, vram_gb=10.0)  # the tiny one, pretending to be large: already in the cache
    info = {"device": "cuda", "vram_free": 24 * GB, "ram_free": 64 * GB, "disk_free": 1 * GB}
    assert hub.compatibility(big, info)["status"] == "ok"


def test_a_user_model_is_loaded_by_its_registry_id_through_the_cache(offline_cache, store):
    """The whole path an AI backend takes: registry id -> cache.use -> loader -> HF cache, offline."""
    import torch
    from diffusers import DiffusionPipeline

    from vidgen.jobs import GpuLane
    from vidgen.models.cache import ModelCache
    from vidgen.models.registry import Registry

    registry = Registry(store)
    added = registry.add(REPO, "image")
    loads = []

    def load(model_spec, device):
        loads.append(model_spec.id)
        return DiffusionPipeline.from_pretrained(str(hub.local_path(model_spec)), local_files_only=True).to(device)

    cache = ModelCache(loaders={added.backend: load}, resolve=registry.get, device="cpu",
                       budget_bytes=1 << 30, lane=GpuLane())
    for _ in range(2):
        with cache.use(added.id) as pipe:
            image = pipe("a red fox", num_inference_steps=1, height=64, width=64, guidance_scale=1.0,
                         generator=torch.Generator().manual_seed(0)).images[0]
            assert image.size == (64, 64)
    assert loads == [added.id]  # loaded once, then a hit
    stats = cache.stats()
    assert stats["hits"] == 1 and stats["misses"] == 1 and stats["resident"][0]["bytes"] > 0


def test_operations_download_fetches_what_a_model_requires_first(offline_cache):
    from vidgen.models import operations

    class Reg(FakeRegistry):
        def get(self, model_id):
            return next(s for s in self.specs if s.id == model_id)

        def is_active(self, spec):
            return False

    base, child = spec(), spec(id="tiny-child", requires=("tiny-sd",))
    started = []
    done = operations.download(Reg(base, child), " tiny-child ",
                               lambda s, compat: started.append((s.id, compat["status"])))
    assert [f["id"] for f in done["fetched"]] == ["tiny-sd", "tiny-child"] and [i for i, _ in started] == ["tiny-sd", "tiny-child"]
    assert done["id"] == "tiny-child" and done["folder"] == str(hub.local_path(child)) and done["status"] == "ready"
    planned = spec(id="tiny-cog", kind="animation", backend="diffusers-cogvideox", name="Tiny CogVideoX")
    with pytest.raises(VidgenError, match="^tiny-cog \\(Tiny CogVideoX\\) has no runtime in vidgen yet \\(planned\\)"):
        operations.download(Reg(base, planned), "tiny-cog")


# ----------------------------------------------------------------------------- Ollama models, on a stand-in server
# tests/ollama_standin.py is a STAND-IN for an Ollama server (not Ollama): it lists, shows, pulls and
# deletes models the way the real API answers, so the real `ollama` client is what is tested here.

from tests.ollama_standin import dead_host, model_row, running  # noqa: E402
from vidgen.models import ollama_server, operations  # noqa: E402
from vidgen.models.registry import Registry, packaged  # noqa: E402


@pytest.fixture()
def on_standin(monkeypatch):
    """The stand-in Ollama server as OLLAMA_HOST, failing the test on a request it refused."""
    with running() as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        yield server


def test_an_ollama_model_is_downloaded_when_the_server_lists_it(on_standin, monkeypatch):
    assert hub.is_downloaded(packaged().get("llama3.1-8b"))
    assert not hub.is_downloaded(packaged().get("qwen2.5-7b"))
    assert [(m["name"], m["size"], m["parameter_size"], m["family"]) for m in ollama_server.local_models()] == [
        ("llama3.1:8b", 4_920_753_328, "8.0B", "llama")]
    monkeypatch.setenv("OLLAMA_HOST", dead_host())  # a server that is down has nothing, and says so fast
    start = time.monotonic()
    assert not hub.is_downloaded(packaged().get("llama3.1-8b"))
    assert time.monotonic() - start < 3
    assert ollama_server.server_status()["reachable"] is False


def test_ollama_rows_show_the_servers_size_and_digest(on_standin, store):
    rows = {r["id"]: r for r in operations.list_rows(Registry(store), "llm")}
    listed = on_standin.models["llama3.1:8b"]
    assert rows["llama3.1-8b"]["bytes"] == listed["size"] and rows["llama3.1-8b"]["digest"] == listed["digest"]
    assert rows["qwen2.5-7b"]["bytes"] == 0 and rows["qwen2.5-7b"]["digest"] == ""  # not pulled: nothing measured
    assert operations.source_label(rows["llama3.1-8b"]) == "ollama:llama3.1:8b"


def test_an_untagged_name_is_its_latest_tag(on_standin):
    on_standin.models = {"gemma3:latest": model_row("gemma3:latest", family="gemma3", parameters="4.3B")}
    assert ollama_server.has_model("gemma3") and ollama_server.has_model("library/gemma3:latest")
    assert not ollama_server.has_model("gemma3:4b")


def test_ollama_download_pulls_with_growing_progress(on_standin, store):
    seen = []
    out = operations.download(Registry(store), "qwen2.5-7b", start=lambda s, compat: lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(set(fractions)) >= 5
    assert any(m.endswith("(3.12 of 4.68 GB)") for _, m in seen) and seen[-1][1] == "Qwen2.5 7B Instruct (Ollama): pulled"
    assert out["folder"] == "" and out["downloaded"] is True  # the server's list is read again after a pull
    pulls = [body for method, path, body in on_standin.requests if path == "/api/pull"]
    assert pulls == [{"model": "qwen2.5:7b", "insecure": False, "stream": True}]
    again = []
    hub.download(packaged().get("qwen2.5-7b"), progress=lambda f, m: again.append(m))
    assert again == ["Qwen2.5 7B Instruct (Ollama): already pulled"]


def test_pulling_an_unknown_tag_is_one_line(on_standin):
    ghost = ModelSpec(id="ghost", kind="llm", backend="ollama", name="Ghost", source="ollama", repo="ghost:1b",
                      revision="", license="none")
    with pytest.raises(VidgenError) as err:
        hub.download(ghost)
    assert str(err.value) == ("Pulling ghost:1b failed: pull model manifest: file does not exist; check the tag at "
                              "ollama.com/library.")


def test_ollama_remove_deletes_on_the_server(on_standin, store):
    r = Registry(store)
    info = hub.storage_info(r)
    assert {m["id"]: m["bytes"] for m in info["models"]}["llama3.1-8b"] == 4_920_753_328
    assert operations.remove(r, "llama3.1-8b") == {"id": "llama3.1-8b", "freed": 4_920_753_328, "forgotten": False,
                                                   "note": ""}
    assert not hub.is_downloaded(packaged().get("llama3.1-8b"))
    again = operations.remove(r, "llama3.1-8b")
    assert again["freed"] == 0 and "does not have llama3.1:8b" in again["note"]


def test_ollama_download_without_a_server_says_what_to_run(monkeypatch):
    host = dead_host()
    monkeypatch.setenv("OLLAMA_HOST", host)
    with pytest.raises(VidgenError) as err:
        hub.download(packaged().get("gemma3-4b"))
    assert str(err.value).startswith(f"No Ollama server answers at {host}: install Ollama (ollama.com), run "
                                     "`ollama serve`")
    with pytest.raises(VidgenError, match="No Ollama server answers"):
        hub.remove(packaged().get("gemma3-4b"))
