"""Keyed body text, shared by the storyboard, Markdown and dialogue readers.

A body is `Key: value` lines (Visual:, Camera:, ON SCREEN:, SFX: ...), `NAME: line` dialogue (also
`**NAME:** line`, and a `NAME:` label alone on its line above the speech) and plain paragraphs.
"""

from __future__ import annotations

import re

from ...domain import Line
from .common import _MAX_HEAD_LEN, _MD_HEAD, _Raw
from .directions import (
    _PAUSE_TAG,
    _after_marks,
    _display_name,
    _extract_directions,
    _is_narrator,
    _strip_md,
    _transition_kind,
    _words_time,
    sound_cue,
)
from .labels import NOT_SPEAKERS, is_production_label, label_kind
from .mood import _mood_word

_SPEAKER_LINE = re.compile(
    r"^([^\W\d_][\w .'’\-]{0,40}?)\s*(?:\(([^()]{0,60})\))?\s*:(?!//)\s*(.*)$"
)
_KEY_LINE = re.compile(r"^([^\W\d_][\w .'’\-]{0,30}?)\s*(?:\(([^()]{0,60})\))?\s*:(?!//)\s*(.*)$")
# "Mist drifts. Narrator: Every morning ..." : a label after a sentence end, inside one line.
_INLINE_LABEL = re.compile(r"(?<=[.!?…\"”])\s+([^\W\d_][\w'’\-]{0,20}(?: [^\W\d_][\w'’\-]{0,20}){0,2})"
                           r"\s*(?:\(([^()]{0,60})\))?\s*:\s+(?=\S)")
_BULLET = re.compile(r"^\s*(?:[-+•]|\*(?=\s)|\d{1,3}[.)])\s+")
_NAME_PARTICLES = {"the", "of", "de", "van", "von", "der", "la", "le", "da", "di", "al", "bin", "del"}


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
    if low in NOT_SPEAKERS or label_kind(low) or low.rstrip(".") in NOT_SPEAKERS:
        return False
    if name == name.upper() or (len(words) == 1 and name == name.lower()):
        return True
    return all(w[0].isupper() or w.lower() in _NAME_PARTICLES for w in words)


def _inline_label(marked: str) -> tuple[str, str, str, str] | None:
    """(picture, label, parenthetical, speech) for `A village at sunrise. Narrator: Every morning ...`."""
    if len(marked) > 4000:
        return None
    plain = marked.replace("*", "")
    for m in _INLINE_LABEL.finditer(plain):
        name = m.group(1)
        if _is_narrator(name) or label_kind(name) == "narration" or (
                _plausible_name(name) and label_kind(name) is None):
            speech = _after_marks(marked, m.end()).strip()
            return plain[: m.start()].strip(), name, (m.group(2) or "").strip(), speech
    return None


def _italic_line(s: str) -> tuple[str, str] | None:
    """A whole line in italics: ("speech", words) when it quotes speech, ("label", line) when it is a
    `Key:` or `NAME:` line, else ("direction", words)."""
    if len(s) < 3 or s[0] != s[-1] or s[0] not in "*_" or s[:2] in ("**", "__") or s[-2:] in ("**", "__"):
        return None
    inner = s[1:-1].strip()
    if not inner or s[0] in inner:
        return None
    key = _KEY_LINE.match(inner) if ":" in inner[:100] else None
    if key and (label_kind(key.group(1)) or _speaker_of(inner)):
        return "label", inner  # "*Narrator: Hello*" is a label in italics, read as one
    for open_, close in (('"', '"'), ("“", "”"), ("«", "»"), ("„", "“")):
        if len(inner) > 2 and inner.startswith(open_) and inner.endswith(close) and open_ not in inner[1:-1]:
            return "speech", inner[1:-1].strip()
    return "direction", inner


