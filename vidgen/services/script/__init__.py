"""Built-in script parser: text -> scenes, lines and characters, with no model and no network.

Five forms are recognised (`detect_form`): Fountain screenplays, `Scene N:` storyboards,
Markdown headings, `NAME: line` dialogue (and labelled production scripts) and plain prose. Each
form has its own reader that fills a `_Raw` scene; `_finish` turns those into `domain.Scene`s the
same way for every form. Every regex runs on one line at a time and long lines skip the fancy
ones, so a 256 KiB adversarial input stays linear.

Modules: `fountain`, `headings` and `prose` hold the readers, `body` the `Key: value` text they
share and `preamble` the title and cast list above it, `unscripted` what is set aside (chat
preambles, tables, takeaways, review notes), `labels` the `Key:` labels, `vocabulary` the word
tables (time, weather, shot, sound), `delivery` the parenthetical vocabulary, `names` the
characters found in the action, `directions` camera/slugline helpers, `mood` the classifier,
`detect` the form test, `plan` the picture plan read from the words (`plan_words` its tables), `finish`
the last step, `common` the records.
"""

from __future__ import annotations

import codecs
import os
import unicodedata

from ...domain import ParsedScript, Scene
from ...errors import VidgenError
from .common import _Doc, _normalise, _Raw
from .delivery import DELIVERIES, delivery_of
from .detect import Evidence, _form, detect_form, evidence, guessed_prose
from .finish import _add_present, _characters, _clean_title, _fallback_title, _finish
from .fountain import _read_fountain
from .headings import _read_dialogue, _read_headings, _read_markdown
from .mood import classify_mood
from .names import prose_names
from .prose import _read_prose
from .unscripted import set_aside
from .vocabulary import SHOT_WORDS, WEATHER_WORDS

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_SCENES", "DELIVERIES", "FORMS", "SHOT_WORDS", "WEATHER_WORDS",
           "classify_mood", "delivery_of", "detect_form", "parse_script", "read_script_file"]

FORMS = ("fountain", "headings", "markdown", "dialogue", "prose")
DEFAULT_MAX_BYTES = 256 * 1024
DEFAULT_MAX_SCENES = 500  # a feature screenplay has 100-250 scenes; the render bounds its own length


