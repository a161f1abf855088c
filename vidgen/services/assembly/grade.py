"""Colour grades for the assembler: named looks and a user's .cube LUT, as ffmpeg filters.

A grade is applied inside the assembler's one video pass, so it must be plain filter text. Every
number in that text is ours and the only file it names is a LUT copy with a fixed name in the work
folder: nothing the user typed or named reaches the filtergraph.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ... import media
from ...errors import VidgenError

GRADES = {
    "none": "No grade: the clips' own colours.",
    "warm": "Golden light: reds and yellows up, blues down.",
    "cool": "Blue hour: blues up, reds down.",
    "teal_orange": "Blockbuster: teal shadows, orange skin and highlights, a little more contrast.",
    "noir": "Black and white with strong contrast.",
    "vintage": "Faded film: lifted blacks, softer contrast, muted colours, warm highlights.",
    "vivid": "Punchy: more saturation and a little more contrast.",
}

LUT_MIN_SIZE, LUT_MAX_SIZE = 2, 65
LUT_MAX_BYTES = 64 * 1024 * 1024
WORK_FORMAT = "rgb24"  # lut3d works on packed 8-bit RGB (the looks on the clips' own YUV)
OUT_FORMAT = "yuv420p"  # what a grade hands on: the film's own format
# Back to the film's format with exact rounding: a grey picture keeps chroma 128, not 127..129.
_TO_FILM = f"scale=flags=accurate_rnd,format={OUT_FORMAT}"

_LUT_NAME = re.compile(r"asm-lut-\d{1,4}\.cube")
_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
_KEYWORD = re.compile(r"[A-Z][A-Z0-9_]*")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)  # what ffmpeg's %f reads
_ROW = re.compile(rf"{_NUMBER.pattern}\s+{_NUMBER.pattern}\s+{_NUMBER.pattern}", re.ASCII)
LUT_MAX_VALUE = 1e6  # beyond any sane output, well inside float32
_TEXT_BYTES = bytes(range(0x20)).translate(None, b"\t\n\r\f") + b"\x7f"


# --- presets -----------------------------------------------------------------------------------

def _num(x: float) -> str:
    s = f"{x:.4f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _presets() -> dict[str, list[str]]:
    """Each look as YUV filters in order (built on call: no work at import time). colorcorrect
    shifts the chroma of the shadows (rl, bl) and highlights (rh, bh); eq sets contrast, brightness
    and saturation; lutyuv lifts or crushes the luma. All work on the clips' own yuv420p planes:
    measured at 720p, colorbalance, lut3d and vignette cost 4 to 23 ms a frame with their RGB round
    trip, these well under 1 ms (bench/finishing.py)."""
    return {
        "none": [],
        "warm": ["colorcorrect=rl=0.06:bl=-0.06:rh=0.08:bh=-0.09", "eq=saturation=1.08"],
        "cool": ["colorcorrect=rl=-0.06:bl=0.07:rh=-0.07:bh=0.08"],
        "teal_orange": ["colorcorrect=rl=-0.14:bl=0.13:rh=0.13:bh=-0.13", "eq=contrast=1.12:saturation=1.1"],
        "noir": ["eq=contrast=1.35:saturation=0", "lutyuv=u=128:v=128"],  # exactly no chroma
        "vintage": ["eq=saturation=0.55:contrast=0.82", "colorcorrect=rh=0.04:bh=-0.06",
                    "lutyuv=y=22+val*0.86"],
        "vivid": ["eq=saturation=1.35:contrast=1.06"],
    }


def _check_name(name: object) -> str:
    if not isinstance(name, str) or name not in GRADES:
        raise VidgenError(f"Unknown grade {name!r}: use one of {', '.join(GRADES)}.")
    return name


def preset_filters(name: str) -> list[str]:
    """The RGB filters of the look `name` (empty for none), to show or to test one by one."""
    return list(_presets()[_check_name(name)])


def grade_filter(name: str, lut: str | None = None, strength: float = 1.0, *, label: str = "grade") -> str:
    """The filtergraph fragment of a grade: the look `name`, then the staged LUT `lut`, mixed with
    the ungraded picture at `strength` (0..1). "" when there is nothing to do (none and no LUT, or
    strength 0); then the caller leaves the stream as it is.

    Contract. The fragment has one input and one output and no labels at its ends, so it goes
    where a single filter would: `f"[{src}]{fragment}[{dst}]"`, or between commas of a chain
    (`fps=24,{fragment},ass=...`). Its input may be any format ffmpeg converts (the clips'
    yuv420p, or rgb24/gbrp frames); the looks work on yuv420p (a LUT on rgb24) and the output is always yuv420p, same size,
    timing and SAR. Place a film-wide grade after the scenes are joined and before the edge fades
    and subtitles (black stays black, text keeps its colour); a scene's grade goes on that scene's
    chain before xfade, with a `label` of its own (e.g. f"g{i}").

    Strength is an honest mix, not scaled parameters: below 1 the fragment splits the stream,
    grades one branch and blends it over the other (`blend` normal mode, opacity = strength, in
    yuv420p), i.e. out = strength * graded + (1 - strength) * original, pixel by pixel. Internal
    labels are `[{label}_o]`, `[{label}_c]` and `[{label}_g]`; use a different `label` for each fragment of one graph.

    `lut` must be the name `stage_lut` returned (asm-lut-N.cube); ffmpeg must run with the work
    folder as its current directory.
    """
    filters = preset_filters(name)
    if lut is not None:
        if not isinstance(lut, str) or not _LUT_NAME.fullmatch(lut):
            raise VidgenError("A grade's LUT must be the name stage_lut returned (asm-lut-N.cube), "
                              "never the user's own path.")
        filters.append(f"lut3d=file={lut}:interp=tetrahedral")
    if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not 0 <= strength <= 1:
        raise VidgenError(f"Grade strength must be a number from 0 to 1, not {strength!r}.")
    if not isinstance(label, str) or not _LABEL.fullmatch(label):
        raise VidgenError(f"A grade label must be letters, digits or _ (starting with a letter), not {label!r}.")
    if not filters or strength == 0:
        return ""
    own = preset_filters(name)
    look = [f"format={OUT_FORMAT}", *own] if own else []
    if lut is not None:  # a LUT works on RGB: the only part of a grade that leaves the clips' planes
        look += [f"format={WORK_FORMAT}", filters[-1], _TO_FILM]
    graded = ",".join(look)
    if strength == 1:
        return graded
    o, c, g = f"{label}_o", f"{label}_c", f"{label}_g"
    return (f"format={OUT_FORMAT},split[{o}][{c}];[{c}]{graded}[{g}];"
            f"[{g}][{o}]blend=all_mode=normal:all_opacity={_num(strength)}")


# --- .cube LUTs --------------------------------------------------------------------------------

def _shown(path: str | os.PathLike) -> str:
    """The file's name, fit for a one-line message."""
    name = Path(path).name or str(path)
    return "".join(c if c.isprintable() else "?" for c in name)[:120]


