"""Subtitles: the scenes' cues on the film's timeline (merged, split, held for reading), and the
SRT sidecar and burn-in ASS files written from them. Script text goes only into these files."""

from __future__ import annotations

import math
import os

from ...assets import FONT_FAMILY
from ...domain import Cue, SceneMedia
from .timeline import film_duration

MAX_CUE_CHARS = 84  # two lines of 42
LINE_CHARS = 42
# Readability: short sentences of one speaker share a cue, and a cue stays up a moment after the
# words end and at least MIN_CUE_SECONDS when the next one leaves room (a 0.3 s flash is unreadable).
MERGE_GAP_SECONDS, MAX_CUE_SECONDS = 0.6, 6.0
MIN_CUE_SECONDS, LINGER_SECONDS = 1.0, 0.3
# DejaVu Sans Bold advances ~0.59 em per character on English text; libass font size is the
# ascent+descent height, 1.165 em for DejaVu.
_CHAR_EM, _SIZE_PER_EM = 0.60, 1.165


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
    total_ms = round(film_duration(scenes, starts) * 1000)
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


def _srt_time(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    return f"{h:02d}:{m:02d}:{rest // 1000:02d},{rest % 1000:03d}"


def _srt(cues: list[Cue]) -> str:
    """The SRT file, written here and not by pysubs2: pysubs2 turns `\\N` into a line break and drops
    `{\\p1}` events as drawings, and escaping meant for ASS does not belong in plain text. The
    text is exactly the cue's; only blank lines (which would end a cue) are closed up."""
    blocks = []
    for i, c in enumerate(cues, 1):
        text = "\n".join(ln for ln in c.text.replace("\r", "").split("\n") if ln.strip())
        blocks.append(f"{i}\n{_srt_time(round(c.start * 1000))} --> {_srt_time(round(c.end * 1000))}\n{text}\n")
    return "\n".join(blocks)


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
        ass.append(pysubs2.SSAEvent(start=start, end=end, text=_ass_text(c.text)))
    with open(srt_path, "w", encoding="utf-8", newline="\n") as f:
        f.write(_srt(cues))
    ass.save(str(ass_path), format_="ass")

