"""A scene's picture plan from its words, by rules (issue 13): the place, season, lights, props and
figures of `domain.ScenePlan`, and the scene fields they settle (inside or outside, time, weather).

The words are `plan_words`' tables in six languages. A text is read once: one regex pass splits it
into tokens (folded: no case, no accents), then each position is looked up in one index of every
table's one- to three-word forms, longest first, so the work is linear in the text whatever it
holds. German compounds ("Fischerboote", "Marktplatz") are read by their last part. Where the words
name several places the heading decides first (a slugline: "INT. LIGHTHOUSE STAIRWELL"), then the
action, then what is said; a tie goes to the more specific place (`domain.PLACES` order) and, when
the scene is known to be inside or outside, to a place of that kind.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from ...domain import INTERIOR_PLACES, PLACES, Figure, ScenePlan
from . import plan_words as words
from .vocabulary import WEATHER_WORDS, slug_match, words_time, words_weather

MAX_FIGURES = 12
MAX_PROPS = 8
MAX_LIGHTS = 4
PLURAL_PEOPLE = 3  # "villagers", "a crowd": how many figures a plural without a number draws
_TOKEN = re.compile(r"[^\W_]+|[.!?;:]")
_PUNCT = frozenset(".!?;:")
_BRACKET = re.compile(r"^([^()]*)\(([^()]*)\)$")
_MAX_GRAM = 3
_COMPOUND_TABLES = ("place", "prop", "light", "season")
# Unnamed figures and their verbs: how far from the noun a verb still belongs to it (tokens).
_AFTER, _BEFORE = 4, 2
# Places the props suggest when the words name none ("a dog sleeps in the barn").
_PLACE_FROM_PROPS = {"barn": "field", "cow": "field", "horse": "field", "boat": "harbour", "ship": "sea",
                     "bed": "bedroom", "oven": "kitchen"}


@dataclass
class Settled:
    """What `settle` reads from a scene: its plan and the Scene fields the plan's words decide."""

    plan: ScenePlan
    interior: bool | None
    time_of_day: str
    weather: str


@dataclass
class _Hit:
    table: str
    value: object
    start: int
    end: int


@functools.lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """'Église' -> 'eglise', 'Straße' -> 'strasse': the form every table and text is compared in."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _forms(entry: str) -> list[str]:
    """'barco(s)' -> barco, barcos; 'barc(a|he)' -> barca, barche."""
    m = _BRACKET.match(entry)
    if not m:
        return [entry]
    stem, endings = m.group(1), m.group(2).split("|")
    return [stem, stem + endings[0]] if len(endings) == 1 else [stem + e for e in endings]


def _tables() -> Iterable[tuple[str, object, int, str]]:
    """(table, value, language index, entry) for every entry of every table."""
    simple = (("place", words.PLACE_WORDS), ("season", words.SEASON_WORDS), ("light", words.LIGHT_WORDS),
              ("prop", words.PROP_WORDS), ("people", words.PEOPLE_WORDS), ("number", words.NUMBER_WORDS),
              ("action", words.ACTION_WORDS))
    for table, rows in simple:
        for value, langs in rows.items():
            assert len(langs) == len(words.LANGS), (table, value)
            for lang, text in enumerate(langs):
                for entry in text.split():
                    yield table, value, lang, entry
    for w in WEATHER_WORDS["snow"]:
        yield "season", "winter", 0, w.replace(" ", "_")


@functools.lru_cache(maxsize=1)
def _index() -> tuple[dict[str, list[tuple[str, object, bool]]], frozenset[str], dict[str, tuple[str, object]]]:
    """(gram -> [(table, value, capitalised only)], first words of the longer grams, German compound tails)."""
    index: dict[str, list[tuple[str, object, bool]]] = {}
    starts: set[str] = set()
    tails: dict[str, tuple[str, object]] = {}
    german = words.LANGS.index("de")
    for table, value, lang, entry in _tables():
        caps = entry.startswith("^")
        for form in _forms(entry.lstrip("^")):
            toks = [fold(t) for t in _TOKEN.findall(form.replace("_", " "))]
            assert 0 < len(toks) <= _MAX_GRAM, form
            gram = " ".join(toks)
            found = index.setdefault(gram, [])
            if not any(t == table for t, _, _ in found):
                found.append((table, value, caps))
            if len(toks) > 1:
                starts.add(toks[0])
            elif lang == german and table in _COMPOUND_TABLES and len(gram) >= 4:
                tails.setdefault(gram, (table, value))
    return index, frozenset(starts), tails


def _tokens(text: str) -> tuple[list[str], list[str]]:
    raw = _TOKEN.findall(unicodedata.normalize("NFC", text))
    return raw, [fold(t) for t in raw]


def _scan(raw: list[str], toks: list[str]) -> list[_Hit]:
    """Every table's words in the text, in order: at each position the longest form of each table."""
    index, starts, tails = _index()
    hits: list[_Hit] = []
    covered: dict[str, int] = {}
    n = len(toks)
    for i, tok in enumerate(toks):
        if tok in _PUNCT:
            continue
        lengths = (3, 2, 1) if tok in starts else (1,)
        matched = False
        for size in lengths:
            if i + size > n:
                continue
            gram = tok if size == 1 else " ".join(toks[i:i + size])
            for table, value, caps in index.get(gram, ()):
                if covered.get(table, 0) > i or (caps and not raw[i][:1].isupper()):
                    continue
                hits.append(_Hit(table, value, i, i + size))
                covered[table] = i + size
                matched = True
        if not matched and 7 <= len(tok) <= 30 and raw[i][:1].isupper():
            for k in range(3, len(tok) - 3):  # "Fischerboote" -> "boote", the longest known tail
                tail = tails.get(tok[k:])
                if tail:
                    hits.append(_Hit(tail[0], tail[1], i, i + 1))
                    break
    return hits


