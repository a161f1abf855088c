"""The model registry: complete records, one built-in default per kind that runs, planned records refused,
persisted activation and user models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vidgen.config import Settings
from vidgen.errors import VidgenError
from vidgen.models import hub, operations
from vidgen.models.backends import has_runtime
from vidgen.models.registry import (OPTIONAL_KINDS, KINDS, ModelSpec, Registry, builtin_specs, packaged,
                                    registry_for)
from vidgen.store import Store

ROOT = Path(__file__).resolve().parents[1]


def test_every_record_is_complete():
    specs = builtin_specs()
    assert len(specs) >= 18
    for s in specs:
        assert s.problems() == [], (s.id, s.problems())
        assert s.kind in KINDS and s.backend and s.name and s.license
        if s.source == "hf":
            owner, _, name = s.repo.partition("/")
            assert owner and name and "/" not in name, s.repo
            assert s.allow_patterns and s.size_gb > 0 and s.vram_gb > 0, s.id
            assert not any(p in ("*", "**") for p in s.allow_patterns), s.id  # never the whole repo
        elif s.source == "ollama":
            assert s.repo and s.size_gb > 0
        else:
            assert s.builtin and s.source == "builtin"


def test_ids_unique_and_one_builtin_default_per_kind():
    specs = builtin_specs()
    ids = [s.id for s in specs]
    assert len(ids) == len(set(ids))
    for kind in KINDS:
        defaults = [s for s in specs if s.kind == kind and s.default]
        if kind in OPTIONAL_KINDS:  # adapters load with the image models that name them
            assert not defaults and {s.kind for s in specs if s.ip_adapter} == {"image"}
            assert all(s.ip_adapter in ids for s in specs if s.ip_adapter)
            continue
        if not any(s.kind == kind and s.builtin and s.runs for s in specs):  # a kind nothing built in runs
            assert not defaults, kind
            continue
        assert len(defaults) == 1, kind
        assert defaults[0].builtin and defaults[0].runs, kind


def test_every_activatable_record_has_a_runtime(store):
    """A record `activate` accepts must run; a planned one is refused by activate and download, in one line."""
    r = Registry(store)
    for s in builtin_specs():
        if s.kind in OPTIONAL_KINDS:
            continue
        try:
            r.activate(s.id)
        except VidgenError as e:
            assert not has_runtime(s.kind, s.backend), (s.id, str(e))
            assert s.status == "planned" and not s.runs and not s.default
            line = str(e)
            assert "\n" not in line and line.startswith(f"{s.id} ({s.name}) has no runtime in vidgen yet (planned)")
            with pytest.raises(VidgenError) as dl:
                hub.download(s)
            assert str(dl.value) == line
            with pytest.raises(VidgenError) as op:
                operations.download(r, s.id)
            assert str(op.value) == line
        else:
            assert has_runtime(s.kind, s.backend), f"{s.id} can be activated but nothing runs {s.backend}"
            assert s.status == "ready" and r.active(s.kind) == s
    planned = {s.id for s in builtin_specs() if s.status == "planned"}
    assert planned == set()  # every packaged record runs (a user's record of an unknown backend would not)


def _planned_user_record(store) -> ModelSpec:
    """A user's record on a backend vidgen does not run, stored as an earlier vidgen would have, activated."""
    spec = ModelSpec(id="tiny-cog", kind="animation", backend="diffusers-cogvideox", name="Tiny CogVideoX",
                     source="hf", repo="someone/tiny-cog", license="apache-2.0", user=True)
    store.set_model_state(spec.id, spec=spec.to_dict(), activated=2e9)
    return spec


