"""Images: a picture per scene, from the built-in painter, the user's own file, or diffusers.

Sizes and user files are checked here (files.py), so the painter can assume sane input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from ...domain import Scene
from ...models.backends import runtime
from ...models.registry import ModelSpec
from . import painter
from .files import MAX_PIXELS, _check_size, _write_png, check_image, cover_fit, fit_user_image, open_image
from .job import ImageJob
from .painter import CAPTION_INSET, guess_setting, guess_time_of_day, plan_layout  # re-exported: part of this API
from .painter_figures import figure_colour

Progress = Callable[[float], None]
Cancel = Callable[[], None]


# --- public API ------------------------------------------------------------------------------

def make_image(spec: ModelSpec, job: ImageJob, out_path: str | Path, *, progress: Progress | None = None,
               cancel: Cancel | None = None) -> Path:
    """One scene's picture by the image model `spec`, whose backend is picked through the one table
    (models/backends.py): the painter, or a diffusers pipeline."""
    return runtime(spec).generate_image(spec, job, out_path, progress=progress, cancel=cancel)


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
    painter.check_scene(scene)
    return painter.render(scene, w, h, seed=seed, total_scenes=total_scenes, caption=caption)


__all__ = ["paint_storyboard", "render_storyboard", "fit_user_image", "check_image", "open_image", "guess_setting",
           "guess_time_of_day", "plan_layout", "figure_colour", "CAPTION_INSET", "MAX_PIXELS", "cover_fit", "make_image", "ImageJob"]
