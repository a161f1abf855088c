"""Stabilization of clips (AI clips shake): feature tracking, a smoothed trajectory, a slight crop.

Per pair of frames, corners (`cv2.goodFeaturesToTrack`) are tracked by pyramidal Lucas-Kanade and a
similarity (shift, rotation, scale) is fitted with RANSAC (`cv2.estimateAffinePartial2D`). Summed,
these give the camera's trajectory; a moving average over `radius` frames each side is the path
the camera meant; each frame is warped by the difference, then scaled up by CROP around its centre
so the shifted edges stay out of view (what remains is filled by replicating the edge).
A pair where tracking fails counts as no motion: the clip is never made worse than shaky.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ...errors import VidgenError

CROP = 1.04  # the zoom that hides the corrections' edges
MAX_CORNERS = 200
MIN_TRACKED = 8


def stabilize(frames: Sequence[np.ndarray] | np.ndarray, *, radius: int = 15) -> list[np.ndarray]:
    """The clip steadied: same count and size, RGB uint8 H x W x 3 in and out."""
    import cv2

    if not isinstance(radius, int) or not 1 <= radius <= 240:
        raise VidgenError(f"Stabilization radius must be a whole number of frames from 1 to 240, not {radius!r}.")
    src = [np.ascontiguousarray(f) for f in frames]
    if not src or any(f.dtype != np.uint8 or f.ndim != 3 or f.shape != src[0].shape for f in src):
        raise VidgenError("Stabilization needs one or more RGB uint8 frames, all of one size.")
    if len(src) < 3:
        return [f.copy() for f in src]
    h, w = src[0].shape[:2]
    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in src]
    steps = np.array([_motion(a, b) for a, b in zip(gray, gray[1:])])  # (dx, dy, angle, log scale)
    trajectory = np.vstack([np.zeros(4), np.cumsum(steps, axis=0)])
    smooth = _moving_average(trajectory, radius)
    out = []
    for f, (dx, dy, da, ds) in zip(src, smooth - trajectory):
        m = _correction(dx, dy, da, ds, w, h)
        out.append(cv2.warpAffine(f, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
    return out


def _motion(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float]:
    """The similarity taking frame a's content to frame b's: (dx, dy, angle radians, log scale)."""
    import cv2

    pts = cv2.goodFeaturesToTrack(a, maxCorners=MAX_CORNERS, qualityLevel=0.01, minDistance=max(4, min(a.shape) // 30),
                                  blockSize=7)
    if pts is None or len(pts) < MIN_TRACKED:
        return 0.0, 0.0, 0.0, 0.0
    nxt, status, _err = cv2.calcOpticalFlowPyrLK(a, b, pts, None, winSize=(21, 21), maxLevel=3)
    ok = status.reshape(-1) == 1
    if ok.sum() < MIN_TRACKED:
        return 0.0, 0.0, 0.0, 0.0
    m, _inliers = cv2.estimateAffinePartial2D(pts[ok], nxt[ok], method=cv2.RANSAC, ransacReprojThreshold=2.0)
    if m is None:
        return 0.0, 0.0, 0.0, 0.0
    # About the frame centre, so a rotation does not show up as a shift.
    cx, cy = a.shape[1] / 2, a.shape[0] / 2
    scale = math.hypot(m[0, 0], m[1, 0])
    angle = math.atan2(m[1, 0], m[0, 0])
    moved = m @ np.array([cx, cy, 1.0])
    return float(moved[0] - cx), float(moved[1] - cy), angle, math.log(max(scale, 1e-6))


def _moving_average(x: np.ndarray, radius: int) -> np.ndarray:
    """A centred moving average, the ends padded with their own values (no pull towards zero)."""
    padded = np.pad(x, ((radius, radius), (0, 0)), mode="edge")
    kernel = np.ones(2 * radius + 1) / (2 * radius + 1)
    return np.stack([np.convolve(padded[:, j], kernel, mode="valid") for j in range(x.shape[1])], axis=1)


def _correction(dx: float, dy: float, da: float, ds: float, w: int, h: int) -> np.ndarray:
    """2x3 matrix moving a frame's content by (dx, dy), turning it by da, scaling by e^ds, then CROP,
    all about the frame centre."""
    z = math.exp(ds) * CROP
    c, s = z * math.cos(da), z * math.sin(da)
    cx, cy = w / 2, h / 2
    lin = np.array([[c, -s], [s, c]])
    off = np.array([cx + dx, cy + dy]) - lin @ np.array([cx, cy])
    return np.hstack([lin, off[:, None]])


__all__ = ["stabilize"]
