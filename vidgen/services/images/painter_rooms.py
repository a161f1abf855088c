"""Interiors: a room in one-point perspective (ceiling, back wall, side walls, floor), windows that are
the only place the sky shows, and each interior place's own furniture (a counter and an oven in a
kitchen or bakery, steps in a stairwell, pews in a church ...).

`room_geometry` is pure (the layout in painter_props.py places props on its surfaces); `RoomsMixin`
draws it on the painter's canvas.
"""

from __future__ import annotations

import numpy as np

from .painter_canvas import lerp, rect, trap

Box = tuple[float, float, float, float]

# Wall and floor colours per place ("room" uses the mood's wall colour); floor kinds: wood | tiles | stone.
STYLE: dict[str, tuple[tuple[int, int, int], tuple[int, int, int], str]] = {
    "kitchen": ((226, 214, 186), (170, 160, 150), "tiles"), "bakery": ((224, 196, 158), (150, 110, 80), "tiles"),
    "stairwell": ((176, 166, 152), (120, 110, 100), "stone"), "cafe": ((196, 146, 112), (110, 76, 52), "wood"),
    "shop": ((214, 210, 196), (140, 112, 84), "wood"), "office": ((206, 210, 214), (110, 116, 126), "tiles"),
    "bedroom": ((200, 186, 210), (130, 92, 64), "wood"), "living room": ((214, 196, 170), (124, 86, 58), "wood"),
    "classroom": ((200, 214, 190), (140, 104, 70), "wood"), "church": ((196, 186, 170), (132, 126, 118), "stone"),
    "station": ((182, 178, 170), (128, 124, 118), "stone"), "lighthouse": ((212, 206, 194), (128, 120, 110), "stone"),
    "room": ((206, 196, 180), (120, 84, 58), "wood"),
}
MOOD_WALLS = {"joyful": (232, 206, 160), "calm": (188, 206, 200), "sad": (160, 166, 176), "tense": (176, 150, 130),
              "mysterious": (110, 110, 140), "romantic": (220, 176, 170), "epic": (190, 160, 120),
              "neutral": (206, 196, 180)}
TALL = ("church", "station")  # a higher back wall


def room_geometry(place: str, w: int, h: int, side: int) -> dict[str, Box]:
    """The room's surfaces in pixels: back wall, floor line, windows and the tops things stand on
    ("counter", "table"), each (x0, y0, x1, y1); `side` (+1 / -1) is where the window is."""
    portrait = h > w
    floor_y = h * 0.64
    bx0, bx1 = w * (0.08 if portrait else 0.16), w * (0.92 if portrait else 0.84)
    by0 = h * (0.07 if place in TALL else 0.13)
    g: dict[str, Box] = {"back": (bx0, by0, bx1, floor_y)}
    bw = bx1 - bx0
    wy0, wy1 = by0 + h * 0.05, by0 + h * (0.27 if not portrait else 0.2)
    centre = 0.5 + side * 0.22
    if place in TALL:
        for k, f in enumerate((0.2, 0.5, 0.8)):
            g[f"window{k}"] = (bx0 + bw * (f - 0.09), by0 + h * 0.05, bx0 + bw * (f + 0.09), floor_y - h * 0.2)
    elif place == "stairwell":
        g["window0"] = (bx0 + bw * (centre - 0.07), by0 + h * 0.04, bx0 + bw * (centre + 0.07), by0 + h * 0.16)
    elif place == "lighthouse":
        r = min(w, h) * 0.06
        cx = bx0 + bw * centre
        g["window0"] = (cx - r, by0 + h * 0.06, cx + r, by0 + h * 0.06 + 2 * r)  # round: drawn as a porthole
    else:
        ww = bw * (0.3 if not portrait else 0.4)
        cx = bx0 + bw * centre
        g["window0"] = (cx - ww / 2, wy0, cx + ww / 2, wy1)
    top = floor_y + h * 0.015
    if place in ("kitchen", "bakery", "shop", "cafe"):
        cx0 = bx0 + bw * (0.04 if side > 0 else 0.36)
        g["counter"] = (cx0, floor_y - h * 0.13, cx0 + bw * 0.6, floor_y + h * 0.02)
    elif place in ("room", "living room", "bedroom", "classroom", "office"):
        tx = w * (0.5 - side * 0.28)
        tw = min(w, h) * 0.24
        g["table"] = (tx - tw / 2, top - h * 0.12, tx + tw / 2, top)
    return g


