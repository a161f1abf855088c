"""AnimateDiff (motion adapter on SD 1.5) as the animation backend, with a tiny random-weight
MotionAdapter saved where the registry's `animatediff-v1-5-2` record looks and a tiny SD 1.5 where
`sd15` looks, loaded offline on the CPU through `make_clip`: the clip's length, extension past one
chunk, seeds, the picture starting it, progress, cancel, and the errors.

The machine is told to be a roomy CPU box (`hub.device_info`), so the compatibility check says "cpu"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidgen.errors import Cancelled, VidgenError
from vidgen.models.backends import runtime
from vidgen.models.registry import ModelSpec

from . import tiny_models as tm
from . import tiny_video as tv

pytest.importorskip("diffusers")
pytest.importorskip("av")

from vidgen.services.animation import ClipJob, animatediff, make_clip  # noqa: E402

ADAPTER_REPO = "guoyww/animatediff-motion-adapter-v1-5-2"
SD15_REPO = "stable-diffusion-v1-5/stable-diffusion-v1-5"
FRAMES = 8  # the tiny adapter's motion_max_seq_length: frames per chunk
FPS, SIZE = 8, (64, 64)
LONG = 1.5  # seconds: 12 frames at 8 fps need 13 native frames, more than one 8-frame chunk
SHORT = 0.5  # 4 frames, one chunk


def _fp16_names(folder: Path) -> None:
    """Weight files named as the records' allow_patterns expect (float32 inside: the CPU runs them)."""
    for weights in list(folder.glob("*.safetensors")) + list(folder.glob("*/*.safetensors")):
        weights.rename(weights.with_name(weights.name.replace(".safetensors", ".fp16.safetensors")))


def save_tiny_animatediff(cache: Path, scratch: Path) -> None:
    import torch
    from diffusers import MotionAdapter

    _fp16_names(tm.save_in_hf_cache(tm.build_tiny_sd(scratch), cache, SD15_REPO))
    torch.manual_seed(0)
    adapter = MotionAdapter(block_out_channels=(32, 64), motion_layers_per_block=1, motion_norm_num_groups=2,
                            motion_num_attention_heads=2, motion_max_seq_length=FRAMES)
    _fp16_names(tm.save_in_hf_cache(adapter, cache, ADAPTER_REPO))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The tiny models in an offline HF cache on a roomy CPU box (tiny_video.offline_video_models)."""
    with tv.offline_video_models(tmp_path_factory, lambda hf: save_tiny_animatediff(hf, tmp_path_factory.mktemp("scratch")), "animatediff-v1-5-2") as found:
        yield found


frames = tv.clip_frames


def clip(env, tmp_path: Path, name: str = "clip.mp4", *, still: str = "a", duration: float = SHORT, seed: int = 3,
         progress=None, cancel=None, **kw) -> np.ndarray:
    spec, stills = env
    job = ClipJob(stills[still], "static", duration, FPS, SIZE, prompt="a red fox", seed=seed, steps=2, **kw)
    out = make_clip(spec, job, tmp_path / name, progress=progress, cancel=cancel)
    assert out == tmp_path / name
    return frames(out)



@pytest.fixture(scope="module")
def long_clip(env, tmp_path_factory):
    """The LONG scene's clip with its progress values and log lines, once for the module."""
    seen: list[float] = []
    with tv.log_lines(animatediff.__name__) as lines:
        px = clip(env, tmp_path_factory.mktemp("long"), duration=LONG, progress=seen.append)
    return px, seen, lines


def test_the_record_runs_on_this_module(env):
    spec, _ = env
    assert spec.backend == "diffusers-animatediff" and spec.runs and spec.status == "ready"
    assert runtime(spec) is animatediff and animatediff.base_spec(spec).id == "sd15"


def test_a_long_scene_is_extended_to_its_full_length(long_clip):
    px, _, lines = long_clip
    assert px.shape == (round(LONG * FPS), SIZE[1], SIZE[0], 3)
    assert any(f"2 chunk(s) of {FRAMES}" in line for line in lines), lines
    assert any("chunk 2/2 done" in line for line in lines), lines  # a second chunk continued the first
    steps = np.abs(np.diff(px, axis=0)).mean(axis=(1, 2, 3))
    assert (steps > 0.5).all(), steps  # every frame differs from the one before


