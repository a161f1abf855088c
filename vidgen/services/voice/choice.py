"""Which voice speaks each line, in which language: the automatic choice for a language the
speaker's voice does not speak.

The rule (`plan_lines`): a line is in the film's language, or in its own when it clearly is
(language.line_language: 4+ words, a sure guess). When the speaker's voice does not speak that
language:

- a voice the user chose is kept (a character's own voice model, the narrator's model, or a
  project voice other than the default one): the user's choice wins, and a note says the mismatch;
- otherwise the line is spoken by a voice of that language at hand: a Piper voice of the user's
  (catalog.find_piper_voices) first, else eSpeak NG (built in, ~100 languages), keeping the
  speaker's pitch and pace offsets; a note says which and why;
- when none speaks it, the voice is kept and the note says how to add one.

The default voice (the one a new project gets: the built-in Piper voice, by either of its ids, or
the registry's active voice) is never taken as a choice, since a project holds it whether or not
the user picked it: to keep it for a script in another language, give it to the speaker as their
own voice (--character-voice NAME=piper:en_US-joe-medium, the narrator's voice in the Cast tab).
Lines whose voice and language are those of the cast stay as they were (their step keys too).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from ...domain import Character, Line, RenderSettings, Voice
from ...errors import VidgenError
from ...models.registry import PackagedRecords
from . import espeak
from .catalog import FoundVoice
from .engines import resolve
from .ids import BUILTIN_VOICE, PIPER_RECORD
from .language import MMS_CODES, line_language
from .prosody import strip_markup

AUTO, KEPT, NONE = "auto", "kept", "none"  # what was done about a voice that does not speak a line's language


@dataclass(frozen=True)
class Change:
    kind: str  # AUTO (another voice speaks it), KEPT (the user's choice), NONE (no voice speaks it)
    language: str  # the line's language
    film: bool  # whether it is the film's language (not one line's own)
    voice: str  # the speaker's voice
    speaks: tuple[str, ...]  # what that voice speaks
    by: str = ""  # the voice that speaks it instead (AUTO)


@dataclass(frozen=True)
class Spoken:
    """How one line is spoken: its voice and language, and what the choice changed (None: nothing)."""
    voice: Voice
    language: str
    speaker: str | None = None
    change: Change | None = None


def chosen_speakers(settings: RenderSettings, characters: list[Character], default: str) -> dict[str | None, bool]:
    """Whose voice the user chose (key None: the narrator), by the rule in the module docstring."""
    project = settings.voice not in {default, BUILTIN_VOICE, PIPER_RECORD}
    out: dict[str | None, bool] = {None: project or bool(settings.narrator.model)}
    for c in characters:
        out[c.name] = project or bool(c.voice is not None and c.voice.model)
    return out


def language_voice(language: str, local: Iterable[FoundVoice]) -> str:
    """The voice at hand for `language`: a local Piper voice of it first, else eSpeak NG; "" for none."""
    for v in local:
        if not v.problem and v.language == language:
            return v.id
    return espeak.VOICE_ID if language in espeak.spoken_languages() else ""


def plan_lines(lines: list[Line], voices: dict[str | None, Voice], chosen: dict[str | None, bool], film: str,
               registry: PackagedRecords | None = None, local: Iterable[FoundVoice] = ()) -> list[Spoken]:
    """Each line's voice and language (see the module docstring); `voices` is the cast."""
    local, speaks = list(local), {}

    def languages(model: str) -> tuple[str, ...]:
        if model not in speaks:
            try:
                speaks[model] = resolve(model, registry).languages
            except VidgenError:  # check_voices reports a bad voice
                speaks[model] = ()
        return speaks[model]

    out = []
    for line in lines:
        name, voice = _lookup(voices, line.speaker)
        language = line_language(strip_markup(line.text), film) if film else film
        spoken = languages(voice.model)
        if not language or not spoken or language in spoken:
            out.append(Spoken(voice, language, name))
            continue
        base = Change(KEPT, language, language == film, voice.model, spoken)
        if _lookup(chosen, line.speaker)[1]:
            out.append(Spoken(voice, language, name, base))
            continue
        other = language_voice(language, local)
        if other:
            out.append(Spoken(replace(voice, model=other, speaker=0, sample=""), language, name,
                              replace(base, kind=AUTO, by=other)))
        else:
            out.append(Spoken(voice, language, name, replace(base, kind=NONE)))
    return out


def _lookup(table: dict, speaker: str | None) -> tuple[str | None, object]:
    """(the cast's key, its value) for `speaker`, case-insensitive; the narrator's for an unknown one."""
    if speaker is not None:
        for name, value in table.items():
            if name is not None and name.casefold() == speaker.casefold():
                return name, value
    return None, table[None]


def notes(plans: Iterable[Spoken]) -> list[str]:
    """One note per change (its speakers together), in order: what is spoken by whom, and why."""
    groups: dict[Change, list[str]] = {}
    for sp in plans:
        if sp.change is not None:
            who = "the narrator" if sp.speaker is None else sp.speaker
            names = groups.setdefault(sp.change, [])
            if who not in names:
                names.append(who)
    return [_note(change, names) for change, names in groups.items()]


def _note(c: Change, names: list[str]) -> str:
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    what = (f"The script reads as '{c.language}'" if c.film
            else f"Lines of {who} read as '{c.language}' (not the film's language)")
    head = f"{what}; {'the voice' if c.film else 'their voice'} {c.voice} of {who} speaks {', '.join(c.speaks)}"
    if c.kind == KEPT:
        return f"{head}: kept, as you chose it (leave the voice unset to have a voice of '{c.language}' chosen)."
    hint = _better(c.language)
    if c.kind == AUTO:
        by = espeak.NAME if c.by == espeak.VOICE_ID else f"the Piper voice {c.by}"
        tail = f" For a natural voice, {hint}." if c.by == espeak.VOICE_ID else ""
        return (f"{head}: spoken by {by} in '{c.language}' instead (to keep {c.voice}, give it to the speaker as "
                f"their own voice: the Cast tab, or --character-voice NAME={c.voice}).{tail}")
    return f"{head}, and no voice at hand speaks '{c.language}': it reads the words as it can; {hint}."


def _better(language: str) -> str:
    code = MMS_CODES.get(language, "<iso639-3 code>")
    return (f"put a Piper voice of '{language}' (.onnx + .onnx.json) in the voices folder (`python -m vidgen "
            f"voices`) or add mms-tts-{code} (`python -m vidgen models add facebook/mms-tts-{code} --kind voice`)")


__all__ = ["AUTO", "KEPT", "NONE", "Change", "Spoken", "chosen_speakers", "language_voice", "plan_lines", "notes"]
