"""The built-in camera's speed against a plain ffmpeg scale+crop of the same move (issue 14).

    .venv/bin/python bench/animation.py [--seconds 5] [--fps 24]

For 720p and 1080p: vidgen's camera (`render_camera_motion`: a sub-pixel affine warp per frame,
eased, encoded by libx264 ultrafast crf 16) doing a pan to the right over a still, and, as the
baseline measured in the same run, one ffmpeg command that scales the still by the same zoom and
moves a whole-pixel crop window linearly (no easing, no sub-pixel: it jitters), same encoder
settings. Prints frames per second of each and the ratio. Also motion blur and a custom path.
`--gpu` runs the image-to-video models at full size with random weights (bench/animation_gpu.py);
`--gpu --tiny` the same code on the CPU with the tests' tiny models.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidgen.domain import CameraKey  # noqa: E402
from vidgen.media import ffmpeg_exe  # noqa: E402
from vidgen.services.animation import render_camera_motion  # noqa: E402
from vidgen.services.animation.camera import max_zoom  # noqa: E402

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}


def still(path: Path, w: int, h: int) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 255 // w), (y * 255 // h), ((x + y) * 128 // (w + h))], -1).astype(np.uint8)
    img = np.clip(img.astype(np.int16) + rng.integers(-12, 12, img.shape), 0, 255).astype(np.uint8)
    Image.fromarray(img).save(path)
    return path


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def ffmpeg_pan(image: Path, out: Path, w: int, h: int, zoom: float, seconds: float, fps: int) -> None:
    sw, sh = int(round(w * zoom / 2)) * 2, int(round(h * zoom / 2)) * 2
    crop = f"crop={w}:{h}:x='(in_w-{w})*t/{seconds}':y='(in_h-{h})/2'"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-loop", "1", "-framerate", str(fps), "-i", str(image),
                    "-t", str(seconds), "-vf", f"scale={sw}:{sh},{crop},format=yuv420p", "-c:v", "libx264",
                    "-preset", "ultrafast", "-crf", "16", str(out)], check=True)


def gpu(a: argparse.Namespace) -> None:
    import animation_gpu  # bench/ is on sys.path when this file runs

    if a.tiny:
        import torch

        torch.set_num_threads(1)
    rows = animation_gpu.bench(a.families, a.sizes, a.modes, a.steps, tiny=a.tiny)
    print("\n| family | mode | size | frames/call @ fps | s/step | rest s | s per s of video (own steps) | peak VRAM GiB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['family']} | {r['mode']} | {r['size']} | {r['frames']} @ {r['fps']} | {r['per_step']:.2f} | "
              f"{r['rest']:.1f} | {r['s_per_video_s']:.1f} ({r['steps']}) | {r['vram']:.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--gpu", action="store_true", help="the image-to-video models at full size (bench/animation_gpu.py)")
    ap.add_argument("--tiny", action="store_true", help="with --gpu: the tests' tiny models on the CPU (a smoke run)")
    ap.add_argument("--families", nargs="+", default=["svd", "animatediff", "ltx", "wan"])
    ap.add_argument("--sizes", nargs="+", default=["480p", "720p"])
    ap.add_argument("--modes", nargs="+", default=["plain", "offload", "compile"])
    ap.add_argument("--steps", type=int, default=3, help="with --gpu: denoising steps timed per run")
    a = ap.parse_args()
    if a.gpu:
        gpu(a)
        return
    n = int(round(a.seconds * a.fps))
    print(f"{'size':>6} {'ffmpeg scale+crop':>18} {'vidgen camera':>14} {'ratio':>6} {'+ motion blur':>14} "
          f"{'custom path':>12}   (frames per second)")
    with tempfile.TemporaryDirectory() as d:
        for name, (w, h) in SIZES.items():
            image = still(Path(d) / f"{name}.png", w * 2, h * 2)
            zoom = max_zoom("pan_right", w, h)
            base = timed(lambda: ffmpeg_pan(image, Path(d) / "ff.mp4", w, h, zoom, a.seconds, a.fps))
            cam = timed(lambda: render_camera_motion(image, "pan_right", a.seconds, a.fps, (w, h), Path(d) / "c.mp4"))
            blur = timed(lambda: render_camera_motion(image, "pan_right", a.seconds, a.fps, (w, h), Path(d) / "b.mp4",
                                                      motion_blur=True))
            path = [CameraKey(0.0, zoom=1.0), CameraKey(0.5, x=0.4, zoom=1.3), CameraKey(1.0, x=0.6, zoom=1.2, rotate=3)]
            custom = timed(lambda: render_camera_motion(image, "static", a.seconds, a.fps, (w, h), Path(d) / "p.mp4",
                                                        path=path))
            print(f"{name:>6} {n / base:18.1f} {n / cam:14.1f} {base / cam:6.2f} {n / blur:14.1f} {n / custom:12.1f}")


if __name__ == "__main__":
    main()
