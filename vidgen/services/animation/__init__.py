"""Animation: a moving clip per scene from its picture. Today the built-in camera (camera.py, its custom
paths and motion blur in camera_path.py); for any clip, frame interpolation (interpolate.py:
`retime`, `slow_motion`) and stabilization (stabilize.py). The
backend is picked from the animation model's record through the one table (models/backends.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ...models.backends import runtime
from ...models.registry import ModelSpec
from .camera import choose_motion, motion_frames, render_camera_motion
from .interpolate import interpolate, retime, slow_motion
from .job import ClipJob
from .stabilize import stabilize

__all__ = ["choose_motion", "motion_frames", "render_camera_motion", "make_clip", "ClipJob", "interpolate", "retime",
           "slow_motion", "stabilize"]


def make_clip(spec: ModelSpec, job: ClipJob, out_path: str | Path, *, progress: Callable[[float], None] | None = None,
              cancel: Callable[[], None] | None = None) -> Path:
    """One scene's clip by the animation model `spec` (its backend's `animate`)."""
    return runtime(spec).animate(spec, job, out_path, progress=progress, cancel=cancel)
