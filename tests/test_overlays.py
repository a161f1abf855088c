"""Overlays: cards, lower thirds, free text and the watermark, burnt by the bundled ffmpeg onto tiny
grey films at 16:9, 9:16 and 1:1 and measured frame by frame."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from vidgen import media
from vidgen.assets import FONT_BOLD
from vidgen.domain import Cue
from vidgen.errors import VidgenError
from vidgen.services.assembly.caption_style import safe_margins
from vidgen.services.assembly.overlay_text import TextStyle
from vidgen.services.assembly.overlays import (FONTS, OVERLAYS_ASS, EndCard, LowerThird, TextOverlay, TitleCard,
                                               card_clip, lower_thirds, on_film, overlay_ass)
from vidgen.services.assembly.video import link_fonts
from vidgen.services.assembly.watermark import (LOGO, Watermark, stage_watermark, watermark_filter,
                                                watermark_inputs, watermark_text)

SIZES = [(640, 360), (360, 640), (480, 480)]
FPS, SECONDS, GREY = 8, 2.5, 128
TRICKY = '{\\b1}x{y} \\N a\\h "q" a:b, [c]; d\\'
# Only fixed names, labels, filter names and numbers may reach a filter graph.
GRAPH_CHARS = re.compile(r"[A-Za-z0-9_:;=,.\-\[\]]+")


@pytest.fixture(autouse=True)
def bundled_fonts_only(tmp_path, monkeypatch):
    """No system fonts visible to libass: the bundled DejaVu (fontsdir) must carry the text."""
    (tmp_path / "fc").mkdir()
    (tmp_path / "fonts.conf").write_text(
        f"<?xml version='1.0'?><fontconfig><cachedir>{tmp_path / 'fc'}</cachedir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(tmp_path / "fonts.conf"))


@pytest.fixture(scope="module")
def films(tmp_path_factory) -> dict[tuple[int, int], Path]:
    d = tmp_path_factory.mktemp("films")
    out = {}
    for w, h in SIZES:
        out[(w, h)] = d / f"grey{w}x{h}.mp4"
        with media.VideoWriter(out[(w, h)], w, h, FPS, crf=10) as vw:
            for _ in range(round(SECONDS * FPS)):
                vw.write(np.full((h, w, 3), GREY, np.uint8))
    return out


def frames(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0)]


def at(fr: list[np.ndarray], t: float) -> np.ndarray:
    return fr[int(t * FPS + 1e-6)]


def ink(frame: np.ndarray, bg=(GREY, GREY, GREY), thr: int = 40) -> np.ndarray:
    return np.abs(frame - np.asarray(bg)).max(axis=2) > thr


def bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the True pixels, inclusive; None if there are none."""
    ys, xs = np.nonzero(mask)
    return (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())) if xs.size else None


def burn(film: Path, wd: Path, size, items=(), wm: Watermark | None = None,
         rgb: bool = False) -> tuple[list[np.ndarray], str]:
    """The assembler's way: ffmpeg in the work folder, the graph naming only fixed files. `rgb`:
    libass draws on RGB frames (where a missing `YCbCr Matrix: None` would squeeze colours)."""
    wd.mkdir(parents=True, exist_ok=True)
    link_fonts(wd)
    cur, parts = "0:v", []
    if items:
        overlay_ass(list(items), size, wd / OVERLAYS_ASS)
        parts.append(f"[0:v]{'format=rgb24,' if rgb else ''}ass={OVERLAYS_ASS}:fontsdir={FONTS}[txt]")
        cur = "txt"
    if wm is not None and wm.image:
        assert stage_watermark(wm, wd) == LOGO
        parts.append(watermark_filter(wm, size, "1:v", cur, "vout"))
    else:
        parts.append(f"[{cur}]null[vout]")
    graph = ";".join(parts)
    assert GRAPH_CHARS.fullmatch(graph), graph
    media.run_ffmpeg(["-i", str(film), *watermark_inputs(wm), "-filter_complex", graph, "-map", "[vout]",
                      "-c:v", "libx264", "-preset", "ultrafast", "-crf", "8", "-pix_fmt", "yuv420p", "out.mp4"],
                     cwd=wd, what="the test burn")
    return frames(wd / "out.mp4"), graph


