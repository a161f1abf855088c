"""The Ray executor: wall time of one 12-scene render with the local executor and on a local Ray
cluster of 1 and of 2 worker nodes, in the same run (the overhead Ray adds per step, and the
speed-up a second worker gives). Each render is in a fresh data folder, so every step runs.

Scenes use the built-in painter and camera at 480p, 12 fps, no voice or music: CPU steps, which
the cluster's CPU workers run (a model's steps go to GPU workers the same way). Worker nodes have
one CPU each; on this 2-core machine the job's process shares the cores with them.

    .venv/bin/python bench/cluster.py [--scenes 12]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidgen.config import Settings  # noqa: E402
from vidgen.studio import Studio  # noqa: E402

SETTINGS = {"resolution": "480p", "fps": 12, "quality": "draft", "voice": "none", "music": "none"}


def script(n: int) -> str:
    return "\n\n".join(f"Scene {i}: Harbour {i}\nVisual: Boats at dusk, number {i}.\nNarrator: The tide turns, "
                       f"time {i}." for i in range(1, n + 1))


def render(executor, folder: Path, n: int) -> tuple[float, int]:
    studio = Studio(Settings.from_env(folder), threads=False, upload_roots=[folder], executor=executor)
    project = studio.create_project(script(n), "Bench", SETTINGS)
    began = time.monotonic()
    job = studio.render(project["id"])
    seconds = time.monotonic() - began
    studio.jobs.shutdown(timeout=30)
    return seconds, sum(not s["cached"] for s in job["steps"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenes", type=int, default=12)
    args = ap.parse_args()
    import ray
    from ray.cluster_utils import Cluster

    from vidgen.pipeline.ray_executor import RayExecutor

    work = Path(tempfile.mkdtemp(prefix="vb", dir="/tmp"))
    os.environ["RAY_TMPDIR"] = str(work)  # where a cluster writes its address file
    (work / "ray").mkdir()
    base, steps = render(None, work / "local", args.scenes)
    print(f"{args.scenes} scenes, {steps} steps run; local executor: {base:.1f} s")
    for nodes in (1, 2):
        (work / f"r{nodes}").mkdir()
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False,
                                                                "temp_dir": str(work / f"r{nodes}")})
        for _ in range(nodes):
            cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        ex = RayExecutor(cluster.address, runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}})
        began = time.monotonic()
        ex.warm()
        warm = time.monotonic() - began
        seconds, _ = render(ex, work / f"ray{nodes}", args.scenes)
        print(f"ray, {nodes} worker node(s): {seconds:.1f} s ({seconds / base:.2f}x local; workers started in "
              f"{warm:.1f} s before)")
        ex.shutdown()
        ray.shutdown()
        cluster.shutdown()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
