"""Assembly: scene clips, speech, music and subtitles -> one finished MP4 plus an SRT sidecar.

Passes: the speech timeline is built in numpy; one quick ffmpeg pass mixes it with ducked music;
a second encodes it to AAC at the target loudness (gain measured first, EBU R128) (mix.py); the
single video pass joins the clips with xfade/concat, fades from and to black, burns the ASS
subtitles and copies the AAC in (video.py). Cues and subtitle files: subtitles.py; scene starts:
timeline.py.

Script text never enters a filter string: it travels only through the subtitle files, and ffmpeg
runs inside the work folder so the graph names only files we chose (`asm-subs.ass`, `asm-fonts`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

from ... import media
from ...domain import QUALITIES, TRANSITIONS, AssemblyResult, SceneMedia
from ...errors import VidgenError
from .mix import AUDIO_BITRATE, AUDIO_RATE, DUCK, KEY_LEVEL_DBFS, LIMIT_DBFS, build_audio
from .subtitles import (LINE_CHARS, LINGER_SECONDS, MAX_CUE_CHARS, MAX_CUE_SECONDS, MERGE_GAP_SECONDS,
                        MIN_CUE_SECONDS, subtitle_font_size, timeline_cues, write_subtitles)
from .timeline import film_duration, num, overlap, scene_starts
from .video import DECODER_THREADS, EDGE_FADE_SECONDS, XFADE, inputs, join_in_chunks, link_fonts, video_graph

# Inputs one video pass decodes at once: longer films are first joined in chunks of this many
# scenes (near-lossless, ultrafast), which bounds memory whatever the scene count. Read at each
# call (passed to video.join_in_chunks), so setting it here takes effect.
MAX_INPUTS = 16
AUDIO_SHARE = 0.06  # of the progress bar; the video pass takes the rest


# --- validation ----------------------------------------------------------------------------

def _validate(scenes: list[SceneMedia], size: tuple[int, int], fps: int, transition_seconds: float,
              music: str, music_volume: float, loudness: float, quality: str) -> None:
    if not scenes:
        raise VidgenError("Nothing to assemble: the film has no scenes.")
    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        raise VidgenError(f"size must be (width, height), not {size!r}.") from None
    if w <= 0 or h <= 0 or w % 2 or h % 2 or (w, h) != tuple(size):
        raise VidgenError(f"size must be two positive even whole numbers (H.264 needs them), not {w}x{h}.")
    if not isinstance(fps, int) or not 1 <= fps <= 120:
        raise VidgenError(f"fps must be a whole number from 1 to 120, not {fps!r}.")
    if quality not in QUALITIES:
        raise VidgenError(f"Unknown quality {quality!r}: use one of {', '.join(QUALITIES)}.")
    if not 0 <= transition_seconds <= 5:
        raise VidgenError("transition_seconds must be between 0 and 5.")
    if not 0 <= music_volume <= 4:
        raise VidgenError("music_volume must be between 0 and 4.")
    if not -40 <= loudness <= -5:
        raise VidgenError(f"loudness must be between -40 and -5 LUFS, not {loudness}.")
    for i, s in enumerate(scenes, 1):
        if s.transition not in TRANSITIONS:
            raise VidgenError(f"Scene {i}: unknown transition {s.transition!r}: use one of {', '.join(TRANSITIONS)}.")
        if not s.duration > 0:
            raise VidgenError(f"Scene {i}: duration must be positive, not {s.duration}.")
        incoming = overlap(s, transition_seconds) if i > 1 else 0.0
        outgoing = overlap(scenes[i], transition_seconds) if i < len(scenes) else 0.0
        if s.duration <= max(incoming, outgoing):
            raise VidgenError(f"Scene {i} lasts {s.duration:g} s, not longer than its {transition_seconds:g} s "
                              "transition: shorten the transition or use a cut.")
        if not s.clip or not Path(s.clip).is_file():
            raise VidgenError(f"Scene {i}: the video clip is missing ({s.clip or 'no file given'}).")
        info = media.probe(s.clip)
        if info.video is None:
            raise VidgenError(f"Scene {i}: {Path(s.clip).name} holds no video.")
        if (info.video.width, info.video.height) != (w, h):
            raise VidgenError(f"Scene {i}: the clip is {info.video.width}x{info.video.height}, "
                              f"the film is {w}x{h}; render the scene at the film's size.")
        if info.duration < s.duration - 1.5 / fps:
            raise VidgenError(f"Scene {i}: the clip lasts {info.duration:.2f} s but the scene needs "
                              f"{s.duration:.2f} s.")
        if s.speech and not Path(s.speech).is_file():
            raise VidgenError(f"Scene {i}: the speech file is missing ({s.speech}).")
    if music:
        name = Path(music).name
        if not Path(music).is_file():
            raise VidgenError(f"Cannot read the music file {name}: it does not exist.")
        try:
            info = media.probe(music)
        except VidgenError as e:
            raise VidgenError(f"Cannot read the music file {name}: it is not an audio file.") from e
        if info.audio is None:
            raise VidgenError(f"Cannot read the music file {name}: it holds no audio.")


def _clean(wd: Path) -> None:
    """Remove this module's intermediates from a caller's work folder (after success only)."""
    names = ("asm-speech.wav", "asm-mix.wav", "asm-audio.m4a", "asm-subs.srt", "asm-subs.ass", "asm-fonts")
    for p in [*(wd / n for n in names), *wd.glob("asm-chunk*.mp4")]:
        if not (p.exists() or p.is_symlink()):
            continue
        with contextlib.suppress(OSError):
            if p.is_symlink() or not p.is_dir():
                p.unlink()
            else:
                shutil.rmtree(p)


@contextlib.contextmanager
def _work_folder(work_dir: str | os.PathLike | None) -> Iterator[Path]:
    if work_dir is not None:
        p = Path(work_dir).resolve()
        p.mkdir(parents=True, exist_ok=True)
        yield p
    else:
        with tempfile.TemporaryDirectory(prefix="vidgen-assembly-") as d:
            yield Path(d)


def assemble(scenes: list[SceneMedia], out_path: str | Path, *, size: tuple[int, int], fps: int,
             transition_seconds: float = 0.5, music: str = "", music_volume: float = 0.3,
             burn_subtitles: bool = True, loudness: float = -16.0, quality: str = "standard",
             progress: Callable[[float], None] | None = None, cancel: Callable[[], None] | None = None,
             work_dir: str | Path | None = None) -> AssemblyResult:
    """Make the finished film at `out_path` (MP4) and its `.srt` sidecar beside it."""
    _validate(scenes, size, fps, transition_seconds, music, music_volume, loudness, quality)
    out_path = Path(out_path).resolve()
    srt_dest = out_path.with_suffix(".srt")
    report = progress or (lambda f: None)
    starts = scene_starts(scenes, transition_seconds)
    total = film_duration(scenes, starts)
    cues = timeline_cues(scenes, starts)
    preset, crf = QUALITIES[quality]

    with _work_folder(work_dir) as wd:
        media.check_cancel(cancel)
        write_subtitles(cues, wd / "asm-subs.srt", wd / "asm-subs.ass", size)
        audio = build_audio(scenes, starts, total, wd, music=music, music_volume=music_volume,
                            loudness=loudness, cancel=cancel,
                            progress=lambda f: report(AUDIO_SHARE * f))
        report(AUDIO_SHARE)
        burn = burn_subtitles and bool(cues)
        if burn:
            link_fonts(wd)
        video_share = 1 - AUDIO_SHARE
        if len(scenes) > MAX_INPUTS:  # long film: bounded memory for one extra fast encode
            scenes = join_in_chunks(scenes, transition_seconds, fps, wd, cancel,
                                    lambda f: report(AUDIO_SHARE + 0.3 * video_share * f), max_inputs=MAX_INPUTS)
            starts = scene_starts(scenes, transition_seconds)
            report(AUDIO_SHARE + 0.3 * video_share)
            video_share *= 0.7
        base = 1 - video_share
        graph = video_graph(scenes, starts, total, fps, transition_seconds, "asm-subs.ass" if burn else None)
        args = [*inputs(scenes), "-i", str(audio)]
        with media.atomic_output(out_path) as tmp:
            media.run_ffmpeg(
                [*args, "-filter_complex", graph, "-map", "[vout]", "-map", f"{len(scenes)}:a",
                 "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
                 "-r", str(fps), "-c:a", "copy", "-t", num(total), "-f", "mp4", "-movflags", "+faststart",
                 str(Path(tmp).resolve())],
                duration=total, cwd=wd, cancel=cancel, what="the film",
                progress=lambda f: report(base + video_share * f))
        with media.atomic_output(srt_dest) as tmp:
            shutil.copyfile(wd / "asm-subs.srt", tmp)
        if work_dir is not None:
            _clean(wd)
    report(1.0)
    return AssemblyResult(video=str(out_path), subtitles=str(srt_dest), duration=round(total, 3))


__all__ = ["scene_starts", "timeline_cues", "write_subtitles", "assemble", "subtitle_font_size", "MAX_INPUTS",
           "AUDIO_SHARE", "AUDIO_RATE", "AUDIO_BITRATE", "LIMIT_DBFS", "KEY_LEVEL_DBFS", "DUCK", "LINE_CHARS",
           "LINGER_SECONDS", "MAX_CUE_CHARS", "MAX_CUE_SECONDS", "MERGE_GAP_SECONDS", "MIN_CUE_SECONDS",
           "DECODER_THREADS", "EDGE_FADE_SECONDS", "XFADE"]
