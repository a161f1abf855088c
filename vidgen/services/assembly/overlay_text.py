"""Text drawn by libass for overlays and cards: styles, safe margins per aspect, wrapping by the
bundled font's real advances, and the ASS file they are written into.

libass reads `{...}` as tags and `\\N`, `\\n`, `\\h`, `\\{`, `\\}` as escapes; text is made literal by
subtitles._ass_text, so what the script says is what shows.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from ...assets import FONT_BOLD, FONT_FAMILY, FONT_REGULAR
from ...errors import VidgenError
from .caption_style import aspect_of
from .subtitles import _WJ, _ass_text

# ASS alignment is the numpad: 1 bottom-left ... 9 top-right.
POSITIONS = {"bottom-left": 1, "bottom": 2, "bottom-right": 3, "left": 4, "center": 5, "right": 6,
             "top-left": 7, "top": 8, "top-right": 9}
MAX_TEXT = 500  # characters of one card or overlay
MAX_NAME = 60
MIN_FONT_PX = 8
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?")


@dataclass(frozen=True)
class Aspect:
    """Font scale and where a lower third sits, per frame shape (the safe margins are the captions':
    caption_style.safe_margins)."""

    scale: float
    lower: float  # a lower third's bottom edge above the frame's bottom, over the height (clear of subtitles)


ASPECTS = {"landscape": Aspect(1.0, 0.22), "square": Aspect(0.9, 0.24), "portrait": Aspect(0.7, 0.31)}


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in size)
        ok = (w, h) == tuple(size) and w > 0 and h > 0 and not (w % 2 or h % 2)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise VidgenError(f"size must be two positive even whole numbers (width, height), not {size!r}.")
    return w, h


# --- validation ----------------------------------------------------------------------------

def bad(what: str, name: str, value: object, want: str) -> VidgenError:
    return VidgenError(f"{what}: {name} must be {want}, not {str(value)[:40]!r}.")


def check_number(what: str, name: str, value: object, lo: float, hi: float = math.inf, *,
                 above: bool = False) -> None:
    """`value` in [lo, hi] (or (lo, hi] with `above`), else a one-line error naming the field."""
    ok = (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
          and (value > lo if above else value >= lo) and value <= hi)
    if not ok:
        low = f"more than {lo:g}" if above else f"at least {lo:g}"
        raise bad(what, name, value, f"a number {low}" + (f" and at most {hi:g}" if hi < math.inf else ""))


def check_text(what: str, name: str, value: object, limit: int = MAX_TEXT) -> None:
    if not isinstance(value, str) or not value.strip():
        raise VidgenError(f"{what}: {name} is empty: give some text.")
    if len(value) > limit:
        raise VidgenError(f"{what}: {name} has {len(value)} characters: keep it to {limit}.")


def check_colour(what: str, name: str, value: object, alpha: bool = True) -> None:
    m = _COLOUR.fullmatch(value) if isinstance(value, str) else None
    if m is None or (m.group(1) and not alpha):
        raise bad(what, name, value, "a colour like #RRGGBB" + (" or #RRGGBBAA" if alpha else ""))


@dataclass(frozen=True)
class TextStyle:
    """How overlay text looks. `size`: font height over the frame height at 16:9 (ASPECTS scale it
    for other shapes); colours #RRGGBB or #RRGGBBAA (AA: FF opaque); `outline`: the edge width, or
    with `box` the box's padding, over the font size; `outline_colour` is the box's colour too."""

    size: float = 0.05
    colour: str = "#FFFFFF"
    outline: float = 0.06
    outline_colour: str = "#000000"
    box: bool = False
    bold: bool = True

    def __post_init__(self) -> None:
        check_number("Text style", "size", self.size, 0.02, 0.25)
        check_number("Text style", "outline", self.outline, 0.0, 0.5)
        check_colour("Text style", "colour", self.colour)
        check_colour("Text style", "outline_colour", self.outline_colour)
        for name in ("box", "bold"):
            if not isinstance(getattr(self, name), bool):
                raise bad("Text style", name, getattr(self, name), "true or false")


OVERLAY_STYLE = TextStyle()
CARD_STYLE = TextStyle(size=0.075, outline=0.0)
LOWER_STYLE = TextStyle(size=0.045, outline=0.3, outline_colour="#000000B4", box=True)


# --- text layout ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=2)
def _font(bold: bool):
    """(PIL font at size 1000, its ascent + descent): libass sizes a font by that height."""
    from PIL import ImageFont

    ft = ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), 1000)
    ascent, descent = ft.getmetrics()
    return ft, ascent + descent


def text_width(text: str, font_px: float, bold: bool) -> float:
    """Advance width in pixels of `text` drawn by libass at font size `font_px` (bundled font)."""
    ft, unit = _font(bold)
    return ft.getlength(text) * font_px / unit


def font_px(style: TextStyle, size: tuple[int, int]) -> float:
    return max(MIN_FONT_PX, style.size * size[1] * ASPECTS[aspect_of(size)].scale)


def clean_text(text: str) -> str:
    return "".join(" " if ord(c) < 32 and c != "\n" else c for c in text.replace("\r\n", "\n")).strip()


def wrap(text: str, px: float, bold: bool, width: float) -> list[str]:
    """Lines of at most `width` pixels: newlines kept, words wrapped, over-long words split."""
    lines: list[str] = []
    for para in clean_text(text).split("\n"):
        cur = ""
        for word in para.split():
            while len(word) > 1 and text_width(word, px, bold) > width:
                k, hi = 1, len(word)  # the longest prefix that fits (at least one character)
                while k < hi:
                    mid = (k + hi + 1) // 2
                    k, hi = (mid, hi) if text_width(word[:mid], px, bold) <= width else (k, mid - 1)
                if cur:
                    lines.append(cur)
                    cur = ""
                lines.append(word[:k])
                word = word[k:]
            joined = f"{cur} {word}" if cur else word
            if not cur or text_width(joined, px, bold) <= width:
                cur = joined
            else:
                lines.append(cur)
                cur = word
        lines.append(cur)
    return lines


def esc(line: str) -> str:
    """Literal ASS text; a trailing backslash gets a word joiner so nothing after it reads as an escape."""
    s = _ass_text(line)
    return s + _WJ if s.endswith("\\") else s


def fit(text: str, style: TextStyle, size: tuple[int, int], width: float, height: float) -> tuple[float, list[str]]:
    """(font px, lines): the style's size, smaller while the wrapped lines overflow `height`."""
    px = font_px(style, size)
    while True:
        pad = style.outline * px
        lines = wrap(text, px, style.bold, width - 2 * pad)
        if len(lines) * px + 2 * pad <= height or px <= MIN_FONT_PX:
            return round(px, 1), lines
        px = max(MIN_FONT_PX, px * 0.9)