def _place(hits: list[_Hit], interior: bool | None) -> str:
    counts: dict[str, int] = {}
    for h in hits:
        if h.table == "place":
            counts[str(h.value)] = counts.get(str(h.value), 0) + 1
    if interior is not None:
        fitting = {p: c for p, c in counts.items() if (p in INTERIOR_PLACES) == interior}
        counts = fitting or counts
    if not counts:
        return ""
    return min(counts, key=lambda p: (-counts[p], PLACES.index(p)))


def _listed(hits: list[_Hit], table: str, most: int) -> list[str]:
    out: list[str] = []
    for h in hits:
        if h.table == table and h.value not in out:
            out.append(str(h.value))
    return out[:most]


def _season(hits: list[_Hit]) -> str:
    counts: dict[str, int] = {}
    for h in hits:
        if h.table == "season":
            counts[str(h.value)] = counts.get(str(h.value), 0) + 1
    return max(counts, key=lambda s: counts[s]) if counts else ""  # ties: the first named


def _action_near(toks: list[str], actions: dict[int, str], start: int, end: int, after: int) -> str:
    """The verb a little after the subject ("children run"), else just before it ("corren los niños")."""
    for k in range(end, min(end + after, len(toks))):
        if toks[k] in _PUNCT:
            break
        if k in actions:
            return actions[k]
    for k in range(start - 1, max(start - 1 - _BEFORE, -1), -1):
        if toks[k] in _PUNCT:
            break
        if k in actions:
            return actions[k]
    return ""


def _count_before(toks: list[str], numbers: dict[int, int], start: int) -> int:
    for k in range(start - 1, max(start - 3, -1), -1):
        if toks[k] in _PUNCT:
            break
        if k in numbers:
            return numbers[k]
        if toks[k].isdigit() and len(toks[k]) <= 2:
            return int(toks[k])
    return 0


def _name_parts(name: str) -> list[str]:
    parts = [fold(w) for w in _TOKEN.findall(name) if len(w) > 2 and fold(w) not in ("mrs", "miss")]
    return parts or [fold(name)]