class RoomsMixin:
    """Mixed into the painter (Canvas primitives, `pic`, `light`, `mood`, `side`, `rng`, `time`)."""

    def paint_room(self) -> None:
        place = self.pic.place if self.pic.place in STYLE else "room"
        h, w, s = self.h, self.w, self.s
        geo = room_geometry(place, w, h, self.side)
        self.room = geo
        wall0, floor0, kind = STYLE[place]
        if place == "room":
            wall0 = MOOD_WALLS.get(self.mood, wall0)
        lit = 0.35 + 0.65 * self.light
        wall, floor_c = np.array(wall0, np.float32) * lit, np.array(floor0, np.float32) * lit
        bx0, by0, bx1, fy = geo["back"]
        win = np.zeros((h, w), np.float32)
        for key, box in geo.items():
            if key.startswith("window"):
                win = np.maximum(win, self._window_mask(place, box))
        # The sky painted before stays only inside the windows; the wall's light falls off from them.
        xs = (np.arange(w, dtype=np.float32) + 0.5) / w
        wx = (geo["window0"][0] + geo["window0"][2]) / 2 / w
        fall = (1 - 0.3 * np.abs(xs - wx))[None, :, None]
        self.img = self.img * win[..., None] + (wall * fall) * (1 - win[..., None])
        self.fill([[(0, 0), (w, 0), (bx1, by0), (bx0, by0)]], wall * 0.74)  # ceiling
        self.fill([[(0, 0), (bx0, by0), (bx0, fy), (0, h)]], wall * (0.84 if self.side > 0 else 0.92))
        self.fill([[(w, 0), (bx1, by0), (bx1, fy), (w, h)]], wall * (0.92 if self.side > 0 else 0.84))
        self.fill([[(bx0, fy), (bx1, fy), (w, h), (0, h)]], floor_c)
        self._floor_pattern(kind, geo, floor_c)
        t = max(2.0, s * 0.008)
        edges = [[(0, 0), (bx0, by0), (bx0 + t * 0.5, by0), (t, 0)], [(w, 0), (bx1, by0), (bx1 - t * 0.5, by0), (w - t, 0)],
                 rect(bx0, fy - t, bx1, fy)]
        self.fill(edges, wall * 0.55)  # corners and skirting
        for key, box in geo.items():
            if key.startswith("window"):
                self._window_frame(place, box, wall * 0.5)
        getattr(self, "furnish_" + place.replace(" ", "_"), self.furnish_room)(geo, wall, floor_c)

    def _window_mask(self, place: str, box: Box) -> np.ndarray:
        x0, y0, x1, y1 = box
        if place == "lighthouse":
            return self.poly_mask([], [((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2)])
        if place in TALL:  # arched
            r = (x1 - x0) / 2
            return self.poly_mask([rect(x0, y0 + r, x1, y1)], [((x0 + x1) / 2, y0 + r, r)])
        return self.poly_mask([rect(x0, y0, x1, y1)])

    def _window_frame(self, place: str, box: Box, col) -> None:
        x0, y0, x1, y1 = box
        t = max(1.5, self.s * 0.008)
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        if place == "lighthouse":
            r = (x1 - x0) / 2
            ring = self.poly_mask([], [(mx, my, r + t)]) - self.poly_mask([], [(mx, my, r)])
            self.blend(np.clip(ring, 0, 1), col)
            return
        bars = [rect(mx - t / 2, y0, mx + t / 2, y1), rect(x0 - t, y1, x1 + t, y1 + t * 1.5)]
        if place not in TALL:
            bars += [rect(x0 - t, y0 - t, x1 + t, y0), rect(x0 - t, y0, x0, y1), rect(x1, y0, x1 + t, y1),
                     rect(x0, my - t / 2, x1, my + t / 2)]
        self.fill(bars, col)
        if place == "church":  # stained glass: a few coloured panes over the sky
            for k, c in enumerate(((200, 60, 60), (60, 90, 200), (220, 180, 60), (70, 160, 90))):
                ya = y0 + (y1 - y0) * (0.3 + 0.17 * k)
                self.fill([rect(x0, ya, x1, ya + (y1 - y0) * 0.15)], np.array(c) * (0.5 + 0.5 * self.light), alpha=0.55)

    def _floor_pattern(self, kind: str, geo: dict[str, Box], col) -> None:
        h, w = self.h, self.w
        bx0, _, bx1, fy = geo["back"]
        vx = w * 0.5
        lines = []
        n = 13 if kind == "wood" else 9
        for k in np.linspace(-1.6, 1.6, n):
            xb = vx + k * w * 0.62
            xt = bx0 + (bx1 - bx0) * (k + 1.6) / 3.2
            lines.append([(xt - 0.6, fy), (xt + 0.6, fy), (xb + 1.5, h), (xb - 1.5, h)])
        if kind != "wood":  # tiles and flagstones also have rows
            for f in (0.08, 0.2, 0.38, 0.65):
                y = fy + (h - fy) * f
                lines.append(rect(0, y - 0.7, w, y + 0.7))
        self.fill(lines, np.asarray(col) * 0.62, alpha=0.55)

    # -- furniture ------------------------------------------------------------------------------

    def wood(self, c=(92, 62, 42)) -> np.ndarray:
        return np.array(c, np.float32) * (0.3 + 0.7 * self.light)

    def furnish_room(self, geo, wall, floor_c) -> None:
        self.table(geo["table"])
        x0, y0, x1, _ = geo["table"]
        self.table_lamp((x0 + x1) / 2, y0)
        fx = (geo["back"][0] + geo["back"][2]) / 2 - self.side * self.w * 0.12
        fy = geo["back"][1] + self.h * 0.08
        self.fill([rect(fx - self.s * 0.06, fy, fx + self.s * 0.06, fy + self.s * 0.09)], wall * 0.45)

    def table(self, box: Box, col=None) -> None:
        x0, y0, x1, y1 = box
        s = self.s
        col = self.wood() if col is None else col
        legs = [rect(x - s * 0.006, y0, x + s * 0.006, y1) for x in (x0 + (x1 - x0) * 0.08, x1 - (x1 - x0) * 0.08)]
        self.fill([rect(x0, y0, x1, y0 + s * 0.018), *legs], col)

    def table_lamp(self, x: float, y: float) -> None:
        s = self.s
        sy = y - s * 0.09
        self.fill([rect(x - s * 0.004, sy, x + s * 0.004, y), trap(x, y, s * 0.02, y - s * 0.01, s * 0.012)],
                  (40, 36, 34))
        night = self.time in ("night", "dusk")
        self.fill([trap(x, sy + s * 0.015, s * 0.045, sy - s * 0.035, s * 0.025)],
                  (250, 222, 160) if night else (222, 200, 160))
        self.glow(x, sy, s * 0.14, 0.6 if night else 0.18, (255, 190, 110))
        self.glow(x, sy, s * 0.04, 0.5 if night else 0.15, (255, 230, 180))

    def counter(self, geo, top=(214, 208, 200), front=(150, 110, 80)) -> None:
        x0, y0, x1, y1 = geo["counter"]
        lit = 0.3 + 0.7 * self.light
        self.fill([rect(x0, y0 + self.s * 0.02, x1, y1)], np.array(front, np.float32) * lit)
        self.fill([rect(x0 - self.s * 0.01, y0, x1 + self.s * 0.01, y0 + self.s * 0.02)], np.array(top, np.float32) * lit)

    def oven(self, geo, glowing: bool) -> None:
        bx0, _, bx1, fy = geo["back"]
        cx0 = geo["counter"][0]
        s, lit = self.s, 0.3 + 0.7 * self.light
        ow = (bx1 - bx0) * 0.22
        ox = bx1 - ow - (bx1 - bx0) * 0.04 if cx0 < (bx0 + bx1) / 2 - (bx1 - bx0) * 0.2 else bx0 + (bx1 - bx0) * 0.04
        oy = fy - self.h * 0.26
        self.fill([rect(ox, oy, ox + ow, fy + self.h * 0.02)], np.array((70, 68, 72), np.float32) * lit)
        door = rect(ox + ow * 0.12, oy + self.h * 0.1, ox + ow * 0.88, fy - self.h * 0.03)
        self.fill([door], (255, 150, 60) if glowing else np.array((30, 28, 30), np.float32))
        if glowing:
            self.glow(ox + ow / 2, oy + self.h * 0.17, s * 0.12, 0.5, (255, 140, 60))
        self.fill([rect(ox + ow * 0.1, oy - s * 0.01, ox + ow * 0.9, oy + s * 0.012)], np.array((40, 40, 44)) * lit)

    def furnish_kitchen(self, geo, wall, floor_c) -> None:
        self.counter(geo)
        self.oven(geo, "fire" in self.pic.lights)
        x0, y0, x1, _ = geo["counter"]
        cols = [(150, 60, 40), (60, 90, 120), (120, 120, 120)]
        for k in range(3):  # pans on a rail
            cx = x0 + (x1 - x0) * (0.25 + 0.25 * k)
            self.fill([], np.array(cols[k]) * (0.3 + 0.7 * self.light), circles=[(cx, y0 - self.h * 0.16, self.s * 0.025)])

    def furnish_bakery(self, geo, wall, floor_c) -> None:
        self.counter(geo, front=(170, 120, 80))
        self.oven(geo, True)
        x0, y0, x1, _ = geo["counter"]
        lit = 0.3 + 0.7 * self.light
        for k, sy in enumerate((y0 - self.h * 0.12, y0 - self.h * 0.22)):  # shelves of loaves
            self.fill([rect(x0, sy, x1, sy + self.s * 0.01)], self.wood())
            for j in range(6):
                cx = x0 + (x1 - x0) * (0.1 + 0.16 * j + 0.04 * k)
                self.fill([], np.array((196, 140, 70)) * lit, circles=[(cx, sy - self.s * 0.012, self.s * 0.016)])

    def furnish_cafe(self, geo, wall, floor_c) -> None:
        self.counter(geo, top=(60, 44, 34), front=(90, 60, 44))
        h, s = self.h, self.s
        x0, y0, x1, _ = geo["counter"]
        self.fill([rect(x0 + (x1 - x0) * 0.1, y0 - s * 0.07, x0 + (x1 - x0) * 0.22, y0)], (150, 150, 156))  # machine
        fy = geo["back"][3]
        for f in (0.2, 0.8):
            x, y = self.w * f, fy + h * 0.12
            self.fill([rect(x - s * 0.005, y - h * 0.1, x + s * 0.005, y)], (40, 36, 34))
            self.fill([], self.wood((70, 50, 40)), circles=[(x, y - h * 0.1, s * 0.05)])
            self.fill([rect(x - s * 0.05, y - h * 0.1, x + s * 0.05, y - h * 0.09)], self.wood((70, 50, 40)))
        for f in (0.3, 0.7):
            self.fill([rect(self.w * f - s * 0.002, 0, self.w * f + s * 0.002, h * 0.08)], (30, 30, 30))
            self.fill([trap(self.w * f, h * 0.1, s * 0.03, h * 0.075, s * 0.012)], (220, 190, 120))
            self.glow(self.w * f, h * 0.11, s * 0.08, 0.35, (255, 200, 120))

    def furnish_shop(self, geo, wall, floor_c) -> None:
        bx0, by0, bx1, fy = geo["back"]
        lit = 0.3 + 0.7 * self.light
        wx0, _, wx1, _ = geo["window0"]
        for k in range(3):
            sy = fy - self.h * (0.16 + 0.11 * k)
            for a, b in ((bx0, wx0 - self.s * 0.02), (wx1 + self.s * 0.02, bx1)):
                if b - a < self.s * 0.05:
                    continue
                self.fill([rect(a, sy, b, sy + self.s * 0.01)], self.wood())
                n = max(2, int((b - a) / (self.s * 0.03)))
                for j in range(n):
                    c = np.array(((190, 60, 50), (60, 120, 180), (220, 180, 60), (80, 150, 90))[(j + k) % 4]) * lit
                    gx = a + (b - a) * (j + 0.2) / n
                    self.fill([rect(gx, sy - self.s * 0.035, gx + (b - a) / n * 0.6, sy)], c)
        self.counter(geo)

    def furnish_office(self, geo, wall, floor_c) -> None:
        h, s = self.h, self.s
        for f in (0.25, 0.5, 0.75):
            self.fill([rect(self.w * f - s * 0.06, h * 0.02, self.w * f + s * 0.06, h * 0.045)], (240, 244, 250))
        x0, y0, x1, y1 = geo["table"]
        self.table(geo["table"], self.wood((150, 150, 156)))
        mx = (x0 + x1) / 2
        self.fill([rect(mx - s * 0.05, y0 - s * 0.07, mx + s * 0.05, y0 - s * 0.01), rect(mx - s * 0.005, y0 - s * 0.01,
                   mx + s * 0.005, y0)], (30, 32, 38))
        self.fill([rect(mx - s * 0.044, y0 - s * 0.064, mx + s * 0.044, y0 - s * 0.016)], (120, 170, 220))
        bx1 = geo["back"][2] if self.side < 0 else geo["back"][0] + s * 0.1
        self.fill([rect(bx1 - s * 0.1, geo["back"][3] - h * 0.2, bx1 - s * 0.02, geo["back"][3])],
                  np.array((120, 124, 130)) * (0.3 + 0.7 * self.light))

    def furnish_bedroom(self, geo, wall, floor_c) -> None:
        h = self.h
        bx0, _, bx1, fy = geo["back"]
        cx = (bx0 + bx1) / 2 + self.side * (bx1 - bx0) * 0.15
        bw = (bx1 - bx0) * 0.4
        lit = 0.3 + 0.7 * self.light
        self.fill([rect(cx - bw / 2, fy - h * 0.16, cx + bw / 2, fy)], self.wood())  # headboard
        self.fill([[(cx - bw / 2, fy - h * 0.06), (cx + bw / 2, fy - h * 0.06), (cx + bw * 0.62, fy + h * 0.16),
                    (cx - bw * 0.62, fy + h * 0.16)]], np.array((180, 70, 80)) * lit)  # blanket
        self.fill([rect(cx - bw * 0.4, fy - h * 0.09, cx - bw * 0.05, fy - h * 0.05),
                   rect(cx + bw * 0.05, fy - h * 0.09, cx + bw * 0.4, fy - h * 0.05)], np.array((236, 236, 240)) * lit)
        self.table(geo["table"])
        x0, y0, x1, _ = geo["table"]
        self.table_lamp((x0 + x1) / 2, y0)

    def furnish_living_room(self, geo, wall, floor_c) -> None:
        h = self.h
        bx0, _, bx1, fy = geo["back"]
        cx, sw = (bx0 + bx1) / 2 + self.side * (bx1 - bx0) * 0.12, (bx1 - bx0) * 0.42
        lit = 0.3 + 0.7 * self.light
        self.fill([[(self.w * 0.3, fy + h * 0.1), (self.w * 0.7, fy + h * 0.1), (self.w * 0.8, fy + h * 0.2),
                    (self.w * 0.2, fy + h * 0.2)]], np.array((150, 60, 60)) * lit, alpha=0.7)  # rug
        self.fill([rect(cx - sw / 2, fy - h * 0.13, cx + sw / 2, fy + h * 0.02),
                   rect(cx - sw * 0.56, fy - h * 0.09, cx - sw * 0.44, fy + h * 0.02),
                   rect(cx + sw * 0.44, fy - h * 0.09, cx + sw * 0.56, fy + h * 0.02)], np.array((70, 100, 120)) * lit)
        self.furnish_room(geo, wall, floor_c)

    def furnish_classroom(self, geo, wall, floor_c) -> None:
        h, s = self.h, self.s
        bx0, by0, bx1, fy = geo["back"]
        wx0, _, wx1, _ = geo["window0"]
        a, b = (bx0 + s * 0.03, wx0 - s * 0.03) if self.side > 0 else (wx1 + s * 0.03, bx1 - s * 0.03)
        self.fill([rect(a - s * 0.01, by0 + h * 0.05, b + s * 0.01, fy - h * 0.16)], self.wood())
        self.fill([rect(a, by0 + h * 0.06, b, fy - h * 0.17)], np.array((40, 74, 56)) * (0.3 + 0.7 * self.light))
        for row, y in enumerate((fy + h * 0.06, fy + h * 0.14)):
            for f in (0.15, 0.4, 0.6, 0.85):
                x, dw = self.w * (0.5 + (f - 0.5) * (1 + 0.3 * row)), s * (0.06 + 0.02 * row)
                self.table((x - dw, y - h * 0.07, x + dw, y))

    def furnish_church(self, geo, wall, floor_c) -> None:
        h = self.h
        fy = geo["back"][3]
        for k in range(5):  # pews receding
            y = fy + h * (0.03 + 0.06 * k)
            grow = 1 + 0.25 * k
            for c in (0.3, 0.7):
                x, pw = self.w * (0.5 + (c - 0.5) * grow), self.w * 0.16 * grow
                self.fill([rect(x - pw / 2, y - h * 0.035 * grow, x + pw / 2, y)], self.wood((70, 46, 32)))
        cx = (geo["back"][0] + geo["back"][2]) / 2
        self.fill([rect(cx - self.s * 0.08, fy - h * 0.07, cx + self.s * 0.08, fy)], np.array((220, 214, 200)) * (0.3 + 0.7 * self.light))

    def furnish_station(self, geo, wall, floor_c) -> None:
        h, s = self.h, self.s
        bx0, by0, bx1, fy = geo["back"]
        cx = (bx0 + bx1) / 2
        self.fill([], (40, 40, 44), circles=[(cx, by0 + h * 0.04, s * 0.035)])
        self.fill([], (240, 238, 230), circles=[(cx, by0 + h * 0.04, s * 0.029)])
        self.fill([rect(cx - s * 0.002, by0 + h * 0.02, cx + s * 0.002, by0 + h * 0.04),
                   rect(cx, by0 + h * 0.038, cx + s * 0.02, by0 + h * 0.042)], (20, 20, 20))
        self.fill([rect(0, fy + h * 0.08, self.w, fy + h * 0.095)], (220, 190, 60))  # platform edge
        for f in (0.25, 0.75):
            x = self.w * f
            self.table((x - s * 0.07, fy + h * 0.1, x + s * 0.07, fy + h * 0.16))

    def furnish_stairwell(self, geo, wall, floor_c) -> None:
        h, w = self.h, self.w
        n = 9
        lit = 0.3 + 0.7 * self.light
        x_low, x_high = (0.05, 0.75) if self.side > 0 else (0.95, 0.25)
        rail = []
        for k in range(n):  # steps rising across the frame, nearest at the bottom
            f = k / n
            x = w * lerp(x_low, x_high, f)
            y = h * (0.95 - 0.62 * f)
            sw, rise = w * 0.2 * (1 - 0.4 * f), h * 0.07
            self.fill([rect(x - sw / 2, y - rise, x + sw / 2, y)], np.array(wall) * (0.7 - 0.02 * k))
            self.fill([rect(x - sw / 2, y - rise, x + sw / 2, y - rise + h * 0.012)], np.array((150, 140, 128)) * lit)
            rail.append((x + sw / 2 * self.side * -1, y - rise - h * 0.12))
        pts = np.array(rail)
        self.fill([[*map(tuple, pts), *map(tuple, (pts + [0, self.s * 0.008])[::-1])]], self.wood())

    def furnish_lighthouse(self, geo, wall, floor_c) -> None:
        xs = (np.arange(self.w, dtype=np.float32) + 0.5) / self.w
        curve = (0.75 + 0.25 * np.sin(xs * np.pi))[None, :, None]  # a round tower's wall
        self.img *= curve
        self.furnish_stairwell(geo, wall, floor_c)
