"""save_job throughput of the Store at 100 and 1000 jobs, against stock TinyDB measured in the same run.

    python bench/store.py [--ops 200]

The baseline is TinyDB's own JSONStorage (in-place rewrite with fsync, no lock, no backup, one
cached Table) doing the same upsert: what the atomic write, .bak link and locks cost.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinydb import TinyDB, where  # noqa: E402
from tinydb.table import Table  # noqa: E402

from vidgen.config import Settings  # noqa: E402
from vidgen.domain import Job, StepRecord, to_dict  # noqa: E402
from vidgen.store import Store  # noqa: E402
from vidgen.store.storage import _plain  # noqa: E402


def job(i: int) -> Job:
    steps = [StepRecord("image", s, f"{i:08x}{s:056x}", False, 1.25) for s in range(4)]
    return Job(id=f"job-{i:06d}", project_id="p", status="running", message="Rendering scene 3 of 12", steps=steps)


def bench_store(folder: Path, n: int, ops: int) -> float:
    store = Store(Settings(data_dir=folder))
    with store._tx():  # seed in one write; the measured loop uses the public API
        Table(store._storage, "jobs", cache_size=0).insert_multiple(_plain(job(i)) for i in range(n))
    t = time.perf_counter()
    for k in range(ops):
        j = job(k % n)
        j.progress = k / ops
        store.save_job(j)
    return ops / (time.perf_counter() - t)


def bench_tinydb(folder: Path, n: int, ops: int) -> float:
    folder.mkdir(parents=True)
    db = TinyDB(folder / "db.json")
    t = db.table("jobs")
    t.insert_multiple(to_dict(job(i)) for i in range(n))
    start = time.perf_counter()
    for k in range(ops):
        j = job(k % n)
        j.progress = k / ops
        t.upsert(to_dict(j), where("id") == j.id)
    db.close()
    return ops / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'jobs':>6} {'store ops/s':>12} {'tinydb ops/s':>13} {'ratio':>6}")
        for n in (100, 1000):
            base = bench_tinydb(Path(tmp) / f"t{n}", n, args.ops)
            ours = bench_store(Path(tmp) / f"s{n}", n, args.ops)
            print(f"{n:>6} {ours:>12.0f} {base:>13.0f} {ours / base:>6.2f}")


if __name__ == "__main__":
    main()
