"""The Fountain screenplay reader: title page, sluglines, cues, dialogue blocks and action.

Follows https://fountain.io/syntax where a film needs it: a heading or a cue starts after a blank
line (a stray mid-paragraph "INT" line is action), a line of two spaces keeps a dialogue block
going, `\\*` is a literal star, boneyard `/* */` nests. Beyond the spec, as pasted scripts are
written: `NAME: line` and `NARRATOR: line` inside the action are dialogue, a `Characters:` list
gives descriptions, `SFX:` lines and capitalised sound words are sound cues.
"""

from __future__ import annotations

import re

from ...domain import Line
from .body import _speaker_of
from .common import _MAX_HEAD_LEN, _Doc, _Raw
from .directions import (
    _apply_slug,
    _display_name,
    _extract_directions,
    _is_narrator,
    _split_time,
    _strip_md,
    _transition_kind,
    sound_cue,
)
from .labels import CAST_HEAD, DIRECTION_WORDS, label_kind
from .names import caps_introductions, describe_speakers
from .preamble import _read_cast
from .vocabulary import _SCENE_NUMBER, SOUND_WORDS, slug_match, strong_slug, transition_word

_TITLE_KEY = re.compile(
    r"^(title|credit|author|authors|source|draft date|date|contact|copyright|notes|revision|episode|series)"
    r"\s*[:：]\s*(.*)$",
    re.I,
)
_TRANSITION_WORDS = re.compile(
    r"^(?:FADE (?:IN|OUT)|FADE TO BLACK|FADE TO WHITE|CUT TO BLACK|SMASH CUT|MATCH CUT|JUMP CUT|"
    r"IRIS (?:IN|OUT)|DISSOLVE|WIPE)[.:]?$"
)
_CUE = re.compile(r"^(.*?)\s*((?:\([^()]*\)\s*)*)$")
# Escaped marks are literal: a star that is not emphasis, an underscore that is not italics.
# They travel through the reader as private-use characters; `finish` turns them back.
ESCAPED = {"*": "\ue000", "_": "\ue001"}
_ESCAPE = re.compile(r"\\([\\*_#@!.~>=\[\]/^(){}|<-])")


def _unescape(s: str) -> str:
    return _ESCAPE.sub(lambda m: ESCAPED.get(m.group(1), m.group(1)), s) if "\\" in s else s


def _remove_spans(text: str, start: str, end: str) -> str:
    """Drop `start ... end` spans (notes); an unclosed span runs to the end. Linear."""
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


def _remove_boneyard(text: str) -> str:
    """Drop `/* ... */`, nested spans included (`/* a /* b */ c */`); unclosed runs to the end. Linear."""
    out: list[str] = []
    depth, i, kept = 0, 0, 0
    while True:
        opening, closing = text.find("/*", i), text.find("*/", i)
        if opening < 0 and (closing < 0 or depth == 0):
            break
        if opening >= 0 and (closing < 0 or opening < closing):
            if depth == 0:
                out.append(text[kept:opening])
                kept = opening
            depth += 1
            i = opening + 2
        else:
            i = closing + 2
            if depth:
                depth -= 1
                if depth == 0:
                    out.append("\n" * text.count("\n", kept, i))
                    kept = i
    out.append(text[kept:] if depth == 0 else "\n" * text.count("\n", kept))
    return "".join(out)


def _read_fountain(text: str) -> _Doc:
    text = _remove_spans(_remove_boneyard(text), "[[", "]]")
    lines = text.split("\n")
    doc = _Doc()
    reader = _Reader(doc)
    i = _fountain_title_page(lines, doc)
    n = len(lines)
    while i < n:
        raw_line = lines[i].replace("（", "(").replace("）", ")")
        s = raw_line.strip()
        prev_blank = i == 0 or not lines[i - 1].strip()
        nxt = lines[i + 1].strip() if i + 1 < n else ""
        i += 1
        if not s:
            if reader.speaker is not None and len(raw_line) >= 2 and not raw_line.strip(" "):
                continue  # a line of two spaces: the dialogue block goes on
            reader.speaker = None
            reader.last_heading = False
            continue
        if prev_blank and len(s) <= _MAX_HEAD_LEN and CAST_HEAD.match(s):
            i = _read_cast(lines, i, doc)  # a Characters: list describes, it is not a scene
            continue
        reader.line(raw_line, s, prev_blank, nxt)
    for sc in doc.scenes:
        sc.lines = [ln for ln in sc.lines if ln.text.strip()]
    doc.descriptions.update(describe_speakers(doc.scenes, reader.action))
    doc.introduced = caps_introductions(reader.action, doc.descriptions)
    return doc


