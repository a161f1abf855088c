"""Figures: the plan's people (or the scene's characters when the plan has none).

Size by age (a child stands about 0.62 of an adult, with a larger head), pose by action (stand,
walk, run, sit, talk), and clothes in a colour derived from the character's name alone, so the same
character looks the same in every scene and two characters differ. Unnamed figures get muted
colours from their place in the list. Positions come from the layout's generator (painter_props.py).
"""

from __future__ import annotations

import colorsys

import numpy as np

from .painter_canvas import smoothstep
from .painter_words import stable_int

Box = tuple[float, float, float, float]
CHILD = 0.62


def figure_colour(name: str, index: int = 0) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(top, legs) clothing colours: from the name (case and spaces ignored), or muted for someone unnamed."""
    key = " ".join(name.lower().split())
    if not key:
        v = stable_int("vidgen-someone", index)
        top = colorsys.hsv_to_rgb((v % 360) / 360.0, 0.18, 0.45)
        return tuple(int(c * 255) for c in top), (52, 50, 56)
    v = stable_int("vidgen-character", key)
    hue, sat, val = (v % 3600) / 3600.0, 0.55 + (v >> 12) % 30 / 100.0, 0.62 + (v >> 20) % 25 / 100.0
    top = colorsys.hsv_to_rgb(hue, sat, val)
    legs = colorsys.hsv_to_rgb((hue + 0.5 + (v >> 28) % 20 / 100.0) % 1.0, 0.35, 0.32)
    return tuple(int(c * 255) for c in top), tuple(int(c * 255) for c in legs)


def figure_key(name: str, index: int) -> str:
    return "figure:" + (" ".join(name.split()) or f"#{index}")


class FiguresMixin:
    """Mixed into the painter: `pic`, `foot_y`, `side`, `light`, `lrng` and the Canvas primitives."""

    def figure_boxes(self) -> dict[str, Box]:
        people = self.pic.people
        self._figs = []
        if not people:
            return {}
        w, h, r = self.w, self.h, self.lrng
        fh = 0.17 * min(h, 1.3 * w)
        centre = 0.5 + self.side * -0.12 * r.uniform(0.3, 1.0)
        gap = fh * (0.42 if len(people) <= 3 else 0.34)
        boxes = {}
        for i, p in enumerate(people):
            x = centre * w + (i - (len(people) - 1) / 2) * gap + r.uniform(-0.08, 0.08) * gap
            y = self.foot_y + r.uniform(-0.01, 0.01) * h
            H = fh * r.uniform(0.9, 1.04) * (CHILD if p.age == "child" else 1.0)
            face = 1 if (i % 2 == 0) else -1  # talkers face each other; walkers go the same way
            if p.action in ("walk", "run"):
                face = -self.side
            self._figs.append((p, x, y, H, face))
            boxes[figure_key(p.name, p.index)] = (x - H * 0.32, y - H, x + H * 0.32, y)
        self._fig_span = (centre, gap, fh, len(people))
        return boxes

    def heads(self) -> dict[str, Box]:
        """Each figure's head circle as a box (x0, y0, x1, y1), by its layout key (after the layout)."""
        out = {}
        for p, x, y, H, face in getattr(self, "_figs", []):
            hx, hy, r = self._pose(p.action, x, y, H, face, p.age == "child")[2]
            out[figure_key(p.name, p.index)] = (hx - r, hy - r, hx + r, hy + r)
        return out

    def figures(self) -> None:
        if not self._figs:
            return
        centre, gap, fh, n = self._fig_span
        self.blend(self.ground_shadow(n, centre, gap, fh), (0, 0, 0))
        lit = 0.45 + 0.55 * self.light
        skin = np.array((206, 160, 128), np.float32) * lit
        for p, x, y, H, face in self._figs:
            top, legs = figure_colour(p.name, p.index)
            body, limbs, head = self._pose(p.action, x, y, H, face, p.age == "child")
            self.fill(limbs, np.array(legs, np.float32) * lit)
            self.fill(body, np.array(top, np.float32) * lit)
            self.fill([], skin, circles=[head])

    def _pose(self, action: str, x: float, y: float, H: float, face: int, child: bool):
        """(torso polygons, limb polygons, head circle) for an action."""
        head_r = H * (0.095 if child else 0.075)
        sh, hip = H * 0.13, H * 0.5
        lean = {"run": 0.18, "walk": 0.06}.get(action, 0.0) * face * H
        if action == "sit":  # on a stool, knees forward
            seat = y - H * 0.3
            self.fill([[(x - sh * 1.2, seat), (x + sh * 1.2, seat), (x + sh, y), (x - sh, y)]], np.array((80, 60, 46)) *
                      (0.3 + 0.7 * self.light))
            top_y = seat - H * 0.5
            torso = [[(x - sh, top_y + head_r * 2.1), (x + sh, top_y + head_r * 2.1), (x + sh * 0.8, seat),
                      (x - sh * 0.8, seat)]]
            thigh = [(x - sh * 0.8, seat - H * 0.08), (x + face * sh * 3, seat - H * 0.08), (x + face * sh * 3, seat),
                     (x - sh * 0.8, seat)]
            shin = [(x + face * sh * 2.5, seat - H * 0.02), (x + face * sh * 3.1, seat - H * 0.02),
                    (x + face * sh * 3.1, y), (x + face * sh * 2.5, y)]
            arm = [(x + sh * 0.6, top_y + H * 0.2), (x + sh, top_y + H * 0.2),
                   (x + face * sh * 2.2, seat - H * 0.1), (x + face * sh * 1.8, seat - H * 0.04)]
            return torso, [thigh, shin, arm], (x, top_y + head_r, head_r)
        neck = y - H + head_r * 2.1
        hx = x + lean  # the shoulders move with a lean, the feet stay
        torso = [[(hx - sh, neck + H * 0.03), (hx + sh, neck + H * 0.03), (x + sh * 0.75 + lean * 0.4, y - hip),
                  (x - sh * 0.75 + lean * 0.4, y - hip)], [(hx - sh, neck + H * 0.03), (hx + sh, neck + H * 0.03),
                                                           (hx, neck - H * 0.01)]]
        stride = {"walk": 0.9, "run": 1.8}.get(action, 0.0) * sh
        px = x + lean * 0.4
        legs = [[(px - sh * 0.7, y - hip), (px, y - hip), (x - stride - sh * 0.05, y), (x - stride - sh * 0.6, y)],
                [(px, y - hip), (px + sh * 0.7, y - hip), (x + stride + sh * 0.6, y), (x + stride + sh * 0.05, y)]]
        swing = {"walk": 0.8, "run": 1.5}.get(action, 0.0) * sh
        arm_y = y - hip * (1.05 if action == "run" else 0.95)
        arms = [[(hx - sh, neck + H * 0.04), (hx - sh * 0.7, neck + H * 0.05), (hx - sh * 1.05 - swing, arm_y),
                 (hx - sh * 1.35 - swing, arm_y)],
                [(hx + sh * 0.7, neck + H * 0.05), (hx + sh, neck + H * 0.04), (hx + sh * 1.35 + swing, arm_y),
                 (hx + sh * 1.05 + swing, arm_y)]]
        if action == "talk":  # one hand raised toward the other speaker
            f = face
            arms[1 if f > 0 else 0] = [(hx + f * sh * 0.7, neck + H * 0.05), (hx + f * sh, neck + H * 0.04),
                                       (hx + f * sh * 2.6, neck + H * 0.02), (hx + f * sh * 2.5, neck + H * 0.09)]
        return torso, legs + arms, (hx, y - H + head_r, head_r)

    def ground_shadow(self, n: int, centre: float, gap: float, fh: float) -> np.ndarray:
        ys = np.arange(self.h, dtype=np.float32) + 0.5
        xs = np.arange(self.w, dtype=np.float32) + 0.5
        gy = np.exp(-((ys - self.foot_y) / (fh * 0.03)) ** 2)
        span = (n - 1) * gap / 2 + fh * 0.2
        gx = smoothstep((span - np.abs(xs - centre * self.w)) / (fh * 0.15))
        return gy[:, None] * gx[None, :] * 0.35
