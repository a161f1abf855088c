"""eSpeak NG (backend "espeak-ng"): a built-in formant synthesiser that speaks ~100 languages
offline. Robotic next to Piper, but it is what makes every language the script reader detects
speakable without a download; the automatic voice choice (choice.py) uses it only when no voice
of the language is at hand.

    "espeak-ng"     the one voice id (registry record `espeak-ng`); the language comes with each call

The library and its voice data come from the `espeakng-loader` wheel (libespeak-ng 1.52 and
espeak-ng-data inside it; no system package, no network). Piper's wheel statically links its own
eSpeak NG, but for phonemes only and with one global voice its phonemizer switches per call:
a second copy of the library keeps the two from changing each other's voice.

Driven through ctypes: `espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS)` with a synth callback that
collects 16-bit samples at 22,050 Hz, `espeak_SetVoiceByName(<language>)`, `espeak_SetParameter
(espeakRATE)` for the speed, `espeak_Synth`. The library holds one voice and one callback for the
process, so every call runs under one lock. Pitch is applied by the front like any voice's
(audio.shape). Its speech is deterministic: the seed does not matter.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import threading
from typing import Any, Iterator

import numpy as np

from ...domain import Voice
from ...errors import VidgenError
from ...models.registry import ModelSpec
from .model import SamplePath, VoiceModel

BACKEND = "espeak-ng"
CLONES = False
VOICE_ID = "espeak-ng"
NAME = "eSpeak NG (formant synthesis, built in)"

_SYNCHRONOUS = 2  # AUDIO_OUTPUT_SYNCHRONOUS
_RATE, _PITCH = 1, 3  # espeakRATE, espeakPITCH (espeak_PARAMETER)
_CHARS_UTF8 = 1
_IPA, _SEPARATOR = 0x02, ord("_") << 8  # espeak_TextToPhonemes: IPA, "_" between a word's phonemes
_WPM = 175  # eSpeak's default words per minute; speed 1.0
_WPM_RANGE = (80, 450)
# eSpeak's languages that are not ISO 639-1 codes -> the code py3langid reports for them
_CODES = {"cmn": "zh", "yue": "zh", "hak": "zh", "fa-latn": "fa", "nb": "no", "py": ""}  # "" = none (Pyash, a constructed language)

_lock = threading.Lock()
_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Voice(ctypes.Structure):  # espeak_VOICE
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_char_p), ("identifier", ctypes.c_char_p),
                ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


class _Library:
    """libespeak-ng, initialised once for the process; `synth` and `phonemes` are the only ways in."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as e:
            raise VidgenError("eSpeak NG needs the espeakng-loader package: pip install espeakng-loader "
                              "(it ships libespeak-ng and its voice data).") from e
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
        self.rate = lib.espeak_Initialize(_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0)
        if self.rate <= 0:
            raise VidgenError(f"eSpeak NG could not start (espeak_Initialize returned {self.rate}).")
        self._chunks: list[np.ndarray] = []
        self._callback = _Callback(self._collect)  # kept: the library calls it for the process's life
        lib.espeak_SetSynthCallback(self._callback)
        self.lib = lib
        self.voices = self._list_voices()

    def _collect(self, wav: Any, n: int, events: Any) -> int:
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0  # go on

    def _list_voices(self) -> dict[str, str]:
        """ISO 639-1 code -> the eSpeak voice name that speaks it (the plain language first)."""
        found: dict[str, str] = {}
        voices = self.lib.espeak_ListVoices(None)
        i = 0
        while voices[i]:
            raw = ctypes.string_at(voices[i].contents.languages, 64)
            lang = raw[1:raw.index(b"\0", 1)].decode("ascii", "replace").lower()  # priority byte, then the name
            code = _CODES.get(lang, lang.split("-")[0])
            if code and len(code) == 2 and code.isalpha() and (code not in found or lang == code):
                found[code] = lang
            i += 1
        return found

    def synth(self, text: str, language: str, wpm: int) -> np.ndarray:
        if language not in self.voices:
            raise VidgenError(f"eSpeak NG does not speak {language!r}: it speaks {', '.join(sorted(self.voices))}.")
        data = text.encode("utf-8") + b"\0"
        with _lock:
            self._chunks = []
            if self.lib.espeak_SetVoiceByName(self.voices[language].encode()) != 0:
                raise VidgenError(f"eSpeak NG could not select its {language!r} voice.")
            self.lib.espeak_SetParameter(_RATE, wpm, 0)
            self.lib.espeak_SetParameter(_PITCH, 50, 0)
            err = self.lib.espeak_Synth(data, len(data), 0, 1, 0, _CHARS_UTF8, None, None)  # POS_CHARACTER
            chunks, self._chunks = self._chunks, []
        if err != 0:
            raise VidgenError(f"eSpeak NG failed to speak a sentence (error {err}).")
        audio = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
        return (audio.astype(np.float32) / 32768.0).astype(np.float32)

    def phonemes(self, text: str, language: str) -> list[list[str]]:
        """The IPA phonemes of each word of `text` as eSpeak NG would say it in `language`
        (stress marks kept on the vowel they precede): [["h", "ə", "l", "ˈoʊ"], ...]."""
        if language not in self.voices:
            raise VidgenError(f"eSpeak NG does not know {language!r}: it knows {', '.join(sorted(self.voices))}.")
        buf = ctypes.create_string_buffer(text.encode("utf-8") + b"\0")
        ptr = ctypes.c_void_p(ctypes.addressof(buf))
        words: list[list[str]] = []
        with _lock:
            if self.lib.espeak_SetVoiceByName(self.voices[language].encode()) != 0:
                raise VidgenError(f"eSpeak NG could not select its {language!r} voice.")
            while ptr.value:  # one clause per call; the pointer moves on (NULL at the end)
                clause = self.lib.espeak_TextToPhonemes(ctypes.byref(ptr), _CHARS_UTF8, _IPA | _SEPARATOR)
                for word in (clause or b"").decode("utf-8", "replace").split():
                    words.append([p for p in word.split("_") if p])
        return [w for w in words if w]


