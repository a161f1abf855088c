"""The script's language: detection, and which voice speaks it.

    detect_language("Il était une fois un petit port.")   # "fr"
    mms_id("fr")                                          # "fra" (facebook/mms-tts-fra)
    voice_for_language("fr", registry)                    # "mms-tts-fra"

Detection uses py3langid (a naive Bayes model shipped in the wheel, ~0.5 s to load once). Short
text is unreliable (it calls "The tide came in." Danish), so text under MIN_LETTERS letters, or a
guess under MIN_CONFIDENCE, falls back to English. Some of its classes are not ISO 639-1 codes
(Moroccan Arabic 'ary', Biblical Hebrew 'hbo', Cantonese 'yue' ...): DETECTED_CODES maps them to
their macrolanguage's code, and one without a code is spoken as English, with a note. A detected
language only steers (which voice to suggest); `check_language` is for what the user set.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, NamedTuple

from ...errors import VidgenError
from ...models.registry import PackagedRecords, packaged
from .ids import BUILTIN_VOICE

log = logging.getLogger(__name__)

FALLBACK = "en"
MIN_LETTERS = 20
MIN_CONFIDENCE = 0.5
# A line is its own language only when it says so clearly: py3langid calls "Okay, okay, I hear
# you." English at 0.65 and "The tide came in." Danish at 0.10; whole English lines of 4+ words
# score 0.84-0.99. Below these a line is taken to be in the film's language.
LINE_MIN_WORDS = 4
LINE_CONFIDENCE = 0.8

# ISO 639-1 -> ISO 639-3, the codes MMS-TTS checkpoints are named by (facebook/mms-tts-<code>),
# for the common languages py3langid tells apart. Not every code has a checkpoint.
MMS_CODES = {
    "en": "eng", "fr": "fra", "es": "spa", "de": "deu", "it": "ita", "pt": "por", "nl": "nld",
    "pl": "pol", "ru": "rus", "uk": "ukr", "cs": "ces", "sk": "slk", "ro": "ron", "hu": "hun",
    "el": "ell", "tr": "tur", "ar": "ara", "he": "heb", "fa": "fas", "hi": "hin", "bn": "ben",
    "ur": "urd", "ta": "tam", "te": "tel", "mr": "mar", "gu": "guj", "pa": "pan", "ko": "kor",
    "ja": "jpn", "zh": "cmn", "vi": "vie", "th": "tha", "id": "ind", "ms": "zlm", "tl": "tgl",
    "sw": "swh", "fi": "fin", "sv": "swe", "da": "dan", "no": "nob", "nb": "nob", "is": "isl",
    "et": "est", "lv": "lav", "lt": "lit", "bg": "bul", "sr": "srp", "hr": "hrv", "sl": "slv",
    "ca": "cat", "eu": "eus", "gl": "glg", "cy": "cym", "ga": "gle", "af": "afr", "am": "amh",
    "yo": "yor", "ha": "hau", "zu": "zul", "ka": "kat", "hy": "hye", "kk": "kaz", "uz": "uzb",
}


# py3langid's classes that are not ISO 639-1 codes -> the code of the language they belong to.
# The rest of them (Acehnese 'ace', Kabyle 'kab', Venetian 'vec', 'zxx' no language ...) have none.
DETECTED_CODES = {
    "ary": "ar", "arz": "ar", "hbo": "he", "grc": "el", "yue": "zh", "wuu": "zh", "uzs": "uz",
    "sdh": "ku", "gug": "gn", "fuv": "ff", "kik": "ki",
}


class Guess(NamedTuple):
    """A detected language: `code` (ISO 639-1, or FALLBACK) and a `note` when the detector's own
    code had no ISO 639-1 code ("" otherwise)."""
    code: str
    note: str = ""


@functools.lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str:
    """ISO 639-1 code of `text`'s language; FALLBACK ("en") when the text is short, the guess unsure
    or the language has no ISO 639-1 code (logged)."""
    guess = guess_language(text)
    if guess.note:
        log.warning(guess.note)
    return guess.code


@functools.lru_cache(maxsize=8)  # the checks and the render ask about the same script
def guess_language(text: str) -> Guess:
    """`detect_language` with the note of why the detector's guess was not taken as it is."""
    letters = sum(c.isalpha() for c in text)
    if letters < MIN_LETTERS:
        return Guess(FALLBACK)
    lang, confidence = _identifier().classify(text)
    if confidence < MIN_CONFIDENCE:
        return Guess(FALLBACK)
    lang = DETECTED_CODES.get(lang, lang)
    if not _is_iso(lang):
        return Guess(FALLBACK, f"The script reads as {lang!r}, which has no ISO 639-1 code: it is spoken as "
                               f"{FALLBACK!r}; set the language (and a voice that speaks it) to change that.")
    return Guess(lang)


