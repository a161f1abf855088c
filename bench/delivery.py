"""Delivery: seconds per minute of video for each export format at 1080p, against the H.264 master
encode (the assembly step) of the same render, in the same run.

One project (three narrated scenes, about 30 s, 1080p 16:9, 24 fps, the generated score and rain
effects) is rendered, then exported in every format; each export is one cached step, timed by the
job record. The master and each video format run the same final pass (the clips joined, captions
burned, the soundtrack mixed), so the ratio is the encoder's cost. On a machine where NVENC works,
h264_nvenc / hevc_nvenc are timed too (--encoder nvenc) against libx264 / libx265.

    .venv/bin/python bench/delivery.py [--quality standard] [--resolution 1080p]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidgen import media  # noqa: E402
from vidgen.config import Settings  # noqa: E402
from vidgen.services.delivery import encoders  # noqa: E402
from vidgen.services.delivery.formats import FORMATS  # noqa: E402
from vidgen.studio import Studio  # noqa: E402

SCRIPT = """Scene 1: The harbour
Narrator: The boats came home one by one as the lights of the harbour came on along the wall.

Scene 2: The storm
Narrator: By noon black clouds rolled in from the sea, and the rain beat on the roofs of the town.

Scene 3: Home
Narrator: At night the town slept, safe and warm, while the sea kept on talking to the stones.
"""


def step_seconds(studio: Studio, job_id: str, name: str) -> float:
    return sum(s.seconds for s in studio.store.get_job(job_id).steps if s.name == name and not s.cached)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quality", default="standard")
    ap.add_argument("--resolution", default="1080p")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="vidgen-bench-delivery-") as d:
        studio = Studio(Settings.from_env(Path(d)), threads=False, upload_roots=[Path(d)])
        project = studio.create_project(SCRIPT, "Delivery bench", {"resolution": args.resolution, "fps": 24,
                                                                    "quality": args.quality, "encoder": "software"})
        job = studio.render(project["id"])
        film = media.probe(job["result"]["video"])
        minutes = film.duration / 60
        base = step_seconds(studio, job["id"], "assembly")
        print(f"film: {film.duration:.1f} s at {film.video.width}x{film.video.height}, quality {args.quality}")
        print(f"{'format':<10} {'encoder':<12} {'s/min':>8} {'x H.264':>8} {'MB':>7}")
        print(f"{'mp4':<10} {'libx264':<12} {base / minutes:8.1f} {1.0:8.2f} "
              f"{Path(job['result']['video']).stat().st_size / 1e6:7.1f}   (the master)")
        rows = [(name, "") for name in FORMATS if name != "mp4"]
        if not encoders.nvenc_problem("h264_nvenc"):
            rows += [("mp4", "nvenc"), ("mp4-h265", "nvenc")]
        else:
            print(f"(NVENC not timed: {encoders.nvenc_problem('h264_nvenc')})")
        for name, encoder in rows:
            r = studio.export_film(project["id"], name, encoder=encoder)
            seconds = step_seconds(studio, r["job"], "export")
            size = Path(r["files"][name]).stat().st_size / 1e6
            print(f"{name:<10} {r['exports'][0]['encoder'] or '-':<12} {seconds / minutes:8.1f} "
                  f"{seconds / base:8.2f} {size:7.1f}")
        studio.shutdown(timeout=60)


if __name__ == "__main__":
    main()
