"""A script from a topic: the LLM writes scenes as JSON (`schema.writer_model`), vidgen writes the text.

The text is in the storyboard form the rule parser reads (`Scene N: heading`, `Visual: ...`,
`Narrator: ...` and `NAME: ...` lines), and `write_script` checks that `parse_script` reads it
back with the same scenes, speakers and words before returning it: the user gets an editable
script that renders as written. The model only chooses words; everything that is markup for the
parser (line starts, brackets, emphasis) is vidgen's, so no answer can smuggle a direction in.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from ....domain import MAX_FILM_MINUTES
from ....errors import VidgenError
from .. import parse_script
from ....models.ollama_server import INSTALL_HINT, ChatTimeout, ServerDown, chat, check_tag, host_of
from .schema import AnswerError, parse_answer, writer_model, writer_schema

FORMS = ("narrated", "dialogue", "storyboard")
WORDS_PER_MINUTE = 150
SEED = 1234
TEMPERATURE = 0.7  # writing wants some variety; the seed keeps one topic's script repeatable
MAX_TOPIC_CHARS = 2000
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")
_LANGUAGES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
              "nl": "Dutch", "pl": "Polish", "ru": "Russian", "uk": "Ukrainian", "tr": "Turkish", "ar": "Arabic",
              "hi": "Hindi", "ja": "Japanese", "ko": "Korean", "zh": "Chinese", "sv": "Swedish", "da": "Danish",
              "fi": "Finnish", "no": "Norwegian", "cs": "Czech", "el": "Greek", "he": "Hebrew", "id": "Indonesian",
              "vi": "Vietnamese", "th": "Thai"}
_NARRATOR = {"narrator", "narration", "voice over", "voice-over", "voiceover", "vo", "v.o", "voice", "none", "null"}
_FORM_BRIEF = {
    "narrated": ("a narrated video: a narrator speaks over the pictures; every line's speaker is null",
                 15.0),
    "dialogue": ("a dialogue scene between two to four named characters, each line one character's turn; "
                 "a narrator line (speaker null) only where it helps", 40.0),
    "storyboard": ("a storyboard: short shots, each scene one picture with a detailed visual and one or two "
                   "narrated sentences (speaker null)", 8.0),
}

Progress = Callable[[float, str], None]


def write_script(topic: str, *, model: str, minutes: float = 1.0, tone: str = "", language: str = "en",
                 form: str = "narrated", host: str | None = None, timeout: float = 300.0,
                 progress: Progress | None = None) -> str:
    """A script about `topic`, about `minutes` long when spoken, in `form` (narrated | dialogue |
    storyboard), as text `parse_script` reads back exactly. Raises VidgenError only (no server: what
    to install; a model that does not answer in time or writes nothing usable: what to try)."""
    model = check_tag(model)
    topic = " ".join((topic or "").split())
    tone = " ".join((tone or "").split())[:200]
    language = (language or "en").strip()
    if not topic:
        raise VidgenError("The topic is empty: say in a few words what the video is about.")
    if len(topic) > MAX_TOPIC_CHARS:
        raise VidgenError(f"The topic is {len(topic)} characters; the limit is {MAX_TOPIC_CHARS}: summarise it.")
    if form not in FORMS:
        raise VidgenError(f"Unknown form '{form}': use one of {', '.join(FORMS)}.")
    if not 0.1 <= float(minutes) <= MAX_FILM_MINUTES:
        raise VidgenError(f"minutes must be between 0.1 and {MAX_FILM_MINUTES}, not {minutes}.")
    if not _LANGUAGE.match(language):
        raise VidgenError(f"'{language}' is not a language code: use one like en, de or pt-BR.")
    if timeout <= 0:
        raise VidgenError(f"timeout must be more than 0 seconds, not {timeout}.")
    report = progress or (lambda fraction, message: None)
    words = max(20, round(float(minutes) * WORDS_PER_MINUTE))
    brief, seconds_per_scene = _FORM_BRIEF[form]
    scenes = max(1, round(float(minutes) * 60 / seconds_per_scene))
    expected = words * 6 + scenes * 300  # characters of JSON, for the progress fraction
    report(0.0, f"Writing a {form} script with {model}")

    def grew(chars: int) -> None:
        report(min(0.95, chars / expected), f"Writing with {model}: {chars} characters so far")

    prompt = _prompt(topic, words, scenes, brief, tone, language)
    predict = 2 * (expected // 3) + 1024
    ctx = 4096
    while ctx < predict + 1024 and ctx < 32768:
        ctx *= 2
    try:
        answer = chat(model, [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
                      schema=writer_schema(), host=host, timeout=timeout, on_text=grew,
                      options={"temperature": TEMPERATURE, "seed": SEED, "num_ctx": ctx, "num_predict": predict})
        script = parse_answer(answer.content, writer_model())
    except ServerDown:
        raise VidgenError(f"Writing a script needs a local LLM and no Ollama server answers at {host_of(host)}: "
                          f"{INSTALL_HINT[0].upper() + INSTALL_HINT[1:]}.") from None
    except ChatTimeout:
        raise VidgenError(f"{model} did not finish the script within {timeout:g} s: ask for fewer minutes, raise "
                          "the timeout or use a smaller model.") from None
    except AnswerError as exc:
        raise VidgenError(f"{model} did not write a usable script ({exc}): try again or pick another model.") from None
    text = render(script)
    problem = read_back_problem(text)
    if problem:
        raise VidgenError(f"The script {model} wrote does not read back as written ({problem}): try again.")
    reading = expected_reading(text)
    said = sum(len(words.split()) for _, lines in reading for _, words in lines)
    report(1.0, f"Wrote {said} words in {len(reading)} scene{'s' if len(reading) > 1 else ''}")
    return text


SYSTEM = ("You write scripts for short videos. You answer with JSON only, following the schema: a title and "
          "scenes, each with a heading, a visual (what the picture shows, written as an image prompt) and the "
          "spoken lines. Spoken lines hold only words to be said aloud: no stage directions, no brackets, no "
          "speaker names inside the text.")


def _prompt(topic: str, words: int, scenes: int, brief: str, tone: str, language: str) -> str:
    lang = _LANGUAGES.get(language.split("-")[0].lower(), f"the language with the code '{language}'")
    parts = [f"Write {brief}.", f"Topic: {topic}",
             f"Length: about {words} spoken words in all, in about {scenes} scene{'s' if scenes > 1 else ''}.",
             f"Language of the title, headings and spoken lines: {lang}. Write the visuals in English."]
    if tone:
        parts.append(f"Tone: {tone}")
    return "\n".join(parts)


# ----------------------------------------------------------------------------- the text

def render(script: Any) -> str:
    """The text of a WrittenScript in the form the rule parser reads back line for line."""
    if not script.scenes:
        raise VidgenError("The model wrote a script with no scene: try again or pick another model.")
    names: dict[str, str | None] = {}
    out = [f"Title: {_one_line(script.title, 80) or 'Untitled'}", ""]
    written = 0
    for n, sc in enumerate(script.scenes, 1):
        lines = [(_speaker(ln.speaker, names), _spoken(ln.text)) for ln in sc.lines]
        lines = [(who, said) for who, said in lines if said]
        visual = _spoken(sc.visual)
        if not lines and not visual:
            continue
        written += 1
        out.append(f"Scene {written}: {_heading(sc.heading) or f'Part {written}'}")
        if visual:
            out.append(f"Visual: {visual}")
        out += [f"{who or 'Narrator'}: {said}" for who, said in lines]
        out.append("")
    if not written:
        raise VidgenError("The model wrote a script with no words: try again or pick another model.")
    return "\n".join(out).rstrip() + "\n"


def expected_reading(text: str) -> list[tuple[str, list[tuple[str | None, str]]]]:
    """What `render` wrote, read off its own lines: [(heading, [(speaker or None, words)])]."""
    out: list[tuple[str, list[tuple[str | None, str]]]] = []
    for line in text.splitlines():
        m = re.match(r"^Scene \d+: (.*)$", line)
        if m:
            out.append((m.group(1), []))
        elif out and line and not line.startswith(("Visual: ", "Title: ")):
            who, _, said = line.partition(": ")
            out[-1][1].append((None if who == "Narrator" else who.casefold(), said))
    return out


def read_back_problem(text: str) -> str:
    """Where `parse_script` reads a rendered script differently from how it was written ("" when nowhere)."""
    parsed = parse_script(text)
    want = expected_reading(text)
    if len(parsed.scenes) != len(want):
        return f"{len(parsed.scenes)} scenes read for {len(want)} written"
    for sc, (heading, lines) in zip(parsed.scenes, want):
        got = [((ln.speaker or "").casefold() or None, ln.text) for ln in sc.lines]
        if sc.heading != heading:
            return f"scene {sc.number} is headed {sc.heading!r}"
        if got != lines:
            bad = next((i for i, (a, b) in enumerate(zip(got, lines)) if a != b), min(len(got), len(lines)))
            return f"scene {sc.number}, line {bad + 1}"
    return ""


def _one_line(text: str, limit: int) -> str:
    text = " ".join(re.sub(r"[*#`<>\[\]{}|]", " ", text or "").split()).strip(" :-–—_")
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


def _heading(text: str) -> str:
    text = re.sub(r"(?i)^\s*(?:scene|part)\s+\w{1,4}\s*[:.\-–—]\s*", "", text or "")
    return _one_line(text, 100)


def _spoken(text: str) -> str:
    """Words only: bracketed directions, emphasis and Markdown dropped; one line; no `Key:` start."""
    text = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", text or "")
    text = " ".join(re.sub(r"[*_#`|<>{}]", " ", text).split())
    return text.lstrip(":;-–— ")


def _speaker(name: str | None, names: dict[str, str | None]) -> str | None:
    """The name as written in the text (upper case, which the parser always reads as a speaker), or
    None for the narrator; a name the parser would not read as a speaker becomes `CHARACTER N`."""
    raw = _one_line(re.sub(r"[^\w .'’-]", " ", name or ""), 30)
    key = raw.casefold()
    if key in names:
        return names[key]
    if not raw or key.strip(" .") in _NARRATOR:
        names[key] = None
        return None
    upper = " ".join(raw.upper().split()[:3])
    if not _reads_as_speaker(upper):
        upper = f"CHARACTER {sum(1 for v in names.values() if v and v.startswith('CHARACTER ')) + 1}"
    names[key] = upper
    return upper


def _reads_as_speaker(name: str) -> bool:
    probe = parse_script(f"Scene 1: Probe\n{name}: Hello there.")
    lines = probe.scenes[0].lines
    return len(lines) == 1 and (lines[0].speaker or "").casefold() == name.casefold() and lines[0].text == "Hello there."
