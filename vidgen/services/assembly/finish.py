"""The finishing layer the assembler applies in its one video pass and its mix: how captions look
and when each word is said, the film's colour grade, the sound-effects level. Plain data, made by
the pipeline from the render settings; `Finish()` is the plain film (clean captions, no grade).

    cues, words = sentence_cues(scenes, starts)   # every spoken sentence on the film's timeline, word-timed

Whole-line caption styles show the readable timeline (subtitles.timeline_cues: short sentences
merged, held for reading); karaoke and words-at-a-time show each sentence word by word as spoken.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...domain import Cue, SceneMedia
from .caption_style import CaptionStyle
from .caption_words import Word, cue_words, words_from_phones
from .overlays import EndCard, TitleCard
from .watermark import Watermark


@dataclass(frozen=True)
class Finish:
    captions: CaptionStyle = field(default_factory=CaptionStyle)
    grade: str = "none"  # grade.GRADES
    lut: str = ""  # a .cube file (staged into the work folder under a fixed name)
    grade_strength: float = 1.0
    effects_volume: float = 0.5  # the effects' level relative to the voice, as music_volume
    title: TitleCard | None = None  # a card before the first scene
    end: EndCard | None = None  # and after the last
    lower_thirds: bool = False  # each character's name when they first speak
    watermark: Watermark | None = None  # a logo or text over the whole film


Part = tuple[list[Cue], list[list[Word]] | None, CaptionStyle]


def caption_parts(scenes: list[SceneMedia], starts: list[float], film: CaptionStyle, lines: list[Cue],
                  sentences: list[Cue], words: list[list[Word]]) -> list[Part]:
    """The burned captions by style: each cue goes with the scene it starts in, in that scene's
    style (SceneMedia.captions, else `film`), none for a scene with burn_captions off. A whole-line
    style shows the readable `lines`; karaoke and words-at-a-time the `sentences` with their words."""
    def scene_of(t: float) -> int:
        return max((i for i, a in enumerate(starts) if a <= t + 1e-6), default=0)

    grouped: dict[CaptionStyle, tuple[list[Cue], list[list[Word]]]] = {}
    for scene in scenes:
        if scene.burn_captions:
            grouped.setdefault(scene.captions or film, ([], []))
    for cue in lines:
        scene = scenes[scene_of(cue.start)]
        style = scene.captions or film
        if scene.burn_captions and style.mode == "lines":
            grouped[style][0].append(cue)
    for cue, ws in zip(sentences, words):
        scene = scenes[scene_of(cue.start)]
        style = scene.captions or film
        if scene.burn_captions and style.mode != "lines":
            grouped[style][0].append(cue)
            grouped[style][1].append(ws)
    return [(cs, None if style.mode == "lines" else ws, style) for style, (cs, ws) in grouped.items() if cs]


def sentence_cues(scenes: list[SceneMedia], starts: list[float]) -> tuple[list[Cue], list[list[Word]]]:
    """Every spoken sentence on the film's timeline with its words: the voice's alignment where it
    gave one (SceneMedia.phones), else estimated inside the measured sentence (marked estimated)."""
    cues, given = [], []
    for scene, start in zip(scenes, starts):
        timed = list(scene.phones) + [None] * (len(scene.cues) - len(scene.phones))
        for cue, phones in zip(scene.cues, timed):
            if not cue.text.strip():
                continue
            cues.append(Cue(start + cue.start, start + cue.end, cue.text, cue.speaker))
            words = words_from_phones(cue.text, [(p, start + a, start + b) for p, a, b in phones] if phones else None)
            given.append(words)
    return cues, cue_words(cues, given)


__all__ = ["Finish", "Part", "caption_parts", "sentence_cues"]
