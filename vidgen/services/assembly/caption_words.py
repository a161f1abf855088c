"""Word timings for captions: checked when a voice aligner gave them, estimated when it did not,
and the cue cut into pages (what one caption shows at once) so karaoke and word-by-word styles
know when each word is said. Timing only; how captions look is caption_style.py."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

from ...domain import Cue
from ...errors import VidgenError
from .subtitles import _split_text

# Estimated speaking time of a word ~ its characters plus a constant (the gap and onset).
WORD_CONSTANT_CHARS = 2.0
_BREAK_AFTER = tuple(".,!?;:\u2026")  # a words-at-a-time group ends at a pause


@dataclass(frozen=True)
class Word:
    """One spoken word on the film's timeline (seconds); `estimated` when no aligner timed it."""

    start: float
    end: float
    word: str
    estimated: bool = False


@dataclass(frozen=True)
class Page:
    """What one caption shows at once: its words (one longer than a line comes cut into pieces),
    and its lines as (index into words, text) pairs."""

    start: float
    end: float
    words: tuple[Word, ...]
    lines: tuple[tuple[tuple[int, str], ...], ...]
    speaker: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(" ".join(t for _, t in line) for line in self.lines)


def estimate_words(cue: Cue) -> list[Word]:
    """The cue's words spread over its time in proportion to their length (+ a constant each)."""
    tokens = cue.text.split()
    weights = [len(t) + WORD_CONSTANT_CHARS for t in tokens]
    total, acc, out = sum(weights), 0.0, []
    span = max(0.0, cue.end - cue.start)
    for tok, w in zip(tokens, weights):
        a = cue.start + span * acc / total
        acc += w
        out.append(Word(round(a, 3), round(cue.start + span * acc / total, 3), tok, True))
    return out


def _as_word(w: object, n: int) -> Word:
    if isinstance(w, Word):
        return w
    try:
        start, end, text = w  # type: ignore[misc]
        return Word(float(start), float(end), str(text))
    except (TypeError, ValueError):
        raise VidgenError(f"Cue {n}: a word timing must be (start, end, word), not {w!r}.") from None


def cue_words(cues: list[Cue], words: list | None = None) -> list[list[Word]]:
    """Per cue, its words with times inside the cue and in order: the given timings (a list per
    cue of Word or (start, end, word); None for a cue estimates it) or estimates."""
    if words is not None and len(words) != len(cues):
        raise VidgenError(f"Word timings: {len(words)} lists for {len(cues)} cues; give one per cue (or None).")
    out = []
    for n, cue in enumerate(cues, 1):
        given = words[n - 1] if words is not None else None
        if given is None:
            out.append(estimate_words(cue))
            continue
        ws = [_as_word(w, n) for w in given]
        spelt, text = " ".join(w.word for w in ws), " ".join(cue.text.split())
        if spelt != text or any(not w.word or len(w.word.split()) != 1 for w in ws):
            raise VidgenError(f"Cue {n}: the word timings spell {spelt[:60]!r}, not the cue's text {text[:60]!r}.")
        fixed, last = [], cue.start
        for w in ws:
            if not (math.isfinite(w.start) and math.isfinite(w.end)) or w.end < w.start:
                raise VidgenError(f"Cue {n}: the word {w.word[:30]!r} ends before it starts ({w.start:g}-{w.end:g} s).")
            if w.start < last - 0.001 and fixed:
                raise VidgenError(f"Cue {n}: the word timings go backwards at {w.word[:30]!r} ({w.start:g} s).")
            a = min(max(w.start, last, cue.start), cue.end)  # clamped into the cue, never overlapping
            b = min(max(w.end, a), cue.end)
            fixed.append(Word(round(a, 3), round(b, 3), w.word, w.estimated))
            last = b
        out.append(fixed)
    return out


def _lines(tokens: list[str], max_chars: int) -> list[list[tuple[int, str]]]:
    """Balanced lines (subtitles._split_text) mapped back to the word each fragment belongs to."""
    i, k, out = 0, 0, []
    for line in _split_text(" ".join(tokens), max_chars):
        frags = []
        for frag in line.split():
            frags.append((i, frag))
            k += len(frag)
            if k >= len(tokens[i]):
                i, k = i + 1, 0
        out.append(frags)
    return out


