"""The AI image backend in the pipeline: a tiny random-weight SDXL pipeline in the HF cache, registered
as a user image model, paints the scenes of a full render through the step cache (CPU, offline)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vidgen.config import Settings
from vidgen.domain import RenderSettings
from vidgen.errors import VidgenError
from vidgen.media import probe
from vidgen.models.registry import Registry
from vidgen.pipeline import create_project, image_key, render
from vidgen.store import Store

from .tiny_models import SDXL_REPO, build_tiny_sdxl, offline_hub, save_in_hf_cache

pytest.importorskip("diffusers")

ROOT = Path(__file__).resolve().parents[1]
@pytest.fixture(scope="module")
def tiny_cache(tmp_path_factory) -> Path:
    cache = tmp_path_factory.mktemp("hub")
    save_in_hf_cache(build_tiny_sdxl(tmp_path_factory.mktemp("scratch")), cache, SDXL_REPO)
    return cache


@pytest.fixture()
def offline(tiny_cache, monkeypatch) -> Path:
    from vidgen.services.images import diffusion

    offline_hub(monkeypatch, tiny_cache)
    # the tiny pipeline is made for 64 px: generate small and with few steps (the video size is fitted after)
    tiny = diffusion.ModelDefaults(steps=2, guidance=5.0, base=64,
                                   sizes={"1:1": (64, 64), "16:9": (128, 64), "9:16": (64, 128)})
    monkeypatch.setitem(diffusion.DEFAULTS, ("diffusers-sdxl", SDXL_REPO), tiny)
    return tiny_cache


@pytest.fixture()
def store(tmp_path, offline) -> Store:
    """Not conftest's: this one is opened once the tiny model is in place (`offline`)."""
    return Store(Settings.from_env(tmp_path / "data"))


def settings(**kw) -> RenderSettings:
    return RenderSettings(resolution="480p", fps=8, quality="draft", voice="none", **kw)


def pixels(path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.float32)


def test_full_render_with_an_ai_image_model(store, tmp_path, harbour):
    from vidgen.services.images import paint_storyboard

    spec = Registry(store).add(SDXL_REPO, "image")
    project = create_project(store, harbour, settings=settings(image_model=spec.id, style="cinematic",
                                                             negative_prompt="text"))
    events = []
    job = render(store, project.id, on_event=events.append)
    assert job.status == "completed"

    info = probe(job.result["video"])
    assert (info.video.codec, info.video.width, info.video.height) == ("h264", 854, 480)
    assert info.audio is not None and info.audio.codec == "aac"
    assert 5.0 <= info.duration <= 9.0, info.duration

    images = [s for s in job.steps if s.name == "image"]
    assert [s.scene for s in images] == [1, 2] and not any(s.cached for s in images)
    project = store.get_project(project.id)
    size = project.settings.size
    for step, scene in zip(images, project.scenes):
        assert step.key != image_key(project, scene)  # not the painter's step
        hit = store.get_step(step.key)
        assert hit["data"]["model"] == spec.id and "cinematic" in hit["data"]["prompt"]
        ai = pixels(store.asset_path(hit["outputs"]["image"]))
        painted = pixels(paint_storyboard(scene, size, tmp_path / f"painted-{scene.number}.png",
                                          seed=project.settings.seed, total_scenes=len(project.scenes)))
        assert ai.shape == painted.shape == (size[1], size[0], 3)
        assert np.abs(ai - painted).mean() > 10.0
    # the denoising steps report progress inside the images stage
    assert len([e for e in events if e.stage == "images"]) > 4

    again = render(store, project.id)
    assert again.status == "completed" and again.steps and all(s.cached for s in again.steps)
    assert again.result["video"] != "" and Path(again.result["video"]).is_file()


def test_style_and_seed_are_part_of_the_step_key(store, harbour):
    from vidgen.pipeline import image_plan
    from vidgen.resolve import image_model

    spec = Registry(store).add(SDXL_REPO, "image")
    project = create_project(store, harbour, settings=settings(image_model=spec.id))
    scene = project.scenes[0]
    base = image_plan(store, project, scene, image_model(store, project, scene))
    assert base is not None
    request, key = base
    assert (request.width, request.height) == (128, 64)
    for change in ({"style": "anime"}, {"seed": 5}, {"negative_prompt": "blur"}):
        other = create_project(store, harbour, settings=settings(image_model=spec.id, **change))
        assert image_plan(store, other, other.scenes[0], spec)[1] != key, change
    # the painter path keeps its old keys (caches stay valid)
    painter = create_project(store, harbour, settings=settings(image_model="storyboard"))
    assert image_plan(store, painter, painter.scenes[0], image_model(store, painter, painter.scenes[0])) is None


