"""Camera motion backend: motion choice, clip format, smoothness (no zoompan-style jitter), cancel."""

from __future__ import annotations

import numpy as np
import pytest

from vidgen.domain import MOTIONS, Scene
from vidgen.errors import Cancelled, VidgenError
from vidgen.media import probe
from vidgen.services.animation.camera import (camera_at, choose_motion, ease, motion_frames, render_camera_motion,
                                       rotate_zoom)

W, H, FPS = 320, 180, 24


def _decode(path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def _save(arr: np.ndarray, path) -> str:
    from PIL import Image

    Image.fromarray(arr).save(path)
    return str(path)


@pytest.fixture(scope="module")
def textured(tmp_path_factory) -> str:
    """Smooth random texture: every shift is measurable by phase correlation."""
    import cv2

    rng = np.random.default_rng(7)
    noise = rng.random((H, W, 3)).astype(np.float32)
    img = cv2.GaussianBlur(noise, (0, 0), 2.0)
    img = (img - img.min()) / np.ptp(img) * 255
    return _save(img.astype(np.uint8), tmp_path_factory.mktemp("img") / "texture.png")


@pytest.fixture(scope="module")
def dots(tmp_path_factory) -> str:
    """Four soft bright dots on black, for measuring the content's scale frame by frame."""
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    img = np.zeros((H, W), np.float32)
    for cx, cy in ((W * 0.3, H * 0.3), (W * 0.7, H * 0.3), (W * 0.3, H * 0.7), (W * 0.7, H * 0.7)):
        img += np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * 3.0 ** 2))
    rgb = np.repeat((np.clip(img, 0, 1) * 255).astype(np.uint8)[..., None], 3, axis=2)
    return _save(rgb, tmp_path_factory.mktemp("img") / "dots.png")


# --- choose_motion ---------------------------------------------------------------------------

def test_choose_motion_override_and_camera():
    assert choose_motion(Scene(1, "x", motion="pan_up", camera=["zoom_in"])) == "pan_up"
    assert choose_motion(Scene(1, "x", camera=["rotate", "zoom_in"])) == "rotate"
    with pytest.raises(VidgenError, match="unknown motion"):
        choose_motion(Scene(1, "x", motion="dolly"))
    with pytest.raises(VidgenError, match="camera direction"):
        choose_motion(Scene(1, "x", camera=["crane"]))


def test_choose_motion_automatic_is_deterministic_varied_and_never_static():
    picks, prev = [], None
    for n in range(1, 200):
        m = choose_motion(Scene(n, "x"), prev, seed=3)
        assert m == choose_motion(Scene(n, "x"), prev, seed=3)
        assert m in MOTIONS and m != "static" and m != prev
        picks.append(m)
        prev = m
    counts = {m: picks.count(m) for m in set(picks)}
    assert {"zoom_in", "zoom_out", "pan_left", "pan_right"} <= set(counts)
    assert counts.get("rotate", 0) < counts["zoom_in"]
    other = [choose_motion(Scene(n, "x"), None, seed=4) for n in range(1, 40)]
    assert other != [choose_motion(Scene(n, "x"), None, seed=3) for n in range(1, 40)]


# --- geometry ---------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [(1280, 720), (1080, 1920), (720, 720)])
@pytest.mark.parametrize("motion", MOTIONS)
def test_view_never_leaves_the_still(motion, size):
    w, h = size
    for e in np.linspace(0, 1, 41):
        z, dx, dy, th = camera_at(motion, float(e), w, h)
        assert z >= 1.0
        # Corners of the view, in still coordinates, stay inside the still.
        c, s = np.cos(th), np.sin(th)
        for ux, uy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
            x = w / 2 + dx + (c * ux - s * uy) / z
            y = h / 2 + dy + (s * ux + c * uy) / z
            assert -1e-6 <= x <= w + 1e-6 and -1e-6 <= y <= h + 1e-6, (motion, e)
    assert rotate_zoom(0.0, w, h) == pytest.approx(1.0)
    assert ease(0) == 0 and ease(1) == 1 and ease(0.5) == pytest.approx(0.5)


