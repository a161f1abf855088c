"""LTX-Video as the animation backend, with tiny random-weight LTX pipelines saved where the
registry's `ltx-video` record (model_index LTXPipeline: the image-to-video route) and
`ltx-video-0.9.7-distilled` record (LTXConditionPipeline, a timestep-conditioned VAE: the
condition route) look, loaded offline on the CPU through `make_clip`: the clip's length, extension
past one chunk, seeds, the picture as the first frame, the strength knob, progress, cancel, and the
errors.

The machine is told to be a roomy CPU box (`hub.device_info`), so the compatibility check says "cpu".
One chunk is NATIVE_FRAMES frames; the tiny VAE compresses time 4x, and 13 (the first frame, then 3
latent frames of 4) keeps a chunk small while a short scene still fits in one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidgen.errors import Cancelled, VidgenError
from vidgen.models import hub
from vidgen.models.backends import runtime
from vidgen.models.registry import ModelSpec, packaged

from . import tiny_ltx as tl
from . import tiny_video as tv

pytest.importorskip("diffusers")
pytest.importorskip("av")

from vidgen.services.animation import ClipJob, clips, ltx, make_clip  # noqa: E402

from .tiny_video import GiB, ROOMY  # noqa: E402

DISTILLED_ID = "ltx-video-0.9.7-distilled"
CHUNK = 13  # frames per call for the tiny models (ltx.NATIVE_FRAMES here)
FPS, SIZE = 12, (96, 64)  # 96x64 at the tiny VAE's 4x is LTX's own 24x16 latent grid
SHORT = 0.5  # 6 frames at 12 fps: 12 native frames at 24 fps, one chunk
LONG = 0.75  # 9 frames: 18 native frames, two chunks of 13 sharing 3


def save_both(hf: Path) -> None:
    tl.save_tiny_ltx(hf, tl.REPO)
    tl.save_tiny_ltx(hf, tl.DISTILLED_REPO, condition=True)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Both tiny models in an offline HF cache on a roomy CPU box (tiny_video.offline_video_models),
    chunks of CHUNK frames: yields ({"full": ltx-video, "distilled": ...}, stills)."""
    mp = pytest.MonkeyPatch()
    mp.setattr(ltx, "NATIVE_FRAMES", CHUNK)
    try:
        with tv.offline_video_models(tmp_path_factory, save_both, "ltx-video") as (spec, stills):
            yield {"full": spec, "distilled": packaged().get(DISTILLED_ID)}, stills
    finally:
        mp.undo()


frames = tv.clip_frames


def clip(env, tmp_path: Path, name: str = "clip.mp4", *, model: str = "full", still: str = "a",
         duration: float = SHORT, seed: int = 3, steps: int = 2, progress=None, cancel=None, **kw) -> np.ndarray:
    specs, stills = env
    job = ClipJob(stills[still], "static", duration, FPS, SIZE, prompt="a red fox", seed=seed, steps=steps, **kw)
    out = make_clip(specs[model], job, tmp_path / name, progress=progress, cancel=cancel)
    assert out == tmp_path / name
    return frames(out)



def logged(fn):
    """fn()'s result and this module's log lines while it ran."""
    with tv.log_lines(ltx.__name__) as lines:
        return fn(), lines


@pytest.fixture(scope="module")
def long_clip(env, tmp_path_factory):
    """The LONG scene's clip (image-to-video route) with its progress values and log lines, once."""
    seen: list[float] = []
    px, lines = logged(lambda: clip(env, tmp_path_factory.mktemp("long"), duration=LONG, progress=seen.append))
    return px, seen, lines


def test_the_records_run_on_this_module_by_their_routes(env):
    specs, _ = env
    assert specs["full"].backend == "diffusers-ltx" and specs["distilled"].backend == "diffusers-ltx-distilled"
    for spec in specs.values():
        assert spec.runs and spec.status == "ready" and runtime(spec) is ltx
    assert ltx.pipeline_class(specs["full"], hub.local_path(specs["full"])) == "LTXImageToVideoPipeline"
    assert ltx.pipeline_class(specs["distilled"], hub.local_path(specs["distilled"])) == "LTXConditionPipeline"


def test_a_long_scene_is_extended_to_its_full_length(long_clip):
    px, _, lines = long_clip
    assert px.shape == (round(LONG * FPS), SIZE[1], SIZE[0], 3)
    assert any(f"2 chunk(s) of {CHUNK} at 96x64 on LTXImageToVideoPipeline" in line for line in lines), lines
    assert any("strength unused" in line for line in lines), lines
    assert any("chunk 2/2 done" in line for line in lines), lines  # a second chunk continued the first
    steps = np.abs(np.diff(px, axis=0)).mean(axis=(1, 2, 3))
    assert (steps > 0.5).all(), steps  # every frame differs from the one before


