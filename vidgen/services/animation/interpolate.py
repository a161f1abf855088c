"""Frame interpolation by optical flow (OpenCV Farneback): in-between frames, retiming, slow motion.

An in-between frame at fraction a of the way from A to B warps A forward by a of the flow A -> B
and B back by (1 - a) of the flow B -> A, then blends them (weights 1 - a and a): moving edges
travel instead of cross-fading, and where the flow is wrong the blend degrades to a cross-fade.
Both flows are computed once per pair of frames, however many in-betweens the pair needs.

Used to bring AI clips (8, 16, 24 fps ...) to the film's fps (`retime`) and as slow motion
(`slow_motion`). Frames are RGB uint8 H x W x 3, all of one size.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ...errors import VidgenError

EXACT = 1e-3  # a position this close to a source frame takes that frame as it is
MAX_FACTOR = 16


def interpolate(frames: Sequence[np.ndarray] | np.ndarray, factor: int) -> list[np.ndarray]:
    """`factor - 1` in-between frames in each gap: (n - 1) * factor + 1 frames, the originals kept."""
    if not isinstance(factor, int) or not 1 <= factor <= MAX_FACTOR:
        raise VidgenError(f"Interpolation factor must be a whole number from 1 to {MAX_FACTOR}, not {factor!r}.")
    src = _check(frames)
    return _resample(src, [j / factor for j in range((len(src) - 1) * factor + 1)])


def retime(frames: list[np.ndarray] | np.ndarray, src_fps: float, dst_fps: float) -> list[np.ndarray]:
    """The clip at `dst_fps`, lasting as long: round(n * dst_fps / src_fps) frames (at least 1).

    Output frame j shows source time j / dst_fps, i.e. source position j * src_fps / dst_fps (held at
    the last frame past the end); fractional positions are flow-interpolated, whole ones copied.
    """
    for name, fps in (("src_fps", src_fps), ("dst_fps", dst_fps)):
        if not (isinstance(fps, (int, float)) and math.isfinite(fps) and 0 < fps <= 240):
            raise VidgenError(f"{name} must be a frame rate above 0 and at most 240, not {fps!r}.")
    src = _check(frames)
    count = max(1, int(round(len(src) * dst_fps / src_fps)))
    return _resample(src, [min(len(src) - 1.0, j * src_fps / dst_fps) for j in range(count)])


class Retimer:
    """`retime` one source frame at a time, holding two: push the clip's frames at `src_fps`, get the
    film's frames at `dst_fps` as soon as they can be made; `close()` holds the last frame until
    `count` frames are out. The frames are those `retime` gives for the same count."""

    def __init__(self, src_fps: float, dst_fps: float, count: int):
        for name, fps in (("src_fps", src_fps), ("dst_fps", dst_fps)):
            if not (isinstance(fps, (int, float)) and math.isfinite(fps) and 0 < fps <= 240):
                raise VidgenError(f"{name} must be a frame rate above 0 and at most 240, not {fps!r}.")
        self.step, self.count = src_fps / dst_fps, max(1, int(count))
        self._prev: np.ndarray | None = None
        self._pair: _Pair | None = None
        self._seen = 0  # source frames pushed
        self._out = 0  # film frames made

    def push(self, frame: np.ndarray) -> list[np.ndarray]:
        frame = _check([frame])[0]
        if self._prev is not None and frame.shape != self._prev.shape:
            raise VidgenError(f"Frame {self._seen + 1} is {frame.shape[1]}x{frame.shape[0]}, not "
                              f"{self._prev.shape[1]}x{self._prev.shape[0]} like the first.")
        out = []
        i = self._seen  # the new frame's index
        while self._out < self.count:
            p = self._out * self.step
            j = int(math.floor(p + EXACT))
            a = p - j
            if abs(a) <= EXACT and j == i:
                out.append(frame.copy())
            elif j == i - 1 and abs(a) > EXACT:
                if self._pair is None or self._pair.index != j:
                    self._pair = _Pair(self._prev, frame, j)  # type: ignore[arg-type]
                out.append(self._pair.at(a))
            else:
                break  # its frames are not here yet
            self._out += 1
        self._prev, self._seen = frame, i + 1
        return out

    def close(self) -> list[np.ndarray]:
        """The film's frames still owed, the last source frame held (none if nothing was pushed)."""
        if self._prev is None:
            return []
        out = [self._prev.copy() for _ in range(self.count - self._out)]
        self._out = self.count
        return out


