"""Script reading: the rules on a feature-length screenplay, and what the LLM reader adds.

    python bench/parse.py [--runs 5] [--chunk-chars 6000] [--model llama3.1:8b] [--real-scenes 6]

1. Rules: `parse_script` on a ~120-page Fountain screenplay built from realistic scenes (varied
   sluglines, action, dialogue with parentheticals, transitions), the median of --runs.
2. The LLM reader on the stand-in server (tests/ollama_standin.py, which runs no model and answers
   each chunk at once with a valid, pre-built annotation): everything vidgen does around a model
   (prompts, HTTP, schema validation, the word check, the merge), as seconds per scene and as the
   answer tokens per second it can take in; the ratio is against the rules' time in this run.
3. A real model, where OLLAMA_HOST answers and has --model: the first --real-scenes scenes, with
   seconds per scene and the server's own tokens per second (its eval counts), against the
   rules on the same scenes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ollama_standin import Reply, StandIn, envelope  # noqa: E402
from vidgen.domain import Scene  # noqa: E402
from vidgen.models import ollama_server  # noqa: E402
from vidgen.services.script import parse_script  # noqa: E402
from vidgen.services.script.llm import read_with_llm  # noqa: E402
from vidgen.services.script.llm.chunks import plan_chunks  # noqa: E402

PLACES = ["KITCHEN", "HARBOUR", "POLICE STATION", "LIGHTHOUSE", "TRAIN CARRIAGE", "HOSPITAL CORRIDOR", "ROOFTOP",
          "MARKET SQUARE", "BOATHOUSE", "SCHOOL HALL", "CAR PARK", "CHURCH"]
TIMES = ["DAY", "NIGHT", "DUSK", "DAWN", "CONTINUOUS", "LATER"]
PAIRS = [("MARIA", "HENRIK"), ("DETECTIVE ROSS", "ELLIE"), ("SAM", "OLD JONAS"), ("PRIYA", "TOMAS")]
SCENE = """{slug}

{a} stands at the window, rain running down the glass. Somewhere below, a dog barks twice and
falls silent. {b} enters, shaking water from a heavy coat, and drops a folder on the table.

{A}
(without turning)
You said you'd be here an hour ago.

{B}
The road by the {place_l} is flooded. I had to walk the last mile.

{A}
And the folder?

{B}
Everything they had. Photographs, the ledger, the letters from the mainland.

{a} finally turns. Picks up the folder. Weighs it in one hand, as if the weight itself were evidence.

{A}
It's lighter than I thought it would be.

{B}
(quietly)
The truth usually is.

A long beat. The lamp flickers. Thunder, far off.

{A}
Then we start tonight. Nobody sleeps until we know who wrote these.

{B}
I'll make coffee.

{b} crosses to the stove. {a} spreads the photographs across the table, one by one, in a careful row.

{A} (V.O.)
I should have known then. Every picture had the same man in the background.

