"""Weather, season and light sources for the storyboard painter.

Overcast weather greys and darkens the sky and the light on every surface; clouds thicken; rain and
storms streak the frame (a storm adds a lightning bolt and its flash), snow falls and whitens the
ground, fog lays a bright low-contrast veil that is thickest at the horizon, wind bends streaks and
blows leaves. Winter whitens the ground, autumn turns greens to orange. The `lights` of the plan
are drawn as glows where such a light would be. Particles use their own seeded generator, so a
scene's layout does not move when its weather changes.
"""

from __future__ import annotations

import numpy as np

from .painter_canvas import lerp, rect, smoothstep

# Sky: (grey it moves toward, how far); light: multiplier on lit surfaces.
OVERCAST = {"clear": ((0, 0, 0), 0.0, 1.0), "cloudy": ((150, 158, 170), 0.5, 0.86),
            "rain": ((104, 112, 124), 0.72, 0.72), "storm": ((46, 50, 62), 0.84, 0.55),
            "snow": ((200, 206, 216), 0.66, 0.95), "fog": ((222, 226, 230), 0.75, 0.95),
            "wind": ((170, 186, 206), 0.18, 0.97)}
# Clouds: (clusters low, high, alpha, colour at day) — None keeps the painter's default sky.
CLOUDS = {"cloudy": (8, 13, 0.78, (236, 238, 242)), "rain": (10, 15, 0.85, (150, 156, 166)),
          "storm": (12, 17, 0.9, (54, 56, 68)), "snow": (8, 12, 0.75, (222, 226, 234)),
          "wind": (5, 9, 0.6, (246, 246, 250))}


def weather_stops(stops, weather: str, light) -> list:
    grey, f, _ = OVERCAST.get(weather, OVERCAST["clear"])
    if f == 0:
        return stops
    g = np.array(grey, np.float32) * np.asarray(light, np.float32)
    return [(p, tuple(lerp(np.array(c, np.float32), g, f))) for p, c in stops]


