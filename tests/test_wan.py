"""Wan as the animation backend, with tiny random-weight Wan pipelines (tests/tiny_wan.py) saved where
the registry's `wan2.2-ti2v-5b` and `wan2.1-i2v-14b-480p` records look, loaded offline on the CPU
through `make_clip`: the route each snapshot loads by, the clip's length, extension past one chunk,
seeds, the still as the first frame, the strength's flow shift, progress, cancel, and the errors.

The frames per call come from wan.VARIANTS, which this module sets to tiny ones (9 frames on 2.2, 5 on
2.1, timed at the film's 8 fps). The machine is a roomy CPU box (`hub.device_info`), so the
compatibility check says "cpu"; one test tells it a small one instead."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vidgen.errors import Cancelled, VidgenError
from vidgen.models import hub
from vidgen.models import cache as cache_mod
from vidgen.models.backends import runtime
from vidgen.models.registry import ModelSpec, packaged

from . import tiny_video as tv
from . import tiny_wan as tw

pytest.importorskip("diffusers")
pytest.importorskip("av")

from vidgen.services.animation import ClipJob, clips, make_clip, wan  # noqa: E402

from .tiny_video import GiB, ROOMY  # noqa: E402

TI2V, I2V = "wan2.2-ti2v-5b", "wan2.1-i2v-14b-480p"
FPS, SIZE = 8, (64, 64)
REAL = dict(wan.VARIANTS)  # before the module's tiny ones
TINY = {"ti2v": wan.Variant(64 * 64, 9, FPS, 50), "i2v": wan.Variant(32 * 32, 5, FPS, 40)}
SHORT = 1.0  # 8 frames need 9 at the native 8 fps: one 9-frame chunk on 2.2 (two 5-frame ones on 2.1)
LONG = 1.5  # 12 frames need 13: two chunks on 2.2


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Both tiny models in an offline HF cache on a roomy CPU box (tiny_video.offline_video_models),
    the tiny variants in wan.VARIANTS: yields ({"ti2v": spec, "i2v": spec}, stills)."""
    mp = pytest.MonkeyPatch()
    for name, variant in TINY.items():
        mp.setitem(wan.VARIANTS, name, variant)
    try:
        with tv.offline_video_models(tmp_path_factory, tw.save_tiny_wan, TI2V) as (spec, stills):
            yield {"ti2v": spec, "i2v": packaged().get(I2V)}, stills
    finally:
        mp.undo()


frames = tv.clip_frames


def clip(env, tmp_path: Path, name: str = "clip.mp4", *, model: str = "ti2v", still: str = "a",
         duration: float = SHORT, seed: int = 3, progress=None, cancel=None, **kw) -> np.ndarray:
    specs, stills = env
    job = ClipJob(stills[still], "static", duration, FPS, SIZE, prompt="a red fox runs", seed=seed, steps=2, **kw)
    out = make_clip(specs[model], job, tmp_path / name, progress=progress, cancel=cancel)
    assert out == tmp_path / name
    return frames(out)


def pipeline(env, model: str = "ti2v"):
    """The cached pipeline make_clip uses (loaded by wan's loader if no clip has yet)."""
    cache = cache_mod.get_cache()
    wan.register_loaders(cache)
    with cache.use(env[0][model]) as pipe:
        return pipe



@pytest.fixture(scope="module")
def long_clip(env, tmp_path_factory):
    """The LONG scene's 2.2 clip with its progress values and log lines, once for the module."""
    seen: list[float] = []
    with tv.log_lines(wan.__name__) as lines:
        px = clip(env, tmp_path_factory.mktemp("long"), duration=LONG, progress=seen.append)
    return px, seen, lines


def test_the_records_run_on_this_module(env):
    for spec in env[0].values():
        assert spec.backend == "diffusers-wan" and spec.runs and spec.status == "ready"
        assert runtime(spec) is wan


