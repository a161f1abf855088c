"""Memory of an image-to-video clip as its scene grows: ClipSink (chunks encoded as they come) against
holding the whole clip before writing it (what the backends did before), measured in the same run.

    .venv/bin/python bench/clip_memory.py [--seconds 10 40] [--native 512x288] [--size 640x360]

No model runs: each "chunk" is 25 synthetic frames at the model's size (a moving gradient, float32 as
the pipelines return them) at 7 fps, as Stable Video Diffusion XT makes them; both paths crossfade the
seams, retime to 24 fps by optical flow and encode the same H.264 clip. Peak Python + numpy memory
is traced (tracemalloc sees numpy's buffers); ffmpeg's own memory is the same for both and not counted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidgen.media import VideoWriter  # noqa: E402
from vidgen.services.animation import ClipJob  # noqa: E402
from vidgen.services.animation.clips import chunk_count, fit_frame, frames_needed  # noqa: E402
from vidgen.services.animation.interpolate import retime  # noqa: E402
from vidgen.services.animation.sink import ClipSink  # noqa: E402

NATIVE_FPS, PER_CHUNK, OVERLAP, FPS = 7, 25, 3, 24


def chunk(c: int, w: int, h: int) -> list[np.ndarray]:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    step = PER_CHUNK - OVERLAP
    return [np.stack([(x / w + 0.01 * (c * step + i)) % 1.0, y / h, np.full_like(x, 0.4)], -1)
            for i in range(PER_CHUNK)]


def streamed(job: ClipJob, chunks: int, native: tuple[int, int], out: Path) -> None:
    with ClipSink(job, job.size, out, NATIVE_FPS, OVERLAP) as sink:
        for c in range(chunks):
            sink.push(chunk(c, *native), OVERLAP if c else 0)


def held(job: ClipJob, chunks: int, native: tuple[int, int], out: Path) -> None:
    joined: list[np.ndarray] = []
    for c in range(chunks):
        frames = chunk(c, *native)
        if joined:
            for j in range(OVERLAP):
                w = (j + 1) / (OVERLAP + 1)
                joined[len(joined) - OVERLAP + j] = (1 - w) * joined[len(joined) - OVERLAP + j] + w * frames[j]
            frames = frames[OVERLAP:]
        joined += frames
    frames8 = [(np.clip(f, 0, 1) * 255 + 0.5).astype(np.uint8) for f in joined]
    count = int(round(job.duration * job.fps))
    timed = (retime(frames8, NATIVE_FPS, job.fps) + [frames8[-1]] * count)[:count]
    with VideoWriter(out, job.size[0], job.size[1], job.fps) as writer:
        for f in timed:
            writer.write(fit_frame(f, job.size))


def measure(fn, *args) -> tuple[float, float]:
    tracemalloc.start()
    t = time.perf_counter()
    fn(*args)
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, nargs="+", default=[10.0, 40.0])
    ap.add_argument("--native", default="512x288")
    ap.add_argument("--size", default="640x360")
    args = ap.parse_args()
    native = tuple(int(v) for v in args.native.split("x"))
    size = tuple(int(v) for v in args.size.split("x"))
    print(f"chunks of {PER_CHUNK} frames at {native[0]}x{native[1]}, {NATIVE_FPS} fps -> {size[0]}x{size[1]} at {FPS} fps")
    print(f"{'scene':>7} {'chunks':>6} {'held MiB':>9} {'sink MiB':>9} {'ratio':>6} {'held s':>7} {'sink s':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for seconds in args.seconds:
            job = ClipJob("still.png", "static", seconds, FPS, size)
            chunks = chunk_count(frames_needed(int(round(seconds * FPS)), FPS, NATIVE_FPS), PER_CHUNK, OVERLAP)
            held_mb, held_s = measure(held, job, chunks, native, Path(tmp) / "held.mp4")
            sink_mb, sink_s = measure(streamed, job, chunks, native, Path(tmp) / "sink.mp4")
            print(f"{seconds:6.0f}s {chunks:6d} {held_mb:9.0f} {sink_mb:9.0f} {held_mb / sink_mb:5.1f}x "
                  f"{held_s:7.1f} {sink_s:7.1f}")


if __name__ == "__main__":
    main()
