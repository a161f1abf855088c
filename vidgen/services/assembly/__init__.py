"""Assembly: scene clips, speech, music and subtitles -> one finished MP4 plus an SRT sidecar.

Passes: the speech timeline is built in numpy; one quick ffmpeg pass mixes it with ducked music;
a second encodes it to AAC at the target loudness (gain measured first, EBU R128); the single
video pass joins the clips with xfade/concat, fades from and to black, burns the ASS subtitles and
copies the AAC in.

Script text never enters a filter string: it travels only through the subtitle files, and ffmpeg
runs inside the work folder so the graph names only files we chose (`asm-subs.ass`, `asm-fonts`).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ... import media
from ...assets import FONT_FAMILY, FONTS_DIR
from ...domain import QUALITIES, TRANSITIONS, AssemblyResult, Cue, SceneMedia
from ...errors import VidgenError

XFADE = {"fade": "fade", "dissolve": "dissolve", "wipe": "wipeleft", "slide": "slideleft"}
MAX_CUE_CHARS = 84  # two lines of 42
LINE_CHARS = 42
# Readability: short sentences of one speaker share a cue, and a cue stays up a moment after the
# words end and at least MIN_CUE_SECONDS when the next one leaves room (a 0.3 s flash is unreadable).
MERGE_GAP_SECONDS, MAX_CUE_SECONDS = 0.6, 6.0
MIN_CUE_SECONDS, LINGER_SECONDS = 1.0, 0.3
EDGE_FADE_SECONDS = 0.4  # from black at the start, to black at the end
MUSIC_FADE_IN, MUSIC_FADE_OUT = 1.5, 2.5
AUDIO_RATE = 48000
AUDIO_BITRATE = "160k"
LIMIT_DBFS = -2.0  # sample-peak ceiling; leaves room for inter-sample peaks under -1 dBTP
KEY_LEVEL_DBFS = -18.0  # the ducking key is scaled so speech reads at this RMS
# Every clip is an input with its own decoder; a few threads each keep memory bounded on long films.
DECODER_THREADS = 2
# Inputs one video pass decodes at once: longer films are first joined in chunks of this many
# scenes (near-lossless, ultrafast), which bounds memory whatever the scene count.
MAX_INPUTS = 16
CHUNK_PRESET, CHUNK_CRF = "ultrafast", 14
AUDIO_SHARE = 0.06  # of the progress bar; the video pass takes the rest

# Ducking: with the key at KEY_LEVEL_DBFS the compressor sees ~12 dB over threshold -> 10-15 dB less
# music while speech plays (whatever the voice's level); the slow release bridges the gaps between words.
DUCK = "threshold=0.03:ratio=6:attack=30:release=600:knee=2"
# DejaVu Sans Bold advances ~0.59 em per character on English text; libass font size is the
# ascent+descent height, 1.165 em for DejaVu.
_CHAR_EM, _SIZE_PER_EM = 0.60, 1.165


# --- timeline ------------------------------------------------------------------------------

def _overlap(scene: SceneMedia, transition_seconds: float) -> float:
    return 0.0 if scene.transition == "cut" or transition_seconds <= 0 else float(transition_seconds)


def scene_starts(scenes: list[SceneMedia], transition_seconds: float) -> list[float]:
    """Start of each scene on the final timeline; neighbours overlap unless the incoming one cuts."""
    starts: list[float] = []
    for i, scene in enumerate(scenes):
        if i == 0:
            starts.append(0.0)
        else:
            starts.append(starts[-1] + scenes[i - 1].duration - _overlap(scene, transition_seconds))
    return starts


def _film_duration(scenes: list[SceneMedia], starts: list[float]) -> float:
    return starts[-1] + scenes[-1].duration if scenes else 0.0


def _wrap(words: list[str], width: int) -> list[str]:
    chunks: list[str] = []
    cur = ""
    for w in words:
        while len(w) > width:  # a word longer than a cue: hard split
            if cur:
                chunks.append(cur)
                cur = ""
            chunks.append(w[:width])
            w = w[width:]
        if not w:
            continue
        if not cur:
            cur = w
        elif len(cur) + 1 + len(w) <= width:
            cur += " " + w
        else:
            chunks.append(cur)
            cur = w
    if cur:
        chunks.append(cur)
    return chunks


def _split_text(text: str, limit: int = MAX_CUE_CHARS) -> list[str]:
    """Cut a long line at word boundaries into as few, evenly long pieces as fit `limit`."""
    if len(text) <= limit:
        return [text]
    words = text.split()
    n = math.ceil(len(" ".join(words)) / limit)
    for width in range(math.ceil(len(" ".join(words)) / n), limit + 1):
        chunks = _wrap(words, width)
        if len(chunks) <= n:
            return chunks
    return _wrap(words, limit)


def _merge_short(cues: list[Cue]) -> list[Cue]:
    """Join consecutive sentences of one speaker into one cue while it stays two lines and short."""
    out: list[Cue] = []
    for c in cues:
        text = c.text.strip()
        if not text:
            continue
        prev = out[-1] if out else None
        if (prev is not None and prev.speaker == c.speaker and 0 <= c.start - prev.end <= MERGE_GAP_SECONDS
                and len(prev.text) + 1 + len(text) <= MAX_CUE_CHARS and c.end - prev.start <= MAX_CUE_SECONDS):
            out[-1] = Cue(prev.start, c.end, f"{prev.text} {text}", prev.speaker)
        else:
            out.append(Cue(c.start, c.end, text, c.speaker))
    return out


def timeline_cues(scenes: list[SceneMedia], starts: list[float]) -> list[Cue]:
    """Cues on the film's timeline: short ones merged, long ones split, ordered, non-overlapping,
    held for reading where the next cue leaves room, in whole ms."""
    total_ms = round(_film_duration(scenes, starts) * 1000)
    raw: list[tuple[int, int, str, str | None]] = []
    for scene, start in zip(scenes, starts):
        for cue in _merge_short(scene.cues):
            text = cue.text
            a, b = (start + cue.start) * 1000, (start + cue.end) * 1000
            pieces = _split_text(text)
            weights = [len(p) + 1 for p in pieces]
            acc = 0
            for piece, w in zip(pieces, weights):
                pa = a + (b - a) * acc / sum(weights)
                acc += w
                pb = a + (b - a) * acc / sum(weights)
                raw.append((round(pa), round(pb), piece, cue.speaker))
    raw.sort(key=lambda c: (c[0], c[1]))
    out: list[Cue] = []
    for i, (a, b, text, speaker) in enumerate(raw):
        a = max(a, 0, round(out[-1].end * 1000) if out else 0)
        if i + 1 < len(raw) and raw[i + 1][0] > a:
            b = min(b, raw[i + 1][0])  # overlaps end where the next line starts; min gap 0
        if b <= a:  # swallowed by earlier cues: still show every line briefly, pushing the next
            b = a + 500
        b = min(b, total_ms)
        if b > a:
            out.append(Cue(a / 1000, b / 1000, text, speaker))
    held = []
    for i, c in enumerate(out):
        limit = out[i + 1].start if i + 1 < len(out) else total_ms / 1000
        end = min(limit, max(c.end + LINGER_SECONDS, c.start + MIN_CUE_SECONDS))
        held.append(Cue(c.start, round(max(c.end, end), 3), c.text, c.speaker))
    return held


# --- subtitles -----------------------------------------------------------------------------

_WJ = "\u2060"  # word joiner: invisible, breaks `\N`-style sequences without changing what shows


def _ass_text(text: str) -> str:
    """Text that libass shows literally: braces escaped, `\\N`, `\\n`, `\\h` defused."""
    out = []
    for i, ch in enumerate(text):
        if ch in "{}":
            out.append("\\" + ch)  # libass reads \{ and \} as literal braces
        elif ch == "\\":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            out.append("\\" + _WJ if nxt in ("N", "n", "h") else "\\")
        elif ch == "\n":
            out.append("\\N")
        elif ch != "\r":
            out.append(ch)
    return "".join(out)


def _srt_text(text: str) -> str:
    # pysubs2 turns `\N`, `\n`, `\h` into whitespace and drops `{\p1}` events as drawings even when
    # keeping tags; a word joiner after each backslash keeps the line as written on screen.
    return text.replace("\r", "").replace("\\", "\\" + _WJ)


def subtitle_font_size(size: tuple[int, int]) -> int:
    """~4.8% of the short side, smaller where two lines of 42 characters would not fit 90% width."""
    w, h = size
    fit = 0.9 * w / (LINE_CHARS * _CHAR_EM / _SIZE_PER_EM)
    return max(8, int(min(0.048 * min(w, h), fit)))


def write_subtitles(cues: list[Cue], srt_path: str | os.PathLike, ass_path: str | os.PathLike,
                    size: tuple[int, int]) -> None:
    """Write the SRT sidecar (plain text) and an ASS file styled for burning in at `size`."""
    import pysubs2

    w, h = size
    fs = subtitle_font_size(size)
    srt = pysubs2.SSAFile()
    ass = pysubs2.SSAFile()
    ass.info.update({"PlayResX": str(w), "PlayResY": str(h), "WrapStyle": "0",
                     "ScaledBorderAndShadow": "yes"})
    ass.styles = {"Default": pysubs2.SSAStyle(
        fontname=FONT_FAMILY, fontsize=fs, bold=True,
        primarycolor=pysubs2.Color(255, 255, 255, 0), secondarycolor=pysubs2.Color(255, 255, 255, 0),
        outlinecolor=pysubs2.Color(0, 0, 0, 0), backcolor=pysubs2.Color(0, 0, 0, 110),
        borderstyle=1, outline=max(1.0, round(fs * 0.08, 1)), shadow=max(1.0, round(fs * 0.05, 1)),
        alignment=pysubs2.Alignment.BOTTOM_CENTER,
        marginl=round(0.05 * w), marginr=round(0.05 * w), marginv=round(0.06 * h),
    )}
    for c in cues:
        start, end = round(c.start * 1000), round(c.end * 1000)
        srt.append(pysubs2.SSAEvent(start=start, end=end, text=_srt_text(c.text)))
        ass.append(pysubs2.SSAEvent(start=start, end=end, text=_ass_text(c.text)))
    srt.save(str(srt_path), format_="srt", keep_ssa_tags=True)
    ass.save(str(ass_path), format_="ass")


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
        incoming = _overlap(s, transition_seconds) if i > 1 else 0.0
        outgoing = _overlap(scenes[i], transition_seconds) if i < len(scenes) else 0.0
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


# --- audio ---------------------------------------------------------------------------------

def _speech_track(scenes: list[SceneMedia], starts: list[float], total: float) -> tuple[np.ndarray, int] | None:
    clips = []
    for scene, start in zip(scenes, starts):
        if scene.speech:
            x, sr = media.read_wav(scene.speech)
            clips.append((start + scene.speech_offset, x, sr))
    if not clips:
        return None
    rate = clips[0][2]
    track = np.zeros(int(round(total * rate)), dtype=np.float32)
    for t0, x, sr in clips:
        if sr != rate:  # rare (one TTS per film); linear is fine for speech
            n = int(round(len(x) * rate / sr))
            x = np.interp(np.arange(n) * (sr / rate), np.arange(len(x)), x).astype(np.float32)
        i = int(round(t0 * rate))
        if i < 0:  # speech starting before the film: drop what falls before 0
            x, i = x[-i:], 0
        seg = x[: max(0, len(track) - i)]
        track[i:i + len(seg)] += seg
    peak = float(np.max(np.abs(track))) if track.size else 0.0
    if peak > 1.0:  # overlapping lines; loudness normalisation restores the level
        track /= peak
    return track, rate


def _active_rms_db(x: np.ndarray, rate: int, floor_db: float = 25.0) -> float:
    """RMS of the frames where something sounds (within `floor_db` of the loudest 20 ms)."""
    n = max(1, rate // 50)
    frames = x[: len(x) // n * n].reshape(-1, n) if len(x) >= n else x.reshape(1, -1)
    power = (frames.astype(np.float64) ** 2).mean(axis=1)
    if power.size == 0 or power.max() <= 1e-12:
        return float("-inf")
    active = power[power > power.max() * 10 ** (-floor_db / 10)]
    return 10 * math.log10(active.mean())


def _music_rms_db(music: str, seconds: float) -> float:
    """RMS of the part of the music the film uses, ignoring near-silent stretches."""
    try:
        x = media.decode_audio(music, 16000)[: int(seconds * 16000) + 1]
    except VidgenError as e:
        raise VidgenError(f"Cannot read the music file {Path(music).name}: {e}") from e
    return _active_rms_db(x, 16000, floor_db=30.0)


def _loudness(path: Path, target: float, cancel: Callable[[], None] | None) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP), measured as media.measure_loudness (and the tests) do."""
    media.check_cancel(cancel)
    m = media.measure_loudness(path, target=target)
    return m.integrated, m.true_peak