def test_planned_records_stay_out_of_the_defaults(store):
    planned = _planned_user_record(store)
    r = Registry(store)
    with pytest.raises(VidgenError, match="tiny-cog .* has no runtime .*renders use the camera move"):
        r.activate("tiny-cog")
    assert r.active("animation").id == "camera" and not r.is_active(planned)  # its stored activation is ignored
    assert r.active("lipsync").id == "visemes" and r.default("lipsync").id == "visemes"  # the built-in mouth
    rows = {row["id"]: row for row in operations.list_rows(r)}
    assert rows["tiny-cog"]["status"] == "planned" and rows["tiny-cog"]["runs"] is False
    assert rows["wav2lip-gan"]["status"] == "ready" and rows["wav2lip-gan"]["runs"] is True
    assert rows["ltx-video"]["status"] == "ready" and rows["wan2.2-ti2v-5b"]["runs"] is True
    assert rows["svd-xt"]["status"] == "ready" and rows["svd-xt"]["runs"] is True
    assert rows["camera"]["status"] == "ready" and rows["camera"]["active"] and rows["camera"]["default"]
    assert rows["visemes"]["default"] and rows["visemes"]["active"] and not rows["wav2lip-gan"]["active"]


def test_record_texts_promise_only_what_runs():
    notes = {s.id: s.notes for s in builtin_specs()}
    assert "custom path" not in notes["camera"] and "interpolation" not in notes["camera"]
    assert "phoneme" not in notes["piper-joe"] and "lip sync" not in notes["piper-joe"]
    assert "Check its hash" not in notes["wav2lip-gan"]


def test_registry_for_is_one_per_store(store, tmp_path):
    a = registry_for(store)
    assert registry_for(store) is a and a.store is store
    other = Store(Settings.from_env(tmp_path / "other"))
    assert registry_for(other) is not a
    with pytest.raises(VidgenError, match="needs the data folder's store"):
        registry_for(None)


def test_expected_models_are_there():
    repos = {s.repo for s in builtin_specs()}
    for repo in ("stabilityai/sdxl-turbo", "stabilityai/stable-diffusion-xl-base-1.0",
                 "guoyww/animatediff-motion-adapter-v1-5-2", "stabilityai/stable-video-diffusion-img2vid-xt",
                 "Lightricks/LTX-Video", "facebook/mms-tts-eng", "coqui/XTTS-v2",
                 "facebook/musicgen-small", "facebook/musicgen-medium", "TMElyralab/MuseTalk",
                 "stabilityai/sd-vae-ft-mse", "openai/whisper-tiny"):
        assert repo in repos
    reg = packaged()
    assert all(reg.get(r) for r in reg.get("animatediff-v1-5-2").requires)
    assert [reg.get(r).kind for r in reg.get("musetalk-1.5").requires] == ["adapter", "adapter"]


def test_json_round_trip():
    for s in builtin_specs():
        assert ModelSpec.from_dict(json.loads(json.dumps(s.to_dict()))) == s


def test_get_unknown_names_the_fix():
    with pytest.raises(VidgenError, match="Unknown model 'nope'.*models list"):
        packaged().get("nope")
    with pytest.raises(VidgenError, match="Unknown model kind"):
        packaged().list("video")


def test_activate_persists_across_instances(store):
    a = Registry(store)
    assert a.active("image").id == "storyboard"
    a.activate("sdxl-turbo")
    assert a.active("image").id == "sdxl-turbo"
    b = Registry(store)  # a fresh registry on the same store sees it (hot swap, other processes)
    assert b.active("image").id == "sdxl-turbo"
    assert b.active("voice").id == "piper-joe"  # other kinds untouched
    b.activate("sdxl-base")
    assert a.active("image").id == "sdxl-base"
    a.activate("storyboard")
    assert Registry(store).active("image").id == "storyboard"


def test_a_registry_needs_its_store_and_the_packaged_records_are_read_only():
    with pytest.raises(VidgenError, match="needs the data folder's store"):
        Registry(None)
    with pytest.raises(VidgenError, match="needs the data folder's store"):
        registry_for(None)
    r = packaged()
    assert not hasattr(r, "activate") and not hasattr(r, "add")
    assert r.active("music").id == "composer" and r.get("musicgen-small").kind == "music"