# --- clips ------------------------------------------------------------------------------------

def test_clip_format_frame_count_and_smooth_motion(textured, tmp_path):
    duration = 1.3
    seen = []
    out = render_camera_motion(textured, "zoom_in", duration, FPS, (W, H), tmp_path / "z.mp4",
                               progress=seen.append)
    info = probe(out)
    assert info.video is not None and info.audio is None
    assert (info.video.codec, info.video.width, info.video.height) == ("h264", W, H)
    assert info.video.pix_fmt == "yuv420p"
    frames = _decode(out)
    assert len(frames) == round(duration * FPS)
    assert seen[-1] == pytest.approx(1.0) and seen == sorted(seen)
    diffs = [np.abs(a.astype(np.int16) - b.astype(np.int16)).mean() for a, b in zip(frames, frames[1:])]
    assert max(diffs) > 0.5  # it moves
    assert max(diffs) < 12.0  # but a little at a time


def _shift(a: np.ndarray, b: np.ndarray, margin: int = 12) -> np.ndarray:
    """(dx, dy) with b(x) ~= a(x - d): Gauss-Newton on a smooth texture, accurate to ~0.02 px."""
    import cv2

    gy, gx = np.gradient(a)
    gx, gy = gx[margin:-margin, margin:-margin], gy[margin:-margin, margin:-margin]
    A = np.array([[(gx * gx).sum(), (gx * gy).sum()], [(gx * gy).sum(), (gy * gy).sum()]])
    d = np.zeros(2)
    for _ in range(4):
        m = np.float64([[1, 0, d[0]], [0, 1, d[1]]])
        bw = cv2.warpAffine(b, m, (a.shape[1], a.shape[0]), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP)
        r = (bw - a)[margin:-margin, margin:-margin]
        d -= np.linalg.solve(A, [(gx * r).sum(), (gy * r).sum()])
    return d


def _pan_errors(frames: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).astype(np.float64) for f in frames]
    shifts = np.array([_shift(a, b) for a, b in zip(gray, gray[1:])])
    # The plan: content moves left by the view centre's travel times the zoom.
    plan = [camera_at("pan_right", ease(i / (n - 1)), W, H) for i in range(n)]
    expected = np.array([-(b[1] - a[1]) * a[0] for a, b in zip(plan, plan[1:])])
    return shifts, expected


def test_pan_shift_is_subpixel_accurate_on_every_frame(textured):
    from PIL import Image

    n = 36
    still = np.asarray(Image.open(textured).convert("RGB"))
    shifts, expected = _pan_errors(list(motion_frames(still, "pan_right", n, (W, H))), n)
    assert np.abs(shifts[:, 1]).max() < 0.02
    # Whole-pixel cropping (ffmpeg zoompan) would be off by up to 0.5 px here.
    assert np.abs(shifts[:, 0] - expected).max() < 0.08
    assert expected.min() < -1.0  # and it really travels


def test_encoded_pan_moves_smoothly(textured, tmp_path):
    n = 36
    out = render_camera_motion(textured, "pan_right", n / FPS, FPS, (W, H), tmp_path / "p.mp4", crf=10)
    frames = _decode(out)
    assert len(frames) == n
    shifts, expected = _pan_errors(frames, n)
    dx = shifts[:, 0]
    assert np.abs(shifts[:, 1]).max() < 0.1
    assert np.abs(dx - expected).max() < 0.25  # encoder noise only, no rounding steps
    assert np.all(dx < 0.05)  # never steps backwards or stalls mid-move
    assert np.abs(np.diff(dx)).max() < 0.35  # speed changes smoothly


