"""Props: where each of the plan's props goes (the layout) and its simple, recognisable shape.

The layout is a pure function of the scene, size and seed, drawn from its own generator so adding a
prop does not move the others: boats and ships on the water, birds and gulls in the sky, houses,
barns, towers, bridges and trains on the horizon, animals, vehicles and furniture on the ground or
floor, clocks and doors on the back wall, bread, cups and books on a counter or table. Each prop's
box is (x0, y0, x1, y1) in pixels, recorded under its name (`layout["boat"] == [box, ...]`), and the
figures' under "figure:<name>" ("figure:#<i>" for someone unnamed).
"""

from __future__ import annotations

import numpy as np

from .painter_canvas import rect
from .painter_words import stable_int

Box = tuple[float, float, float, float]
SKY = ("bird", "gull")
WATER = ("boat", "ship")
FAR = ("house", "barn", "tower", "bridge", "train")
ON_TOP = ("bread", "cup", "book")
ON_WALL = ("clock", "door")
# (width, height) in units of the frame's short side (bridge and train: width in frame widths).
SIZE = {"boat": (0.13, 0.09), "ship": (0.24, 0.12), "car": (0.22, 0.09), "bicycle": (0.12, 0.075),
        "train": (0.42, 0.08), "lamp": (0.05, 0.24), "table": (0.18, 0.1), "chair": (0.06, 0.12),
        "bed": (0.3, 0.12), "book": (0.04, 0.025), "cup": (0.022, 0.026), "bread": (0.06, 0.03),
        "oven": (0.12, 0.15), "door": (0.11, 0.24), "clock": (0.06, 0.06), "tree": (0.13, 0.24),
        "flower": (0.03, 0.06), "house": (0.18, 0.16), "barn": (0.22, 0.18), "tower": (0.07, 0.3),
        "bridge": (0.45, 0.1), "fence": (0.3, 0.06), "dog": (0.08, 0.06), "cat": (0.05, 0.045),
        "bird": (0.04, 0.02), "gull": (0.05, 0.022), "horse": (0.18, 0.16), "cow": (0.18, 0.13),
        "fish": (0.06, 0.03), "rock": (0.08, 0.05)}
WIDE = ("bridge", "train")


