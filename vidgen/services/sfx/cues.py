"""A script's sound cue ("a rooster crows", "THUNDER ROLLS") matched to a built-in sound by its words.

The vocabulary is data: each sound's words with a weight (3 names the thing outright, 2 is the
thing or its sound, 1 is a hint that only counts with another), matched on whole words after
undoing plurals and verb endings, so "rains" and "raining" find rain and "brain" finds nothing.
A cue needs a score of at least 2. Words of sounds there is no built-in for ("a gunshot", "the
fire alarm", "music: ...") outvote the false friends they contain, so those cues match nothing
rather than something wrong; so does a word right after "no" or "without"."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .library import SOUNDS

NOTHING = ""  # the pseudo-sound of cues that name something not built in
MIN_SCORE = 2

VOCABULARY: dict[str, dict[str, int]] = {
    "rain": {"rain": 3, "rainfall": 3, "raindrop": 3, "rainstorm": 3, "drizzle": 3, "downpour": 3,
             "rainy": 2, "shower": 1, "patter": 2, "pitter": 1, "storm": 1, "monsoon": 3},
    "wind": {"wind": 2, "windy": 2, "breeze": 2, "gust": 2, "gusty": 2, "gale": 3, "blizzard": 3,
             "windstorm": 3, "howl": 1, "whoosh": 1, "whistling wind": 3},
    "waves": {"wave": 2, "surf": 3, "ocean": 2, "sea": 2, "seashore": 3, "seaside": 2, "shore": 2,
              "beach": 2, "tide": 2, "breaker": 2, "crash": 1, "lap": 1},
    "fire": {"fire": 2, "fireplace": 3, "campfire": 3, "bonfire": 3, "hearth": 3, "flame": 2,
             "crackle": 2, "blaze": 2, "ember": 2, "burn": 1, "log": 1},
    "crowd": {"crowd": 2, "murmur": 2, "chatter": 2, "babble": 2, "hubbub": 3, "walla": 3, "cheer": 2,
              "din": 2, "bustle": 2, "audience": 1, "voice": 1, "people": 1, "talk": 1, "party": 1,
              "restaurant": 1, "cafe": 1, "market": 1, "tavern": 1},
    "applause": {"applause": 3, "applaud": 3, "clap": 2, "ovation": 3},
    "room_tone": {"room tone": 3, "hum": 1, "fridge": 1, "refrigerator": 1, "hvac": 2,
                  "air conditioner": 2, "ventilation": 2, "ambience": 1},
    "clock": {"clock": 2, "tick": 2, "tock": 2},
    "heartbeat": {"heartbeat": 3, "heart": 2, "pulse": 1},
    "thunder": {"thunder": 3, "thunderclap": 3, "thunderbolt": 3, "thunderstorm": 3, "thunderous": 2,
                "lightning": 2, "storm": 2, "rumble": 1, "roll": 1, "crack": 1, "boom": 1},
    "bell": {"bell": 3, "doorbell": 3, "church bell": 4, "wind chime": 4, "chime": 2, "toll": 2,
             "peal": 2, "gong": 2, "carillon": 3, "church": 1, "ding": 1, "dong": 1, "clang": 1},
    "phone": {"phone": 3, "telephone": 3, "cellphone": 3, "smartphone": 3, "ringtone": 3, "ring": 1,
              "rang": 1},
    "footsteps": {"footstep": 3, "footfall": 3, "step": 2, "stomp": 2, "tread": 2, "trudge": 2,
                  "walk": 1, "heel": 1, "boot": 1, "shuffle": 1, "pace": 1},
    "knock": {"knock": 3, "door": 1, "bang": 1, "pound": 1, "rap": 1},
    "birds": {"bird": 3, "birdsong": 3, "chirp": 3, "tweet": 2, "twitter": 2, "warble": 3, "songbird": 3,
              "sparrow": 3, "robin": 3, "lark": 3, "gull": 3, "seagull": 3, "pigeon": 3, "cuckoo": 3,
              "blackbird": 3, "nightingale": 3, "parrot": 3, "dawn chorus": 4, "crow": 2, "caw": 2,
              "coo": 2, "squawk": 2},
    "rooster": {"rooster": 4, "cockerel": 4, "cock": 3, "doodle": 3, "crow": 1},
    NOTHING: {"music": 5, "fire alarm": 4, "fire engine": 4, "fire truck": 4, "smoke alarm": 4,
              "alarm": 3, "siren": 3, "gun": 4, "gunshot": 4, "pistol": 4, "rifle": 4, "shot": 3,
              "car": 1, "truck": 1, "engine": 2},
}
NEGATIONS = frozenset({"no", "not", "without", "never"})


@dataclass(frozen=True)
class Match:
    name: str  # a key of SOUNDS
    kind: str  # "bed" | "event"
    words: tuple[str, ...]  # the vocabulary terms the cue matched, in the cue's order
    score: int


def _forms(word: str) -> set[str]:
    """The word and what it may be inflected from: chimes -> chime, raining -> rain, stepped -> step."""
    out = {word}
    if word.endswith("ies") and len(word) > 4:
        out.add(word[:-3] + "y")
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        out |= {word[:-1], word[:-2]} if word.endswith("es") else {word[:-1]}
    for suffix in ("ing", "ed"):
        stem = word[:-len(suffix)]
        if word.endswith(suffix) and len(stem) >= 3:
            out |= {stem, stem + "e"}
            if stem[-1] == stem[-2]:
                out.add(stem[:-1])
    return out


@functools.cache
def _index() -> dict[str, list[tuple[tuple[str, ...], str, int]]]:
    """First word -> (all words, sound, weight) for every vocabulary term."""
    out: dict[str, list[tuple[tuple[str, ...], str, int]]] = {}
    for sound, terms in VOCABULARY.items():
        for term, weight in terms.items():
            words = tuple(term.split())
            out.setdefault(words[0], []).append((words, sound, weight))
    return out


def _scores(text: str) -> dict[str, tuple[int, int, list[str]]]:
    """Sound -> (score, position of its first word, its matched terms) for one cue."""
    if not isinstance(text, str):
        return {}
    tokens = re.findall(r"[a-z]+", text.lower())[:200]
    forms = [_forms(t) for t in tokens]
    index = _index()
    found: dict[str, tuple[int, int, list[str]]] = {}
    for i, fs in enumerate(forms):
        if NEGATIONS & set(tokens[max(0, i - 2):i]):
            continue
        for f in fs:
            for words, sound, weight in index.get(f, ()):
                if len(words) > 1 and not all(i + j < len(forms) and w in forms[i + j]
                                              for j, w in enumerate(words[1:], 1)):
                    continue
                term = " ".join(words)
                score, first, terms = found.get(sound, (0, i, []))
                if term not in terms:
                    found[sound] = (score + weight, min(first, i), terms + [term])
    return found


def match_all(text: str) -> list[Match]:
    """Every built-in sound the cue names, best first ("rain and thunder": rain, thunder)."""
    found = _scores(text)
    veto = found.pop(NOTHING, (0, 0, []))[0]
    ranked = sorted((v[0], -v[1], k) for k, v in found.items() if v[0] >= MIN_SCORE and v[0] > veto)
    return [Match(k, SOUNDS[k].kind, tuple(found[k][2]), s) for s, _, k in reversed(ranked)]


def match_cue(text: str) -> Match | None:
    """The built-in sound a script's sound cue names, or None when none fits."""
    matches = match_all(text)
    return matches[0] if matches else None
