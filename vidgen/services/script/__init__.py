"""Built-in script parser: text -> scenes, lines and characters, with no model and no network.

Five forms are recognised (`detect_form`): Fountain screenplays, `Scene N:` storyboards,
Markdown headings, `NAME: line` dialogue and plain prose. Each form has its own reader that fills
a `_Raw` scene; `_finish` turns those into `domain.Scene`s the same way for every form.
Every regex runs on one line at a time and long lines skip the fancy ones, so a 256 KiB
adversarial input stays linear.

Modules: `fountain`, `storyboard` and `prose` hold the readers, `body` the `Key: value` text and
preamble they share, `directions` camera/time/slugline words, `mood` the classifier, `detect` the
form test, `finish` the last step, `common` the records.
"""

from __future__ import annotations

import codecs
import os
import unicodedata

from ...domain import ParsedScript
from ...errors import VidgenError
from .common import _normalise
from .detect import detect_form
from .finish import _characters, _clean_title, _fallback_title, _finish
from .fountain import _read_fountain
from .mood import classify_mood
from .prose import _read_prose
from .headings import _read_dialogue, _read_headings, _read_markdown

__all__ = ["DEFAULT_MAX_BYTES", "FORMS", "classify_mood", "detect_form", "parse_script", "read_script_file"]

FORMS = ("fountain", "headings", "markdown", "dialogue", "prose")
DEFAULT_MAX_BYTES = 256 * 1024


def read_script_file(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a script file (UTF-8, UTF-8/16/32 with BOM) and return its text with \\n line ends."""
    p = os.fspath(path)
    name = os.path.basename(p) or p
    if not os.path.exists(p):
        raise VidgenError(f"Script file not found: {p}. Check the path and try again.")
    if os.path.isdir(p):
        raise VidgenError(f"{p} is a folder, not a script file: pick a .txt, .md or .fountain file.")
    try:
        size = os.path.getsize(p)
        if size > max_bytes:
            raise VidgenError(_too_large(name, size, max_bytes))
        with open(p, "rb") as f:
            data = f.read(max_bytes + 1)  # a file growing under us (or a device) still stops here
    except OSError as e:
        raise VidgenError(f"Cannot read the script file {p}: {e.strerror or e}.") from e
    if len(data) > max_bytes:
        raise VidgenError(_too_large(name, len(data), max_bytes))
    text = _decode(data)
    if text is None or "\x00" in text:
        raise VidgenError(
            f"{name} does not look like a text script (binary data or an unknown encoding): "
            "save it as plain text in UTF-8."
        )
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
    max_scenes: int = 200,
) -> ParsedScript:
    """Split a script into scenes, lines and characters. Raises VidgenError only."""
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
    text = _normalise(text)
    form = detect_form(text)
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
    characters = _characters(scenes, doc.descriptions)
    final_title = _clean_title(title or "") or _clean_title(doc.title) or _fallback_title(scenes)
    return ParsedScript(title=final_title, form=form, scenes=scenes, characters=characters)


def _check_not_binary(text: str) -> None:
    if "\x00" in text:
        raise VidgenError("The script contains NUL bytes, so it looks like a binary file: paste plain text.")
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\x0b\x0c")
    if controls and controls * 10 > len(text):
        raise VidgenError(
            "The script contains many control characters, so it looks like a binary file: paste plain text."
        )