def test_progress_rises_to_one(long_clip):
    _, seen, _ = long_clip
    assert len(seen) >= 2 * 2  # two chunks of two steps, then the writing
    assert all(b >= a for a, b in zip(seen, seen[1:])) and seen[-1] == pytest.approx(1.0)


def test_same_seed_same_frames_other_seed_other_frames(env, tmp_path):
    a, b, c = (clip(env, tmp_path, f"{n}.mp4", seed=s) for n, s in (("a", 5), ("b", 5), ("c", 6)))
    assert a.shape[0] == round(SHORT * FPS)
    assert np.array_equal(a, b)
    assert np.abs(a - c).mean() > 1.0


def test_the_picture_starts_the_clip(env, tmp_path):
    """Random weights make no faithful copy of the still, but the still is the input video: another
    still with the same seed gives another clip, first frame included."""
    a, b = clip(env, tmp_path, "a.mp4", still="a"), clip(env, tmp_path, "b.mp4", still="b")
    assert np.abs(a - b).mean() > 1.0
    assert np.abs(a[0] - b[0]).mean() > 1.0


def test_cancel_mid_denoise_stops_and_leaves_no_file(env, tmp_path):
    calls, seen = [], []

    def cancel():  # 1: before loading, 2: the first chunk, 3: its first step, 4: its second
        calls.append(1)
        if len(calls) == 4:
            raise Cancelled()

    with pytest.raises(Cancelled):
        clip(env, tmp_path, duration=LONG, progress=seen.append, cancel=cancel)
    assert len(calls) == 4 and len(seen) == 1 and seen[0] < 0.5  # stopped inside the first chunk
    assert list(tmp_path.iterdir()) == []  # no clip, no temporary file


def test_missing_base_or_adapter_says_how_to_fetch_it(env, tmp_path, monkeypatch):
    spec, stills = env
    absent = ModelSpec.from_dict({**spec.to_dict(), "repo": "nobody/absent-adapter"})
    job = ClipJob(stills["a"], "static", 1.0, FPS, SIZE)
    with pytest.raises(VidgenError, match="is not downloaded: .*models download animatediff-v1-5-2"):
        make_clip(absent, job, tmp_path / "x.mp4")
    base = animatediff.base_spec(spec)
    monkeypatch.setattr(animatediff, "base_spec",
                        lambda s: ModelSpec.from_dict({**base.to_dict(), "repo": "nobody/absent-sd15"}))
    with pytest.raises(VidgenError, match="is not downloaded: .*models download sd15"):
        make_clip(spec, job, tmp_path / "x.mp4", cancel=lambda: pytest.fail("no work may start"))
    assert list(tmp_path.iterdir()) == []


def test_bad_settings_are_named(env, tmp_path):
    spec, stills = env
    for kw, word in ((dict(strength=1.5), "strength"), (dict(steps=-1), "steps")):
        with pytest.raises(VidgenError, match=word):
            make_clip(spec, ClipJob(stills["a"], "static", 1.0, FPS, SIZE, **kw), tmp_path / "x.mp4")


# --- the arithmetic, no model -----------------------------------------------------------------

def test_strength_and_steps():
    assert [animatediff.denoise_strength(s) for s in (0.0, 1.0)] == pytest.approx([0.6, 0.95])
    for steps in (1, 2, 25):
        for s in (0.0, 0.5, 1.0):
            d = animatediff.denoise_strength(s)
            assert int(animatediff.schedule_steps(steps, d) * d) == steps


def test_the_next_chunk_starts_from_the_last_frames():
    joined = [np.full((2, 2, 3), i / 10) for i in range(8)]
    nxt = animatediff.next_input(joined, 8, 2)
    assert len(nxt) == 8 and [float(f[0, 0, 0]) for f in nxt[:3]] == pytest.approx([0.6, 0.7, 0.7])
