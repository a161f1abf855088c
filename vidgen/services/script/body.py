"""Keyed body text and the preamble, shared by the storyboard, Markdown, dialogue and prose readers.

A body is `Key: value` lines (Visual:, Camera:, Mood: ...), `NAME: line` dialogue and plain
paragraphs; the preamble is the title, cast list and metadata above the first scene.
"""

from __future__ import annotations

import re

from ...domain import Line
from .common import _MAX_HEAD_LEN, _MD_HEAD, _WORD, _Doc, _Raw
from .directions import (
    _display_name,
    _extract_directions,
    _is_narrator,
    _PAUSE_TAG,
    _after_marks,
    _strip_md,
    _transition_kind,
    _words_time,
)
from .mood import _mood_word

_SPEAKER_LINE = re.compile(
    r"^([^\W\d_][\w .'’\-]{0,40}?)\s*(?:\(([^()]{0,60})\))?\s*:(?!//)\s*(.*)$"
)
_KEY_LINE = re.compile(r"^([^\W\d_][\w .'’\-]{0,30}?)\s*(?:\(([^()]{0,60})\))?\s*:(?!//)\s*(.*)$")

_VISUAL_KEYS = {"visual", "visuals", "image", "picture", "shot", "action", "on screen", "description", "scene"}
_NARRATION_KEYS = {"narrator", "narration", "vo", "v.o", "v.o.", "voiceover", "voice-over", "voice over", "voice"}
_CAMERA_KEYS = {"camera", "cam", "camera move", "camera movement", "motion", "movement"}
_MOOD_KEYS = {"mood", "music", "tone", "score", "atmosphere"}
_LOCATION_KEYS = {"location", "setting", "place", "where"}
_TIME_KEYS = {"time", "time of day", "when"}
_IGNORED_KEYS = {
    "sound", "sfx", "sound effect", "sound effects", "note", "notes", "duration", "length",
    "caption", "text", "on-screen text", "subtitle", "title card", "lower third", "transition",
}
_NOT_SPEAKERS = _IGNORED_KEYS | {
    "title", "characters", "cast", "author", "by", "date", "warning", "tip", "hint", "example",
    "summary", "synopsis", "logline", "genre", "update", "edit", "source", "credit", "http", "https",
    "ftp", "mailto", "remember", "important", "question", "answer", "q", "a", "result", "reason",
    "step", "fact", "rule", "lesson", "moral", "why", "what", "how", "where", "who", "meanwhile",
    "later", "finally", "first", "second", "third", "next", "then", "now", "today", "tomorrow",
    "yesterday", "however", "but", "and", "so", "chapter", "part", "act", "page", "ps", "p.s.",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "ingredients", "format", "style", "length", "total",
}
_NAME_PARTICLES = {"the", "of", "de", "van", "von", "der", "la", "le", "da", "di", "al", "bin", "del"}
_KEYS = _VISUAL_KEYS | _NARRATION_KEYS | _CAMERA_KEYS | _MOOD_KEYS | _LOCATION_KEYS | _TIME_KEYS | _IGNORED_KEYS


def _speaker_of(s: str) -> tuple[str, str, str, int] | None:
    """(name, parenthetical, text, where the text starts) when the line is `NAME: text` with a plausible NAME."""
    if len(s) > 4000 or ":" not in s[:120]:
        return None
    m = _SPEAKER_LINE.match(s)
    if not m:
        return None
    name = " ".join(m.group(1).split())
    if not _plausible_name(name):
        return None
    return name, (m.group(2) or "").strip(), m.group(3).strip(), m.start(3)


def _plausible_name(name: str) -> bool:
    words = name.split()
    if not words or len(words) > 3 or len(name) > 40 or not name[0].isalpha():
        return False
    low = name.lower()
    if low in _NOT_SPEAKERS or low in _KEYS or low.rstrip(".") in _NOT_SPEAKERS:
        return False
    if name == name.upper() or (len(words) == 1 and name == name.lower()):
        return True
    return all(w[0].isupper() or w.lower() in _NAME_PARTICLES for w in words)


