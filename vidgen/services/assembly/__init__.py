"""Assembly: scene clips, speech, music, sound effects and captions -> one finished MP4 plus SRT,
WebVTT and word-timing sidecars; the finishing layer (caption style, grade) is `Finish` (finish.py).

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
import dataclasses
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

from ... import media
from ...domain import QUALITIES, TRANSITIONS, AssemblyResult, SceneMedia
from ..delivery.encoders import video_args
from ...errors import VidgenError
from .mix import AUDIO_BITRATE, AUDIO_RATE, DUCK, KEY_LEVEL_DBFS, LIMIT_DBFS, build_audio
from .subtitles import (LINE_CHARS, LINGER_SECONDS, MAX_CUE_CHARS, MAX_CUE_SECONDS, MERGE_GAP_SECONDS,
                        MIN_CUE_SECONDS, subtitle_font_size, timeline_cues, write_subtitles)
from .timeline import film_duration, num, overlap, scene_starts
from .caption_style import write_ass_parts, write_srt, write_vtt
from .caption_words import write_words_json
from .finish import Finish, caption_parts, sentence_cues
from .grade import GRADES, grade_filter, stage_lut
from .overlays import OVERLAYS_ASS, card_clip, lower_thirds, on_film, overlay_ass
from .video import DECODER_THREADS, EDGE_FADE_SECONDS, XFADE, inputs, join_in_chunks, video_graph
from .watermark import stage_watermark, watermark_filter, watermark_inputs, watermark_text

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
    names = ("asm-speech.wav", "asm-effects.wav", "asm-mix.wav", "asm-audio.m4a", "asm-subs.srt", "asm-subs.vtt",
             "asm-words.json", "asm-subs.ass", "asm-fonts", OVERLAYS_ASS, "asm-card.ass", "asm-logo.png",
             "asm-title.mp4", "asm-end.mp4")
    for p in [*(wd / n for n in names), *wd.glob("asm-chunk*.mp4"), *wd.glob("asm-lut-*.cube")]:
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


def _with_cards(scenes: list[SceneMedia], finish: Finish, size: tuple[int, int], fps: int, quality: str, wd: Path,
                cancel: Callable[[], None] | None) -> list[SceneMedia]:
    """The title card before the first scene and the end card after the last, as clips of their own."""
    out = list(scenes)
    for card, name, first in ((finish.title, "asm-title.mp4", True), (finish.end, "asm-end.mp4", False)):
        if card is None:
            continue
        seconds = card_clip(card, size, fps, wd / name, work_dir=wd, quality=quality, cancel=cancel)
        clip = SceneMedia(clip=str(wd / name), duration=seconds, transition="fade")
        if first:
            out[0] = dataclasses.replace(out[0], transition="fade")
            out.insert(0, clip)
        else:
            out.append(clip)
    return out


def _write_overlays(scenes: list[SceneMedia], starts: list[float], cues: list, total: float, finish: Finish,
                    size: tuple[int, int], wd: Path) -> bool:
    """The overlay ASS (scenes' text overlays, lower thirds, a text watermark); False when empty."""
    items: list = on_film([s.overlays for s in scenes], starts)
    if finish.lower_thirds:
        items += lower_thirds(cues)
    text_mark = watermark_text(finish.watermark, size, total) if finish.watermark is not None else None
    if text_mark is not None:
        items.append(text_mark)
    return bool(items) and overlay_ass(items, size, wd / OVERLAYS_ASS) > 0


@dataclasses.dataclass(frozen=True)
class Encoding:
    """How the assembler writes: the video encoder's arguments (delivery.encoders.video_args), the
    muxer and the audio encoder's arguments; `only` = "audio" or "stems" for the soundtrack alone."""

    video: list[str] = dataclasses.field(default_factory=list)
    container: str = "mp4"
    audio: tuple[str, ...] = ("-c:a", "aac", "-b:a", AUDIO_BITRATE)
    only: str = ""


def _soundtrack_only(scenes: list[SceneMedia], starts: list[float], total: float, wd: Path, out_path: Path,
                     enc: Encoding, **mix) -> AssemblyResult:
    """The film's soundtrack as one file (enc.only "audio") or its stems in the folder out_path ("stems")."""
    name = f"asm-audio{out_path.suffix}"
    if enc.only == "stems":
        out_path.mkdir(parents=True, exist_ok=True)
        build_audio(scenes, starts, total, wd, codec=enc.audio, name="asm-audio.wav", stems=out_path, **mix)
    else:
        audio = build_audio(scenes, starts, total, wd, codec=enc.audio, name=name, **mix)
        with media.atomic_output(out_path) as tmp:
            shutil.move(str(audio), tmp)
    mix["progress"](1.0)
    return AssemblyResult(video=str(out_path), subtitles="", duration=round(total, 3))


def assemble(scenes: list[SceneMedia], out_path: str | Path, *, size: tuple[int, int], fps: int,
             transition_seconds: float = 0.5, music: str = "", music_volume: float = 0.3,
             burn_subtitles: bool = True, loudness: float = -16.0, quality: str = "standard",
             progress: Callable[[float], None] | None = None, cancel: Callable[[], None] | None = None,
             work_dir: str | Path | None = None, finish: Finish | None = None,
             encoding: Encoding | None = None) -> AssemblyResult:
    """Make the finished film at `out_path` and its sidecars beside it: `.srt`, `.vtt` and
    `.words.json` (each spoken word's time; `estimated` where the voice gave no alignment).
    `encoding` says how (default: MP4, libx264 at `quality`, AAC); its `only` makes the soundtrack
    alone ("audio") or its stems in the folder `out_path` ("stems") instead of the film."""
    enc = encoding or Encoding(video=video_args("libx264", quality))
    finish = finish or Finish()
    _validate(scenes, size, fps, transition_seconds, music, music_volume, loudness, quality)
    for i, s in enumerate(scenes, 1):
        if s.grade and s.grade not in GRADES:
            raise VidgenError(f"Scene {i}: unknown grade {s.grade!r}: use one of {', '.join(GRADES)}.")
    out_path = Path(out_path).resolve()
    srt_dest = out_path.with_suffix(".srt")
    report = progress or (lambda f: None)
    sidecars = {".srt": "asm-subs.srt", ".vtt": "asm-subs.vtt", ".words.json": "asm-words.json"}

    with _work_folder(work_dir) as wd:
        media.check_cancel(cancel)
        scenes = _with_cards(scenes, finish, size, fps, quality, wd, cancel)
        starts = scene_starts(scenes, transition_seconds)
        total = film_duration(scenes, starts)
        cues = timeline_cues(scenes, starts)  # readable: the SRT, WebVTT and whole-line captions
        sentences, words = sentence_cues(scenes, starts)  # as spoken, word-timed: karaoke, words at a time
        parts = caption_parts(scenes, starts, finish.captions, cues, sentences, words)
        write_srt(cues, wd / "asm-subs.srt")
        write_vtt(cues, wd / "asm-subs.vtt")
        write_words_json(sentences, words, wd / "asm-words.json")
        look = grade_filter(finish.grade, stage_lut(finish.lut, wd) if finish.lut else None, finish.grade_strength)
        if enc.only:
            return _soundtrack_only(scenes, starts, total, wd, out_path, enc, music=music, music_volume=music_volume,
                                    loudness=loudness, cancel=cancel, effects_volume=finish.effects_volume,
                                    progress=report)
        audio = build_audio(scenes, starts, total, wd, music=music, music_volume=music_volume,
                            loudness=loudness, cancel=cancel, effects_volume=finish.effects_volume,
                            progress=lambda f: report(AUDIO_SHARE * f), codec=enc.audio,
                            name="asm-audio.m4a" if enc.container == "mp4" else "asm-audio.mka")
        report(AUDIO_SHARE)
        burn = burn_subtitles and bool(parts)
        if burn:
            write_ass_parts(parts, size, wd / "asm-subs.ass", fonts_dir=wd / "asm-fonts")
        overlaid = _write_overlays(scenes, starts, cues, total, finish, size, wd)
        logo = stage_watermark(finish.watermark, wd) if finish.watermark is not None else None
        video_share = 1 - AUDIO_SHARE
        if len(scenes) > MAX_INPUTS:  # long film: bounded memory for one extra fast encode
            scenes = join_in_chunks(scenes, transition_seconds, fps, wd, cancel,
                                    lambda f: report(AUDIO_SHARE + 0.3 * video_share * f), max_inputs=MAX_INPUTS)
            starts = scene_starts(scenes, transition_seconds)
            report(AUDIO_SHARE + 0.3 * video_share)
            video_share *= 0.7
        base = 1 - video_share
        graph = video_graph(scenes, starts, total, fps, transition_seconds, "asm-subs.ass" if burn else None,
                            look=look, overlays=OVERLAYS_ASS if overlaid else None, out="vpre" if logo else "vout")
        if logo:
            graph += ";" + watermark_filter(finish.watermark, size, f"{len(scenes)}:v", "vpre", "vout")
        args = [*inputs(scenes), *watermark_inputs(finish.watermark), "-i", str(audio)]
        with media.atomic_output(out_path) as tmp:
            media.run_ffmpeg(
                [*args, "-filter_complex", graph, "-map", "[vout]", "-map", f"{args.count('-i') - 1}:a",
                 *enc.video, "-r", str(fps), "-c:a", "copy", "-t", num(total), "-f", enc.container,
                 *(["-movflags", "+faststart"] if enc.container in ("mp4", "mov") else []),
                 str(Path(tmp).resolve())],
                duration=total, cwd=wd, cancel=cancel, what="the film",
                progress=lambda f: report(base + video_share * f))
        for suffix, name in sidecars.items():
            with media.atomic_output(out_path.with_suffix(suffix)) as tmp:
                shutil.copyfile(wd / name, tmp)
        if work_dir is not None:
            _clean(wd)
    report(1.0)
    return AssemblyResult(video=str(out_path), subtitles=str(srt_dest), duration=round(total, 3))


__all__ = ["Encoding", "Finish", "scene_starts", "timeline_cues", "write_subtitles", "assemble", "subtitle_font_size", "MAX_INPUTS",
           "AUDIO_SHARE", "AUDIO_RATE", "AUDIO_BITRATE", "LIMIT_DBFS", "KEY_LEVEL_DBFS", "DUCK", "LINE_CHARS",
           "LINGER_SECONDS", "MAX_CUE_CHARS", "MAX_CUE_SECONDS", "MERGE_GAP_SECONDS", "MIN_CUE_SECONDS",
           "DECODER_THREADS", "EDGE_FADE_SECONDS", "XFADE"]
