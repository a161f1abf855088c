"""The procedural storyboard painter: what a user without a GPU sees.

It draws a composed frame rather than noise: a sky for the time of day, a setting silhouette picked
from the scene's words, hazy depth layers, small figures for the characters, a mood grade, a
vignette and a storyboard caption. Everything is computed in float32 with numpy (cv2 only for
anti-aliased polygons and blurs), relative to the frame size, and seeded so a scene, size and seed
always give the same bytes. The setting and time of day are read from the scene's words in
painter_words.py; the settings' drawing is painter_scenery.py, the drawing primitives painter_canvas.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...assets import FONT_BOLD, FONT_REGULAR
from ...domain import MOODS, TIMES_OF_DAY, WEATHERS, Scene
from ...errors import VidgenError
from ...models.registry import ModelSpec
from .files import _check_size, _write_png
from .job import ImageJob
from .painter_canvas import Canvas, lerp
from .painter_figures import FiguresMixin
from .painter_plan import resolve
from .painter_props import PropsMixin
from .painter_rooms import RoomsMixin, room_geometry
from .painter_scenery import SettingsMixin
from .painter_weather import CLOUDS, OVERCAST, WeatherMixin, weather_stops
from .painter_words import MARS_WORDS, guess_setting, guess_time_of_day, mentions, stable_int

__all__ = ["guess_setting", "guess_time_of_day", "plan_layout", "render", "generate_image", "check_scene"]

SUBTITLE_ZONE = 0.22  # bottom fraction kept free of important detail
CAPTION_INSET = 0.115  # caption box starts this far in from the top and left (and ends as far from the right)

# Sky gradients: (position from top 0 to horizon 1, RGB).
SKIES: dict[str, list[tuple[float, tuple[int, int, int]]]] = {
    "dawn": [(0.0, (52, 66, 124)), (0.5, (176, 132, 156)), (0.85, (246, 178, 150)), (1.0, (255, 212, 164))],
    "day": [(0.0, (54, 110, 192)), (0.55, (118, 168, 224)), (1.0, (204, 226, 242))],
    "dusk": [(0.0, (28, 30, 82)), (0.4, (118, 62, 112)), (0.78, (228, 108, 82)), (1.0, (252, 172, 92))],
    "night": [(0.0, (3, 5, 18)), (0.65, (12, 20, 48)), (1.0, (28, 42, 82))],
}
# Multiplier for lit surfaces (land, walls) by time of day.
LIGHT = {"dawn": (0.80, 0.70, 0.72), "day": (1.0, 1.0, 1.0), "dusk": (0.66, 0.50, 0.52),
         "night": (0.26, 0.30, 0.44)}


@dataclass(frozen=True)
class Grade:
    """A mood's colour grade: channel tint, saturation, contrast, brightness; and the caption accent."""

    tint: tuple[float, float, float]
    saturation: float
    contrast: float
    brightness: float
    accent: tuple[int, int, int]


GRADES = {
    "joyful": Grade((1.06, 1.03, 0.92), 1.18, 1.05, 1.06, (255, 200, 70)),
    "calm": Grade((0.96, 1.00, 1.05), 0.88, 0.94, 1.00, (140, 210, 220)),
    "sad": Grade((0.92, 0.96, 1.07), 0.55, 0.90, 0.86, (150, 170, 200)),
    "tense": Grade((1.07, 0.94, 0.90), 0.85, 1.22, 0.88, (235, 80, 60)),
    "mysterious": Grade((0.90, 0.97, 1.10), 0.80, 1.10, 0.80, (170, 130, 230)),
    "romantic": Grade((1.08, 0.94, 1.00), 1.05, 0.95, 1.02, (250, 140, 170)),
    "epic": Grade((1.08, 1.00, 0.88), 1.20, 1.22, 1.00, (255, 170, 60)),
    "neutral": Grade((1.0, 1.0, 1.0), 1.0, 1.0, 1.0, (230, 230, 230)),
}
assert set(GRADES) == set(MOODS)


def render(scene: Scene, w: int, h: int, *, seed: int = 0, total_scenes: int | None = None,
           caption: bool = True) -> np.ndarray:
    """The painted frame as an h x w x 3 uint8 array; inputs are checked by the image service."""
    p = _Painter(scene, w, h, seed)
    p.paint()
    p.grade()
    if caption:
        p.caption(total_scenes)
    return p.quantise()


