"""What every reader shares: the `_Raw` scene and `_Doc` records and a few text helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...domain import Line

_MAX_HEAD_LEN = 200  # longer lines are never headings, cues or speakers
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_MD_HEAD = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for sep in ("\u2028", "\u2029", "\x85"):
        text = text.replace(sep, "\n")
    return text.lstrip("\ufeff")


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
    sounds: list[str] = field(default_factory=list)  # sound cues (SFX:, [SFX], THUD in action)
    labels: list[str] = field(default_factory=list)  # production labels taken out of the speech

    def has_content(self) -> bool:
        parts = [self.heading if self.numbered else ""] + self.source
        return any(_WORD.search(p) for p in parts)


@dataclass
class _Doc:
    title: str = ""
    scenes: list[_Raw] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)  # casefolded display name -> text
    cast: list[str] = field(default_factory=list)  # display names of a Characters: list, in order
    introduced: dict[str, str] = field(default_factory=dict)  # non-speaking characters the reader found
    notes: list[str] = field(default_factory=list)  # what the user must hear before rendering


def _first_words(text: str, n: int = 6) -> str:
    words = text.split()
    head = " ".join(words[:n]).rstrip(",;:.!?—–-")
    return head + ("…" if len(words) > n else "")


def _blank_groups(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines."""
    groups: list[list[str]] = [[]]
    for ln in lines:
        if ln.strip():
            groups[-1].append(ln)
        elif groups[-1]:
            groups.append([])
    return [g for g in groups if g]