def test_the_ti2v_snapshot_says_wan_pipeline_and_loads_with_expand_timesteps(env):
    import torch
    from diffusers import WanImageToVideoPipeline

    spec = env[0]["ti2v"]
    index = json.loads((hub.local_path(spec) / "model_index.json").read_text())
    assert index["_class_name"] == "WanPipeline" and index["expand_timesteps"] is True
    assert "image_encoder" not in index and index["transformer_2"] == [None, None]
    pipe = pipeline(env)
    assert type(pipe) is WanImageToVideoPipeline and pipe.config.expand_timesteps is True
    assert pipe.image_encoder is None and wan.variant_of(pipe) == "ti2v"
    assert wan.side_multiple(pipe) == 32  # VAE 16 x patch 2
    assert pipe.vae.dtype == torch.float32


def test_the_i2v_snapshot_loads_with_its_image_encoder(env):
    import torch

    pipe = pipeline(env, "i2v")
    assert pipe.config.expand_timesteps is False and wan.variant_of(pipe) == "i2v"
    assert pipe.image_encoder is not None and pipe.image_encoder.dtype == torch.float32
    assert pipe.transformer.config.image_dim == 4 and wan.side_multiple(pipe) == 16  # VAE 8 x patch 2


def test_a_long_scene_is_extended_to_its_full_length(long_clip):
    px, _, lines = long_clip
    assert px.shape == (round(LONG * FPS), SIZE[1], SIZE[0], 3)  # 12 frames at the film's size
    assert any("2 chunk(s) of 9 at 64x64" in line for line in lines), lines
    assert any("chunk 2/2 done" in line for line in lines), lines  # a second chunk continued the first
    steps = np.abs(np.diff(px, axis=0)).mean(axis=(1, 2, 3))
    assert (steps > 0.5).all(), steps  # every frame differs from the one before


def test_progress_rises_to_one(long_clip):
    _, seen, _ = long_clip
    assert len(seen) >= 2 * 2  # two chunks of two steps, then the writing
    assert all(b >= a for a, b in zip(seen, seen[1:])) and seen[-1] == pytest.approx(1.0)


def test_same_seed_same_frames_other_seed_other_frames(env, tmp_path):
    a, b, c = (clip(env, tmp_path, f"{n}.mp4", seed=s) for n, s in (("a", 5), ("b", 5), ("c", 6)))
    assert a.shape == (round(SHORT * FPS), SIZE[1], SIZE[0], 3)
    assert np.array_equal(a, b)
    assert np.abs(a[1:] - c[1:]).mean() > 1.0
    assert np.abs(a[0] - c[0]).mean() < 2.0  # the first frame is the still's, whatever the seed


def test_the_first_frame_is_the_still(env, tmp_path):
    """2.2 keeps the still's latent as the first latent frame; the tiny VAE is faithful (16x16 block
    means), so the clip's first frame is close to its still, and closer to it than to the other."""
    _, stills = env
    seen = {k: np.asarray(clips.still(p, SIZE), dtype=np.int16) for k, p in stills.items()}
    first = {k: clip(env, tmp_path, f"{k}.mp4", still=k)[0] for k in stills}
    for k, other in (("a", "b"), ("b", "a")):
        own, far = np.abs(first[k] - seen[k]).mean(), np.abs(first[k] - seen[other]).mean()
        assert own < 0.6 * far, (k, own, far)
    assert np.abs(first["a"] - seen["a"]).mean() < 20  # the gradient, at 16 px blocks


def test_strength_is_the_schedulers_flow_shift(env, tmp_path):
    pipe = pipeline(env)
    shifts: list[float] = []

    def during(value):
        if value <= clips.DENOISE_SHARE + 1e-9:  # denoising, not writing
            shifts.append(pipe.scheduler.config.flow_shift)

    low = clip(env, tmp_path, "low.mp4", strength=0.0, progress=during)
    high = clip(env, tmp_path, "high.mp4", strength=1.0, progress=during)
    assert set(shifts) == {2.5, 10.0}  # the snapshot's 5.0 halved and doubled while the clips were made
    assert pipe.scheduler.config.flow_shift == 5.0  # and the model's own again after
    assert np.abs(low[1:] - high[1:]).mean() > 1.0


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
    assert pipeline(env).scheduler.config.flow_shift == 5.0


