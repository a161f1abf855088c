"""What every animation backend is asked to make: one scene's clip (the contract of `animate`).

A backend module (named by models/backends.py for the record's backend) exposes

    animate(spec, job: ClipJob, out_path, *, progress=None, cancel=None) -> Path

and writes an H.264 MP4 of round(job.duration * job.fps) frames at `job.size`, starting from the
scene's picture.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ClipJob:
    image: str  # the scene's picture (a file)
    motion: str  # the camera move (domain.MOTIONS)
    duration: float  # seconds
    fps: int
    size: tuple[int, int]
    preset: str = "ultrafast"  # x264 preset and crf of the intermediate clip
    crf: int = 16
