"""Built-in script parser: text -> scenes, lines and characters, with no model and no network.

Five forms are recognised (`detect_form`): Fountain screenplays, `Scene N:` storyboards,
Markdown headings, `NAME: line` dialogue and plain prose. Each form has its own reader that fills
a `_Raw` scene; `_finish` turns those into `domain.Scene`s the same way for every form.
Every regex runs on one line at a time and long lines skip the fancy ones, so a 256 KiB
adversarial input stays linear.
"""

from __future__ import annotations

import codecs
import functools
import os
import re
import unicodedata
from dataclasses import dataclass, field

from ..domain import MOODS, Character, Line, ParsedScript, Scene, estimate_duration
from ..errors import VidgenError

FORMS = ("fountain", "headings", "markdown", "dialogue", "prose")
DEFAULT_MAX_BYTES = 256 * 1024

_MAX_HEAD_LEN = 200  # longer lines are never headings, cues or speakers
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


# --------------------------------------------------------------------------- reading files


def read_script_file(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a script file (UTF-8, UTF-8/16/32 with BOM) and return its text with \\n line ends."""
    p = os.fspath(path)
    name = os.path.basename(p) or p
    if not os.path.exists(p):
        raise VidgenError(f"Script file not found: {p}. Check the path and try again.")
    if os.path.isdir(p):
        raise VidgenError(f"{p} is a folder, not a script file: pick a .txt, .md or .fountain file.")
    try:
        size = os.path.getsize(p)
        if size > max_bytes:
            raise VidgenError(_too_large(name, size, max_bytes))
        with open(p, "rb") as f:
            data = f.read(max_bytes + 1)  # a file growing under us (or a device) still stops here
    except OSError as e:
        raise VidgenError(f"Cannot read the script file {p}: {e.strerror or e}.") from e
    if len(data) > max_bytes:
        raise VidgenError(_too_large(name, len(data), max_bytes))
    text = _decode(data)
    if text is None or "\x00" in text:
        raise VidgenError(
            f"{name} does not look like a text script (binary data or an unknown encoding): "
            "save it as plain text in UTF-8."
        )
    return _normalise(text)


def _too_large(name: str, size: int, max_bytes: int) -> str:
    return (
        f"{name} is {_kib(size)}; the limit is {_kib(max_bytes)} ({max_bytes} bytes): "
        "shorten the script or split it into several projects."
    )


def _kib(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n % 1024 else f"{n // 1024} KiB"


def _decode(data: bytes) -> str | None:
    # UTF-32 BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    for bom, encoding in boms:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for sep in ("\u2028", "\u2029", "\x85"):
        text = text.replace(sep, "\n")
    return text.lstrip("\ufeff")


# --------------------------------------------------------------------------- entry point


def parse_script(
    text: str,
    *,
    title: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    transition_seconds: float = 0.5,
    max_scenes: int = 200,
) -> ParsedScript:
    """Split a script into scenes, lines and characters. Raises VidgenError only."""
    if not isinstance(text, str):
        raise VidgenError(f"The script must be text, not {type(text).__name__}.")
    if not text.strip():
        raise VidgenError("The script is empty: write or paste a script with at least one scene.")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # lone surrogates cannot be stored, spoken or subtitled
        raise VidgenError(
            "The script contains invalid characters (unpaired UTF-16 surrogates): save it as UTF-8 text."
        ) from None
    if size > max_bytes:
        raise VidgenError(
            f"The script is {_kib(size)}; the limit is {_kib(max_bytes)} ({max_bytes} bytes): "
            "shorten it or split it into several projects."
        )
    _check_not_binary(text)
    text = _normalise(text)
    form = detect_form(text)
    reader = {
        "fountain": _read_fountain,
        "headings": _read_headings,
        "markdown": _read_markdown,
        "dialogue": _read_dialogue,
        "prose": _read_prose,
    }[form]
    doc = reader(text)
    raws = [r for r in doc.scenes if r.has_content()]
    if not raws:
        raise VidgenError(
            "The script has no recognisable scene: write at least one sentence, a scene heading "
            "or a line of dialogue (symbols alone are not a script)."
        )
    if len(raws) > max_scenes:
        raise VidgenError(
            f"The script has {len(raws)} scenes; the limit is {max_scenes}: merge short paragraphs "
            "or split the script into several projects."
        )
    scenes = _finish(raws, transition_seconds)
    characters = _characters(scenes, doc.descriptions)
    final_title = _clean_title(title or "") or _clean_title(doc.title) or _fallback_title(scenes)
    return ParsedScript(title=final_title, form=form, scenes=scenes, characters=characters)


def _check_not_binary(text: str) -> None:
    if "\x00" in text:
        raise VidgenError("The script contains NUL bytes, so it looks like a binary file: paste plain text.")
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\x0b\x0c")
    if controls and controls * 10 > len(text):
        raise VidgenError(
            "The script contains many control characters, so it looks like a binary file: paste plain text."
        )


# --------------------------------------------------------------------------- form detection

_SLUG = re.compile(r"^(int\.?\s*/\s*ext|ext\.?\s*/\s*int|int|ext|i\s*/\s*e|est)(?:\.|\s)\s*(.*)$", re.I)
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
).split()
_SCENE_HEAD = re.compile(
    r"^(?:#{1,6}\s*)?[*_]*\s*scene\s+(\d{1,4}|[ivxlc]{1,8}|" + "|".join(_NUMBER_WORDS) + r")\b[*_]*"
    r"\s*(?:[:.|\-–—]+\s*(.*))?$",
    re.I,
)
_MD_HEAD = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
_SPEAKER_LINE = re.compile(
    r"^([^\W\d_][\w .'’\-]{0,40}?)\s*(?:\(([^()]{0,60})\))?\s*:(?!//)\s*(.*)$"
)


def detect_form(text: str) -> str:
    """Which form a script is written in: fountain | headings | markdown | dialogue | prose."""
    if not isinstance(text, str):
        return "prose"
    slugs = scene_heads = md_heads = speakers = nonblank = 0
    for line in _normalise(text).split("\n"):
        s = line.strip()
        if not s:
            continue
        nonblank += 1
        if len(s) > _MAX_HEAD_LEN:
            continue
        if _strict_slug(s) or _forced_heading_caps(s):
            slugs += 1
        if _scene_heading(s) is not None:
            scene_heads += 1
        elif _MD_HEAD.match(s):
            md_heads += 1
        if _speaker_of(s) is not None:
            speakers += 1
    if slugs:
        return "fountain"
    if scene_heads:
        return "headings"
    if md_heads:
        return "markdown"
    if speakers >= 2 and speakers * 3 >= nonblank:
        return "dialogue"
    return "prose"


def _strict_slug(s: str) -> bool:
    # Detection wants upper-case prefixes, so a prose line like "int main()" is not a screenplay.
    m = _SLUG.match(s)
    return bool(m) and m.group(1).isupper()


def _forced_heading_caps(s: str) -> bool:
    rest = s[1:]
    return s.startswith(".") and len(rest) > 1 and rest[0].isalpha() and rest == rest.upper()


def _scene_heading(s: str) -> str | None:
    """The title of a `Scene N: Title` line ("" when untitled), None for other lines."""
    if len(s) > _MAX_HEAD_LEN:
        return None
    m = _SCENE_HEAD.match(s)
    if not m:
        return None
    title = _strip_md(m.group(2) or "").strip(" *_:-–—")
    return title if _WORD.search(title) else ""


# --------------------------------------------------------------------------- intermediate scene


@dataclass
class _Raw:
    heading: str = ""
    source: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    visual: list[str] = field(default_factory=list)  # explicit visuals, screenplay action
    narrated_visual: list[str] = field(default_factory=list)  # fallback visual: narration, stage text
    camera_text: list[str] = field(default_factory=list)  # camera directions: every motion word counts
    mood: str = ""
    location: str = ""
    interior: bool | None = None
    time: str = ""  # a TIMES_OF_DAY value, "inherit", or "" to detect from words
    transition: str = ""
    numbered: bool = False  # heading came from the script, not made up

    def has_content(self) -> bool:
        parts = [self.heading if self.numbered else ""] + self.source
        return any(_WORD.search(p) for p in parts)


@dataclass
class _Doc:
    title: str = ""
    scenes: list[_Raw] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)  # casefolded display name -> text


# --------------------------------------------------------------------------- Fountain

_TITLE_KEY = re.compile(
    r"^(title|credit|author|authors|source|draft date|date|contact|copyright|notes|revision|episode|series)"
    r"\s*:\s*(.*)$",
    re.I,
)
_TRANSITION_WORDS = re.compile(
    r"^(?:FADE (?:IN|OUT)|FADE TO BLACK|FADE TO WHITE|CUT TO BLACK|SMASH CUT|MATCH CUT|JUMP CUT|"
    r"IRIS (?:IN|OUT)|DISSOLVE|WIPE)[.:]?$"
)
_SCENE_NUMBER = re.compile(r"\s*#[^#\s]{1,12}#\s*$")
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


def _apply_slug(sc: _Raw, prefix: str, rest: str) -> None:
    p = re.sub(r"[\s.]", "", prefix.lower())
    sc.interior = {"int": True, "ext": False, "est": False}.get(p)  # INT./EXT. and I/E stay None
    sc.location, sc.time = _split_time(_SCENE_NUMBER.sub("", rest))


def _split_time(rest: str) -> tuple[str, str]:
    """'BEACH - DUSK' -> ('BEACH', 'dusk'); time is "inherit" for CONTINUOUS / LATER."""
    parts = [p.strip() for p in re.split(r"\s+[-–—]+\s+|\s*[-–—]{2,}\s*", rest.strip())]
    time = ""
    if len(parts) > 1:
        t = _slug_time(parts[-1])
        if t:
            time = t
            parts = parts[:-1]
    location = " - ".join(p for p in parts if p).strip(" .-–—")
    return location, time


def _slug_time(word: str) -> str:
    tokens = set(re.findall(r"[A-Z]+", word.upper()))
    if tokens & {"CONTINUOUS", "LATER", "SAME", "CONT"}:
        return "inherit"
    if tokens & {"NIGHT", "MIDNIGHT", "NIGHTTIME"}:
        return "night"
    if tokens & {"EVENING", "DUSK", "SUNSET", "TWILIGHT", "NIGHTFALL"} or "MAGIC HOUR" in word.upper():
        return "dusk"
    if tokens & {"DAWN", "SUNRISE", "DAYBREAK"}:
        return "dawn"
    if tokens & {"DAY", "MORNING", "AFTERNOON", "NOON", "MIDDAY", "DAYTIME"}:
        return "day"
    return ""


def _transition_kind(s: str) -> str:
    u = s.upper()
    for word, kind in (("DISSOLVE", "dissolve"), ("WIPE", "wipe"), ("FADE", "fade"), ("CUT", "cut")):
        if word in u:
            return kind
    return "cut"


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


# --------------------------------------------------------------------------- keyed body text
# Shared by the `Scene N:`, Markdown and dialogue readers.

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
_MOOD_SYNONYMS = {
    "happy": "joyful", "cheerful": "joyful", "upbeat": "joyful", "playful": "joyful", "fun": "joyful",
    "peaceful": "calm", "serene": "calm", "gentle": "calm", "relaxed": "calm", "ambient": "calm",
    "melancholy": "sad", "melancholic": "sad", "somber": "sad", "sombre": "sad", "tragic": "sad",
    "suspense": "tense", "suspenseful": "tense", "thriller": "tense", "dark": "tense", "urgent": "tense",
    "eerie": "mysterious", "mystery": "mysterious", "haunting": "mysterious", "curious": "mysterious",
    "love": "romantic", "tender": "romantic", "heroic": "epic", "grand": "epic", "triumphant": "epic",
    "cinematic": "epic", "orchestral": "epic",
}


def _speaker_of(s: str) -> tuple[str, str, str] | None:
    """(name, parenthetical, text) when the line is `NAME: text` with a plausible NAME."""
    if len(s) > 4000 or ":" not in s[:120]:
        return None
    m = _SPEAKER_LINE.match(s)
    if not m:
        return None
    name = " ".join(m.group(1).split())
    if not _plausible_name(name):
        return None
    return name, (m.group(2) or "").strip(), m.group(3).strip()


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


def _is_narrator(name: str) -> bool:
    return name.strip().lower().rstrip(".") in {"narrator", "narration", "vo", "v.o", "voiceover", "voice-over"}


_KEY_LINE = re.compile(r"^([^\W\d_][\w .'’\-]{0,30}?)\s*(?:\(([^()]{0,60})\))?\s*:(?!//)\s*(.*)$")


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
        s = _strip_md(_unlist(raw_line.strip()))
        if not s or re.fullmatch(r"(?:[-*_=~]\s*){3,}", s):
            return
        key = _KEY_LINE.match(s) if len(s) <= 4000 and ":" in s[:100] else None
        if key:
            k = " ".join(key.group(1).split()).lower()
            paren, value = (key.group(2) or "").strip(), key.group(3).strip()
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
            name, paren, value = spk
            return self._say(value, None if _is_narrator(name) else _display_name(name), paren)
        if (s.startswith("[") and s.endswith("]")) or (s.startswith("(") and s.endswith(")")):
            self._add("stage", s[1:-1])
            self.last = None
            return
        if self.last is not None and (raw_line[:1].isspace() or self._wrapped()):
            return self._continue(s)
        return self._say(s, None, "")

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


def _mood_word(value: str) -> str:
    for w in _WORD.findall(value.lower()):
        if w in MOODS:
            return w
        if w in _MOOD_SYNONYMS:
            return _MOOD_SYNONYMS[w]
    mood = classify_mood(value)
    return "" if mood == "neutral" else mood


def _unlist(s: str) -> str:
    """Drop a Markdown bullet, number or quote marker from the start of a line."""
    return re.sub(r"^(?:>\s*)+|^(?:[-*+•]|\d{1,3}[.)])\s+", "", s)


# --------------------------------------------------------------------------- preamble (title, cast)

_CAST_HEAD = re.compile(r"^(?:#{1,6}\s*)?[*_]*(characters|cast|cast of characters|dramatis personae)[*_]*\s*:?\s*[*_]*$", re.I)
_META_KEYS = {"title", "author", "by", "logline", "genre", "format", "style", "written by", "date", "draft", "duration", "length", "synopsis", "summary"}


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


# --------------------------------------------------------------------------- `Scene N:` storyboards


def _read_headings(text: str) -> _Doc:
    doc = _Doc()
    lines = text.split("\n")
    starts = [i for i, ln in enumerate(lines) if _scene_heading(ln.strip()) is not None]
    if not starts:
        return _read_prose(text)
    pre = _read_preamble(lines[: starts[0]], doc)
    _opening_scene(doc, pre)
    for j, start in enumerate(starts):
        end = starts[j + 1] if j + 1 < len(starts) else len(lines)
        title = _scene_heading(lines[start].strip()) or ""
        sc = _Raw(heading=title or f"Scene {j + 1}", numbered=True)
        sc.source.append(lines[start])
        slug = _SLUG.match(title)
        if slug:
            _apply_slug(sc, slug.group(1), slug.group(2))
        doc.scenes.append(sc)
        _read_body(sc, lines[start + 1 : end])
    return doc


def _opening_scene(doc: _Doc, pre: list[str]) -> None:
    """Text before the first heading that is not metadata becomes an opening scene."""
    if any(_WORD.search(ln) for ln in pre):
        sc = _Raw(heading="Opening")
        _read_body(sc, pre)
        if sc.lines or sc.visual:
            doc.scenes.append(sc)


# --------------------------------------------------------------------------- Markdown


def _read_markdown(text: str) -> _Doc:
    doc = _Doc()
    lines = text.split("\n")
    heads: list[tuple[int, int, str]] = []  # (line index, level, text)
    fenced = False
    for i, ln in enumerate(lines):
        s = ln.strip()
        if s.startswith(("```", "~~~")):
            fenced = not fenced
        m = _MD_HEAD.match(s) if not fenced and len(s) <= _MAX_HEAD_LEN else None
        if m:
            heads.append((i, len(m.group(1)), _strip_md(m.group(2).rstrip("#").strip())))
    if not heads:  # every heading was inside a code fence
        return _read_prose(text)
    top = min(h[1] for h in heads)
    scene_heads = [h for h in heads if h[1] == top]
    title_line = -1
    if len(scene_heads) == 1 and heads[0][1] == top and len(heads) > 1:
        doc.title = heads[0][2]  # one `# Title` above `##` scenes
        title_line = heads[0][0]
        level = min(h[1] for h in heads[1:])
        scene_heads = [h for h in heads[1:] if h[1] == level]
    first = scene_heads[0][0] if scene_heads else len(lines)
    pre = [ln for k, ln in enumerate(lines[:first]) if k != title_line]
    _opening_scene(doc, _read_preamble(pre, doc))
    for j, (start, _level, title) in enumerate(scene_heads):
        end = scene_heads[j + 1][0] if j + 1 < len(scene_heads) else len(lines)
        body = lines[start + 1 : end]
        if _CAST_HEAD.match(title):
            for ln in body:
                if ln.strip():
                    _cast_entry(ln, doc)
            continue
        sc = _Raw(heading=title or f"Scene {len(doc.scenes) + 1}", numbered=True)
        sc.source.append(lines[start])
        slug = _SLUG.match(title)
        if slug:
            _apply_slug(sc, slug.group(1), slug.group(2))
        doc.scenes.append(sc)
        _read_body(sc, body)
    return doc


# --------------------------------------------------------------------------- NAME: dialogue


def _read_dialogue(text: str) -> _Doc:
    doc = _Doc()
    lines = _read_preamble(text.split("\n"), doc, top_only=True)
    separator = re.compile(r"^\s*(?:[-*_=~]\s*){3,}$")
    if any(separator.match(ln) for ln in lines):
        groups, cur = [], []
        for ln in lines:
            if separator.match(ln):
                groups.append(cur)
                cur = []
            else:
                cur.append(ln)
        groups.append(cur)
    else:
        groups = _blank_groups(lines)
        if groups and sum(1 for g in groups if len(g) == 1) * 3 >= len(groups) * 2:
            # Blank lines between every line are spacing, not scene breaks: chunk by length.
            groups = _chunk_groups(groups, 60)
    # A long chat with no breaks at all still becomes scenes of about a minute or less.
    groups = [c for g in groups for c in _chunk_groups([[ln] for ln in g], 60, spacer=False)]
    for g in groups:
        if not any(_WORD.search(ln) for ln in g):
            continue
        sc = _Raw(heading=f"Scene {len(doc.scenes) + 1}")
        doc.scenes.append(sc)
        _read_body(sc, g)
    return doc


def _blank_groups(lines: list[str]) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    for ln in lines:
        if ln.strip():
            groups[-1].append(ln)
        elif groups[-1]:
            groups.append([])
    return [g for g in groups if g]


def _chunk_groups(groups: list[list[str]], words: int, spacer: bool = True) -> list[list[str]]:
    """Join consecutive groups of lines until one would pass `words` words."""
    out: list[list[str]] = []
    count = 0
    for g in groups:
        n = sum(len(_WORD.findall(ln)) for ln in g)
        if not out or (count and count + n > words):
            out.append([])
            count = 0
        elif spacer:
            out[-1].append("")
        out[-1].extend(g)
        count += n
    return out


# --------------------------------------------------------------------------- prose

_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "prof", "sr", "jr", "vs", "etc", "e.g", "i.e", "mt", "no", "capt", "lt", "col", "gen", "sgt"}
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+")


def _split_sentences(text: str) -> list[str]:
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        before = text[start : m.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        nxt = text[m.end() : m.end() + 1]
        if last in _ABBREVIATIONS or (nxt and nxt.islower()):
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def _split_long(sentence: str, limit: int = 70) -> list[str]:
    words = sentence.split()
    if len(_WORD.findall(sentence)) <= limit * 1.4:
        return [sentence]
    return [" ".join(words[i : i + limit]) for i in range(0, len(words), limit)]


def _prose_chunks(paragraph: str) -> list[list[str]]:
    """A paragraph as scenes of sentences: one scene up to ~80 words, else ~30-70 words each."""
    sentences = [p for s in _split_sentences(paragraph) for p in _split_long(s)]
    if len(_WORD.findall(paragraph)) <= 80:
        return [sentences]
    chunks: list[list[str]] = []
    cur: list[str] = []
    count = 0
    for s in sentences:
        n = len(_WORD.findall(s))
        if cur and count >= 30 and count + n > 70:
            chunks.append(cur)
            cur, count = [], 0
        cur.append(s)
        count += n
    if cur:
        tail = count
        if chunks and tail < 30 and sum(len(_WORD.findall(s)) for s in chunks[-1]) + tail <= 90:
            chunks[-1].extend(cur)
        else:
            chunks.append(cur)
    return chunks


def _read_prose(text: str) -> _Doc:
    doc = _Doc()
    lines = _read_preamble(text.split("\n"), doc, top_only=True)
    for group in _blank_groups(lines):
        paragraph = " ".join(ln.strip() for ln in group)
        clean, camera, stage = _extract_directions(_strip_md(" ".join(_unlist(ln.strip()) for ln in group)))
        if not _WORD.search(clean):
            if camera and doc.scenes:  # a lone "[camera: pan left]" belongs to the scene before
                doc.scenes[-1].camera_text.extend(camera)
            continue
        chunks = _prose_chunks(clean)
        for k, sentences in enumerate(chunks):
            sc = _Raw(heading=_first_words(" ".join(sentences)))
            sc.source.append(paragraph if len(chunks) == 1 else " ".join(sentences))
            if k == 0:
                sc.camera_text.extend(camera)
                sc.narrated_visual.extend(stage)
            sc.lines = [Line(text=s) for s in sentences]
            sc.visual.append(" ".join(sentences))
            doc.scenes.append(sc)
    return doc


# --------------------------------------------------------------------------- shared text helpers

_BRACKETS = re.compile(r"\[([^\[\]\n]{0,300})\]")
_CAMERA_PARENS = re.compile(r"\(\s*(camera\b[^()\n]{0,300})\)", re.I)
_LINK = re.compile(r"!?\[([^\[\]\n]{0,300})\]\([^()\s]{0,500}\)")


def _extract_directions(text: str) -> tuple[str, list[str], list[str]]:
    """Split bracketed directions off spoken text: (clean text, camera directions, other stage text)."""
    camera: list[str] = []
    stage: list[str] = []
    text = _LINK.sub(r"\1", text)

    def bracket(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        if re.match(r"(?i)cam(era)?\b", inner) or _camera_moves(inner, inner):
            camera.append(re.sub(r"(?i)^cam(era)?\s*:?\s*", "", inner))
        elif inner:
            stage.append(inner)
        return " "

    text = _BRACKETS.sub(bracket, text)
    text = _CAMERA_PARENS.sub(lambda m: camera.append(m.group(1)) or " ", text)
    return " ".join(text.split()), camera, stage


def _strip_md(s: str) -> str:
    # Linear on purpose: no paired-emphasis regex, so a line of 100k asterisks is still fast.
    s = s.replace("**", "").replace("*", "").replace("~~", "").replace("`", "")
    s = re.sub(r"(?<!\w)_+|_+(?!\w)", "", s)
    return s


def _display_name(name: str) -> str:
    """SARAH -> Sarah, DR. JONES -> Dr. Jones, ZOË -> Zoë; mixed case is kept as written."""
    name = " ".join(name.split()).strip(" :")
    if name == name.upper() or name == name.lower():
        name = re.sub(r"(?<=\w)['’]S\b", lambda m: m.group(0).lower(), name.title())
    return name


def _first_words(text: str, n: int = 6) -> str:
    words = text.split()
    head = " ".join(words[:n]).rstrip(",;:.!?—–-")
    return head + ("…" if len(words) > n else "")


def _clean_title(t: str) -> str:
    t = " ".join(_strip_md(t).split()).strip(" #:-–—")
    if len(t) > 80:
        t = t[:80].rsplit(" ", 1)[0] + "…"
    return t


def _fallback_title(scenes: list[Scene]) -> str:
    first = scenes[0]
    heading = _clean_title(first.heading) if first.heading not in ("Opening", "Scene 1") else ""
    if _WORD.search(heading):
        return heading
    spoken = " ".join(ln.text for ln in first.lines) or first.visual
    return _clean_title(_first_words(spoken)) or heading or "Untitled"


# --------------------------------------------------------------------------- camera, time of day

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


_TIME_WORDS = {
    "night": "night", "nights": "night", "midnight": "night", "moon": "night", "moonlight": "night",
    "moonlit": "night", "nighttime": "night", "starlight": "night",
    "dawn": "dawn", "sunrise": "dawn", "daybreak": "dawn",
    "sunset": "dusk", "dusk": "dusk", "twilight": "dusk", "evening": "dusk", "nightfall": "dusk",
    "noon": "day", "midday": "day", "morning": "day", "sunny": "day", "afternoon": "day",
    "daylight": "day", "daytime": "day", "sunshine": "day",
}


def _words_time(text: str) -> str:
    """Time of day named by the text's words: the most frequent, the earliest on a tie."""
    counts: dict[str, list[int]] = {}
    for pos, w in enumerate(_WORD.findall(text.lower())):
        t = _TIME_WORDS.get(w)
        if t:
            c = counts.setdefault(t, [0, pos])
            c[0] += 1
    if not counts:
        return ""
    return min(counts, key=lambda t: (-counts[t][0], counts[t][1]))


# --------------------------------------------------------------------------- mood

_MOOD_LEXICON_TEXT = {
    "tense": "danger dangerous chase gun pistol rifle scream run fear afraid storm threat panic alarm attack "
             "explode explosion blood escape trap hunt knife crash siren urgent warning pursue shoot bomb enemy "
             "terror terrified frantic desperate flee struggle rush tremble pound collapse emergency hurry "
             "deadline tense tension suspense dread hide sweat gasp fight",
    "mysterious": "shadow fog mist strange secret whisper unknown mystery mysterious hidden darkness silhouette "
                  "eerie ghost echo curious riddle puzzle clue vanish disappear locked ancient forgotten cryptic "
                  "odd glow flicker haunt unseen signal strangely silent lantern",
    "epic": "battle mountain vast army hero legend kingdom empire glory victory triumph horizon conquer warrior "
            "destiny mighty towering endless galaxy universe thunder roar journey quest giant march fleet "
            "colossal summit courage planet stars frontier rocket",
    "romantic": "love kiss heart together darling embrace tender romance romantic beloved sweetheart wedding "
                "candle candlelight rose dance blush flirt valentine passion adore lover hug",
    "calm": "quiet gentle breeze still stillness peaceful peace calm soft softly serene slow rest drift sleep "
            "tranquil hush meadow lake ripple tide easy relax silence cozy tea warm linger",
    "sad": "loss lost tears cry grave alone goodbye grief mourn funeral lonely broken sorrow miss regret "
           "death die dead farewell gone weep ache hollow sigh heartbreak rain grey gray abandon",
    "joyful": "laugh laughter celebrate celebration sunshine party happy joy smile cheer delight fun playful "
              "bright birthday festival sing song giggle grin hooray wonderful amazing excited balloon "
              "confetti play dance",
}
# Tie-break order: the more specific feeling wins.
_MOOD_PRIORITY = ("tense", "sad", "mysterious", "epic", "romantic", "joyful", "calm", "neutral")


@functools.lru_cache(maxsize=1)
def _mood_lexicon() -> dict[str, str]:
    lex: dict[str, str] = {}
    for mood in _MOOD_PRIORITY:
        for w in _MOOD_LEXICON_TEXT.get(mood, "").split():
            lex.setdefault(w, mood)
    return lex


@functools.lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # reads its lexicon file

    return SentimentIntensityAnalyzer()


def _stems(w: str):
    yield w
    for suffix in ("ing", "ed", "es", "s", "ly", "ness", "ful", "y"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            base = w[: -len(suffix)]
            yield base
            yield base + "e"
            if base[-1] == base[-2]:
                yield base[:-1]


def classify_mood(text: str) -> str:
    """One of domain.MOODS for the text: keyword lexicon plus VADER valence. Deterministic."""
    if not isinstance(text, str) or not _WORD.search(text):
        return "neutral"
    lex = _mood_lexicon()
    scores = dict.fromkeys(MOODS, 0.0)
    for token in _WORD.findall(text.lower()):
        for stem in _stems(token):
            if stem in lex:
                scores[lex[stem]] += 1.0
                break
    # VADER is linear but not free: the start of a long text says enough about its feeling.
    compound = _vader().polarity_scores(text[:20000])["compound"]
    pos, neg = max(compound, 0.0), max(-compound, 0.0)
    for mood in ("joyful", "romantic", "calm"):
        if scores[mood]:
            scores[mood] += pos - 0.5 * neg
    for mood in ("sad", "tense"):
        if scores[mood]:
            scores[mood] += neg
    if not any(scores.values()):  # no keyword: clear valence alone picks one of the two poles
        scores["joyful"], scores["sad"] = pos, neg
    best = min(_MOOD_PRIORITY[:-1], key=lambda m: (-scores[m], _MOOD_PRIORITY.index(m)))
    return best if scores[best] >= 0.5 else "neutral"


# --------------------------------------------------------------------------- finishing


def _finish(raws: list[_Raw], transition_seconds: float) -> list[Scene]:
    scenes: list[Scene] = []
    prev_time = ""
    for number, r in enumerate(raws, 1):
        lines = []
        for ln in r.lines:
            text = " ".join(_strip_md(ln.text).split())
            if _WORD.search(text):
                lines.append(Line(text=text, speaker=ln.speaker, parenthetical=_strip_md(ln.parenthetical).strip()))
        source = "\n".join(r.source).strip("\n")
        visual = " ".join(_strip_md(" ".join(v for v in r.visual if v)).split())
        if not visual:
            visual = " ".join(_strip_md(" ".join(v for v in r.narrated_visual if v)).split())
        speakers: list[str] = []
        for ln in lines:
            if ln.speaker and ln.speaker not in speakers:
                speakers.append(ln.speaker)
        if not visual:
            visual = r.location or r.heading
            if speakers:
                visual = f"{visual}: {' and '.join(speakers)} talking" if visual else f"{' and '.join(speakers)} talking"
        if r.time == "inherit":
            time = prev_time
        else:
            time = r.time or _words_time(source)
        prev_time = time or prev_time
        spoken = " ".join(ln.text for ln in lines)
        other = " ".join([r.heading] + r.visual + r.narrated_visual)
        scenes.append(
            Scene(
                number=number,
                heading=" ".join(_strip_md(r.heading).split()) or f"Scene {number}",
                text=source,
                lines=lines,
                visual=visual,
                mood=r.mood if r.mood in MOODS else classify_mood(source),
                duration=estimate_duration(len(_WORD.findall(spoken)), transition_seconds),
                camera=_camera_moves(" ".join(r.camera_text), other),
                location=" ".join(r.location.split()),
                interior=r.interior,
                time_of_day=time,
                characters=speakers,
                transition=r.transition,
            )
        )
    return scenes


def _characters(scenes: list[Scene], descriptions: dict[str, str]) -> list[Character]:
    out: dict[str, Character] = {}
    for sc in scenes:
        for name in sc.characters:
            ch = out.setdefault(name, Character(name=name, description=descriptions.get(name.casefold(), "")))
            if sc.number not in ch.scenes:
                ch.scenes.append(sc.number)
    return list(out.values())
