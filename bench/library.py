"""The asset library at size: a search page over 1,000 library assets among internal step outputs,
against the store's bare `list_assets()` (the one read a search must make) measured in the same run;
and an upload (check by decoding + preview) against the bare `add_file` of the same bytes.

    python bench/library.py [--library 1000] [--internal 5000] [--projects 20] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from vidgen import library  # noqa: E402
from vidgen.config import Settings  # noqa: E402
from vidgen.domain import Project, Scene, project_doc  # noqa: E402
from vidgen.store import Store  # noqa: E402
from vidgen.store.storage import _plain  # noqa: E402


def seed(path: Path, n_library: int, n_internal: int, n_projects: int) -> None:
    """A database written in one go (adding records one by one rewrites the file each time)."""
    assets = {}
    for i in range(n_library + n_internal):
        sha = f"{i:064x}"
        meta = {"library": {"kind": ("image", "audio", "font")[i % 3], "tags": [f"tag{i % 7}", "harbour"],
                            "added": 1000.0 + i, "preview": "", "facts": {"width": 640, "height": 480}}} \
            if i < n_library else {}
        assets[str(i + 1)] = {"id": sha, "path": f"assets/{sha[:2]}/{sha}.png", "type": "image", "size": 1000,
                              "created": 1.0 + i, "name": f"file-{i:05d}.png", "meta": meta}
    projects = {}
    for p in range(n_projects):  # each names a few library files, as scene pictures
        scenes = [Scene(number=s + 1, heading=f"Scene {s + 1}", image=f"{(p * 30 + s) % n_library:064x}")
                  for s in range(30)]
        projects[str(p + 1)] = _plain(project_doc(Project(id=f"p{p}", title=f"Film {p}", script="", scenes=scenes)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"assets": assets, "projects": projects}))


def timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--library", type=int, default=1000)
    ap.add_argument("--internal", type=int, default=5000)
    ap.add_argument("--projects", type=int, default=20)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        seed(Path(settings.db_path), args.library, args.internal, args.projects)
        store = Store(settings)
        raw = timed(store.list_assets, args.runs)
        cases = {"first page": dict(), "name search": dict(query="FILE-009"), "tag + kind": dict(tag="tag3", kind="font"),
                 "last page": dict(offset=args.library - 50)}
        print(f"{args.library} library assets among {args.library + args.internal} records, {args.projects} projects")
        print(f"  store.list_assets()        {raw * 1000:7.1f} ms  (baseline)")
        for label, kw in cases.items():
            t = timed(lambda: library.search(store, limit=50, **kw), args.runs)
            print(f"  search: {label:<18} {t * 1000:7.1f} ms  {t / raw:4.2f}x")

        picture = Path(tmp) / "photo.png"
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (1080, 1920, 3), np.uint8)).save(picture)
        fresh = Store(Settings(data_dir=Path(tmp) / "fresh"))
        bare = timed(lambda: fresh.add_file(picture, type="image"), 5)
        up = timed(lambda: library.upload(fresh, str(picture)), 5)
        print(f"upload of a 1920x1080 PNG: add_file {bare * 1000:.1f} ms, upload (decode + thumbnail) "
              f"{up * 1000:.1f} ms  {up / bare:.1f}x")


if __name__ == "__main__":
    main()