def plan_layout(scene: Scene, size: tuple[int, int], seed: int = 0) -> dict[str, list[tuple[float, float, float, float]]]:
    """The boxes (x0, y0, x1, y1) in pixels where `render` draws each prop of the plan (by name, one per
    occurrence) and each figure ("figure:<name>", "figure:#<i>" when unnamed): the same layout, not a guess."""
    w, h = _check_size(size)
    check_scene(scene)
    return _Painter(scene, w, h, seed).layout


def plan_heads(scene: Scene, size: tuple[int, int], seed: int = 0) -> dict[str, tuple[float, float, float, float]]:
    """The box (x0, y0, x1, y1) in pixels of each figure's head as `render` draws it, by the figure's
    layout key ("figure:<name>"): where lip sync puts a painted figure's mouth."""
    w, h = _check_size(size)
    check_scene(scene)
    return _Painter(scene, w, h, seed).heads()


@functools.lru_cache(maxsize=16)
def _font(bold: bool, px: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), px)


# --- the painter -----------------------------------------------------------------------------

class _Painter(SettingsMixin, RoomsMixin, WeatherMixin, PropsMixin, FiguresMixin, Canvas):
    """One frame: sky and light here, exteriors from SettingsMixin, interiors from RoomsMixin, weather and
    lights from WeatherMixin, props and figures from their mixins, drawing on Canvas."""

    def __init__(self, scene: Scene, w: int, h: int, seed: int):
        super().__init__(w, h)
        self.scene = scene
        self.pic = resolve(scene)
        self.time = self.pic.time
        self.setting = self.pic.setting
        self.mood = scene.mood if scene.mood in GRADES else "neutral"
        self.grade_spec = GRADES[self.mood]
        # Details depend on seed and scene variant (its number unless moved) only, so editing a heading keeps the picture.
        self.rng = np.random.default_rng(stable_int("vidgen-storyboard", seed, scene.variant, self.setting))
        self.horizon = h * (0.60 if w >= h else 0.58)
        self.stops = weather_stops(SKIES[self.time], self.pic.weather, LIGHT[self.time])
        # Overcast weather dims lit surfaces outside; a room is lit by its own lights and windows.
        self.light = np.array(LIGHT[self.time], np.float32) * (1.0 if self.pic.interior else OVERCAST[self.pic.weather][2])
        self.side = 1 if self.rng.random() < 0.5 else -1  # which side the sun / feature sits on
        self.mars = self.setting == "space" and mentions(scene, *MARS_WORDS)
        self.lighthouse = self.pic.lighthouse
        self.foot_y = h * (1 - SUBTITLE_ZONE) - 0.01 * h
        self.sun_pos: tuple[float, float] | None = None  # set by celestial(); the sea reflects them
        self.moon_pos: tuple[float, float] | None = None
        # Weather and layout draw from generators of their own, so neither moves the other.
        self.wrng = np.random.default_rng(stable_int("vidgen-weather", seed, scene.variant))
        self.layout_seed = stable_int("vidgen-layout", seed, scene.variant, self.setting)
        self.lrng = np.random.default_rng(self.layout_seed)
        self.room = room_geometry(self.pic.place or "room", w, h, self.side) if self.pic.interior else {}
        self.layout = self.make_layout()

    def sky_color(self, t: float) -> np.ndarray:
        stops = self.stops
        for (p0, c0), (p1, c1) in zip(stops, stops[1:]):
            if t <= p1:
                f = (t - p0) / max(p1 - p0, 1e-6)
                return lerp(np.array(c0, np.float32), np.array(c1, np.float32), float(np.clip(f, 0, 1)))
        return np.array(stops[-1][1], np.float32)

    def haze(self, color, depth: float) -> np.ndarray:
        """A surface colour lit for the time of day, hazed toward the horizon with distance (0 near, 1 far)."""
        lit = np.asarray(color, np.float32) * self.light
        return lerp(lit, self.sky_color(0.97), depth)

    # -- the frame --

    def paint(self) -> None:
        if self.setting == "space":
            self.space_sky()
        else:
            self.sky()
            if self.pic.weather not in ("rain", "storm", "snow", "fog"):  # the sun and moon are hidden
                self.celestial()
            self.clouds()
        getattr(self, f"paint_{self.setting}")()
        self.ground_cover()
        if self.mood in ("mysterious", "sad") and self.setting != "room" and self.pic.weather != "fog":
            self.mist()
        self.lights()
        self.props()
        self.fog_veil()
        self.figures()
        self.particles()

    def sky(self, horizon: float | None = None) -> None:
        hy = self.horizon if horizon is None else horizon
        t = np.clip((np.arange(self.h, dtype=np.float32) + 0.5) / hy, 0, 1)
        stops = self.stops
        pos = np.array([p for p, _ in stops], np.float32)
        cols = np.array([c for _, c in stops], np.float32)
        col = np.stack([np.interp(t, pos, cols[:, k]) for k in range(3)], axis=1)
        self.img[:] = col[:, None, :]
        if self.time == "night" and not self.pic.overcast:
            self.stars(hy)

    def stars(self, bottom: float, density: float = 1.0) -> None:
        n = int(min(6000, density * self.w * bottom / 900))
        xs = self.rng.uniform(0, self.w - 1, n)
        ys = self.rng.uniform(0, bottom, n)
        b = self.rng.uniform(0.15, 1.0, n) ** 3
        fade = np.clip(1.2 - ys / max(bottom, 1), 0, 1)  # fewer near the horizon glow
        xi, yi = xs.astype(int), np.minimum(ys.astype(int), self.h - 1)
        val = (b * fade * 255)[:, None] * np.array([0.9, 0.95, 1.0], np.float32)
        np.add.at(self.img, (yi, xi), val.astype(np.float32))
        # A few brighter stars with a soft halo.
        k = max(3, n // 60)
        for x, y, bb in zip(xs[:k], ys[:k], b[:k]):
            r = max(1.0, self.s * 0.0022)
            m, y0 = self.disk(x, y, r)
            self.add(m * (0.5 + bb), (200, 210, 255), y0)

    def celestial(self) -> None:
        w, h, s = self.w, self.h, self.s
        cx = w * (0.5 + self.side * self.rng.uniform(0.18, 0.3))
        if self.time == "night":
            r = s * 0.045
            cy = max(h * self.rng.uniform(0.12, 0.22), self.below_caption(r))
            self.add(self.radial(cx, cy, r * 3) * 0.35, (120, 140, 190))
            moon, y0 = self.disk(cx, cy, r)
            bite, _ = self.disk(cx + self.side * r * 0.55, cy - r * 0.25, r * 0.92, (y0, y0 + moon.shape[0]))
            self.blend(moon * (1 - bite * 0.93), (236, 232, 212), y0)
            self.moon_pos = (cx, cy)
            return
        if self.time == "day":
            r, col, glow = s * 0.045, (255, 250, 230), (255, 240, 200)
            cy = max(h * 0.16, self.below_caption(r))
        else:
            cy, r = self.horizon - s * 0.09, s * 0.07
            col, glow = ((255, 236, 190), (255, 170, 110)) if self.time == "dawn" else ((255, 214, 150), (255, 130, 70))
        wide = 0.3 if self.time == "day" else 0.55
        self.add(self.radial(cx, cy, r * 5) * wide, glow)
        self.add(self.radial(cx, cy, r * 1.6) * 0.45, glow)
        m, y0 = self.disk(cx, cy, r)
        self.blend(m, col, y0)
        self.sun_pos = (cx, cy)

    def below_caption(self, r: float) -> float:
        """Lowest centre height that keeps a disc of radius r clear of the caption band."""
        return self.h * CAPTION_INSET + self.s * 0.085 + r * 1.6

    def clouds(self) -> None:
        import cv2

        spec = CLOUDS.get(self.pic.weather)
        if spec is None and self.time == "night" and self.rng.random() < 0.5:
            return
        lo, hi, alpha, day_col = spec or (3, 7, 0.6, None)
        sw, sh = max(8, self.w // 8), max(8, self.h // 8)
        m = np.zeros((sh, sw), np.uint8)
        for _ in range(int(self.rng.integers(lo, hi))):
            cx = self.rng.uniform(0, sw)
            cy = self.rng.uniform(0.08, 0.45) * self.horizon / 8
            for _ in range(int(self.rng.integers(3, 7))):
                ax = self.rng.uniform(0.04, 0.1) * sw * (1.6 if spec else 1.0)
                ay = ax * self.rng.uniform(0.25, 0.45)
                centre = (int(cx + self.rng.uniform(-1, 1) * sw * 0.08), int(cy + self.rng.uniform(-0.5, 0.5) * ay))
                cv2.ellipse(m, centre, (max(1, int(ax)), max(1, int(ay))), 0, 0, 360, 255, -1, cv2.LINE_AA)
        m = cv2.GaussianBlur(m.astype(np.float32) / 255.0, (0, 0), max(1.0, sw * 0.012))
        m = cv2.resize(m, (self.w, self.h), interpolation=cv2.INTER_CUBIC).clip(0, 1)
        col = {"day": (250, 250, 252), "dawn": (255, 196, 196), "dusk": (236, 140, 140),
               "night": (60, 70, 100)}[self.time]
        if day_col is not None:
            col = np.array(day_col, np.float32) * np.array(LIGHT[self.time], np.float32) * 1.1
        self.blend(m * alpha, col)

    def space_sky(self) -> None:
        import cv2

        t = ((np.arange(self.h, dtype=np.float32) + 0.5) / self.h)[:, None]
        self.img[:] = lerp(np.array((2, 3, 12), np.float32), np.array((14, 12, 38), np.float32), t)[:, None, :]
        # Nebula: blurred low-res colour noise tinted by the mood accent.
        sw, sh = max(8, self.w // 16), max(8, self.h // 16)
        neb = self.rng.random((sh, sw)).astype(np.float32)
        neb = cv2.GaussianBlur(neb, (0, 0), max(1.5, sw * 0.08))
        neb = (neb - neb.min()) / max(1e-6, float(np.ptp(neb)))
        neb = cv2.resize(neb, (self.w, self.h), interpolation=cv2.INTER_CUBIC).clip(0, 1) ** 2.5
        accent = np.array(self.grade_spec.accent, np.float32) * 0.35 + np.array((60, 40, 110), np.float32) * 0.65
        self.add(neb * 0.6, accent * 0.6)
        self.stars(self.h, density=3.0)
        if self.time != "night":
            cx = self.w * (0.5 + self.side * 0.32)
            cy = max(self.h * 0.14, self.below_caption(self.s * 0.018))
            self.add(self.radial(cx, cy, self.s * 0.12) * 0.6, (255, 230, 200))
            m, y0 = self.disk(cx, cy, self.s * 0.018)
            self.blend(m, (255, 252, 240), y0)

    def mist(self) -> None:
        hy = self.horizon
        ys = np.arange(self.h, dtype=np.float32) + 0.5
        band = np.exp(-((ys - hy) / (self.h * 0.06)) ** 2) * 0.45
        self.blend(np.repeat(band[:, None], self.w, axis=1), self.sky_color(0.9) * 0.9 + 20)

    # -- finishing --

    def caption(self, total: int | None) -> None:
        from PIL import Image, ImageDraw

        h, w = self.h, self.w
        px = max(9, int(round(min(h, w) * 0.034)))
        bold, reg = _font(True, px), _font(False, px)
        label = f"SCENE {self.scene.number}" + (f" / {total}" if total else "")
        # Inset past the title-safe 10%, so no camera move (pans crop up to 10.7% of a side) cuts into it.
        x0, y0 = int(round(w * CAPTION_INSET)), int(round(h * CAPTION_INSET))
        pad = max(3, int(round(px * 0.55)))
        gap = int(round(px * 0.9))
        max_w = int(w * (1 - CAPTION_INSET)) - x0 - 2 * pad
        label_w = int(np.ceil(bold.getlength(label)))
        head = " ".join(self.scene.heading.split())
        avail = max_w - label_w - gap
        head = _truncate(head, reg, avail) if avail > px * 2 else ""
        band_w = 2 * pad + label_w + (gap + int(np.ceil(reg.getlength(head))) if head else 0)
        band_h = 2 * pad + int(round(px * 1.25))
        band_w, band_h = min(band_w, w - x0), min(band_h, h - y0)  # tiny frames: clip rather than fail
        region = Image.fromarray(np.clip(self.img[y0:y0 + band_h, x0:x0 + band_w], 0, 255).astype(np.uint8))
        overlay = Image.new("RGBA", region.size, (0, 0, 0, 0))
        d = ImageDraw.Draw(overlay)
        d.rounded_rectangle((0, 0, band_w - 1, band_h - 1), radius=max(2, pad // 2), fill=(12, 12, 16, 150))
        d.rectangle((0, 0, max(2, pad // 3), band_h - 1), fill=(*self.grade_spec.accent, 255))  # accent tab
        ty = band_h / 2
        d.text((pad, ty), label, font=bold, fill=(*self.grade_spec.accent, 255), anchor="lm")
        if head:
            d.text((pad + label_w + gap, ty), head, font=reg, fill=(245, 245, 245, 255), anchor="lm")
        out = Image.alpha_composite(region.convert("RGBA"), overlay).convert("RGB")
        self.img[y0:y0 + band_h, x0:x0 + band_w] = np.asarray(out, np.float32)

    def grade(self) -> None:
        h, w = self.h, self.w
        img = self.img
        g = self.grade_spec
        # Mood grade: saturation, tint, contrast, brightness.
        luma = img @ np.array([0.299, 0.587, 0.114], np.float32)
        img = luma[..., None] + (img - luma[..., None]) * g.saturation
        img *= np.array(g.tint, np.float32) * g.brightness
        pivot = float(luma.mean())  # pivot on the frame's own mean so night frames keep their shadows
        img = (img - pivot) * g.contrast + pivot
        # Vignette (separable, so it costs two 1-D exps).
        vx = np.exp(-(((np.arange(w, dtype=np.float32) + 0.5) / w - 0.5) * 2.0) ** 2 * 0.6)
        vy = np.exp(-(((np.arange(h, dtype=np.float32) + 0.5) / h - 0.5) * 2.0) ** 2 * 0.6)
        img *= (0.5 + 0.5 * vy[:, None] * vx[None, :])[..., None] / (0.5 + 0.5 * np.exp(-0.0))
        self.img = img

    def quantise(self) -> np.ndarray:
        h, w = self.h, self.w
        # Dither with a fixed tile of triangular noise before quantising: no banding in the sky.
        self.img += np.tile(_dither_tile(), (h // 64 + 1, w // 64 + 1))[:h, :w, None]
        return np.clip(self.img + 0.5, 0, 255).astype(np.uint8)



@functools.lru_cache(maxsize=1)
def _dither_tile() -> np.ndarray:
    rng = np.random.default_rng(1234)
    return (rng.random((64, 64), np.float32) - rng.random((64, 64), np.float32)).astype(np.float32)



def _truncate(text: str, font, width: float) -> str:
    if font.getlength(text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with an ellipsis
        mid = (lo + hi + 1) // 2
        if font.getlength(text[:mid].rstrip() + "…") <= width:
            lo = mid
        else:
            hi = mid - 1
    return (text[:lo].rstrip() + "…") if lo > 0 else ""

def check_scene(scene: Scene) -> None:
    """The scene fields the painter reads must be known values."""
    if scene.mood and scene.mood not in MOODS:
        raise VidgenError(f"Scene {scene.number}: unknown mood {scene.mood!r}: use one of {', '.join(MOODS)}.")
    if scene.weather and scene.weather not in WEATHERS:
        raise VidgenError(f"Scene {scene.number}: unknown weather {scene.weather!r}: use one of {', '.join(WEATHERS)}.")
    if scene.time_of_day and scene.time_of_day not in TIMES_OF_DAY:
        raise VidgenError(f"Scene {scene.number}: unknown time of day {scene.time_of_day!r}: "
                          f"use one of {', '.join(TIMES_OF_DAY)}.")


def generate_image(spec: ModelSpec, job: ImageJob, out_path: str | Path, *, progress: Any = None,
                   cancel: Any = None) -> Path:
    """The image backend entry point (services/images/job.py): the painted frame as a PNG."""
    w, h = _check_size(job.size)
    check_scene(job.scene)
    return _write_png(render(job.scene, w, h, seed=job.seed, total_scenes=job.total_scenes, caption=job.caption),
                      out_path)
