"""Animation: a moving clip per scene. Today the built-in camera (camera.py); image-to-video next."""

from .camera import choose_motion, motion_frames, render_camera_motion

__all__ = ["choose_motion", "motion_frames", "render_camera_motion"]
