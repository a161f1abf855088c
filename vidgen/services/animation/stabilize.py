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
    src = [np.ascontiguousarray(f) for f in frames]
    if not src or any(f.dtype != np.uint8 or f.ndim != 3 or f.shape != src[0].shape for f in src):
        raise VidgenError("Stabilization needs one or more RGB uint8 frames, all of one size.")
    steady = Stabilizer(radius=radius)
    out = [g for f in src for g in steady.push(f)]
    return out + steady.close()


class Stabilizer:
    """`stabilize` one frame at a time, holding only `radius` + 1 frames: a frame is corrected once the
    `radius` frames after it are known (the moving average is centred), the last ones on `close()`.
    The output is the same as stabilizing the whole clip at once."""

    def __init__(self, *, radius: int = 15):
        if not isinstance(radius, int) or not 1 <= radius <= 240:
            raise VidgenError(f"Stabilization radius must be a whole number of frames from 1 to 240, not {radius!r}.")
        self.radius = radius
        self._held: list[np.ndarray] = []  # frames not yet corrected, from index `_done`
        self._trajectory: list[np.ndarray] = []  # summed motion up to each frame seen
        self._gray: np.ndarray | None = None
        self._done = 0

    def push(self, frame: np.ndarray) -> list[np.ndarray]:
        """The frames that can be corrected now that `frame` is known (RGB uint8, one size for all)."""
        import cv2

        frame = np.ascontiguousarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or (self._held and frame.shape != self._held[0].shape):
            raise VidgenError("Stabilization needs RGB uint8 frames, all of one size.")
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if self._gray is None:
            self._trajectory.append(np.zeros(4))
        else:
            self._trajectory.append(self._trajectory[-1] + np.array(_motion(self._gray, gray)))
        self._gray = gray
        self._held.append(frame)
        out = []
        while len(self._trajectory) >= 3 and self._done + self.radius < len(self._trajectory):
            out.append(self._correct())
        return out

    def close(self) -> list[np.ndarray]:
        """The frames still held, corrected (a clip of fewer than 3 frames is returned as it was)."""
        if len(self._trajectory) < 3:
            out, self._held = [f.copy() for f in self._held], []
            return out
        return [self._correct() for _ in range(len(self._held))]

    def _correct(self) -> np.ndarray:
        import cv2

        # A centred moving average, the ends padded with their own values (no pull towards zero): called
        # once the window's future is known (push) or the clip has ended (close).
        k, n = self._done, len(self._trajectory)
        window = [self._trajectory[min(max(j, 0), n - 1)] for j in range(k - self.radius, k + self.radius + 1)]
        dx, dy, da, ds = np.mean(window, axis=0) - self._trajectory[k]
        frame = self._held.pop(0)
        h, w = frame.shape[:2]
        self._done += 1
        return cv2.warpAffine(frame, _correction(dx, dy, da, ds, w, h), (w, h), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)


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


def _correction(dx: float, dy: float, da: float, ds: float, w: int, h: int) -> np.ndarray:
    """2x3 matrix moving a frame's content by (dx, dy), turning it by da, scaling by e^ds, then CROP,
    all about the frame centre."""
    z = math.exp(ds) * CROP
    c, s = z * math.cos(da), z * math.sin(da)
    cx, cy = w / 2, h / 2
    lin = np.array([[c, -s], [s, c]])
    off = np.array([cx + dx, cy + dy]) - lin @ np.array([cx, cy])
    return np.hstack([lin, off[:, None]])


__all__ = ["stabilize", "Stabilizer"]