def figures_of(text: str, characters: Iterable[str] = (), speakers: Iterable[str] = ()) -> list[Figure]:
    """One figure per character (acting as the words near their name say, talking when they speak,
    else standing), then the people the text counts without a name ("two children", "a crowd")."""
    raw, toks = _tokens(text)
    hits = _scan(raw, toks)
    talking = {fold(s) for s in speakers}
    actions = {h.start: str(h.value) for h in hits if h.table == "action"}
    numbers = {h.start: int(h.value) for h in hits if h.table == "number"}  # type: ignore[call-overload]
    named: dict[str, str] = {}
    for name in dict.fromkeys([*characters, *speakers]):
        for part in _name_parts(name):
            named.setdefault(part, name)
    mentions: dict[str, int] = {}
    for i, tok in enumerate(toks):
        if tok in named:
            mentions.setdefault(named[tok], i)
    figures: list[Figure] = []
    for name in dict.fromkeys([*characters, *speakers]):
        at = mentions.get(name)
        action = _action_near(toks, actions, at, at + 1, _AFTER + 1) if at is not None else ""
        figures.append(Figure(name=name, action=action or ("talk" if fold(name) in talking else "stand")))
    people = [h for h in hits if h.table == "people"]
    counted: dict[tuple[str, str], tuple[int, str]] = {}
    for n, h in enumerate(people):
        age, kind = h.value  # type: ignore[misc]
        if kind == "group" and any(p.start - h.end <= 3 for p in people[n + 1:n + 2]):
            continue  # "a crowd of villagers": the villagers count
        if kind == "one" and any(at in range(h.start - 3, h.end + 2) for at in mentions.values()):
            continue  # "Henrik, a baker": Henrik himself
        count = 1 if kind == "one" else PLURAL_PEOPLE if kind == "group" else \
            _count_before(toks, numbers, h.start) or PLURAL_PEOPLE
        key = (age, " ".join(toks[h.start:h.end]))
        action = _action_near(toks, actions, h.start, h.end, _AFTER)
        before = counted.get(key, (0, ""))
        counted[key] = (max(count, before[0]), before[1] or action)
    for (age, _), (count, action) in counted.items():
        figures.extend(Figure(name="", age=age, action=action or "stand") for _ in range(count))
    return figures[:MAX_FIGURES]


def plan_of(text: str, *, heading: str = "", characters: Iterable[str] = (), interior: bool | None = None,
            speakers: Iterable[str] = (), spoken: str = "") -> ScenePlan:
    """The plan of a scene whose picture `text` describes (its action or prose), under `heading`;
    `spoken` (what is said) counts only where the heading and the text name nothing."""
    heads, body = _scan(*_tokens(heading)), _scan(*_tokens(text))
    said = _scan(*_tokens(spoken)) if spoken else []
    seen = heads + body or said
    place = _place(heads, interior) or _place(body, interior) or _place(said, interior)
    props = _listed(seen, "prop", MAX_PROPS)
    if not place:
        place = next((_PLACE_FROM_PROPS[p] for p in props if p in _PLACE_FROM_PROPS), "")
        if not place and interior:
            place = "room"
    return ScenePlan(
        place=place,
        season=_season(seen) or _season(said),
        lights=_listed(seen, "light", MAX_LIGHTS),
        props=props,
        figures=figures_of(f"{heading}. {text}", characters, speakers),
    )


def settle(text: str, *, heading: str = "", spoken: str = "", characters: Iterable[str] = (),
           speakers: Iterable[str] = (), interior: bool | None = None, time_of_day: str = "",
           weather: str = "") -> Settled:
    """The plan, and the Scene fields still empty filled from the heading, the text, then the speech:
    inside when the place is an interior (never under an INT./EXT. heading, which says both), the time
    and the weather the words name. Given fields are kept."""
    characters, speakers = list(characters), list(speakers)
    plan = plan_of(text, heading=heading, characters=characters, interior=interior, speakers=speakers, spoken=spoken)
    if interior is None and plan.place and not slug_match(heading.strip()):
        interior = plan.place in INTERIOR_PLACES
    seen = f"{heading}. {text}"
    time_of_day = time_of_day or words_time(seen) or words_time(spoken)
    if not time_of_day and ("moon" in plan.lights or "stars" in plan.lights):
        time_of_day = "night"
    weather = weather or words_weather(seen) or words_weather(spoken)
    if not plan.season and weather == "snow":
        plan.season = "winter"
    return Settled(plan=plan, interior=interior, time_of_day=time_of_day, weather=weather)
