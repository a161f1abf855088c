"""Prosody: markup inside script lines, and the scene mood's effect on delivery.

Markup (never spoken, never shown in subtitles):

    [pause]                  a 0.5 s silence
    [pause 1.5]              a silence of 1.5 s; also [pause 1.5s] and [pause 800ms] (at most 10 s)
    *word*, *a few words*    emphasis
    [slow] [fast] [speed 0.8]  at the start of a line: that line's pace (0.85x, 1.15x, or the
                             factor given, 0.5 to 2); anywhere else in a line it is an error

    NARRATOR: [slow] The house was quiet. [pause 1.5] Too quiet.
    ANA: I *never* said that.

`(stage directions)` with words in them and `[camera: ...]` notes are dropped too. Nothing else
is consumed: other `[bracketed text]`, `(0,0)`, `f(x)`, backticks, `{\\b1}` and a lone `*` are
spoken and shown as written (`kept_markup` words the one warning a render gives about them).
A sentence reaches the voice in units of at most `text.MAX_UNIT_WORDS` words, cut at clause ends,
each its own subtitle cue (vidgen/text.py says why). A pause ends the
sentence it falls in: the words on each side become their own subtitle cues, with exactly that
silence between them (the usual gap between sentences is replaced, not added to). Pauses at the
start or end of a scene's speech become silence there.

Emphasis is realised as far as a neural TTS without word controls allows: the emphasised words
are synthesised as their own chunk, a little slower (x0.88) and 3.5 dB louder than the rest of the
sentence, and joined to the words around them without a gap. The sentence is then scaled down if
the louder words would clip, so emphasis is relative to its sentence. (XTTS, which runs poorly on
two-word chunks, speaks the sentence whole and louder instead.)

Mood: each scene mood (`vidgen.domain.MOODS`) scales the speed and the default pauses and offsets
the pitch of every speaker in the scene, on top of their own voice (`MOOD_PROSODY`):

    mood        speed  pitch (semitones)  pauses
    neutral     1.00    0.0               1.00
    joyful      1.08   +1.0               0.90
    calm        0.94   -0.5               1.20
    sad         0.88   -1.0               1.30
    tense       1.08   +0.5               0.80
    mysterious  0.92   -1.0               1.25
    romantic    0.94    0.0               1.15
    epic        0.95   -0.5               1.10
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...domain import MOODS
from ...errors import VidgenError
from ...text import speech_units, split_sentences

PAUSE_SECONDS = 0.5  # a bare [pause]
MAX_PAUSE = 10.0
SLOW, FAST = 0.85, 1.15
EMPHASIS_SPEED = 0.88  # emphasised words: slower ...
EMPHASIS_GAIN_DB = 3.5  # ... and louder than the rest of their sentence


@dataclass(frozen=True)
class MoodProsody:
    speed: float  # multiplies every speaker's speed
    pitch: float  # semitones added to every speaker's pitch
    pause: float  # multiplies the default gaps between sentences and lines (not [pause] markup)


MOOD_PROSODY: dict[str, MoodProsody] = {
    "neutral": MoodProsody(1.00, 0.0, 1.00),
    "joyful": MoodProsody(1.08, 1.0, 0.90),
    "calm": MoodProsody(0.94, -0.5, 1.20),
    "sad": MoodProsody(0.88, -1.0, 1.30),
    "tense": MoodProsody(1.08, 0.5, 0.80),
    "mysterious": MoodProsody(0.92, -1.0, 1.25),
    "romantic": MoodProsody(0.94, 0.0, 1.15),
    "epic": MoodProsody(0.95, -0.5, 1.10),
}
assert set(MOOD_PROSODY) == set(MOODS), "every mood needs a prosody entry"


@dataclass(frozen=True)
class DeliveryProsody:
    speed: float  # multiplies the line's speed
    pitch: float  # semitones added
    gain_db: float  # <= 0: a whisper is quieter than the lines around it (louder would clip)


# How a line is said (Line.delivery: a parenthetical or the script reader's word) -> its prosody,
# matched on word stems so "whispering nervously" and "whispered" both count.
DELIVERY_PROSODY: tuple[tuple[tuple[str, ...], DeliveryProsody], ...] = (
    (("whisper", "murmur", "under his breath", "under her breath", "hushed"), DeliveryProsody(0.90, -1.0, -8.0)),
    (("soft", "quiet", "gentl", "tender"), DeliveryProsody(0.94, -0.5, -4.0)),
    (("shout", "yell", "scream", "loud", "call"), DeliveryProsody(1.04, 2.0, 0.0)),
    (("angr", "furious", "fierce", "snap", "harsh"), DeliveryProsody(1.08, 1.0, 0.0)),
    (("sad", "cry", "crying", "sob", "tearful", "grief", "mournful"), DeliveryProsody(0.86, -1.5, -2.0)),
    (("excit", "laugh", "happ", "cheer", "joy", "delight", "eager"), DeliveryProsody(1.10, 1.5, 0.0)),
    (("nervous", "anxious", "afraid", "fear", "scared", "trembl", "hesita"), DeliveryProsody(1.06, 1.0, -2.0)),
    (("calm", "steady", "patient", "warm"), DeliveryProsody(0.94, -0.5, 0.0)),
    (("slow", "drawl"), DeliveryProsody(0.85, 0.0, 0.0)),
    (("fast", "quick", "hurr", "rapid"), DeliveryProsody(1.15, 0.0, 0.0)),
)
PLAIN_DELIVERY = DeliveryProsody(1.0, 0.0, 0.0)


def delivery_prosody(delivery: str) -> DeliveryProsody:
    """The first entry whose stem is in `delivery` (""/unknown words: plain)."""
    said = delivery.casefold()
    for stems, prosody in DELIVERY_PROSODY:
        if any(stem in said for stem in stems):
            return prosody
    return PLAIN_DELIVERY


def mood_prosody(mood: str) -> MoodProsody:
    if mood not in MOOD_PROSODY:
        raise VidgenError(f"Unknown mood {mood!r}: use one of {', '.join(MOOD_PROSODY)}.")
    return MOOD_PROSODY[mood]


@dataclass
class Span:
    text: str
    emphasis: bool = False


@dataclass
class Sentence:
    text: str  # what the subtitles show: markup removed
    spans: list[Span] = field(default_factory=list)  # the same words, split where emphasis starts or stops

    @property
    def emphasised(self) -> bool:
        return any(s.emphasis for s in self.spans)


@dataclass
class Pause:
    seconds: float


@dataclass
class ParsedLine:
    speed: float = 1.0  # the line's pace from [slow]/[fast]/[speed x]
    items: list[Sentence | Pause] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # markup-like text left as written ("[note]", "{\\b1}")
    directions: list[str] = field(default_factory=list)  # stage directions taken out: "softly" of "(softly)"

    @property
    def sentences(self) -> list[Sentence]:
        return [i for i in self.items if isinstance(i, Sentence)]


# Every alternative stops at the next bracket, asterisk or newline, so matching stays linear
# even on pathological input (a line of 100k asterisks or brackets).
_TOKEN = re.compile(r"\[(?P<tag>[^\[\]\n]*)\]|\((?P<paren>[^()\n]*)\)|\*{1,2}(?P<emph>[^*\n]+)\*{1,2}")
_PAUSE = re.compile(r"(?i)^pause(?:\s+(?P<num>\d+(?:\.\d+)?|\.\d+)\s*(?P<unit>ms|s|sec|secs|seconds?)?)?$")
_PACE = re.compile(r"(?i)^(?:(?P<word>slow|fast)|speed\s+(?P<num>\d+(?:\.\d+)?|\.\d+)x?)$")
_LEAD = re.compile(r"^\s*(?:\([^()\n]*\)\s*)*")  # parentheticals may come before a pace tag
_CAMERA = re.compile(r"(?i)^cam(era)?\b")
# Text that looks like markup of some other kind (ASS overrides, Markdown code): kept, but reported.
_LOOKS_LIKE = re.compile(r"\{\\[^{}\n]{0,40}\}?|`[^`\n]{0,40}`?")


def _direction(text: str, m: re.Match[str]) -> bool:
    """A (parenthetical) is a stage direction when it has words and is not glued to the word
    before it: "(softly)", "(beat)"; not "(0,0)", "f(x)" or "\\pos(0,0)"."""
    before = text[m.start() - 1] if m.start() else " "
    return any(c.isalpha() for c in m.group("paren")) and not (before.isalnum() or before in "\\_")


def _pause(tag: str, where: str) -> float | None:
    """Seconds of a [pause ...] tag, None when the tag is not a pause."""
    if not re.match(r"(?i)pause\b", tag):
        return None
    m = _PAUSE.match(tag)
    if not m:
        raise VidgenError(f"{where}: [{tag}] is not a pause: write [pause], [pause 1.5], [pause 1.5s] "
                          "or [pause 800ms].")
    if m.group("num") is None:
        return PAUSE_SECONDS
    seconds = float(m.group("num")) / (1000.0 if (m.group("unit") or "").lower() == "ms" else 1.0)
    if not 0.0 < seconds <= MAX_PAUSE:
        raise VidgenError(f"{where}: [{tag}] must be a pause above 0 and at most {MAX_PAUSE:g} seconds.")
    return seconds


def _pace(tag: str, where: str) -> float | None:
    """The speed factor of a pace tag, None when the tag is not one."""
    m = _PACE.match(tag)
    if not m and not re.match(r"(?i)speed\b", tag):
        return None  # e.g. "[slow down]": a stage direction
    if not m:
        raise VidgenError(f"{where}: [{tag}] is not a pace: write [slow], [fast] or [speed 0.8] (0.5 to 2).")
    if m.group("word"):
        return SLOW if m.group("word").lower() == "slow" else FAST
    value = float(m.group("num"))
    if not 0.5 <= value <= 2.0:
        raise VidgenError(f"{where}: [{tag}] must be a speed from 0.5 to 2.")
    return value


def parse_line(text: str, where: str = "line") -> ParsedLine:
    """Sentences (with emphasis spans) and pauses of one script line, and its pace.
    Raises VidgenError naming `where` for malformed markup."""
    tag = _TOKEN.match(text, _LEAD.match(text).end())
    speed = _pace(tag.group("tag").strip(), where) if tag and tag.group("tag") is not None else None
    start = tag.end() if speed is not None else 0
    line = ParsedLine(speed=speed or 1.0)
    chars: list[str] = []  # the current stretch of speech, character by character ...
    emph: list[bool] = []  # ... and whether each is emphasised

    def add(s: str, emphasised: bool) -> None:
        chars.extend(s)
        emph.extend([emphasised] * len(s))

    def drop(end: int) -> None:  # a direction taken out: "that (softly)." reads "that."
        if text[end:end + 1] in (".", ",", "!", "?", ";", ":") and text[end:end + 1]:
            while chars and chars[-1].isspace():
                chars.pop()
                emph.pop()
        else:
            add(" ", False)

    def flush() -> None:
        line.items.extend(_sentences("".join(chars), emph))
        chars.clear()
        emph.clear()

    pos = start
    for m in _TOKEN.finditer(text, start):
        add(text[pos:m.start()], False)
        pos = m.end()
        if m.group("emph") is not None:
            add(m.group("emph"), True)
            continue
        if m.group("tag") is None:
            if _direction(text, m):
                line.directions.append(m.group("paren").strip())
                drop(m.end())  # a stage direction
            else:
                add(m.group(), False)
                line.kept.append(m.group())
            continue
        inner = m.group("tag").strip()
        seconds = _pause(inner, where)
        if seconds is not None:
            flush()
            line.items.append(Pause(seconds))
        elif _pace(inner, where) is not None:
            raise VidgenError(f"{where}: [{inner}] sets the pace of a whole line: put it at the start of the line.")
        elif _CAMERA.match(inner):
            drop(m.end())  # a camera note: the scene's camera move, not words
        else:
            add(m.group(), False)  # not vidgen markup: spoken and shown as written
            line.kept.append(m.group())
    add(text[pos:], False)
    flush()
    line.kept.extend(x.group() for x in _LOOKS_LIKE.finditer(text, start))
    return line


def _sentences(chars: str, emph: list[bool]) -> list[Sentence]:
    """Sentences of one stretch of speech; emphasis carried from characters to spans."""
    # Collapse whitespace (keeping the mask aligned) and drop stray asterisks of unpaired markup;
    # a lone "*" between spaces ("2 * 3") is text.
    text, mask, space = [], [], False
    for i, (c, e) in enumerate(zip(chars, emph)):
        if c == "*" and not ((i == 0 or chars[i - 1].isspace()) and (i + 1 == len(chars) or chars[i + 1].isspace())):
            continue
        if c.isspace():
            space = bool(text)
            continue
        if space:
            text.append(" ")
            mask.append(e and bool(mask) and mask[-1])  # a space inside an emphasised span stays in it
            space = False
        text.append(c)
        mask.append(e)
    clean = "".join(text)
    out, cursor = [], 0
    for sentence in split_sentences(clean):
        at = clean.find(sentence, cursor)  # split_sentences returns stripped substrings, in order
        cursor = at + len(sentence)
        for a, b in speech_units(sentence):  # bounded units of a long sentence
            s = sentence[a:b]
            if not any(c.isalnum() for c in s):
                continue  # like split_sentences: a piece without a letter or digit is not spoken
            spans: list[Span] = []
            for c, e in zip(s, mask[at + a : at + b]):
                if spans and spans[-1].emphasis == e:
                    spans[-1].text += c
                else:
                    spans.append(Span(c, e))
            out.append(Sentence(s, _merge_punctuation(spans)))
    return out


def _merge_punctuation(spans: list[Span]) -> list[Span]:
    """Spans with words; punctuation alone ("." after "*that*") joins the span before it."""
    out: list[Span] = []
    for sp in spans:
        if any(c.isalnum() for c in sp.text) or not out:
            out.append(Span(sp.text, sp.emphasis))
        else:
            out[-1].text += sp.text
    if len(out) > 1 and not any(c.isalnum() for c in out[0].text):  # leading punctuation ("¡", "“")
        out[1].text = out[0].text + out[1].text
        out.pop(0)
    return [Span(sp.text.strip(), sp.emphasis) for sp in out]


def strip_markup(text: str) -> str:
    """The words of a line as subtitles show them: markup and stage directions removed."""
    return " ".join(s.text for s in parse_line(text).sentences)


def kept_markup(texts: list[str]) -> str:
    """One line saying which markup-like text in `texts` is spoken and shown as written ("" if none)."""
    seen: list[str] = []
    for t in texts:
        try:
            kept = parse_line(t).kept
        except VidgenError:
            continue  # malformed markup is the line's own error, reported where it is spoken
        for k in kept:
            if k not in seen:
                seen.append(k)
    if not seen:
        return ""
    shown = ", ".join(k if len(k) <= 40 else k[:39] + "…" for k in seen[:4]) + (" ..." if len(seen) > 4 else "")
    return (f"Spoken and shown as written, not vidgen markup: {shown} (markup is [pause], [slow], *emphasis*, "
            "(stage directions)).")


def sentences(text: str) -> list[str]:
    """The clean sentences (subtitle cues) of a line."""
    return [s.text for s in parse_line(text).sentences]


__all__ = ["MOOD_PROSODY", "MoodProsody", "ParsedLine", "Pause", "Sentence", "Span", "mood_prosody",
           "parse_line", "kept_markup", "sentences", "strip_markup", "PAUSE_SECONDS", "MAX_PAUSE", "SLOW", "FAST",
           "EMPHASIS_SPEED", "EMPHASIS_GAIN_DB"]