# --- ASS -----------------------------------------------------------------------------------

def ass_colour(colour: str) -> tuple[str, str]:
    """(&HBBGGRR&, &HAA&) tags' values; ASS alpha 00 is opaque."""
    v = colour.lstrip("#")
    alpha = 255 - int(v[6:8], 16) if len(v) == 8 else 0
    return f"&H{v[4:6]}{v[2:4]}{v[0:2]}&".upper(), f"&H{alpha:02X}&"


def look_tags(style: TextStyle, px: float, pad: float) -> str:
    c1, a1 = ass_colour(style.colour)
    c3, a3 = ass_colour(style.outline_colour)
    return f"\\fs{px:g}\\b{int(style.bold)}\\bord{pad:g}\\shad0\\1c{c1}\\1a{a1}\\3c{c3}\\3a{a3}"


def ass_time(seconds: float) -> str:
    cs = max(0, round(seconds * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def ass_event(start: float, end: float, text: str, boxed: bool = False, layer: int = 0) -> str:
    return f"Dialogue: {layer},{ass_time(start)},{ass_time(end)},{'Boxed' if boxed else 'Plain'},,0,0,0,,{text}"


def ass_document(size: tuple[int, int], events: list[str]) -> str:
    """The whole file. YCbCr Matrix None: colours as written (else libass squeezes them into TV
    range on RGB frames); WrapStyle 2: only our \\N break lines (wrapping is done here)."""
    w, h = size
    style = (f"{FONT_FAMILY},20,&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,"
             "{border},0,0,7,0,0,0,1")
    return "\n".join([
        "[Script Info]", "ScriptType: v4.00+", f"PlayResX: {w}", f"PlayResY: {h}", "WrapStyle: 2",
        "ScaledBorderAndShadow: yes", "YCbCr Matrix: None", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
        "Alignment, MarginL, MarginR, MarginV, Encoding",
        "Style: Plain," + style.format(border=1), "Style: Boxed," + style.format(border=3), "",
        "[Events]", "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        *events, ""])


def fade_tag(seconds: float, window: float) -> str:
    ms = round(min(seconds, window / 3) * 1000)
    return f"\\fad({ms},{ms})" if ms > 0 else ""
