"""Plain-text helpers shared by the script parser and the voice."""

from __future__ import annotations

import re

# Words that end in a period without ending a sentence ("Dr. Jones", "St. Ives", "No. 5").
ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "prof", "sr", "jr", "vs", "etc", "e.g", "i.e", "mt", "no", "capt", "lt",
     "col", "gen", "sgt"}
)
_SENTENCE_END = re.compile(r"([.!?…]+)[\"'”’)\]]*\s+")


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, each stripped; pieces without a letter or digit are dropped.

    A sentence ends after . ! ? or … (with any closing quotes or brackets) and whitespace, unless
    the next character is lower case, or a lone period follows an abbreviation or an initial
    ("J. R. R. Tolkien"). Line breaks inside a sentence are kept as they are. Linear in the text.
    """
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        nxt = text[m.end() : m.end() + 1]
        if nxt.islower():
            continue  # "Wait... then what?", "e.g. the boat"
        # A bounded look back keeps a run of "Dr. Dr. Dr. ..." linear; no abbreviation is that long.
        if m.group(1) == "." and _ends_abbreviation(text[max(start, m.start() - 32) : m.start()]):
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if any(c.isalnum() for c in s)]


def _ends_abbreviation(before: str) -> bool:
    words = before.split()
    word = words[-1].rstrip(".") if words else ""
    # "I" is left out: "So did I. Then..." is far more common than "I. M. Pei".
    initial = len(word) == 1 and word.isupper() and word != "I"
    return initial or word.lower() in ABBREVIATIONS


# --- synthesis units ------------------------------------------------------------------------------
# A TTS model's memory and time grow with the length of what it is given at once (measured on the
# built-in Piper voice, 2 cores: ~0.9 MB per phoneme, ~22 MB per second of speech; 40 words +180 MB
# and 4 s, 200 words +1.2 GB and 23 s). So a sentence reaches a voice in units: at most
# MAX_UNIT_WORDS words (~10 s of speech, ~215 phonemes, a cue still readable in three pieces) and
# MAX_UNIT_CHARS characters (for the character-level backends, VITS and XTTS), cut where a clause
# ends when there is one. A token longer than MAX_TOKEN_CHARS (past any dictionary word: a URL, a
# hash, a run of one letter) is spoken in pieces of that length; the captions keep it whole.
MAX_UNIT_WORDS = 40
MAX_UNIT_CHARS = 250
MAX_TOKEN_CHARS = 48
_CLAUSE_END = re.compile(r"[,;:—–]$|^[-—–]+$")  # "word," "word;" "word—" or a lone dash
_TOKEN_RE = re.compile(r"\S+")
_BREAK = re.compile(r"[^\w]")  # inside a long token, cut after punctuation ("/", "-", ".") if there is one


def _pieces(start: int, end: int, text: str) -> list[tuple[int, int]]:
    """A token as pieces of at most MAX_TOKEN_CHARS, cut after punctuation where it falls late enough."""
    out = []
    while end - start > MAX_TOKEN_CHARS:
        cut = start + MAX_TOKEN_CHARS
        window = text[start + MAX_TOKEN_CHARS // 2 : cut]
        marks = [m.end() for m in _BREAK.finditer(window)]
        if marks:
            cut = start + MAX_TOKEN_CHARS // 2 + marks[-1]
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out


def speech_units(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of `text` (one sentence) that cover all its words, each within the unit
    bounds above; cut after the last clause end in a unit's second half, else at the bound. Linear."""
    pieces = [p for m in _TOKEN_RE.finditer(text) for p in _pieces(m.start(), m.end(), text)]
    # Even units: 41 words are two of ~21, not 40 and a lone word.
    per_unit = -(-len(pieces) // -(-len(pieces) // MAX_UNIT_WORDS)) if pieces else MAX_UNIT_WORDS
    units: list[tuple[int, int]] = []
    first = 0  # index of the unit's first piece
    while first < len(pieces):
        last, clause = first, -1
        while last + 1 < len(pieces):
            nxt = last + 1
            if nxt - first + 1 > per_unit or pieces[nxt][1] - pieces[first][0] > MAX_UNIT_CHARS:
                break
            last = nxt
        if last + 1 < len(pieces):  # a cut is needed: prefer a clause end in the unit's second half
            for i in range(last, first + (last - first) // 2, -1):
                if pieces[i][1] == pieces[i + 1][0]:
                    continue  # inside a long token
                if _CLAUSE_END.search(text[pieces[i][0] : pieces[i][1]]):
                    clause = i
                    break
            last = clause if clause >= 0 else last
        units.append((pieces[first][0], pieces[last][1]))
        first = last + 1
    return units


def speakable(text: str) -> str:
    """`text` as given to a voice: tokens longer than MAX_TOKEN_CHARS cut into pieces by spaces."""
    if not any(len(m.group()) > MAX_TOKEN_CHARS for m in _TOKEN_RE.finditer(text)):
        return text
    out, pos = [], 0
    for m in _TOKEN_RE.finditer(text):
        out.append(text[pos : m.start()])
        out.append(" ".join(text[a:b] for a, b in _pieces(m.start(), m.end(), text)))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def noun_for(n: int, noun: str, plural: str = "") -> str:
    """The noun for `n` of it: "scene" for 1, else "scenes" (or `plural`, when not noun + s)."""
    return noun if n == 1 else plural or noun + "s"


def count(n: int, noun: str, plural: str = "") -> str:
    """"1 scene", "2 scenes": a number with its noun in the right number."""
    return f"{n} {noun_for(n, noun, plural)}"