class _Reader:
    """The line-by-line state of the screenplay body."""

    def __init__(self, doc: _Doc):
        self.doc = doc
        self.cur: _Raw | None = None
        self.pending_transition = ""
        self.speaker: str | None = None  # raw cue name while inside a dialogue block
        self.speaker_display: str | None = None
        self.paren = ""
        self.open_paren = False  # a parenthetical that runs over more than one line
        self.joinable = False  # the next dialogue line continues the previous Line
        self.last_heading = False  # the line above was a heading (stacked headings)
        self.action: list[str] = []  # action lines, for character descriptions

    def new_scene(self, heading: str, numbered: bool = True, stacked: bool = False) -> _Raw:
        prev = self.cur
        transition = self.pending_transition
        if stacked and prev is not None and len(prev.source) == 1:
            # Two headings with nothing between: one scene, under the later heading.
            self.doc.scenes.pop()
            transition = transition or prev.transition
        self.cur = _Raw(heading=heading, numbered=numbered, transition=transition)
        self.pending_transition = ""
        self.doc.scenes.append(self.cur)
        return self.cur

    def scene(self) -> _Raw:
        return self.cur if self.cur is not None else self.new_scene("Opening", numbered=False)

    def line(self, raw_line: str, s: str, prev_blank: bool, nxt: str) -> None:
        was_heading, self.last_heading = self.last_heading, False
        if self.speaker is not None:
            return self.dialogue(raw_line, s)
        if re.fullmatch(r"={3,}", s) or s.startswith(("#", "=")):
            return  # page break, section, synopsis
        if s.startswith(">") and s.endswith("<"):
            return  # centred text such as >THE END<
        if s.startswith(">"):
            self.pending_transition = _transition_kind(s[1:])
            return
        may_head = (prev_blank or was_heading) and len(s) <= _MAX_HEAD_LEN
        if not may_head and len(s) <= _MAX_HEAD_LEN and strong_slug(s):
            may_head = True  # "INT. WARD - NIGHT" in capitals needs no blank line above it
        if may_head and s.startswith(".") and len(s) > 1 and s[1].isalnum() and not nxt:
            heading = _SCENE_NUMBER.sub("", s[1:]).strip()
            sc = self.new_scene(heading, stacked=was_heading)
            sc.source.append(raw_line)
            slug = slug_match(heading)
            if slug:
                _apply_slug(sc, *slug)
            else:
                sc.location, sc.time = _split_time(heading)
            self.last_heading = True
            return
        slug = slug_match(s) if may_head else None
        if slug:
            sc = self.new_scene(_SCENE_NUMBER.sub("", s).strip(), stacked=was_heading)
            sc.source.append(raw_line)
            _apply_slug(sc, *slug)
            self.last_heading = True
            return
        bare = _strip_md(s).strip()
        if bare.upper() == bare and (bare.endswith("TO:") or _TRANSITION_WORDS.match(bare)) and len(bare) <= 40:
            self.pending_transition = _transition_kind(bare)
            return
        if len(bare) <= 40 and transition_word(bare):
            self.pending_transition = transition_word(bare)
            return
        cue = _cue_name(s) if prev_blank and nxt and not raw_line.endswith("  ") else None
        if cue is not None:
            sc = self.scene()
            sc.source.append(raw_line)
            self.speaker = cue
            self.speaker_display = None if _is_narrator(cue) else _display_name(cue)
            self.paren, self.open_paren, self.joinable = "", False, False
            return
        self.action_line(raw_line, s)

    def dialogue(self, raw_line: str, s: str) -> None:
        sc = self.scene()
        sc.source.append(raw_line)
        if self.open_paren or (s.startswith("(") and (s.endswith(")") or ")" not in s)):
            body = s.lstrip("(") if not self.open_paren else s
            self.paren = f"{self.paren} {body.rstrip(')')}".strip() if self.open_paren else body.rstrip(")").strip()
            self.open_paren = not s.endswith(")")
            self.joinable = False
            return
        text, camera, sounds = _extract_directions(_unescape(s.lstrip("~")))
        sc.camera_text.extend(camera)
        sc.sounds.extend(sounds)
        if not text:
            return
        if self.joinable and sc.lines and not self.paren:
            sc.lines[-1].text += " " + text
        else:
            sc.lines.append(Line(text=text, speaker=self.speaker_display, parenthetical=self.paren))
        self.paren, self.joinable = "", True

    def action_line(self, raw_line: str, s: str) -> None:
        sc = self.scene()
        sc.source.append(raw_line)
        body = s[1:].strip() if s.startswith("!") else s
        if not s.startswith("!") and self.labelled(sc, body):
            return
        m = re.match(r"^\[([^\[\]]{1,60})\]\s*(.*)$", body) if len(body) <= 4000 else None
        cue = sound_cue(m.group(1)) if m else None
        if m and cue is not None:  # `[SFX] a door slams`
            sc.sounds.append(" ".join(x for x in (cue, m.group(2).strip()) if x))
            return
        clean, camera, sounds = _extract_directions(_unescape(body))
        sc.camera_text.extend(camera)
        sc.sounds.extend(sounds)
        sc.sounds.extend(w.lower() for w in re.findall(r"\b[A-Z]{3,}\b", clean) if w in SOUND_WORDS)
        if clean:
            sc.visual.append(clean)
            self.action.append(body)

    def labelled(self, sc: _Raw, body: str) -> bool:
        """`NARRATOR: text`, `MARIA: text`, `SFX: thunder` inside the action; True when handled."""
        spk = _speaker_of(_strip_md(body)) if ":" in body[:120] else None
        key = re.match(r"^([^\W\d_][\w .'’\-]{0,30}?)\s*:\s*(.*)$", _strip_md(body)) if spk is None else None
        if key is not None and len(body) <= 4000:
            kind = label_kind(key.group(1))
            value = key.group(2).strip()
            if kind in ("sound", "music") and value:
                sc.sounds.append(value if kind == "sound" else f"music: {value}")
                return True
            if kind == "narration" and value:
                spk = (key.group(1), "", value, 0)
        if spk is None or not spk[2]:
            return False
        name, paren, value = spk[0], spk[1], spk[2]
        if not (_is_narrator(name) or label_kind(name) == "narration" or name == name.upper()):
            return False  # "Maria: ..." in mixed case inside action is a sentence, not a cue
        if any(w.strip(".'’") in DIRECTION_WORDS for w in name.upper().split()):
            return False  # "SINGLE SHOTS: ...", "ANGLE ON: ...": directions
        text, camera, sounds = _extract_directions(_unescape(value))
        sc.camera_text.extend(camera)
        sc.sounds.extend(sounds)
        narrator = _is_narrator(name) or label_kind(name) == "narration"
        if text:
            sc.lines.append(Line(text=text, speaker=None if narrator else _display_name(name), parenthetical=paren))
        return True


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
    """The name of a character cue line (`SARAH (V.O.)`, `@McClane`, `BOB ^`), or None."""
    if len(s) > 80 or s.startswith("!"):  # "!" forces action
        return None
    forced = s.startswith("@")
    body = (s[1:] if forced else s).rstrip("^").strip()
    m = _CUE.match(body)
    name = m.group(1).strip() if m else ""
    if not name or len(name.split()) > 5:
        return None
    if forced:
        return name if any(c.isalpha() for c in name) else None
    # The spec's rule: no lower-case letter, at least one letter ("R2D2", "$VILLAIN"; not "23").
    if name != name.upper() or not any(c.isalpha() for c in name) or ":" in name:
        return None
    return name