def _num(x: float) -> str:
    return f"{x:.6f}"


def _build_audio(scenes: list[SceneMedia], starts: list[float], total: float, wd: Path, *, music: str,
                 music_volume: float, loudness: float, cancel: Callable[[], None] | None,
                 progress: Callable[[float], None]) -> Path:
    out = wd / "asm-audio.m4a"
    aac = ["-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ar", str(AUDIO_RATE)]
    speech = _speech_track(scenes, starts, total)
    if speech is None and not music:
        media.run_ffmpeg(["-f", "lavfi", "-i", f"anullsrc=r={AUDIO_RATE}:cl=mono", "-t", _num(total),
                          *aac, str(out)], cancel=cancel, what="the silent soundtrack")
        return out
    if speech is not None:
        media.write_wav(wd / "asm-speech.wav", speech[0], speech[1])
    media.check_cancel(cancel)
    progress(0.15)

    src = wd / "asm-speech.wav"
    if music:
        src = wd / "asm-mix.wav"
        fi, fo = min(MUSIC_FADE_IN, total / 4), min(MUSIC_FADE_OUT, total / 3)
        stereo = f"aresample={AUDIO_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
        gain = music_volume
        voice = _active_rms_db(*speech) if speech is not None else float("-inf")
        if math.isfinite(voice):
            # music_volume is relative to the voice (1.0 = as loud, 0.3 ~ 10 dB under it), so the
            # bed sits the same under any voice whatever the music file's own level.
            bed = _music_rms_db(music, total)
            if math.isfinite(bed):
                gain *= min(1e3, max(1e-3, 10 ** ((voice - bed) / 20)))
        graph = (f"[{0 if speech is None else 1}:a]atrim=0:{_num(total)},asetpts=PTS-STARTPTS,{stereo},"
                 f"volume={gain:.6f},afade=t=in:d={_num(fi)},"
                 f"afade=t=out:st={_num(total - fo)}:d={_num(fo)}")
        if speech is not None:
            key = 10 ** ((KEY_LEVEL_DBFS - voice) / 20) if math.isfinite(voice) else 1.0
            key = min(64.0, max(0.016, key))
            graph += (f"[m];[0:a]{stereo},asplit=2[s][k];"
                      f"[m][k]sidechaincompress={DUCK}:level_sc={key:.4f}[d];"
                      "[s][d]amix=inputs=2:duration=first:normalize=0[mix]")
        else:
            graph += ",apad[mix]"
        inputs = (["-i", str(wd / "asm-speech.wav")] if speech is not None else []) + \
            ["-stream_loop", "-1", "-i", str(Path(music).resolve())]
        media.run_ffmpeg([*inputs, "-filter_complex", graph, "-map", "[mix]", "-t", _num(total),
                          "-c:a", "pcm_f32le", str(src)], cancel=cancel, what="the music mix")
    progress(0.4)

    def encode(gain_db: float) -> None:
        chain = f"volume={gain_db:.3f}dB,aresample={AUDIO_RATE},alimiter=limit={10 ** (LIMIT_DBFS / 20):.4f}" \
                ":attack=5:release=50:level=0:latency=1"
        media.run_ffmpeg(["-i", str(src), "-af", chain, "-t", _num(total), *aac, str(out)],
                         cancel=cancel, what="the soundtrack")

    level, peak = _loudness(src, loudness, cancel)
    if not math.isfinite(level) or level <= -69:
        encode(0.0)  # silence: nothing to normalise
        return out
    gain = loudness - level
    encode(gain)
    progress(0.75)
    if peak + gain > LIMIT_DBFS - 1.0:
        # The limiter shaved peaks and with them some loudness: measure and correct until on
        # target (peaky speech can need two rounds, as each gain step feeds the limiter more).
        for _ in range(3):
            check, _ = _loudness(out, loudness, cancel)
            if not math.isfinite(check) or abs(check - loudness) <= 0.2:
                break
            gain += loudness - check
            encode(gain)
    return out


