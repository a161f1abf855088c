"""AnimateDiff-Lightning: a motion adapter published as one state-dict file with no config, run in a few
steps with guidance 1 on Euler trailing timesteps. A tiny random-weight MotionAdapter (MotionAdapter's
default heads and norm groups, as the published adapters) is saved as that one file where the registry's
`animatediff-lightning-4step` record looks, a tiny SD 1.5 where `sd15` looks; loaded offline on the CPU
through `make_clip`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidgen.errors import VidgenError
from vidgen.models.registry import ModelSpec

from . import tiny_models as tm
from . import tiny_video as tv
from .test_animatediff import FPS, SD15_REPO, SIZE, _fp16_names

pytest.importorskip("diffusers")
pytest.importorskip("av")

from vidgen.services.animation import ClipJob, animatediff, make_clip  # noqa: E402

REPO = "ByteDance/AnimateDiff-Lightning"
WEIGHTS = "animatediff_lightning_4step_diffusers.safetensors"
FRAMES = 8  # the tiny adapter's positional embeddings: frames per chunk


def tiny_adapter():
    import torch
    from diffusers import MotionAdapter

    torch.manual_seed(0)
    return MotionAdapter(block_out_channels=(32, 64), motion_layers_per_block=1, motion_max_seq_length=FRAMES)


def save_tiny_lightning(cache: Path, scratch: Path) -> None:
    from safetensors.torch import save_file

    _fp16_names(tm.save_in_hf_cache(tm.build_tiny_sd(scratch), cache, SD15_REPO))
    folder = tm.snapshot_dir(cache, REPO)
    folder.mkdir(parents=True)
    save_file(tiny_adapter().state_dict(), str(folder / WEIGHTS))  # the file alone, as on the hub
    (folder.parent.parent / "refs").mkdir()
    (folder.parent.parent / "refs" / "main").write_text(folder.name)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    save = lambda hf: save_tiny_lightning(hf, tmp_path_factory.mktemp("scratch"))  # noqa: E731
    with tv.offline_video_models(tmp_path_factory, save, "animatediff-lightning-4step") as found:
        yield found


def clip(env, tmp_path: Path, name: str, *, still: str = "a", seed: int = 3, duration: float = 0.5) -> np.ndarray:
    spec, stills = env
    job = ClipJob(stills[still], "static", duration, FPS, SIZE, prompt="a red fox", seed=seed)  # steps: its own
    return tv.clip_frames(make_clip(spec, job, tmp_path / name))


def test_the_record_is_a_four_step_single_file_adapter(env):
    spec, _ = env
    assert spec.weights == WEIGHTS and spec.runs and animatediff.distilled_steps(spec) == 4
    assert animatediff.base_spec(spec).id == "sd15"
    assert animatediff.distilled_steps(ModelSpec.from_dict({**spec.to_dict(), "weights": ""})) == 0


def test_the_adapter_shape_is_read_from_its_weights():
    adapter = tiny_adapter()
    config = animatediff.adapter_config(adapter.state_dict())
    assert config["block_out_channels"] == (32, 64) and config["motion_max_seq_length"] == FRAMES
    assert config["motion_layers_per_block"] == 1 and config["use_motion_mid_block"]
    for key, value in config.items():
        saved = adapter.config[key]
        assert (tuple(saved) if isinstance(saved, list) else saved) == value, key
    with pytest.raises(ValueError, match="not a MotionAdapter"):
        animatediff.adapter_config({"unet.conv_in.weight": adapter.state_dict()[next(iter(adapter.state_dict()))]})


def test_it_loads_with_lightning_scheduling_and_its_own_weights(env):
    from vidgen.models.cache import get_cache

    spec, _ = env
    expected = tiny_adapter().state_dict()
    animatediff.register_loaders(get_cache())
    with get_cache().use(spec) as pipe:
        assert type(pipe.scheduler).__name__ == "EulerDiscreteScheduler"
        assert pipe.scheduler.config.timestep_spacing == "trailing"
        assert pipe.scheduler.config.beta_schedule == "linear"
        got = pipe.unet.down_blocks[0].motion_modules[0].proj_in.weight.detach()
        assert np.allclose(got.numpy(), expected["down_blocks.0.motion_modules.0.proj_in.weight"].numpy())


def test_a_clip_in_four_steps_moves_and_follows_its_seed(env, tmp_path):
    spec, stills = env
    seen: list[float] = []
    make_clip(spec, ClipJob(stills["a"], "static", 0.5, FPS, SIZE, seed=3), tmp_path / "p.mp4", progress=seen.append)
    assert sum(1 for p in seen if p <= 0.95 + 1e-9) == 4  # one report per denoising step: the 4 it was made for
    a, b, c = clip(env, tmp_path, "a.mp4"), clip(env, tmp_path, "b.mp4"), clip(env, tmp_path, "c.mp4", seed=4)
    assert a.shape == (round(0.5 * FPS), SIZE[1], SIZE[0], 3)
    assert np.array_equal(a, b) and np.abs(a - c).mean() > 1.0
    assert (np.abs(np.diff(a, axis=0)).mean(axis=(1, 2, 3)) > 0.5).all()


def test_a_damaged_weight_file_is_named(env, tmp_path, monkeypatch):
    spec, stills = env
    broken = ModelSpec.from_dict({**spec.to_dict(), "id": "broken-lightning", "weights": "absent.safetensors"})
    job = ClipJob(stills["a"], "static", 0.5, FPS, SIZE)
    with pytest.raises(VidgenError, match="Broken|broken|AnimateDiff-Lightning") as err:
        make_clip(broken, job, tmp_path / "x.mp4")
    assert "\n" not in str(err.value) and "Traceback" not in str(err.value)
    assert list(tmp_path.iterdir()) == []
