"""Drawing primitives for the storyboard painter: a float32 RGB canvas and anti-aliased masks.

Nothing here knows about scenes; sizes are in pixels and every mask is blended with `blend` or `add`.
"""

from __future__ import annotations

import numpy as np


class Canvas:
    def __init__(self, w: int, h: int):
        self.w, self.h = w, h
        self.s = float(min(w, h))
        self.img = np.zeros((h, w, 3), np.float32)

    def blend(self, mask: np.ndarray, color, y0: int = 0) -> None:
        """img = mix(img, color, mask) over rows y0 .. y0 + len(mask); color broadcasts like the mask."""
        region, mask, color = self._crop(mask, color, y0)
        if region is not None:
            region += (color - region) * mask[..., None]

    def add(self, mask: np.ndarray, color, y0: int = 0) -> None:
        region, mask, color = self._crop(mask, color, y0)
        if region is not None:
            region += mask[..., None] * color

    def _crop(self, mask: np.ndarray, color, y0: int):
        """The image region, mask and colour cut to the mask's non-zero box (most masks are small)."""
        color = np.asarray(color, np.float32)
        rows = np.flatnonzero(mask.any(axis=1))
        if rows.size == 0:
            return None, None, None
        cols = np.flatnonzero(mask[rows[0]:rows[-1] + 1].any(axis=0))
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        if color.ndim == 3:  # per-row and/or per-column colour
            rs = slice(r0, r1) if color.shape[0] > 1 else slice(None)
            cs = slice(c0, c1) if color.shape[1] > 1 else slice(None)
            color = color[rs, cs]
        return self.img[y0 + r0:y0 + r1, c0:c1], mask[r0:r1, c0:c1], color

    def heightfield_mask(self, top: np.ndarray) -> tuple[np.ndarray, int]:
        """Anti-aliased coverage of everything below the curve `top` (one y per column)."""
        y0 = int(max(0, np.floor(top.min()) - 1))
        ys = np.arange(y0, self.h, dtype=np.float32)[:, None] + 0.5
        slope = np.sqrt(1.0 + np.gradient(top) ** 2).astype(np.float32)
        m = np.clip((ys - top[None, :]) / slope[None, :] + 0.5, 0.0, 1.0)
        return m, y0

    def poly_mask(self, polys, circles=()) -> np.ndarray:
        import cv2

        m = np.zeros((self.h, self.w), np.uint8)
        if polys:
            pts = [np.round(np.asarray(p, np.float64) * 16).astype(np.int32) for p in polys]
            cv2.fillPoly(m, pts, 255, cv2.LINE_AA, shift=4)
        for cx, cy, r in circles:
            cv2.circle(m, (int(round(cx * 16)), int(round(cy * 16))), max(1, int(round(r * 16))), 255,
                       -1, cv2.LINE_AA, shift=4)
        return m.astype(np.float32) * (1.0 / 255.0)

    def fill(self, polys, color, circles=(), alpha: float = 1.0, add: bool = False) -> None:
        """Blend (or add) an anti-aliased shape, drawn only inside its own bounding box (cheap at any size)."""
        import cv2

        pts = [np.asarray(p, np.float64).reshape(-1, 2) for p in polys]
        xs = [a[:, 0] for a in pts] + [np.array([cx - r, cx + r]) for cx, _, r in circles]
        ys = [a[:, 1] for a in pts] + [np.array([cy - r, cy + r]) for _, cy, r in circles]
        if not xs:
            return
        allx, ally = np.concatenate(xs), np.concatenate(ys)
        x0, x1 = max(0, int(np.floor(allx.min())) - 2), min(self.w, int(np.ceil(allx.max())) + 3)
        y0, y1 = max(0, int(np.floor(ally.min())) - 2), min(self.h, int(np.ceil(ally.max())) + 3)
        if x1 <= x0 or y1 <= y0:
            return
        m = np.zeros((y1 - y0, x1 - x0), np.uint8)
        off = np.array([x0, y0], np.float64)
        if pts:
            cv2.fillPoly(m, [np.round((a - off) * 16).astype(np.int32) for a in pts], 255, cv2.LINE_AA, shift=4)
        for cx, cy, r in circles:
            cv2.circle(m, (int(round((cx - x0) * 16)), int(round((cy - y0) * 16))), max(1, int(round(r * 16))), 255,
                       -1, cv2.LINE_AA, shift=4)
        a = m.astype(np.float32)[..., None] * (alpha / 255.0)
        region = self.img[y0:y1, x0:x1]
        col = np.asarray(color, np.float32)
        if add:
            region += a * col
        else:
            region += (col - region) * a

    def glow(self, cx: float, cy: float, sigma: float, strength: float, color) -> None:
        """An additive soft light, computed only where it is visible (3 sigma)."""
        y0, y1 = max(0, int(cy - 3 * sigma)), min(self.h, int(cy + 3 * sigma) + 1)
        x0, x1 = max(0, int(cx - 3 * sigma)), min(self.w, int(cx + 3 * sigma) + 1)
        if x1 <= x0 or y1 <= y0:
            return
        gx = np.exp(-((np.arange(x0, x1, dtype=np.float32) + 0.5 - cx) ** 2) / (2 * sigma * sigma))
        gy = np.exp(-((np.arange(y0, y1, dtype=np.float32) + 0.5 - cy) ** 2) / (2 * sigma * sigma))
        self.img[y0:y1, x0:x1] += (gy[:, None] * gx[None, :] * strength)[..., None] * np.asarray(color, np.float32)

    def radial(self, cx: float, cy: float, sigma: float, y0: int = 0, y1: int | None = None) -> np.ndarray:
        """exp(-d^2 / 2 sigma^2) around (cx, cy); separable, so cheap at any size."""
        y1 = self.h if y1 is None else y1
        gx = np.exp(-((np.arange(self.w, dtype=np.float32) + 0.5 - cx) ** 2) / (2 * sigma * sigma))
        gy = np.exp(-((np.arange(y0, y1, dtype=np.float32) + 0.5 - cy) ** 2) / (2 * sigma * sigma))
        # Cut the tails (< 0.03 of a level at full strength) so blending can skip the empty area.
        gx[gx < 1e-4] = 0
        gy[gy < 1e-4] = 0
        return gy[:, None] * gx[None, :]

    def disk(self, cx: float, cy: float, r: float, rows: tuple[int, int] | None = None) -> tuple[np.ndarray, int]:
        y0, y1 = rows or (max(0, int(cy - r - 2)), min(self.h, int(cy + r + 3)))
        ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
        xs = np.arange(self.w, dtype=np.float32)[None, :] + 0.5
        d = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2)
        return np.clip(r - d + 0.5, 0.0, 1.0), y0


def lerp(a, b, t):
    return a + (b - a) * t


def smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def noise1d(rng: np.random.Generator, n: int, period: float, octaves: int = 4) -> np.ndarray:
    """Fractal value noise over n samples, roughly in [-1, 1]; `period` in samples."""
    x = np.arange(n, dtype=np.float64)
    out = np.zeros(n)
    amp, total = 1.0, 0.0
    for _ in range(octaves):
        knots = rng.uniform(-1, 1, int(n / period) + 3)
        xi = x / period + rng.uniform(0, 1)
        i = np.floor(xi).astype(int)
        f = xi - i
        f = f * f * (3 - 2 * f)
        out += amp * lerp(knots[i], knots[i + 1], f)
        total += amp
        amp *= 0.5
        period = max(period / 2.0, 1.5)
    return (out / total).astype(np.float32)


def rect(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def trap(cx: float, y_bottom: float, half_bottom: float, y_top: float, half_top: float) -> list[tuple[float, float]]:
    """A trapezoid centred on cx: towers, lamp shades, trunks."""
    return [(cx - half_bottom, y_bottom), (cx + half_bottom, y_bottom), (cx + half_top, y_top), (cx - half_top, y_top)]