def test_zoom_in_scale_grows_monotonically(dots, tmp_path):
    out = render_camera_motion(dots, "zoom_in", 1.0, FPS, (W, H), tmp_path / "z.mp4", crf=10)
    spreads = []
    for f in _decode(out):
        g = f[..., 0].astype(np.float64)
        g = np.where(g > 40, g, 0)
        ys, xs = np.mgrid[0:H, 0:W]
        pts = []
        for qx in (xs < W / 2, xs >= W / 2):
            for qy in (ys < H / 2, ys >= H / 2):
                wgt = g * (qx & qy)
                pts.append(((wgt * xs).sum() / wgt.sum(), (wgt * ys).sum() / wgt.sum()))
        pts = np.array(pts)
        spreads.append(np.linalg.norm(pts - pts.mean(0), axis=1).mean())
    s = np.array(spreads)
    assert np.all(np.diff(s) > -0.02)
    assert s[-1] / s[0] == pytest.approx(1.15, abs=0.01)


@pytest.mark.parametrize("motion", ["rotate", "pan_up", "static"])
def test_other_motions_render(textured, tmp_path, motion):
    out = render_camera_motion(textured, motion, 0.5, FPS, (W, H), tmp_path / f"{motion}.mp4")
    frames = _decode(out)
    assert len(frames) == 12
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 0.3


def test_still_of_another_size_is_cover_fitted(tmp_path):
    img = np.zeros((400, 300, 3), np.uint8)
    img[:, :, 1] = 200  # portrait green still, landscape clip
    src = _save(img, tmp_path / "portrait.png")
    out = render_camera_motion(src, "zoom_out", 0.25, FPS, (W, H), tmp_path / "c.mp4")
    frames = _decode(out)
    assert len(frames) == 6 and frames[0].shape == (H, W, 3)
    assert abs(int(frames[0][..., 1].mean()) - 200) < 6  # no black border anywhere


def test_cancel_stops_and_leaves_no_file(textured, tmp_path):
    calls = []

    def cancel():
        calls.append(1)
        if len(calls) > 3:
            raise Cancelled()

    dest = tmp_path / "c.mp4"
    with pytest.raises(Cancelled):
        render_camera_motion(textured, "pan_left", 5.0, FPS, (W, H), dest, cancel=cancel)
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments(textured, tmp_path):
    with pytest.raises(VidgenError, match="motion"):
        render_camera_motion(textured, "dolly", 1, FPS, (W, H), tmp_path / "a.mp4")
    with pytest.raises(VidgenError, match="even"):
        render_camera_motion(textured, "zoom_in", 1, FPS, (321, 180), tmp_path / "a.mp4")
    with pytest.raises(VidgenError, match="duration"):
        render_camera_motion(textured, "zoom_in", 0, FPS, (W, H), tmp_path / "a.mp4")
    bogus = tmp_path / "notes.png"
    bogus.write_text("hello")
    with pytest.raises(VidgenError, match="not a readable image"):
        render_camera_motion(bogus, "zoom_in", 1, FPS, (W, H), tmp_path / "a.mp4")
    assert not (tmp_path / "a.mp4").exists()


@pytest.mark.parametrize("size", [(1280, 720), (1080, 1920), (720, 720)])
def test_storyboard_caption_area_stays_in_view(size):
    """The painter's caption sits inset by CAPTION_INSET; no camera move crops it."""
    from vidgen.services.images import CAPTION_INSET as k

    w, h = size
    box = [(k * w, k * h), ((1 - k) * w, k * h), (k * w, (k + 0.07) * h), ((1 - k) * w, (k + 0.07) * h)]
    for motion in MOTIONS:
        for e in np.linspace(0, 1, 21):
            z, dx, dy, th = camera_at(motion, float(e), w, h)
            c, s = np.cos(th), np.sin(th)
            for qx, qy in box:  # still point -> output pixel
                vx, vy = qx - w / 2 - dx, qy - h / 2 - dy
                ux, uy = z * (c * vx + s * vy) + w / 2, z * (-s * vx + c * vy) + h / 2
                assert 0 <= ux <= w and 0 <= uy <= h, (motion, e, (qx, qy))
