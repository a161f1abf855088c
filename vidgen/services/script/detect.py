"""Which form a script is written in, decided from its lines before any reader runs."""

from __future__ import annotations

from .body import _speaker_of
from .common import _MAX_HEAD_LEN, _MD_HEAD, _normalise
from .directions import _SLUG
from .headings import _scene_heading


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