class _Body:
    """Reads `Key: value`, `NAME: line` and plain paragraphs into one _Raw scene."""

    def __init__(self, sc: _Raw):
        self.sc = sc
        self.last: tuple[str, int] | None = None  # (kind, index) the next plain line continues

    def blank(self) -> None:
        self.last = None

    def line(self, raw_line: str) -> None:
        sc = self.sc
        sc.source.append(raw_line)
        if len(raw_line) <= _MAX_HEAD_LEN and _MD_HEAD.match(raw_line.strip()):
            self.last = None  # a sub-heading is a label, not speech
            return
        marked = _strip_md(_unlist(raw_line.strip()), keep_emphasis=True)  # spoken text keeps *emphasis*
        s = marked.replace("*", "")
        if not s or re.fullmatch(r"(?:[-*_=~]\s*){3,}", marked):
            return
        key = _KEY_LINE.match(s) if len(s) <= 4000 and ":" in s[:100] else None
        if key:
            k = " ".join(key.group(1).split()).lower()
            paren, value = (key.group(2) or "").strip(), key.group(3).strip()
            if k in _NARRATION_KEYS:
                value = _after_marks(marked, key.start(3)).strip()
            if k in _VISUAL_KEYS:
                return self._add("visual", value)
            if k in _NARRATION_KEYS:
                return self._say(value, None, paren)
            if k in _CAMERA_KEYS:
                return self._add("camera", value)
            if k in _MOOD_KEYS:
                sc.mood = sc.mood or _mood_word(value)
                self.last = None
                return
            if k in _LOCATION_KEYS:
                sc.location = value.strip(" .")
                return self._add("visual", value)
            if k in _TIME_KEYS:
                sc.time = _words_time(value) or sc.time
                self.last = None
                return
            if k == "transition":
                sc.transition = _transition_kind(value) if value.strip() else sc.transition
                self.last = None
                return
            if k in _IGNORED_KEYS:
                self.last = None
                return
        spk = _speaker_of(s)
        if spk is not None and spk[2]:
            name, paren, value, at = spk
            return self._say(_after_marks(marked, at).strip(), None if _is_narrator(name) else _display_name(name),
                             paren)
        if s.startswith("[") and s.endswith("]") and _PAUSE_TAG.match(s[1:-1].strip()):
            if self.last is not None and self.last[0] == "line":  # a pause on its own line: after the line above
                return self._continue(s)
            return self._say(s, None, "")
        if (s.startswith("[") and s.endswith("]")) or (s.startswith("(") and s.endswith(")")):
            self._add("stage", s[1:-1])
            self.last = None
            return
        if self.last is not None and (raw_line[:1].isspace() or self._wrapped()):
            return self._continue(marked)
        return self._say(marked, None, "")

    def _wrapped(self) -> bool:
        """Whether a plain line continues the item above: narration paragraphs join, and a
        `Visual:` or `NAME:` line that stops mid-sentence was hard-wrapped."""
        kind, idx = self.last  # type: ignore[misc]
        if kind == "line":
            ln = self.sc.lines[idx]
            if ln.speaker is None:
                return True
            text = ln.text
        elif kind == "visual":
            text = self.sc.visual[idx]
        else:  # camera directions are short and unpunctuated: never assume a wrap
            return False
        return not re.search(r"[.!?…:;\"”’')\]]$", text.strip())

    def _say(self, text: str, speaker: str | None, paren: str) -> None:
        clean, camera, stage = _extract_directions(text)
        self.sc.camera_text.extend(camera)
        self.sc.narrated_visual.extend(stage)
        self.sc.lines.append(Line(text=clean, speaker=speaker, parenthetical=paren))
        if speaker is None:
            self.sc.narrated_visual.append(clean)
        self.last = ("line", len(self.sc.lines) - 1)

    def _add(self, kind: str, text: str) -> None:
        target = {"visual": self.sc.visual, "camera": self.sc.camera_text, "stage": self.sc.narrated_visual}[kind]
        clean, camera, stage = _extract_directions(text) if kind != "camera" else (text.strip(), [], [])
        self.sc.camera_text.extend(camera)
        self.sc.narrated_visual.extend(stage)
        target.append(clean)
        self.last = (kind, len(target) - 1)

    def _continue(self, s: str) -> None:
        kind, idx = self.last  # type: ignore[misc]
        if kind == "line":
            ln = self.sc.lines[idx]
            clean, camera, stage = _extract_directions(s)
            self.sc.camera_text.extend(camera)
            self.sc.narrated_visual.extend(stage)
            ln.text = f"{ln.text} {clean}".strip()
            if ln.speaker is None:
                self.sc.narrated_visual.append(clean)
        else:
            target = {"visual": self.sc.visual, "camera": self.sc.camera_text, "stage": self.sc.narrated_visual}[kind]
            target[idx] = f"{target[idx]} {s}".strip()


