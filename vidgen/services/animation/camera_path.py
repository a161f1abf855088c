"""Custom camera paths: keyframes of position, zoom and rotation turned into the camera's views.

A path is a list of `domain.CameraKey` (t rising from 0 to 1). At time t the view is interpolated
between the keys around t, shaped by the later key's easing; before the first key it holds the
first, after the last the last. Coordinates are those of the cover-fitted still (the picture
cropped to the film's aspect, which is what a zoom-1 frame shows): (0, 0) its top-left corner,
(1, 1) its bottom-right. The warp maps the picture point (x, y) exactly onto the frame centre.

The view never leaves the picture (no black borders), by two rules applied frame by frame:

- a rotated view needs a zoom that hides its corners: the zoom is raised to at least
  `rotate_zoom(theta)` (slightly more, SAFETY), so `zoom 1, rotate 5` is shown at about 1.1;
- a zoomed view can travel only within the margin its zoom creates: the centre is clamped so the
  view's (rotated) rectangle stays inside the picture, e.g. x = 0 at zoom 2 is shown at x = 0.25.

Motion blur samples the same path at sub-frame times (`blur_samples`): the shutter stays open half
a frame (a 180-degree shutter), and the number of samples follows how far the view moves, so a
still view is never blurred.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from ...domain import CameraKey

SAFETY = 0.995  # the same slack as camera.py: a rotated view stays this fraction inside the picture
SHUTTER = 0.5  # motion blur: the fraction of a frame interval the shutter is open
MAX_BLUR_SAMPLES = 8
BLUR_STEP_PX = 1.0  # one sub-frame per this many output pixels the view's corners travel

Cam = tuple[float, float, float, float]  # (zoom, dx, dy, theta), camera.camera_at's convention


def eased(name: str, u: float) -> float:
    """Progress 0..1 through a segment at fraction u: linear; in (quadratic, starts slow); out (ends
    slow); in_out (cosine, slow at both ends, as the built-in moves)."""
    u = min(1.0, max(0.0, u))
    if name == "linear":
        return u
    if name == "in":
        return u * u
    if name == "out":
        return 1.0 - (1.0 - u) * (1.0 - u)
    return 0.5 - 0.5 * math.cos(math.pi * u)


def path_at(path: Sequence[CameraKey], t: float) -> tuple[float, float, float, float]:
    """(x, y, zoom, rotate degrees) of the path at time t, as the keys say (before any clamping)."""
    if not path:
        return 0.5, 0.5, 1.0, 0.0
    if t <= path[0].t:
        k = path[0]
        return k.x, k.y, k.zoom, k.rotate
    for a, b in zip(path, path[1:]):
        if t <= b.t:
            e = eased(b.ease, (t - a.t) / (b.t - a.t))
            return (a.x + (b.x - a.x) * e, a.y + (b.y - a.y) * e, a.zoom + (b.zoom - a.zoom) * e,
                    a.rotate + (b.rotate - a.rotate) * e)
    k = path[-1]
    return k.x, k.y, k.zoom, k.rotate


def rotate_zoom(theta: float, w: int, h: int) -> float:
    """Smallest zoom at which a view rotated by `theta` radians stays inside a w x h frame."""
    c, s = math.cos(abs(theta)), math.sin(abs(theta))
    return max(c + (h / w) * s, c + (w / h) * s)


def fit_view(x: float, y: float, zoom: float, rotate: float, w: int, h: int) -> Cam:
    """The view (zoom, dx, dy, theta) in output pixels of the cover-fitted still, kept inside it.

    The zoom is raised to hide a rotation's corners; the centre is clamped so that the rotated view's
    corners stay inside the picture (their extent is the view's bounding box, so this is exact).
    """
    theta = math.radians(rotate)
    z = max(zoom, 1.0)
    if theta:
        z = max(z, rotate_zoom(theta, w, h) / SAFETY)
    c, s = abs(math.cos(theta)), abs(math.sin(theta))
    hx = min(w / 2, (w / 2 * c + h / 2 * s) / z)  # half extents of the view in the still
    hy = min(h / 2, (w / 2 * s + h / 2 * c) / z)
    cx = min(max(x * w, hx), w - hx)
    cy = min(max(y * h, hy), h - hy)
    return z, cx - w / 2, cy - h / 2, theta


def path_camera(path: Sequence[CameraKey], t: float, w: int, h: int) -> Cam:
    """The view of a custom path at time t in camera.camera_at's terms, clamped (fit_view)."""
    return fit_view(*path_at(path, t), w, h)


def path_max_zoom(path: Sequence[CameraKey], w: int, h: int) -> float:
    """The largest zoom the path shows: zoom and |rotate| are linear between keys, so at a key."""
    return max(fit_view(0.5, 0.5, k.zoom, k.rotate, w, h)[0] for k in path) if path else 1.0


def inverse_affine(cam: Cam, w: int, h: int, sx: float, sy: float) -> np.ndarray:
    """2x3 matrix taking output pixel indices to source pixel indices (cv2 WARP_INVERSE_MAP).

    Continuous coordinates: output pixel i has centre i + 0.5; the view centre sits at
    (w/2 + dx, h/2 + dy) in the cover-fitted still (sx, sy source pixels per output pixel at zoom
    1), rotated by theta and scaled by 1/zoom.
    """
    z, dx, dy, theta = cam
    c, s = math.cos(theta), math.sin(theta)
    rot = np.array([[c, -s], [s, c]]) / z  # output offset -> still offset
    lin = np.diag([sx, sy]) @ rot
    centre_src = np.array([sx * (w / 2 + dx), sy * (h / 2 + dy)])
    # src_index = lin @ (dst_index + 0.5 - (w/2, h/2)) + centre_src - 0.5
    off = centre_src - 0.5 + lin @ np.array([0.5 - w / 2, 0.5 - h / 2])
    return np.hstack([lin, off[:, None]]).astype(np.float64)


def project(cam: Cam, px: float, py: float, w: int, h: int) -> tuple[float, float]:
    """Where the still's point (px, py) (output pixels of the cover-fitted still) lands in the frame."""
    z, dx, dy, theta = cam
    ox, oy = px - (w / 2 + dx), py - (h / 2 + dy)
    c, s = math.cos(theta), math.sin(theta)
    return w / 2 + z * (c * ox + s * oy), h / 2 + z * (-s * ox + c * oy)


def blur_samples(cam_of: Callable[[float], Cam], i: int, n: int, w: int, h: int) -> list[tuple[float, float]]:
    """Sub-frame times (in frame units, clamped to 0..n-1) and weights of frame i's motion blur.

    The shutter spans SHUTTER of a frame interval centred on the frame; the samples are spread over it
    with tent weights (the middle counts most, so the frame stays centred on its own time), one per
    BLUR_STEP_PX the view's corners travel, 1 to MAX_BLUR_SAMPLES. A still view gets one sample.
    """
    lo, hi = max(0.0, i - SHUTTER / 2), min(n - 1.0, i + SHUTTER / 2)
    if n < 2 or hi <= lo:
        return [(float(i), 1.0)]
    corners = ((0.0, 0.0), (w, 0.0), (0.0, h), (w, h), (w / 2, h / 2))
    travel = 0.0
    a, b = inverse_affine(cam_of(lo), w, h, 1, 1), inverse_affine(cam_of(hi), w, h, 1, 1)
    for cx, cy in corners:  # how far the still's points under the frame's corners move, in output px
        p, q = a @ (cx, cy, 1.0), b @ (cx, cy, 1.0)
        z = cam_of(i)[0]
        travel = max(travel, z * math.hypot(*(p - q)))
    k = int(min(MAX_BLUR_SAMPLES, max(1, math.ceil(travel / BLUR_STEP_PX))))
    if k == 1:
        return [(float(i), 1.0)]
    times = [lo + (hi - lo) * (j + 0.5) / k for j in range(k)]
    weights = [1.0 - abs(2 * (j + 0.5) / k - 1.0) + 1.0 / k for j in range(k)]
    total = sum(weights)
    return [(u, wt / total) for u, wt in zip(times, weights)]


__all__ = ["eased", "path_at", "fit_view", "path_camera", "path_max_zoom", "inverse_affine", "project",
           "blur_samples", "rotate_zoom"]
