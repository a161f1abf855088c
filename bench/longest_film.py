"""The longest film the bounds allow (issue 11): MAX_FILM_MINUTES of speech in scenes of
MAX_SCENE_MINUTES, rendered by the CLI, against a one-minute film in the same run. Prints the peak
memory of the whole process tree (vidgen and its ffmpeg children, sampled every 0.2 s), the wall
time, and the ratios longest / one-minute: memory should not grow with the film's length.

    .venv/bin/python bench/longest_film.py [--minutes 60] [--resolution 480p] [--quality draft]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from vidgen.domain import MAX_SCENE_MINUTES, WORDS_PER_SECOND  # noqa: E402

SENTENCE = "The keeper climbed the stairs and looked out over the grey water while gulls turned."


def script(minutes: float) -> str:
    words_per_scene = int(MAX_SCENE_MINUTES * 60 * WORDS_PER_SECOND * 0.98)  # just inside the scene bound
    total = int(minutes * 60 * WORDS_PER_SECOND * 0.98)
    per_sentence = len(SENTENCE.split())
    scenes, left, n = [], total, 1
    while left >= per_sentence:
        count = min(left, words_per_scene) // per_sentence or 1
        scenes.append(f"Scene {n}: The tower\n" + " ".join([SENTENCE] * count))
        left -= count * per_sentence
        n += 1
    return "\n\n".join(scenes) + "\n"


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def render(minutes: float, a: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as d:
        text = Path(d) / "film.txt"
        text.write_text(script(minutes))
        out = Path(d) / "film.mp4"
        t0, peak = time.perf_counter(), 0
        child = subprocess.Popen([sys.executable, "-m", "vidgen", "render", str(text), "--data", str(Path(d) / "data"),
                                  "-o", str(out), "--resolution", a.resolution, "--quality", a.quality, "-q"],
                                 cwd=ROOT, stderr=subprocess.PIPE, text=True)
        watched = psutil.Process(child.pid)
        while child.poll() is None:
            peak = max(peak, tree_rss(watched))
            time.sleep(0.2)
        err = child.stderr.read()
        if child.returncode != 0:
            raise SystemExit(f"the {minutes}-minute render failed: {err[-2000:]}")
        from vidgen.media import probe

        return {"seconds": time.perf_counter() - t0, "peak_mb": peak / 2**20, "video_s": probe(out).duration}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--resolution", default="480p")
    ap.add_argument("--quality", default="draft")
    a = ap.parse_args()
    base, longest = render(1, a), render(a.minutes, a)
    print(f"{'film':>12} {'video s':>8} {'wall s':>8} {'peak MB':>8}")
    for name, r in (("one minute", base), (f"{a.minutes:g} minutes", longest)):
        print(f"{name:>12} {r['video_s']:8.0f} {r['seconds']:8.0f} {r['peak_mb']:8.0f}")
    print(f"ratio longest / one minute: peak memory {longest['peak_mb'] / base['peak_mb']:.2f}, "
          f"wall {longest['seconds'] / base['seconds']:.1f} for {longest['video_s'] / base['video_s']:.0f}x the video")


if __name__ == "__main__":
    main()
