"""What the painter draws, resolved once per frame: the scene's plan where it says something, and
today's guesses from the words (painter_words.py) where it is empty, so old projects still paint.

`Picture` is plain data: the drawing setting (one of the painter's `paint_<setting>`), the place as
the plan names it, inside or out, time of day, weather, season, lights, props and figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...domain import (FIGURE_ACTIONS, FIGURE_AGES, INTERIOR_PLACES, LIGHTS, PLACES, PROPS, SEASONS, WEATHERS,
                       Scene)
from .painter_words import guess_setting, guess_time_of_day, mentions

# The exterior places and the setting that draws each (its own variant where the place needs one).
EXTERIOR_SETTING = {"harbour": "sea", "beach": "sea", "sea": "sea", "village square": "city", "street": "city",
                    "city": "city", "forest": "forest", "mountain": "mountain", "desert": "desert",
                    "field": "field", "garden": "field", "space": "space"}
# An interior place seen from outside (EXT. BAKERY): the street in front of it; a lighthouse by the sea.
OUTSIDE_OF = {"lighthouse": "sea", "station": "city", "church": "city"}
assert set(EXTERIOR_SETTING) | set(INTERIOR_PLACES) == set(PLACES)
MAX_FIGURES = 6


@dataclass(frozen=True)
class Person:
    name: str  # "" for someone unnamed
    age: str  # one of FIGURE_AGES
    action: str  # one of FIGURE_ACTIONS
    index: int  # position in the scene's list (unnamed figures get their colour from it)


@dataclass(frozen=True)
class Picture:
    setting: str  # room | sea | city | forest | mountain | desert | field | space
    place: str  # the plan's place ("" when guessed from the words)
    interior: bool
    time: str
    weather: str  # one of WEATHERS ("clear" when not said)
    season: str  # one of SEASONS or ""
    lights: tuple[str, ...]
    props: tuple[str, ...]
    people: tuple[Person, ...]
    lighthouse: bool

    @property
    def overcast(self) -> bool:
        return self.weather in ("cloudy", "rain", "storm", "snow", "fog")


def resolve(scene: Scene) -> Picture:
    plan = scene.plan
    place = plan.place if plan.place in PLACES else ""
    if place in INTERIOR_PLACES and scene.interior is not False:
        setting, interior = "room", True
    elif place:
        setting = EXTERIOR_SETTING.get(place) or OUTSIDE_OF.get(place, "city")
        interior = False
    else:
        setting = guess_setting(scene)
        interior = setting == "room"
    lighthouse = (setting == "sea" and (place == "lighthouse" or (not place and mentions(scene, "lighthouse"))))
    weather = scene.weather if scene.weather in WEATHERS else "clear"
    if interior or setting == "space":
        weather = weather if interior else "clear"  # indoors the weather is seen through the windows only
    people = _people(scene)
    return Picture(setting=setting, place=place, interior=interior, time=guess_time_of_day(scene), weather=weather,
                   season=plan.season if plan.season in SEASONS else "",
                   lights=tuple(dict.fromkeys(x for x in plan.lights if x in LIGHTS)),
                   props=tuple(x for x in plan.props if x in PROPS)[:40], people=people, lighthouse=lighthouse)


def _people(scene: Scene) -> tuple[Person, ...]:
    if scene.plan.figures:
        return tuple(Person(f.name, f.age if f.age in FIGURE_AGES else "adult",
                            f.action if f.action in FIGURE_ACTIONS else "stand", i)
                     for i, f in enumerate(scene.plan.figures[:MAX_FIGURES]))
    return tuple(Person(name, "adult", "stand", i) for i, name in enumerate(scene.characters[:3]))


__all__ = ["EXTERIOR_SETTING", "MAX_FIGURES", "Person", "Picture", "resolve"]
