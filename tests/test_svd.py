"""Stable Video Diffusion as the animation backend, with a tiny random-weight SVD saved where the
registry's `svd-xt` record looks, loaded offline on the CPU through `make_clip`: the clip's length,
extension past one chunk, seeds, the picture conditioning it, progress, cancel, and the errors.

The machine is told to be a roomy CPU box (`hub.device_info`), so the 10 GB record's compatibility
check says "cpu" wherever the tests run; one test tells it a small one instead."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidgen.errors import Cancelled, VidgenError
from vidgen.models import hub
from vidgen.models.backends import runtime
from vidgen.models.registry import ModelSpec

from . import tiny_video as tv

pytest.importorskip("diffusers")
pytest.importorskip("av")

from vidgen.services.animation import ClipJob, make_clip, svd  # noqa: E402

from .tiny_video import GiB, ROOMY  # noqa: E402
FPS, SIZE = 8, (64, 64)
LONG = 1.5  # seconds: 12 frames at 8 fps need 11 native frames at 7 fps, more than one 8-frame chunk


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The tiny models in an offline HF cache on a roomy CPU box (tiny_video.offline_video_models)."""
    with tv.offline_video_models(tmp_path_factory, tv.save_tiny_svd, "svd-xt") as found:
        yield found


frames = tv.clip_frames


def clip(env, tmp_path: Path, name: str = "clip.mp4", *, still: str = "a", duration: float = 1.0, seed: int = 3,
         progress=None, cancel=None, **kw) -> np.ndarray:
    spec, stills = env
    job = ClipJob(stills[still], "static", duration, FPS, SIZE, seed=seed, steps=2, **kw)
    out = make_clip(spec, job, tmp_path / name, progress=progress, cancel=cancel)
    assert out == tmp_path / name
    return frames(out)


@pytest.fixture(scope="module")
def long_clip(env, tmp_path_factory):
    """The LONG scene's clip with its progress values and log lines, once for the module."""
    seen: list[float] = []
    with tv.log_lines(svd.__name__) as lines:
        px = clip(env, tmp_path_factory.mktemp("long"), duration=LONG, progress=seen.append)
    return px, seen, lines



def test_the_record_runs_on_this_module(env):
    spec, _ = env
    assert spec.backend == "diffusers-svd" and spec.runs and spec.status == "ready"
    assert runtime(spec) is svd


def test_a_long_scene_is_extended_to_its_full_length(long_clip):
    px, _, lines = long_clip
    assert px.shape == (round(LONG * FPS), SIZE[1], SIZE[0], 3)  # 12 frames at the film's size
    assert any("chunk 2/2 done" in line for line in lines), lines  # a second chunk continued the first
    steps = np.abs(np.diff(px, axis=0)).mean(axis=(1, 2, 3))
    assert (steps > 0.5).all(), steps  # every frame differs from the one before


def test_progress_rises_to_one(long_clip):
    _, seen, _ = long_clip
    assert len(seen) >= 2 * 2  # two chunks of two steps, then the writing
    assert all(b >= a for a, b in zip(seen, seen[1:])) and seen[-1] == pytest.approx(1.0)


def test_same_seed_same_frames_other_seed_other_frames(env, tmp_path):
    a, b, c = (clip(env, tmp_path, f"{n}.mp4", seed=s) for n, s in (("a", 5), ("b", 5), ("c", 6)))
    assert np.array_equal(a, b)
    assert np.abs(a - c).mean() > 1.0


def test_the_picture_conditions_the_clip(env, tmp_path):
    """With random weights the first frame is no copy of the still: measured, its mean distance to
    its own still was not always smaller than to the other still (measured once, it was not), so "close to the still"
    cannot be a pixel threshold here (real weights: the GPU bench's first-frame check). What holds:
    the picture reaches the model, so another still with the same seed gives another clip, and the
    first frame changes with it."""
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


def test_too_large_for_the_machine_fails_before_any_work(env, tmp_path, monkeypatch):
    spec, stills = env
    small = dict(ROOMY, ram_free=2 * GiB, ram_total=4 * GiB)
    monkeypatch.setattr(hub, "device_info", lambda: small)
    with pytest.raises(VidgenError, match=r"^Stable Video Diffusion img2vid-xt cannot run on this machine: "
                                          r"no GPU, and it needs 10.0 GB RAM"):
        make_clip(spec, ClipJob(stills["a"], "static", 1.0, FPS, SIZE), tmp_path / "x.mp4",
                  cancel=lambda: pytest.fail("no work may start"))
    assert list(tmp_path.iterdir()) == []


def test_a_model_not_downloaded_says_how_to_fetch_it(env, tmp_path):
    spec, stills = env
    absent = ModelSpec.from_dict({**spec.to_dict(), "repo": "nobody/absent-svd"})
    with pytest.raises(VidgenError, match="is not downloaded: .*models download svd-xt"):
        make_clip(absent, ClipJob(stills["a"], "static", 1.0, FPS, SIZE), tmp_path / "x.mp4")


def test_bad_settings_are_named(env, tmp_path):
    spec, stills = env
    for kw, word in ((dict(strength=1.5), "strength"), (dict(steps=-1), "steps")):
        with pytest.raises(VidgenError, match=word):
            make_clip(spec, ClipJob(stills["a"], "static", 1.0, FPS, SIZE, **kw), tmp_path / "x.mp4")


# --- the arithmetic, no model -----------------------------------------------------------------

def test_native_size_keeps_the_model_area_at_the_film_aspect():
    assert svd.native_size(768 * 768, 64, (1920, 1080)) == (1024, 576)  # XT's own size
    assert svd.native_size(768 * 768, 64, (1080, 1920)) == (576, 1024)
    assert svd.native_size(768 * 768, 64, (1024, 1024)) == (768, 768)
    assert svd.native_size(32 * 32, 16, (64, 64)) == (32, 32)  # the tiny model


def test_chunks_cover_the_scene():
    assert svd.frames_needed(1, 24) == 1
    assert svd.frames_needed(12, 8) == 11  # output frame 11 at 8 fps is native frame 9.6
    assert svd.chunk_count(25, 25, 3) == 1
    assert svd.chunk_count(26, 25, 3) == 2
    six_seconds = svd.frames_needed(6 * 24, 24)  # 43 native frames at 7 fps
    assert svd.chunk_count(six_seconds, 25, svd.overlap_for(25)) == 2  # 25 + 22 new frames
    assert svd.overlap_for(25) == 3 and svd.overlap_for(8) == 2 and svd.overlap_for(4) == 1


def test_motion_strength_maps_onto_the_motion_bucket():
    assert [svd.motion_bucket(s) for s in (0.0, 0.5, 1.0)] == [1, 128, 255]