def _read_body(sc: _Raw, lines: list[str]) -> None:
    body = _Body(sc)
    fenced = False
    for raw_line in lines:
        s = raw_line.strip()
        if s.startswith("```") or s.startswith("~~~"):
            fenced = not fenced
            sc.source.append(raw_line)
            continue
        if fenced:
            sc.source.append(raw_line)
            continue
        if not s:
            body.blank()
            sc.source.append(raw_line)
            continue
        body.line(raw_line)


def _unlist(s: str) -> str:
    """Drop a Markdown bullet, number or quote marker from the start of a line."""
    return re.sub(r"^(?:>\s*)+|^(?:[-*+•]|\d{1,3}[.)])\s+", "", s)


# The preamble: title, cast list and metadata above the first scene.
_CAST_HEAD = re.compile(
    r"^(?:#{1,6}\s*)?[*_]*(characters|cast|cast of characters|dramatis personae)[*_]*\s*:?\s*[*_]*$", re.I
)
_META_KEYS = {
    "title", "author", "by", "logline", "genre", "format", "style", "written by", "date", "draft", "duration",
    "length", "synopsis", "summary",
}


def _read_preamble(lines: list[str], doc: _Doc, top_only: bool = False) -> list[str]:
    """Take title, cast list and metadata lines off `lines`; return what is left.

    With top_only, stop at the first line of content (prose and chat keep a later `Title:` line).
    """
    rest: list[str] = []
    content = False
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        i += 1
        if top_only and content:
            rest.extend(lines[i - 1 :])
            break
        if len(s) <= _MAX_HEAD_LEN and _CAST_HEAD.match(s):
            while i < len(lines) and not lines[i].strip():
                i += 1
            while i < len(lines) and lines[i].strip():
                _cast_entry(lines[i], doc)
                i += 1
            continue
        m = _KEY_LINE.match(_strip_md(s)) if len(s) <= _MAX_HEAD_LEN and ":" in s else None
        if m and " ".join(m.group(1).split()).lower() in _META_KEYS:
            if m.group(1).strip().lower() == "title" and not doc.title:
                doc.title = m.group(3)
            continue
        h = _MD_HEAD.match(s) if len(s) <= _MAX_HEAD_LEN else None
        if h and len(h.group(1)) == 1 and not doc.title and not content:
            doc.title = h.group(2)
            continue
        rest.append(lines[i - 1])
        content = content or bool(s)
    return rest


def _cast_entry(line: str, doc: _Doc) -> None:
    s = _strip_md(_unlist(line.strip()))
    m = re.match(r"^(.{1,40}?)\s*(?::|\s[—–-]\s|[—–]|,)\s*(.+)$", s)
    name, desc = (m.group(1), m.group(2)) if m else (s, "")
    name = re.sub(r"\s*\([^)]*\)\s*$", "", name).strip()
    if name and _WORD.search(name):
        doc.descriptions[_display_name(name).casefold()] = desc.strip()
