"""The Fountain screenplay reader: title page, sluglines, cues, dialogue blocks and action."""

from __future__ import annotations

import re

from ...domain import Line
from .common import _MAX_HEAD_LEN, _Doc, _Raw
from .directions import (
    _SCENE_NUMBER,
    _SLUG,
    _apply_slug,
    _display_name,
    _extract_directions,
    _is_narrator,
    _split_time,
    _strip_md,
    _transition_kind,
)

_TITLE_KEY = re.compile(
    r"^(title|credit|author|authors|source|draft date|date|contact|copyright|notes|revision|episode|series)"
    r"\s*:\s*(.*)$",
    re.I,
)
_TRANSITION_WORDS = re.compile(
    r"^(?:FADE (?:IN|OUT)|FADE TO BLACK|FADE TO WHITE|CUT TO BLACK|SMASH CUT|MATCH CUT|JUMP CUT|"
    r"IRIS (?:IN|OUT)|DISSOLVE|WIPE)[.:]?$"
)
_CUE = re.compile(r"^(.*?)\s*((?:\([^()]*\)\s*)*)$")


def _remove_spans(text: str, start: str, end: str) -> str:
    """Drop `start ... end` spans (boneyard, notes); an unclosed span runs to the end. Linear."""
    out, i = [], 0
    while True:
        j = text.find(start, i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        k = text.find(end, j + len(start))
        if k < 0:
            break
        # Keep the line breaks so blank-line structure (and line counts) survive.
        out.append("\n" * text.count("\n", j, k))
        i = k + len(end)
    return "".join(out)


def _read_fountain(text: str) -> _Doc:
    text = _remove_spans(_remove_spans(text, "/*", "*/"), "[[", "]]")
    lines = text.split("\n")
    doc = _Doc()
    i = _fountain_title_page(lines, doc)
    n = len(lines)
    cur: _Raw | None = None
    pending_transition = ""
    speaker: str | None = None  # raw cue name while inside a dialogue block
    speaker_display: str | None = None
    paren = ""
    joinable = False  # the next dialogue line continues the previous Line
    action: list[str] = []  # action lines, for character descriptions

    def new_scene(heading: str, numbered: bool = True) -> _Raw:
        nonlocal cur, pending_transition
        cur = _Raw(heading=heading, numbered=numbered, transition=pending_transition)
        pending_transition = ""
        doc.scenes.append(cur)
        return cur

    def scene() -> _Raw:
        return cur if cur is not None else new_scene("Opening", numbered=False)

    while i < n:
        raw_line = lines[i]
        s = raw_line.strip()
        prev_blank = i == 0 or not lines[i - 1].strip()
        nxt = lines[i + 1].strip() if i + 1 < n else ""
        i += 1
        if not s:
            speaker = None
            continue
        if speaker is not None:  # inside a dialogue block
            sc = scene()
            sc.source.append(raw_line)
            if s.startswith("(") and s.endswith(")"):
                paren = s[1:-1].strip()
                joinable = False
                continue
            s, camera, stage = _extract_directions(s.lstrip("~"))
            sc.camera_text.extend(camera)
            sc.narrated_visual.extend(stage)
            if not s:
                continue
            if joinable and sc.lines and not paren:
                sc.lines[-1].text += " " + s
            else:
                sc.lines.append(Line(text=s, speaker=speaker_display, parenthetical=paren))
            paren, joinable = "", True
            continue
        if re.fullmatch(r"={3,}", s) or s.startswith(("#", "=")):
            continue  # page break, section, synopsis
        if s.startswith(">") and s.endswith("<"):
            continue  # centred text such as >THE END<
        if s.startswith(">"):
            pending_transition = _transition_kind(s[1:])
            continue
        if s.startswith(".") and len(s) > 1 and s[1].isalnum():
            heading = _SCENE_NUMBER.sub("", s[1:]).strip()
            sc = new_scene(heading)
            sc.source.append(raw_line)
            slug = _SLUG.match(heading)
            if slug:
                _apply_slug(sc, slug.group(1), slug.group(2))
            else:
                sc.location, sc.time = _split_time(heading)
            continue
        slug = _SLUG.match(s) if len(s) <= _MAX_HEAD_LEN else None
        if slug and not (slug.group(1).lower() == "est" and not slug.group(1).isupper()):
            sc = new_scene(_SCENE_NUMBER.sub("", s).strip())
            sc.source.append(raw_line)
            _apply_slug(sc, slug.group(1), slug.group(2))
            continue
        if s.upper() == s and (s.endswith("TO:") or _TRANSITION_WORDS.match(s)) and len(s) <= 40:
            pending_transition = _transition_kind(s)
            continue
        cue = _cue_name(s) if prev_blank and nxt else None
        if cue is not None:
            sc = scene()
            sc.source.append(raw_line)
            speaker = cue
            speaker_display = None if _is_narrator(cue) else _display_name(cue)
            paren, joinable = "", False
            continue
        sc = scene()
        sc.source.append(raw_line)
        body = s[1:].strip() if s.startswith("!") else s
        clean, camera, stage = _extract_directions(body)
        sc.camera_text.extend(camera)
        sc.narrated_visual.extend(stage)
        if clean:
            sc.visual.append(clean)
            action.append(body)
    for sc in doc.scenes:
        sc.lines = [ln for ln in sc.lines if ln.text.strip()]
    doc.descriptions = _fountain_descriptions(doc.scenes, action)
    return doc


def _fountain_title_page(lines: list[str], doc: _Doc) -> int:
    """Read a leading `Key: value` title page; return the index of the first line after it."""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or len(lines[i]) > _MAX_HEAD_LEN or not _TITLE_KEY.match(lines[i].strip()):
        return 0
    key, values = "", {}
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        m = _TITLE_KEY.match(line.strip()) if len(line) <= _MAX_HEAD_LEN * 4 else None
        if m and not line[:1].isspace():
            key = m.group(1).lower()
            values[key] = [m.group(2).strip()]
        elif key:  # indented continuation of a multi-line value
            values[key].append(line.strip())
        i += 1
    doc.title = " ".join(v for v in values.get("title", []) if v)
    return i


def _cue_name(s: str) -> str | None:
    """The name of a character cue line (`SARAH (V.O.)`, `@McClane`), or None."""
    if len(s) > 80:
        return None
    forced = s.startswith("@")
    body = (s[1:] if forced else s).rstrip("^").strip()
    m = _CUE.match(body)
    name = m.group(1).strip() if m else ""
    if not name or len(name.split()) > 5:
        return None
    if forced:
        return name if any(c.isalpha() for c in name) else None
    if name != name.upper() or not re.fullmatch(r"[^\W\d_][\w.'’\- ]*", name):
        return None
    if name.endswith("TO:"):
        return None
    return name


def _fountain_descriptions(scenes: list[_Raw], action: list[str]) -> dict[str, str]:
    """'SARAH (30s), a marine biologist, stares.' -> {'sarah': '30s, a marine biologist, stares'}."""
    names = []
    for sc in scenes:
        for ln in sc.lines:
            if ln.speaker and ln.speaker not in names:
                names.append(ln.speaker)
    out: dict[str, str] = {}
    for name in names:
        pattern = re.compile(r"(?<![\w])" + re.escape(name.upper()) + r"(?![\w])")
        for text in action:
            m = pattern.search(text)
            if not m:
                continue
            rest = text[m.end() :]
            if rest.lstrip()[:1] in ("(", ","):
                rest = re.split(r"(?<=[.!?])\s+(?=[A-Z])", rest.strip(), maxsplit=1)[0]
                desc = re.sub(r"\s+", " ", rest.replace("(", "").replace(")", "")).strip(" ,.;:")
                if desc:
                    out[name.casefold()] = _strip_md(desc)
            break
    return out