def test_progress_rises_to_one(long_clip):
    _, seen, _ = long_clip
    assert len(seen) >= 2 * 2  # two chunks of two steps, then the writing
    assert all(b >= a for a, b in zip(seen, seen[1:])) and seen[-1] == pytest.approx(1.0)


@pytest.mark.parametrize("model", ["full", "distilled"])
def test_same_seed_same_frames_other_seed_other_frames(env, tmp_path, model):
    a, b, c = (clip(env, tmp_path, f"{n}.mp4", model=model, seed=s) for n, s in (("a", 5), ("b", 5), ("c", 6)))
    assert a.shape[0] == round(SHORT * FPS)
    assert np.array_equal(a, b)
    assert np.abs(a - c).mean() > 1.0


def _latent(pipe, still: str):
    """The VAE's latent of a still cover-fitted to the generation size (SIZE here), as the pipelines
    encode a picture (their video processor, the posterior's mean)."""
    import torch

    x = pipe.video_processor.preprocess(ltx.clips.still(still, SIZE), height=SIZE[1], width=SIZE[0]).unsqueeze(2)
    with torch.no_grad():
        return pipe.vae.encode(x).latent_dist.mode()[:, :, 0]


@pytest.mark.parametrize("model", ["full", "distilled"])
def test_the_picture_is_the_first_frame(env, tmp_path, monkeypatch, model):
    """The first latent frame the VAE decodes is the still's own latent: LTXImageToVideoPipeline holds
    it clean, LTXConditionPipeline's full-strength condition at frame 0 keeps it but for the small
    condition and decode noise. Measured against the other still's latent, whichever still is used.
    The tiny decoder is random (it paints no picture), so in pixels what holds is that the picture
    reaches the clip: another still, another first frame."""
    from vidgen.models.cache import get_cache

    specs, stills = env
    ltx.register_loaders(get_cache())
    with get_cache().use(specs[model]) as pipe:
        pass  # the loaded pipeline make_clip gets from the cache
    decoded, decode = [], pipe.vae.decode
    monkeypatch.setattr(pipe.vae, "decode", lambda z, *a, **k: decoded.append(z.clone()) or decode(z, *a, **k))
    first = {s: clip(env, tmp_path, f"{s}.mp4", model=model, still=s)[0] for s in "ab"}
    latent = {s: _latent(pipe, stills[s]) for s in "ab"}
    assert len(decoded) == 2  # one chunk per clip
    for z, own, other in zip(decoded, "ab", "ba"):
        near, far = (float((z[:, :, 0] - latent[t]).abs().mean()) for t in (own, other))
        assert near < far / 4 and (model != "full" or near < 1e-5), (own, near, far)
    assert np.abs(first["a"] - first["b"]).mean() > 1.0


def test_the_distilled_model_runs_its_own_schedule(env, tmp_path):
    seen: list[float] = []
    px, lines = logged(lambda: clip(env, tmp_path, model="distilled", steps=0, progress=seen.append))
    assert px.shape[0] == round(SHORT * FPS)
    assert any("on LTXConditionPipeline (8 steps, condition noise 0.025)" in line for line in lines), lines
    assert sum(1 for v in seen if v <= clips.DENOISE_SHARE) == len(ltx.DISTILLED_TIMESTEPS)  # one per timestep


def test_strength_loosens_the_condition(env, tmp_path):
    """On the condition route strength is image_cond_noise_scale: another strength, another clip."""
    pinned = clip(env, tmp_path, "0.mp4", model="distilled", strength=0.0)
    free = clip(env, tmp_path, "1.mp4", model="distilled", strength=1.0)
    assert np.abs(pinned - free).mean() > 0.5


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


def test_too_large_for_the_machine_fails_before_any_work(env, tmp_path, monkeypatch):
    specs, stills = env
    small = dict(ROOMY, ram_free=2 * GiB, ram_total=4 * GiB)
    monkeypatch.setattr(hub, "device_info", lambda: small)
    for spec in specs.values():
        with pytest.raises(VidgenError, match=rf"^{spec.name.split(' (')[0]}.* cannot run on this machine: "
                                              r"no GPU, and it needs"):
            make_clip(spec, ClipJob(stills["a"], "static", 1.0, FPS, SIZE), tmp_path / "x.mp4",
                      cancel=lambda: pytest.fail("no work may start"))
    assert list(tmp_path.iterdir()) == []


