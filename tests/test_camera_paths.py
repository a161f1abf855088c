"""The built-in camera's issue-14 parts: custom paths (sub-pixel), the script notation, motion blur,
frame interpolation by optical flow, stabilization."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vidgen.domain import CameraKey
from vidgen.errors import VidgenError
from vidgen.media import probe
from vidgen.services.animation.camera import animate, motion_frames
from vidgen.services.animation.camera_path import blur_samples, eased, fit_view, path_at, path_camera, project
from vidgen.services.animation.interpolate import between, interpolate, retime, slow_motion
from vidgen.services.animation.job import ClipJob
from vidgen.services.animation.stabilize import stabilize
from vidgen.services.script import parse_script
from vidgen.services.script.directions import camera_path_of

W, H = 160, 90
DOT = (0.4 * W, 0.55 * H)  # the dot's centre in the still's pixels


def _dot_still(cx: float = DOT[0], cy: float = DOT[1], sigma: float = 2.0) -> np.ndarray:
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float64) + 0.5  # pixel centres
    img = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma ** 2))
    return np.repeat((img * 255).round().astype(np.uint8)[..., None], 3, axis=2)


def _centroid(frame: np.ndarray) -> tuple[float, float]:
    g = frame[..., 0].astype(np.float64)
    g = np.where(g > 8, g, 0)  # ignore the encoder's / warp's faint noise
    ys, xs = np.mgrid[0:g.shape[0], 0:g.shape[1]] + 0.5
    return float((g * xs).sum() / g.sum()), float((g * ys).sum() / g.sum())


def _spread(frame: np.ndarray) -> tuple[float, float]:
    g = frame[..., 0].astype(np.float64)
    ys, xs = np.mgrid[0:g.shape[0], 0:g.shape[1]] + 0.5
    cx, cy = _centroid(frame)
    return (float(math.sqrt((g * (xs - cx) ** 2).sum() / g.sum())),
            float(math.sqrt((g * (ys - cy) ** 2).sum() / g.sum())))


PATH = [CameraKey(0.0, x=0.45, y=0.5, zoom=1.5, rotate=0.0), CameraKey(0.5, x=0.5, y=0.55, zoom=2.0, rotate=4.0),
        CameraKey(1.0, x=0.42, y=0.52, zoom=1.8, rotate=-3.0, ease="linear")]


# --- paths ------------------------------------------------------------------------------------

def test_path_lands_where_the_keys_say_subpixel():
    n = 21  # frames 0, 10, 20 are t = 0, 0.5, 1
    frames = list(motion_frames(_dot_still(), "zoom_in", n, (W, H), path=PATH))
    worst = 0.0
    for i in range(n):
        want = project(path_camera(PATH, i / (n - 1), W, H), *DOT, W, H)
        got = _centroid(frames[i])
        worst = max(worst, math.dist(want, got))
        if i in (0, 10, 20):  # the keys themselves: the dot's offset from the view centre, zoomed and turned
            k = PATH[i // 10]
            th = math.radians(k.rotate)
            ox, oy = DOT[0] - k.x * W, DOT[1] - k.y * H
            exact = (W / 2 + k.zoom * (math.cos(th) * ox + math.sin(th) * oy),
                     H / 2 + k.zoom * (-math.sin(th) * ox + math.cos(th) * oy))
            assert math.dist(exact, got) < 0.5, (i, exact, got)
    assert worst < 0.5


def test_a_point_of_the_picture_is_the_frame_centre():
    path = [CameraKey(0.0, x=DOT[0] / W, y=DOT[1] / H, zoom=2.0), CameraKey(1.0, x=0.6, y=0.5, zoom=2.0, rotate=10)]
    first = next(iter(motion_frames(_dot_still(), "static", 5, (W, H), path=path)))
    assert math.dist(_centroid(first), (W / 2, H / 2)) < 0.3


def test_easing_shapes_the_middle_of_a_segment():
    keys = {e: [CameraKey(0.0, x=0.3, zoom=2.0), CameraKey(1.0, x=0.7, zoom=2.0, ease=e)] for e in
            ("linear", "in", "out", "in_out")}
    x = {e: path_at(k, 0.25)[0] for e, k in keys.items()}
    assert x["linear"] == pytest.approx(0.4)
    assert x["in"] < x["in_out"] < x["linear"] < x["out"]  # 0.325, 0.341, 0.4, 0.475
    assert path_at(keys["in_out"], 0.5)[0] == pytest.approx(0.5)
    assert eased("in", 0.5) == 0.25 and eased("out", 0.5) == 0.75
    # The frames follow: a quarter of the way, the eased-in dot has moved less than the linear one.
    still = _dot_still(0.5 * W, 0.5 * H)
    xs = {e: _centroid(list(motion_frames(still, "static", 5, (W, H), path=k))[1])[0] for e, k in keys.items()}
    assert xs["out"] < xs["linear"] < xs["in"]  # the view moves right, so the dot moves left


def test_view_is_clamped_inside_the_picture():
    z, dx, dy, th = fit_view(0.0, 1.0, 2.0, 0.0, W, H)
    assert (z, dx, dy) == (2.0, -W / 4, H / 4)  # x = 0 at zoom 2 is shown at x = 0.25
    z, *_ = fit_view(0.5, 0.5, 1.0, 5.0, W, H)
    assert z > 1.1  # a turn at zoom 1 gets the zoom that hides its corners
    white = np.full((H, W, 3), 255, np.uint8)
    path = [CameraKey(0.0, x=0.0, y=0.0, zoom=1.0, rotate=-20), CameraKey(1.0, x=1.0, y=1.0, zoom=3.0, rotate=20)]
    for f in motion_frames(white, "static", 9, (W, H), path=path):
        assert f.min() >= 250  # no black border anywhere


# --- notation ---------------------------------------------------------------------------------

def test_script_notation_gives_keys():
    a, b = camera_path_of("zoom 1.0 -> 1.3, pan left")
    assert (a.t, a.zoom, b.t, b.zoom) == (0.0, 1.0, 1.0, 1.3) and a.x == 0.5 and b.x < 0.45 and a.y == b.y == 0.5
    a, b = camera_path_of("zoom 1 -> 1.5 in_out")
    assert (a.zoom, b.zoom, b.ease) == (1.0, 1.5, "in_out")
    a, b = camera_path_of("pan 0.3,0.5 -> 0.7,0.5")
    assert (a.x, a.y, b.x, b.y) == (0.3, 0.5, 0.7, 0.5) and a.zoom == b.zoom == pytest.approx(1 / 0.6, abs=1e-3)
    a, b = camera_path_of("rotate 0 -> 5")
    assert (a.rotate, b.rotate, a.zoom, b.zoom) == (0.0, 5.0, 1.0, 1.0)
    a, b = camera_path_of("rotate -3 -> 5 ease-out, zoom 1.2 to 1.5 linear")
    assert (a.rotate, b.rotate, a.zoom, b.zoom, b.ease) == (-3.0, 5.0, 1.2, 1.5, "out")
    for unknown in ("pan left", "zoom in", "zoom 9 -> 1", "rotate 0 -> 90", "pan 2,2 -> 0,0", "swoop 1 -> 2", ""):
        assert camera_path_of(unknown) == []


def test_script_notation_is_linear_time():
    import time

    t = time.perf_counter()
    for s in ("zoom 1 " * 20000, "pan 0.3," * 20000, "rotate -" * 20000, "zoom 1.5 -> " * 20000):
        camera_path_of(s)
    assert time.perf_counter() - t < 1.0


def test_scene_camera_path_from_the_script():
    text = ("INT. ROOM - DAY\n\n[camera: zoom 1.0 -> 1.3, pan left]\n\nShe waits by the window.\n\n"
            "[camera: rotate 0 -> 5]\n\nINT. HALL - NIGHT\n\n[camera: swoop wildly]\n\nHe runs. [camera: pan left]\n")
    first, second = parse_script(text).scenes
    assert [(k.zoom, k.rotate) for k in first.camera_path] == [(1.0, 0.0), (1.3, 5.0)]
    assert first.camera_path[1].x < 0.5 and "camera" not in " ".join(ln.text for ln in first.lines)
    assert second.camera_path == [] and second.camera == ["pan_left"]


def test_render_of_a_path_goes_through_animate(tmp_path):
    from PIL import Image

    Image.fromarray(_dot_still()).save(tmp_path / "still.png")
    job = ClipJob(str(tmp_path / "still.png"), "zoom_in", 1.3, 12, (W, H), path=PATH, motion_blur=True)
    out = animate(None, job, tmp_path / "clip.mp4")
    info = probe(out)
    assert (info.video.width, info.video.height, info.video.fps) == (W, H, 12)
    import av

    with av.open(str(out)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == round(job.duration * job.fps)
    want = project(path_camera(PATH, 0.0, W, H), *DOT, W, H)
    assert math.dist(_centroid(frames[0]), want) < 1.0  # through the encoder: within a pixel


# --- motion blur ------------------------------------------------------------------------------

def test_motion_blur_smears_along_the_motion_only_and_is_off_by_default():
    pan = [CameraKey(0.0, x=0.3, zoom=2.0), CameraKey(1.0, x=0.7, zoom=2.0, ease="linear")]
    still = _dot_still(0.5 * W, 0.5 * H)
    n = 12
    sharp = list(motion_frames(still, "static", n, (W, H), path=pan))
    blurred = list(motion_frames(still, "static", n, (W, H), path=pan, motion_blur=True))
    plain = list(motion_frames(still, "static", n, (W, H), path=pan, motion_blur=False))
    assert all(np.array_equal(a, b) for a, b in zip(sharp, plain))
    i = n // 2
    (sx0, sy0), (sx1, sy1) = _spread(sharp[i]), _spread(blurred[i])
    # The smear adds the variance of the dot's places over the open shutter (~5.8 px of travel).
    view = lambda u: path_camera(pan, u / (n - 1), W, H)  # noqa: E731
    samples = blur_samples(view, i, n, W, H)
    xs = [project(view(u), 0.5 * W, 0.5 * H, W, H)[0] for u, _w in samples]
    mean = sum(wt * x for x, (_u, wt) in zip(xs, samples))
    added = sum(wt * (x - mean) ** 2 for x, (_u, wt) in zip(xs, samples))
    assert len(samples) >= 5 and max(xs) - min(xs) > 4
    assert sx1 ** 2 - sx0 ** 2 == pytest.approx(added, rel=0.2)
    assert abs(sy1 ** 2 - sy0 ** 2) < 0.05 * added
    assert math.dist(_centroid(sharp[i]), _centroid(blurred[i])) < 0.3  # centred on the frame's own time
    # A still view is never blurred; a preset move is, along its own direction.
    still_path = [CameraKey(0.0, zoom=1.5), CameraKey(1.0, zoom=1.5)]
    assert all(np.array_equal(a, b) for a, b in zip(motion_frames(still, "static", 4, (W, H), path=still_path),
                                                    motion_frames(still, "static", 4, (W, H), path=still_path,
                                                                  motion_blur=True)))
    smeared = list(motion_frames(still, "pan_right", 4, (W, H), motion_blur=True))[2]
    crisp = list(motion_frames(still, "pan_right", 4, (W, H)))[2]
    assert _spread(smeared)[0] > _spread(crisp)[0] and abs(_spread(smeared)[1] - _spread(crisp)[1]) < 0.1


# --- interpolation ----------------------------------------------------------------------------

def _texture(seed: int = 3, w: int = W + 40, h: int = H + 40) -> np.ndarray:
    import cv2

    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.random((h, w, 3)).astype(np.float32), (0, 0), 2.5)
    return ((img - img.min()) / np.ptp(img) * 255).astype(np.uint8)


def _shifted(img: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """A W x H view of `img` moved by (dx, dy) (the content moves that way), sub-pixel."""
    import cv2

    m = np.array([[1, 0, 20 - dx], [0, 1, 20 - dy]], np.float64)
    return cv2.warpAffine(img, m, (W, H), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP)


def _d(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean())


def test_interpolated_frames_lie_between_their_neighbours():
    tex = _texture()
    a, b = _shifted(tex, 0, 0), _shifted(tex, 6, 2)
    mid = between(a, b, 0.5)
    assert _d(a, mid) < 0.7 * _d(a, b) and _d(mid, b) < 0.7 * _d(a, b)
    assert _d(mid, _shifted(tex, 3, 1)) < 0.5 * _d(mid, a)  # close to the true in-between
    # A moving dot's in-between sits between its two places.
    d0, d1 = _dot_still(50, 45, 4.0), _dot_still(60, 45, 4.0)
    x = _centroid(between(d0, d1, 0.5))[0]
    assert 53 < x < 57
    frames = interpolate([a, b, _shifted(tex, 12, 4)], 4)
    assert len(frames) == 9 and np.array_equal(frames[0], a) and np.array_equal(frames[4], b)


def test_retime_and_slow_motion_frame_counts():
    tex = _texture()
    clip = np.stack([_shifted(tex, i * 1.5, 0) for i in range(16)])  # 16 frames at 8 fps = 2 s
    out = retime(clip, 8, 24)
    assert len(out) == 48 and out[0].shape == (H, W, 3) and out[0].dtype == np.uint8
    assert np.array_equal(out[3], clip[1])  # whole positions are the source frames
    assert len(retime(list(clip), 30, 24)) == round(16 * 24 / 30)
    assert len(retime(clip, 24, 24)) == 16
    assert len(slow_motion(clip, 2)) == 31
    with pytest.raises(VidgenError, match="dst_fps"):
        retime(clip, 8, 0)
    with pytest.raises(VidgenError, match="Frame 2"):
        retime([clip[0], clip[0][:, :10]], 8, 24)


# --- stabilization ----------------------------------------------------------------------------

def _steps(frames: list[np.ndarray]) -> np.ndarray:
    """Frame-to-frame shifts measured by phase correlation (independent of the stabilizer)."""
    import cv2

    win = cv2.createHanningWindow((W - 24, H - 24), cv2.CV_64F)
    g = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)[12:-12, 12:-12].astype(np.float64) for f in frames]
    return np.array([cv2.phaseCorrelate(a, b, win)[0] for a, b in zip(g, g[1:])])


def test_stabilization_reduces_jitter():
    tex = _texture(5)
    rng = np.random.default_rng(11)
    n = 30
    shake = rng.uniform(-3, 3, size=(n, 2))
    drift = np.stack([np.linspace(0, 6, n), np.zeros(n)], axis=1)  # a slow intended pan survives
    shaky = [_shifted(tex, *(drift[i] + shake[i])) for i in range(n)]
    steady = stabilize(shaky, radius=8)
    assert len(steady) == n and steady[0].shape == shaky[0].shape
    before, after = _steps(shaky), _steps(steady)
    jitter_before = (before - before.mean(axis=0)).std()
    jitter_after = (after - after.mean(axis=0)).std()
    assert jitter_after < 0.5 * jitter_before, (jitter_before, jitter_after)
    assert after[:, 0].mean() == pytest.approx(6 / (n - 1), abs=0.1)  # the pan is kept
    with pytest.raises(VidgenError, match="radius"):
        stabilize(shaky, radius=0)
