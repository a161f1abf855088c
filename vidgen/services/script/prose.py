"""The plain-prose reader: paragraphs become scenes of whole sentences, split when long."""

from __future__ import annotations

from ...domain import Line
from ...text import split_sentences
from .body import _italic_line, _unlist
from .common import _WORD, _blank_groups, _Doc, _first_words, _Raw
from .directions import _extract_directions, _strip_md
from .preamble import _read_preamble


def _split_long(sentence: str, limit: int = 70) -> list[str]:
    words = sentence.split()
    if len(_WORD.findall(sentence)) <= limit * 1.4:
        return [sentence]
    return [" ".join(words[i : i + limit]) for i in range(0, len(words), limit)]


def _prose_chunks(paragraph: str) -> list[list[str]]:
    """A paragraph as scenes of sentences: one scene up to ~80 words, else ~30-70 words each."""
    sentences = [p for s in split_sentences(paragraph) for p in _split_long(s)]
    if len(_WORD.findall(paragraph)) <= 80:
        return [sentences]
    chunks: list[list[str]] = []
    cur: list[str] = []
    count = 0
    for s in sentences:
        n = len(_WORD.findall(s))
        if cur and count >= 30 and count + n > 70:
            chunks.append(cur)
            cur, count = [], 0
        cur.append(s)
        count += n
    if cur:
        tail = count
        if chunks and tail < 30 and sum(len(_WORD.findall(s)) for s in chunks[-1]) + tail <= 90:
            chunks[-1].extend(cur)
        else:
            chunks.append(cur)
    return chunks


def _read_prose(text: str) -> _Doc:
    doc = _Doc()
    lines = _read_preamble(text.split("\n"), doc, top_only=True)
    directions: list[str] = []  # whole-line *italic* directions: the picture of the next paragraph
    for group in _blank_groups(lines):
        spoken: list[str] = []
        for ln in group:
            italic = _italic_line(_unlist(ln.strip()))
            if italic is not None and italic[0] == "direction":
                directions.append(_strip_md(italic[1]))
            else:
                spoken.append(italic[1] if italic is not None and italic[0] == "speech" else _unlist(ln.strip()))
        paragraph = " ".join(ln.strip() for ln in group)
        clean, camera, sounds = _extract_directions(_strip_md(" ".join(spoken)))
        if not _WORD.search(clean):
            if (camera or sounds) and doc.scenes:  # a lone "[camera: pan left]" belongs to the scene before
                doc.scenes[-1].camera_text.extend(camera)
                doc.scenes[-1].sounds.extend(sounds)
            continue
        chunks = _prose_chunks(clean)
        for k, sentences in enumerate(chunks):
            sc = _Raw(heading=_first_words(" ".join(sentences)))
            sc.source.append(paragraph if len(chunks) == 1 else " ".join(sentences))
            if k == 0:
                sc.camera_text.extend(camera)
                sc.sounds.extend(sounds)
            sc.lines = [Line(text=s) for s in sentences]
            sc.visual.extend(directions or [" ".join(sentences)])  # a written direction is the better picture
            directions = []
            doc.scenes.append(sc)
    if directions:
        if doc.scenes:
            doc.scenes[-1].visual.extend(directions)
        else:  # only directions: a silent scene still shows them
            sc = _Raw(heading=_first_words(directions[0]), numbered=True)
            sc.source.extend(directions)
            sc.visual.extend(directions)
            doc.scenes.append(sc)
    return doc
