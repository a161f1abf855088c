"""Turns the readers' `_Raw` scenes into `domain.Scene`s, the same way for every form."""

from __future__ import annotations

from ...domain import MOODS, Character, Line, Scene, estimate_duration
from ..voice.prosody import strip_markup
from .common import _WORD, _first_words, _Raw
from .directions import _camera_moves, _strip_md, _words_time
from .mood import classify_mood


def _finish(raws: list[_Raw], transition_seconds: float) -> list[Scene]:
    scenes: list[Scene] = []
    prev_time = ""
    for number, r in enumerate(raws, 1):
        lines = []
        for ln in r.lines:
            text = " ".join(_strip_md(ln.text, keep_emphasis=True).split())
            if _WORD.search(strip_markup(text)):
                lines.append(Line(text=text, speaker=ln.speaker, parenthetical=_strip_md(ln.parenthetical).strip()))
        source = "\n".join(r.source).strip("\n")
        visual = " ".join(_strip_md(strip_markup(" ".join(v for v in r.visual if v))).split())
        if not visual:
            visual = " ".join(_strip_md(strip_markup(" ".join(v for v in r.narrated_visual if v))).split())
        speakers: list[str] = []
        for ln in lines:
            if ln.speaker and ln.speaker not in speakers:
                speakers.append(ln.speaker)
        if not visual:
            visual = r.location or r.heading
            if speakers:
                talking = f"{' and '.join(speakers)} talking"
                visual = f"{visual}: {talking}" if visual else talking
        if r.time == "inherit":
            time = prev_time
        else:
            time = r.time or _words_time(source)
        prev_time = time or prev_time
        spoken = strip_markup(" ".join(ln.text for ln in lines))
        other = " ".join([r.heading] + r.visual + r.narrated_visual)
        scenes.append(
            Scene(
                number=number,
                heading=" ".join(_strip_md(r.heading).split()) or f"Scene {number}",
                text=source,
                lines=lines,
                visual=visual,
                mood=r.mood if r.mood in MOODS else classify_mood(source),
                duration=estimate_duration(len(_WORD.findall(spoken)), transition_seconds),
                camera=_camera_moves(" ".join(r.camera_text), other),
                location=" ".join(r.location.split()),
                interior=r.interior,
                time_of_day=time,
                characters=speakers,
                transition=r.transition,
            )
        )
    return scenes


def _characters(scenes: list[Scene], descriptions: dict[str, str]) -> list[Character]:
    out: dict[str, Character] = {}
    for sc in scenes:
        for name in sc.characters:
            ch = out.setdefault(name, Character(name=name, description=descriptions.get(name.casefold(), "")))
            if sc.number not in ch.scenes:
                ch.scenes.append(sc.number)
    return list(out.values())


def _clean_title(t: str) -> str:
    t = " ".join(_strip_md(t).split()).strip(" #:-–—")
    if len(t) > 80:
        t = t[:80].rsplit(" ", 1)[0] + "…"
    return t


def _fallback_title(scenes: list[Scene]) -> str:
    first = scenes[0]
    heading = _clean_title(first.heading) if first.heading not in ("Opening", "Scene 1") else ""
    if _WORD.search(heading):
        return heading
    spoken = " ".join(ln.text for ln in first.lines) or first.visual
    return _clean_title(_first_words(spoken)) or heading or "Untitled"
