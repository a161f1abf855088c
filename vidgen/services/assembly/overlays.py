"""Title and end cards, lower thirds and free text over the film, drawn by libass from ASS files.

Cards are short clips of their own (joined like scenes), so the film's timing stays one list of
clips; everything else is events of one ASS file burnt in the video pass. Text travels only
through those files; the graph names only fixed file names. Styles and layout: overlay_text.py;
the logo: watermark.py.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from ... import media
from ...domain import QUALITIES, Cue
from ...errors import VidgenError
from .caption_style import safe_margins
from .overlay_text import (ASPECTS, CARD_STYLE, LOWER_STYLE, MAX_NAME, MIN_FONT_PX, OVERLAY_STYLE, POSITIONS,
                           TextStyle, aspect_of, bad, check_colour, check_number, check_size, check_text, clean_text,
                           ass_colour, ass_document, ass_event, esc, fade_tag, fit, font_px, look_tags,
                           text_width)
from .timeline import num
from .video import link_fonts

OVERLAYS_ASS, CARD_ASS = "asm-overlays.ass", "asm-card.ass"  # fixed names in the work folder
FONTS = "asm-fonts"


@dataclass(frozen=True)
class TextOverlay:
    """Text at a numpad position, shown within [start, start + seconds] of the film (or of its scene,
    before on_film). `margin`: gap to the edges over the frame's shorter side; None: safe margins."""

    text: str
    position: str = "bottom"
    start: float = 0.0
    seconds: float = 3.0
    style: TextStyle = OVERLAY_STYLE
    margin: float | None = None
    fade: float = 0.25

    def __post_init__(self) -> None:
        check_text("Text overlay", "text", self.text)
        if self.position not in POSITIONS:
            raise bad("Text overlay", "position", self.position, "one of " + ", ".join(POSITIONS))
        check_number("Text overlay", "start", self.start, 0.0)
        check_number("Text overlay", "seconds", self.seconds, 0.0, above=True)
        check_number("Text overlay", "fade", self.fade, 0.0, 2.0)
        if self.margin is not None:
            check_number("Text overlay", "margin", self.margin, 0.0, 0.25)
        if not isinstance(self.style, TextStyle):
            raise bad("Text overlay", "style", self.style, "a TextStyle")


@dataclass(frozen=True)
class LowerThird:
    """A speaker's name in the lower-left, on a box with an accent bar, sliding in."""

    name: str
    start: float
    seconds: float = 3.0
    style: TextStyle = LOWER_STYLE
    accent: str = "#FFB400"

    def __post_init__(self) -> None:
        check_text("Lower third", "name", self.name, MAX_NAME)
        check_number("Lower third", "start", self.start, 0.0)
        check_number("Lower third", "seconds", self.seconds, 0.0, above=True)
        check_colour("Lower third", "accent", self.accent)
        if not isinstance(self.style, TextStyle):
            raise bad("Lower third", "style", self.style, "a TextStyle")


@dataclass(frozen=True)
class TitleCard:
    """Centred text on a plain background, a clip of its own before the first scene."""

    text: str
    seconds: float = 3.0
    style: TextStyle = CARD_STYLE
    background: str = "#000000"

    def __post_init__(self) -> None:
        what = type(self).__name__.replace("Card", " card")
        check_text(what, "text", self.text)
        check_number(what, "seconds", self.seconds, 0.5, 30.0)
        check_colour(what, "background", self.background, alpha=False)
        if not isinstance(self.style, TextStyle):
            raise bad(what, "style", self.style, "a TextStyle")


@dataclass(frozen=True)
class EndCard(TitleCard):
    """Like a title card, after the last scene."""


# --- events --------------------------------------------------------------------------------

def _overlay_events(o: TextOverlay, size: tuple[int, int]) -> list[str]:
    w, h = size
    if o.margin is None:
        left, right, top, bottom = safe_margins(size)
    else:
        left = right = top = bottom = round(o.margin * min(w, h))
    px, lines = fit(o.text, o.style, size, w - left - right, h - top - bottom)
    pad = round(o.style.outline * px, 1)
    a = POSITIONS[o.position]
    col, row = (a - 1) % 3, (a - 1) // 3
    x = (left + pad, w / 2, w - right - pad)[col]
    y = (h - bottom - pad, h / 2, top + pad)[row]
    tags = f"{{\\an{a}\\pos({x:g},{y:g}){look_tags(o.style, px, pad)}{fade_tag(o.fade, o.seconds)}}}"
    return [ass_event(o.start, o.start + o.seconds, tags + "\\N".join(map(esc, lines)), o.style.box)]


def _lower_third_events(lt: LowerThird, size: tuple[int, int]) -> list[str]:
    w, h = size
    st = lt.style
    left = safe_margins(size)[0]
    name = " ".join(clean_text(lt.name).split())
    px = font_px(st, size)
    bar = max(3, round(0.14 * px))
    room = 0.6 * w - left - bar  # the name stays in the left part of the frame
    px = round(max(MIN_FONT_PX, min(px, room / max(1e-6, text_width(name, 1.0, st.bold) + 2 * st.outline))), 1)
    pad = round(st.outline * px, 1)
    y = round(h * (1 - ASPECTS[aspect_of(size)].lower))  # the name's bottom edge
    tx, slide, fad = left + bar + pad, round(0.05 * w), fade_tag(0.3, lt.seconds)
    move_ms = round(min(0.3, lt.seconds / 3) * 1000)
    c1, a1 = ass_colour(lt.accent)
    hb = round(px + 2 * pad, 1)
    text = (f"{{\\an1\\move({tx - slide:g},{y},{tx:g},{y},0,{move_ms}){look_tags(st, px, pad)}{fad}}}"
            + esc(name))
    drawing = (f"{{\\an1\\move({left - slide},{y + pad:g},{left},{y + pad:g},0,{move_ms})\\bord0\\shad0"
               f"\\1c{c1}\\1a{a1}{fad}\\p1}}m 0 0 l {bar} 0 {bar} {hb:g} 0 {hb:g}{{\\p0}}")
    end = lt.start + lt.seconds
    return [ass_event(lt.start, end, text, st.box), ass_event(lt.start, end, drawing, layer=1)]


