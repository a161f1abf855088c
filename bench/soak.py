"""Soak: N sequential tiny renders through the API, the studio's memory and files per job.

    python bench/soak.py [--jobs 30] [--trace]

Starts `python app.py` on a free port with a fresh data folder and its own Gradio cache folder
(GRADIO_TEMP_DIR), then per job: `/create_project` (a 2-scene script; 480p, 8 fps, draft, voice
none, music none) and `/render` through `gradio_client`. After each job it prints the server's RSS
(VmRSS of /proc/<pid>/status) and the files in the data folder and in Gradio's cache. At the end:
the least-squares slope per job of each, fitted over the jobs after the first 10 (the warm-up:
imports, first-call caches), and the change from the first-10 mean (the baseline) to the last 10.
`--jobs 100` is the issue's full soak (~1.5 s a job on two cores); `--voice piper:en_US-joe-medium
--music auto` soaks the full pipeline (Piper, the composer) instead.

`--trace` runs the server under tracemalloc and, after jobs 10 and N, makes it dump a snapshot
(SIGUSR1); the lines whose allocations grew most between the two are printed: what is ours.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.app import free_port, rss_mb, stop, wait_ok  # noqa: E402

SCRIPT = """Scene 1: The harbour
Narrator: Boats rocked gently in the morning light.

Scene 2: The storm
Narrator: By noon, black clouds rolled in from the sea, for the {n}th time.
"""  # the job's number in the text: every job renders anew (no step comes from the cache)
SETTINGS = {"resolution": "480p", "fps": 8, "quality": "draft", "voice": "none", "music": "none"}
BASELINE = 10  # first jobs: warm-up, the baseline of the slopes

# The server under tracemalloc: SIGUSR1 dumps a snapshot to $SOAK_SNAPSHOTS/<n>.snap.
TRACED = """
import os, runpy, signal, sys, tracemalloc
tracemalloc.start(8)
count = [0]
def dump(*_):
    count[0] += 1
    tracemalloc.take_snapshot().dump(os.path.join(os.environ["SOAK_SNAPSHOTS"], f"{count[0]}.snap"))
    open(os.path.join(os.environ["SOAK_SNAPSHOTS"], f"{count[0]}.done"), "w").close()
signal.signal(signal.SIGUSR1, dump)
sys.argv = ["app.py", *sys.argv[1:]]
runpy.run_path("app.py", run_name="__main__")
"""


def count_files(folder: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(folder)) if folder.exists() else 0


def slope(ys: list[float]) -> float:
    """Least-squares slope of ys against 0..n-1 (per job)."""
    n = len(ys)
    if n < 2:
        return float("nan")
    mx, my = (n - 1) / 2, statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in enumerate(ys)) / sum((x - mx) ** 2 for x in range(n))


def snapshot(proc: subprocess.Popen, folder: Path, n: int) -> Path:
    proc.send_signal(signal.SIGUSR1)
    done = folder / f"{n}.done"
    deadline = time.monotonic() + 120
    while not done.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the server did not dump its tracemalloc snapshot")
        time.sleep(0.2)
    return folder / f"{n}.snap"


def top_growth(first: Path, last: Path, jobs: int, limit: int = 15) -> None:
    import tracemalloc

    a, b = tracemalloc.Snapshot.load(str(first)), tracemalloc.Snapshot.load(str(last))
    stats = b.compare_to(a, "lineno")
    total = sum(s.size_diff for s in stats)
    print(f"\ntracemalloc: {total / 1e6:+.2f} MB traced over {jobs} jobs ({total / 1e3 / max(1, jobs):+.1f} KB/job); "
          "largest growth by line:")
    for s in stats[:limit]:
        frame = s.traceback[0]
        print(f"  {s.size_diff / 1e3:+9.1f} KB  {s.count_diff:+7d} blocks  {frame.filename}:{frame.lineno}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=30)
    ap.add_argument("--trace", action="store_true", help="find what grows (tracemalloc; slower)")
    ap.add_argument("--voice", default="none", help="the renders' voice (default none; e.g. piper:en_US-joe-medium)")
    ap.add_argument("--music", default="none", help="the renders' music (default none; auto: the composer)")
    args = ap.parse_args()
    from gradio_client import Client

    tmp = Path(tempfile.mkdtemp(prefix="vidgen-soak-"))
    data, cache, downloads, snaps = tmp / "data", tmp / "gradio", tmp / "client", tmp / "snapshots"
    for d in (cache, downloads, snaps):
        d.mkdir()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(cache),
           "SOAK_SNAPSHOTS": str(snaps)}
    port = free_port()
    launcher = ["-c", TRACED] if args.trace else [str(ROOT / "app.py")]
    proc = subprocess.Popen([sys.executable, *launcher, "--port", str(port), "--data", str(data)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    rss, data_files, cache_files, marks = [], [], [], []
    try:
        wait_ok(f"http://127.0.0.1:{port}/", proc, limit=300)  # tracemalloc makes the start slow
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=str(downloads))
        print(f"{'job':>4} {'s':>6} {'RSS MB':>8} {'data files':>11} {'cache files':>12}")
        for i in range(1, args.jobs + 1):
            t = time.perf_counter()
            settings = {**SETTINGS, "voice": args.voice, "music": args.music}
            project = client.predict(SCRIPT.format(n=i), f"soak {i}", settings, api_name="/create_project")
            video, _srt, job = client.predict(project["id"], api_name="/render")
            assert video and Path(video).stat().st_size > 1000, f"job {job}: no film"
            shutil.rmtree(downloads, ignore_errors=True)  # the client's copies are not the server's
            downloads.mkdir()
            rss.append(rss_mb(proc.pid))
            data_files.append(count_files(data))
            cache_files.append(count_files(cache))
            print(f"{i:>4} {time.perf_counter() - t:6.1f} {rss[-1]:8.1f} {data_files[-1]:>11} {cache_files[-1]:>12}",
                  flush=True)
            if args.trace and i in (BASELINE, args.jobs):
                marks.append(snapshot(proc, snaps, len(marks) + 1))
    finally:
        stop(proc)
    if len(rss) <= BASELINE + 1:
        print(f"(fewer than {BASELINE + 2} jobs: no slopes)")
        return 0
    print(f"\nper job, least squares over jobs {BASELINE + 1}-{len(rss)}; change = mean of the last "
          f"{BASELINE} - mean of the first {BASELINE}:")
    for name, ys, unit in (("RSS", rss, "MB"), ("data files", data_files, ""), ("cache files", cache_files, "")):
        base, last = statistics.fmean(ys[:BASELINE]), statistics.fmean(ys[-BASELINE:])
        print(f"  {name:<12} slope {slope(ys[BASELINE:]):+8.3f} {unit:<2}/job   baseline {base:8.1f}   "
              f"change {last - base:+8.1f} {unit}")
    if len(marks) == 2:
        top_growth(*marks, jobs=args.jobs - BASELINE)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
