"""What the LLM is asked to return, as pydantic models: their JSON schema is sent as Ollama's
`format=` (the server constrains the generation to it) and the same models validate the answer.

The enums are vidgen.domain's (MOODS, MOTIONS, TIMES_OF_DAY, WEATHERS, SHOTS), so an answer that
validates fits a Scene as is. Every field is required (no defaults): a constrained generation then
always writes every field, and an answer that skips one is a schema violation, not a silent default.
pydantic is imported on first use, not when vidgen is.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from ....domain import (FIGURE_ACTIONS, FIGURE_AGES, LIGHTS, MOODS, MOTIONS, PLACES, PROPS, SEASONS, SHOTS,
                       TIMES_OF_DAY, WEATHERS)


class AnswerError(Exception):
    """The answer is not what the schema asks for; the message says how, in a few words."""


@functools.cache
def reader_model() -> Any:
    """The pydantic model of one chunk's annotations (`ChunkNotes`)."""
    from typing import Literal, Optional

    from pydantic import BaseModel, ConfigDict, Field

    class Strict(BaseModel):
        model_config = ConfigDict(extra="forbid")

    class SpokenLine(Strict):
        speaker: Optional[str] = Field(description="who speaks, as the script names them; null for narration")
        text: str = Field(description="the spoken words copied exactly from the script, never reworded")
        delivery: str = Field(description="how it is said, e.g. whispered, angry, laughing; empty when plain")

    class Figure(Strict):
        name: str = Field(description="the character's name, empty for someone unnamed")
        age: Literal[FIGURE_AGES]
        action: Literal[FIGURE_ACTIONS]

    class SceneNotes(Strict):
        heading: str = Field(description="a short scene title")
        location: str = Field(description="where it happens, e.g. 'a bakery in a fishing village'")
        interior: Optional[bool] = Field(description="true inside, false outside, null when not said")
        time_of_day: Literal[TIMES_OF_DAY + ("",)] = Field(description="empty when not said or implied")
        weather: Literal[WEATHERS + ("",)] = Field(description="empty when not said or implied")
        visual: str = Field(description="the picture as an image prompt: subject, setting, light, style; "
                                        "no dialogue, no character names without their look")
        shot: Literal[SHOTS] = Field(description="the framing that suits the scene")
        camera: Literal[MOTIONS] = Field(description="one slow camera move over the picture")
        mood: Literal[MOODS]
        characters: list[str] = Field(description="names of the characters present, speaking or not")
        sounds: list[str] = Field(description="sound cues the script names, e.g. 'thunder rolls'")
        lines: list[SpokenLine] = Field(description="every spoken line of the scene, in order")
        # What the picture shows (ScenePlan); optional, so a model that leaves them out is still read
        place: Literal[PLACES + ("",)] = Field("", description="the kind of place; empty when none fits")
        season: Literal[SEASONS + ("",)] = Field("", description="empty when not said or implied")
        lights: list[Literal[LIGHTS]] = Field(default_factory=list, description="light sources in the picture")
        props: list[Literal[PROPS]] = Field(default_factory=list, description="objects and animals seen")
        figures: list[Figure] = Field(default_factory=list, description="the people seen, characters by name")

    class CharacterNotes(Strict):
        name: str
        appearance: str = Field(description="face, build, hair: what a painter needs, reused in every scene")
        age: str = Field(description="as the script says or implies, e.g. 'about sixty'; empty when unknown")
        clothing: str

    class ChunkNotes(Strict):
        characters: list[CharacterNotes]
        scenes: list[SceneNotes]

    return ChunkNotes


@functools.cache
def writer_model() -> Any:
    """The pydantic model of a script written from a topic (`WrittenScript`)."""
    from typing import Optional

    from pydantic import BaseModel, ConfigDict, Field

    class Strict(BaseModel):
        model_config = ConfigDict(extra="forbid")

    class WrittenLine(Strict):
        speaker: Optional[str] = Field(description="the character's name, null for the narrator")
        text: str = Field(description="what is said, one or a few sentences")

    class WrittenScene(Strict):
        heading: str = Field(description="a short scene title")
        visual: str = Field(description="what the picture shows, as an image prompt")
        lines: list[WrittenLine]

    class WrittenScript(Strict):
        title: str
        scenes: list[WrittenScene]

    return WrittenScript


@functools.cache
def _schema_text(which: str) -> str:
    model = reader_model() if which == "reader" else writer_model()
    return json.dumps(model.model_json_schema())  # property order kept: the generation follows it


def reader_schema() -> dict[str, Any]:
    """The JSON schema sent as `format=` by the reader (a fresh copy each call)."""
    return json.loads(_schema_text("reader"))


def writer_schema() -> dict[str, Any]:
    return json.loads(_schema_text("writer"))


def parse_answer(content: str, model: Any) -> Any:
    """The answer validated against `model`; AnswerError saying what is wrong otherwise."""
    from pydantic import ValidationError

    try:
        data = json.loads(content)
    except ValueError as exc:
        raise AnswerError(f"the answer is not valid JSON ({exc.msg}, character {getattr(exc, 'pos', '?')})") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ())) or "the answer"
        more = f" and {exc.error_count() - 1} more" if exc.error_count() > 1 else ""
        raise AnswerError(f"the answer does not match the schema ({where}: {err.get('msg', 'invalid')}{more})") from None