# --- video ---------------------------------------------------------------------------------

def _video_graph(scenes: list[SceneMedia], starts: list[float], total: float, fps: int,
                 transition_seconds: float, subtitles: str | None, edges: bool = True) -> str:
    parts = []
    for i, s in enumerate(scenes):
        # Same frame rate, timebase and SAR on every input: xfade and concat need them (all cheap).
        parts.append(f"[{i}:v]setpts=PTS-STARTPTS,fps={fps},trim=duration={_num(s.duration)},"
                     f"settb=AVTB,setsar=1[v{i}]")
    groups: list[str] = []  # labels of xfade-joined runs, joined by hard cuts
    cur, g_start = "v0", 0.0
    for i in range(1, len(scenes)):
        ov = _overlap(scenes[i], transition_seconds)
        if ov <= 0:
            groups.append(cur)
            cur, g_start = f"v{i}", starts[i]
            continue
        label = f"x{i}"
        parts.append(f"[{cur}][v{i}]xfade=transition={XFADE[scenes[i].transition]}:"
                     f"duration={_num(ov)}:offset={_num(starts[i] - g_start)}[{label}]")
        cur = label
    groups.append(cur)
    if len(groups) > 1:
        parts.append("".join(f"[{g}]" for g in groups) + f"concat=n={len(groups)}:v=1:a=0[joined]")
        cur = "joined"
    fade = min(EDGE_FADE_SECONDS, total / 4)
    tail = [f"fade=t=in:st=0:d={_num(fade)},fade=t=out:st={_num(total - fade)}:d={_num(fade)}"] if edges else []
    if subtitles:
        tail.append(f"ass={subtitles}:fontsdir=asm-fonts")  # names we chose, relative to the work folder
    parts.append(f"[{cur}]{','.join(tail) or 'null'}[vout]")
    return ";".join(parts)