def _groups(tokens: list[str], fits, budget: int, breaks: bool) -> list[list[int]]:
    """Greedy: word indices packed while `fits(group)` and the group's text is within `budget`;
    with `breaks` a group also ends at punctuation (words at a time follow the pauses)."""
    groups: list[list[int]] = []
    closed = True
    for i, tok in enumerate(tokens):
        cand = groups[-1] + [i] if groups else []
        if not closed and fits(cand) and len(" ".join(tokens[j] for j in cand)) <= budget:
            groups[-1] = cand
        else:
            groups.append([i])
        closed = breaks and tok.endswith(_BREAK_AFTER)
    return groups


def _cut_long(ws: list[Word], max_chars: int) -> list[Word]:
    """Words longer than a line cut into line-long pieces, their time shared by length."""
    out = []
    for w in ws:
        n = math.ceil(len(w.word) / max_chars)
        for k in range(n):
            piece = w.word[k * max_chars:(k + 1) * max_chars]
            a = w.start + (w.end - w.start) * k * max_chars / len(w.word)
            b = w.start + (w.end - w.start) * min(1.0, (k + 1) * max_chars / len(w.word))
            out.append(w if n == 1 else Word(round(a, 3), round(b, 3), piece, w.estimated))
    return out


def _pages_of(cue: Cue, ws: list[Word], max_chars: int, max_lines: int, max_words: int) -> list[Page]:
    ws = _cut_long(ws, max_chars)
    tokens = [w.word for w in ws]
    if not tokens:
        return []

    def fits(group: list[int]) -> bool:
        if max_words and len(group) > max_words:
            return False
        return len(_split_text(" ".join(tokens[j] for j in group), max_chars)) <= max_lines

    breaks = max_words > 0
    total = len(" ".join(tokens))
    fewest = len(_groups(tokens, fits, total, breaks))
    lo, hi = math.ceil(total / fewest), total  # the smallest budget still giving `fewest`: even pages
    while lo < hi:
        mid = (lo + hi) // 2
        if len(_groups(tokens, fits, mid, breaks)) <= fewest:
            hi = mid
        else:
            lo = mid + 1
    groups = _groups(tokens, fits, lo, breaks)
    out = []
    for n, g in enumerate(groups):
        start = cue.start if n == 0 else ws[g[0]].start
        end = cue.end if n + 1 == len(groups) else ws[groups[n + 1][0]].start
        lines = _lines([tokens[j] for j in g], max_chars)
        out.append(Page(start, end, tuple(ws[j] for j in g), tuple(tuple(ln) for ln in lines), cue.speaker))
    return [p for p in out if p.end > p.start]


def pages(cues: list[Cue], words: list | None, max_chars: int, max_lines: int, max_words: int = 0) -> list[Page]:
    """The cues cut into pages of at most `max_lines` balanced lines of `max_chars` (and at most
    `max_words` words when not 0), each shown from its first word until the next page's."""
    out = []
    for cue, ws in zip(cues, cue_words(cues, words)):
        out.extend(_pages_of(cue, ws, max_chars, max_lines, max_words))
    return out


def words_json(cues: list[Cue], words: list | None = None) -> dict:
    """{"words": [{"start", "end", "word", "estimated"}, ...]} in film order, for other tools."""
    return {"words": [{"start": w.start, "end": w.end, "word": w.word, "estimated": w.estimated}
                      for ws in cue_words(cues, words) for w in ws]}


def write_words_json(cues: list[Cue], words: list | None, path: str | os.PathLike) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(words_json(cues, words), f, ensure_ascii=False, indent=1)
        f.write("\n")


def words_from_phones(text: str, phones: list | None) -> list[Word] | None:
    """A sentence's words timed by its voice's phoneme alignment ((phoneme, start, end); " " and
    punctuation between words), or None when the spoken words do not pair one to one with the
    written ones (digits read as several words, say): those are estimated instead."""
    if not phones:
        return None
    spoken: list[list[float]] = []
    for ph, a, b in phones:
        if ph == " " or not any(ch.isalpha() for ch in ph):
            spoken.append([])  # a word ends
        elif spoken and spoken[-1]:
            spoken[-1][1] = float(b)
        else:
            if spoken and not spoken[-1]:
                spoken.pop()
            spoken.append([float(a), float(b)])
    spoken = [w for w in spoken if w]
    tokens = text.split()
    said = [t for t in tokens if any(ch.isalnum() for ch in t)]
    if not said or len(said) != len(spoken):
        return None
    out, k, last = [], 0, spoken[0][0]
    for t in tokens:
        if any(ch.isalnum() for ch in t):
            a, b = spoken[k]
            k += 1
            out.append(Word(round(a, 3), round(b, 3), t))
            last = b
        else:  # a dash or an ellipsis: no sound of its own
            out.append(Word(round(last, 3), round(last, 3), t))
    return out
