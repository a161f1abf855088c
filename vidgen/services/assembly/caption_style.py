"""Caption looks (presets plus overrides) and the files written from them: the burn-in ASS, SRT and
WebVTT sidecars. Sizes and safe margins follow the frame's aspect, because a 9:16 short is read
on a phone under the app's buttons while a 16:9 film carries small subtitles. Timing: caption_words.py.

libass reads `{...}` as override tags and `\\N`, `\\n`, `\\h`, `\\{`, `\\}` as escapes; any other
backslash is a glyph. Text is escaped by subtitles._ass_text (measured in tests/test_caption_style.py)."""

from __future__ import annotations

import functools
import math
import os
import re
import shutil
from dataclasses import dataclass, fields, replace
from pathlib import Path

from ...assets import FONT_BOLD, FONT_FAMILY, FONT_REGULAR, FONTS_DIR
from ...domain import Cue
from ...errors import VidgenError
from .caption_words import Page, pages
from .subtitles import _WJ, _ass_text, _srt

MODES = ("lines", "karaoke", "words")  # whole pages; pages with the spoken word lit; a few words at a time
POSITIONS = ("bottom", "middle", "top")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?")
CUSTOM_FONT_NAME = "caption-font"  # the fixed name a chosen font gets in the fonts dir


@dataclass(frozen=True)
class Aspect:
    """Per frame shape: font scale on `size`, and safe margins as fractions of width / height."""

    scale: float
    side: float
    top: float
    bottom: float


# 9:16 keeps clear of the short-form apps' bottom band (caption, buttons) and top tabs.
ASPECTS = {"landscape": Aspect(1.0, 0.05, 0.06, 0.07),
           "square": Aspect(0.9, 0.06, 0.08, 0.09),
           "portrait": Aspect(0.8, 0.08, 0.12, 0.22)}


def aspect_of(size: tuple[int, int]) -> str:
    r = size[0] / size[1]
    return "landscape" if r >= 1.2 else "portrait" if r <= 0.8 else "square"