def _inputs(scenes: list[SceneMedia]) -> list[str]:
    args: list[str] = []
    for s in scenes:
        if DECODER_THREADS:
            args += ["-threads", str(DECODER_THREADS)]
        args += ["-i", str(Path(s.clip).resolve())]
    return args


def _join_in_chunks(scenes: list[SceneMedia], transition_seconds: float, fps: int, wd: Path,
                    cancel: Callable[[], None] | None, progress: Callable[[float], None]) -> list[SceneMedia]:
    """Pre-join runs of MAX_INPUTS scenes so the final pass never decodes more than that at once.

    A chunk keeps the transition into its first scene, so the final pass joins chunks exactly as
    it would have joined those scenes and every start time stays the same.
    """
    total = _film_duration(scenes, scene_starts(scenes, transition_seconds))
    done = 0.0
    level = 0
    while len(scenes) > MAX_INPUTS:
        chunks = []
        for k in range(0, len(scenes), MAX_INPUTS):
            group = scenes[k:k + MAX_INPUTS]
            starts = scene_starts(group, transition_seconds)
            duration = _film_duration(group, starts)
            out = wd / f"asm-chunk{level}-{k // MAX_INPUTS}.mp4"
            graph = _video_graph(group, starts, duration, fps, transition_seconds, None, edges=False)
            media.run_ffmpeg([*_inputs(group), "-filter_complex", graph, "-map", "[vout]", "-an", "-c:v", "libx264",
                              "-preset", CHUNK_PRESET, "-crf", str(CHUNK_CRF), "-pix_fmt", "yuv420p", "-r", str(fps),
                              "-t", _num(duration), str(out)],
                             duration=duration, cwd=wd, cancel=cancel, what="a run of scenes",
                             progress=lambda f, base=done, d=duration: progress(min(1.0, (base + f * d) / total)))
            done += duration
            chunks.append(SceneMedia(clip=str(out), duration=duration, transition=group[0].transition))
        scenes, level = chunks, level + 1
    return scenes