def line_language(text: str, film: str) -> str:
    """The language one line is spoken in: its own when it has LINE_MIN_WORDS words or more and the
    detector is LINE_CONFIDENCE sure of another ISO 639-1 code than `film`'s, else `film`."""
    if len(text.split()) < LINE_MIN_WORDS or sum(c.isalpha() for c in text) < MIN_LETTERS:
        return film
    lang, confidence = _classify(text)
    lang = DETECTED_CODES.get(lang, lang)
    return lang if confidence >= LINE_CONFIDENCE and _is_iso(lang) and lang != film else film


@functools.lru_cache(maxsize=4096)
def _classify(text: str) -> tuple[str, float]:
    lang, confidence = _identifier().classify(text)
    return str(lang), float(confidence)


def _is_iso(lang: str) -> bool:
    return len(lang) == 2 and lang.isascii() and lang.isalpha() and lang.islower()


def check_language(lang: str) -> str:
    """A language setting: "" (detect) or a two-letter ISO 639-1 code."""
    if lang and not _is_iso(lang):
        raise VidgenError(f"Language {lang!r} is not an ISO 639-1 code: use two lower-case letters like "
                          "'en', 'fr', 'es' (or leave it empty to detect it from the script).")
    return lang


def mms_id(lang: str) -> str:
    """The ISO 639-3 code an MMS-TTS checkpoint uses for `lang` ("en" -> "eng")."""
    check_language(lang)
    if lang not in MMS_CODES:
        raise VidgenError(f"No MMS-TTS code known for language {lang!r}: find the checkpoint by its ISO 639-3 "
                          "code (facebook/mms-tts-<code>) and add it with `python -m vidgen models add "
                          "facebook/mms-tts-<code> --kind voice`.")
    return MMS_CODES[lang]


def voice_for_language(lang: str, registry: PackagedRecords | None = None) -> str:
    """The voice id to suggest for `lang`: the built-in Piper voice for English, else `mms-tts-<iso3>`
    or another transformers-vits voice whose record lists the language."""
    check_language(lang)
    if lang in ("", "en"):
        return BUILTIN_VOICE
    if registry is None:
        registry = packaged()
    voices = registry.list("voice")
    code = MMS_CODES.get(lang)
    for spec in voices:
        if code and spec.id == f"mms-tts-{code}":
            return spec.id
    for spec in voices:
        if spec.backend == "transformers-vits" and lang in spec.languages:
            return spec.id
    hint = f"facebook/mms-tts-{code}" if code else "facebook/mms-tts-<iso639-3 code>"
    raise VidgenError(f"No voice in the registry speaks {lang!r}: add one with `python -m vidgen models add "
                      f"{hint} --kind voice`, then download it; or use xtts-v2 (voice cloning, 17 languages).")


__all__ = ["detect_language", "line_language", "guess_language", "Guess", "DETECTED_CODES", "check_language", "mms_id", "voice_for_language", "MMS_CODES", "FALLBACK"]
