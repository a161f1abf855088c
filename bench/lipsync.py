"""The built-in lip sync's speed against the camera-motion clip it works on (issue 15).

    .venv/bin/python bench/lipsync.py [--seconds 5] [--fps 24]

At 720p: a camera move over skimage's astronaut (a real face, cover-fitted to 16:9), then the drawn
mouth (visemes) on that clip with a line spoken throughout, both timed in the same run: frames per
second of each and the ratio. The lip-sync time includes finding the face, decoding the clip and
encoding the synced one. `--gpu` times Wav2Lip and MuseTalk at full size with random weights
(bench/lipsync_gpu.py); `--gpu --tiny` runs that code on the CPU.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidgen.domain import Cue  # noqa: E402
from vidgen.models.registry import packaged  # noqa: E402
from vidgen.services.animation import ClipJob, render_camera_motion  # noqa: E402
from vidgen.services.lipsync import Shot, lip_sync_shot  # noqa: E402

SIZE = (1280, 720)


def speech(path: Path, seconds: float, rate: int = 16000) -> str:
    t = np.arange(int(seconds * rate)) / rate
    x = 0.4 * np.abs(np.sin(2 * np.pi * 3 * t)) * np.sign(np.sin(2 * np.pi * 200 * t))  # 6 syllables a second
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((x * 32767).astype("<i2").tobytes())
    return str(path)


def main() -> None:
    import skimage.data
    from PIL import Image

    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--gpu", action="store_true", help="Wav2Lip and MuseTalk at full size (bench/lipsync_gpu.py)")
    ap.add_argument("--tiny", action="store_true", help="with --gpu: on the CPU, MuseTalk tiny (a smoke run)")
    ap.add_argument("--frames", type=int, default=96, help="with --gpu: face crops per model")
    a = ap.parse_args()
    if a.gpu:
        import lipsync_gpu  # bench/ is on sys.path when this file runs

        lipsync_gpu.bench(a.frames, tiny=a.tiny)
        return
    n = int(round(a.seconds * a.fps))
    with tempfile.TemporaryDirectory() as d:
        still = Path(d) / "astronaut.png"
        Image.fromarray(skimage.data.astronaut()).resize((1024, 1024), Image.LANCZOS).save(still)
        clip = Path(d) / "clip.mp4"
        t = time.perf_counter()
        render_camera_motion(still, "zoom_in", a.seconds, a.fps, SIZE, clip)
        camera = time.perf_counter() - t
        job = ClipJob(str(still), "zoom_in", a.seconds, a.fps, SIZE)
        t = time.perf_counter()
        r = lip_sync_shot(packaged().get("visemes"), Shot(str(still), str(clip), job, camera=True),
                          speech(Path(d) / "s.wav", a.seconds), [Cue(0.0, a.seconds, "words", "ANA")], 0.0, {},
                          Path(d) / "synced.mp4")
        lip = time.perf_counter() - t
    print(f"720p, {n} frames: camera clip {n / camera:.1f} fps, lip sync (visemes) {n / lip:.1f} fps, "
          f"ratio lip sync / camera {camera / lip:.2f}; {r['changed']} frames redrawn, {r['faces']} face")


if __name__ == "__main__":
    main()
