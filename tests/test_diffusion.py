"""The diffusers image service with tiny random-weight SD and SDXL pipelines, offline, on the CPU:
registry id -> model cache -> `generate`; seeds, img2img strength, LoRA, progress, cancel, prompts, sizes."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from vidgen.domain import Character, Scene
from vidgen.errors import Cancelled, VidgenError
from vidgen.models.registry import ModelSpec

from . import tiny_models as tm

pytest.importorskip("diffusers")
pytest.importorskip("peft")

from vidgen.services.images import diffusion  # noqa: E402
from vidgen.services.images.diffusion import ImageRequest  # noqa: E402

S = tm.SIZE


@pytest.fixture(scope="module")
def hf_cache(tmp_path_factory) -> Path:
    return tm.make_hf_cache(tmp_path_factory.mktemp("hf") / "hub")


@pytest.fixture(scope="module")
def loras(hf_cache, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("loras")
    return {"sd": tm.save_tiny_lora(tm.snapshot_dir(hf_cache, tm.SD_REPO), out / "sd", sdxl=False),
            "sdxl": tm.save_tiny_lora(tm.snapshot_dir(hf_cache, tm.SDXL_REPO), out / "sdxl", sdxl=True)}


@pytest.fixture(scope="module")
def env(hf_cache, tmp_path_factory):
    """A registry with both tiny models added as user models, and one model cache for the module."""
    from vidgen.config import Settings
    from vidgen.models.registry import Registry
    from vidgen.store import Store

    mp = pytest.MonkeyPatch()
    tm.offline_hub(mp, hf_cache)
    registry = Registry(Store(Settings.from_env(tmp_path_factory.mktemp("data"))))
    specs = {"sd": registry.add(tm.SD_REPO, "image"), "sdxl": registry.add(tm.SDXL_REPO, "image")}
    # `add` picks diffusers-sdxl for every image repo: the tiny SD one runs on the SD backend.
    specs["sd"] = ModelSpec.from_dict({**specs["sd"].to_dict(), "backend": "diffusers-sd"})
    cache = tm.cpu_model_cache(registry)
    yield specs, cache
    mp.undo()


def run(env, which: str, tmp_path: Path, name: str = "out.png", **kw) -> np.ndarray:
    specs, cache = env
    size, adapter = kw.pop("size", None), kw.pop("ip_adapter", None)
    req = ImageRequest(**{"prompt": "a red fox in the snow", "width": S, "height": S, "steps": 2, **kw})
    out = diffusion.generate(specs[which], req, tmp_path / name, size=size, cache=cache, ip_adapter=adapter)
    from PIL import Image

    with Image.open(out) as im:
        assert im.format == "PNG"
        return np.asarray(im.convert("RGB")).astype(np.int16)


@pytest.mark.parametrize("which", ["sdxl", "sd"])
def test_txt2img_writes_a_png_of_the_requested_size(env, which, tmp_path):
    px = run(env, which, tmp_path, size=(128, 72))
    assert px.shape == (72, 128, 3)
    assert px.std() > 0  # a picture, not a flat fill
    specs, cache = env
    assert cache.loaded(specs[which].id) == "cpu"  # resident in the cache after use


@pytest.mark.parametrize("which", ["sdxl", "sd"])
def test_same_seed_same_pixels_different_seed_different(env, which, tmp_path):
    a = run(env, which, tmp_path, "a.png", seed=3)
    b = run(env, which, tmp_path, "b.png", seed=3)
    c = run(env, which, tmp_path, "c.png", seed=4)
    assert np.array_equal(a, b)
    assert np.abs(a - c).mean() > 1.0


def test_img2img_changes_more_at_higher_strength(env, tmp_path):
    """A random-weight VAE cannot reproduce the init image (every output is ~60 grey levels from
    it whatever the strength), so distance is measured from the init image as the model sees it:
    its round trip through the pipeline at the lowest strength (one step of ten)."""
    from PIL import Image

    yy, xx = np.mgrid[0:S, 0:S]
    init = np.stack([xx * 4, yy * 4, np.full_like(xx, 128)], axis=-1).astype(np.uint8)  # a smooth gradient
    Image.fromarray(init).save(tmp_path / "init.png")
    out = {strength: run(env, "sdxl", tmp_path, f"s{strength}.png", init_image=str(tmp_path / "init.png"),
                         strength=strength, steps=10)
           for strength in (0.1, 0.3, 0.9)}
    diffs = {s: np.abs(out[s] - out[0.1]).mean() for s in (0.3, 0.9)}
    assert diffs[0.9] > diffs[0.3] + 1.0, diffs

    plain = run(env, "sdxl", tmp_path, "txt2img.png", steps=10)
    assert not np.array_equal(plain, out[0.3])  # img2img used the image


@pytest.mark.parametrize("which", ["sdxl", "sd"])
def test_lora_changes_the_output_and_is_unloaded_after(env, loras, which, tmp_path):
    before = run(env, which, tmp_path, "before.png", seed=5)
    with_lora = run(env, which, tmp_path, "lora.png", seed=5, loras=[(str(loras[which]), 1.0)])
    after = run(env, which, tmp_path, "after.png", seed=5)
    assert np.abs(with_lora - before).mean() > 1.0
    assert np.array_equal(before, after)  # the cached pipeline is clean again
    specs, cache = env
    with cache.use(specs[which]) as pipe:
        assert not pipe.get_list_adapters()


def test_lora_scale_zero_is_like_no_lora(env, loras, tmp_path):
    plain = run(env, "sd", tmp_path, "plain.png", seed=6)
    zero = run(env, "sd", tmp_path, "zero.png", seed=6, loras=[(str(loras["sd"]), 0.0)])
    assert np.abs(zero - plain).max() <= 1


def test_progress_fires_once_per_step_with_increasing_fractions(env, tmp_path):
    specs, cache = env
    seen: list[float] = []
    diffusion.generate(specs["sdxl"], ImageRequest("a fox", width=S, height=S, steps=3), tmp_path / "p.png",
                       progress=seen.append, cache=cache)
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_cancel_inside_the_loop_stops_generation(env, tmp_path):
    specs, cache = env
    seen: list[float] = []

    def cancel():
        if len(seen) >= 1:  # after step 0 reported: raise at the end of step 1
            raise Cancelled()

    out = tmp_path / "never.png"
    with pytest.raises(Cancelled):
        diffusion.generate(specs["sd"], ImageRequest("a fox", width=S, height=S, steps=4), out,
                           progress=seen.append, cancel=cancel, cache=cache)
    assert seen == [0.25]
    assert not out.exists() and not list(tmp_path.iterdir())
    # the cache is fine afterwards
    assert run(env, "sd", tmp_path).shape == (S, S, 3)


def test_scheduler_choice_and_model_defaults(env, tmp_path):
    a = run(env, "sd", tmp_path, "euler.png", scheduler="euler")
    b = run(env, "sd", tmp_path, "dpm.png", scheduler="dpm++")
    assert a.shape == b.shape == (S, S, 3)
    specs, cache = env
    with cache.use(specs["sd"]) as pipe:
        assert type(pipe.scheduler).__name__ == "DDIMScheduler"  # the cached pipeline keeps its own
    with pytest.raises(VidgenError, match="Unknown scheduler"):
        run(env, "sd", tmp_path, scheduler="heun-ish")


def test_ip_image_without_an_adapter_is_skipped_with_a_note(env, tmp_path, caplog):
    from PIL import Image

    Image.new("RGB", (S, S), (200, 30, 30)).save(tmp_path / "ref.png")
    with caplog.at_level(logging.WARNING, logger="vidgen.services.images.diffusion"):
        plain = run(env, "sdxl", tmp_path, "plain.png", seed=2)
        ref = run(env, "sdxl", tmp_path, "ref-out.png", seed=2, ip_image=str(tmp_path / "ref.png"))
    assert np.array_equal(plain, ref)
    assert "No IP-Adapter is configured" in caplog.text


@pytest.fixture(scope="module")
def ip_adapter(hf_cache, env):
    from vidgen.models import hub
    from vidgen.models.registry import packaged

    tm.save_tiny_ip_adapter(tm.snapshot_dir(hf_cache, tm.SDXL_REPO), hf_cache)
    spec = packaged().get("ip-adapter-sdxl")  # the registry's record, found in the test cache
    assert hub.is_downloaded(spec)
    return spec


def test_reference_image_conditions_through_the_ip_adapter_and_is_unloaded_after(env, ip_adapter, tmp_path):
    from PIL import Image

    for name, colour in (("red", (220, 20, 20)), ("blue", (20, 40, 220))):
        Image.new("RGB", (S, S), colour).save(tmp_path / f"{name}.png")
    plain = run(env, "sdxl", tmp_path, "plain.png", seed=3)
    red = run(env, "sdxl", tmp_path, "r.png", seed=3, ip_image=str(tmp_path / "red.png"), ip_adapter=ip_adapter)
    red_again = run(env, "sdxl", tmp_path, "r2.png", seed=3, ip_image=str(tmp_path / "red.png"), ip_adapter=ip_adapter)
    blue = run(env, "sdxl", tmp_path, "b.png", seed=3, ip_image=str(tmp_path / "blue.png"), ip_adapter=ip_adapter)
    none = run(env, "sdxl", tmp_path, "z.png", seed=3, ip_image=str(tmp_path / "red.png"), ip_adapter=ip_adapter,
               ip_scale=0.0)
    assert np.array_equal(red, red_again)
    assert np.abs(red - plain).mean() > 1.0 and np.abs(red - blue).mean() > 0.5  # the reference steers the image
    assert np.abs(none - plain).max() <= 2  # scale 0: the adapter adds nothing
    specs, cache = env
    with cache.use(specs["sdxl"]) as pipe:  # unloaded: the cached pipeline is as before
        assert getattr(pipe, "image_encoder", None) is None
        assert not any("IPAdapter" in type(p).__name__ for p in pipe.unet.attn_processors.values())
    assert np.array_equal(run(env, "sdxl", tmp_path, "after.png", seed=3), plain)
    with pytest.raises(VidgenError, match="not an IP-Adapter"):
        run(env, "sdxl", tmp_path, ip_image=str(tmp_path / "red.png"), ip_adapter=specs["sd"])


def test_bad_requests_fail_early_and_clearly(env, tmp_path):
    with pytest.raises(VidgenError, match="multiple of 8"):
        run(env, "sd", tmp_path, width=70)
    with pytest.raises(VidgenError, match="strength"):
        run(env, "sd", tmp_path, init_image=str(tmp_path / "x.png"), strength=0.0)
    with pytest.raises(VidgenError, match="LoRA"):
        run(env, "sd", tmp_path, loras=[(str(tmp_path / "missing.safetensors"), 1.0)])
    specs, _ = env
    painter = ModelSpec(id="storyboard", kind="image", backend="storyboard", name="Painter", source="builtin",
                        builtin=True, license="x")
    with pytest.raises(VidgenError, match="not a diffusers image backend"):
        diffusion.generate(painter, ImageRequest("x"), tmp_path / "x.png")


# --- no model needed -------------------------------------------------------------------------

def spec(repo: str, backend: str = "diffusers-sdxl") -> ModelSpec:
    return ModelSpec(id="m", kind="image", backend=backend, name="M", source="hf", repo=repo, license="x")


def test_native_size_and_defaults_per_model():
    base, turbo = spec("stabilityai/stable-diffusion-xl-base-1.0"), spec("stabilityai/sdxl-turbo")
    sd = spec("stable-diffusion-v1-5/stable-diffusion-v1-5", "diffusers-sd")
    assert diffusion.native_size(base, "1:1") == (1024, 1024)
    assert diffusion.native_size(base, "16:9") == (1344, 768)
    assert diffusion.native_size(base, "9:16") == (768, 1344)
    assert diffusion.native_size(turbo, "1:1") == diffusion.native_size(sd, "1:1") == (512, 512)
    for s in (base, turbo, sd):
        for aspect in ("1:1", "16:9", "9:16"):
            w, h = diffusion.native_size(s, aspect)
            assert w % 64 == 0 and h % 64 == 0
            assert (w > h) == (aspect == "16:9") and (w < h) == (aspect == "9:16")
    d = diffusion.model_defaults
    assert (d(turbo).steps, d(turbo).guidance) == (2, 0.0)
    assert (d(base).steps, d(base).guidance) == (30, 7.0)
    assert (d(sd).steps, d(sd).guidance) == (25, 7.5)
    assert d(spec("someone/my-sdxl-turbo-finetune")).guidance == 0.0
    assert d(spec("someone/my-sdxl")) == d(base)
    with pytest.raises(VidgenError, match="Unknown aspect"):
        diffusion.native_size(base, "4:3")


def test_compose_prompt_has_the_visual_the_characters_and_the_style():
    scene = Scene(number=1, heading="EXT. HARBOUR - NIGHT", visual="Rain lashes the empty pier",
                  characters=["MAYA", "Tom"])
    chars = [Character("Maya", "a tall woman in a yellow raincoat"), Character("Tom", "an old fisherman"),
             Character("Zed", "a robot who is not in this scene")]
    prompt, negative = diffusion.compose_prompt(scene, chars, "cinematic")
    for part in ("Rain lashes the empty pier", "a tall woman in a yellow raincoat", "an old fisherman",
                 "cinematic film still of"):
        assert part in prompt
    assert "robot" not in prompt
    assert negative == diffusion.styles()["cinematic"]["negative"] and negative
    plain, no_negative = diffusion.compose_prompt(scene, chars)
    assert plain.startswith("Rain lashes the empty pier") and no_negative == ""
    with pytest.raises(VidgenError, match="Unknown style"):
        diffusion.compose_prompt(scene, chars, "vaporwave-9000")


def test_styles_are_data_with_a_prompt_slot():
    st = diffusion.styles()
    assert {"cinematic", "photographic", "anime", "watercolor", "comic", "3d-render", "storyboard-sketch"} <= set(st)
    for s in st.values():
        assert "{prompt}" in s["prompt"] and isinstance(s["negative"], str)


def test_character_seed_is_stable_and_per_character():
    maya, tom = Character("Maya"), Character("Tom")
    assert diffusion.character_seed(maya, 1) == diffusion.character_seed(Character("maya "), 1)
    assert diffusion.character_seed(maya, 1) != diffusion.character_seed(tom, 1)
    assert diffusion.character_seed(maya, 1) != diffusion.character_seed(maya, 2)
    assert 0 <= diffusion.character_seed(maya, 1) < 2 ** 31


def test_a_broken_download_is_named_by_model_never_by_the_server_folder(env, hf_cache, tmp_path):
    import shutil

    from vidgen.errors import without_paths

    broken = "tests/broken-sd"
    shutil.copytree(tm.snapshot_dir(hf_cache, tm.SD_REPO), tm.snapshot_dir(hf_cache, broken))
    (tm.snapshot_dir(hf_cache, broken).parent.parent / "refs").mkdir()
    (tm.snapshot_dir(hf_cache, broken).parent.parent / "refs" / "main").write_text(tm.COMMIT)
    for weights in tm.snapshot_dir(hf_cache, broken).glob("unet/*.safetensors"):
        weights.write_bytes(b"not a safetensors file")
    record = ModelSpec.from_dict({**spec(broken, "diffusers-sd").to_dict(), "id": "broken-sd"})
    with pytest.raises(VidgenError) as e:
        diffusion.load_pipeline(record, "cpu")
    said = str(e.value)
    assert "cannot be loaded" in said and "models download broken-sd" in said, said
    assert str(hf_cache) not in said and "/" + hf_cache.name not in said and "\n" not in said
    assert without_paths("no file in /srv/data/hf/x.bin, see http://a.io/b") == "no file in <file>, see http://a.io/b"