def _read_bytes(path: str | os.PathLike, what: str) -> bytes:
    p = Path(path)
    try:
        if not p.exists():
            raise VidgenError(f"{what} does not exist.")
        if not p.is_file():
            raise VidgenError(f"{what} is not a file.")
        size = p.stat().st_size
        if size > LUT_MAX_BYTES:
            raise VidgenError(f"{what} is {size / 2**20:.1f} MiB; a .cube LUT may be at most "
                              f"{LUT_MAX_BYTES / 2**20:g} MiB.")
        with p.open("rb") as f:
            data = f.read(LUT_MAX_BYTES + 1)  # bounded even if the file grows meanwhile
    except OSError as e:
        raise VidgenError(f"{what} cannot be read ({e.strerror or e.__class__.__name__}).") from None
    if len(data) > LUT_MAX_BYTES:
        raise VidgenError(f"{what} is over {LUT_MAX_BYTES / 2**20:g} MiB; a .cube LUT may not be larger.")
    if not data.strip():
        raise VidgenError(f"{what} is empty.")
    if len(data.translate(None, _TEXT_BYTES)) != len(data):
        raise VidgenError(f"{what} is not a text .cube file (it holds binary data).")
    return data


def _triple(parts: list[str], what: str, no: int) -> tuple[float, float, float]:
    if len(parts) != 3 or not all(_NUMBER.fullmatch(p) for p in parts):
        raise VidgenError(f"{what}, line {no}: expected three numbers, found {' '.join(parts)[:40]!r}.")
    r, g, b = (float(p) for p in parts)
    if not all(abs(v) <= LUT_MAX_VALUE for v in (r, g, b)):
        raise VidgenError(f"{what}, line {no}: numbers must lie within ±{LUT_MAX_VALUE:g}.")
    return r, g, b


