"""What every animation backend is asked to make: one scene's clip (the contract of `animate`).

A backend module (named by models/backends.py for the record's backend) exposes

    animate(spec, job: ClipJob, out_path, *, progress=None, cancel=None) -> Path

and writes an H.264 MP4 of round(job.duration * job.fps) frames at `job.size`, starting from the
scene's picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...domain import CameraKey


@dataclass
class ClipJob:
    image: str  # the scene's picture (a file)
    motion: str  # the camera move (domain.MOTIONS)
    duration: float  # seconds
    fps: int
    size: tuple[int, int]
    preset: str = "ultrafast"  # x264 preset and crf of the intermediate clip
    crf: int = 16
    path: list[CameraKey] = field(default_factory=list)  # a custom camera path (the camera backend; wins over motion)
    motion_blur: bool = False  # the camera: temporal supersampling along the path
    prompt: str = ""  # image-to-video models: what moves (from the scene's description)
    negative: str = ""
    seed: int = 0
    strength: float = 0.5  # image-to-video: how much moves, 0..1 (each backend maps it: motion bucket, ...)
    steps: int = 0  # denoising steps, 0 = the model's own
    stabilize: bool = False  # image-to-video: smooth the clip's shake (feature tracking)