def overlay_ass(items: Sequence[TextOverlay | LowerThird], size: tuple[int, int],
                path: str | os.PathLike) -> int:
    """Write the film's overlay ASS (PlayRes = frame size); return how many items it shows."""
    size = check_size(size)
    events: list[str] = []
    for item in items:
        if isinstance(item, TextOverlay):
            events += _overlay_events(item, size)
        elif isinstance(item, LowerThird):
            events += _lower_third_events(item, size)
        else:
            raise VidgenError(f"Overlays: cannot show a {type(item).__name__}; use TextOverlay or LowerThird.")
    Path(path).write_text(ass_document(size, events), encoding="utf-8", newline="\n")
    return len(items)


def lower_thirds(cues: Sequence[Cue], seconds: float = 3.0, style: TextStyle = LOWER_STYLE) -> list[LowerThird]:
    """One lower third per speaker at their first cue (film times), none for the narrator (no
    speaker); each ends where the next begins, so two never share the corner."""
    check_number("Lower thirds", "seconds", seconds, 0.0, above=True)
    seen: set[str] = set()
    firsts: list[tuple[float, str]] = []
    for c in sorted(cues, key=lambda c: c.start):
        name = " ".join((c.speaker or "").split())
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            firsts.append((max(0.0, c.start), name[:MAX_NAME]))
    out = []
    for i, (start, name) in enumerate(firsts):
        end = min(start + seconds, firsts[i + 1][0] if i + 1 < len(firsts) else math.inf)
        if end > start:
            out.append(LowerThird(name, start, round(end - start, 3), style))
    return out


def on_film(per_scene: Sequence[Sequence[TextOverlay]], starts: Sequence[float]) -> list[TextOverlay]:
    """Scene-relative overlays moved onto the film's timeline (`starts`: timeline.scene_starts)."""
    return [replace(o, start=round(start + o.start, 3)) for group, start in zip(per_scene, starts) for o in group]


# --- cards ---------------------------------------------------------------------------------

def card_ass(card: TitleCard, size: tuple[int, int], path: str | os.PathLike) -> None:
    """A card's ASS: its text centred in the safe area, fading in and out."""
    size = check_size(size)
    w, h = size
    left, right, top, bottom = safe_margins(size)
    px, lines = fit(card.text, card.style, size, w - left - right, h - top - bottom)
    pad = round(card.style.outline * px, 1)
    tags = (f"{{\\an5\\pos({(left + w - right) / 2:g},{(top + h - bottom) / 2:g}){look_tags(card.style, px, pad)}"
            f"{fade_tag(0.6, card.seconds)}}}")
    events = [ass_event(0, card.seconds, tags + "\\N".join(map(esc, lines)), card.style.box)]
    Path(path).write_text(ass_document(size, events), encoding="utf-8", newline="\n")


def card_clip(card: TitleCard, size: tuple[int, int], fps: int, path: str | os.PathLike, *,
              work_dir: str | os.PathLike, quality: str = "standard",
              cancel: Callable[[], None] | None = None) -> float:
    """Render a card as a silent MP4 clip of `card.seconds` at `size` and `fps`, to be joined like a
    scene. ffmpeg runs in `work_dir` (it gets asm-card.ass and asm-fonts). Returns the duration."""
    w, h = check_size(size)
    if isinstance(fps, bool) or not isinstance(fps, int) or not 1 <= fps <= 120:
        raise VidgenError(f"fps must be a whole number from 1 to 120, not {fps!r}.")
    if quality not in QUALITIES:
        raise VidgenError(f"Unknown quality {quality!r}: use one of {', '.join(QUALITIES)}.")
    if not isinstance(card, TitleCard):
        raise VidgenError(f"Cards: cannot render a {type(card).__name__}; use TitleCard or EndCard.")
    wd = Path(work_dir).resolve()
    wd.mkdir(parents=True, exist_ok=True)
    card_ass(card, (w, h), wd / CARD_ASS)
    link_fonts(wd)
    preset, crf = QUALITIES[quality]
    source = (f"color=c=0x{card.background[1:7]}:s={w}x{h}:r={fps}:d={num(card.seconds)},"
              f"ass={CARD_ASS}:fontsdir={FONTS},format=yuv420p")
    what = "the end card" if isinstance(card, EndCard) else "the title card"
    with media.atomic_output(path) as tmp:
        media.run_ffmpeg(["-f", "lavfi", "-i", source, "-an", "-c:v", "libx264", "-preset", preset, "-crf", str(crf),
                          "-pix_fmt", "yuv420p", "-r", str(fps), "-t", num(card.seconds), "-f", "mp4",
                          "-movflags", "+faststart", str(Path(tmp).resolve())],
                         duration=card.seconds, cwd=wd, cancel=cancel, what=what)
    return float(card.seconds)
