"""Turns the readers' `_Raw` scenes into `domain.Scene`s, the same way for every form."""

from __future__ import annotations

import re

from ...domain import MOODS, Character, Line, Scene, estimate_duration
from ..voice.prosody import strip_markup
from .common import _WORD, _first_words, _Raw
from .delivery import delivery_of
from .directions import _camera_moves, _strip_md, _words_time, camera_path_of
from .fountain import ESCAPED
from .mood import classify_mood
from .names import age_of, clothing_of
from .plan import figures_of, settle
from .vocabulary import words_shot, words_weather

# Escaped Fountain marks: in speech a star that the voice cannot take for emphasis, in pictures plain.
_SPOKEN_ESCAPES = {ESCAPED["*"]: "∗", ESCAPED["_"]: "_"}
_SHOWN_ESCAPES = {ESCAPED["*"]: "*", ESCAPED["_"]: "_"}
_GENERIC_HEADING = re.compile(r"(?i)^(?:opening|scene\s+\S+)$")


def _restore(text: str, table: dict[str, str]) -> str:
    for mark, char in table.items():
        text = text.replace(mark, char)
    return text


def _finish(raws: list[_Raw], transition_seconds: float) -> list[Scene]:
    scenes: list[Scene] = []
    prev_time = ""
    for number, r in enumerate(raws, 1):
        lines = []
        for ln in r.lines:
            text = _restore(" ".join(_strip_md(ln.text, keep_emphasis=True).split()), _SPOKEN_ESCAPES)
            if _WORD.search(strip_markup(text)):
                paren = _strip_md(ln.parenthetical).strip()
                lines.append(Line(text=text, speaker=ln.speaker, parenthetical=paren,
                                  delivery=ln.delivery or delivery_of(paren)))
        source = _restore("\n".join(r.source).strip("\n"), _SHOWN_ESCAPES)
        visual = _clean_visual(r.visual) or _clean_visual(r.narrated_visual)
        speakers: list[str] = []
        for ln in lines:
            if ln.speaker and ln.speaker not in speakers:
                speakers.append(ln.speaker)
        if not visual:
            # The picture of a scene that only talks: its place, or its heading when that says more
            # than "Scene 3" (else the scene before's picture: the talk goes on there). The characters
            # are in `characters`; the prompt builder adds them.
            heading = " ".join(_strip_md(r.heading).split())
            generic = _GENERIC_HEADING.match(heading)
            visual = r.location or (heading if not generic else scenes[-1].visual if scenes else "")
        if r.time == "inherit":
            time = prev_time
        else:
            time = r.time or _words_time(source)
        prev_time = time or prev_time
        spoken = strip_markup(" ".join(ln.text for ln in lines))
        other = " ".join([r.heading] + r.visual + r.narrated_visual)
        sounds: list[str] = []
        for cue in r.sounds:
            cue = " ".join(_strip_md(cue).split()).strip(" .")
            if cue and cue not in sounds:
                sounds.append(cue)
        # The picture's plan, and the fields still empty, from the heading, the action, then the speech.
        # A heading made of the text's first words ("Old Henrik kneads the…") says nothing more.
        plan_heading = "" if r.heading.endswith("…") else _strip_md(r.heading)
        settled = settle(_clean_visual(r.visual + r.narrated_visual), heading=plan_heading, spoken=spoken,
                         characters=speakers, speakers=speakers, interior=r.interior, time_of_day=time,
                         weather=words_weather(" ".join([r.heading, visual] + r.narrated_visual + sounds)))
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
                camera_path=camera_path_of(" , ".join(r.camera_text)),
                location=" ".join(r.location.split()),
                interior=settled.interior,
                time_of_day=settled.time_of_day,
                weather=settled.weather,
                shot=words_shot(" ".join(r.camera_text), r.heading, " ".join(r.visual)),
                sounds=sounds,
                plan=settled.plan,
                characters=speakers,
                transition=r.transition,
            )
        )
    return scenes


def _clean_visual(parts: list[str]) -> str:
    return _restore(" ".join(_strip_md(strip_markup(" ".join(v for v in parts if v))).split()), _SHOWN_ESCAPES)


def _mentions(name: str) -> re.Pattern[str]:
    """A character's name as the action writes it: whole, by first or last name, in capitals or not."""
    words = [w for w in name.split() if len(w) > 2 and w.rstrip(".").lower() not in ("dr", "mr", "mrs", "ms")]
    forms = {name, name.upper()} | {w for w in words} | {w.upper() for w in words}
    return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + r")(?![\w])")


def _add_present(scenes: list[Scene], raws: list[_Raw], names: list[str]) -> None:
    """Non-speaking characters join the scenes whose action or narration names them (after the speakers,
    so the order of the cast stays the order in which people speak), and their pictures' figures."""
    joined: set[int] = set()
    for name in names:
        pattern = _mentions(name)
        for n, (sc, r) in enumerate(zip(scenes, raws)):
            if name in sc.characters:
                continue
            seen = " ".join([r.heading] + r.visual + r.narrated_visual)
            if pattern.search(seen[:200_000]):
                sc.characters.append(name)
                joined.add(n)
    for n in sorted(joined):
        sc, r = scenes[n], raws[n]
        speakers = [ln.speaker for ln in sc.lines if ln.speaker]
        sc.plan.figures = figures_of(" ".join([_strip_md(r.heading)] + r.visual + r.narrated_visual),
                                     sc.characters, speakers)


def _characters(scenes: list[Scene], descriptions: dict[str, str]) -> list[Character]:
    out: dict[str, Character] = {}
    for sc in scenes:
        for name in sc.characters:
            ch = out.get(name)
            if ch is None:
                desc = descriptions.get(name.casefold(), "")
                ch = out[name] = Character(name=name, description=desc, age=age_of(desc), clothing=clothing_of(desc))
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