def read_script_file(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a script file (UTF-8, UTF-8/16/32 with BOM) and return its text with \\n line ends.

    The limit counts the text (its UTF-8 size), not the file: a UTF-16 file of an allowed script passes."""
    p = os.fspath(path)
    name = os.path.basename(p) or p
    if not os.path.exists(p):
        raise VidgenError(f"Script file not found: {p}. Check the path and try again.")
    if os.path.isdir(p):
        raise VidgenError(f"{p} is a folder, not a script file: pick a .txt, .md or .fountain file.")
    most = max_bytes * 4 + 4  # UTF-32 takes four bytes for any character UTF-8 stores in one
    try:
        size = os.path.getsize(p)
        if size > most:
            raise VidgenError(_too_large(name, size, max_bytes))
        with open(p, "rb") as f:
            data = f.read(most + 1)  # a file growing under us (or a device) still stops here
    except OSError as e:
        raise VidgenError(f"Cannot read the script file {p}: {e.strerror or e}.") from e
    if len(data) > most:
        raise VidgenError(_too_large(name, len(data), max_bytes))
    text = _decode(data)
    if text is None or "\x00" in text:
        raise VidgenError(
            f"{name} does not look like a text script (binary data or an unknown encoding): "
            "save it as plain text in UTF-8."
        )
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise VidgenError(f"{name} contains invalid characters (unpaired surrogates): save it as UTF-8 text.") from None
    if size > max_bytes:
        raise VidgenError(_too_large(name, size, max_bytes))
    return _normalise(text)


def _too_large(name: str, size: int, max_bytes: int) -> str:
    return (
        f"{name} is {_kib(size)}; the limit is {_kib(max_bytes)} ({max_bytes} bytes): "
        "shorten the script or split it into several projects."
    )


def _kib(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n % 1024 else f"{n // 1024} KiB"


def _decode(data: bytes) -> str | None:
    # UTF-32 BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    for bom, encoding in boms:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def parse_script(
    text: str,
    *,
    title: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    transition_seconds: float = 0.5,
    max_scenes: int = DEFAULT_MAX_SCENES,
    filename: str = "",
) -> ParsedScript:
    """Split a script into scenes, lines and characters. Raises VidgenError only.

    `filename` (the uploaded file's name, optional) is a form signal: `.fountain` is read as Fountain.
    What the user should know before rendering (a guessed form, parts left out, no spoken line) is
    in `ParsedScript.notes`."""
    if not isinstance(text, str):
        raise VidgenError(f"The script must be text, not {type(text).__name__}.")
    if not text.strip():
        raise VidgenError("The script is empty: write or paste a script with at least one scene.")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # lone surrogates cannot be stored, spoken or subtitled
        raise VidgenError(
            "The script contains invalid characters (unpaired UTF-16 surrogates): save it as UTF-8 text."
        ) from None
    if size > max_bytes:
        raise VidgenError(
            f"The script is {_kib(size)}; the limit is {_kib(max_bytes)} ({max_bytes} bytes): "
            "shorten it or split it into several projects."
        )
    _check_not_binary(text)
    text, notes = set_aside(_normalise(text))
    ev = evidence(text)
    form = _form(ev, filename if isinstance(filename, str) else "")
    reader = {
        "fountain": _read_fountain,
        "headings": _read_headings,
        "markdown": _read_markdown,
        "dialogue": _read_dialogue,
        "prose": _read_prose,
    }[form]
    doc = reader(text)
    raws = [r for r in doc.scenes if r.has_content()]
    if not raws:
        raise VidgenError(
            "The script has no recognisable scene: write at least one sentence, a scene heading "
            "or a line of dialogue (symbols alone are not a script)."
        )
    if len(raws) > max_scenes:
        raise VidgenError(
            f"The script has {len(raws)} scenes; the limit is {max_scenes}: merge short paragraphs "
            "or split the script into several projects."
        )
    scenes = _finish(raws, transition_seconds)
    descriptions = dict(doc.descriptions)
    silent = _silent_characters(form, doc, raws, descriptions, {n for sc in scenes for n in sc.characters})
    _add_present(scenes, raws, silent)
    characters = _characters(scenes, descriptions)
    final_title = _clean_title(title or "") or _clean_title(doc.title) or _fallback_title(scenes)
    return ParsedScript(title=final_title, form=form, scenes=scenes, characters=characters,
                        notes=notes + doc.notes + _notes(form, ev, raws, scenes))


def _silent_characters(form: str, doc: _Doc, raws: list[_Raw], descriptions: dict[str, str],
                       speakers: set[str]) -> list[str]:
    """Characters who never speak but are named in the action: a cast list's, Fountain's capitals,
    prose names that act. Their descriptions join `descriptions`."""
    found: dict[str, str] = {name: doc.descriptions.get(name.casefold(), "") for name in doc.cast}
    found.update({k: v for k, v in doc.introduced.items() if k not in found})
    if form != "fountain":
        texts = [t for r in raws for t in [*r.visual, *r.narrated_visual]]
        # In plain prose a name that only opens sentences is not taken: too many ordinary words do.
        named = prose_names(texts, openers=form != "prose")
        found.update({k: v for k, v in named.items() if k not in found})
    taken = {s.casefold() for s in speakers}
    out = []
    for name, desc in found.items():
        if name.casefold() in taken or any(w.casefold() in taken for w in name.split() if len(w) > 2):
            continue
        out.append(name)
        if desc and name.casefold() not in descriptions:
            descriptions[name.casefold()] = desc
    return out


def _notes(form: str, ev: Evidence, raws: list[_Raw], scenes: list[Scene]) -> list[str]:
    notes = []
    labels = list(dict.fromkeys(label.upper() for r in raws for label in r.labels))
    count = sum(len(r.labels) for r in raws)
    if count:
        notes.append(f"Left out {count} production label{'s' if count != 1 else ''} ({', '.join(labels[:5])}"
                     f"{', ...' if len(labels) > 5 else ''}) from the speech: their text goes to the pictures "
                     "and the sound cues. Write 'Narrator:' before any text that should be spoken.")
    if form == "prose" and guessed_prose(ev):
        notes.append("Read as prose: no screenplay headings, cues or Scene N: headings were found, so every "
                     "sentence is narrated. Start scenes with 'Scene 1:' or 'INT. PLACE - DAY' if that is wrong.")
    if not any(sc.lines for sc in scenes):
        notes.append("The script has text but no spoken line: the film would be silent. Write narration as "
                     "plain sentences or 'Narrator: ...' lines, and dialogue as 'NAME: line' or, in a "
                     "screenplay, a NAME in capitals above the line.")
    return notes


def _check_not_binary(text: str) -> None:
    if "\x00" in text:
        raise VidgenError("The script contains NUL bytes, so it looks like a binary file: paste plain text.")
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\x0b\x0c")
    if controls and controls * 10 > len(text):
        raise VidgenError(
            "The script contains many control characters, so it looks like a binary file: paste plain text."
        )
