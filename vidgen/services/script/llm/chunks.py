"""Long scripts in chunks, and the check that the LLM kept the script's spoken words.

Chunks are runs of the rules' whole scenes (`plan_chunks`): as many as fit in `chunk_chars`, each
chunk shown with the scene before it as context, so an LLM reading scene 7 knows who was in the
room in scene 6. A scene longer than `chunk_chars` is a chunk of its own: scenes are never cut.

`spoken_lines` is the word check. Words are compared case-insensitively with punctuation and
parentheticals ignored (`(beat)` may sit inside a speech), and the text a line gets is the
script's own, never the LLM's: the rules' line when the words are one of its lines, else the span
of the source the words were found in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ....domain import Line, Scene

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
_OPENERS = "\"'“‘«¿¡*_"
_GROUP = re.compile(r"[(\[][^()\[\]]*[)\]]")


class Mismatch(Exception):
    """The LLM's lines differ from the script: `kind` is changed | dropped | added."""

    def __init__(self, kind: str, detail: str):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass
class Chunk:
    scenes: list[Scene]  # the rules' scenes this chunk reads, whole
    context: Scene | None = None  # the scene before, shown to the LLM but not returned

    @property
    def chars(self) -> int:
        return sum(len(s.text) for s in self.scenes)

    @property
    def label(self) -> str:
        first, last = self.scenes[0].number, self.scenes[-1].number
        return f"Scene {first}" if first == last else f"Scenes {first}–{last}"


def plan_chunks(scenes: list[Scene], chunk_chars: int) -> list[Chunk]:
    """Consecutive whole scenes, up to `chunk_chars` of source text each (at least one scene)."""
    chunks: list[Chunk] = []
    current: list[Scene] = []
    size = 0
    for sc in scenes:
        n = len(sc.text) or len(sc.heading)
        if current and size + n > chunk_chars:
            chunks.append(Chunk(current))
            current, size = [], 0
        current.append(sc)
        size += n
    if current:
        chunks.append(Chunk(current))
    by_number = {s.number: i for i, s in enumerate(scenes)}
    for ch in chunks:
        i = by_number[ch.scenes[0].number]
        ch.context = scenes[i - 1] if i > 0 else None
    return chunks


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall((text or "").translate(_QUOTES))]


@dataclass
class _Token:
    word: str
    start: int
    end: int
    aside: bool  # inside (...) or [...]: may be skipped inside a spoken line


def _tokens(text: str) -> list[_Token]:
    text = text.translate(_QUOTES)
    depth = 0
    out = []
    pos = 0
    for m in _WORD.finditer(text):
        for c in text[pos:m.start()]:
            depth = depth + 1 if c in "([" else max(0, depth - 1) if c in ")]" else depth
        out.append(_Token(m.group(0).casefold(), m.start(), m.end(), depth > 0))
        pos = m.end()
    return out


def _find(tokens: list[_Token], want: list[str], cursor: int) -> tuple[int, int, list[int]] | None:
    """(first token, one past the last, skipped asides) of `want` in `tokens` at or after `cursor`."""
    for start in range(cursor, len(tokens)):
        if tokens[start].word != want[0]:
            continue
        k, i, skipped = 1, start + 1, []
        while k < len(want) and i < len(tokens):
            if tokens[i].word == want[k]:
                k += 1
            elif tokens[i].aside:
                skipped.append(i)
            else:
                break
            i += 1
        if k == len(want):
            return start, i, skipped
    return None


def _span_text(src: str, tokens: list[_Token], first: int, end: int, skipped: list[int]) -> str:
    """The source between two tokens with its punctuation, minus skipped asides, on one line."""
    start, stop = tokens[first].start, tokens[end - 1].end
    while start > 0 and src[start - 1] in _OPENERS:
        start -= 1
    while stop < len(src) and not src[stop].isspace() and not src[stop].isalnum() and src[stop] not in "([":
        stop += 1
    text = src[start:stop]
    if skipped:  # cut "(beat)" out of the speech, brackets included
        cut = {tokens[i].start - start for i in skipped}

        def aside(m: re.Match) -> str:
            inner = [m.start() + w.start() for w in _WORD.finditer(m.group(0))]
            return " " if inner and all(p in cut for p in inner) else m.group(0)

        text = _GROUP.sub(aside, text)
    return " ".join(text.split())


def spoken_lines(scene: Scene, notes: Any, speaker_of: Any) -> list[Line]:
    """The scene's lines as the LLM attributed them, with the script's words; Mismatch otherwise.

    `notes` is a SceneNotes answer; `speaker_of(name)` maps the LLM's speaker to a display name
    (None for narration). Every line must be found in the scene's source, in order, and together
    the lines must hold exactly the spoken words the rules found (speaker names aside)."""
    src = scene.text or ""
    tokens = _tokens(src)
    rules = {tuple(words(ln.text)): ln for ln in scene.lines}
    out: list[Line] = []
    cursor = 0
    for ln in notes.lines:
        want = words(ln.text)
        if not want:
            raise Mismatch("changed", "a line with no words")
        rule = rules.get(tuple(want))
        found = _find(tokens, want, cursor)
        if found is None and rule is None:
            raise Mismatch("changed", ln.text)
        if found is not None:
            cursor = found[1]
        text = rule.text if rule is not None else _span_text(src, tokens, *found)
        speaker = rule.speaker if rule is not None and rule.speaker else speaker_of(ln.speaker)
        out.append(Line(text=text, speaker=speaker, parenthetical=rule.parenthetical if rule is not None else "",
                        delivery=(ln.delivery or "").strip()[:60] or (rule.delivery if rule is not None else "")))
    _check_coverage(scene, notes)
    return out


def _check_coverage(scene: Scene, notes: Any) -> None:
    """The rules' spoken words, in order, are exactly the LLM's (a speaker's name may be either)."""
    said = [(w, i) for i, ln in enumerate(scene.lines) for w in words(ln.text)]
    theirs = [(w, optional) for ln in notes.lines
              for w, optional in [(x, True) for x in words(ln.speaker or "")] + [(x, False) for x in words(ln.text)]]
    i = j = 0
    while i < len(said):
        while j < len(theirs) and theirs[j][0] != said[i][0] and theirs[j][1]:
            j += 1
        if j == len(theirs) or theirs[j][0] != said[i][0]:
            if j < len(theirs) and theirs[j][0] not in {w for w, _ in said[i:]}:
                raise Mismatch("added", " ".join(w for w, optional in theirs[j:j + 8] if not optional))
            raise Mismatch("dropped", scene.lines[said[i][1]].text)
        i += 1
        j += 1
    extra = [w for w, optional in theirs[j:] if not optional]
    if extra:
        raise Mismatch("added", " ".join(extra[:8]))


def same_name(name: str) -> str:
    """The key two spellings of one character share: case, spacing and (V.O.)-style suffixes aside."""
    name = re.sub(r"\s*\([^()]*\)\s*$", "", name or "")
    return " ".join(name.replace("’", "'").split()).casefold()