@functools.lru_cache(maxsize=1)
def library() -> _Library:
    return _Library()


def available() -> bool:
    """Whether eSpeak NG's package is installed (its library is loaded on first use only)."""
    import importlib.util

    return importlib.util.find_spec("espeakng_loader") is not None


def spoken_languages() -> tuple[str, ...]:
    """The ISO 639-1 codes eSpeak NG speaks (from its voice data); () when it is not installed."""
    return tuple(sorted(library().voices)) if available() else ()


def words_per_minute(speed: float) -> int:
    low, high = _WPM_RANGE
    return int(round(min(high, max(low, _WPM * speed))))


# --- the backend interface (see model.py) ------------------------------------------------------

def resolve(voice: str, spec: ModelSpec) -> VoiceModel:
    if not available():
        raise VidgenError("The eSpeak NG voice needs the espeakng-loader package: pip install espeakng-loader.")
    return VoiceModel(voice, spec)


def speakers(model: VoiceModel) -> int:
    return 1


def languages(model: VoiceModel) -> tuple[str, ...]:
    return spoken_languages()


class EspeakEngine:
    chunks = True
    needs_language = True

    def __init__(self) -> None:
        self.name = VOICE_ID
        self.lib = library()
        self.sample_rate = int(self.lib.rate)
        self.languages = frozenset(self.lib.voices)

    def speak(self, text: str, voice: Voice, speed: float, seed: int, language: str) -> np.ndarray:
        return self.lib.synth(text, language or "en", words_per_minute(speed))


@contextlib.contextmanager
def open_engine(model: VoiceModel, cache: Any = None, samples: SamplePath | None = None) -> Iterator[EspeakEngine]:
    """The library stays loaded for the process (it is small): `cache` is not used."""
    yield EspeakEngine()


__all__ = ["BACKEND", "CLONES", "VOICE_ID", "NAME", "resolve", "speakers", "languages", "open_engine", "EspeakEngine",
           "spoken_languages", "available", "words_per_minute", "library"]
