"""The LLM script reader: the rules' scenes annotated by a local model through Ollama.

The rules (`parse_script`) split the script first; the LLM then reads their scenes in chunks
(`chunks.plan_chunks`) and answers, in the JSON schema of `schema.reader_model`, what a picture
and a voice need: setting, time, weather, shot, camera, mood, sound cues, the characters' looks
and each line's speaker and delivery. It never decides what is said: `chunks.spoken_lines` keeps
a chunk only when its lines hold exactly the rules' spoken words, and the words kept are the
script's. Any other answer (invalid JSON, a schema violation, a changed, dropped or added line,
a timeout, a server error) puts that chunk back to the rules' reading, with one note saying so.

No server or no model fails the whole read at once (a VidgenError naming what to run): reading
chunk after chunk against nothing would only repeat the same note.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable

from ....domain import Character, Figure, ParsedScript, Scene, ScenePlan
from ....errors import VidgenError
from ....text import count
from .chunks import Chunk, Mismatch, plan_chunks, same_name, spoken_lines
from ....models.registry import packaged
from ....models.ollama_server import (PROBE_SECONDS, Answer, ChatFailed, ChatTimeout, ModelMissing, ServerDown,
                                      chat, check_model, check_tag, full_tag)
from .schema import AnswerError, parse_answer, reader_model, reader_schema

SEED = 1234  # with temperature 0, the same script and model give the same reading
MAX_CTX = 32768
_NARRATOR = {"", "narrator", "narration", "voice over", "voice-over", "voiceover", "vo", "v.o.", "voice",
             "none", "null", "n/a"}
_GENERIC_HEADING = re.compile(r"^(?:scene \d+|opening)$", re.I)

SYSTEM = (
    "You annotate scripts for a video studio. You never rewrite, translate, shorten, merge or invent "
    "what is said: the text of every spoken line is copied exactly from the script, word for word, in "
    "the script's order. Narration (a narrator, a voice-over, prose read aloud) is a spoken line whose "
    "speaker is null. Scene headings, stage directions, action and camera notes are not spoken lines. "
    "Describe each character once, the same way every time they appear. Answer with JSON only."
)

Progress = Callable[[float, str], None]


def read_with_llm(text: str, model: str, rules: ParsedScript, *, host: str | None = None, timeout: float = 120.0,
                  chunk_chars: int = 6000, progress: Progress | None = None, cancel: Callable[[], None] | None = None,
                  stats: list[Answer] | None = None) -> ParsedScript:
    """`rules` (parse_script(text)) annotated by the Ollama model `model` (a tag, e.g. "llama3.1:8b").

    Returns a ParsedScript with parser=model whose notes say which scenes the rules read instead
    and why. Raises VidgenError only: at once when no server answers or it lacks the model, and
    Cancelled from `cancel()`, which is called before each chunk. `stats`, when given, receives
    each answer's counts (tokens, seconds) for benchmarks."""
    model = check_tag(model)
    if not rules.scenes:
        raise VidgenError("The rules found no scene to annotate: parse the script with parse_script first.")
    if timeout <= 0:
        raise VidgenError(f"timeout must be more than 0 seconds, not {timeout}.")
    chunk_chars = max(int(chunk_chars), 1)  # 1: a scene a chunk
    report = progress or (lambda fraction, message: None)
    report(0.0, f"Asking the Ollama server for {model}")
    check_model(model, host, timeout=min(timeout, PROBE_SECONDS), model_id=_record_id(model))
    cast = _Cast(rules.characters)
    chunks = plan_chunks(rules.scenes, chunk_chars)
    scenes: list[Scene] = []
    notes = list(rules.notes)
    timeouts = 0
    for k, ch in enumerate(chunks):
        if cancel is not None:
            cancel()
        report(k / len(chunks), f"Reading {ch.label.lower()} of {len(rules.scenes)} with {model}")
        if timeouts >= 2:  # the model is too slow for this machine: the rest by the rules, said once
            scenes.extend(ch.scenes)
            continue
        try:
            answer = chat(model, _messages(ch, cast), schema=reader_schema(), options=_options(ch, cast),
                          host=host, timeout=timeout)
            if stats is not None:
                stats.append(answer)
            read = _apply(ch, parse_answer(answer.content, reader_model()), cast)
            timeouts = 0
        except (ServerDown, ModelMissing) as exc:
            rest = [s for c in chunks[k:] for s in c.scenes]
            notes.append(f"{_label(rest)}: {exc} Read by the rules instead.")
            scenes.extend(rest)
            break
        except ChatTimeout:
            timeouts += 1
            more = " (and the scenes after it)" if timeouts == 2 and k + 1 < len(chunks) else ""
            notes.append(f"{ch.label}{more}: {model} did not answer within {timeout:g} s; read by the rules instead.")
            scenes.extend(ch.scenes)
            continue
        except ChatFailed as exc:
            notes.append(f"{ch.label}: {exc} Read by the rules instead.")
            scenes.extend(ch.scenes)
            continue
        except AnswerError as exc:
            notes.append(f"{ch.label}: {exc}; read by the rules instead.")
            scenes.extend(ch.scenes)
            continue
        except Mismatch as exc:
            notes.append(f"{ch.label}: {_mismatch(exc)}; read by the rules instead.")
            scenes.extend(ch.scenes)
            continue
        scenes.extend(read)
    report(1.0, f"Read {count(len(rules.scenes), 'scene')} with {model}")
    return ParsedScript(title=rules.title, form=rules.form, scenes=scenes, characters=cast.final(scenes),
                        notes=notes, parser=model)