def test_a_model_not_downloaded_fails_before_any_step(store, harbour):
    spec = Registry(store).add("tiny-org/not-here", "image")
    project = create_project(store, harbour, settings=settings(image_model=spec.id))
    with pytest.raises(VidgenError, match="not downloaded"):
        render(store, project.id)
    job = store.list_jobs(project.id)[0]
    assert job.status == "failed" and "not downloaded" in job.error and job.steps == []


def test_cli_unknown_image_model_is_one_line(tmp_path, harbour):
    script = tmp_path / "s.txt"
    script.write_text(harbour)
    proc = subprocess.run([sys.executable, "-m", "vidgen", "render", str(script), "--image-model", "unknown",
                           "--data", str(tmp_path / "data"), "-q"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "unknown" in lines[0].lower(), proc.stderr


def test_cli_unknown_style_is_one_line(tmp_path, harbour):
    script = tmp_path / "s.txt"
    script.write_text(harbour)
    proc = subprocess.run([sys.executable, "-m", "vidgen", "render", str(script), "--style", "nope",
                           "--data", str(tmp_path / "data"), "-q"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "style" in lines[0].lower(), proc.stderr


def test_studio_generate_image_and_settings_validation(store, studio, harbour):
    spec = Registry(studio.store).add(SDXL_REPO, "image")
    p = studio.create_project(harbour, "", {"resolution": "480p", "fps": 8, "quality": "draft", "voice": "none"})
    painted = studio.generate_image(p["id"], 1)
    assert painted["model"] == "storyboard" and not painted["cached"] and Path(painted["image"]).is_file()
    studio.update_scene(p["id"], 1, {"image_model": spec.id})
    first = studio.generate_image(p["id"], 1)
    assert first["model"] == spec.id and not first["cached"] and first["image"] != painted["image"]
    assert studio.generate_image(p["id"], 1)["cached"]
    with pytest.raises(VidgenError, match="Unknown model"):
        studio.update_settings(p["id"], {"image_model": "nope"})
    with pytest.raises(VidgenError, match="not an image model"):
        studio.update_settings(p["id"], {"image_model": "camera"})
    with pytest.raises(VidgenError, match="Unknown style"):
        studio.update_settings(p["id"], {"style": "nope"})
    with pytest.raises(VidgenError, match="image_strength"):
        studio.update_scene(p["id"], 1, {"image_strength": 2.0})
    assert studio.update_settings(p["id"], {"style": "anime"})["settings"]["style"] == "anime"


def test_a_scenes_own_style_reaches_its_picture_alone(store, studio, harbour):
    """Scene.style overrides the project's style for that scene's AI picture; "none" means no style;
    the other scene's picture step is reused; an unknown style is refused with the project unchanged."""
    spec = Registry(studio.store).add(SDXL_REPO, "image")
    p = studio.create_project(harbour, "", {"resolution": "480p", "fps": 8, "quality": "draft", "voice": "none",
                                            "image_model": spec.id, "style": "cinematic"})
    studio.update_scene(p["id"], 1, {"style": "anime"})
    job = render(studio.store, p["id"])
    assert job.status == "completed"
    prompts = {s.scene: studio.store.get_step(s.key)["data"]["prompt"] for s in job.steps if s.name == "image"}
    assert prompts[1].startswith("anime artwork of") and prompts[2].startswith("cinematic film still of"), prompts

    studio.update_scene(p["id"], 2, {"style": "none"})
    again = {s.scene: s for s in render(studio.store, p["id"]).steps if s.name == "image"}
    assert again[1].cached and not again[2].cached
    plain = studio.store.get_step(again[2].key)["data"]["prompt"]
    assert not any(word in plain for word in ("cinematic", "anime", "film still")), plain

    before = studio.get_project(p["id"])
    with pytest.raises(VidgenError, match="unknown style 'vaporwave'") as e:
        studio.update_scene(p["id"], 1, {"style": "vaporwave"})
    assert "\n" not in str(e.value) and "anime" in str(e.value)
    assert studio.get_project(p["id"]) == before


CAST_SCRIPT = """Scene 1: The harbour
Mara: The boats are back before the storm.

Scene 2: The pier
Mara: I will wait here for my brother.
"""


def test_image_settings_and_a_characters_reference_reach_the_model(store, studio, tiny_cache, tmp_path):
    """Steps, scheduler and the reference picture (through the registry's IP-Adapter record) change
    the request, the step key and the picture; without the adapter downloaded the render stops first."""
    from PIL import Image

    from vidgen.models import hub
    from vidgen.checks import check_image_models
    from vidgen.pipeline import image_plan
    from vidgen.resolve import image_model

    from .tiny_models import save_tiny_ip_adapter, snapshot_dir

    spec = Registry(studio.store).add(SDXL_REPO, "image")
    assert spec.ip_adapter == "ip-adapter-sdxl"  # an SDXL fine-tune takes SDXL's adapter
    p = studio.create_project(CAST_SCRIPT, "", {"resolution": "480p", "fps": 8, "quality": "draft",
                                                "voice": "none", "image_model": spec.id})
    plain = studio.generate_image(p["id"], 1)
    ref = tmp_path / "mara.png"
    Image.new("RGB", (96, 96), (230, 40, 40)).save(ref)
    p = studio.set_character_reference(p["id"], "mara", str(ref))
    assert store.get_asset(p["characters"][0]["reference"]).type == "image"
    project = store.get_project(p["id"])
    if not hub.is_downloaded(Registry(store).get("ip-adapter-sdxl")):
        with pytest.raises(VidgenError, match="models download ip-adapter-sdxl"):
            check_image_models(store, project, project.scenes)
    save_tiny_ip_adapter(snapshot_dir(tiny_cache, SDXL_REPO), tiny_cache)
    check_image_models(store, project, project.scenes)

    request, key = image_plan(store, project, project.scenes[0], image_model(store, project, project.scenes[0]))
    assert request.ip_image and request.ip_scale == 0.6
    steered = studio.generate_image(p["id"], 1)
    assert not steered["cached"] and np.abs(pixels(steered["image"]) - pixels(plain["image"])).mean() > 1.0

    studio.update_settings(p["id"], {"image_steps": 3, "scheduler": "euler_a", "reference_scale": 0.3,
                                     "image_guidance": 2.0})
    project = store.get_project(p["id"])
    request2, key2 = image_plan(store, project, project.scenes[0], spec)
    assert (request2.steps, request2.scheduler, request2.ip_scale, request2.guidance) == (3, "euler_a", 0.3, 2.0)
    assert key2 != key
    events = []
    studio.generate_image(p["id"], 1, on_event=events.append)
    assert len([e for e in events if e.stage == "images" and 0 < e.fraction < 1]) >= 2  # per denoising step
    with pytest.raises(VidgenError, match="image_steps"):
        studio.update_settings(p["id"], {"image_steps": 500})
    with pytest.raises(VidgenError, match="scheduler"):
        studio.update_settings(p["id"], {"scheduler": "nope"})
    with pytest.raises(VidgenError, match="LoRA"):
        studio.update_settings(p["id"], {"loras": [{"source": "not a repo", "scale": 1}]})
    with pytest.raises(VidgenError, match="No character 'Bob'"):
        studio.set_character_reference(p["id"], "Bob", str(ref))
    # refine: the picture just made becomes the scene's own, changed a little by image-to-image
    before = pixels(studio.generate_image(p["id"], 1)["image"])
    p = studio.keep_scene_image(p["id"], 1, 0.3)
    assert p["scenes"][0]["image"] and p["scenes"][0]["image_strength"] == 0.3
    project = store.get_project(p["id"])
    request3, _ = image_plan(store, project, project.scenes[0], spec)
    assert Path(request3.init_image).is_file() and request3.strength == 0.3  # image-to-image from it
    refined = pixels(studio.generate_image(p["id"], 1)["image"])
    assert np.abs(refined - before).mean() > 0.5  # (strength against change: tests/test_diffusion.py)
    with pytest.raises(VidgenError, match="strength"):
        studio.keep_scene_image(p["id"], 1, 1.5)
    p = studio.update_character(p["id"], "Mara", {"seed": 42, "description": "a fisher in a yellow coat"})
    assert p["characters"][0]["seed"] == 42 and "yellow coat" in image_plan(
        store, store.get_project(p["id"]), store.get_project(p["id"]).scenes[0], spec)[0].prompt