def test_a_model_not_downloaded_says_how_to_fetch_it(env, tmp_path):
    specs, stills = env
    absent = ModelSpec.from_dict({**specs["distilled"].to_dict(), "repo": "nobody/absent-ltx"})
    with pytest.raises(VidgenError, match=f"is not downloaded: .*models download {DISTILLED_ID}"):
        make_clip(absent, ClipJob(stills["a"], "static", 1.0, FPS, SIZE), tmp_path / "x.mp4")


def test_a_broken_snapshot_is_a_load_failure(env, tmp_path):
    specs, stills = env
    folder = tl.save_tiny_ltx(hub.hf_cache_dir(), "tiny-org/broken-ltx")
    (folder / "transformer" / "config.json").write_text("{not json")
    broken = ModelSpec.from_dict({**specs["full"].to_dict(), "id": "broken-ltx", "repo": "tiny-org/broken-ltx",
                                  "revision": folder.name})
    with pytest.raises(VidgenError, match=r"cannot be loaded: .*models download broken-ltx"):
        make_clip(broken, ClipJob(stills["a"], "static", 1.0, FPS, SIZE), tmp_path / "x.mp4")
    assert list(tmp_path.iterdir()) == []


def test_bad_settings_are_named(env, tmp_path):
    specs, stills = env
    for kw, word in ((dict(strength=1.5), "strength"), (dict(strength=-0.1), "strength"), (dict(steps=-1), "steps")):
        with pytest.raises(VidgenError, match=word):
            make_clip(specs["full"], ClipJob(stills["a"], "static", 1.0, FPS, SIZE, **kw), tmp_path / "x.mp4")
    with pytest.raises(VidgenError, match=r"^Animation strength must be from 0 to 1, not 2\.$"):
        ltx.cond_noise(2)


# --- the arithmetic, no model -----------------------------------------------------------------

def test_the_native_size_is_ltx_grid_at_the_film_aspect():
    assert ltx.size_for(32, (1920, 1080)) == (832, 480)
    assert ltx.size_for(32, (1080, 1920)) == (480, 832)
    assert ltx.size_for(32, (768, 512)) == (768, 512)  # LTX's own
    assert ltx.size_for(32, (1024, 1024)) == (640, 640)
    assert ltx.size_for(4, SIZE) == SIZE  # the tiny VAE: still a multiple of 32, the pipelines' rule


def test_frames_per_call_are_what_the_vae_makes():
    assert ltx.frames_for(8, 121) == 121 and ltx.frames_for(8, 100) == 97 and ltx.frames_for(8, 3) == 9
    assert ltx.frames_for(4, 13) == 13
    assert ltx.clips.chunk_count(ltx.clips.frames_needed(6 * 24, 24, 24), 121, 3) == 2  # 6 s: 121 + 118 new


def test_the_route_follows_the_backend_then_the_model_index(tmp_path):
    full, distilled = packaged().get("ltx-video"), packaged().get(DISTILLED_ID)
    i2v = "LTXImageToVideoPipeline"
    for name, route in (("LTXPipeline", i2v), (i2v, i2v), ("LTXConditionPipeline", "LTXConditionPipeline")):
        (tmp_path / "model_index.json").write_text(f'{{"_class_name": "{name}"}}')
        assert ltx.pipeline_class(full, tmp_path) == route
        assert ltx.pipeline_class(distilled, tmp_path) == "LTXConditionPipeline"
    (tmp_path / "model_index.json").unlink()  # from_pretrained will say what is missing
    assert ltx.pipeline_class(full, tmp_path) == "LTXImageToVideoPipeline"


def test_strength_and_schedules():
    assert [ltx.cond_noise(s) for s in (0.0, 0.25, 0.5, 1.0)] == pytest.approx([0.0, 0.0125, 0.025, 0.15])
    assert ltx.schedule(False, 0) == {"num_inference_steps": 30, "guidance_scale": 5.0}
    assert ltx.schedule(False, 12)["num_inference_steps"] == 12
    assert ltx.schedule(True, 0) == {"timesteps": [1000, 993, 987, 981, 975, 909, 725, 0.03], "guidance_scale": 1.0}
    assert ltx.schedule(True, 8) == ltx.schedule(True, 0)
    assert ltx.schedule(True, 4) == {"num_inference_steps": 4, "guidance_scale": 1.0}
