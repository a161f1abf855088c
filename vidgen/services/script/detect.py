"""Which form a script is written in, decided from its lines before any reader runs.

Fountain is chosen on evidence that adds up, never on one line: headings after a blank line
(in capitals they count double), cues in capitals followed by their dialogue, forced cues (`@`),
dual dialogue (`^`), transitions, a title page with Fountain keys, and the `.fountain` file name.
A stray "INT" or ".NET" in the middle of a paragraph is no heading, so it cannot silence a film.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .body import _BULLET, _KEY_LINE, _speaker_of
from .common import _MAX_HEAD_LEN, _MD_HEAD, _normalise
from .directions import _strip_md
from .fountain import _TITLE_KEY, _TRANSITION_WORDS, _cue_name
from .headings import _MAX_SCENE_LINE, _scene_heading
from .labels import NOT_SPEAKERS, label_kind
from .vocabulary import slug_match, strong_slug, transition_word

FOUNTAIN_EXTENSIONS = (".fountain", ".spmd")
_FOUNTAIN_SCORE = 2  # one heading in capitals, or two cues with dialogue, or a cue and a title page


@dataclass
class Evidence:
    """What the lines of a script look like, counted once for every form."""

    fountain: int = 0  # weighted screenplay evidence
    cues: int = 0  # cue lines followed by dialogue
    paragraphs: int = 0
    scene_heads: int = 0
    md_heads: int = 0
    turns: int = 0  # `NAME: text`, `**NAME:** text`, a `NAME:` label above its speech
    labels: int = 0  # storyboard / production labels (VISUAL:, ON SCREEN:, VO:)
    covered: int = 0  # lines that belong to a turn or a label
    nonblank: int = 0


def detect_form(text: str, filename: str = "") -> str:
    """Which form a script is written in: fountain | headings | markdown | dialogue | prose."""
    if not isinstance(text, str):
        return "prose"
    return _form(evidence(text), filename)


def _form(ev: Evidence, filename: str = "") -> str:
    if os.path.splitext(filename or "")[1].lower() in FOUNTAIN_EXTENSIONS:
        return "fountain"
    # Dialogue-only fragments count on their cues, as long as cues make a fair share of the text.
    if ev.fountain >= _FOUNTAIN_SCORE and (ev.fountain > ev.cues or ev.cues * 4 >= ev.paragraphs):
        return "fountain"
    if ev.scene_heads:
        return "headings"
    if ev.md_heads:
        return "markdown"
    if (ev.turns >= 2 or (ev.turns and ev.labels) or ev.labels >= 2) and ev.covered * 3 >= ev.nonblank:
        return "dialogue"
    return "prose"


def guessed_prose(ev: Evidence) -> bool:
    """Prose was chosen although some lines looked like another form: worth a note to the user."""
    return _form(ev) == "prose" and (ev.fountain > 0 or ev.turns > 0 or ev.labels > 0)


def evidence(text: str) -> Evidence:
    ev = Evidence()
    lines = _normalise(text).split("\n")
    n = len(lines)
    top = next((i for i, ln in enumerate(lines) if ln.strip()), n)
    if top < n and len(lines[top]) <= _MAX_HEAD_LEN and _TITLE_KEY.match(lines[top].strip()):
        keys = 0
        for ln in lines[top:]:
            if not ln.strip():
                break
            keys += bool(len(ln) <= _MAX_HEAD_LEN and not ln[:1].isspace() and _TITLE_KEY.match(ln.strip()))
        ev.fountain += keys >= 2  # "Title:" alone is every form's; Title + Author + Draft date is a title page
    label_block = False
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            label_block = False
            continue
        ev.nonblank += 1
        prev_blank = i == 0 or not lines[i - 1].strip()
        nxt = lines[i + 1].strip() if i + 1 < n else ""
        ev.paragraphs += prev_blank
        if len(s) > _MAX_SCENE_LINE:
            continue
        if _scene_heading(s) is not None:
            ev.scene_heads += 1
        if len(s) > _MAX_HEAD_LEN:
            if label_block:
                ev.covered += 1
            continue
        if _MD_HEAD.match(s):
            ev.md_heads += _scene_heading(s) is None
            continue
        if prev_blank:
            _screenplay_line(ev, s, nxt)
        elif strong_slug(s):
            ev.fountain += 1  # "INT. WARD - NIGHT" right under a line: half the weight of one after a blank
        bare = _strip_md(s).strip()
        if label_block:
            ev.covered += 1
            continue
        if _BULLET.match(line):
            continue  # a bulleted `Term: text` is a list, never a speaker
        key = _KEY_LINE.match(bare) if ":" in bare[:100] else None
        if key and label_kind(key.group(1)):
            ev.labels += 1
            ev.covered += 1
            label_block = not key.group(3).strip()
            continue
        spk = _speaker_of(bare)
        if spk is None:
            continue
        # `First Citizen:` alone counts when speech (not a list, not another label) follows.
        alone = not spk[2] and bool(nxt) and not _BULLET.match(lines[i + 1]) and _speaker_of(_strip_md(nxt)) is None
        if spk[2] or alone:
            ev.turns += 1
            ev.covered += 1
            label_block = not spk[2]  # `First Citizen:` alone: the lines below are the speech
    return ev


def _screenplay_line(ev: Evidence, s: str, nxt: str) -> None:
    """Weigh a line that starts a paragraph as screenplay evidence."""
    if slug_match(s, strict=True):
        ev.fountain += 2 if strong_slug(s) else 1
        return
    if s.startswith(".") and len(s) > 1 and s[1].isalpha() and not nxt:
        ev.fountain += 1  # a forced heading alone on its line
        return
    bare = _strip_md(s).strip()
    if len(bare) <= 40 and (bare.upper() == bare and (bare.endswith("TO:") or _TRANSITION_WORDS.match(bare))
                            or transition_word(bare)):
        ev.fountain += 1
        return
    if not nxt:
        return
    cue = _cue_name(s)
    if cue is None or cue.lower().rstrip(".:") in NOT_SPEAKERS or label_kind(cue):
        return
    if slug_match(nxt, strict=True) or _cue_name(nxt) is not None and not nxt.startswith("("):
        return  # two capital lines in a row: a title or a shout, not a cue and its dialogue
    ev.cues += 1
    ev.fountain += 2 if s.startswith("@") or s.rstrip().endswith("^") else 1
