"""Built-in image backend: a procedural storyboard painter, and the user's own images.

The painter is what a user without a GPU sees, so it draws a composed frame rather than noise:
a sky for the time of day, a setting silhouette picked from the scene's words, hazy depth layers,
small figures for the characters, a mood grade, a vignette and a storyboard caption. Everything is
computed in float32 with numpy (cv2 only for anti-aliased polygons and blurs), relative to the
frame size, and seeded so a scene, size and seed always give the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..domain import MOODS, TIMES_OF_DAY, Scene
from ..errors import VidgenError
from ..media import atomic_output

MAX_PIXELS = 40_000_000
MIN_SIDE, MAX_SIDE = 64, 4096
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

# Setting keywords, in priority order for ties.
SETTING_WORDS: dict[str, tuple[str, ...]] = {
    "space": ("space", "spaceship", "starship", "space station", "orbit", "galaxy", "planet", "mars",
              "martian", "red planet", "asteroid", "nebula", "cosmos", "astronaut", "zero gravity"),
    "room": ("room", "kitchen", "office", "cafe", "café", "coffee shop", "shop", "store", "house",
             "apartment", "bedroom", "living room", "bar", "pub", "restaurant", "library",
             "classroom", "hall", "studio", "lab", "laboratory", "hospital", "interior", "indoors",
             "inside", "diner", "hotel", "attic", "basement", "corridor", "hallway", "cockpit",
             "bathroom", "cell", "home", "flat"),
    "sea": ("sea", "ocean", "beach", "harbor", "harbour", "lighthouse", "coast", "shore", "bay",
            "pier", "dock", "port", "island", "waves", "boat", "ship", "sail", "seaside", "cove"),
    "city": ("city", "street", "town", "downtown", "skyline", "rooftop", "alley", "avenue",
             "metropolis", "buildings", "skyscraper", "skyscrapers", "traffic", "neon", "square",
             "market", "crosswalk", "boulevard", "sidewalk"),
    "forest": ("forest", "woods", "wood", "pine", "pines", "trees", "jungle", "grove", "woodland",
               "clearing", "cabin", "rainforest"),
    "mountain": ("mountain", "mountains", "peak", "peaks", "summit", "cliff", "cliffs", "ridge",
                 "valley", "alps", "glacier", "snow", "pass"),
    "desert": ("desert", "dune", "dunes", "sand", "sahara", "oasis", "wasteland", "canyon", "mesa"),
    "field": ("field", "fields", "meadow", "hills", "hill", "farm", "countryside", "prairie",
              "garden", "park", "grass", "village"),
}
TIME_WORDS = {
    "night": ("night", "midnight", "moon", "moonlight", "moonlit", "stars", "starlit", "starry",
              "dark", "darkness", "nighttime"),
    "dawn": ("dawn", "sunrise", "daybreak", "morning", "first light", "early morning"),
    "dusk": ("dusk", "sunset", "evening", "twilight", "golden hour", "nightfall"),
    "day": ("day", "noon", "midday", "afternoon", "sunny", "daylight", "daytime", "continuous"),
}


# --- public API ------------------------------------------------------------------------------

def paint_storyboard(scene: Scene, size: tuple[int, int], out_path: str | Path, *, seed: int = 0,
                     total_scenes: int | None = None) -> Path:
    """Paint a storyboard frame for `scene` and write it as a PNG of exactly `size` (w, h)."""
    frame = render_storyboard(scene, size, seed=seed, total_scenes=total_scenes)
    return _write_png(frame, out_path)


def render_storyboard(scene: Scene, size: tuple[int, int], *, seed: int = 0,
                      total_scenes: int | None = None, caption: bool = True) -> np.ndarray:
    """The painted frame as an H x W x 3 uint8 array (what `paint_storyboard` writes)."""
    w, h = _check_size(size)
    if scene.mood and scene.mood not in MOODS:
        raise VidgenError(f"Scene {scene.number}: unknown mood {scene.mood!r}: use one of {', '.join(MOODS)}.")
    if scene.time_of_day and scene.time_of_day not in TIMES_OF_DAY:
        raise VidgenError(f"Scene {scene.number}: unknown time of day {scene.time_of_day!r}: "
                          f"use one of {', '.join(TIMES_OF_DAY)}.")
    p = _Painter(scene, w, h, seed)
    p.paint()
    p.grade()
    if caption:
        p.caption(total_scenes)
    return p.quantise()


def check_image(path: str | Path) -> tuple[int, int]:
    """Decode `path` fully; return its (width, height). VidgenError if it is not a usable image."""
    im = open_image(path)
    try:
        return im.size
    finally:
        im.close()


def fit_user_image(src: str | Path, size: tuple[int, int], out_path: str | Path) -> Path:
    """Cover-fit the user's image to exactly `size` (EXIF orientation applied) and write a PNG."""
    from PIL import Image, ImageOps

    w, h = _check_size(size)
    im = open_image(src)
    try:
        im = ImageOps.exif_transpose(im)
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            rgba = im.convert("RGBA")
            bg = Image.new("RGBA", rgba.size, (0, 0, 0, 255))  # transparent parts become black
            im = Image.alpha_composite(bg, rgba)
        im = im.convert("RGB")
        sw, sh = im.size
        # Source box of the target aspect, centred; one resample straight to the target size.
        if sw * h > sh * w:
            bw = sh * w / h
            box = ((sw - bw) / 2, 0.0, (sw + bw) / 2, float(sh))
        else:
            bh = sw * h / w
            box = (0.0, (sh - bh) / 2, float(sw), (sh + bh) / 2)
        out = im.resize((w, h), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
        return _write_png(np.asarray(out), out_path)
    finally:
        im.close()


# --- helpers ---------------------------------------------------------------------------------

def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        raise VidgenError(f"Image size must be (width, height), not {size!r}.") from None
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise VidgenError(f"Image size {w}x{h} is out of range: each side must be {MIN_SIDE} to {MAX_SIDE} pixels.")
    return w, h


def open_image(path: str | Path):
    """Open and fully decode an image with Pillow (caller closes it); every failure is a VidgenError."""
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    name = p.name
    if not p.is_file():
        raise VidgenError(f"{name} does not exist or is not a file.")
    if p.stat().st_size == 0:
        raise VidgenError(f"{name} is empty: upload a PNG, JPEG or WebP image.")
    try:
        im = Image.open(p)
    except Image.DecompressionBombError:
        raise VidgenError(f"{name} is too large: at most {MAX_PIXELS // 1_000_000} megapixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise VidgenError(f"{name} is not a readable image: {_reason(e)}.") from None
    w, h = im.size
    if w * h > MAX_PIXELS:
        im.close()
        raise VidgenError(f"{name} is too large ({w}x{h}): at most {MAX_PIXELS // 1_000_000} megapixels.")
    if w == 0 or h == 0:
        im.close()
        raise VidgenError(f"{name} is empty (0 pixels).")
    try:
        im.load()  # the real check: decode every pixel (catches truncated files)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        im.close()
        raise VidgenError(f"{name} is not a readable image: {_reason(e)}.") from None
    return im


def _reason(e: Exception) -> str:
    text = str(e).split("\n")[0].strip().rstrip(".")
    text = re.sub(r" '[^']*'$", "", text)  # Pillow appends the full path; the name is enough
    return text or e.__class__.__name__


def _write_png(frame: np.ndarray, out_path: str | Path) -> Path:
    from PIL import Image

    out = Path(out_path)
    with atomic_output(out, suffix=".png") as tmp:
        # Level 1: these frames are intermediates; the dither makes higher levels slow for little gain.
        Image.fromarray(frame, "RGB").save(tmp, format="PNG", compress_level=1)
    return out


def _stable_int(*parts: object) -> int:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


def _has(text: str, word: str) -> bool:
    return re.search(r"(?<![\w])" + re.escape(word) + r"(?![\w])", text) is not None


def _score(words: dict[str, tuple[str, ...]], weighted: list[tuple[str, float]]) -> dict[str, float]:
    scores = {k: 0.0 for k in words}
    for text, weight in weighted:
        if not text:
            continue
        for key, kws in words.items():
            scores[key] += weight * sum(1 for kw in kws if _has(text, kw))
    return scores


def _texts(scene: Scene) -> list[tuple[str, float]]:
    # Not scene.text: it holds the dialogue, and editing a line should not repaint the picture.
    return [(scene.location.lower(), 3.0), (scene.heading.lower(), 3.0), (scene.visual.lower(), 1.0)]


def guess_time_of_day(scene: Scene) -> str:
    if scene.time_of_day in TIMES_OF_DAY:
        return scene.time_of_day
    scores = _score(TIME_WORDS, _texts(scene))
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] > 0 else "day"


def guess_setting(scene: Scene) -> str:
    """One of SETTING_WORDS' keys, from the scene's location, heading and visual words."""
    scores = _score(SETTING_WORDS, _texts(scene))
    if scene.interior is True:
        scores["room"] += 4.0
    elif scene.interior is False:
        scores["room"] = 0.0
    best = max(scores, key=lambda k: scores[k])  # ties keep dict (priority) order
    return best if scores[best] > 0 else "field"


def _mentions(scene: Scene, *words: str) -> bool:
    text = " ".join(t for t, _ in _texts(scene))
    return any(_has(text, w) for w in words)


def _lerp(a, b, t):
    return a + (b - a) * t


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _noise1d(rng: np.random.Generator, n: int, period: float, octaves: int = 4) -> np.ndarray:
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
        out += amp * _lerp(knots[i], knots[i + 1], f)
        total += amp
        amp *= 0.5
        period = max(period / 2.0, 1.5)
    return (out / total).astype(np.float32)


@functools.lru_cache(maxsize=16)
def _font(bold: bool, px: int):
    from PIL import ImageFont

    from ..assets import FONT_BOLD, FONT_REGULAR

    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), px)


