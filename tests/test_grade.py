"""Colour grades: every look rendered by real ffmpeg on a painted, a photographic and a user picture,
measured on the pixels that come back; .cube LUTs checked, staged and applied."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from vidgen import media
from vidgen.errors import VidgenError
from vidgen.services.assembly import grade
from vidgen.services.assembly.grade import GRADES, check_lut, grade_filter, stage_lut


# --- pictures ----------------------------------------------------------------------------------

def _even(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return np.ascontiguousarray(img[: h - h % 2, : w - w % 2, :3])


@functools.lru_cache(maxsize=None)
def picture(kind: str) -> np.ndarray:
    """painted: flat colours like the painter backend's; photo: an AI-like portrait; user: a photo."""
    if kind == "painted":
        img = np.empty((240, 320, 3), np.uint8)
        img[:] = (92, 132, 188)  # dusty sky
        yy, xx = np.mgrid[:240, :320]
        img[(yy - 60) ** 2 + (xx - 250) ** 2 < 30 ** 2] = (246, 206, 96)  # sun
        img[(xx - 70) ** 2 // 3 + (yy - 55) ** 2 < 18 ** 2] = (232, 232, 226)  # cloud
        img[yy > 120 + 20 * np.sin(xx / 40)] = (46, 92, 54)  # hills
        img[yy > 190] = (52, 38, 32)  # dark foreground
        img[(yy > 140) & (yy < 200) & (np.abs(xx - 160) < 14)] = (224, 170, 136)  # a figure
        return img
    from skimage import data

    return _even({"photo": data.astronaut, "user": data.coffee}[kind]())


KINDS = ("painted", "photo", "user")


def render(img: np.ndarray, chain: str, *, rgb_in: bool = False, cwd: Path | None = None,
           pix_fmt: str = "rgb24") -> np.ndarray:
    """One frame through `[src]chain[out]` in a filter_complex, as the assembler's pass would run it;
    the source is yuv420p like the clips (or rgb24), the result comes back as `pix_fmt`."""
    h, w = img.shape[:2]
    src = "null" if rgb_in else "format=yuv420p"
    graph = f"[0:v]{src}[src];[src]{chain or 'null'}[out]"
    cmd = [media.ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{w}x{h}", "-r", "1", "-i", "pipe:0", "-filter_complex", graph, "-map", "[out]",
           "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", pix_fmt, "pipe:1"]
    proc = media.run_child(cmd, input=img.tobytes(), cwd=cwd)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    out = np.frombuffer(proc.stdout, np.uint8)
    return out.reshape(h, w, 3) if pix_fmt == "rgb24" else out


@functools.lru_cache(maxsize=None)
def graded(kind: str, name: str, strength: float = 1.0) -> np.ndarray:
    return render(picture(kind), grade_filter(name, strength=strength))


# --- measurements ------------------------------------------------------------------------------

def luma(img: np.ndarray) -> np.ndarray:
    return img.astype(float) @ np.array([0.299, 0.587, 0.114])


def stats(img: np.ndarray) -> dict[str, float]:
    f = img.reshape(-1, 3).astype(float)
    hi, lo = f.max(axis=1), f.min(axis=1)
    lit = hi > 12
    return {"rb": f[:, 0].mean() / f[:, 2].mean(),
            "sat": float(((hi - lo)[lit] / hi[lit]).mean()),
            "contrast": float(luma(img).std()),
            "spread": float((hi - lo).max())}


def stats_px(img: np.ndarray) -> np.ndarray:
    """Per-pixel HSV saturation."""
    f = img.astype(float)
    hi = f.max(axis=2)
    return (hi - f.min(axis=2)) / np.maximum(hi, 1)


def warmth(img: np.ndarray, mask: np.ndarray) -> float:
    """Mean R - B over `mask`."""
    f = img[mask].astype(float)
    return float((f[:, 0] - f[:, 2]).mean())


def shift_hue(before: np.ndarray, after: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """(hue in degrees, size) of the mean colour change over `mask`: ~30 orange, ~180-200 teal."""
    d = after[mask].astype(float).mean(axis=0) - before[mask].astype(float).mean(axis=0)
    r, g, b = d
    return float(np.degrees(np.arctan2(np.sqrt(3) * (g - b), 2 * r - g - b)) % 360), float(np.abs(d).max())


def tones(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = luma(img)
    return y < np.percentile(y, 30), y > np.percentile(y, 70)


# --- presets -----------------------------------------------------------------------------------

def test_the_names_and_their_chains():
    assert list(GRADES) == ["none", "warm", "cool", "teal_orange", "noir", "vintage", "vivid"]
    assert all(isinstance(v, str) and v.endswith(".") for v in GRADES.values())
    assert grade_filter("none") == ""
    for name in GRADES:
        chain = grade_filter(name)
        assert "'" not in chain and ";" not in chain and "[" not in chain  # a plain chain at strength 1
        if name != "none":
            assert chain.startswith("format=yuv420p,") and "rgb24" not in chain  # the looks stay on the clips' planes


@pytest.mark.parametrize("bad", ["Warm", "sepia", "", None, 3])
def test_unknown_grade_names_list_the_accepted_ones(bad):
    with pytest.raises(VidgenError) as e:
        grade_filter(bad)
    msg = str(e.value)
    assert "\n" not in msg and all(n in msg for n in GRADES)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "0.5", True])
def test_strength_out_of_range_is_refused(bad):
    with pytest.raises(VidgenError, match="strength"):
        grade_filter("warm", strength=bad)


@pytest.mark.parametrize("kind", KINDS)
def test_every_look_moves_colour_the_way_its_name_says(kind):
    base = graded(kind, "none")
    s0 = stats(base)
    s = {name: stats(graded(kind, name)) for name in GRADES if name != "none"}
    assert s["warm"]["rb"] > s0["rb"] * 1.08
    assert s["cool"]["rb"] < s0["rb"] / 1.08
    assert s["noir"]["spread"] == 0 and s["noir"]["contrast"] > 0.8 * s0["contrast"]
    assert s["vivid"]["sat"] > s0["sat"] * 1.1 and s["vivid"]["contrast"] >= s0["contrast"]
    assert s["vintage"]["sat"] < s0["sat"] * 0.9
    assert s["vintage"]["contrast"] < s0["contrast"] * 0.95
    grey = (stats_px(picture(kind)) < 0.12) & (luma(picture(kind)) > 40)  # neutral in the source
    assert grey.sum() > 500
    assert warmth(graded(kind, "vintage"), grey) > warmth(base, grey) + 4  # greys lean warm
    dark, bright = tones(base)
    teal = graded(kind, "teal_orange")
    hue_d, size_d = shift_hue(base, teal, dark)
    hue_b, size_b = shift_hue(base, teal, bright)
    assert 150 <= hue_d <= 230 and size_d >= 4, (hue_d, size_d)  # shadows toward teal
    assert 0 <= hue_b <= 60 and size_b >= 4, (hue_b, size_b)  # highlights toward orange


def test_teal_orange_warms_skin():
    img = picture("photo")
    base, teal = graded("photo", "none"), graded("photo", "teal_orange")
    f = img.astype(int)
    skin = (f[..., 0] > 120) & (f[..., 0] > f[..., 1] + 15) & (f[..., 1] > f[..., 2]) & (luma(img) > 110)
    assert skin.sum() > 2000
    hue, size = shift_hue(base, teal, skin)
    assert 0 <= hue <= 60 and size >= 3, (hue, size)


def test_noir_leaves_no_chroma_in_the_film_format():
    img = picture("user")
    yuv = render(img, grade_filter("noir"), pix_fmt="yuv420p")
    n = img.shape[0] * img.shape[1]
    chroma = yuv[n:].astype(int) - 128
    assert np.abs(chroma).max() == 0


def test_none_is_identity_and_the_look_works_on_rgb_frames_too():
    img = picture("painted")
    assert np.array_equal(graded("painted", "none"), render(img, "", rgb_in=False))
    plain = render(img, "", rgb_in=True)
    assert np.array_equal(plain, img)
    warm = render(img, grade_filter("warm"), rgb_in=True)
    assert stats(warm)["rb"] > stats(img)["rb"] * 1.08


@pytest.mark.parametrize("kind", ["photo", "painted"])
def test_strength_mixes_the_graded_and_the_ungraded_picture(kind):
    assert grade_filter("vivid", strength=0) == "" and grade_filter("warm", strength=0.0) == ""
    base, full = graded(kind, "none").astype(float), graded(kind, "teal_orange").astype(float)
    half = graded(kind, "teal_orange", 0.5).astype(float)
    quarter = graded(kind, "teal_orange", 0.25).astype(float)
    assert np.abs(half - (base + full) / 2).mean() < 1.5
    assert np.abs(quarter - (0.75 * base + 0.25 * full)).mean() < 1.5
    d_full = np.abs(full - base).mean()
    assert d_full > 8
    assert 0.4 * d_full < np.abs(half - base).mean() < 0.6 * d_full
    assert np.abs(quarter - base).mean() < np.abs(half - base).mean()
    rb = [stats(graded(kind, "warm", s))["rb"] for s in (0.0, 0.5, 1.0)]
    assert rb[0] < rb[1] < rb[2]


def test_fragments_compose_inside_one_graph():
    """Between commas of a chain, and twice in one graph with labels of their own."""
    img = picture("painted")
    a = grade_filter("warm", strength=0.5, label="g0")
    b = grade_filter("noir", strength=0.5, label="g1")
    out = render(img, f"fps=1,{a},setsar=1,{b},null")
    single = render(render(img, a), b, rgb_in=True)
    assert np.abs(out.astype(int) - single.astype(int)).mean() < 2.5
    with pytest.raises(VidgenError, match="label"):
        grade_filter("warm", strength=0.5, label="x];drawtext=text=y[")


# --- LUTs --------------------------------------------------------------------------------------

def write_cube(path: Path, n: int, fn, header: str = "") -> Path:
    g = np.linspace(0, 1, n)
    b, gg, r = np.meshgrid(g, g, g, indexing="ij")  # red changes fastest
    rows = np.stack([r.ravel(), gg.ravel(), b.ravel()], axis=1)
    out = np.asarray(fn(rows), float)
    body = ("%.6f %.6f %.6f\n" * len(out)) % tuple(out.ravel())
    path.write_text(f"{header}LUT_3D_SIZE {n}\n{body}")
    return path


def IDENTITY(rgb):
    return rgb


def SWAP(rgb):
    return rgb[:, ::-1]


def apply_lut(tmp_path: Path, cube: Path, name: str = "none", img=None, index: int = 0, rgb_in=True):
    wd = tmp_path / "work"
    wd.mkdir(exist_ok=True)
    staged = stage_lut(cube, wd, index)
    img = picture("photo") if img is None else img
    chain = grade_filter(name, lut=staged)
    assert cube.name not in chain and str(cube.parent) not in chain
    return render(img, chain, rgb_in=rgb_in, cwd=wd)


def test_identity_lut_keeps_the_picture_and_a_swap_lut_swaps_red_and_blue(tmp_path):
    img = picture("photo")
    cube = write_cube(tmp_path / "id.cube", 17, IDENTITY,
                      header='TITLE "identity"\n# made by a test\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 1 1\n')
    assert check_lut(cube) == 17
    same = apply_lut(tmp_path, cube, img=img)
    ref = render(img, "format=yuv420p", rgb_in=True)  # the same trip through the film's format
    assert np.abs(same.astype(int) - ref.astype(int)).mean() < 1.0
    swap = apply_lut(tmp_path, write_cube(tmp_path / "swap.cube", 9, SWAP), img=img, index=1)
    assert np.abs(swap.astype(int) - ref[..., ::-1].astype(int)).mean() < 2.0
    # a domain of 0..2 declared before the size (ffmpeg reads it only after): staged in its order
    wide = write_cube(tmp_path / "wide.cube", 17, lambda rgb: rgb * 2, header="DOMAIN_MAX 2 2 2\n")
    same = apply_lut(tmp_path, wide, img=img, index=2)
    assert np.abs(same.astype(int) - ref.astype(int)).mean() < 1.0


def test_a_lut_comes_after_the_look(tmp_path):
    """noir then a LUT that halves blue: colour comes back (LUT first would leave grey)."""
    cube = write_cube(tmp_path / "blue.cube", 5, lambda rgb: rgb * [1, 1, 0.5])
    out = apply_lut(tmp_path, cube, "noir").astype(float)
    lit = luma(out) > 60
    assert (out[lit, 0] - out[lit, 2]).mean() > 20


def test_a_hostile_file_name_is_staged_and_never_reaches_the_filter(tmp_path):
    weird = tmp_path / "it's: a,lut [1]; x=y\\z.cube"
    write_cube(weird, 9, SWAP)
    work = tmp_path / "work"
    work.mkdir()
    name = stage_lut(weird, work, 3)
    assert name == "asm-lut-3.cube" and (work / name).is_file()
    chain = grade_filter("warm", lut=name, strength=0.5, label="s3")
    assert "lut3d=file=asm-lut-3.cube" in chain and "it's" not in chain
    img = picture("photo")
    out = render(img, chain, cwd=work).astype(float)
    # the LUT sits inside the mix: half the original, half (warm, then R and B swapped)
    expected = 0.5 * graded("photo", "warm")[..., ::-1] + 0.5 * graded("photo", "none")
    assert np.abs(out - expected).mean() < 2.5
    for bad in [str(weird), "../asm-lut-0.cube", "asm-lut-0.cube:x=1", "a.cube"]:
        with pytest.raises(VidgenError, match="stage_lut"):
            grade_filter("none", lut=bad)


def _lines(n: int, rows: int | None = None, row: str = "0.5 0.5 0.5") -> str:
    return f"LUT_3D_SIZE {n}\n" + f"{row}\n" * (n ** 3 if rows is None else rows)


BAD = {
    "short.cube": (_lines(4, rows=63), "holds 63 data rows; LUT_3D_SIZE 4 needs 64"),
    "long.cube": (_lines(2, rows=9), "holds 9 data rows"),
    "number.cube": (_lines(2, rows=7) + "0.5 x 0.5\n", "line 9: expected three numbers"),
    "two.cube": (_lines(2, rows=7) + "0.5 0.5\n", "expected three numbers"),
    "nan.cube": (_lines(2, rows=7) + "nan 0 0\n", "expected three numbers"),
    "inf.cube": (_lines(2, rows=7) + "1e999 0 0\n", "data row 8: numbers must lie within"),
    "tabs.cube": ("LUT_3D_SIZE 2\n" + "0\t0 0\n" * 7 + "0 0 0 0\n", "line 9: expected three numbers"),
    "size1.cube": ("LUT_3D_SIZE 1\n0 0 0\n", "LUT_3D_SIZE 1 is out of range; use 2 to 65"),
    "huge.cube": ("LUT_3D_SIZE 100000\n0 0 0\n", "out of range"),
    "nosize.cube": ("TITLE \"x\"\n", "no LUT_3D_SIZE line"),
    "early.cube": ("0 0 0\nLUT_3D_SIZE 2\n", "data before the LUT_3D_SIZE"),
    "oned.cube": ("LUT_1D_SIZE 2\n0 0 0\n1 1 1\n", "1D LUT"),
    "twice.cube": ("LUT_3D_SIZE 2\nLUT_3D_SIZE 2\n", "second LUT_3D_SIZE"),
    "domain.cube": ("DOMAIN_MIN 0.5 0 0\n" + _lines(2), "only a domain from 0 0 0"),
    "order.cube": ("DOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 0 1\n" + _lines(2), "DOMAIN_MIN must be below"),
    "digits.cube": ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 7 + "\u0661 0 0\n", "line 9: expected three numbers"),
    "keyword.cube": ("LUT_3D_SIZE 2\nLUT_SHAPER on\n", "unknown keyword"),
    "empty.cube": ("", "is empty"),
}


