"""Images: a picture per scene, from the built-in painter, the user's own file, or diffusers.

Sizes and user files are checked here (files.py), so the painter can assume sane input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...domain import MOODS, TIMES_OF_DAY, Scene
from ...errors import VidgenError
from . import painter
from .files import MAX_PIXELS, _check_size, _write_png, check_image, cover_fit, fit_user_image, open_image
from .painter import CAPTION_INSET, guess_setting, guess_time_of_day  # re-exported: part of this API

# --- public API ------------------------------------------------------------------------------

def paint_storyboard(scene: Scene, size: tuple[int, int], out_path: str | Path, *, seed: int = 0,
                     total_scenes: int | None = None, caption: bool = True) -> Path:
    """Paint a storyboard frame for `scene` and write it as a PNG of exactly `size` (w, h); `caption`
    False leaves out the scene label ("SCENE 2 / 6" and the heading)."""
    frame = render_storyboard(scene, size, seed=seed, total_scenes=total_scenes, caption=caption)
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
    return painter.render(scene, w, h, seed=seed, total_scenes=total_scenes, caption=caption)


__all__ = ["paint_storyboard", "render_storyboard", "fit_user_image", "check_image", "open_image", "guess_setting",
           "guess_time_of_day", "CAPTION_INSET", "MAX_PIXELS", "cover_fit"]
