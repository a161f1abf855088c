"""The voice step on the worst inputs the script limit allows, against a normal script of the same
size measured in the same run (issue 11): a run-on sentence of N words without a full stop, and one
giant token of C characters. Each case runs in its own process; prints peak RSS and seconds, and
the ratio to its baseline (words in sentences of 12; the same characters as ordinary words).

    .venv/bin/python bench/text_limits.py [--words 1000] [--chars 20000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS = "the keeper climbed the stairs and looked out over the grey water while gulls turned".split()

CHILD = """
import json, sys, time
from vidgen.domain import Line
from vidgen.services.voice import synthesize_lines
text, out = sys.argv[1], sys.argv[2]
t = time.perf_counter()
r = synthesize_lines([Line(text)], out)
# VmHWM: this process's own peak (ru_maxrss would also count the parent's RSS at fork)
hwm = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1])
print(json.dumps({"seconds": time.perf_counter() - t, "peak_mb": hwm / 1024,
                  "speech": r.duration, "cues": len(r.cues)}))
"""


def run(text: str) -> dict:
    with tempfile.TemporaryDirectory() as d:
        proc = subprocess.run([sys.executable, "-c", CHILD, text, str(Path(d) / "v.wav")], cwd=ROOT,
                              capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def words(n: int, stop_every: int = 0) -> str:
    out = []
    for i in range(n):
        w = WORDS[i % len(WORDS)]
        out.append(w + "." if stop_every and (i + 1) % stop_every == 0 else w)
    return " ".join(out).capitalize()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=1000)
    ap.add_argument("--chars", type=int, default=20000)
    a = ap.parse_args()
    token = "".join(chr(ord("a") + (i * 7) % 26) for i in range(a.chars))
    plain = words(a.chars // 6)  # ordinary words, about as many characters
    cases = [(f"{a.words} words, no full stop", words(a.words), f"{a.words} words in sentences of 12",
              words(a.words, 12)),
             (f"one token of {a.chars} chars", token, f"{len(plain)} chars of ordinary words", plain)]
    print(f"{'case':32} {'peak MB':>8} {'s':>7}   {'baseline':36} {'peak MB':>8} {'s':>7}   ratio RSS / time")
    for name, text, base_name, base_text in cases:
        w, b = run(text), run(base_text)
        print(f"{name:32} {w['peak_mb']:8.0f} {w['seconds']:7.1f}   {base_name:36} {b['peak_mb']:8.0f} "
              f"{b['seconds']:7.1f}   {w['peak_mb'] / b['peak_mb']:.2f} / {w['seconds'] / b['seconds']:.2f}")


if __name__ == "__main__":
    main()