def safe_margins(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) in pixels that captions keep clear of."""
    w, h = size
    a = ASPECTS[aspect_of(size)]
    return round(a.side * w), round(a.side * w), round(a.top * h), round(a.bottom * h)


@dataclass(frozen=True)
class CaptionStyle:
    """How captions look. Colours are #RRGGBB or #RRGGBBAA (AA: FF opaque); widths are fractions
    of the font size; `size` is the font height over the frame height at 16:9 (ASPECTS scale it)."""

    preset: str = "clean"
    mode: str = "lines"
    font: str = ""  # "" is the bundled DejaVu Sans; else a .ttf/.otf file
    bold: bool = False
    size: float = 0.055
    primary: str = "#FFFFFF"
    highlight: str = "#FFD400"  # the spoken word (karaoke, words)
    outline_colour: str = "#000000"
    shadow_colour: str = "#00000090"
    box_colour: str = "#000000B0"
    box: bool = False  # text on a box of box_colour (ASS BorderStyle 3; `outline` is its padding)
    outline: float = 0.05
    shadow: float = 0.06
    blur: float = 0.0  # softens outline and shadow edges
    position: str = "bottom"
    max_chars: int = 42  # per line; fewer where the font size leaves less room
    max_lines: int = 2  # per caption; longer cues are cut into several
    max_words: int = 0  # per caption, 0: no limit

    def __post_init__(self) -> None:
        def bad(name: str, want: str) -> VidgenError:
            return VidgenError(f"Caption style: {name} must be {want}, not {str(getattr(self, name))[:40]!r}.")

        if self.preset not in PRESETS:
            raise bad("preset", "one of " + ", ".join(PRESETS))
        for name, choices in (("mode", MODES), ("position", POSITIONS)):
            if getattr(self, name) not in choices:
                raise bad(name, "one of " + ", ".join(choices))
        if not isinstance(self.font, str) or (self.font and Path(self.font).suffix.lower() not in (".ttf", ".otf")):
            raise bad("font", "empty (the bundled font) or a .ttf/.otf file")
        for name in ("primary", "highlight", "outline_colour", "shadow_colour", "box_colour"):
            if not isinstance(getattr(self, name), str) or not _COLOUR.fullmatch(getattr(self, name)):
                raise bad(name, "a colour like #RRGGBB or #RRGGBBAA")
        for name, lo, hi in (("size", 0.02, 0.25), ("outline", 0.0, 0.5), ("shadow", 0.0, 0.5), ("blur", 0.0, 0.5)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
                raise bad(name, f"a number from {lo:g} to {hi:g}")
        for name, lo, hi in (("max_chars", 8, 80), ("max_lines", 1, 4), ("max_words", 0, 8)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise bad(name, f"a whole number from {lo} to {hi}")
        for name in ("bold", "box"):
            if not isinstance(getattr(self, name), bool):
                raise bad(name, "true or false")


PRESETS: dict[str, dict] = {
    "clean": {},
    "boxed": {"box": True, "outline": 0.22, "shadow": 0.0},
    "outline": {"bold": True, "outline": 0.12, "shadow": 0.0},
    "karaoke": {"mode": "karaoke", "bold": True, "outline": 0.08, "shadow": 0.03},
    "words": {"mode": "words", "bold": True, "size": 0.085, "outline": 0.12, "shadow": 0.0,
              "position": "middle", "max_words": 3},
}


def caption_style(preset: str = "clean", **overrides) -> CaptionStyle:
    """A preset with some fields changed, checked."""
    if preset not in PRESETS:
        raise VidgenError(f"Unknown caption style {str(preset)[:40]!r}: use one of {', '.join(PRESETS)}.")
    names = {f.name for f in fields(CaptionStyle)} - {"preset"}
    for k in overrides:
        if k not in names:
            raise VidgenError(f"Caption style has no field {k!r}: use {', '.join(sorted(names))}.")
    return replace(CaptionStyle(preset=preset), **{**PRESETS[preset], **overrides})


# --- fonts ---------------------------------------------------------------------------------

_SAMPLE = "The quick brown fox jumps over the lazy dog, said Ada: 'Yes!'"


def _font_file(style: CaptionStyle) -> Path:
    if not style.font:
        return FONT_BOLD if style.bold else FONT_REGULAR
    p = Path(style.font)
    if not p.is_file():
        raise VidgenError(f"Caption style: the font file {p.name} does not exist.")
    return p


@functools.lru_cache(maxsize=16)
def _font_facts(path: str) -> tuple[str, float]:
    """(family, advance per libass size unit): libass sizes by ascent+descent, not the em."""
    from PIL import ImageFont

    try:
        ft = ImageFont.truetype(path, 1000)
    except OSError:
        raise VidgenError(f"Caption style: {Path(path).name} is not a font file libass can read.") from None
    ascent, descent = ft.getmetrics()
    return ft.getname()[0], ft.getlength(_SAMPLE) / len(_SAMPLE) / max(1, ascent + descent)


def font_family(style: CaptionStyle) -> str:
    if not style.font:
        return FONT_FAMILY
    family = _font_facts(str(_font_file(style)))[0]
    if not family or "," in family or any(ord(c) < 32 for c in family):
        raise VidgenError(f"Caption style: the font {Path(style.font).name} has no usable family name.")
    return family


def install_font(style: CaptionStyle, fonts_dir: str | os.PathLike) -> str:
    """Make `fonts_dir` hold the bundled fonts and the style's font (as caption-font.ttf/.otf);
    return the family name the ASS must ask for."""
    dest = Path(fonts_dir)
    if not style.font:
        if not dest.is_dir():
            if dest.is_symlink():
                dest.unlink()
            try:
                dest.symlink_to(FONTS_DIR, target_is_directory=True)
            except OSError:
                shutil.copytree(FONTS_DIR, dest)
        return FONT_FAMILY
    family = font_family(style)
    if dest.is_symlink():
        dest.unlink()  # a link to the package's fonts: never write into those
    elif dest.exists() and dest.resolve() == FONTS_DIR.resolve():
        raise VidgenError("Captions need a fonts folder of their own, not the package's fonts.")
    dest.mkdir(parents=True, exist_ok=True)
    for f in (FONT_REGULAR, FONT_BOLD):
        if not (dest / f.name).exists():
            shutil.copyfile(f, dest / f.name)
    src = _font_file(style)
    for old in dest.glob(CUSTOM_FONT_NAME + ".*"):
        old.unlink()
    shutil.copyfile(src, dest / (CUSTOM_FONT_NAME + src.suffix.lower()))
    return family


# --- layout --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Metrics:
    """A style at one frame size, in pixels."""

    font_size: float
    line_chars: int
    outline: float
    shadow: float
    blur: float
    margins: tuple[int, int, int, int]  # left, right, top, bottom


def metrics(style: CaptionStyle, size: tuple[int, int]) -> Metrics:
    """Font size from the frame height and aspect; the line length that fits the safe width
    (but at least 10 characters: the font shrinks for that)."""
    w, h = size
    left, right, top, bottom = safe_margins(size)
    advance = _font_facts(str(_font_file(style)))[1] * (1.05 if style.bold and style.font else 1.0)
    width = 0.95 * (w - left - right)  # a little slack for the estimate
    fs = min(style.size * h * ASPECTS[aspect_of(size)].scale, width / (10 * advance + 2 * style.outline))
    chars = max(1, min(style.max_chars, math.floor((width - 2 * style.outline * fs) / (advance * fs))))
    return Metrics(round(fs, 1), chars, round(style.outline * fs, 1), round(style.shadow * fs, 1),
                   round(style.blur * fs, 1), (left, right, top, bottom))


def caption_pages(cues: list[Cue], words: list | None, style: CaptionStyle, size: tuple[int, int]) -> list[Page]:
    m = metrics(style, size)
    return pages(cues, words, m.line_chars, style.max_lines, style.max_words if style.mode == "words" else 0)


def caption_cues(cues: list[Cue], words: list | None, style: CaptionStyle, size: tuple[int, int]) -> list[Cue]:
    """The captions as shown (cut and wrapped), for the sidecars: lines joined by newlines."""
    return [Cue(p.start, p.end, p.text, p.speaker) for p in caption_pages(cues, words, style, size)]


# --- ASS -----------------------------------------------------------------------------------

def _colour(hex_colour: str):
    import pysubs2

    v = hex_colour.lstrip("#")
    alpha = 255 - int(v[6:8], 16) if len(v) == 8 else 0  # ASS alpha: 0 is opaque
    return pysubs2.Color(int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16), alpha)


def _tag(hex_colour: str) -> str:
    c = _colour(hex_colour)
    return f"{{\\1c&H{c.b:02X}{c.g:02X}{c.r:02X}&\\1a&H{c.a:02X}&}}"


def _esc(fragment: str) -> str:
    """Literal text; a trailing backslash gets a word joiner so a following `{` stays a tag."""
    s = _ass_text(fragment)
    return s + _WJ if s.endswith("\\") else s


def _text(page: Page, lit: int | None, style: CaptionStyle) -> str:
    on, off = _tag(style.highlight), _tag(style.primary)
    lines = [" ".join(on + _esc(t) + off if i == lit else _esc(t) for i, t in line) for line in page.lines]
    return "\\N".join(lines)


def _segments(page: Page) -> list[tuple[float, float, int | None]]:
    """(start, end, lit word): each word lit from its start until the next word's start."""
    out: list[tuple[float, float, int | None]] = []
    marks = [(page.start, None)] + [(max(w.start, page.start), i) for i, w in enumerate(page.words)] + [(page.end, -1)]
    for (a, lit), (b, _) in zip(marks, marks[1:]):
        if b > a:
            out.append((a, min(b, page.end), lit))
    return out