@pytest.mark.parametrize("repo", ["", "sdxl", "a/b/c", "owner/", "/name", "own er/name", "a--b/c", "a/b..c", "x" * 50 + "/" + "y" * 50])
def test_add_rejects_bad_repo_ids(store, repo):
    with pytest.raises(VidgenError, match="not a Hugging Face repo id"):
        Registry(store).add(repo, "image")
    assert store.list_model_states() == []


def test_add_rejects_unknown_kind(store):
    with pytest.raises(VidgenError, match="Unknown model kind 'video'"):
        Registry(store).add("someone/model", "video")


def test_add_validates_and_persists(store):
    r = Registry(store)
    spec = r.add("SomeOne/My_SDXL.finetune", "image", name="My fine-tune")
    assert (spec.id, spec.kind, spec.backend, spec.source, spec.user) == ("my_sdxl.finetune", "image", "diffusers-sdxl", "hf", True)
    assert spec.repo == "SomeOne/My_SDXL.finetune" and spec.name == "My fine-tune" and spec.allow_patterns
    again = Registry(store)
    assert again.get(spec.id) == spec and spec in again.list("image")
    again.activate(spec.id)
    assert Registry(store).active("image") == spec
    with pytest.raises(VidgenError, match="already registered as 'my_sdxl.finetune'"):
        again.add("someone/my_sdxl.finetune", "image")
    # the same name from another owner gets a distinct id
    other = again.add("other/My_SDXL.finetune", "image")
    assert other.id == "other-my_sdxl.finetune"
    assert again.add("facebook/mms-tts-deu", "voice").backend == "transformers-vits"
    anim = again.add("someone/motion-adapter", "animation")
    assert anim.backend == "diffusers-animatediff" and anim.requires == ("sd15",)


def test_add_id_never_shadows_a_builtin(store):
    spec = Registry(store).add("mirror/sdxl-turbo", "image")
    assert spec.id == "mirror-sdxl-turbo"
    assert Registry(store).get("sdxl-turbo").repo == "stabilityai/sdxl-turbo"


def test_add_llm_takes_an_ollama_tag(store):
    spec = Registry(store).add("mistral-nemo:12b", "llm")
    assert (spec.source, spec.backend, spec.repo, spec.id) == ("ollama", "ollama", "mistral-nemo:12b", "mistral-nemo-12b")
    with pytest.raises(VidgenError, match="not an Ollama model tag"):
        Registry(store).add("Bad Tag", "llm")
    with pytest.raises(VidgenError, match="already registered as 'qwen2.5-7b'"):
        Registry(store).add("qwen2.5:7b", "llm")
    # the Ollama backend runs (services.script.llm): ready, and activating it makes it the llm
    assert spec.status == "ready" and "runs on the ollama backend" in spec.notes
    assert Registry(store).activate(spec.id).id == "mistral-nemo-12b"
    assert Registry(store).active("llm").id == "mistral-nemo-12b"


def test_add_gives_each_kind_a_backend_that_runs(store):
    r = Registry(store)
    anim = r.add("someone/motion-adapter", "animation")  # a MotionAdapter: AnimateDiff runs it
    lips = r.add("someone/wav2lip-copy", "lipsync")  # a Wav2Lip checkpoint
    image = r.add("someone/sdxl-finetune", "image")
    assert (anim.status, lips.status, image.status) == ("ready", "ready", "ready")
    assert "runs on the wav2lip backend" in lips.notes and "runs on the diffusers-sdxl backend" in image.notes
    assert "runs on the diffusers-animatediff backend" in anim.notes
    assert r.active("animation").id == "camera" and r.active("lipsync").id == "visemes"  # adding activates nothing


def test_remove_user_model(store):
    r = Registry(store)
    spec = r.add("someone/voice-model", "voice")
    r.activate(spec.id)
    r.remove_user_model(spec.id)
    fresh = Registry(store)
    with pytest.raises(VidgenError, match="Unknown model"):
        fresh.get(spec.id)
    assert fresh.active("voice").id == "piper-joe"  # falls back to the default
    with pytest.raises(VidgenError, match="built-in record"):
        fresh.remove_user_model("sdxl-turbo")


