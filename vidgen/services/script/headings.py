"""Readers for `Scene N:` storyboards, Markdown headings and `NAME: line` dialogue."""

from __future__ import annotations

import re

from .body import _Body, _inline_label, _read_body, _speaker_of
from .common import _MAX_HEAD_LEN, _MD_HEAD, _WORD, _blank_groups, _Doc, _first_words, _Raw
from .directions import _apply_slug, _strip_md
from .labels import CAST_HEAD
from .preamble import _cast_entry, _read_preamble
from .prose import _read_prose
from .vocabulary import slug_match

_MAX_SCENE_LINE = 4000  # a `Scene N:` line may hold the whole storyboard paragraph

_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
).split()
_SCENE_HEAD = re.compile(
    # "Scene" in the languages the voices speak: Escena, Scène, Szene, Scena, Cena
    r"^(?:#{1,6}\s*)?[*_]*\s*(?:sc[eè]ne|escena|szene|scena|cena)\s+(\d{1,4}|[ivxlc]{1,8}|" + "|".join(_NUMBER_WORDS)
    + r")\b[*_]*"
    r"\s*(?:[:.|\-–—]+\s*(.*))?$",
    re.I,
)


def _scene_heading(s: str) -> str | None:
    """The title of a `Scene N: Title` line ("" when untitled), None for other lines."""
    if len(s) > _MAX_SCENE_LINE:
        return None
    m = _SCENE_HEAD.match(s)
    if not m:
        return None
    title = _strip_md(m.group(2) or "").strip(" *_:-–—")
    return title if _WORD.search(title) else ""


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
        _heading_body(sc, title)
        doc.scenes.append(sc)
        _read_body(sc, lines[start + 1 : end])
    return doc


def _heading_body(sc: _Raw, title: str) -> None:
    """A heading that holds the picture and the speech: `Scene 1: A village at sunrise. Mist drifts.
    Narrator: Every morning begins the same way.` -> heading, visual and a spoken line."""
    slug = slug_match(title) if len(title) <= _MAX_HEAD_LEN else None
    if slug:
        _apply_slug(sc, *slug)
        return
    inline = _inline_label(title)
    if inline is None:
        return
    picture = inline[0]
    first = re.split(r"(?<=[.!?…])\s+", picture, maxsplit=1)[0].rstrip(".!?… ")
    sc.heading = first if len(first) <= 80 else _first_words(first, 8)
    body = _Body(sc)
    body.line(title)
    sc.source.pop()  # the heading line is in the source once


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
        if CAST_HEAD.match(title):
            for ln in body:
                if ln.strip():
                    _cast_entry(ln, doc)
            continue
        sc = _Raw(heading=title or f"Scene {len(doc.scenes) + 1}", numbered=True)
        sc.source.append(lines[start])
        _heading_body(sc, title)
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
        labelled = sum(1 for g in groups if len(g) > 1 and _own_label(g[0]))
        if groups and (sum(1 for g in groups if len(g) == 1) * 3 >= len(groups) * 2 or labelled * 2 >= len(groups)):
            # Blank lines between every line, or between the speeches of a play (`NAME:` above each),
            # are spacing, not scene breaks: chunk by length.
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


def _own_label(line: str) -> bool:
    """`First Citizen:` alone on its line, the speech below it."""
    s = _strip_md(line.strip())
    spk = _speaker_of(s) if s.endswith(":") else None
    return spk is not None and not spk[2]


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
