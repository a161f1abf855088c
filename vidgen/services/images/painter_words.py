"""What the storyboard painter reads from a scene's words: its setting and time of day (and a few
features, like Mars or a lighthouse), scored from the location, heading and visual text."""

from __future__ import annotations

import hashlib
import re

from ...domain import TIMES_OF_DAY, Scene

# A red world rather than open space (surface words carry it when the scene never says "Mars").
MARS_WORDS = ("mars", "martian", "red planet", "crater", "lander", "rover", "red dust", "rusty ground", "red air")

# Setting keywords, in priority order for ties.
SETTING_WORDS: dict[str, tuple[str, ...]] = {
    "space": ("space", "spaceship", "starship", "space station", "orbit", "galaxy", "planet", "mars",
              "martian", "red planet", "asteroid", "nebula", "cosmos", "astronaut", "zero gravity",
              *("crater", "lander", "rover", "red dust", "rusty ground", "red air")),
    "room": ("room", "kitchen", "office", "cafe", "café", "coffee shop", "shop", "store", "house",
             "apartment", "bedroom", "living room", "bar", "pub", "restaurant", "library",
             "classroom", "hall", "studio", "lab", "laboratory", "hospital", "interior", "indoors",
             "inside", "diner", "hotel", "attic", "basement", "corridor", "hallway", "cockpit",
             "bathroom", "cell", "home", "flat"),
    "sea": ("sea", "ocean", "beach", "harbor", "harbour", "lighthouse", "coast", "shore", "bay",
            "pier", "dock", "port", "island", "waves", "boat", "ship", "sail", "seaside", "cove"),
    "city": ("city", "street", "town", "downtown", "skyline", "rooftop", "alley", "avenue",
             "metropolis", "buildings", "skyscraper", "skyscrapers", "traffic", "neon", "square",
             "market", "crosswalk", "boulevard", "sidewalk"),
    "forest": ("forest", "woods", "wood", "pine", "pines", "trees", "jungle", "grove", "woodland",
               "clearing", "cabin", "rainforest"),
    "mountain": ("mountain", "mountains", "peak", "peaks", "summit", "cliff", "cliffs", "ridge",
                 "valley", "alps", "glacier", "snow", "pass"),
    "desert": ("desert", "dune", "dunes", "sand", "sahara", "oasis", "wasteland", "canyon", "mesa"),
    "field": ("field", "fields", "meadow", "hills", "hill", "farm", "countryside", "prairie",
              "garden", "park", "grass", "village"),
}
TIME_WORDS = {
    "night": ("night", "midnight", "moon", "moonlight", "moonlit", "stars", "starlit", "starry",
              "dark", "darkness", "nighttime"),
    "dawn": ("dawn", "sunrise", "daybreak", "morning", "first light", "early morning"),
    "dusk": ("dusk", "sunset", "evening", "twilight", "golden hour", "nightfall"),
    "day": ("day", "noon", "midday", "afternoon", "sunny", "daylight", "daytime", "continuous"),
}

def stable_int(*parts: object) -> int:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


def _has(text: str, word: str) -> bool:
    return re.search(r"(?<![\w])" + re.escape(word) + r"(?![\w])", text) is not None


def _score(words: dict[str, tuple[str, ...]], weighted: list[tuple[str, float]]) -> dict[str, float]:
    scores = {k: 0.0 for k in words}
    for text, weight in weighted:
        if not text:
            continue
        for key, kws in words.items():
            scores[key] += weight * sum(1 for kw in kws if _has(text, kw))
    return scores


def _texts(scene: Scene) -> list[tuple[str, float]]:
    # Not scene.text: it holds the dialogue, and editing a line should not repaint the picture.
    return [(scene.location.lower(), 3.0), (scene.heading.lower(), 3.0), (scene.visual.lower(), 1.0)]


def guess_time_of_day(scene: Scene) -> str:
    if scene.time_of_day in TIMES_OF_DAY:
        return scene.time_of_day
    scores = _score(TIME_WORDS, _texts(scene))
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] > 0 else "day"


def guess_setting(scene: Scene) -> str:
    """One of SETTING_WORDS' keys, from the scene's location, heading and visual words."""
    scores = _score(SETTING_WORDS, _texts(scene))
    if scene.interior is True:
        scores["room"] += 4.0
    elif scene.interior is False:
        scores["room"] = 0.0
    best = max(scores, key=lambda k: scores[k])  # ties keep dict (priority) order
    return best if scores[best] > 0 else "field"


def mentions(scene: Scene, *words: str) -> bool:
    text = " ".join(t for t, _ in _texts(scene))
    return any(_has(text, w) for w in words)



__all__ = ["MARS_WORDS", "SETTING_WORDS", "TIME_WORDS", "guess_setting", "guess_time_of_day", "mentions", "stable_int"]