CUT TO:
"""


def screenplay(scenes: int) -> str:
    parts = ["Title: The Ledger\nCredit: written by\nAuthor: vidgen bench\n"]
    for i in range(scenes):
        a, b = PAIRS[i % len(PAIRS)]
        place = PLACES[i % len(PLACES)]
        slug = f"{'INT.' if i % 3 else 'EXT.'} {place} - {TIMES[i % len(TIMES)]}"
        parts.append(SCENE.format(slug=slug, A=a, B=b, a=a.title(), b=b.title(), place_l=place.lower()))
    return "\n".join(parts)


def annotation(chunk_scenes: list[Scene]) -> dict:
    """A valid answer for a chunk: the rules' lines, with made-up annotations (the stand-in's reply)."""
    names = sorted({ln.speaker for sc in chunk_scenes for ln in sc.lines if ln.speaker})
    return {
        "characters": [{"name": n, "appearance": f"{n}, tall, dark hair, tired eyes", "age": "about forty",
                        "clothing": "a heavy wool coat"} for n in names],
        "scenes": [{"heading": sc.heading, "location": sc.location or "a room", "interior": sc.interior,
                    "time_of_day": sc.time_of_day or "night", "weather": "rain",
                    "visual": f"{sc.heading.title()}, rain on the window, lamplight, cinematic", "shot": "medium",
                    "camera": "zoom_in", "mood": "tense", "characters": list(sc.characters), "sounds": ["thunder"],
                    "lines": [{"speaker": ln.speaker, "text": ln.text, "delivery": ""} for ln in sc.lines]}
                   for sc in chunk_scenes],
    }


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scenes", type=int, default=155, help="scenes of the screenplay (~0.8 pages each)")
    ap.add_argument("--chunk-chars", type=int, default=6000)
    ap.add_argument("--model", default="llama3.1:8b", help="the real model to try where OLLAMA_HOST answers")
    ap.add_argument("--real-scenes", type=int, default=6)
    args = ap.parse_args()

    text = screenplay(args.scenes)
    rules = parse_script(text)
    pages = text.count("\n") / 55
    rules_s = median_seconds(lambda: parse_script(text), args.runs)
    words = sum(len(ln.text.split()) for sc in rules.scenes for ln in sc.lines)
    print(f"screenplay: {len(text.encode()) / 1024:.0f} KiB, ~{pages:.0f} pages, {len(rules.scenes)} scenes, "
          f"{sum(len(sc.lines) for sc in rules.scenes)} speeches, {words} spoken words, "
          f"{len(rules.characters)} characters")
    print(f"rules (baseline): {rules_s * 1000:.1f} ms median of {args.runs} "
          f"({rules_s / len(rules.scenes) * 1000:.2f} ms a scene)")

    chunks = plan_chunks(rules.scenes, args.chunk_chars)
    answers = [envelope("llama3.1:8b", json.dumps(annotation(c.scenes))) for c in chunks]
    tokens = sum(a["eval_count"] for a in answers)
    server = StandIn().start()
    try:
        walls = []
        for _ in range(args.runs):
            server.answers = [Reply(build=lambda body, a=a: a) for a in answers]
            t = time.perf_counter()
            got = read_with_llm(text, "llama3.1:8b", rules, host=server.host, chunk_chars=args.chunk_chars)
            walls.append(time.perf_counter() - t)
            assert not got.notes, got.notes[:3]  # every chunk kept: the whole path was measured
        assert not server.problems, server.problems
    finally:
        server.stop()
    llm_s = statistics.median(walls)
    print(f"LLM reader on the stand-in: {llm_s * 1000:.0f} ms median, {len(chunks)} chunks of <= {args.chunk_chars} "
          f"chars, {llm_s / len(rules.scenes) * 1000:.1f} ms a scene, {tokens / llm_s:,.0f} answer tokens/s taken in "
          f"(the stand-in's eval counts, ~4 chars a token)")
    print(f"ratio LLM-reader overhead / rules: {llm_s / rules_s:.1f}x (vidgen's own cost around a model)")

    status = ollama_server.server_status()
    if not status["reachable"]:
        print(f"real model: skipped ({status['message']})")
        return
    if not ollama_server.has_model(args.model):
        print(f"real model: skipped ({args.model} is not pulled on {status['host']}: `ollama pull {args.model}`)")
        return
    part = "\n\n".join(sc.text for sc in rules.scenes[: args.real_scenes])
    part_rules = parse_script(part)
    part_s = median_seconds(lambda: parse_script(part), args.runs)
    stats: list = []
    t = time.perf_counter()
    got = read_with_llm(part, args.model, part_rules, timeout=600, chunk_chars=args.chunk_chars, stats=stats)
    real_s = time.perf_counter() - t
    gen = sum(a.eval_count for a in stats)
    gen_s = sum(a.eval_seconds for a in stats)
    print(f"real model {args.model} at {status['host']} ({status['version']}): {len(part_rules.scenes)} scenes in "
          f"{real_s:.1f} s, {real_s / len(part_rules.scenes):.1f} s a scene, {gen / gen_s if gen_s else 0:.1f} tokens/s "
          f"(server's eval counts), {len(got.notes)} chunk(s) read by the rules instead")
    for note in got.notes:
        print(f"  note: {note}")
    print(f"ratio real model / rules on the same scenes: {real_s / part_s:,.0f}x")


if __name__ == "__main__":
    main()