def _link_fonts(wd: Path) -> None:
    dest = wd / "asm-fonts"
    if dest.is_dir():
        return
    if dest.is_symlink():  # dangling, from an older install
        dest.unlink()
    try:
        dest.symlink_to(FONTS_DIR, target_is_directory=True)
    except OSError:
        shutil.copytree(FONTS_DIR, dest)


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
    total = _film_duration(scenes, starts)
    cues = timeline_cues(scenes, starts)
    preset, crf = QUALITIES[quality]

    with _work_folder(work_dir) as wd:
        media.check_cancel(cancel)
        write_subtitles(cues, wd / "asm-subs.srt", wd / "asm-subs.ass", size)
        audio = _build_audio(scenes, starts, total, wd, music=music, music_volume=music_volume,
                             loudness=loudness, cancel=cancel,
                             progress=lambda f: report(AUDIO_SHARE * f))
        report(AUDIO_SHARE)
        burn = burn_subtitles and bool(cues)
        if burn:
            _link_fonts(wd)
        video_share = 1 - AUDIO_SHARE
        if len(scenes) > MAX_INPUTS:  # long film: bounded memory for one extra fast encode
            scenes = _join_in_chunks(scenes, transition_seconds, fps, wd, cancel,
                                     lambda f: report(AUDIO_SHARE + 0.3 * video_share * f))
            starts = scene_starts(scenes, transition_seconds)
            report(AUDIO_SHARE + 0.3 * video_share)
            video_share *= 0.7
        base = 1 - video_share
        graph = _video_graph(scenes, starts, total, fps, transition_seconds, "asm-subs.ass" if burn else None)
        inputs = [*_inputs(scenes), "-i", str(audio)]
        with media.atomic_output(out_path) as tmp:
            media.run_ffmpeg(
                [*inputs, "-filter_complex", graph, "-map", "[vout]", "-map", f"{len(scenes)}:a",
                 "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
                 "-r", str(fps), "-c:a", "copy", "-t", _num(total), "-f", "mp4", "-movflags", "+faststart",
                 str(Path(tmp).resolve())],
                duration=total, cwd=wd, cancel=cancel, what="the film",
                progress=lambda f: report(base + video_share * f))
        with media.atomic_output(srt_dest) as tmp:
            shutil.copyfile(wd / "asm-subs.srt", tmp)
        if work_dir is not None:
            _clean(wd)
    report(1.0)
    return AssemblyResult(video=str(out_path), subtitles=str(srt_dest), duration=round(total, 3))


__all__ = ["scene_starts", "timeline_cues", "write_subtitles", "assemble", "subtitle_font_size"]
