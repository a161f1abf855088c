"""Assembly speed: vidgen against one hand-written ffmpeg command, measured in the same run.

Timeline: 12 painted stills, 9:16 at 1080x1920, 24 fps, zoom on each still, 0.5 s fades,
~60 s of Piper speech, 12 subtitle cues, AAC. vidgen's time is its camera-motion clips plus
its assembly (what a render spends after the stills and the speech exist); the baseline is a
single ffmpeg command with zoompan, xfade, the same ASS subtitles and single-pass loudnorm.

Then the seconds of wall time per minute of video for a full offline render of the longest
example at 720p.

    .venv/bin/python bench/assembly.py [--quick] [--skip-full]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidgen.domain import QUALITIES, Cue, Line, Scene, SceneMedia  # noqa: E402
from vidgen.media import ffmpeg_exe, probe  # noqa: E402

SCENES, SCENE_SECONDS, T, FPS = 12, 5.5, 0.5, 24
SIZE = (1080, 1920)
SETTINGS = ["forest at dawn", "city at night", "sea at dusk", "mountain pass", "a quiet room", "desert noon"]
SENTENCE = "The wind carried the sound of distant bells across the valley, and everyone stopped to listen."


def build_inputs(work: Path, size: tuple[int, int]) -> tuple[list[Path], list[Path], list[float]]:
    from vidgen.services.images import paint_storyboard
    from vidgen.services.voice import synthesize_lines

    stills, speech, seconds = [], [], []
    for i in range(SCENES):
        scene = Scene(number=i + 1, heading=SETTINGS[i % len(SETTINGS)].title(), visual=SETTINGS[i % len(SETTINGS)])
        stills.append(paint_storyboard(scene, size, work / f"still{i}.png", seed=i))
        r = synthesize_lines([Line(SENTENCE)], work / f"speech{i}.wav")
        speech.append(r.wav)
        seconds.append(r.duration)
    return stills, speech, seconds


def run_vidgen(work: Path, stills, speech, seconds, size, quality: str) -> float:
    from vidgen.services.animation import render_camera_motion
    from vidgen.services.assembly import assemble

    t0 = time.perf_counter()
    media = []
    for i, still in enumerate(stills):
        clip = render_camera_motion(still, "zoom_in", SCENE_SECONDS, FPS, size, work / f"clip{i}.mp4")
        offset = T + 0.3
        media.append(SceneMedia(str(clip), SCENE_SECONDS, str(speech[i]), offset,
                                [Cue(offset, offset + seconds[i], SENTENCE)], "fade"))
    assemble(media, work / "vidgen.mp4", size=size, fps=FPS, transition_seconds=T, quality=quality,
             work_dir=work / "asm")
    return time.perf_counter() - t0


def run_handwritten(work: Path, stills, speech, seconds, size, quality: str) -> float:
    """The same film from one ffmpeg command (speech pre-mixed into one WAV, as any editor would)."""
    import numpy as np

    from vidgen.media import read_wav, write_wav
    from vidgen.services.assembly import write_subtitles

    w, h = size
    starts = [i * (SCENE_SECONDS - T) for i in range(SCENES)]
    total = starts[-1] + SCENE_SECONDS
    track, sr = None, 22050
    for i, wav in enumerate(speech):
        x, sr = read_wav(wav)
        if track is None:
            track = np.zeros(int(total * sr) + 1, np.float32)
        a = int((starts[i] + T + 0.3) * sr)
        track[a:a + len(x)] += x[: len(track) - a]
    write_wav(work / "hand-speech.wav", track, sr)
    cues = [Cue(starts[i] + T + 0.3, starts[i] + T + 0.3 + seconds[i], SENTENCE) for i in range(SCENES)]
    write_subtitles(cues, work / "hand.srt", work / "hand.ass", size)

    t0 = time.perf_counter()
    frames = int(SCENE_SECONDS * FPS)
    args = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    for still in stills:
        args += ["-loop", "1", "-framerate", str(FPS), "-t", str(SCENE_SECONDS), "-i", str(still)]
    args += ["-i", str(work / "hand-speech.wav")]
    graph = []
    for i in range(SCENES):
        graph.append(f"[{i}:v]zoompan=z='1+0.15*on/{frames}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'"
                     f":d=1:s={w}x{h}:fps={FPS},setsar=1,format=yuv420p[z{i}]")
    prev = "z0"
    for i in range(1, SCENES):
        graph.append(f"[{prev}][z{i}]xfade=transition=fade:duration={T}:offset={starts[i]:.3f}[x{i}]")
        prev = f"x{i}"
    graph.append(f"[{prev}]subtitles=hand.ass[v]")
    graph.append(f"[{SCENES}:a]loudnorm=I=-16:TP=-1.5:LRA=11,aresample=48000[a]")
    preset, crf = QUALITIES[quality]
    args += ["-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[a]", "-c:v", "libx264",
             "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "160k",
             "-movflags", "+faststart", str(work / "hand.mp4")]
    subprocess.run(args, check=True, cwd=work)
    return time.perf_counter() - t0


def full_render(example: Path) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "vidgen", "render", str(example), "-o", f"{d}/film.mp4",
                        "--resolution", "720p", "--data", f"{d}/data", "-q"], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        return wall, probe(f"{d}/film.mp4").duration


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="540x960 instead of 1080x1920")
    ap.add_argument("--skip-full", action="store_true")
    ap.add_argument("--quality", default="standard")
    args = ap.parse_args()
    size = (540, 960) if args.quick else SIZE
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        (work / "asm").mkdir()
        stills, speech, seconds = build_inputs(work, size)
        hand = run_handwritten(work, stills, speech, seconds, size, args.quality)
        ours = run_vidgen(work, stills, speech, seconds, size, args.quality)
        dur_h, dur_v = probe(work / "hand.mp4").duration, probe(work / "vidgen.mp4").duration
        print(f"assembly {size[0]}x{size[1]} {FPS} fps, {SCENES} stills, quality {args.quality}")
        print(f"  hand-written ffmpeg: {hand:6.1f} s  ({dur_h:.1f} s of video)")
        print(f"  vidgen:              {ours:6.1f} s  ({dur_v:.1f} s of video)")
        print(f"  ratio vidgen/hand:   {ours / hand:6.2f}  (target <= 1.30)")
    if not args.skip_full:
        from vidgen.services.script import parse_script

        longest = max(sorted((ROOT / "examples").iterdir()),
                      key=lambda p: sum(sc.duration for sc in parse_script(p.read_text()).scenes))
        wall, dur = full_render(longest)
        print(f"full offline render of {longest.name} at 720p: {wall:.1f} s for {dur:.1f} s of video "
              f"= {wall / dur * 60:.1f} s per minute of video (target < 60)")


if __name__ == "__main__":
    main()