def test_store_model_state(store):
    assert store.get_model_state("x") is None
    assert store.set_model_state("x", a=1)["a"] == 1
    state = store.set_model_state("x", b=(1, 2))
    assert state["a"] == 1 and state["b"] == [1, 2]
    assert [s["id"] for s in store.list_model_states()] == ["x"]
    store.delete_model_state("x")
    store.delete_model_state("x")
    assert store.get_model_state("x") is None


def test_import_loads_no_heavy_module():
    code = ("import sys, vidgen.models.registry as r; r.packaged().list(); "
            "print([m for m in ('torch', 'diffusers', 'transformers', 'huggingface_hub') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vidgen", "models", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1"})


def test_cli_list_and_activate(tmp_path):
    data = str(tmp_path / "data")
    proc = _cli("list", "--json", "--data", data)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert {r["id"] for r in rows} == {s.id for s in builtin_specs()}
    assert [r["id"] for r in rows if r["kind"] == "image" and r["active"]] == ["storyboard"]

    proc = _cli("activate", "musicgen-small", "--data", data)
    assert proc.returncode == 0 and "musicgen-small" in proc.stdout, proc.stderr
    rows = json.loads(_cli("list", "--kind", "music", "--json", "--data", data).stdout)
    assert {r["kind"] for r in rows} == {"music"}
    assert [r["id"] for r in rows if r["active"]] == ["musicgen-small"]

    proc = _cli("activate", "nope", "--data", data)
    assert proc.returncode == 1 and proc.stderr.startswith("error: Unknown model 'nope'")
    proc = _cli("add", "not-a-repo", "--kind", "image", "--data", data)
    assert proc.returncode == 1 and "not a Hugging Face repo id" in proc.stderr


def test_cli_shows_status_and_refuses_planned(tmp_path):
    data = str(tmp_path / "data")
    rows = json.loads(_cli("list", "--kind", "animation", "--json", "--data", data).stdout)
    assert {r["id"]: r["status"] for r in rows} == {
        "camera": "ready", "animatediff-v1-5-2": "ready", "animatediff-lightning-4step": "ready", "svd-xt": "ready",
        "ltx-video": "ready", "ltx-video-0.9.7-distilled": "ready", "wan2.2-ti2v-5b": "ready",
        "wan2.1-i2v-14b-480p": "ready"}
    lips = json.loads(_cli("list", "--kind", "lipsync", "--json", "--data", data).stdout)
    assert {r["id"]: r["status"] for r in lips}["visemes"] == "ready" and all(r["runs"] for r in lips)
    _planned_user_record(Store(Settings.from_env(Path(data))))
    for cmd in ("activate", "download"):
        proc = _cli(cmd, "tiny-cog", "--data", data)
        assert proc.returncode == 1, proc.stdout
        assert proc.stderr.strip() == ("error: tiny-cog (Tiny CogVideoX) has no runtime in vidgen "
                                       "yet (planned): nothing would use it; renders use the camera move.")
    proc = _cli("activate", "sdxl-turbo", "--data", data)
    assert "takes effect on the next render" in proc.stdout and "models download sdxl-turbo" in proc.stdout
    proc = _cli("activate", "camera", "--data", data)
    assert proc.returncode == 0 and "takes effect" not in proc.stdout and "nothing changes" in proc.stdout
    proc = _cli("add", "someone/wav2lip-copy", "--kind", "lipsync", "--data", data)
    assert proc.returncode == 0 and "as planned" not in proc.stdout


def test_a_planned_record_cannot_be_a_default():
    import dataclasses

    visemes = dataclasses.replace(packaged().get("visemes"), backend="nothing-runs-this", default=True)
    assert visemes.builtin and any("planned record" in p and "cannot be a default" in p for p in visemes.problems())