def _cs(t: float) -> int:
    return round(t * 100) * 10  # whole centiseconds (ASS), in ms


def write_ass(cues: list[Cue], words: list | None, style: CaptionStyle, size: tuple[int, int],
              path: str | os.PathLike, *, fonts_dir: str | os.PathLike | None = None) -> list[Page]:
    """Write the burn-in ASS at `size` (PlayRes = frame) and put its font in `fonts_dir` (default:
    asm-fonts beside `path`, the name the assembler's filter graph uses). Returns the pages shown."""
    return write_ass_parts([(cues, words, style)], size, path, fonts_dir=fonts_dir)


def _ass_style(style: CaptionStyle, family: str, m: Metrics):
    import pysubs2

    left, right, top, bottom = m.margins
    align = {"bottom": pysubs2.Alignment.BOTTOM_CENTER, "middle": pysubs2.Alignment.MIDDLE_CENTER,
             "top": pysubs2.Alignment.TOP_CENTER}[style.position]
    return pysubs2.SSAStyle(
        fontname=family, fontsize=m.font_size, bold=style.bold,
        primarycolor=_colour(style.primary), secondarycolor=_colour(style.primary),
        outlinecolor=_colour(style.box_colour if style.box else style.outline_colour),
        backcolor=_colour(style.shadow_colour), borderstyle=3 if style.box else 1,
        outline=m.outline, shadow=m.shadow, alignment=align,
        marginl=left, marginr=right, marginv=bottom if style.position == "bottom" else top)