# --- the painter -----------------------------------------------------------------------------

class _Painter:
    def __init__(self, scene: Scene, w: int, h: int, seed: int):
        self.scene, self.w, self.h = scene, w, h
        self.s = float(min(w, h))
        self.time = guess_time_of_day(scene)
        self.setting = guess_setting(scene)
        self.mood = scene.mood if scene.mood in GRADES else "neutral"
        self.grade_spec = GRADES[self.mood]
        # Details depend on seed and scene number only, so editing a heading keeps the picture.
        self.rng = np.random.default_rng(_stable_int("vidgen-storyboard", seed, scene.number, self.setting))
        self.img = np.zeros((h, w, 3), np.float32)
        self.horizon = h * (0.60 if w >= h else 0.58)
        self.light = np.array(LIGHT[self.time], np.float32)
        self.side = 1 if self.rng.random() < 0.5 else -1  # which side the sun / feature sits on
        self.mars = self.setting == "space" and _mentions(scene, "mars", "martian", "red planet")
        self.foot_y = h * (1 - SUBTITLE_ZONE) - 0.01 * h
        self.sun_pos: tuple[float, float] | None = None  # set by celestial(); the sea reflects them
        self.moon_pos: tuple[float, float] | None = None

    # -- compositing primitives --

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

    def sky_color(self, t: float) -> np.ndarray:
        stops = SKIES[self.time]
        for (p0, c0), (p1, c1) in zip(stops, stops[1:]):
            if t <= p1:
                f = (t - p0) / max(p1 - p0, 1e-6)
                return _lerp(np.array(c0, np.float32), np.array(c1, np.float32), float(np.clip(f, 0, 1)))
        return np.array(stops[-1][1], np.float32)

    def haze(self, color, depth: float) -> np.ndarray:
        """A surface colour lit for the time of day, hazed toward the horizon with distance (0 near, 1 far)."""
        lit = np.asarray(color, np.float32) * self.light
        return _lerp(lit, self.sky_color(0.97), depth)

    # -- the frame --

    def paint(self) -> None:
        if self.setting == "space":
            self.space_sky()
        else:
            self.sky()
            self.celestial()
            self.clouds()
        getattr(self, f"paint_{self.setting}")()
        if self.mood in ("mysterious", "sad") and self.setting != "room":
            self.mist()
        self.figures()

    def sky(self, horizon: float | None = None) -> None:
        hy = self.horizon if horizon is None else horizon
        t = np.clip((np.arange(self.h, dtype=np.float32) + 0.5) / hy, 0, 1)
        stops = SKIES[self.time]
        pos = np.array([p for p, _ in stops], np.float32)
        cols = np.array([c for _, c in stops], np.float32)
        col = np.stack([np.interp(t, pos, cols[:, k]) for k in range(3)], axis=1)
        self.img[:] = col[:, None, :]
        if self.time == "night":
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

        if self.time == "night" and self.rng.random() < 0.5:
            return
        sw, sh = max(8, self.w // 8), max(8, self.h // 8)
        m = np.zeros((sh, sw), np.uint8)
        for _ in range(int(self.rng.integers(3, 7))):
            cx = self.rng.uniform(0, sw)
            cy = self.rng.uniform(0.08, 0.45) * self.horizon / 8
            for _ in range(int(self.rng.integers(3, 7))):
                ax = self.rng.uniform(0.04, 0.1) * sw
                ay = ax * self.rng.uniform(0.25, 0.45)
                centre = (int(cx + self.rng.uniform(-1, 1) * sw * 0.08), int(cy + self.rng.uniform(-0.5, 0.5) * ay))
                cv2.ellipse(m, centre, (max(1, int(ax)), max(1, int(ay))), 0, 0, 360, 255, -1, cv2.LINE_AA)
        m = cv2.GaussianBlur(m.astype(np.float32) / 255.0, (0, 0), max(1.0, sw * 0.012))
        m = cv2.resize(m, (self.w, self.h), interpolation=cv2.INTER_CUBIC).clip(0, 1)
        col = {"day": (250, 250, 252), "dawn": (255, 196, 196), "dusk": (236, 140, 140),
               "night": (60, 70, 100)}[self.time]
        self.blend(m * 0.6, col)

    def space_sky(self) -> None:
        import cv2

        t = ((np.arange(self.h, dtype=np.float32) + 0.5) / self.h)[:, None]
        self.img[:] = _lerp(np.array((2, 3, 12), np.float32), np.array((14, 12, 38), np.float32), t)[:, None, :]
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

    # -- settings --

    def ridge(self, base: float, amp: float, period: float, octaves: int = 5, ridged: bool = False) -> np.ndarray:
        n = _noise1d(self.rng, self.w, period, octaves)
        if ridged:
            n = 1.0 - 2.0 * np.abs(n)
        return (base - amp * n).astype(np.float32)

    def layer(self, top: np.ndarray, color, depth: float, shade: float = 0.25) -> None:
        """A filled silhouette below `top`, hazed by depth, darker toward its base."""
        m, y0 = self.heightfield_mask(top)
        c0 = self.haze(color, depth)
        c1 = self.haze(np.asarray(color, np.float32) * (1 - shade), depth * 0.8)
        t = np.linspace(0, 1, m.shape[0], dtype=np.float32)[:, None, None] ** 0.7
        self.blend(m, _lerp(c0, c1, t), y0)

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
            polys.append(_trap(x, y, r * 0.12, y - r * 1.6, r * 0.08))
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
                below, _ = self.heightfield_mask(top + h * 0.035 + _noise1d(self.rng, w, w * 0.02, 2) * h * 0.01)
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
                self.blend(self.poly_mask([_rect(x - 2, y - h * 0.16, x + 2, y)]), (30, 30, 36))
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
        water = _lerp(mirror * 0.85, deep, (0.35 + 0.5 * t)[:, None])
        m = np.clip(rows[:, None] - hy + 0.5, 0, 1) * np.ones((1, w), np.float32)
        self.blend(m, water[:, None, :], int(hy))
        # Headland with a lighthouse on the far side from the sun.
        lighthouse = _mentions(self.scene, "lighthouse")
        hx = 0.5 - self.side * 0.5  # 0 (left edge) or 1 (right edge)
        xs = np.arange(w, dtype=np.float32) / w
        d = np.abs(xs - hx)
        land_top = hy + 2 - h * 0.12 * _smoothstep((0.42 - d) / 0.3) + _noise1d(self.rng, w, w * 0.05, 3) * h * 0.01
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
            lamp = _rect(lx - bw * 0.5, top_y - bw * 0.9, lx + bw * 0.5, top_y)
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
        sand = (self.h * 0.745 + _noise1d(self.rng, w, w * 0.25, 3) * h * 0.012
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

    def paint_room(self) -> None:
        h, w, s = self.h, self.w, self.s
        night = self.time in ("night", "dusk")
        floor_y = h * 0.66
        # Window: the sky already painted shows through a hole in the wall.
        ww = w * (0.26 if w >= h else 0.42)
        wx = w * (0.5 + self.side * 0.2) - ww / 2
        wy0, wy1 = h * 0.12, h * (0.48 if w >= h else 0.4)
        sky_shift = int(max(0, self.horizon - wy1 + h * 0.05))  # see the horizon band in the window
        if sky_shift:
            self.img[:] = np.roll(self.img, -sky_shift, axis=0)
        window = self.poly_mask([[(wx, wy0), (wx + ww, wy0), (wx + ww, wy1), (wx, wy1)]])
        wall = np.array(self.wall_colour(), np.float32) * (0.35 + 0.65 * self.light)
        xs = (np.arange(w, dtype=np.float32) + 0.5) / w
        ys = (np.arange(h, dtype=np.float32) + 0.5) / h
        # Soft light falloff on the wall, brightest near the window.
        fall = 1 - 0.35 * np.abs(xs - (wx + ww / 2) / w)[None, :] - 0.15 * (ys[:, None] - 0.3) ** 2
        wall_img = wall[None, None, :] * fall[..., None]
        self.img = self.img * window[..., None] + wall_img * (1 - window[..., None])
        # Window frame and cross bars.
        t = max(2.0, s * 0.012)
        mx, my = wx + ww / 2, (wy0 + wy1) / 2
        bars = [_rect(wx - t, wy0 - t, wx + ww + t, wy0), _rect(wx - t, wy1, wx + ww + t, wy1 + t * 1.6),
                _rect(wx - t, wy0, wx, wy1), _rect(wx + ww, wy0, wx + ww + t, wy1),
                _rect(mx - t / 2, wy0, mx + t / 2, wy1), _rect(wx, my - t / 2, wx + ww, my + t / 2)]
        self.blend(self.poly_mask(bars), wall * 0.55)
        if not night:  # daylight falling through the window onto the floor
            lean = self.side * w * 0.05
            patch = [(wx, floor_y + h * 0.02), (wx + ww, floor_y + h * 0.02), (wx + ww * 1.3 - lean, h * 0.9),
                     (wx - ww * 0.1 - lean, h * 0.9)]
            import cv2
            self.add(cv2.GaussianBlur(self.poly_mask([patch]), (0, 0), s * 0.01) * 0.12, (255, 240, 210))
        # Floor with boards converging to a vanishing point.
        floor = np.full(w, floor_y, np.float32)
        fm, fy0 = self.heightfield_mask(floor)
        fcol = np.array((120, 84, 58), np.float32) * (0.35 + 0.65 * self.light)
        tt = np.linspace(0, 1, fm.shape[0], dtype=np.float32)[:, None, None]
        self.blend(fm, fcol * (0.8 + 0.3 * tt), fy0)
        self.blend(self.poly_mask([_rect(0, floor_y - t * 0.8, w, floor_y)]), wall * 0.5)  # skirting board
        vx, vy = w * 0.5, h * 0.3
        lines = []
        for k in np.linspace(-1.5, 1.5, 13):
            xb = vx + k * w * 0.7
            x_top = vx + (xb - vx) * (floor_y - vy) / (h - vy)
            lines.append([(x_top - 0.6, floor_y), (x_top + 0.6, floor_y), (xb + 1.5, h), (xb - 1.5, h)])
        self.blend(self.poly_mask(lines) * 0.5, fcol * 0.6)
        # A table with a lamp on the side away from the window.
        tx = w * (0.5 - self.side * 0.28)
        tw, ty = self.s * 0.22, floor_y + h * 0.015
        top_h, leg = s * 0.018, h * 0.12
        table = [_rect(tx - tw / 2, ty - leg, tx + tw / 2, ty - leg + top_h)]
        for lx in (tx - tw * 0.42, tx + tw * 0.42):
            table.append(_rect(lx - s * 0.006, ty - leg, lx + s * 0.006, ty))
        self.blend(self.poly_mask(table), np.array((70, 46, 32), np.float32) * (0.3 + 0.7 * self.light))
        lamp_y = ty - leg
        stand = _rect(tx - s * 0.004, lamp_y - s * 0.09, tx + s * 0.004, lamp_y)
        base = _trap(tx, lamp_y, s * 0.02, lamp_y - s * 0.01, s * 0.012)
        sy = lamp_y - s * 0.09
        shade = _trap(tx, sy + s * 0.015, s * 0.045, sy - s * 0.035, s * 0.025)
        self.blend(self.poly_mask([stand, base]), (40, 36, 34))
        self.blend(self.poly_mask([shade]), (250, 222, 160) if night else (222, 200, 160))
        glow = 1.0 if night else 0.3
        self.add(self.radial(tx, sy, s * 0.14) * 0.6 * glow, (255, 190, 110))
        self.add(self.radial(tx, sy, s * 0.04) * 0.5 * glow, (255, 230, 180))
        # A picture frame on the wall between window and lamp, if there is room.
        fx = w * 0.5 - self.side * w * 0.02 - s * 0.06
        if fx + s * 0.12 < wx - s * 0.05 or fx > wx + ww + s * 0.05:
            fy = h * 0.2
            self.blend(self.poly_mask([_rect(fx, fy, fx + s * 0.12, fy + s * 0.09)]), wall * 0.45)

    def wall_colour(self) -> tuple[int, int, int]:
        return {"joyful": (232, 206, 160), "calm": (188, 206, 200), "sad": (160, 166, 176), "tense": (176, 150, 130),
                "mysterious": (110, 110, 140), "romantic": (220, 176, 170), "epic": (190, 160, 120),
                "neutral": (206, 196, 180)}[self.mood]

    def mist(self) -> None:
        hy = self.horizon
        ys = np.arange(self.h, dtype=np.float32) + 0.5
        band = np.exp(-((ys - hy) / (self.h * 0.06)) ** 2) * 0.45
        self.blend(np.repeat(band[:, None], self.w, axis=1), self.sky_color(0.9) * 0.9 + 20)

    def figures(self) -> None:
        n = min(3, len(self.scene.characters))
        if n == 0:
            return
        h, w = self.h, self.w
        fh = 0.17 * min(h, 1.3 * w)
        centre = 0.5 + self.side * -0.12 * self.rng.uniform(0.3, 1.0)
        gap = fh * 0.42
        polys, circles = [], []
        for i in range(n):
            x = centre * w + (i - (n - 1) / 2) * gap + self.rng.uniform(-0.08, 0.08) * gap
            y = self.foot_y + self.rng.uniform(-0.01, 0.01) * h
            H = fh * self.rng.uniform(0.88, 1.04)
            sh, hip = H * 0.13, H * 0.5
            head_r = H * 0.075
            neck = y - H + head_r * 2.1
            body = [(x - sh, neck + H * 0.03), (x + sh, neck + H * 0.03), (x + sh * 0.75, y - hip),
                    (x - sh * 0.75, y - hip)]
            legs = [(x - sh * 0.75, y - hip), (x - sh * 0.05, y - hip), (x - sh * 0.12, y), (x - sh * 0.7, y)], \
                   [(x + sh * 0.05, y - hip), (x + sh * 0.75, y - hip), (x + sh * 0.7, y), (x + sh * 0.12, y)]
            arms = [(x - sh, neck + H * 0.04), (x - sh * 0.78, neck + H * 0.05), (x - sh * 1.05, y - hip * 0.95),
                    (x - sh * 1.3, y - hip * 0.95)], \
                   [(x + sh * 0.78, neck + H * 0.05), (x + sh, neck + H * 0.04), (x + sh * 1.3, y - hip * 0.95),
                    (x + sh * 1.05, y - hip * 0.95)]
            polys += [body, *legs, *arms]
            circles += [(x, y - H + head_r, head_r), (x, neck + H * 0.035, sh)]
        m = self.poly_mask(polys, circles)
        # Dark silhouettes, tinted by the light so they sit in the scene; a soft ground shadow.
        self.blend(self.ground_shadow(n, centre, gap, fh), (0, 0, 0))
        col = np.array((28, 26, 30), np.float32) * (0.6 + 0.4 * self.light)
        self.blend(m, col)

    def ground_shadow(self, n: int, centre: float, gap: float, fh: float) -> np.ndarray:
        ys = np.arange(self.h, dtype=np.float32) + 0.5
        xs = np.arange(self.w, dtype=np.float32) + 0.5
        gy = np.exp(-((ys - self.foot_y) / (fh * 0.03)) ** 2)
        span = (n - 1) * gap / 2 + fh * 0.2
        gx = _smoothstep((span - np.abs(xs - centre * self.w)) / (fh * 0.15))
        return gy[:, None] * gx[None, :] * 0.35

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


def _rect(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _trap(cx: float, y_bottom: float, half_bottom: float, y_top: float, half_top: float) -> list[tuple[float, float]]:
    """A trapezoid centred on cx: towers, lamp shades, trunks."""
    return [(cx - half_bottom, y_bottom), (cx + half_bottom, y_bottom), (cx + half_top, y_top), (cx - half_top, y_top)]


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


__all__ = ["paint_storyboard", "render_storyboard", "fit_user_image", "check_image", "open_image", "guess_setting",
           "guess_time_of_day", "MAX_PIXELS"]