def test_wan_21_conditions_on_the_still_through_its_image_encoder(env, tmp_path):
    """2.1 with random weights makes no copy of the still, and its random VAE (the 2.1 kind, kept
    real) washes most of the picture out of the condition latents: another still with the same seed
    moved the frames by under a level on average when measured (0.7), frame-to-frame changes by ~13.
    What holds: the CLIP encoder sees every chunk's picture, a scene past one 5-frame chunk is
    extended, and another still gives another clip."""
    pipe = pipeline(env, "i2v")
    seen: list[int] = []
    hook = pipe.image_encoder.register_forward_hook(lambda *_: seen.append(1))
    try:
        a = clip(env, tmp_path, "a.mp4", model="i2v", still="a")
    finally:
        hook.remove()
    b = clip(env, tmp_path, "b.mp4", model="i2v", still="b")
    assert a.shape == (round(SHORT * FPS), SIZE[1], SIZE[0], 3)
    assert len(seen) == 2  # two chunks: 9 native frames from 5 + 4
    assert np.abs(np.diff(a, axis=0)).mean() > 0.5
    assert np.abs(a - b).mean() > 0.3


def test_too_large_for_the_machine_fails_before_any_work(env, tmp_path, monkeypatch):
    specs, stills = env
    small = dict(ROOMY, ram_free=2 * GiB, ram_total=4 * GiB)
    monkeypatch.setattr(hub, "device_info", lambda: small)
    with pytest.raises(VidgenError, match=r"^Wan 2.2 TI2V 5B cannot run on this machine: no GPU, and it needs "
                                          r"34.0 GB RAM"):
        make_clip(specs["ti2v"], ClipJob(stills["a"], "static", 1.0, FPS, SIZE), tmp_path / "x.mp4",
                  cancel=lambda: pytest.fail("no work may start"))
    assert list(tmp_path.iterdir()) == []


def test_a_model_not_downloaded_says_how_to_fetch_it(env, tmp_path):
    specs, stills = env
    absent = ModelSpec.from_dict({**specs["ti2v"].to_dict(), "repo": "nobody/absent-wan"})
    with pytest.raises(VidgenError, match="is not downloaded: .*models download wan2.2-ti2v-5b"):
        make_clip(absent, ClipJob(stills["a"], "static", 1.0, FPS, SIZE), tmp_path / "x.mp4")


def test_bad_settings_are_named(env, tmp_path):
    specs, stills = env
    for kw, word in ((dict(strength=1.5), "strength"), (dict(strength=-0.1), "strength"), (dict(steps=-1), "steps")):
        with pytest.raises(VidgenError, match=word):
            make_clip(specs["ti2v"], ClipJob(stills["a"], "static", 1.0, FPS, SIZE, **kw), tmp_path / "x.mp4",
                      cancel=lambda: pytest.fail("no work may start"))


# --- the arithmetic, no model -----------------------------------------------------------------

def test_the_variants_native_sizes_and_chunks():
    assert REAL["ti2v"] == wan.Variant(1280 * 704, 121, 24, 50)
    assert REAL["i2v"] == wan.Variant(832 * 480, 81, 16, 40)
    assert wan.native_size(1280 * 704, 32, (1920, 1080)) == (1280, 704)  # 16:9 at that area, multiples of 32
    assert wan.native_size(1280 * 704, 32, (1080, 1920)) == (704, 1280)
    assert wan.native_size(832 * 480, 16, (1920, 1080)) == (848, 480)
    assert wan.native_size(832 * 480, 16, (1080, 1920)) == (480, 848)
    assert [wan.chunk_frames(n) for n in (121, 120, 81, 9, 3)] == [121, 117, 81, 9, 5]  # 4k+1


def test_strength_maps_onto_the_flow_shift():
    assert [wan.shift_for(s, 5.0) for s in (0.0, 0.5, 1.0)] == pytest.approx([2.5, 5.0, 10.0])
    assert wan.shift_for(0.5, 3.0) == pytest.approx(3.0)
    with pytest.raises(VidgenError, match="^Animation strength must be from 0 to 1"):
        wan.shift_for(2, 5.0)