# --- cards ---------------------------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES)
def test_cards_are_clips_of_their_length_with_centred_text(films, tmp_path, size, monkeypatch):
    w, h = size
    calls = []
    real = media.run_ffmpeg
    monkeypatch.setattr(media, "run_ffmpeg", lambda args, **kw: calls.append(args) or real(args, **kw))
    title = TitleCard("The Harbour\n" + TRICKY, seconds=1.5)
    end = EndCard("The end", seconds=1.0, background="#203040")
    assert card_clip(title, size, FPS, tmp_path / "title.mp4", work_dir=tmp_path / "wd", quality="draft") == 1.5
    card_clip(end, size, FPS, tmp_path / "end.mp4", work_dir=tmp_path / "wd", quality="draft")
    film_first = frames(films[size])[0]
    left, right, top, bottom = safe_margins(size)
    for path, card, bg in ((tmp_path / "title.mp4", title, (0, 0, 0)), (tmp_path / "end.mp4", end, (32, 48, 64))):
        info = media.probe(path)
        assert (info.video.width, info.video.height) == size
        assert info.duration == pytest.approx(card.seconds, abs=1.01 / FPS)
        fr = frames(path)
        assert len(fr) == round(card.seconds * FPS)
        mid = fr[len(fr) // 2]
        assert np.abs(mid[2, 2] - bg).max() <= 3  # the background as asked, full range
        text = ink(mid, bg, 100)
        assert text.sum() > 200  # text on the card, unlike a plain one
        x0, y0, x1, y1 = bbox(text)
        assert abs((x0 + x1) / 2 - w / 2) < 0.05 * w and abs((y0 + y1) / 2 - (top + h - bottom) / 2) < 0.05 * h
        assert x0 >= left - 2 and x1 <= w - right + 2 and y0 >= top - 2 and y1 <= h - bottom + 2
        assert ink(fr[0], bg, 100).sum() < text.sum() / 2  # fading in
        assert np.abs(mid - film_first).mean() > 30  # not the film's first frame
    for args in calls:
        source = args[args.index("-i") + 1]
        assert GRAPH_CHARS.fullmatch(source) and "asm-card.ass" in source, source


# --- watermark -----------------------------------------------------------------------------

@pytest.mark.parametrize("size, corner", list(zip(SIZES, ["bottom-right", "top-left", "top-right"])))
def test_image_watermark_in_its_corner_at_opacity_and_scale(films, tmp_path, size, corner):
    from PIL import Image

    w, h = size
    logo = tmp_path / "my logo's [x];.png"  # a name that must never reach the graph
    Image.new("RGBA", (120, 60), (255, 0, 0, 200)).save(logo)
    wm = Watermark(image=str(logo), corner=corner, margin=0.04, opacity=0.5, scale=0.15)
    fr, graph = burn(films[size], tmp_path / "wd", size, wm=wm)
    assert "logo" not in graph.replace("vout_logo", "") and watermark_inputs(wm) == ["-i", LOGO]
    a = 200 / 255 * 0.5
    want = np.array([GREY + a * (255 - GREY), GREY * (1 - a), GREY * (1 - a)])
    lw, m = round(0.15 * w), round(0.04 * min(w, h))
    for t in (0.0, 1.2, SECONDS - 1 / FPS):
        f = at(fr, t)
        x0, y0, x1, y1 = bbox(ink(f, thr=20))
        assert x1 - x0 + 1 == pytest.approx(lw, abs=2) and y1 - y0 + 1 == pytest.approx(lw / 2, abs=2)
        assert (x0 if corner.endswith("left") else w - 1 - x1) == pytest.approx(m, abs=1)
        assert (y0 if corner.startswith("top") else h - 1 - y1) == pytest.approx(m, abs=1)
        centre = f[(y0 + y1) // 2 - 3:(y0 + y1) // 2 + 4, (x0 + x1) // 2 - 3:(x0 + x1) // 2 + 4].reshape(-1, 3)
        assert np.abs(centre.mean(axis=0) - want).max() < 5, centre.mean(axis=0)
        rest = f.copy()
        rest[max(0, y0 - 3):y1 + 4, max(0, x0 - 3):x1 + 4] = GREY
        assert np.abs(rest - GREY).max() < 10  # nothing elsewhere


def test_text_watermark_goes_through_the_ass(films, tmp_path):
    size = (640, 360)
    wm = Watermark(text="vidgen {\\b1}", corner="top-right", opacity=0.6, scale=0.2)
    o = watermark_text(wm, size, SECONDS)
    assert o.position == "top-right" and (o.start, o.seconds) == (0.0, SECONDS) and watermark_inputs(wm) == []
    with pytest.raises(VidgenError):
        watermark_filter(wm, size, "1:v", "a", "b")
    fr, _ = burn(films[size], tmp_path / "wd", size, [o])
    for t in (0.0, 1.0, SECONDS - 1 / FPS):
        x0, y0, x1, y1 = bbox(ink(at(fr, t), thr=25))
        assert x0 > 640 * 0.6 and y1 < 360 * 0.25 and x1 - x0 == pytest.approx(0.2 * 640, rel=0.15)
        assert at(fr, t)[ink(at(fr, t), thr=25)].max() < 0.6 * 255 + 0.4 * GREY + 8  # see-through


# --- free text and lower thirds ------------------------------------------------------------

CELLS = {"top-left": (0, 0), "top": (1, 0), "top-right": (2, 0), "left": (0, 1), "center": (1, 1),
         "right": (2, 1), "bottom-left": (0, 2), "bottom": (1, 2), "bottom-right": (2, 2)}


def cell_ink(frame: np.ndarray, pos: str) -> int:
    h, w = frame.shape[:2]
    cx, cy = CELLS[pos]
    return int(ink(frame)[cy * h // 3:(cy + 1) * h // 3, cx * w // 3:(cx + 1) * w // 3].sum())


@pytest.mark.parametrize("size", SIZES)
def test_text_overlays_show_only_in_their_window_and_place(films, tmp_path, size):
    w, h = size
    windows = {"top-left": (0.25, 1.0), "center": (1.0, 1.0), "bottom-right": (0.5, 1.5), "top": (1.5, 1.0),
               "left": (0.0, 0.75), "bottom": (1.75, 0.75)}
    items = [TextOverlay("Hi", pos, start, seconds, fade=0.0) for pos, (start, seconds) in windows.items()]
    fr, _ = burn(films[size], tmp_path / "wd", size, items)
    left, right, top, bottom = safe_margins(size)
    for i in range(1, len(fr), 2):  # frames 1/8 s clear of every window's edges
        t, f = i / FPS, fr[i]
        for pos, (start, seconds) in windows.items():
            shown = start <= t < start + seconds
            assert (cell_ink(f, pos) > 20) == shown, (pos, t)
        for pos in set(CELLS) - set(windows):
            assert cell_ink(f, pos) == 0
        if (box := bbox(ink(f))) is not None:  # inside the safe area
            x0, y0, x1, y1 = box
            assert x0 >= left - 1 and x1 <= w - right and y0 >= top - 1 and y1 <= h - bottom
            assert x0 >= 0.04 * w and y0 >= 0.05 * h and y1 <= h * (0.8 if h > w else 0.93)  # phones: wide bands


def test_long_and_multiline_text_wraps_inside_the_frame(films, tmp_path):
    size = (360, 640)
    long = "A long line of words that cannot fit across a portrait frame at this size at all\nand a second"
    fr, _ = burn(films[size], tmp_path / "wd", size, [TextOverlay(long, "center", 0, SECONDS)])
    mask = ink(at(fr, 1.0))
    left, right, _, _ = safe_margins(size)
    x0, _, x1, _ = bbox(mask)
    assert x0 >= left - 1 and x1 <= 360 - right
    rows = mask.any(axis=1).astype(int)
    assert np.count_nonzero(np.diff(rows) == 1) >= 3


def test_scene_overlays_move_onto_the_film():
    a, b = TextOverlay("a", start=0.5), TextOverlay("b", start=1.0)
    assert [(o.text, o.start) for o in on_film([[a], [b]], [0.0, 4.5])] == [("a", 0.5), ("b", 5.5)]


@pytest.mark.parametrize("size", SIZES)
def test_lower_thirds_name_each_speaker_once_in_the_lower_left(films, tmp_path, size):
    w, h = size
    cues = [Cue(0.0, 0.75, "Once upon a time", None), Cue(0.75, 1.5, "Hello", "Ada Lovelace"),
            Cue(1.5, 1.8, "Hi", "Bram"), Cue(1.8, 2.2, "Again", "ada lovelace"), Cue(2.2, 2.4, "Hm", None)]
    thirds = lower_thirds(cues, seconds=3.0)
    assert [(t.name, t.start, t.seconds) for t in thirds] == [("Ada Lovelace", 0.75, 0.75), ("Bram", 1.5, 3.0)]
    fr, _ = burn(films[size], tmp_path / "wd", size, thirds)
    assert not ink(at(fr, 0.5)).any()  # the narrator gets none
    boxes = {}
    for name, t in (("Ada", 1.3), ("Bram", 2.3)):
        mask = ink(at(fr, t))
        x0, y0, x1, y1 = boxes[name] = bbox(mask)
        assert x0 >= safe_margins(size)[0] - 1 and x1 < 0.62 * w, name
        assert y0 > h / 2 and y1 < h * 0.9, name
    assert boxes["Bram"][2] - boxes["Bram"][0] < boxes["Ada"][2] - boxes["Ada"][0]
    assert ink(at(fr, 0.75 + 1 / FPS)).sum() < ink(at(fr, 1.3)).sum()  # sliding and fading in


def test_colours_are_as_written(films, tmp_path):
    size = (640, 360)
    style = TextStyle(size=0.12, colour="#FFD400", box=True, outline=0.5, outline_colour="#2050D0")
    fr, _ = burn(films[size], tmp_path / "wd", size, [TextOverlay("x", "center", 0, SECONDS, style)], rgb=True)
    f = at(fr, 1.0)
    x0, y0, x1, y1 = bbox(ink(f))
    assert np.abs(np.median(f[y0:y1, x0:x1].reshape(-1, 3), axis=0) - (32, 80, 208)).max() <= 4  # the box
    assert (np.abs(f - (255, 212, 0)).max(axis=2) <= 10).sum() > 30  # the text, full range (not 235)


# --- literal text --------------------------------------------------------------------------

def test_tags_braces_and_backslashes_show_literally(films, tmp_path):
    from PIL import ImageFont

    size = (640, 360)
    style = TextStyle(size=0.06, outline=0.0)
    fr, graph = burn(films[size], tmp_path / "wd", size, [TextOverlay(TRICKY, "center", 0, SECONDS, style)])
    for word in ("b1", "\\", "{", '"', " "):
        assert word not in graph
    ass = (tmp_path / "wd" / OVERLAYS_ASS).read_text(encoding="utf-8")
    px = float(re.search(r"\\fs([\d.]+)", ass).group(1))
    mask = ink(at(fr, 1.0), thr=60)
    x0, y0, x1, y1 = bbox(mask)
    assert y1 - y0 < 1.3 * px  # one line: `\N` is not a break
    ft = ImageFont.truetype(str(FONT_BOLD), px * 1000 / 1165)  # libass sizes by ascent + descent
    l, _, r, _ = ft.getbbox(TRICKY)
    assert x1 - x0 + 1 == pytest.approx(r - l, rel=0.04)
    without_tags = ft.getbbox(TRICKY.replace("{\\b1}", "").replace("{y}", ""))
    assert abs((x1 - x0) - (without_tags[2] - without_tags[0])) > 0.08 * (r - l)


# --- errors --------------------------------------------------------------------------------

BAD = [
    (lambda: TextOverlay("", "top"), "text"),
    (lambda: TextOverlay("x", "middle"), "position"),
    (lambda: TextOverlay("x", start=-1.0), "start"),
    (lambda: TextOverlay("x", seconds=0), "seconds"),
    (lambda: TextOverlay("x", seconds=math.nan), "seconds"),
    (lambda: TextOverlay("x" * 501), "text"),
    (lambda: TextStyle(size=0.5), "size"),
    (lambda: TextStyle(colour="red"), "colour"),
    (lambda: TextStyle(box="yes"), "box"),
    (lambda: TitleCard("  \n "), "text"),
    (lambda: TitleCard("x", seconds=-2), "seconds"),
    (lambda: EndCard("x", background="#12345678"), "background"),
    (lambda: LowerThird("", 0.0), "name"),
    (lambda: LowerThird("Ada", -1.0), "start"),
    (lambda: lower_thirds([], seconds=-1), "seconds"),
    (lambda: Watermark(), "image or a text"),
    (lambda: Watermark(image="a.png", text="b"), "image or a text"),
    (lambda: Watermark(text="x", corner="middle"), "corner"),
    (lambda: Watermark(text="x", opacity=1.5), "opacity"),
    (lambda: Watermark(text="x", opacity=-0.1), "opacity"),
    (lambda: Watermark(text="x", scale=0), "scale"),
    (lambda: Watermark(text="x", margin=0.9), "margin"),
    (lambda: overlay_ass(["text"], (640, 360), "x.ass"), "TextOverlay"),
    (lambda: overlay_ass([], (641, 360), "x.ass"), "size"),
    (lambda: watermark_filter(Watermark(image="a.png"), (640, 360), "1:v];[x", "a", "b"), "label"),
]


@pytest.mark.parametrize("make, field", BAD)
def test_bad_inputs_give_one_line_errors(make, field):
    with pytest.raises(VidgenError) as e:
        make()
    msg = str(e.value)
    assert field in msg and "\n" not in msg and len(msg) < 200, msg


def test_bad_logos_and_card_settings_are_refused(tmp_path):
    from PIL import Image

    (tmp_path / "notes.png").write_text("not an image")
    Image.new("1", (8000, 6000)).save(tmp_path / "huge.png")
    cases = [(tmp_path / "notes.png", "not an image"), (tmp_path / "missing.png", "does not exist"),
             (tmp_path / "huge.png", "megapixels")]
    for path, words in cases:
        with pytest.raises(VidgenError, match=words):
            stage_watermark(Watermark(image=str(path)), tmp_path / "wd")
    assert not (tmp_path / "wd" / LOGO).exists()
    for kwargs, words in (({"fps": 0}, "fps"), ({"quality": "ultra"}, "quality")):
        args = {"fps": FPS, "quality": "draft", **kwargs}
        with pytest.raises(VidgenError, match=words):
            card_clip(TitleCard("x"), (640, 360), args["fps"], tmp_path / "c.mp4", work_dir=tmp_path,
                      quality=args["quality"])
