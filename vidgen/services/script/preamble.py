"""The preamble: the title, a Characters: / Cast: list and metadata lines above the first scene."""

from __future__ import annotations

import re

from .body import _KEY_LINE, _unlist
from .common import _MAX_HEAD_LEN, _MD_HEAD, _WORD, _Doc
from .directions import _display_name, _strip_md
from .labels import CAST_HEAD, META_KEYS
from .vocabulary import slug_match


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
        if len(s) <= _MAX_HEAD_LEN and CAST_HEAD.match(s):
            i = _read_cast(lines, i, doc)
            continue
        m = _KEY_LINE.match(_strip_md(s)) if len(s) <= _MAX_HEAD_LEN and ":" in s else None
        if m and " ".join(m.group(1).split()).lower() in META_KEYS:
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


def _read_cast(lines: list[str], i: int, doc: _Doc) -> int:
    """Read the entries under a Characters: heading from line `i`; return the line after them."""
    while i < len(lines) and not lines[i].strip():
        i += 1
    while i < len(lines) and lines[i].strip():
        s = lines[i].strip()
        if len(s) <= _MAX_HEAD_LEN and (slug_match(s) or _MD_HEAD.match(s)):
            break  # the script starts right under the list
        _cast_entry(lines[i], doc)
        i += 1
    return i


def _cast_entry(line: str, doc: _Doc) -> None:
    """`SARAH — a marine biologist`, `- Tom: her brother`, `HENRIK (60s), a baker` -> a description."""
    s = _strip_md(_unlist(line.strip()))
    if len(s) > 2000:
        return
    m = re.match(r"^(.{1,40}?)\s*(?::|\s[—–-]\s|[—–]|,)\s*(.+)$", s)
    name, desc = (m.group(1), m.group(2)) if m else (s, "")
    paren = re.search(r"\(([^()]{1,40})\)\s*$", name)
    name = re.sub(r"\s*\([^)]*\)\s*$", "", name).strip()
    if paren and paren.group(1).strip():  # "HENRIK (60s) - a baker": the age belongs to the description
        desc = f"{paren.group(1).strip()}, {desc}" if desc else paren.group(1).strip()
    if name and _WORD.search(name) and len(name.split()) <= 4:
        display = _display_name(name)
        doc.descriptions[display.casefold()] = desc.strip()
        if display not in doc.cast:
            doc.cast.append(display)