def slow_motion(frames: Sequence[np.ndarray] | np.ndarray, factor: float) -> list[np.ndarray]:
    """The clip `factor` times slower at the same fps: (n - 1) * factor + 1 frames (rounded)."""
    if not (isinstance(factor, (int, float)) and math.isfinite(factor) and 1 <= factor <= MAX_FACTOR):
        raise VidgenError(f"Slow-motion factor must be from 1 to {MAX_FACTOR}, not {factor!r}.")
    src = _check(frames)
    count = int(round((len(src) - 1) * factor)) + 1
    return _resample(src, [min(len(src) - 1.0, j / factor) for j in range(count)])


def between(a: np.ndarray, b: np.ndarray, fraction: float) -> np.ndarray:
    """One frame at `fraction` (0..1) of the way from `a` to `b`."""
    return _Pair(a, b).at(fraction)


def _resample(src: list[np.ndarray], positions: list[float]) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    pair: _Pair | None = None
    for p in positions:
        i = int(math.floor(p + EXACT))
        a = p - i
        if abs(a) <= EXACT or i >= len(src) - 1:
            out.append(src[min(i, len(src) - 1)].copy())
            continue
        if pair is None or pair.index != i:
            pair = _Pair(src[i], src[i + 1], i)
        out.append(pair.at(a))
    return out


class _Pair:
    """Two neighbouring frames and their flows both ways (computed on first use)."""

    def __init__(self, a: np.ndarray, b: np.ndarray, index: int = 0):
        self.a, self.b, self.index = a, b, index
        self.flows: tuple[np.ndarray, np.ndarray] | None = None

    def at(self, fraction: float) -> np.ndarray:
        import cv2

        if self.flows is None:
            ga, gb = (cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in (self.a, self.b))
            self.flows = (_flow(ga, gb), _flow(gb, ga))
        fab, fba = self.flows
        h, w = self.a.shape[:2]
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        # Backward warps: the pixel at x in the in-between came from x - a * F_ab(x) in A and from
        # x - (1 - a) * F_ba(x) in B (the flow at x stands in for the flow at the source point).
        wa = cv2.remap(self.a, xs - fraction * fab[..., 0], ys - fraction * fab[..., 1], cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
        wb = cv2.remap(self.b, xs - (1 - fraction) * fba[..., 0], ys - (1 - fraction) * fba[..., 1],
                       cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        mix = (1 - fraction) * wa.astype(np.float32) + fraction * wb.astype(np.float32)
        return np.clip(mix + 0.5, 0, 255).astype(np.uint8)


def _flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense flow a -> b (H x W x 2 pixels): Farneback over a pyramid deep enough for big moves."""
    import cv2

    levels = max(1, min(5, int(math.log2(max(8, min(a.shape[:2]))) - 3)))
    return cv2.calcOpticalFlowFarneback(a, b, None, pyr_scale=0.5, levels=levels, winsize=15, iterations=3,
                                        poly_n=5, poly_sigma=1.2, flags=cv2.OPTFLOW_FARNEBACK_GAUSSIAN)


def _check(frames: Sequence[np.ndarray] | np.ndarray) -> list[np.ndarray]:
    src = [np.ascontiguousarray(f) for f in frames]
    if not src:
        raise VidgenError("No frames to interpolate.")
    shape = src[0].shape
    for i, f in enumerate(src):
        if f.dtype != np.uint8 or f.ndim != 3 or f.shape[2] != 3 or f.shape != shape:
            raise VidgenError(f"Frame {i + 1} must be RGB uint8 {shape[1]}x{shape[0]}x3 like the first, "
                              f"not {f.dtype} {'x'.join(map(str, f.shape))}.")
    return src


__all__ = ["interpolate", "retime", "slow_motion", "between", "Retimer"]
