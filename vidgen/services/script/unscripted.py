"""Parts of a pasted text that are not the script: a chat preamble, a closing remark, a code fence
around the whole script, Markdown tables, key-takeaway lists and review notes.

They are blanked (the line count stays, so blank-line structure survives) before the form is
detected, and each leaves a one-line note that says what was left out and how to keep it.
"""

from __future__ import annotations

import re

from .common import _first_words
from .directions import _strip_md
from .labels import VIDEO_META

_MAX_LINE = 400  # longer lines are never a preamble, a heading or a table row
_OPENER = re.compile(
    r"(?i)^(?:sure|certainly|of course|absolutely|okay|ok|great|alright|all right|here(?:'s|’s| is| are)|"
    r"below is|below you|i've|i’ve|i have|i'll|i’ll|this is (?:a|the|your))\b"
)
_ABOUT_SCRIPT = re.compile(
    r"(?i)\b(?:script|screenplay|storyboard|video|draft|version|outline|narration|voice-?over|format|"
    r"fountain|scene|episode|story)\w*\b"
)
_CLOSER = re.compile(
    r"(?i)^(?:let me know|i hope|hope this|feel free|would you like|if you(?:'d| would)? like|want me to|"
    r"happy to|shall i|do you want|need any changes)\b"
)
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_SECTION = re.compile(r"^(?:#{1,6}\s*)?[*_]*\s*([^*_:#]{2,60}?)\s*[*_]*\s*:?\s*[*_]*\s*$")
_TAKEAWAYS = re.compile(
    r"(?i)^(?:key takeaways?|takeaways|key points|main points|key lessons|summary of key points|tl;?dr|"
    r"key messages|what you(?:'ll| will) learn)$"
)
_REVIEW = re.compile(
    r"(?i)^(?:notes|review notes|reviewer'?s? notes|feedback|production notes|editor'?s? notes|revision notes|"
    r"comments|notes for (?:the )?(?:editor|director|producer|narrator)|script notes)$"
)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+\S")
_META_LINE = re.compile(r"^\s*(?:[-*+•]\s+)?[*_]*([^\W\d_][\w '’\-]{1,30}?)[*_]*\s*:\s*[*_]*\s*\S")


def set_aside(text: str) -> tuple[str, list[str]]:
    """The text with its non-script parts blanked, and a note for each kind left out."""
    lines = text.split("\n")
    notes: list[str] = []
    _preamble(lines, notes)
    _tables(lines, notes)
    _sections(lines, notes)
    _metadata(lines, notes)
    return "\n".join(lines), notes


def _nonblank(lines: list[str]) -> list[int]:
    return [i for i, ln in enumerate(lines) if ln.strip()]


def _preamble(lines: list[str], notes: list[str]) -> None:
    idx = _nonblank(lines)
    dropped: list[str] = []
    for i in idx[:2]:
        s = _strip_md(lines[i].strip())
        if len(s) > _MAX_LINE or not _OPENER.match(s):
            break
        if not (_ABOUT_SCRIPT.search(s) or s.endswith(":") or len(s.split()) <= 3):
            break
        dropped.append(s)
        lines[i] = ""
    if dropped:
        notes.append(f"Left out a preamble that is not part of the script: '{_first_words(dropped[-1], 8)}'. "
                     "If it should be spoken, put it under the first scene heading.")
    idx = _nonblank(lines)
    if len(idx) >= 2 and lines[idx[0]].strip().startswith("```") and lines[idx[-1]].strip() == "```":
        lines[idx[0]] = lines[idx[-1]] = ""  # the whole script in one code fence: the fence is chat formatting
    idx = _nonblank(lines)
    closing = [i for i in idx[-2:] if len(lines[i]) <= _MAX_LINE and _CLOSER.match(_strip_md(lines[i].strip()))]
    if closing and len(idx) > len(closing):
        said = _strip_md(lines[closing[0]].strip())
        for i in range(closing[0], len(lines)):
            lines[i] = ""
        notes.append(f"Left out a closing remark that is not part of the script: '{_first_words(said, 8)}'.")


def _tables(lines: list[str], notes: list[str]) -> None:
    i, tables, rows = 0, 0, 0
    while i < len(lines):
        j = i
        while j < len(lines) and len(lines[j]) <= _MAX_LINE * 10 and _TABLE_ROW.match(lines[j]):
            j += 1
        block = lines[i:j]
        if len(block) >= 2 and any(_TABLE_RULE.match(ln) for ln in block[:3]):
            tables += 1
            rows += sum(1 for ln in block if not _TABLE_RULE.match(ln))
            for k in range(i, j):
                lines[k] = ""
        i = max(j, i + 1)
    if tables:
        what = "a table" if tables == 1 else f"{tables} tables"
        notes.append(f"Left out {what} ({rows} rows): tables are not read aloud. If the rows are the script, "
                     "write them as 'Scene N:' blocks or sentences.")


def _sections(lines: list[str], notes: list[str]) -> None:
    idx = _nonblank(lines)
    first_paragraph_end = next((i for i in range(idx[0], len(lines)) if not lines[i].strip()), len(lines)) if idx else 0
    found = {"takeaways": 0, "review": 0}
    i = first_paragraph_end  # a title page's "Notes:" belongs to the script's first paragraph
    while i < len(lines):
        s = lines[i].strip()
        m = _SECTION.match(s) if s and len(s) <= 80 and (s.endswith(":") or s.startswith(("#", "*"))) else None
        name = " ".join(m.group(1).split()) if m else ""
        kind = "takeaways" if m and _TAKEAWAYS.match(name) else "review" if m and _REVIEW.match(name) else ""
        if not kind or (i + 1 < len(lines) and lines[i + 1][:1] in (" ", "\t") and lines[i + 1].strip()):
            i += 1  # an indented value under "Notes:" is a Fountain title page, not review notes
            continue
        end = _block_end(lines, i + 1)
        found[kind] += end - i - 1
        for k in range(i, end):
            lines[k] = ""
        i = end
    if found["takeaways"]:
        notes.append(f"Left out a key-takeaways list ({_lines(found['takeaways'])}): it summarises the script, it is "
                     "not part of it. Write it as narration if it should be spoken.")
    if found["review"]:
        notes.append(f"Left out review notes ({_lines(found['review'])}): notes about the script are not spoken. "
                     "Delete the heading above them if they should be.")


def _metadata(lines: list[str], notes: list[str]) -> None:
    keys: list[str] = []
    for i, ln in enumerate(lines):
        m = _META_LINE.match(ln) if len(ln) <= _MAX_LINE and ":" in ln[:60] else None
        if m and " ".join(m.group(1).split()).lower() in VIDEO_META:
            keys.append(" ".join(m.group(1).split()))
            lines[i] = ""
    if keys:
        names = ", ".join(dict.fromkeys(k.upper() for k in keys))
        notes.append(f"Left out {len(keys)} line{'s' if len(keys) != 1 else ''} about the video ({names}): "
                     "they describe the film, they are not spoken.")


def _lines(n: int) -> str:
    return f"{n} line" if n == 1 else f"{n} lines"


def _block_end(lines: list[str], i: int) -> int:
    """Where a section's body ends: at a blank line that is not followed by more list items."""
    while i < len(lines) and not lines[i].strip():
        i += 1
    while i < len(lines):
        if lines[i].strip():
            i += 1
            continue
        j = i
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j < len(lines) and _LIST_ITEM.match(lines[j]):
            i = j
            continue
        return i
    return i
