"""Screen directions inside the text: camera moves, time of day, sluglines, transitions, names.

Also the Markdown stripping every reader applies before text is spoken or shown.
"""

from __future__ import annotations

import re

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
