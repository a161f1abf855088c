"""ClipSink: the chunks of an image-to-video model written as they come. Seams crossfade, the clip is
retimed to the film's fps and lasts the scene exactly, it holds only a seam's frames, and an error or a
cancel part way leaves nothing at the output path."""

from __future__ import annotations

import numpy as np
import pytest

from vidgen.errors import Cancelled
from vidgen.services.animation import ClipJob
from vidgen.services.animation.sink import ClipSink

from .tiny_video import clip_frames

pytest.importorskip("av")


def job(duration: float = 1.0, fps: int = 24, **kw) -> ClipJob:
    return ClipJob("still.png", "static", duration, fps, (16, 16), crf=0, preset="ultrafast", **kw)


def grey(v: float, n: int, side: int = 16) -> list[np.ndarray]:
    return [np.full((side, side, 3), v, dtype=np.float32) for _ in range(n)]


def test_the_seam_is_crossfaded_and_only_its_frames_are_held(tmp_path):
    out = tmp_path / "c.mp4"
    with ClipSink(job(6 / 8, fps=8), (16, 16), out, 8, 2) as sink:
        sink.push(grey(0.2, 4))
        assert len(sink.tail) == 2 and sink.written == 2  # everything before the seam is encoded already
        sink.push(grey(0.8, 4), 2)
        assert len(sink.tail) == 2
    means = clip_frames(out).mean(axis=(1, 2, 3)) / 255
    # 0.2, 0.2, then the seam (1/3 and 2/3 of the way to 0.8), then 0.8: 6 frames, the scene's
    assert means == pytest.approx([0.2, 0.2, 0.4, 0.6, 0.8, 0.8], abs=0.02)


def test_the_clip_is_retimed_to_the_films_fps_and_lasts_the_scene(tmp_path):
    ramp = [np.full((16, 16, 3), i / 10, dtype=np.float32) for i in range(8)]  # 8 frames at a model's 7 fps
    with ClipSink(job(1.0, 24), (16, 16), tmp_path / "r.mp4", 7, 1) as sink:
        sink.push(ramp)
    px = clip_frames(tmp_path / "r.mp4")
    assert len(px) == 24 and px[0].mean() / 255 == pytest.approx(0.0, abs=0.01)
    assert 0.29 <= px[12].mean() / 255 <= 0.41  # 0.5 s is native frame 3.5: between frames 3 and 4
    with ClipSink(job(1.0, 24), (16, 16), tmp_path / "h.mp4", 7, 1) as sink:
        sink.push(ramp[:2])  # a short answer is held to the scene's frame count
    assert len(clip_frames(tmp_path / "h.mp4")) == 24
    with ClipSink(job(0.25, 24), (16, 16), tmp_path / "s.mp4", 7, 1) as sink:
        sink.push(ramp)  # frames past the scene's end are dropped
    assert len(clip_frames(tmp_path / "s.mp4")) == 6


def test_frames_are_cover_fitted_to_the_film(tmp_path):
    wide = np.zeros((16, 32, 3), dtype=np.float32)
    wide[:, 8:24] = 1.0  # a white centre between black sides: the crop keeps the centre
    with ClipSink(job(0.5, 8), (16, 16), tmp_path / "f.mp4", 8, 1) as sink:
        sink.push([wide] * 4)
    px = clip_frames(tmp_path / "f.mp4")
    assert px.shape == (4, 16, 16, 3) and px.mean() > 240


def test_a_stabilized_clip_goes_through_the_stabilizer(tmp_path):
    import cv2

    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur((rng.random((64, 64, 3)) * 255).astype(np.uint8), (5, 5), 0)
    shaky = [cv2.warpAffine(base, np.float32([[1, 0, rng.normal() * 2], [0, 1, rng.normal() * 2]]), (64, 64),
                            borderMode=cv2.BORDER_REFLECT).astype(np.float32) / 255 for _ in range(24)]
    for name, steady in (("plain", False), ("steady", True)):
        with ClipSink(job(1.0, 24, stabilize=steady), (64, 64), tmp_path / f"{name}.mp4", 24, 1) as sink:
            for k in range(0, 24, 6):
                sink.push(shaky[k:k + 6])
    plain, steady = clip_frames(tmp_path / "plain.mp4"), clip_frames(tmp_path / "steady.mp4")
    assert len(plain) == len(steady) == 24
    jitter = [float(np.abs(np.diff(c[:, 8:-8, 8:-8], axis=0)).mean()) for c in (plain, steady)]
    assert jitter[1] < 0.8 * jitter[0], jitter


@pytest.mark.parametrize("failure", [Cancelled, RuntimeError])
def test_a_failure_part_way_leaves_nothing(tmp_path, failure):
    out = tmp_path / "x.mp4"
    calls = []

    def cancel():
        calls.append(1)
        if failure is Cancelled and len(calls) == 2:
            raise Cancelled()

    with pytest.raises(failure):
        with ClipSink(job(2.0, 8), (16, 16), out, 8, 1, cancel=cancel) as sink:
            sink.push(grey(0.5, 12))
            if failure is RuntimeError:
                raise RuntimeError("the model failed")
            sink.push(grey(0.5, 12), 1)
    assert list(tmp_path.iterdir()) == []


def test_progress_ends_at_one(tmp_path):
    seen: list[float] = []
    with ClipSink(job(0.5, 8), (16, 16), tmp_path / "p.mp4", 8, 1, progress=seen.append) as sink:
        sink.push(grey(0.5, 4))
    assert seen == [1.0]