def _record_id(tag: str) -> str:
    """The registry id of the packaged record for `tag` ("" when none), for `models download ID`."""
    want = full_tag(tag).casefold()
    return next((s.id for s in packaged().list("llm") if s.source == "ollama" and full_tag(s.repo).casefold() == want), "")


def _label(scenes: list[Scene]) -> str:
    return Chunk(scenes).label


def _mismatch(exc: Mismatch) -> str:
    quote = exc.detail if len(exc.detail) <= 60 else exc.detail[:57].rstrip() + "…"
    return {
        "changed": f"the LLM changed or invented spoken words (“{quote}” is not in the script)",
        "dropped": f"the LLM dropped spoken words (“{quote}”)",
        "added": f"the LLM spoke words the script does not (“{quote}”)",
        "scenes": f"the LLM returned {quote}",
    }.get(exc.kind, f"the LLM's lines differ from the script ({quote})")


# ----------------------------------------------------------------------------- the request

def _messages(ch: Chunk, cast: "_Cast") -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": _prompt(ch, cast)}]


def _prompt(ch: Chunk, cast: "_Cast") -> str:
    n = len(ch.scenes)
    parts = [
        f"Annotate the {n} scene{'s' if n > 1 else ''} between the === markers below and return exactly {n} "
        "scene object(s), in order. For each: a short heading; the location; interior (true, false or null); "
        "time_of_day and weather (empty when the script does not say or imply them); visual, the picture as an "
        "image prompt (subject, setting, light; the characters by their look); shot and camera; mood; the "
        "characters present; the sound cues; and lines, every spoken line listed under the scene, with its "
        "speaker (null for narration), its text copied exactly, and its delivery (whispered, angry, ...; empty "
        "when plain). Also return every character of these scenes with appearance, age and clothing as the "
        "script says or implies them.",
    ]
    known = cast.known()
    if known:
        parts.append("Characters described earlier (keep these descriptions):\n" + "\n".join(known))
    if ch.context is not None:
        parts.append("The scene before, for context only (do not return it):\n<<<\n" + ch.context.text.strip()
                     + "\n>>>")
    for sc in ch.scenes:
        block = [f"=== SCENE {sc.number} ===", sc.text.strip()]
        block.append(f"--- the spoken lines of scene {sc.number}: keep every one, same words, same order ---")
        block += [f"{i}. {ln.speaker or '(narration)'}: {ln.text}" for i, ln in enumerate(sc.lines, 1)] or ["(none)"]
        parts.append("\n".join(block))
    return "\n\n".join(parts)


def _options(ch: Chunk, cast: "_Cast") -> dict[str, Any]:
    """temperature 0 and a fixed seed (a reading is repeatable); a context that holds the prompt
    and the answer, estimated at 3 bytes a token (fewer characters a token for non-Latin text)."""
    prompt = len((SYSTEM + _prompt(ch, cast)).encode("utf-8")) // 3
    spoken = sum(len(ln.text.encode("utf-8")) for sc in ch.scenes for ln in sc.lines)
    answer = (spoken + 700 * len(ch.scenes) + 400) // 3
    predict = 2 * answer + 512
    ctx = 4096
    while ctx < prompt + predict and ctx < MAX_CTX:
        ctx *= 2
    return {"temperature": 0, "seed": SEED, "num_ctx": ctx, "num_predict": max(512, min(predict, ctx - prompt))}


# ----------------------------------------------------------------------------- the answer