class PropsMixin:
    """Mixed into the painter: `pic`, `room`, `horizon`, `foot_y`, `side`, `light`, `layout_seed` (each
    prop's generator), `figure_boxes()` (painter_figures.py) and the Canvas primitives."""

    def make_layout(self) -> dict[str, list[Box]]:
        pic, w, h, s = self.pic, self.w, self.h, self.s
        out: dict[str, list[Box]] = {}
        people = self.figure_boxes()
        for k, box in people.items():
            out.setdefault(k, []).append(box)
        busy = [(b[0], b[2]) for b in people.values()]
        surfaces = [self.room[k] for k in ("counter", "table") if k in self.room]
        water = pic.setting == "sea" and not pic.interior
        # Tables first so what stands on them has a top; then the rest in the plan's order.
        order = sorted(pic.props, key=lambda p: 0 if p == "table" else 1)
        seen: dict[str, int] = {}
        for name in order:
            seen[name] = seen.get(name, 0) + 1  # each prop its own generator: adding one moves no other
            r = np.random.default_rng(stable_int(self.layout_seed, name, seen[name]))
            pw, ph = SIZE[name]
            pw = pw * w if name in WIDE else pw * s
            ph = ph * s
            if name in SKY:
                if pic.interior:
                    x0, y0, x1, y1 = self.room["window0"]
                    pw, ph = min(pw, (x1 - x0) * 0.4), min(ph, (y1 - y0) * 0.3)
                    cx, cy = r.uniform(x0 + pw, x1 - pw), r.uniform(y0 + ph, y0 + (y1 - y0) * 0.5)
                else:
                    cx, cy = r.uniform(0.1, 0.9) * w, r.uniform(0.25 * h, max(0.26 * h, self.horizon - 0.12 * h))
                box = (cx - pw / 2, cy - ph / 2, cx + pw / 2, cy + ph / 2)
            elif name in WATER and water:
                far = name == "ship"
                cy = self.horizon + h * (0.012 if far else r.uniform(0.05, 0.1))
                scale = 1.0 if far else 0.7 + (cy - self.horizon) / h * 3
                pw, ph = pw * scale, ph * scale
                cx = self._free_x(r, pw, busy)
                box = (cx - pw / 2, cy - ph * 0.8, cx + pw / 2, cy + ph * 0.2)
            elif name in ON_TOP or (name == "fish" and not water):
                if surfaces:
                    x0, y0, x1, _ = surfaces[len(out.get(name, [])) % len(surfaces)]
                    cx = r.uniform(x0 + pw, max(x0 + pw + 1, x1 - pw))
                    box = (cx - pw / 2, y0 - ph, cx + pw / 2, y0)
                else:
                    cx = self._free_x(r, pw, busy)
                    box = (cx - pw / 2, self.foot_y - ph, cx + pw / 2, self.foot_y)
            elif name == "fish":  # leaping out of the water
                cx, cy = self._free_x(r, pw, busy), self.horizon + h * 0.06
                box = (cx - pw / 2, cy - ph, cx + pw / 2, cy)
            elif name in ON_WALL and pic.interior:
                bx0, by0, bx1, fy = self.room["back"]
                cx = r.uniform(bx0 + pw, bx1 - pw)
                if name == "door":
                    ph = min(ph, (fy - by0) * 0.75)
                    box = (cx - pw / 2, fy - ph, cx + pw / 2, fy)
                else:
                    box = (cx - pw / 2, by0 + h * 0.03, cx + pw / 2, by0 + h * 0.03 + ph)
            elif name in FAR and pic.interior:
                x0, y0, x1, y1 = self.room["window0"]
                f = min(1.0, (x1 - x0) * 0.5 / pw, (y1 - y0) * 0.5 / ph)
                cx = r.uniform(x0 + pw * f / 2, max(x0 + pw * f / 2 + 1, x1 - pw * f / 2))
                box = (cx - pw * f / 2, y1 - ph * f, cx + pw * f / 2, y1)
            elif name in FAR:
                base = h * 0.745 if pic.setting == "city" else self.horizon + h * 0.03
                cx = self._free_x(r, pw, [])
                box = (cx - pw / 2, base - ph, cx + pw / 2, base)
            else:  # on the ground or the floor, beside the figures
                base = self.foot_y + (h * r.uniform(0.0, 0.03) if pic.interior else h * r.uniform(-0.01, 0.01))
                if name == "table":
                    base = self.foot_y + h * 0.01
                cx = self._free_x(r, pw, busy)
                busy.append((cx - pw / 2, cx + pw / 2))
                box = (cx - pw / 2, base - ph, cx + pw / 2, base)
                if name == "table":
                    surfaces.append((box[0], box[1], box[2], box[3]))
            out.setdefault(name, []).append(tuple(float(v) for v in box))
        return out

    def _free_x(self, r, pw: float, busy: list[tuple[float, float]]) -> float:
        """A centre x whose span clears `busy` where it can (first free slot in a seeded order)."""
        slots = r.permutation(np.linspace(0.08, 0.92, 13)) * self.w
        for x in slots:
            if all(x + pw / 2 < a or x - pw / 2 > b for a, b in busy):
                return float(np.clip(x, pw / 2, self.w - pw / 2))
        return float(np.clip(slots[0], pw / 2, self.w - pw / 2))

    # -- drawing --

    def props(self) -> None:
        for name, boxes in self.layout.items():
            if name.startswith("figure:"):
                continue
            for box in boxes:
                getattr(self, "prop_" + name)(box)

    def shape(self, box: Box, polys, col, circles=(), alpha: float = 1.0, lit: bool = True) -> None:
        """Fill polygons and circles given in box units: (0, 0) top left, (1, 1) bottom right; circle
        radii in units of the box's height."""
        x0, y0, x1, y1 = box
        bw, bh = x1 - x0, y1 - y0
        P = [[(x0 + u * bw, y0 + v * bh) for u, v in p] for p in polys]
        C = [(x0 + u * bw, y0 + v * bh, rr * bh) for u, v, rr in circles]
        c = np.asarray(col, np.float32) * ((0.3 + 0.7 * self.light) if lit else 1.0)
        self.fill(P, c, C, alpha)

    @staticmethod
    def _r(u0, v0, u1, v1):
        return rect(u0, v0, u1, v1)

    def prop_boat(self, b):
        self.shape(b, [[(0, 0.6), (1, 0.6), (0.82, 0.95), (0.14, 0.95)]], (120, 60, 40))
        self.shape(b, [self._r(0.48, 0, 0.52, 0.6)], (60, 46, 36))
        self.shape(b, [[(0.53, 0.05), (0.53, 0.55), (0.9, 0.55)]], (240, 236, 224))

    def prop_ship(self, b):
        self.shape(b, [[(0, 0.55), (1, 0.55), (0.9, 0.95), (0.06, 0.95)]], (50, 56, 70))
        self.shape(b, [self._r(0.25, 0.3, 0.7, 0.55), self._r(0.55, 0.05, 0.63, 0.3)], (220, 220, 214))

    def prop_car(self, b):
        self.shape(b, [self._r(0, 0.4, 1, 0.8), [(0.18, 0.4), (0.3, 0.05), (0.72, 0.05), (0.85, 0.4)]], (180, 40, 40))
        self.shape(b, [[(0.25, 0.38), (0.34, 0.12), (0.68, 0.12), (0.78, 0.38)]], (150, 190, 220))
        self.shape(b, [], (24, 24, 26), [(0.22, 0.8, 0.2), (0.78, 0.8, 0.2)])

    def prop_bicycle(self, b):
        self.shape(b, [], (30, 30, 34), [(0.2, 0.7, 0.3), (0.8, 0.7, 0.3)])
        self.shape(b, [], (200, 200, 200), [(0.2, 0.7, 0.24), (0.8, 0.7, 0.24)], alpha=0.8)
        self.shape(b, [[(0.2, 0.7), (0.45, 0.3), (0.5, 0.34), (0.25, 0.72)], [(0.45, 0.3), (0.8, 0.7), (0.75, 0.72),
                    (0.43, 0.36)], self._r(0.4, 0.2, 0.55, 0.26)], (40, 110, 180))

    def prop_train(self, b):
        self.shape(b, [self._r(0, 0.15, 0.3, 0.85), self._r(0.33, 0.25, 0.65, 0.85), self._r(0.68, 0.25, 1, 0.85)],
                   (60, 90, 70))
        self.shape(b, [self._r(0.04 + k * 0.08, 0.3, 0.09 + k * 0.08, 0.5) for k in range(12)], (230, 220, 160))
        self.shape(b, [], (20, 20, 20), [(0.1 + 0.11 * k, 0.88, 0.12) for k in range(9)])

    def prop_lamp(self, b):
        self.shape(b, [self._r(0.45, 0.15, 0.55, 1), self._r(0.25, 0.95, 0.75, 1)], (36, 34, 34))
        self.shape(b, [[(0.1, 0.18), (0.9, 0.18), (0.7, 0), (0.3, 0)]], (250, 224, 170), lit=False)
        self.glow((b[0] + b[2]) / 2, b[1] + (b[3] - b[1]) * 0.1, self.s * 0.1, 0.5, (255, 196, 120))

    def prop_table(self, b):
        self.shape(b, [self._r(0, 0, 1, 0.16), self._r(0.06, 0.16, 0.12, 1), self._r(0.88, 0.16, 0.94, 1)],
                   (110, 74, 48))

    def prop_chair(self, b):
        self.shape(b, [self._r(0.1, 0, 0.24, 1), self._r(0.1, 0.5, 0.9, 0.6), self._r(0.8, 0.55, 0.9, 1)],
                   (120, 80, 50))

    def prop_bed(self, b):
        self.shape(b, [self._r(0, 0, 0.08, 1), self._r(0, 0.5, 1, 0.8), self._r(0.94, 0.4, 1, 1)], (110, 74, 48))
        self.shape(b, [self._r(0.08, 0.3, 0.98, 0.55)], (70, 90, 160))
        self.shape(b, [self._r(0.1, 0.2, 0.3, 0.35)], (240, 240, 244))

    def prop_book(self, b):
        self.shape(b, [self._r(0, 0.3, 1, 1)], (40, 70, 140))
        self.shape(b, [self._r(0.05, 0.38, 0.95, 0.55)], (240, 236, 220))

    def prop_cup(self, b):
        self.shape(b, [[(0, 0), (0.8, 0), (0.7, 1), (0.1, 1)]], (240, 240, 236), [(0.85, 0.45, 0.25)])

    def prop_bread(self, b):
        self.shape(b, [self._r(0.05, 0.55, 0.95, 1)], (196, 136, 66), [(0.5, 0.6, 0.45), (0.25, 0.7, 0.3),
                   (0.75, 0.7, 0.3)])
        self.shape(b, [self._r(0.3, 0.3, 0.34, 0.6), self._r(0.5, 0.25, 0.54, 0.6), self._r(0.7, 0.3, 0.74, 0.6)],
                   (236, 200, 140), alpha=0.7)

    def prop_oven(self, b):
        self.shape(b, [self._r(0, 0, 1, 1)], (70, 68, 72))
        self.shape(b, [self._r(0.12, 0.35, 0.88, 0.9)], (255, 150, 60), lit=False)
        self.glow((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, self.s * 0.08, 0.4, (255, 140, 60))

    def prop_door(self, b):
        self.shape(b, [self._r(0, 0, 1, 1)], (90, 60, 40))
        self.shape(b, [self._r(0.12, 0.08, 0.88, 0.45), self._r(0.12, 0.52, 0.88, 0.94)], (110, 76, 52))
        self.shape(b, [], (210, 180, 80), [(0.8, 0.55, 0.03)])

    def prop_clock(self, b):
        self.shape(b, [], (40, 36, 34), [(0.5, 0.5, 0.5)])
        self.shape(b, [], (244, 240, 228), [(0.5, 0.5, 0.42)])
        self.shape(b, [self._r(0.47, 0.15, 0.53, 0.52), self._r(0.48, 0.46, 0.8, 0.54)], (20, 20, 20))

    def prop_tree(self, b):
        bend = 0.18 if self.pic.weather in ("wind", "storm") else 0.0
        leaf = {"autumn": (200, 110, 40), "winter": (120, 120, 124)}.get(self.pic.season, (50, 110, 50))
        self.shape(b, [[(0.44, 1), (0.56, 1), (0.54 + bend, 0.45), (0.46 + bend, 0.45)]], (80, 56, 40))
        self.shape(b, [], leaf, [(0.5 + bend * 1.6, 0.3, 0.28), (0.3 + bend * 1.6, 0.42, 0.2),
                                 (0.7 + bend * 1.6, 0.42, 0.2)])
        if self.pic.weather == "snow" or self.pic.season == "winter":
            self.shape(b, [], (236, 240, 248), [(0.5 + bend * 1.6, 0.2, 0.16)], alpha=0.8)

    def prop_flower(self, b):
        self.shape(b, [self._r(0.45, 0.4, 0.55, 1)], (50, 120, 50))
        self.shape(b, [], (230, 70, 110), [(0.5, 0.3, 0.22)])
        self.shape(b, [], (250, 220, 80), [(0.5, 0.3, 0.08)])

    def prop_house(self, b):
        self.shape(b, [self._r(0.1, 0.4, 0.9, 1)], (214, 196, 160))
        self.shape(b, [[(0, 0.42), (0.5, 0), (1, 0.42)]], (150, 60, 50))
        win = (255, 210, 120) if self.time in ("night", "dusk") else (120, 150, 180)
        self.shape(b, [self._r(0.2, 0.52, 0.38, 0.72), self._r(0.62, 0.52, 0.8, 0.72)], win, lit=self.time == "day")
        self.shape(b, [self._r(0.44, 0.66, 0.56, 1)], (90, 60, 40))

    def prop_barn(self, b):
        self.shape(b, [[(0, 0.45), (0.2, 0.15), (0.5, 0), (0.8, 0.15), (1, 0.45), (1, 1), (0, 1)]], (170, 50, 40))
        self.shape(b, [self._r(0.34, 0.5, 0.66, 1)], (236, 226, 210))
        self.shape(b, [self._r(0.38, 0.54, 0.62, 1)], (120, 36, 30))

    def prop_tower(self, b):
        self.shape(b, [[(0.1, 1), (0.9, 1), (0.75, 0.12), (0.25, 0.12)]], (160, 150, 140))
        self.shape(b, [[(0.2, 0.12), (0.5, 0), (0.8, 0.12)]], (90, 60, 60))
        self.shape(b, [self._r(0.42, 0.25, 0.58, 0.35)], (40, 36, 40))

    def prop_bridge(self, b):
        polys = [self._r(0, 0.2, 1, 0.4)] + [self._r(f - 0.03, 0.4, f + 0.03, 1) for f in (0.02, 0.34, 0.66, 0.98)]
        self.shape(b, polys, (130, 120, 110))
        self.shape(b, [self._r(0, 0, 1, 0.06)] + [self._r(k / 10, 0, k / 10 + 0.015, 0.2) for k in range(11)],
                   (80, 74, 70))

    def prop_fence(self, b):
        polys = [self._r(k / 8, 0, k / 8 + 0.04, 1) for k in range(9)] + [self._r(0, 0.25, 1, 0.35),
                                                                           self._r(0, 0.65, 1, 0.75)]
        self.shape(b, polys, (150, 120, 90))

    def _quadruped(self, b, col, neck=0.3, legs=0.4, tail=True):
        body = self._r(0.15, 0.25, 0.8, 1 - legs)
        lg = [self._r(u, 1 - legs - 0.02, u + 0.07, 1) for u in (0.18, 0.3, 0.62, 0.72)]
        head = [[(0.75, 0.35), (0.82, 0.05), (1, 0.1), (1, 0.25), (0.85, 0.5)]] if neck else []
        tl = [[(0.15, 0.3), (0.0, 0.5), (0.03, 0.55), (0.17, 0.38)]] if tail else []
        self.shape(b, [body, *lg, *head, *tl], col)

    def prop_dog(self, b):
        self._quadruped(b, (140, 96, 56), legs=0.35)
        self.shape(b, [[(0.86, 0.05), (0.92, 0.0), (0.95, 0.2)]], (90, 60, 36))

    def prop_cat(self, b):
        self._quadruped(b, (70, 66, 64), legs=0.3)
        self.shape(b, [[(0.84, 0.1), (0.86, -0.1), (0.92, 0.05)], [(0.94, 0.05), (0.99, -0.1), (1, 0.1)]], (70, 66, 64))

    def prop_horse(self, b):
        self._quadruped(b, (120, 80, 50), legs=0.45)
        self.shape(b, [[(0.78, 0.3), (0.86, 0.02), (0.9, 0.06), (0.84, 0.32)]], (50, 34, 24))

    def prop_cow(self, b):
        self._quadruped(b, (236, 232, 226), neck=0.2, legs=0.35)
        self.shape(b, [], (40, 36, 34), [(0.35, 0.42, 0.12), (0.6, 0.5, 0.1)])

    def prop_bird(self, b):
        self.shape(b, [[(0, 0.2), (0.5, 0.75), (1, 0.2), (0.5, 1)]], (40, 40, 46))

    def prop_gull(self, b):
        self.shape(b, [[(0, 0.3), (0.25, 0), (0.5, 0.6), (0.75, 0), (1, 0.3), (0.5, 1)]], (246, 246, 248))
        self.shape(b, [[(0, 0.3), (0.08, 0.18), (0.14, 0.32)], [(1, 0.3), (0.92, 0.18), (0.86, 0.32)]], (40, 40, 46))

    def prop_fish(self, b):
        self.shape(b, [[(0.75, 0.5), (1, 0.1), (1, 0.9)]], (120, 150, 170), [(0.4, 0.5, 0.45)])
        self.shape(b, [], (20, 20, 20), [(0.2, 0.4, 0.06)])

    def prop_rock(self, b):
        self.shape(b, [[(0, 1), (0.1, 0.4), (0.35, 0.05), (0.7, 0.1), (0.95, 0.5), (1, 1)]], (120, 118, 112))
        self.shape(b, [[(0.35, 0.05), (0.7, 0.1), (0.6, 0.4)]], (160, 158, 150))
