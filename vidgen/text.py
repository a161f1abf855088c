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