@pytest.mark.parametrize("fname", sorted(BAD))
def test_bad_lut_files_give_one_line_naming_the_file(tmp_path, fname):
    text, expected = BAD[fname]
    p = tmp_path / fname
    p.write_text(text, encoding="utf-8")
    with pytest.raises(VidgenError) as e:
        check_lut(p)
    msg = str(e.value)
    assert "\n" not in msg and fname in msg and expected in msg, msg
    assert str(tmp_path) not in msg


def test_binary_missing_folder_and_oversized_luts(tmp_path):
    junk = tmp_path / "junk.cube"
    junk.write_bytes(bytes(range(256)) * 8)
    huge = tmp_path / "huge.cube"
    with huge.open("wb") as f:  # sparse: 65 MiB on paper, nothing on disk
        f.truncate(grade.LUT_MAX_BYTES + 2**20)
    name_break = tmp_path / "two\nlines.cube"
    name_break.write_text("LUT_3D_SIZE 0\n")
    cases = [(junk, "not a text .cube file"), (tmp_path / "gone.cube", "does not exist"),
             (tmp_path, "is not a file"), (huge, "is 65.0 MiB; a .cube LUT may be at most 64 MiB"),
             (name_break, "two?lines.cube")]
    for path, expected in cases:
        with pytest.raises(VidgenError) as e:
            check_lut(path)
        assert "\n" not in str(e.value) and expected in str(e.value), str(e.value)


def test_a_full_size_lut_checks_quickly_and_stages_canonically(tmp_path):
    import time

    cube = write_cube(tmp_path / "big.cube", 65, IDENTITY, header='TITLE "big"\r\n')
    t = time.perf_counter()
    assert check_lut(cube) == 65
    assert time.perf_counter() - t < 5
    (tmp_path / "w").mkdir()
    name = stage_lut(cube, tmp_path / "w", 0)
    lines = (tmp_path / "w" / name).read_text().splitlines()
    assert lines[:3] == ["LUT_3D_SIZE 65", "DOMAIN_MIN 0.0 0.0 0.0", "DOMAIN_MAX 1.0 1.0 1.0"]
    assert len(lines) == 3 + 65 ** 3
    with pytest.raises(VidgenError, match="index"):
        stage_lut(cube, tmp_path, -1)
