"""The finishing layer's cost: the same timeline assembled plain and finished, in the same run.

Timeline: 8 camera-motion scenes of 5 s at 720p (16:9), 24 fps, 0.5 s fades, Piper speech with its
phoneme alignment (one sentence a scene). Finished: karaoke captions timed by the alignment, a
logo watermark (RGBA PNG) at 0.8 opacity, the teal_orange grade, and two sound cues (a rain bed
under scene 2, thunder in scene 5). Plain: the default clean captions, nothing else. Prints each
time and the ratio finished / plain (target: at most 1.15). Each is the best of `--runs`.

    .venv/bin/python bench/finishing.py [--runs 2] [--quality standard]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidgen.domain import Cue, Line, Scene, SceneMedia  # noqa: E402
from vidgen.services.animation import render_camera_motion  # noqa: E402
from vidgen.services.assembly import Finish, assemble  # noqa: E402
from vidgen.services.assembly.caption_style import caption_style  # noqa: E402
from vidgen.services.assembly.watermark import Watermark  # noqa: E402
from vidgen.services.images import paint_storyboard  # noqa: E402
from vidgen.services.sfx.scene import Effect, write_effects  # noqa: E402
from vidgen.services.voice import synthesize_lines  # noqa: E402

SCENES, SECONDS, FPS, T = 8, 5.0, 24, 0.5
SIZE = (1280, 720)
SENTENCE = "The harbour lights came on one by one as the boats returned."
LEAD = T + 0.25


def timeline(work: Path) -> list[SceneMedia]:
    r = synthesize_lines([Line(SENTENCE, "ANA")], work / "speech.wav")
    phones = [[(p, a + LEAD, b + LEAD) for p, a, b in ph] if ph else None for ph in r.phones]
    cues = [Cue(c.start + LEAD, c.end + LEAD, c.text, c.speaker) for c in r.cues]
    out = []
    for i in range(SCENES):
        scene = Scene(number=i + 1, heading=f"Scene {i + 1}", visual="a harbour at dusk")
        still = paint_storyboard(scene, SIZE, work / f"still{i}.png", seed=i)
        clip = render_camera_motion(still, "zoom_in", SECONDS, FPS, SIZE, work / f"clip{i}.mp4")
        out.append(SceneMedia(str(clip), SECONDS, str(r.wav), LEAD, cues, "fade", phones=phones))
    return out


def finished(work: Path, scenes: list[SceneMedia]) -> tuple[list[SceneMedia], Finish]:
    from PIL import Image

    logo = work / "logo.png"
    px = np.zeros((120, 240, 4), np.uint8)
    px[..., 0], px[..., 3] = 230, 200
    Image.fromarray(px).save(logo)
    rain = write_effects([Effect("rain on the roof", "rain", "bed", 0.0)], SECONDS, work / "fx1.wav", seed=1)
    thunder = write_effects([Effect("THUNDER", "thunder", "event", 1.0)], SECONDS, work / "fx4.wav", seed=4)
    scenes = list(scenes)
    scenes[1] = SceneMedia(**{**scenes[1].__dict__, "effects": str(rain)})
    scenes[4] = SceneMedia(**{**scenes[4].__dict__, "effects": str(thunder)})
    return scenes, Finish(captions=caption_style("karaoke"), grade="teal_orange",
                          watermark=Watermark(image=str(logo), opacity=0.8))


def best(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--quality", default="standard")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="vidgen-bench-finish-") as d:
        work = Path(d)
        plain_scenes = timeline(work)
        fin_scenes, finish = finished(work, plain_scenes)

        def run(scenes, f, name):
            return lambda: assemble(scenes, work / f"{name}.mp4", size=SIZE, fps=FPS, transition_seconds=T,
                                    quality=args.quality, finish=f, work_dir=work / f"wd-{name}")

        plain = best(args.runs, run(plain_scenes, None, "plain"))
        full = best(args.runs, run(fin_scenes, finish, "finished"))
    film = SCENES * SECONDS - (SCENES - 1) * T
    print(f"{film:.1f} s film at {SIZE[0]}x{SIZE[1]}, {FPS} fps, quality {args.quality}: "
          f"plain assembly {plain:.2f} s, finished (karaoke captions, watermark, teal_orange grade, "
          f"2 sound cues) {full:.2f} s; ratio finished / plain {full / plain:.2f} (target <= 1.15)")


if __name__ == "__main__":
    main()