class _Body:
    """Reads `Key: value`, `NAME: line` and plain paragraphs into one _Raw scene."""

    def __init__(self, sc: _Raw):
        self.sc = sc
        self.last: tuple[str, int] | None = None  # (kind, index) the next plain line continues
        self.block = False  # under a `NAME:` label on its own line: every line is that speech

    def blank(self) -> None:
        self.last = None
        self.block = False

    def line(self, raw_line: str) -> None:
        sc = self.sc
        sc.source.append(raw_line)
        if len(raw_line) <= _MAX_HEAD_LEN and _MD_HEAD.match(raw_line.strip()):
            self.last, self.block = None, False  # a sub-heading is a label, not speech
            return
        bullet = bool(_BULLET.match(raw_line))
        unlisted = _unlist(raw_line.strip())
        italic = _italic_line(unlisted) if not bullet else None
        if italic is not None and italic[0] == "label":
            unlisted = italic[1]
        elif italic is not None:
            self.block = False
            kind, words = italic
            return self._say(words, None, "") if kind == "speech" else self._add("visual", words)
        marked = _strip_md(unlisted, keep_emphasis=True)  # spoken text keeps *emphasis*
        s = marked.replace("*", "")
        if not s or re.fullmatch(r"(?:[-*_=~]\s*){3,}", marked):
            return
        if self._sound_line(s):
            return
        key = _KEY_LINE.match(s) if len(s) <= 4000 and ":" in s[:100] else None
        if key and self._key(key, marked):
            return
        spk = _speaker_of(s) if not bullet else None  # a bulleted `Term: text` is a list, not dialogue
        if spk is not None:
            name, paren, value, at = spk
            self.block = not value
            speaker = None if _is_narrator(name) else _display_name(name)
            return self._say(_after_marks(marked, at).strip(), speaker, paren)
        inline = _inline_label(marked) if not bullet else None
        if inline is not None:
            picture, name, paren, speech = inline
            self._add("visual", picture)
            narrator = _is_narrator(name) or label_kind(name) == "narration"
            return self._say(speech, None if narrator else _display_name(name), paren)
        if s.startswith("[") and s.endswith("]") and _PAUSE_TAG.match(s[1:-1].strip()):
            if self.last is not None and self.last[0] == "line":  # a pause on its own line: after the line above
                return self._continue(s)
            return self._say(s, None, "")
        if (s.startswith("[") and s.endswith("]")) or (s.startswith("(") and s.endswith(")")):
            if s[0] == "(" and self.block and self.last is not None and self.last[0] == "line" and not sc.lines[self.last[1]].text:
                sc.lines[self.last[1]].parenthetical = s[1:-1].strip()  # `NAME:` / `(softly)` / the speech
                return
            self._add("stage", s[1:-1])
            self.last = None
            return
        if self.last is not None and (self.block or raw_line[:1].isspace() or self._wrapped()):
            return self._continue(marked)
        return self._say(marked, None, "")

    def _sound_line(self, s: str) -> bool:
        """`[SFX] a door slams` or `[SOUND: rain]` alone on its line: a cue, never spoken."""
        m = re.match(r"^\[([^\[\]]{1,60})\]\s*(.*)$", s) if len(s) <= 4000 else None
        if not m:
            return False
        cue = sound_cue(m.group(1))
        if cue is None:
            return False
        text = " ".join(x for x in (cue, m.group(2).strip()) if x)
        if text:
            self.sc.sounds.append(text)
        self.last, self.block = None, False
        return True

    def _key(self, key: re.Match[str], marked: str) -> bool:
        """Handle a `Key: value` label line; False when the key is no label (maybe a speaker)."""
        sc = self.sc
        name = " ".join(key.group(1).split())
        kind = label_kind(name)
        if kind is None:
            return False
        paren, value = (key.group(2) or "").strip(), key.group(3).strip()
        self.block = False
        if is_production_label(name):
            sc.labels.append(name)
        if kind == "narration":
            self._say(_after_marks(marked, key.start(3)).strip(), None, paren)
            self.block = not value
        elif kind == "visual":
            self._add("visual", value)
        elif kind == "camera":
            self._add("camera", value)
        elif kind in ("sound", "music"):
            if value:
                sc.sounds.append(value if kind == "sound" else f"music: {value}")
            if kind == "music":
                sc.mood = sc.mood or _mood_word(value)
            self.last = None
        elif kind == "mood":
            sc.mood = sc.mood or _mood_word(value)
            self.last = None
        elif kind == "location":
            sc.location = value.strip(" .")
            self._add("visual", value)
        elif kind == "time":
            sc.time = _words_time(value) or sc.time
            self.last = None
        elif kind == "transition":
            sc.transition = _transition_kind(value) if value.strip() else sc.transition
            self.last = None
        else:  # ignored
            self.last = None
        return True

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
        clean, camera, sounds = _extract_directions(text)
        self.sc.camera_text.extend(camera)
        self.sc.sounds.extend(sounds)
        self.sc.lines.append(Line(text=clean, speaker=speaker, parenthetical=paren))
        if speaker is None:
            self.sc.narrated_visual.append(clean)
        self.last = ("line", len(self.sc.lines) - 1)

    def _add(self, kind: str, text: str) -> None:
        target = {"visual": self.sc.visual, "camera": self.sc.camera_text, "stage": self.sc.narrated_visual}[kind]
        clean, camera, sounds = _extract_directions(text) if kind != "camera" else (text.strip(), [], [])
        self.sc.camera_text.extend(camera)
        self.sc.sounds.extend(sounds)
        target.append(clean)
        self.last = (kind, len(target) - 1)

    def _continue(self, s: str) -> None:
        kind, idx = self.last  # type: ignore[misc]
        if kind == "line":
            ln = self.sc.lines[idx]
            clean, camera, sounds = _extract_directions(s)
            self.sc.camera_text.extend(camera)
            self.sc.sounds.extend(sounds)
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