class WeatherMixin:
    """Mixed into the painter: `pic`, `time`, `light`, `horizon`, `foot_y`, `side`, `sky_color()`,
    `interior` rooms (`room`) and the Canvas primitives; `wrng` is the weather's own generator."""

    # -- ground and foliage --

    def ground_cover(self) -> None:
        pic = self.pic
        if pic.interior or pic.setting == "space":
            return
        snow = 0.74 if pic.weather == "snow" else (0.5 if pic.season == "winter" else 0.0)
        top = self.h * 0.745 if pic.setting == "sea" else self.horizon - self.h * 0.03
        ys = np.arange(self.h, dtype=np.float32) + 0.5
        band = smoothstep((ys - top) / (self.h * 0.04))
        region = self.img[int(top):]
        if pic.season == "autumn" or pic.season == "winter":
            r, g, b = region[..., 0], region[..., 1], region[..., 2]
            green = np.clip((g - np.maximum(r, b)) / 30.0, 0, 1)[..., None]
            if pic.season == "autumn":
                warm = np.stack([g * 1.15 + 12, g * 0.72, b * 0.55], -1)
            else:
                luma = (0.3 * r + 0.59 * g + 0.11 * b)[..., None]
                warm = np.repeat(luma, 3, axis=-1) * np.array((0.92, 0.95, 1.0), np.float32)
            region += (warm - region) * green
        if snow:
            white = np.array((238, 242, 250), np.float32) * (0.25 + 0.75 * self.light)
            a = (band[int(top):] * snow)[:, None, None]
            shade = region.mean(-1, keepdims=True) / 255.0
            region += (white * (0.82 + 0.18 * shade) - region) * a

    # -- the air --

    def fog_veil(self) -> None:
        if self.pic.weather != "fog":
            return
        hy = self.horizon
        col = lerp(self.sky_color(0.9), np.array((230, 232, 236), np.float32) * (0.3 + 0.7 * self.light), 0.7)
        ys = np.arange(self.h, dtype=np.float32) + 0.5
        a = np.where(ys < hy, 0.8, 0.8 - 0.4 * np.clip((ys - hy) / max(1.0, self.h - hy), 0, 1))
        if self.pic.interior:
            a = a * 0.0 + 0.12  # a haze indoors: the fog stays outside the windows
        self.img += (col - self.img) * a[:, None, None].astype(np.float32)

    def particles(self) -> None:
        weather = self.pic.weather
        if self.pic.interior or weather in ("clear", "cloudy", "fog"):
            return
        if weather in ("rain", "storm"):
            self.rain(heavy=weather == "storm")
            if weather == "storm":
                self.lightning()
        elif weather == "snow":
            self.snowfall()
        elif weather == "wind":
            self.wind()

    def rain(self, heavy: bool) -> None:
        import cv2

        w, h, s, r = self.w, self.h, self.s, self.wrng
        n = int((1800 if heavy else 900) * w * h / (1280 * 720))
        L = s * r.uniform(0.03, 0.06, n)
        slant = 0.35 if heavy else 0.18
        x0, y0 = r.uniform(-0.1 * w, 1.05 * w, n), r.uniform(-0.05 * h, h, n)
        seg = np.stack([np.stack([x0, y0], 1), np.stack([x0 + L * slant, y0 + L], 1)], 1)
        m = np.zeros((h, w), np.uint8)
        cv2.polylines(m, list(np.round(seg * 16).astype(np.int32)), False, 255, max(1, int(round(s * 0.0016))),
                      cv2.LINE_AA, shift=4)
        col = np.array((200, 210, 228), np.float32) * (0.45 + 0.55 * self.light) + 20
        self.blend(m.astype(np.float32) * ((0.5 if heavy else 0.38) / 255.0), col)

    def lightning(self) -> None:
        import cv2

        w, h, s, r = self.w, self.h, self.s, self.wrng
        x = w * (0.5 + self.side * r.uniform(0.15, 0.35))
        y, pts = h * 0.06, []
        while y < self.horizon * 0.9:
            pts.append((x, y))
            y += h * r.uniform(0.04, 0.09)
            x += s * r.uniform(-0.05, 0.05)
        pts.append((x, y))
        m = np.zeros((h, w), np.uint8)
        cv2.polylines(m, [np.round(np.array(pts) * 16).astype(np.int32)], False, 255,
                      max(1, int(round(s * 0.004))), cv2.LINE_AA, shift=4)
        bolt = m.astype(np.float32) / 255.0
        self.add(cv2.GaussianBlur(bolt, (0, 0), s * 0.01) * 1.2, (150, 160, 255))
        self.blend(bolt, (250, 250, 255))
        ys = np.arange(self.h, dtype=np.float32) + 0.5
        flash = np.clip(1 - ys / self.horizon, 0, 1) * 0.22
        self.img += flash[:, None, None] * np.array((190, 196, 230), np.float32)

    def snowfall(self) -> None:
        import cv2

        w, h, s, r = self.w, self.h, self.s, self.wrng
        n = int(700 * w * h / (1280 * 720))
        m = np.zeros((h, w), np.uint8)
        xs, ys = r.uniform(0, w, n), r.uniform(0, h, n)
        rad = s * r.uniform(0.0015, 0.0055, n) ** 1.0
        for x, y, rr in zip(xs, ys, rad):
            cv2.circle(m, (int(x * 16), int(y * 16)), max(8, int(rr * 16)), 255, -1, cv2.LINE_AA, shift=4)
        flakes = cv2.GaussianBlur(m.astype(np.float32) / 255.0, (0, 0), max(0.6, s * 0.0012))
        self.blend(np.clip(flakes * 1.3, 0, 0.95), np.array((250, 252, 255), np.float32) * (0.5 + 0.5 * self.light))

    def wind(self) -> None:
        import cv2

        w, h, s, r = self.w, self.h, self.s, self.wrng
        m = np.zeros((h, w), np.uint8)
        for _ in range(int(24 * max(1.0, w / h))):
            x0, y0, L = r.uniform(-0.2, 1) * w, r.uniform(0.1, 0.9) * h, r.uniform(0.1, 0.3) * w
            t = np.linspace(0, 1, 16)
            pts = np.stack([x0 + t * L, y0 + np.sin(t * np.pi * r.uniform(1, 2)) * s * 0.02 - t * s * 0.02], 1)
            cv2.polylines(m, [np.round(pts * 16).astype(np.int32)], False, 255, max(1, int(s * 0.002)), cv2.LINE_AA,
                          shift=4)
        self.add(m.astype(np.float32) / 255.0 * 0.22, np.array((230, 236, 240), np.float32) * self.light)
        leaf = (190, 110, 40) if self.pic.season != "winter" else (240, 240, 244)
        for x, y in zip(r.uniform(0, w, 40), r.uniform(0.2 * h, 0.9 * h, 40)):
            a = s * 0.006
            self.fill([[(x - a, y), (x, y - a * 0.6), (x + a, y), (x, y + a * 0.6)]], np.array(leaf) * self.light)

    # -- light sources --

    def lights(self) -> None:
        """The plan's light sources as glows in sensible spots (sun, moon and stars are the sky's)."""
        for name in self.pic.lights:
            getattr(self, "light_" + name, lambda: None)()

    def _night(self) -> float:
        return {"night": 1.0, "dusk": 0.8, "dawn": 0.6}.get(self.time, 0.35)

    def light_lamp(self) -> None:
        if self.pic.interior:
            if self.pic.place in ("room", "living room", "bedroom") or "table" not in self.room:
                x = self.w * (0.5 - self.side * 0.38)
                self.standing_lamp(x, self.room["back"][3] + self.h * 0.06)
            return
        self.light_streetlight(count=1)

    def standing_lamp(self, x: float, y: float) -> None:
        s = self.s
        top = y - self.h * 0.3
        self.fill([rect(x - s * 0.004, top, x + s * 0.004, y)], (36, 34, 34))
        self.fill([[(x - s * 0.04, top + s * 0.03), (x + s * 0.04, top + s * 0.03), (x + s * 0.025, top - s * 0.02),
                    (x - s * 0.025, top - s * 0.02)]], (250, 224, 170))
        self.glow(x, top, s * 0.16, 0.55 * self._night() + 0.1, (255, 196, 120))

    def light_streetlight(self, count: int = 4) -> None:
        h, s = self.h, self.s
        y = self.foot_y if self.pic.interior else h * 0.745
        if self.pic.interior:  # seen through the windows: an orange cast on the glass
            x0, y0, x1, y1 = self.room["window0"]
            self.glow((x0 + x1) / 2, y1, s * 0.1, 0.5 * self._night(), (255, 170, 90))
            return
        xs = [self.w * 0.9] if count == 1 else np.linspace(0.06, 0.94, count) * self.w
        for x in xs:
            self.fill([rect(x - s * 0.003, y - h * 0.2, x + s * 0.003, y), rect(x - s * 0.02, y - h * 0.2, x + s * 0.003,
                       y - h * 0.2 + s * 0.006)], (30, 30, 36))
            self.fill([], (255, 226, 160), circles=[(x - s * 0.018, y - h * 0.195, s * 0.007)])
            self.glow(x - s * 0.018, y - h * 0.19, s * 0.05, 0.9 * self._night() + 0.05, (255, 200, 120))

    def _low_spot(self) -> tuple[float, float]:
        """Where a small light stands: on the table or counter indoors, on the ground by the figures outside."""
        box = self.room.get("counter") or self.room.get("table") if self.pic.interior else None
        if box:
            return box[0] + (box[2] - box[0]) * 0.8, box[1]
        return self.w * (0.5 + self.side * 0.3), self.foot_y

    def light_candle(self) -> None:
        x, y = self._low_spot()
        s = self.s
        self.fill([rect(x - s * 0.005, y - s * 0.03, x + s * 0.005, y)], (236, 230, 210))
        self.fill([[(x, y - s * 0.048), (x + s * 0.004, y - s * 0.036), (x, y - s * 0.031), (x - s * 0.004, y - s * 0.036)]],
                  (255, 210, 110))
        self.glow(x, y - s * 0.04, s * 0.07, 0.55 * self._night() + 0.15, (255, 170, 80))

    def light_lantern(self) -> None:
        s = self.s
        x = self.w * (0.5 - self.side * 0.2)
        y = self.foot_y - self.h * 0.14
        self.fill([rect(x - s * 0.012, y - s * 0.02, x + s * 0.012, y + s * 0.02)], (255, 214, 130))
        self.fill([rect(x - s * 0.015, y - s * 0.026, x + s * 0.015, y - s * 0.02), rect(x - s * 0.015, y + s * 0.02,
                   x + s * 0.015, y + s * 0.026)], (40, 36, 30))
        self.glow(x, y, s * 0.1, 0.7 * self._night() + 0.1, (255, 180, 90))

    def light_fire(self) -> None:
        s = self.s
        if self.pic.interior and self.pic.place in ("kitchen", "bakery"):
            return  # the oven glows (painter_rooms)
        if self.pic.interior:
            x, y = self.w * (0.5 + self.side * 0.36), self.room["back"][3] + self.h * 0.04
            self.fill([rect(x - s * 0.08, y - s * 0.13, x + s * 0.08, y)], np.array((120, 70, 60)) * self.light)
            self.fill([rect(x - s * 0.05, y - s * 0.08, x + s * 0.05, y)], (20, 16, 14))
        else:
            x, y = self.w * (0.5 + self.side * 0.3), self.foot_y
        fl = [[(x - s * 0.04, y), (x + s * 0.04, y), (x + s * 0.01, y - s * 0.07), (x - s * 0.015, y - s * 0.04),
               (x - s * 0.02, y - s * 0.08)]]
        self.fill(fl, (255, 140, 40))
        self.fill([[(x - s * 0.02, y), (x + s * 0.02, y), (x, y - s * 0.04)]], (255, 230, 120))
        self.glow(x, y - s * 0.03, s * 0.16, 0.5 * self._night() + 0.25, (255, 130, 50))

    def light_window(self) -> None:
        s = self.s
        if self.pic.interior:  # light falling in through the window
            x0, y0, x1, y1 = self.room["window0"]
            self.glow((x0 + x1) / 2, (y0 + y1) / 2, s * 0.22, 0.35, (255, 236, 200))
            return
        x, y = self.w * (0.5 - self.side * 0.34), self.horizon + self.h * 0.02
        for dx in (-0.025, 0.025):
            self.fill([rect(x + s * dx - s * 0.018, y - s * 0.05, x + s * dx + s * 0.018, y)], (255, 206, 120))
        self.glow(x, y - s * 0.025, s * 0.1, 0.6 * self._night(), (255, 190, 100))

    def light_neon(self) -> None:
        import cv2

        s = self.s
        if self.pic.interior:
            bx0, by0, bx1, _ = self.room["back"]
            x, y = bx0 + (bx1 - bx0) * (0.5 - self.side * 0.3), by0 + self.h * 0.12
        else:
            x, y = self.w * (0.5 - self.side * 0.3), self.horizon - self.h * 0.12
        m = np.zeros((self.h, self.w), np.uint8)
        cv2.rectangle(m, (int(x - s * 0.08), int(y - s * 0.03)), (int(x + s * 0.08), int(y + s * 0.03)), 255,
                      max(1, int(s * 0.006)), cv2.LINE_AA)
        tube = m.astype(np.float32) / 255.0
        self.add(cv2.GaussianBlur(tube, (0, 0), s * 0.012) * 1.5, (255, 60, 170))
        self.blend(tube, (255, 190, 240))

    def light_moon(self) -> None:
        if self.pic.interior or self.moon_pos or self.pic.setting == "space":
            return
        cx, cy, r = self.w * (0.5 - self.side * 0.3), self.h * 0.26, self.s * 0.035
        self.glow(cx, cy, r * 2.5, 0.25, (150, 160, 200))
        self.fill([], (236, 232, 212), circles=[(cx, cy, r)], alpha=0.9 if self.time == "night" else 0.55)

    def light_stars(self) -> None:
        if not self.pic.interior and self.time in ("dusk", "dawn") and self.pic.setting != "space":
            self.stars(self.horizon * 0.7, density=0.6)

    def light_sun(self) -> None:
        if not self.pic.interior and self.sun_pos is None and self.time != "night":
            cx, cy = self.w * (0.5 + self.side * 0.25), max(self.h * 0.2, self.below_caption(self.s * 0.04))
            self.glow(cx, cy, self.s * 0.12, 0.35, (255, 240, 200))
            self.fill([], (255, 250, 230), circles=[(cx, cy, self.s * 0.04)], alpha=0.8)
