"""The procedural painter's seconds per scene, with plans, against the painter before plans.

    python bench/painter.py [--repeats 3] [--baseline-ref 34beebe]

A mix of planned scenes (exterior and interior places, every weather, props, figures, lights) is
painted at 720p and 1080p; the same run paints plan-less scenes (headings only) with this painter
and with the painter at --baseline-ref (the commit before plans), extracted by `git archive` into a
temporary folder and run in a subprocess. Medians of --repeats per scene; the table's ratio is the
planned scenes' time over the old painter's on plan-less scenes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
HEADINGS = ["EXT. HARBOUR - DUSK", "INT. KITCHEN - NIGHT", "EXT. CITY STREET - NIGHT", "EXT. PINE FOREST - DAWN",
            "EXT. MOUNTAIN PASS - DAY", "EXT. MEADOW - DAY"]

TIMER = r'''
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from vidgen.domain import Scene
from vidgen.services.images import render_storyboard
out = {}
for name, (w, h) in json.loads(sys.argv[2]).items():
    times = []
    for heading in json.loads(sys.argv[3]):
        sc = Scene(1, heading, characters=["ANNA", "BEN"])
        best = []
        for _ in range(int(sys.argv[4])):
            t = time.perf_counter(); render_storyboard(sc, (w, h)); best.append(time.perf_counter() - t)
        times.append(statistics.median(best))
    out[name] = statistics.mean(times)
print(json.dumps(out))
'''


def planned_scenes():
    from vidgen.domain import Figure, Scene, ScenePlan

    F = [Figure("ANNA", "adult", "walk"), Figure("TIM", "child", "run"), Figure("BEN", "adult", "talk")]
    specs = [("harbour", "storm", "dusk", ["boat", "gull", "house"], ["lantern"]),
             ("bakery", "snow", "night", ["bread", "table", "cup", "clock"], ["fire", "lamp", "window"]),
             ("village square", "snow", "day", ["tree", "dog", "fence"], ["streetlight"]),
             ("stairwell", "clear", "night", ["door", "lamp"], ["candle"]),
             ("forest", "fog", "dawn", ["tree", "rock", "horse"], []),
             ("street", "rain", "night", ["car", "bicycle", "cat"], ["neon", "streetlight"]),
             ("field", "wind", "day", ["barn", "cow", "flower", "bird"], ["sun"]),
             ("church", "cloudy", "day", ["book", "chair"], ["candle"])]
    return [Scene(i + 1, f"{place}", time_of_day=t, weather=wx, characters=[f.name for f in F],
                  plan=ScenePlan(place=place, season="autumn" if i % 3 == 0 else "", lights=lights, props=props,
                                 figures=F[: 1 + i % 3]))
            for i, (place, wx, t, props, lights) in enumerate(specs)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline-ref", default="34beebe")
    args = ap.parse_args()
    from vidgen.services.images import render_storyboard

    rows = {}
    for name, size in SIZES.items():
        per = []
        for sc in planned_scenes():
            ts = []
            for _ in range(args.repeats):
                t = time.perf_counter()
                render_storyboard(sc, size)
                ts.append(time.perf_counter() - t)
            per.append(statistics.median(ts))
        rows[name] = {"planned": statistics.mean(per), "planned_max": max(per)}
    env = dict(os.environ, OMP_NUM_THREADS="1")
    argv = [json.dumps(SIZES), json.dumps(HEADINGS), str(args.repeats)]
    now = json.loads(subprocess.run([sys.executable, "-c", TIMER, str(ROOT), *argv], check=True,
                                    capture_output=True, text=True, env=env).stdout)
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline_ref, "vidgen"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        old = json.loads(subprocess.run([sys.executable, "-c", TIMER, tmp, *argv], check=True, capture_output=True,
                                        text=True, env=env).stdout)
    print(f"{'size':6} {'planned s/scene':>16} {'(slowest)':>10} {'plan-less now':>14} {'plan-less before':>17} "
          f"{'ratio':>6}")
    for name in SIZES:
        r = rows[name]
        print(f"{name:6} {r['planned']:16.3f} {r['planned_max']:10.3f} {now[name]:14.3f} {old[name]:17.3f} "
              f"{r['planned'] / old[name]:6.2f}")


if __name__ == "__main__":
    main()