def write_ass_parts(parts: list[tuple[list[Cue], list | None, CaptionStyle]], size: tuple[int, int],
                    path: str | os.PathLike, *, fonts_dir: str | os.PathLike | None = None) -> list[Page]:
    """One ASS for captions in several styles (a scene's own style beside the film's): each part's
    cues and words in its style, one ASS style per distinct look. All parts share one custom font
    (the project's; a scene changes the preset, not the font)."""
    import pysubs2

    w, h = size
    fonts = {st.font for _, _, st in parts if st.font}
    if len(fonts) > 1:
        raise VidgenError("Captions take one font file for the whole film: give the scenes the project's font.")
    first = next((st for _, _, st in parts if st.font), parts[0][2] if parts else CaptionStyle())
    install_font(first, fonts_dir if fonts_dir is not None else Path(path).parent / "asm-fonts")
    ass = pysubs2.SSAFile()
    # YCbCr Matrix None: colours as written whatever the frames' format (without it, libass in
    # ffmpeg squeezes them into TV range on RGB frames: white 235, black 16).
    ass.info.update({"PlayResX": str(w), "PlayResY": str(h), "WrapStyle": "0", "ScaledBorderAndShadow": "yes",
                     "YCbCr Matrix": "None"})
    ass.styles = {}
    names: dict[CaptionStyle, str] = {}
    shown_all: list[Page] = []
    for cues, words, style in parts:
        m = metrics(style, size)
        if style not in names:
            names[style] = "Default" if not names else f"Style{len(names) + 1}"
            ass.styles[names[style]] = _ass_style(style, font_family(style), m)
        prefix = f"{{\\blur{m.blur:g}}}" if m.blur else ""
        shown = caption_pages(cues, words, style, size)
        highlight = style.mode == "karaoke" or (style.mode == "words" and style.highlight != style.primary)
        for page in shown:
            segs = _segments(page) if highlight and len(page.words) > 1 else [(page.start, page.end, None)]
            for a, b, lit in segs:
                if _cs(b) > _cs(a):
                    ass.append(pysubs2.SSAEvent(start=_cs(a), end=_cs(b), style=names[style],
                                                text=prefix + _text(page, lit, style)))
        shown_all += shown
    if not ass.styles:
        ass.styles["Default"] = _ass_style(first, font_family(first), metrics(first, size))
    ass.save(str(path), format_="ass")
    return sorted(shown_all, key=lambda p: p.start)


# --- sidecars ------------------------------------------------------------------------------

def write_srt(cues: list[Cue], path: str | os.PathLike) -> None:
    """SRT with the text exactly as given (subtitles._srt; pysubs2 would read `{\\i1}` as a tag)."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(_srt(cues))


def _vtt_time(t: float) -> str:
    ms = round(t * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def write_vtt(cues: list[Cue], path: str | os.PathLike) -> None:
    """WebVTT: `&`, `<`, `>` escaped (so `-->` and tags show as written), blank lines closed up."""
    blocks = ["WEBVTT\n"]
    for c in cues:
        lines = [ln for ln in c.text.replace("\r", "").split("\n") if ln.strip()]
        text = "\n".join(ln.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for ln in lines)
        blocks.append(f"{_vtt_time(c.start)} --> {_vtt_time(c.end)}\n{text}\n")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(blocks))
