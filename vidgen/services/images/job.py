"""What every image backend is asked to make: one scene's picture (the contract of `generate_image`).

A backend module (named by models/backends.py for the record's backend) exposes

    generate_image(spec, job: ImageJob, out_path, *, progress=None, cancel=None) -> Path

and writes a PNG of exactly `job.size`. The painter reads the scene; an AI backend reads `request`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...domain import Scene


@dataclass
class ImageJob:
    scene: Scene
    size: tuple[int, int]  # the film's frame (width, height)
    seed: int = 0
    total_scenes: int | None = None
    caption: bool = True  # the painter's scene label ("SCENE 2 / 6" and the heading)
    request: Any = None  # AI backends: the ImageRequest (prompt, seed, steps ...; pipeline/plan.py)
    ip_adapter: Any = None  # AI backends: the IP-Adapter record that makes request.ip_image count
