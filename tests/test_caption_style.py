"""Caption styles and word-timed captions: the ASS is burnt with the bundled ffmpeg/libass over a
solid background and the frames are measured (where the text sits, how big, box, lit word,
words at a time, literal text); word timing, cue cutting and the sidecars are checked as data."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from vidgen import media
from vidgen.assets import FONT_BOLD, FONT_REGULAR, FONTS_DIR
from vidgen.domain import Cue
from vidgen.errors import VidgenError
from vidgen.services.assembly.caption_style import (CaptionStyle, caption_cues, caption_pages, caption_style,
                                                    metrics, safe_margins, write_ass, write_srt, write_vtt)
from vidgen.services.assembly.caption_words import (Word, cue_words, estimate_words, pages, words_json,
                                                    write_words_json)

BG = (32, 64, 96)
FPS = 10
SERIF = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")  # only where the system has it


@pytest.fixture(autouse=True)
def only_bundled_fonts(tmp_path, monkeypatch):
    """No system fonts visible to libass: the fonts dir must carry the text."""
    (tmp_path / "fc").mkdir()
    (tmp_path / "fonts.conf").write_text(
        f"<?xml version='1.0'?><fontconfig><cachedir>{tmp_path / 'fc'}</cachedir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(tmp_path / "fonts.conf"))


def burn(wd: Path, cues, style, size, seconds, words=None, extra: str = ""):
    """Burn the captions over a solid 10 fps clip (work folder as cwd, fixed names in the graph);
    return frame_at(t) and the ASS text. `extra`: raw Dialogue lines appended to the ASS."""
    wd.mkdir(exist_ok=True)
    write_ass(cues, words, style, size, wd / "asm-subs.ass")
    if extra:
        with open(wd / "asm-subs.ass", "a", encoding="utf-8") as f:
            f.write(extra)
    w, h = size
    media.run_ffmpeg(["-f", "lavfi", "-i", f"color=c=0x{BG[0]:02x}{BG[1]:02x}{BG[2]:02x}:s={w}x{h}:r={FPS}:d={seconds}",
                      "-vf", "format=rgb24,ass=asm-subs.ass:fontsdir=asm-fonts", "-c:v", "ffv1", "-pix_fmt", "bgr0",
                      "out.mkv"], cwd=wd, what="the caption test")
    import av

    frames = {}
    with av.open(str(wd / "out.mkv")) as c:
        for fr in c.decode(video=0):
            frames[round(fr.time * FPS)] = fr.to_ndarray(format="rgb24").astype(int)
    return (lambda t: frames[round(t * FPS)]), (wd / "asm-subs.ass").read_text(encoding="utf-8")


def ink(frame, region=None):
    """Pixels clearly not background."""
    mask = np.abs(frame - np.array(BG)).max(axis=2) > 48
    return mask if region is None else mask & region


def bbox(mask):
    ys, xs = np.nonzero(mask)
    assert len(ys), "no text rendered"
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def pil_width(text: str, font_size: float, path=FONT_REGULAR) -> int:
    """Ink width of `text` drawn by FreeType (PIL) at a libass font size (libass sizes a font by
    ascent+descent, not the em), thresholded as `ink` would see white on BG."""
    from PIL import Image, ImageDraw, ImageFont

    a, d = ImageFont.truetype(str(path), 1000).getmetrics()
    font = ImageFont.truetype(str(path), font_size * 1000 / (a + d))
    img = Image.new("L", (round(font_size * len(text)) + 40, round(3 * font_size)))
    ImageDraw.Draw(img).text((20, font_size), text, font=font, fill=255)
    x0, _, x1, _ = img.point(lambda v: 255 if v > 48 * 255 / (255 - min(BG)) else 0).getbbox()
    return x1 - 1 - x0


def yellow(frame):
    return (frame[..., 0] > 200) & (frame[..., 1] > 170) & (frame[..., 2] < 90)


# --- styles as data -------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, field", [
    ({"size": 0.5}, "size"), ({"primary": "red"}, "primary"), ({"box_colour": "#12345"}, "box_colour"),
    ({"position": "left"}, "position"), ({"max_lines": 0}, "max_lines"), ({"max_chars": 4.5}, "max_chars"),
    ({"font": "face.png"}, "font"), ({"outline": -1}, "outline"), ({"bold": "yes"}, "bold"),
    ({"mode": "scroll"}, "mode"), ({"colour": "#FFFFFF"}, "colour"),
])
def test_bad_style_values_give_one_line_errors(overrides, field):
    with pytest.raises(VidgenError) as e:
        caption_style("clean", **overrides)
    assert field in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(VidgenError, match="Unknown caption style"):
        caption_style("neon")
    with pytest.raises(VidgenError, match="preset"):
        CaptionStyle(preset="neon")


def test_presets_write_their_ass_styles(tmp_path):
    import pysubs2

    cue = [Cue(0.0, 2.0, "one two three four five six seven")]
    seen = {}
    for name in ("clean", "boxed", "outline", "karaoke", "words"):
        style = caption_style(name)
        write_ass(cue, None, style, (640, 360), tmp_path / f"{name}.ass")
        subs = pysubs2.load(str(tmp_path / f"{name}.ass"))
        assert subs.info["PlayResX"] == "640" and subs.info["PlayResY"] == "360"
        seen[name] = (subs.styles["Default"], subs.events)
    clean, boxed, outline = seen["clean"][0], seen["boxed"][0], seen["outline"][0]
    assert clean.borderstyle == 1 and 0 < clean.outline < 0.08 * clean.fontsize and clean.shadow > 0
    assert boxed.borderstyle == 3 and boxed.outlinecolor.a > 0  # a semi-opaque box, padded
    assert outline.bold and outline.outline >= 0.1 * outline.fontsize and outline.shadow == 0
    assert seen["karaoke"][0].alignment == pysubs2.Alignment.BOTTOM_CENTER
    assert len(seen["karaoke"][1]) == 7 and all("\\1c&H00D4FF&" in e.text for e in seen["karaoke"][1])
    words, events = seen["words"]
    assert words.alignment == pysubs2.Alignment.MIDDLE_CENTER and words.fontsize > 1.4 * clean.fontsize
    shown = {e.plaintext.replace("\n", " ") for e in events}
    assert " ".join(sorted(shown, key=lambda s: cue[0].text.index(s))) == cue[0].text
    assert all(len(s.split()) <= 3 for s in shown)


def test_sizes_and_line_lengths_follow_the_aspect():
    clean = caption_style("clean")
    wide, tall, square = (metrics(clean, s) for s in [(1920, 1080), (1080, 1920), (1080, 1080)])
    assert tall.font_size / 1080 > 2 * wide.font_size / 1920  # short-form text is big
    assert tall.line_chars < square.line_chars < wide.line_chars == 42
    left, right, top, bottom = safe_margins((1080, 1920))
    assert bottom >= 0.2 * 1920 and top >= 0.1 * 1920  # clear of the apps' bottom band and top tabs


# --- word timing and cutting ------------------------------------------------------------------

def test_estimated_words_lie_inside_the_cue_in_order():
    cue = Cue(2.0, 5.0, "A tiny extraordinarily long-winded sentence.")
    ws = estimate_words(cue)
    assert [w.word for w in ws] == cue.text.split() and all(w.estimated for w in ws)
    assert ws[0].start == pytest.approx(2.0) and ws[-1].end == pytest.approx(5.0)
    for a, b in zip(ws, ws[1:]):
        assert cue.start <= a.start < a.end <= b.start < b.end <= cue.end
    durs = [w.end - w.start for w in ws]
    assert durs[2] > durs[1] > durs[0]  # longer words take longer
    assert durs[2] / durs[0] == pytest.approx((len("extraordinarily") + 2) / (1 + 2), rel=0.02)


def test_given_words_are_checked_and_clamped():
    cues = [Cue(1.0, 3.0, "hello  there"), Cue(3.0, 4.0, "estimated here")]
    ws = cue_words(cues, [[(0.9, 1.5, "hello"), Word(1.6, 3.4, "there")], None])
    assert ws[0] == [Word(1.0, 1.5, "hello"), Word(1.6, 3.0, "there")] and ws[1][0].estimated
    with pytest.raises(VidgenError, match="spell"):
        cue_words(cues[:1], [[(1.0, 2.0, "hello"), (2.0, 3.0, "world")]])
    with pytest.raises(VidgenError, match="backwards"):
        cue_words(cues[:1], [[(2.0, 2.5, "hello"), (1.2, 1.5, "there")]])
    with pytest.raises(VidgenError, match="one per cue"):
        cue_words(cues, [None])
    data = words_json(cues, [[(1.0, 1.5, "hello"), (1.6, 2.9, "there")], None])
    assert [d["word"] for d in data["words"]] == ["hello", "there", "estimated", "here"]
    assert [d["estimated"] for d in data["words"]] == [False, False, True, True]
    assert set(data["words"][0]) == {"start", "end", "word", "estimated"}


def test_cues_are_cut_to_max_chars_and_lines():
    text = ("Every caption keeps to its line length and its line count, so a long cue becomes several "
            "captions shown one after another, and a Pneumonoultramicroscopicsilicovolcanoconiosis word is cut.")
    cue = Cue(10.0, 20.0, text)
    for max_chars, max_lines in [(20, 1), (20, 2), (32, 3)]:
        shown = pages([cue], None, max_chars, max_lines)
        assert len(shown) >= (len(text) + 1) / (max_chars * max_lines + 1)
        for p in shown:
            lines = p.text.split("\n")
            assert len(lines) <= max_lines and all(len(ln) <= max_chars for ln in lines)
        assert "".join(w.word for p in shown for w in p.words) == text.replace(" ", "")
        assert shown[0].start == 10.0 and shown[-1].end == 20.0
        for a, b in zip(shown, shown[1:]):
            assert a.start < a.end == b.start  # back to back, in order
    style = caption_style("clean", max_chars=24, max_lines=1)
    sized = caption_cues([cue], None, style, (1280, 720))
    assert all(len(c.text) <= 24 and "\n" not in c.text for c in sized)


def test_sidecars_keep_text_literal(tmp_path):
    cues = [Cue(0.5, 1.5, "{\\i1}<b>a</b> & --> b"), Cue(61.25, 3723.5, "two\nlines\n\nhere")]
    write_srt(cues, tmp_path / "c.srt")
    write_vtt(cues, tmp_path / "c.vtt")
    srt = (tmp_path / "c.srt").read_text(encoding="utf-8")
    assert "00:00:00,500 --> 00:00:01,500\n{\\i1}<b>a</b> & --> b\n" in srt and "01:02:03,500" in srt
    vtt = (tmp_path / "c.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n") and "00:01:01.250 --> 01:02:03.500\ntwo\nlines\nhere\n" in vtt
    assert "{\\i1}&lt;b&gt;a&lt;/b&gt; &amp; --&gt; b" in vtt
    write_words_json(cues[:1], None, tmp_path / "w.json")
    data = json.loads((tmp_path / "w.json").read_text(encoding="utf-8"))
    assert [d["word"] for d in data["words"]] == cues[0].text.split()


def test_a_chosen_font_is_installed_under_a_fixed_name(tmp_path):
    lib = tmp_path / "assets" / "fonts"
    lib.mkdir(parents=True)
    shutil.copyfile(FONT_REGULAR, lib / "My Font (v2)'; x.ttf")
    wd = tmp_path / "wd"
    wd.mkdir()
    (wd / "asm-fonts").symlink_to(FONTS_DIR, target_is_directory=True)  # as the assembler links it
    style = caption_style("clean", font=str(lib / "My Font (v2)'; x.ttf"))
    write_ass([Cue(0, 1, "hi")], None, style, (640, 360), wd / "asm-subs.ass")
    assert not (wd / "asm-fonts").is_symlink() and (wd / "asm-fonts" / "caption-font.ttf").is_file()
    assert not list(FONTS_DIR.glob("caption-font*"))  # the package's folder untouched
    assert "Style: Default,DejaVu Sans," in (wd / "asm-subs.ass").read_text(encoding="utf-8")
    with pytest.raises(VidgenError, match="does not exist"):
        write_ass([Cue(0, 1, "hi")], None, replace(style, font=str(lib / "gone.ttf")), (640, 360), wd / "x.ass")


@pytest.mark.skipif(not SERIF.is_file(), reason="no second font family on this system")
def test_a_chosen_font_family_renders(tmp_path):
    shutil.copyfile(SERIF, tmp_path / "serif.ttf")
    cue = [Cue(0, 1, "Serif Wording")]
    style = caption_style("clean", font=str(tmp_path / "serif.ttf"), outline=0.0, shadow=0.0)
    frame_at, ass = burn(tmp_path / "serif", cue, style, (640, 360), 1)
    sans_at, _ = burn(tmp_path / "sans", cue, replace(style, font=""), (640, 360), 1)
    assert "Style: Default,DejaVu Serif," in ass
    serif, sans = ink(frame_at(0.5)), ink(sans_at(0.5))
    assert (serif & sans).sum() < 0.6 * (serif | sans).sum()  # other glyphs, not the fallback


# --- burnt frames ----------------------------------------------------------------------------

@pytest.mark.parametrize("size, position", [((640, 360), "bottom"), ((360, 640), "bottom"), ((480, 480), "bottom"),
                                            ((360, 640), "middle"), ((360, 640), "top"), ((640, 360), "top")])
def test_text_sits_where_the_position_says(tmp_path, size, position):
    w, h = size
    style = caption_style("clean", position=position)
    frame_at, _ = burn(tmp_path / "wd", [Cue(0, 1, "Hello there, world")], style, size, 1)
    x0, y0, x1, y1 = bbox(ink(frame_at(0.5)))
    left, right, top, bottom = safe_margins(size)
    fs = metrics(style, size).font_size
    assert left <= x0 and x1 <= w - right and abs((x0 + x1) / 2 - w / 2) <= 3
    if position == "bottom":
        assert h - bottom - 0.5 * fs <= y1 <= h - bottom + 3
    elif position == "top":
        assert top - 3 <= y0 <= top + 0.5 * fs
    else:
        assert abs((y0 + y1) / 2 - h / 2) <= 0.3 * fs
    if size == (360, 640):
        assert y1 < 0.78 * h  # above the short-form apps' bottom band


def test_portrait_text_is_taller_relative_to_the_frame_width(tmp_path):
    ratios = {}
    for size in [(640, 360), (360, 640)]:
        frame_at, _ = burn(tmp_path / f"wd{size[0]}", [Cue(0, 1, "Hold Tight")], caption_style("clean"), size, 1)
        _, y0, _, y1 = bbox(ink(frame_at(0.5)))
        ratios[size] = (y1 - y0 + 1) / size[0]
    assert ratios[(360, 640)] > 2 * ratios[(640, 360)]


def test_boxed_preset_puts_the_text_on_a_box(tmp_path):
    style = caption_style("boxed")
    expect = np.array(BG) * (1 - 0xB0 / 255)  # #000000B0 over the background
    found = {}
    for name, st in [("boxed", style), ("clean", caption_style("clean"))]:
        frame_at, _ = burn(tmp_path / name, [Cue(0, 1, "Boxed words here")], st, (640, 360), 1)
        frame = frame_at(0.5)
        x0, y0, x1, y1 = bbox(ink(frame))
        box = np.abs(frame - expect).max(axis=2) <= 8
        found[name] = (box[y0 + 1, x0:x1 + 1].mean(), box[y0:y1 + 1, x0:x1 + 1].mean(), y1 - y0)
    edge, inside, height = found["boxed"]
    assert edge > 0.9 and inside > 0.6  # a solid box, padding above the glyphs
    assert found["clean"][0] < 0.2 and found["clean"][1] < 0.2
    assert height > found["clean"][2] + 2 * 0.15 * metrics(style, (640, 360)).font_size


def test_karaoke_lights_the_word_being_said(tmp_path):
    cue = Cue(0.0, 3.0, "one two three")
    words = [[(0.2, 0.9, "one"), (1.0, 1.7, "two"), (1.9, 2.8, "three")]]
    frame_at, _ = burn(tmp_path / "wd", [cue], caption_style("karaoke"), (640, 360), 3, words)
    x0, _, x1, _ = bbox(ink(frame_at(0.5)))
    cols = np.arange(640)[None, :]
    first = (cols >= x0) & (cols <= x0 + 0.22 * (x1 - x0))  # "one" of "one two three"
    last = cols >= x0 + 0.62 * (x1 - x0)  # "three"
    at1, at3 = yellow(frame_at(0.5)), yellow(frame_at(2.3))
    assert (at1 & first).sum() > 40 and (at1 & last).sum() == 0
    assert (at3 & first).sum() == 0 and (at3 & last).sum() > 40
    assert yellow(frame_at(0.1)).sum() == 0  # before the first word: nothing lit
    assert bbox(ink(frame_at(0.5))) == bbox(ink(frame_at(2.3)))  # the same layout throughout


def test_words_preset_shows_at_most_three_words(tmp_path):
    cue = Cue(0.0, 4.0, "alpha beta gamma delta epsilon zeta eta theta")
    size = (360, 640)
    style = caption_style("words", highlight="#FFFFFF")  # unlit, to compare with plain captions
    shown = caption_pages([cue], None, style, size)
    assert len(shown) >= 3 and all(1 <= len(p.words) <= 3 for p in shown)
    # The reference: each group as a plain caption of its own at the same times and size.
    ref = [Cue(p.start, p.end, " ".join(w.word for w in p.words)) for p in shown]
    frame_at, _ = burn(tmp_path / "words", [cue], style, size, 4)
    ref_at, _ = burn(tmp_path / "ref", ref, replace(style, mode="lines", max_words=0), size, 4)
    widths = set()
    for p in shown:
        t = round((p.start + p.end) / 2, 1)
        assert np.abs(frame_at(t) - ref_at(t)).mean() < 0.2, p
        x0, _, x1, _ = bbox(ink(frame_at(t)))
        widths.add(x1 - x0)
    assert len(widths) >= 2  # the text changes with the group


LITERAL = [r"{\b1}x{\i1}x", "{braces}", r"back\slash \N", "'quote': a,b;[c]", r"a\hb\n c", r"x\{y\} z\\"]


def test_script_text_renders_literally(tmp_path):
    """Each text's ink is as wide as FreeType draws exactly those characters (checked first on a
    plain line) and stays on one line; unescaped, the tags would vanish and shrink it."""
    style = caption_style("clean", outline=0.0, shadow=0.0)
    texts = ["Plain reference words"] + LITERAL
    cues = [Cue(float(i), i + 1.0, text) for i, text in enumerate(texts)]
    n = len(texts)
    raw = f"Dialogue: 0,0:00:{n:02d}.00,0:00:{n + 1:02d}.00,Default,,0,0,0,,{LITERAL[0]}\n"  # unescaped
    frame_at, ass = burn(tmp_path / "wd", cues, style, (1280, 720), n + 1, extra=raw)
    fs = metrics(style, (1280, 720)).font_size

    def width(t: float) -> int:
        x0, y0, x1, y1 = bbox(ink(frame_at(t)))
        assert y1 - y0 < 1.4 * fs  # one line: `\N` and `\n` did not break it
        return x1 - x0

    assert width(0.5) == pytest.approx(pil_width(texts[0], fs), abs=3)  # the yardstick agrees
    for i, text in enumerate(LITERAL, 1):
        assert width(i + 0.5) == pytest.approx(pil_width(text, fs), abs=3), text
    assert width(n + 0.5) < 0.5 * pil_width(LITERAL[0], fs)  # what libass makes of the tags unescaped
    assert "\\{\\b1\\}x" in ass


def test_karaoke_keeps_text_literal_next_to_its_tags(tmp_path):
    text = r"end\ {k}here"  # a trailing backslash right before a colour tag
    style = caption_style("karaoke", outline=0.0, shadow=0.0)
    frame_at, _ = burn(tmp_path / "wd", [Cue(0.0, 2.0, text)], style, (640, 360), 2,
                       [[(0.0, 1.0, "end\\"), (1.0, 2.0, "{k}here")]])
    fs = metrics(style, (640, 360)).font_size
    for t in (0.5, 1.5):
        x0, y0, x1, y1 = bbox(ink(frame_at(t)))
        assert x1 - x0 == pytest.approx(pil_width(text, fs, FONT_BOLD), abs=3)
    lit = yellow(frame_at(0.5))
    assert lit.sum() > 40 and np.nonzero(lit.any(axis=0))[0].max() < (x0 + x1) / 2