def _parse(path: str | os.PathLike) -> tuple[int, tuple, tuple, list[str]]:
    """(size, domain min, domain max, data rows as "r g b") of a valid 3D .cube file."""
    what = f"LUT file {_shown(path)}"
    data = _read_bytes(path, what)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # only a TITLE may hold such bytes; numbers are ASCII
    size: int | None = None
    lo, hi = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
    rows: list[str] = []
    count = 0
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if _ROW.fullmatch(line):  # the common case, kept cheap: 274,625 rows at size 65
            if size is None:
                raise VidgenError(f"{what}, line {no}: data before the LUT_3D_SIZE line.")
            count += 1
            if count <= size ** 3:
                rows.append(line)
            continue
        parts = line.split()
        key = parts[0]
        if _KEYWORD.fullmatch(key):  # keywords are upper case; nan or inf would be a bad number
            if count:
                raise VidgenError(f"{what}, line {no}: {parts[0][:24]!r} comes after the data rows.")
            if key == "TITLE":
                continue
            if key == "LUT_1D_SIZE":
                raise VidgenError(f"{what} holds a 1D LUT; only 3D .cube LUTs (LUT_3D_SIZE) are supported.")
            if key == "LUT_3D_SIZE":
                if size is not None:
                    raise VidgenError(f"{what}, line {no}: a second LUT_3D_SIZE line.")
                if len(parts) != 2 or not parts[1].isdigit() or len(parts[1]) > 6:
                    raise VidgenError(f"{what}, line {no}: LUT_3D_SIZE needs one whole number.")
                size = int(parts[1])
                if not LUT_MIN_SIZE <= size <= LUT_MAX_SIZE:
                    raise VidgenError(f"{what}: LUT_3D_SIZE {size} is out of range; "
                                      f"use {LUT_MIN_SIZE} to {LUT_MAX_SIZE}.")
            elif key == "DOMAIN_MIN":
                lo = _triple(parts[1:], what, no)
            elif key == "DOMAIN_MAX":
                hi = _triple(parts[1:], what, no)
            elif key == "LUT_3D_INPUT_RANGE":
                a, b = _triple(parts[1:] + ["0"], what, no)[:2]
                lo, hi = (a, a, a), (b, b, b)
            else:
                raise VidgenError(f"{what}, line {no}: unknown keyword {parts[0][:24]!r}.")
            continue
        raise VidgenError(f"{what}, line {no}: expected three numbers, found {line[:40]!r}.")
    if size is None:
        raise VidgenError(f"{what} has no LUT_3D_SIZE line: a 3D .cube LUT is needed.")
    if count != size ** 3:
        raise VidgenError(f"{what} holds {count} data rows; LUT_3D_SIZE {size} needs {size ** 3}.")
    if any(a >= b for a, b in zip(lo, hi)):
        raise VidgenError(f"{what}: DOMAIN_MIN must be below DOMAIN_MAX on every channel.")
    values = np.array(" ".join(rows).split(), dtype=np.float64)
    if not np.all(np.abs(values) <= LUT_MAX_VALUE):  # also catches 1e999 (inf)
        bad = int(np.argmax(~(np.abs(values) <= LUT_MAX_VALUE))) // 3
        raise VidgenError(f"{what}, data row {bad + 1}: numbers must lie within ±{LUT_MAX_VALUE:g}.")
    if lo != (0.0, 0.0, 0.0) or any(b < 1 for b in hi):
        # measured: ffmpeg's lut3d misreads a domain that starts above or below 0 or ends below 1
        raise VidgenError(f"{what}: only a domain from 0 0 0 up to at least 1 1 1 is supported.")
    return size, lo, hi, rows


def check_lut(path: str | os.PathLike) -> int:
    """Validate a .cube 3D LUT; return its size (points per axis). Raises a one-line VidgenError
    naming the file and the fault. Reads at most LUT_MAX_BYTES + 1 bytes."""
    return _parse(path)[0]


def lut_name(index: int) -> str:
    """The fixed file name of the `index`-th staged LUT in a work folder."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 10000:
        raise VidgenError(f"A LUT index must be a whole number from 0 to 9999, not {index!r}.")
    return f"asm-lut-{index}.cube"


def stage_lut(path: str | os.PathLike, work_dir: str | os.PathLike, index: int = 0) -> str:
    """Validate the user's LUT and write it into `work_dir` as asm-lut-{index}.cube; return that name.

    The copy is rewritten in the canonical order ffmpeg reads (LUT_3D_SIZE, DOMAIN_MIN/MAX, then
    the rows as they were written, comments and TITLE dropped), so no header quirk or long line of
    the original can make ffmpeg read it differently from check_lut.
    """
    name = lut_name(index)
    size, lo, hi, rows = _parse(path)
    head = [f"LUT_3D_SIZE {size}", "DOMAIN_MIN " + " ".join(map(repr, lo)),
            "DOMAIN_MAX " + " ".join(map(repr, hi))]
    with media.atomic_output(Path(work_dir) / name) as tmp:
        tmp.write_text("\n".join(head + rows) + "\n", encoding="ascii")
    return name


__all__ = ["GRADES", "LUT_MAX_BYTES", "LUT_MAX_SIZE", "LUT_MIN_SIZE", "OUT_FORMAT", "WORK_FORMAT",
           "check_lut", "grade_filter", "lut_name", "preset_filters", "stage_lut"]
