"""The video pass: the filtergraph that joins the scene clips with xfade/concat, fades from and to
black and burns the ASS subtitles; long films are first joined in chunks to bound memory."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from ... import media
from ...assets import FONTS_DIR
from ...domain import SceneMedia
from .grade import grade_filter
from .timeline import film_duration, num, overlap, scene_starts

XFADE = {"fade": "fade", "dissolve": "dissolve", "wipe": "wipeleft", "slide": "slideleft"}
EDGE_FADE_SECONDS = 0.4  # from black at the start, to black at the end
# Every clip is an input with its own decoder; a few threads each keep memory bounded on long films.
DECODER_THREADS = 2
CHUNK_PRESET, CHUNK_CRF = "ultrafast", 14


def video_graph(scenes: list[SceneMedia], starts: list[float], total: float, fps: int,
                transition_seconds: float, subtitles: str | None, edges: bool = True, look: str = "",
                overlays: str | None = None, out: str = "vout") -> str:
    """The one video pass: each scene (its own grade, grade.grade_filter) joined, then `look` (the
    film's grade fragment) before the edge fades and the captions, so black stays black and text
    keeps its colour."""
    parts = []
    for i, s in enumerate(scenes):
        # Same frame rate, timebase and SAR on every input: xfade and concat need them (all cheap).
        own = grade_filter(s.grade, label=f"g{i}") if s.grade else ""
        parts.append(f"[{i}:v]setpts=PTS-STARTPTS,fps={fps},trim=duration={num(s.duration)},"
                     f"settb=AVTB,setsar=1{',' + own if own else ''}[v{i}]")
    groups: list[str] = []  # labels of xfade-joined runs, joined by hard cuts
    cur, g_start = "v0", 0.0
    for i in range(1, len(scenes)):
        ov = overlap(scenes[i], transition_seconds)
        if ov <= 0:
            groups.append(cur)
            cur, g_start = f"v{i}", starts[i]
            continue
        label = f"x{i}"
        parts.append(f"[{cur}][v{i}]xfade=transition={XFADE[scenes[i].transition]}:"
                     f"duration={num(ov)}:offset={num(starts[i] - g_start)}[{label}]")
        cur = label
    groups.append(cur)
    if len(groups) > 1:
        parts.append("".join(f"[{g}]" for g in groups) + f"concat=n={len(groups)}:v=1:a=0[joined]")
        cur = "joined"
    fade = min(EDGE_FADE_SECONDS, total / 4)
    tail = [look] if look else []
    if edges:
        tail.append(f"fade=t=in:st=0:d={num(fade)},fade=t=out:st={num(total - fade)}:d={num(fade)}")
    if subtitles:
        tail.append(f"ass={subtitles}:fontsdir=asm-fonts")  # names we chose, relative to the work folder
    if overlays:
        tail.append(f"ass={overlays}:fontsdir=asm-fonts")
    parts.append(f"[{cur}]{','.join(tail) or 'null'}[{out}]")
    return ";".join(parts)


def inputs(scenes: list[SceneMedia]) -> list[str]:
    args: list[str] = []
    for s in scenes:
        if DECODER_THREADS:
            args += ["-threads", str(DECODER_THREADS)]
        args += ["-i", str(Path(s.clip).resolve())]
    return args


def join_in_chunks(scenes: list[SceneMedia], transition_seconds: float, fps: int, wd: Path,
                   cancel: Callable[[], None] | None, progress: Callable[[float], None], *,
                   max_inputs: int) -> list[SceneMedia]:
    """Pre-join runs of `max_inputs` scenes so the final pass never decodes more than that at once.

    A chunk keeps the transition into its first scene, so the final pass joins chunks exactly as
    it would have joined those scenes and every start time stays the same.
    """
    total = film_duration(scenes, scene_starts(scenes, transition_seconds))
    done = 0.0
    level = 0
    while len(scenes) > max_inputs:
        chunks = []
        for k in range(0, len(scenes), max_inputs):
            group = scenes[k:k + max_inputs]
            starts = scene_starts(group, transition_seconds)
            duration = film_duration(group, starts)
            out = wd / f"asm-chunk{level}-{k // max_inputs}.mp4"
            graph = video_graph(group, starts, duration, fps, transition_seconds, None, edges=False)
            media.run_ffmpeg([*inputs(group), "-filter_complex", graph, "-map", "[vout]", "-an", "-c:v", "libx264",
                              "-preset", CHUNK_PRESET, "-crf", str(CHUNK_CRF), "-pix_fmt", "yuv420p", "-r", str(fps),
                              "-t", num(duration), str(out)],
                             duration=duration, cwd=wd, cancel=cancel, what="a run of scenes",
                             progress=lambda f, base=done, d=duration: progress(min(1.0, (base + f * d) / total)))
            done += duration
            chunks.append(SceneMedia(clip=str(out), duration=duration, transition=group[0].transition))
        scenes, level = chunks, level + 1
    return scenes


def link_fonts(wd: Path) -> None:
    dest = wd / "asm-fonts"
    if dest.is_dir():
        return
    if dest.is_symlink():  # dangling, from an older install
        dest.unlink()
    try:
        dest.symlink_to(FONTS_DIR, target_is_directory=True)
    except OSError:
        shutil.copytree(FONTS_DIR, dest)

