"""Screen directions inside the text: camera moves, time of day, sluglines, transitions, names.

Also the Markdown stripping every reader applies before text is spoken or shown.
"""

from __future__ import annotations

import re

from ...domain import CameraKey
from .common import _Raw
from .labels import is_narrator
from .vocabulary import SOUND_LABELS, _SCENE_NUMBER, slug_interior, slug_time, words_time

_BRACKETS = re.compile(r"\[([^\[\]\n]{0,300})\]")
# Prosody markup stays in spoken text for the voice (services/prosody.py): pauses anywhere, a pace
# tag only at the start of a line (elsewhere it is an ordinary note and dropped).
_PAUSE_TAG = re.compile(r"(?i)^pause(?:\s+(?:\d+(?:\.\d+)?|\.\d+)\s*(?:ms|s|sec|secs|seconds?)?)?$")
_PACE_TAG = re.compile(r"(?i)^(?:slow|fast|speed\s+(?:\d+(?:\.\d+)?|\.\d+)x?)$")
_CAMERA_PARENS = re.compile(r"\(\s*(camera\b[^()\n]{0,300})\)", re.I)
_LINK = re.compile(r"!?\[([^\[\]\n]{0,300})\]\([^()\s]{0,500}\)")


def _extract_directions(text: str) -> tuple[str, list[str], list[str]]:
    """Split camera directions and sound cues off spoken text: (clean text, camera, sounds).
    Only vidgen's markup is taken out (pauses and a leading pace stay for the voice, `[camera: ...]`
    and `[SFX: ...]` / `[SOUND: ...]` go); any other [bracketed text] stays in the words as written
    (issue 11)."""
    camera: list[str] = []
    sounds: list[str] = []
    text = _LINK.sub(r"\1", text)

    def bracket(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        if _PAUSE_TAG.match(inner) or (_PACE_TAG.match(inner) and not text[:m.start()].strip()):
            return f" [{inner.lower()}] "
        if _PACE_TAG.match(inner):
            return " "  # a pace tag mid-line: vidgen's markup in the wrong place, dropped
        if re.match(r"(?i)cam(era)?\b", inner) or _camera_moves(inner, inner):
            camera.append(re.sub(r"(?i)^cam(era)?\s*:?\s*", "", inner))
            return " "
        cue = sound_cue(inner)
        if cue is not None:
            if cue:
                sounds.append(cue)
            return " "
        return m.group(0)  # any other [bracketed text] is not vidgen markup: spoken as written

    text = _BRACKETS.sub(bracket, text)
    text = _CAMERA_PARENS.sub(lambda m: camera.append(m.group(1)) or " ", text)
    text = re.sub(r"(?<=\w) +(?=[.,!?;:](?:\s|$))", "", " ".join(text.split()))  # "Ok [beat] ." -> "Ok."
    return text, camera, sounds


_SOUND_LABEL = re.compile(
    r"(?i)^(?:" + "|".join(re.escape(w) for w in sorted(SOUND_LABELS, key=len, reverse=True)) + r")\b\s*[:\-–—]?\s*"
)


def sound_cue(inner: str) -> str | None:
    """The cue of `SFX: thunder` / `SOUND - a door slams` ("" for a bare `SFX`), None for other text."""
    m = _SOUND_LABEL.match(inner)
    if not m:
        return None
    rest = inner[m.end():].strip()
    # "Sound travels fast" is a sentence, not a cue: a label needs its colon, or be all capitals.
    if rest and ":" not in inner[: m.end()] and not inner[: m.end()].strip().isupper():
        return None
    return rest.strip(" .")


def _strip_md(s: str, *, keep_emphasis: bool = False) -> str:
    """Markdown marks off; with `keep_emphasis`, `*word*` / `**word**` stay as `*word*` (the voice's
    emphasis markup)."""
    # Linear on purpose: no paired-emphasis regex, so a line of 100k asterisks is still fast.
    s = s.replace("**", "*" if keep_emphasis else "")
    if not keep_emphasis:
        s = s.replace("*", "")
    s = s.replace("~~", "")  # backticks stay: `code` is spoken and shown as written
    s = re.sub(r"(?<!\w)_+|_+(?!\w)", "", s)
    return s


def _after_marks(marked: str, plain_index: int) -> str:
    """The tail of `marked` from where `marked` without its "*" reaches `plain_index`."""
    seen = 0
    for i, ch in enumerate(marked):
        if seen == plain_index:
            return marked[i:]
        if ch != "*":
            seen += 1
    return ""


def _display_name(name: str) -> str:
    """SARAH -> Sarah, DR. JONES -> Dr. Jones, ZOË -> Zoë; mixed case is kept as written."""
    name = " ".join(name.split()).strip(" :")
    if name == name.upper() or name == name.lower():
        name = re.sub(r"(?<=\w)['’]S\b", lambda m: m.group(0).lower(), name.title())
    return name


_STRICT_MOVES = [
    ("zoom_in", r"\bzoom(?:s|ed|ing)?\s+in(?:to)?\b|\bpush(?:es|ed|ing)?\s+in\b|\bdoll(?:y|ies|ying|ied)\s+in\b"),
    ("zoom_out", r"\bzoom(?:s|ed|ing)?\s+out\b|\bdoll(?:y|ies|ying|ied)\s+out\b|\bwide\s+reveal\b"
                 r"|\bpull(?:s|ing)?\s+(?:back|out)\s+to\s+reveal\b"),
    ("pan_left", r"\bpan(?:s|ned|ning)?\s+(?:to\s+the\s+)?left\b"),
    ("pan_right", r"\bpan(?:s|ned|ning)?\s+(?:to\s+the\s+)?right\b"),
    ("pan_up", r"\btilt(?:s|ed|ing)?\s+up\b|\bcran(?:e|es|ed|ing)\s+up\b|\bpan(?:s|ned|ning)?\s+up\b"),
    ("pan_down", r"\btilt(?:s|ed|ing)?\s+down\b|\bpan(?:s|ned|ning)?\s+down\b|\bcran(?:e|es|ed|ing)\s+down\b"),
    ("static", r"\blocked[\s-]+off\b"),
]
# Everyday words ("the waves roll", "hold on!", "radio static") only count in camera directions.
_CAMERA_ONLY_MOVES = [
    ("zoom_in", r"\bclos(?:e|es|ing)\s+in\b"),
    ("zoom_out", r"\bpull(?:s|ed|ing)?\s+(?:back|out)\b"),
    ("rotate", r"\brotat\w*|\bspin(?:s|ning)?\b|\bspun\b|\broll(?:s|ed|ing)?\b"),
    ("static", r"\bstatic\b|\bhold(?:s|ing)?\s+on\b|\bstill\s+frame\b"),
]
_STRICT_RE = [(m, re.compile(p, re.I)) for m, p in _STRICT_MOVES]
_CAMERA_ONLY_RE = [(m, re.compile(p, re.I)) for m, p in _CAMERA_ONLY_MOVES]


def _camera_moves(camera_text: str, other_text: str) -> list[str]:
    """Motions in order of appearance: all patterns in camera directions, strict ones elsewhere."""
    found: list[tuple[int, int, str]] = []
    # Sentences that talk about the camera count as directions ("the camera slowly rotates").
    extra = " ".join(s for s in re.split(r"(?<=[.!?])\s+", other_text) if re.search(r"(?i)\bcamera\b", s))
    for src, text, table in ((0, camera_text, _STRICT_RE + _CAMERA_ONLY_RE), (1, other_text, _STRICT_RE),
                             (2, extra, _CAMERA_ONLY_RE)):
        for motion, rx in table:
            m = rx.search(text)
            if m:
                found.append((src, m.start(), motion))
    out: list[str] = []
    for _src, _pos, motion in sorted(found):
        if motion not in out:
            out.append(motion)
    return out


# The camera's path notation (issue 14): `[camera: zoom 1.0 -> 1.3, pan left]`, `zoom 1 -> 1.5 in_out`,
# `pan 0.3,0.5 -> 0.7,0.5`, `rotate 0 -> 5`. Every quantifier is bounded or over disjoint classes,
# so matching stays linear in the text's length.
_NUM = r"(\d{1,3}(?:\.\d{1,6})?|\.\d{1,6})"
_SIGNED = r"([-+−]?\s?(?:\d{1,3}(?:\.\d{1,6})?|\.\d{1,6}))"
_TO = r"\s{0,5}(?:->|→|=>|\bto\b)\s{0,5}"
_EASE = r"(?:\s{1,5}(?:ease[\s_-]{0,3})?(in[\s_-]{0,3}out|in|out|linear)\b)?"
_POINT = _NUM + r"\s{0,3},\s{0,3}" + _NUM
_PATH_ZOOM = re.compile(r"(?i)\bzoom\s{1,5}" + _NUM + r"x?" + _TO + _NUM + r"x?" + _EASE)
_PATH_PAN = re.compile(r"(?i)\bpan\s{1,5}\(?" + _POINT + r"\)?" + _TO + r"\(?" + _POINT + r"\)?" + _EASE)
_PATH_ROTATE = re.compile(r"(?i)\brotate\s{1,5}" + _SIGNED + r"\s{0,3}(?:°|deg\w{0,5})?" + _TO + _SIGNED + _EASE)
_PATH_DIRECTION = re.compile(r"(?i)\bpan\s{1,5}(left|right|up|down)\b" + _EASE)
_PAN_SHARE = 0.9  # a `pan left` with a zoom travels this share of the margin the zoom creates
_PAN_ZOOM = 1.12  # the zoom of a `pan left` beside a rotation only (camera.PAN_ZOOM)


def camera_path_of(text: str) -> list[CameraKey]:
    """The custom camera path of a scene's camera directions (two keys, t = 0 and 1), or [] when they
    hold no `a -> b` part. Parts combine into one move: `zoom A -> B [ease]`, `pan X,Y -> X,Y [ease]`,
    `rotate A -> B [ease]` (degrees) and, beside one of those, `pan left|right|up|down` (from one edge
    of the zoom's margin to the other). Values outside the camera's ranges (zoom 1..4, x and y 0..1,
    rotate -45..45) and unknown notation are ignored, like any other unknown direction: this never
    raises, so no script fails for it. The ease is the first one named (in_out when none). A pan
    between points with no zoom gets the smallest zoom (up to 4) at which both points can be the
    centre: at zoom 1 the whole picture is in view and there is nowhere to pan."""
    start = {"x": 0.5, "y": 0.5, "zoom": 1.0, "rotate": 0.0}
    end = dict(start)
    found, direction = False, ""
    eases: list[tuple[int, str]] = []  # (position, word): the first one named wins
    for m in _PATH_ZOOM.finditer(text):
        a, b = float(m.group(1)), float(m.group(2))
        if 1.0 <= a <= 4.0 and 1.0 <= b <= 4.0:
            start["zoom"], end["zoom"], found = a, b, True
            eases.append((m.start(3), _ease_word(m.group(3))))
    for m in _PATH_PAN.finditer(text):
        x0, y0, x1, y1 = (float(m.group(i)) for i in range(1, 5))
        if all(0.0 <= v <= 1.0 for v in (x0, y0, x1, y1)):
            start.update(x=x0, y=y0)
            end.update(x=x1, y=y1)
            found, direction = True, "points"
            eases.append((m.start(5), _ease_word(m.group(5))))
    for m in _PATH_ROTATE.finditer(text):
        a, b = (float(g.replace("−", "-").replace(" ", "")) for g in (m.group(1), m.group(2)))
        if -45.0 <= a <= 45.0 and -45.0 <= b <= 45.0:
            start["rotate"], end["rotate"], found = a, b, True
            eases.append((m.start(3), _ease_word(m.group(3))))
    if not found:
        return []
    m = _PATH_DIRECTION.search(text)
    if m and direction != "points":
        eases.append((m.start(2), _ease_word(m.group(2))))
        if start["zoom"] == end["zoom"] == 1.0:
            start["zoom"] = end["zoom"] = _PAN_ZOOM
        axis, sign = {"left": ("x", -1), "right": ("x", 1), "up": ("y", -1), "down": ("y", 1)}[m.group(1).lower()]
        start[axis] = 0.5 - sign * 0.5 * (1 - 1 / start["zoom"]) * _PAN_SHARE
        end[axis] = 0.5 + sign * 0.5 * (1 - 1 / end["zoom"]) * _PAN_SHARE
    if direction == "points" and start["zoom"] == end["zoom"] == 1.0:  # room to travel between the points
        far = max(abs(v - 0.5) for v in (start["x"], start["y"], end["x"], end["y"]))
        start["zoom"] = end["zoom"] = round(min(4.0, 1.0 / max(0.25, 1.0 - 2.0 * far)), 4)
    ease = min((p, w) for p, w in eases if w)[1] if any(w for _p, w in eases) else "in_out"
    return [CameraKey(t=0.0, ease=ease, **start), CameraKey(t=1.0, ease=ease, **end)]


def _ease_word(word: str | None) -> str:
    if not word:
        return ""
    w = re.sub(r"[\s_-]+", "", word.lower())
    return {"inout": "in_out"}.get(w, w)


def _words_time(text: str) -> str:
    """Time of day named by the text's words (vocabulary.TIME_WORDS)."""
    return words_time(text)


def _apply_slug(sc: _Raw, prefix: str, rest: str) -> None:
    sc.interior = slug_interior(prefix)
    sc.location, sc.time = _split_time(_SCENE_NUMBER.sub("", rest))


def _split_time(rest: str) -> tuple[str, str]:
    """'BEACH - DUSK' -> ('BEACH', 'dusk'); time is "inherit" for CONTINUOUS / LATER. A last part
    joined by a lone hyphen or a space counts only when it is a time word ('病院-日', 'HOUSE DAY')."""
    parts = [p.strip() for p in re.split(r"\s+[-–—]+\s+|\s*[-–—]{2,}\s*", rest.strip())]
    time = ""
    if len(parts) > 1:
        t = slug_time(parts[-1])
        if t:
            time = t
            parts = parts[:-1]
    else:
        m = re.match(r"^(.*\S)(?:\s*-\s*|\s+)([^\s-]+)$", parts[0])
        if m and slug_time(m.group(2)) and m.group(2).upper() == m.group(2):
            parts, time = [m.group(1)], slug_time(m.group(2))
    location = " - ".join(p for p in parts if p).strip(" .-–—")
    return location, time


def _transition_kind(s: str) -> str:
    u = s.upper()
    for word, kind in (("DISSOLVE", "dissolve"), ("WIPE", "wipe"), ("FADE", "fade"), ("CUT", "cut")):
        if word in u:
            return kind
    return "cut"


def _is_narrator(name: str) -> bool:
    return is_narrator(name)