def _apply(ch: Chunk, answer: Any, cast: "_Cast") -> list[Scene]:
    """The chunk's scenes annotated by `answer`; Mismatch when its lines are not the script's.
    The cast learns the chunk's characters only when the whole chunk is kept."""
    if len(answer.scenes) != len(ch.scenes):
        raise Mismatch("scenes", f"{len(answer.scenes)} scenes for {len(ch.scenes)}")
    pending = _Cast.pending(answer.characters)
    display = lambda name: cast.display(name, pending)  # noqa: E731
    out = []
    for sc, notes in zip(ch.scenes, answer.scenes):
        lines = spoken_lines(sc, notes, display)
        names: list[str] = []
        for name in [ln.speaker for ln in lines] + [display(n) for n in notes.characters]:
            if name and name not in names:
                names.append(name)
        generic = _GENERIC_HEADING.match(sc.heading) and notes.heading.strip()  # "Scene 3": the LLM's title
        out.append(dataclasses.replace(
            sc, lines=lines, characters=names,
            heading=_short(notes.heading, 120) if generic else sc.heading,
            location=_short(notes.location, 120) or sc.location,
            interior=notes.interior if notes.interior is not None else sc.interior,
            time_of_day=notes.time_of_day or sc.time_of_day,
            weather=notes.weather or sc.weather,
            shot=notes.shot or sc.shot,
            visual=_short(notes.visual, 600) or sc.visual,
            mood=notes.mood,
            camera=list(sc.camera) or [notes.camera],  # a move the script names wins
            sounds=_merge_sounds(sc.sounds, notes.sounds),
            plan=_plan(sc.plan, notes, display),
        ))
    for mentioned in pending.values():  # a character named only in the action: the scenes that name them
        display_name = cast.display(mentioned["name"], pending)
        if display_name and not any(display_name in s.characters for s in out):
            for s in out:
                if mentioned["name"].casefold() in s.text.casefold():
                    s.characters.append(display_name)
    cast.learn(pending)
    return out


def _plan(rules: ScenePlan, notes: Any, display: Callable[[str], str]) -> ScenePlan:
    """The rules' plan with what the model saw: its place, season and figures when it gives them,
    lights and props added to the rules' (the rules only find words the script has)."""
    figures = [Figure(name=display(f.name) if f.name.strip() else "", age=f.age, action=f.action)
               for f in notes.figures[:12]]
    return ScenePlan(place=notes.place or rules.place, season=notes.season or rules.season,
                     lights=list(dict.fromkeys([*rules.lights, *notes.lights])),
                     props=list(dict.fromkeys([*rules.props, *notes.props])), figures=figures or list(rules.figures))


def _short(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _merge_sounds(theirs: list[str], more: list[str]) -> list[str]:
    out = list(theirs)
    seen = {s.casefold() for s in out}
    for s in more:
        s = _short(s, 80)
        if s and s.casefold() not in seen and len(out) < 12:
            out.append(s)
            seen.add(s.casefold())
    return out


class _Cast:
    """The characters across chunks: one per name (case and spacing aside), the richest description kept."""

    def __init__(self, rules: list[Character]):
        self.people: dict[str, Character] = {same_name(c.name): dataclasses.replace(c, scenes=[]) for c in rules}

    @staticmethod
    def pending(characters: list[Any]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for c in characters:
            key = same_name(c.name)
            if key in _NARRATOR:
                continue
            row = out.setdefault(key, {"name": " ".join(c.name.split()), "appearance": "", "age": "", "clothing": ""})
            for field in ("appearance", "age", "clothing"):
                value = _short(getattr(c, field), 300)
                if len(value) > len(row[field]):
                    row[field] = value
        return out

    def display(self, name: str | None, pending: dict[str, dict[str, str]]) -> str | None:
        key = same_name(name or "")
        if key in _NARRATOR:
            return None
        if key in self.people:
            return self.people[key].name
        raw = pending.get(key, {}).get("name") or re.sub(r"\s*\([^()]*\)\s*$", "", " ".join((name or "").split()))
        return raw.title() if raw == raw.upper() else raw

    def learn(self, pending: dict[str, dict[str, str]]) -> None:
        for key, row in pending.items():
            person = self.people.setdefault(key, Character(name=self.display(row["name"], pending) or row["name"]))
            for field, value in (("description", row["appearance"]), ("age", row["age"]), ("clothing", row["clothing"])):
                if len(value) > len(getattr(person, field)):
                    setattr(person, field, value)

    def known(self) -> list[str]:
        return [f"- {c.name}: " + "; ".join(x for x in (c.description, c.age, c.clothing) if x)
                for c in self.people.values() if c.description or c.clothing]

    def final(self, scenes: list[Scene]) -> list[Character]:
        """Everyone in at least one scene, in order of first appearance, with the scenes they are in."""
        out: dict[str, Character] = {}
        for sc in scenes:
            for name in sc.characters:
                key = same_name(name)
                person = out.get(key)
                if person is None:
                    person = out[key] = dataclasses.replace(self.people.get(key) or Character(name=name), scenes=[])
                if sc.number not in person.scenes:
                    person.scenes.append(sc.number)
        return list(out.values())
