"""The storyboard painter's settings: one `paint_<setting>` per key of `storyboard.SETTING_WORDS`.

Each draws land, water, buildings or a room over the sky already painted.
"""

from __future__ import annotations

import numpy as np

from .painter_canvas import lerp, noise1d, rect, smoothstep, trap


class SettingsMixin:
    """Mixed into the painter, which supplies the Canvas primitives, `scene`, the seeded `rng`, `time`,
    `mood`, `light`, `horizon`, `side`, `foot_y`, `mars`, `lighthouse`, `sun_pos`/`moon_pos`,
    `sky_color()` and `haze()`.
    """

    def ridge(self, base: float, amp: float, period: float, octaves: int = 5, ridged: bool = False) -> np.ndarray:
        n = noise1d(self.rng, self.w, period, octaves)
        if ridged:
            n = 1.0 - 2.0 * np.abs(n)
        return (base - amp * n).astype(np.float32)

    def layer(self, top: np.ndarray, color, depth: float, shade: float = 0.25) -> None:
        """A filled silhouette below `top`, hazed by depth, darker toward its base."""
        m, y0 = self.heightfield_mask(top)
        c0 = self.haze(color, depth)
        c1 = self.haze(np.asarray(color, np.float32) * (1 - shade), depth * 0.8)
        t = np.linspace(0, 1, m.shape[0], dtype=np.float32)[:, None, None] ** 0.7
        self.blend(m, lerp(c0, c1, t), y0)

    def ground(self, top_y: float, color, depth: float = 0.0) -> None:
        top = self.ridge(top_y, self.h * 0.006, self.w * 0.3, 3)
        self.layer(top, color, depth, shade=0.45)

    def paint_field(self) -> None:
        h, w = self.h, self.w
        hy = self.horizon
        self.layer(self.ridge(hy - h * 0.05, h * 0.06, w * 0.35, 4), (70, 110, 90), 0.75)
        self.layer(self.ridge(hy, h * 0.045, w * 0.3, 4), (80, 130, 70), 0.5)
        mid = self.ridge(hy + h * 0.06, h * 0.04, w * 0.4, 3)
        self.layer(mid, (90, 145, 62), 0.3)
        # A few round trees on the middle hill.
        polys, circles = [], []
        for _ in range(int(self.rng.integers(3, 7))):
            x = self.rng.uniform(0.05, 0.95) * w
            y = float(mid[int(x)]) + h * 0.004
            r = self.s * self.rng.uniform(0.018, 0.03)
            polys.append(trap(x, y, r * 0.12, y - r * 1.6, r * 0.08))
            circles += [(x, y - r * 1.9, r), (x - r * 0.6, y - r * 1.5, r * 0.7), (x + r * 0.6, y - r * 1.5, r * 0.7)]
        self.blend(self.poly_mask(polys, circles), self.haze((40, 80, 40), 0.3))
        self.ground(h * 0.74, (96, 150, 60))

    def paint_mountain(self) -> None:
        h, w = self.h, self.w
        hy = self.horizon
        specs = [(hy - h * 0.16, h * 0.16, 0.8, (110, 120, 150)), (hy - h * 0.08, h * 0.12, 0.6, (90, 105, 130)),
                 (hy, h * 0.08, 0.4, (70, 90, 100)), (hy + h * 0.07, h * 0.05, 0.2, (60, 85, 70))]
        for i, (base, amp, depth, col) in enumerate(specs):
            top = self.ridge(base, amp, w * (0.45 - 0.07 * i), 6, ridged=i < 3)
            self.layer(top, col, depth)
            if i == 0:  # snow caps on the farthest peaks
                m, y0 = self.heightfield_mask(top)
                below, _ = self.heightfield_mask(top + h * 0.035 + noise1d(self.rng, w, w * 0.02, 2) * h * 0.01)
                pad = m.shape[0] - below.shape[0]  # `below` starts lower; align its rows with m's
                below = below[-m.shape[0]:] if pad <= 0 else np.pad(below, ((pad, 0), (0, 0)))
                high = np.clip((base - top) / (amp * 0.8), 0, 1)[None, :]
                self.blend(m * (1 - below) * high, self.haze((245, 248, 255), 0.5), y0)
        self.ground(h * 0.75, (70, 110, 60))

    def pines(self, base: np.ndarray, count: int, height: tuple[float, float],
              avoid_centre: bool = False) -> np.ndarray:
        """Height field of a row of layered pines standing on `base`."""
        w = self.w
        top = base.copy()
        xs = np.arange(w, dtype=np.float32)
        for _ in range(count):
            x = self.rng.uniform(-0.03, 1.03) * w
            if avoid_centre and abs(x / w - 0.5) < 0.22:
                x += np.sign(x / w - 0.5 + 1e-6) * 0.25 * w
            th = self.rng.uniform(*height) * min(self.h, 1.3 * w)
            bw = min(th * self.rng.uniform(0.18, 0.26), self.w * 0.16)
            by = float(base[int(np.clip(x, 0, w - 1))])
            lo, hi = int(max(0, x - bw - 2)), int(min(w, x + bw + 2))
            if hi <= lo:
                continue
            dx = np.abs(xs[lo:hi] - x)
            prof = np.full(hi - lo, np.inf, np.float32)
            tiers = 4
            for k in range(tiers):  # stacked triangles, each wider and lower
                apex = by - th + th * 0.2 * k
                half = bw * (0.45 + 0.55 * (k + 1) / tiers)
                slope = (th * 0.42) / half
                tri = np.where(dx <= half, apex + dx * slope, np.inf)
                prof = np.minimum(prof, tri)
            trunk = np.where(dx <= bw * 0.08, by - th * 0.1, np.inf)
            top[lo:hi] = np.minimum(top[lo:hi], np.minimum(prof, trunk))
        return top

    def paint_forest(self) -> None:
        h, w = self.h, self.w
        hy = self.horizon
        self.layer(self.ridge(hy - h * 0.06, h * 0.07, w * 0.4, 4), (60, 90, 90), 0.8)
        rows = [(hy - h * 0.02, 0.62, 40, (0.10, 0.16)), (hy + h * 0.03, 0.42, 28, (0.14, 0.22)),
                (hy + h * 0.08, 0.22, 16, (0.2, 0.3))]
        for base_y, depth, count, hr in rows:
            base = self.ridge(base_y, h * 0.01, w * 0.3, 3)
            count = int(count * max(1.0, w / h))
            self.layer(self.pines(base, count, hr), (34, 74, 52), depth, shade=0.35)
        self.ground(h * 0.76, (58, 92, 48))
        near = self.pines(np.full(w, h * 1.02, np.float32), 5, (0.7, 0.95), avoid_centre=True)
        self.layer(near, (20, 44, 32), 0.0, shade=0.3)

    def buildings(self, base: float, hrange: tuple[float, float],
                  wrange: tuple[float, float]) -> list[tuple[int, int, int]]:
        out, x = [], -self.rng.uniform(0, wrange[1]) * self.w
        while x < self.w:
            bw = self.rng.uniform(*wrange) * self.w
            bh = self.rng.uniform(*hrange) * self.h
            if abs((x + bw / 2) / self.w - 0.5) < 0.15:
                bh *= 0.8  # keep the centre a little lower, for the figures
            out.append((int(x), int(x + bw), int(base - bh)))
            x += bw + self.rng.uniform(-0.2, 0.15) * bw
        return out

    def paint_city(self) -> None:
        h, w = self.h, self.w
        base = h * 0.74
        night = self.time in ("night", "dusk")
        if self.time == "night":  # the city's own glow on the low sky
            ys = np.arange(self.h, dtype=np.float32) + 0.5
            band = np.exp(-((ys - base) / (h * 0.3)) ** 2) * 0.5
            self.add(np.repeat(band[:, None], w, axis=1), (150, 100, 80))
        for depth, hr, wr, col in ((0.75, (0.2, 0.42), (0.04, 0.09), (90, 100, 130)),
                                   (0.35, (0.12, 0.32), (0.06, 0.12), (60, 66, 84))):
            top = np.full(w, base + 2, np.float32)
            blds = self.buildings(base, hr, wr)
            for x0, x1, ty in blds:
                a, b = max(0, x0), min(w, x1)
                top[a:b] = np.minimum(top[a:b], ty)
                if depth < 0.5 and self.rng.random() < 0.3:  # antenna
                    ax = int(np.clip((x0 + x1) / 2, 0, w - 2))
                    top[ax:ax + max(1, int(self.s * 0.004))] = ty - self.h * 0.05
            m, y0 = self.heightfield_mask(top)
            self.blend(m, self.haze(col, depth), y0)
            self.windows(blds, base, depth, night)
        self.ground(h * 0.745, (70, 70, 76))
        # Street lamps along the kerb.
        if night:
            for x in np.linspace(0.08, 0.92, 4) * w + self.rng.uniform(-0.03, 0.03) * w:
                y = h * 0.745
                self.blend(self.poly_mask([rect(x - 2, y - h * 0.16, x + 2, y)]), (30, 30, 36))
                self.add(self.radial(x, y - h * 0.16, self.s * 0.03) * 0.9, (255, 200, 120))

    def windows(self, blds, base: float, depth: float, night: bool) -> None:
        s = self.s
        pw, ph = max(2, int(s * 0.012)), max(3, int(s * 0.018))  # pitch
        ww, wh = max(1, pw // 2), max(1, ph // 2)
        lit_col = self.haze((255, 208, 120), depth * 0.5) if night else self.haze((170, 200, 230), depth)
        p_lit = 0.35 if night else 0.9
        alpha = (0.95 if night else 0.35) * (1 - depth * 0.6)
        for x0, x1, ty in blds:
            a, b = max(0, x0 + pw // 2), min(self.w, x1 - pw // 2)
            t0, t1 = int(ty + ph), int(base - ph)
            if b - a < pw or t1 - t0 < ph:
                continue
            xs = np.arange(a, b) - a
            ys = np.arange(t0, t1) - t0
            grid = self.rng.random((len(ys) // ph + 1, len(xs) // pw + 1)) < p_lit
            on = grid[(ys // ph)[:, None], (xs // pw)[None, :]]
            m = on & ((xs % pw) < ww)[None, :] & ((ys % ph) < wh)[:, None]
            region = self.img[t0:t1, a:b]
            region += (lit_col - region) * (m[..., None] * alpha)

    def paint_sea(self) -> None:
        import cv2

        h, w, s = self.h, self.w, self.s
        hy = self.horizon
        # Water: the sky mirrored and deepened, darker toward the viewer.
        rows = np.arange(int(hy), h, dtype=np.float32)
        t = (rows - hy) / max(1.0, h - hy)
        mirror = np.stack([self.sky_color(float(np.clip(1 - tt * 1.5, 0, 1))) for tt in t[::4]])
        mirror = np.repeat(mirror, 4, axis=0)[: len(rows)]
        deep = np.array((20, 60, 90), np.float32) * self.light
        water = lerp(mirror * 0.85, deep, (0.35 + 0.5 * t)[:, None])
        m = np.clip(rows[:, None] - hy + 0.5, 0, 1) * np.ones((1, w), np.float32)
        self.blend(m, water[:, None, :], int(hy))
        # Headland with a lighthouse on the far side from the sun.
        lighthouse = self.lighthouse
        hx = 0.5 - self.side * 0.5  # 0 (left edge) or 1 (right edge)
        xs = np.arange(w, dtype=np.float32) / w
        d = np.abs(xs - hx)
        land_top = hy + 2 - h * 0.12 * smoothstep((0.42 - d) / 0.3) + noise1d(self.rng, w, w * 0.05, 3) * h * 0.01
        land_top = np.where(d < 0.42, land_top, hy + 2).astype(np.float32)
        self.layer(land_top, (70, 80, 70), 0.55)
        if lighthouse:
            lx = w * abs(hx - 0.16)
            gy = float(land_top[int(np.clip(lx, 0, w - 1))]) + 1
            th, bw = h * 0.2, s * 0.028
            tower = [(lx - bw, gy), (lx + bw, gy), (lx + bw * 0.65, gy - th), (lx - bw * 0.65, gy - th)]
            self.blend(self.poly_mask([tower]), self.haze((235, 232, 225), 0.3))
            for k in (0.25, 0.6):  # red stripes
                y_a, y_b = gy - th * k, gy - th * (k + 0.15)
                f_a, f_b = 1 - 0.35 * k, 1 - 0.35 * (k + 0.15)
                band = [(lx - bw * f_a, y_a), (lx + bw * f_a, y_a), (lx + bw * f_b, y_b), (lx - bw * f_b, y_b)]
                self.blend(self.poly_mask([band]), self.haze((190, 50, 45), 0.3))
            top_y = gy - th
            lamp = rect(lx - bw * 0.5, top_y - bw * 0.9, lx + bw * 0.5, top_y)
            roof = [(lx - bw * 0.75, top_y - bw * 0.9), (lx + bw * 0.75, top_y - bw * 0.9), (lx, top_y - bw * 1.6)]
            dark = self.time in ("night", "dusk")
            self.blend(self.poly_mask([lamp]), (255, 236, 170) if dark else self.haze((200, 210, 210), 0.3))
            self.blend(self.poly_mask([roof]), self.haze((40, 40, 44), 0.3))
            if dark:  # beam and glow
                ly = top_y - bw * 0.45
                dirx = 1 if hx < 0.5 else -1
                far = lx + dirx * w * 0.6
                beam = [(lx, ly - bw * 0.2), (far, ly - h * 0.12), (far, ly + h * 0.02), (lx, ly + bw * 0.2)]
                bm = cv2.GaussianBlur(self.poly_mask([beam]), (0, 0), s * 0.01)
                self.add(bm * 0.25, (255, 236, 180))
                self.add(self.radial(lx, ly, s * 0.03), (255, 220, 150))
        # Glitter path under the sun or moon.
        pos = self.sun_pos or self.moon_pos
        if pos is not None:
            col = (255, 220, 160) if self.time != "night" else (200, 210, 240)
            polys = []
            for _ in range(int(60 * h / 720)):
                tt = self.rng.uniform(0, 1) ** 1.6
                y = hy + 2 + tt * (h * 0.74 - hy)
                spread = s * (0.01 + 0.08 * tt)
                x = pos[0] + self.rng.normal(0, spread)
                half = s * (0.004 + 0.03 * tt) * self.rng.uniform(0.4, 1)
                th = max(0.6, s * 0.002 * (1 + 2 * tt))
                polys.append([(x - half, y), (x + half, y), (x + half * 0.8, y + th), (x - half * 0.8, y + th)])
            self.add(self.poly_mask(polys) * 0.55, col)
        # Wave strokes, denser far away.
        stroke = np.zeros((h, w), np.uint8)
        for k in range(1, 26):
            tt = (k / 26) ** 2
            y = hy + tt * (h * 0.74 - hy)
            for _ in range(int(self.rng.integers(2, 5))):
                x0 = self.rng.uniform(-0.1, 1) * w
                L = self.rng.uniform(0.05, 0.25) * w * (0.3 + tt)
                px = np.linspace(x0, x0 + L, 12)
                py = y + np.sin(np.linspace(0, 2 * np.pi, 12) + self.rng.uniform(0, 6)) * s * 0.003 * (0.3 + tt)
                pts = np.round(np.stack([px, py], 1) * 16).astype(np.int32)
                cv2.polylines(stroke, [pts], False, 255, max(1, int(s * 0.002 * (0.5 + 2 * tt))), cv2.LINE_AA, shift=4)
        self.add(stroke.astype(np.float32) / 255.0 * 0.22, self.sky_color(0.95) * 0.7)
        # Beach in the foreground, with a foam line.
        sand = (self.h * 0.745 + noise1d(self.rng, w, w * 0.25, 3) * h * 0.012
                - h * 0.02 * np.cos(np.linspace(0, np.pi, w) + self.rng.uniform(0, 3))).astype(np.float32)
        fm, fy0 = self.heightfield_mask(sand - s * 0.006)
        self.blend(fm * 0.7, self.haze((235, 240, 240), 0.15), fy0)
        self.layer(sand, (200, 175, 130), 0.0, shade=0.35)

    def paint_desert(self) -> None:
        h, w = self.h, self.w
        hy = self.horizon
        self.layer(self.ridge(hy - h * 0.03, h * 0.05, w * 0.25, 5, ridged=True), (170, 110, 80), 0.7)
        s = self.s  # amplitudes follow the short side so portrait dunes are not spikes
        for i, (base, amp, depth) in enumerate(((hy + h * 0.01, s * 0.03, 0.55), (hy + h * 0.06, s * 0.05, 0.3),
                                                (h * 0.75, s * 0.05, 0.0))):
            x = np.arange(w, dtype=np.float32)
            ph, per = self.rng.uniform(0, 6.28), w * self.rng.uniform(0.5, 0.9)
            wave = np.sin(x / per * 2 * np.pi + ph)
            top = (base - amp * (wave + 0.5 * np.sin(x / per * 4 * np.pi + ph * 1.7))).astype(np.float32)
            m, y0 = self.heightfield_mask(top)
            # Light side and shadow side of each dune, from the slope.
            slope = np.gradient(top) * self.side
            ys = np.arange(y0, h, dtype=np.float32)[:, None] + 0.5
            near_crest = np.exp(-np.maximum(ys - top[None, :], 0) / (s * 0.06))  # shading fades below the crest
            shade = (1.0 + 0.35 * np.tanh(slope * 2.5)[None, :] * near_crest)[..., None]
            c0 = self.haze((222, 170, 110), depth)
            t = np.linspace(0, 1, m.shape[0], dtype=np.float32)[:, None, None]
            self.blend(m, c0 * shade * (1 - 0.25 * t), y0)

    def paint_space(self) -> None:
        import cv2

        h, w, s = self.h, self.w, self.s
        if self.mars:
            self.add(self.radial(w / 2, h * 0.66, s * 0.25)[: int(h * 0.8)] * 0.2, (200, 120, 80))
            small, y0 = self.disk(w * (0.5 - self.side * 0.3), h * 0.2, s * 0.012)
            self.blend(small, (130, 170, 230), y0)  # a distant blue dot
            self.layer(self.ridge(h * 0.62, h * 0.05, w * 0.3, 5, ridged=True), (150, 80, 55), 0.35)
            top = self.ridge(h * 0.73, h * 0.025, w * 0.4, 4)
            self.layer(top, (180, 90, 55), 0.0, shade=0.5)
            for _ in range(int(self.rng.integers(2, 5))):  # craters: dark ellipse with a lit rim
                cx, cy = self.rng.uniform(0.05, 0.95) * w, self.rng.uniform(0.8, 0.95) * h
                rx = s * self.rng.uniform(0.03, 0.07)
                mm = np.zeros((h, w), np.uint8)
                cv2.ellipse(mm, (int(cx), int(cy)), (int(rx), max(1, int(rx * 0.25))), 0, 0, 360, 255, -1, cv2.LINE_AA)
                self.blend(mm.astype(np.float32) / 255 * 0.5, (70, 30, 20))
            return
        # A planet's curve low in the frame, lit from the sun's side, with an atmosphere rim.
        R = max(w, h) * 1.1
        cx, cy = w * (0.5 - self.side * 0.15), h * 0.56 + R
        disk, y0 = self.disk(cx, cy, R)
        xs = (np.arange(w, dtype=np.float32) - cx) / R
        lit = np.clip(0.35 + 0.65 * self.side * xs, 0.1, 1.0)[None, :, None]
        base = np.array((60, 110, 170), np.float32) if self.rng.random() < 0.6 else np.array((170, 120, 80), np.float32)
        tdepth = np.linspace(0, 1, disk.shape[0], dtype=np.float32)[:, None, None]
        self.blend(disk, base * lit * (1 - 0.5 * tdepth), y0)
        rim = cv2.GaussianBlur(np.ascontiguousarray(disk), (0, 0), s * 0.01) * (1 - disk)
        self.add(rim * 1.4, (120, 180, 255), y0)
        # An observation deck for anyone standing in the scene.
        if self.scene.characters:
            deck = np.full(w, self.foot_y, np.float32)
            self.layer(deck, (40, 44, 54), 0.0, shade=0.3)
            edge, ey0 = self.heightfield_mask(deck)
            self.add(edge[:max(2, int(s * 0.004))] * 0.6, (120, 170, 220), ey0)
