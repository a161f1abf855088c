"""The built-in mouth's shape per video frame: from the line's phonemes where eSpeak NG knows its
language, else from the speech's loudness alone.

    shapes = mouth_shapes(samples, rate, fps, frames, spans)  # frames x 2: opening 0..1, width x the rest width
    source = phoneme_source(span)                            # ALIGNED, PHONEMES or "" (the envelope)

Aligned phonemes (a Piper voice's own alignment, recorded by the voice step): each frame shows the
viseme of the phoneme longest in it, lips shut where p/b/m take a third of the frame.

Phonemes otherwise: eSpeak NG's IPA for the line's text in its language (the voice's; detected from the text
when none is given), the phonemizer Piper itself speaks from. They are not
a forced alignment: they are laid in order over the voiced frames of the line's measured span (frames
within DB_FLOOR of the span's loudest), each taking time in proportion to its typical length (a vowel
twice a consonant, a diphthong split 60/40 between its two vowels), and each drawn as its viseme: lips
shut for p/b/m, lower lip to the teeth for f/v, rounded for o/u/w, spread for i, wide open for a. The
opening is scaled by the frame's loudness and smoothed over a frame each side (coarticulation); the
lips still shut fully on p/b/m. Unvoiced frames inside a line are a shut mouth.

Envelope (a line without text, a language eSpeak NG lacks): the opening follows the frame's RMS level
in dB, from DB_FLOOR below the line's loudest to it, smoothed over a frame each side, at rest width.
"""

from __future__ import annotations

import functools
import logging
import math
import unicodedata
from typing import Protocol, Sequence

import numpy as np

from ..voice import espeak
from ..voice.language import guess_language

log = logging.getLogger(__name__)

DB_FLOOR = 30.0  # dB below the line's loudest frame that still opens the mouth
SHUT = 0.08  # openings below this are a shut mouth
LOUDNESS = 0.45  # how much of a viseme's opening the frame's loudness takes away when quiet
PHONEMES = "eSpeak NG phonemes"
ALIGNED = "the voice's phoneme alignment"

# viseme -> (opening, width); width is relative to the mouth at rest
VISEMES = {
    "shut": (0.0, 0.95), "teeth": (0.14, 0.95), "round": (0.55, 0.62), "open": (1.0, 1.0), "mid": (0.62, 1.0),
    "spread": (0.32, 1.12), "tongue": (0.3, 0.95), "back": (0.45, 0.95), "pucker": (0.32, 0.72),
}
_CLASSES = {
    "shut": "pbmɱ", "teeth": "fvʋ", "round": "oɔuʊwɒyøœʏɵʉ", "open": "aɑæʌɐɶ", "mid": "eɛəɜɘɚɝɤ", "spread": "iɪjɨ",
    "tongue": "tdnlszθðɾɬɮrɲɳɭ", "back": "kɡgŋhxɣχʁʔqɢçʝ", "pucker": "ʃʒɹɻʂʐɕʑ",
}
_VISEME_OF = {ch: name for name, chars in _CLASSES.items() for ch in chars}
_VOWELS = set(_CLASSES["round"] + _CLASSES["open"] + _CLASSES["mid"] + _CLASSES["spread"]) - {"w", "j"}
_PLOSIVES = set("pbtdkɡgqʔ")


class Spoken(Protocol):  # sync.Speaking
    start: float
    end: float
    text: str
    language: str
    phones: tuple[tuple[str, float, float], ...]  # aligned (phoneme, start, end) in clip seconds, or ()


def viseme_weights(phoneme: str) -> list[tuple[str, float]]:
    """One eSpeak phoneme as its viseme(s) and their share of time (a diphthong is two)."""
    long = "ː" in phoneme
    base = "".join(ch for ch in unicodedata.normalize("NFD", phoneme)
                   if ch.isalpha() and not unicodedata.combining(ch) and ch not in "ːˑʰʲʷˠˤ")
    if not base:
        return []
    if any(ch in "ʃʒ" for ch in base):  # tʃ, dʒ, ʃ, ʒ: the lips push forward
        return [("pucker", 1.0)]
    vowels = [ch for ch in base if ch in _VOWELS]
    if len(vowels) >= 2:
        w = 2.6 if long else 2.4
        return [(_VISEME_OF[vowels[0]], 0.6 * w), (_VISEME_OF[vowels[-1]], 0.4 * w)]
    ch = vowels[0] if vowels else base[0]
    weight = (2.6 if long else 2.0) if vowels else (0.8 if ch in _PLOSIVES else 1.0)
    return [(_VISEME_OF.get(ch, "mid" if vowels else "tongue"), weight)]


@functools.lru_cache(maxsize=256)
def _phonemes(text: str, language: str) -> tuple[tuple[str, float], ...]:
    if not text.strip() or not espeak.available():
        return ()
    lang = (language or guess_language(text).code).split("-")[0].lower()
    lib = espeak.library()
    if lang not in lib.voices:
        return ()
    return tuple(v for word in lib.phonemes(text, lang) for p in word for v in viseme_weights(p))


def phoneme_source(sp: Spoken) -> str:
    """What drives the mouth for this line: ALIGNED, PHONEMES, or "" for the speech envelope."""
    if getattr(sp, "phones", ()):
        return ALIGNED
    return PHONEMES if _phonemes(sp.text, sp.language) else ""


def frame_levels(samples: np.ndarray, rate: int, fps: float, frames: int) -> np.ndarray:
    """The RMS level of each video frame's stretch of the mono speech."""
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    per = rate / fps
    rms = np.zeros(frames, dtype=np.float64)
    for i in range(frames):
        part = samples[int(round(i * per)):int(round((i + 1) * per))]
        rms[i] = float(np.sqrt(np.mean(part.astype(np.float64) ** 2))) if part.size else 0.0
    return rms


def _envelope(rms: np.ndarray) -> np.ndarray:
    """0..1 per frame: the level in dB from DB_FLOOR below the loudest frame (0 when all silent)."""
    if not rms.size or not rms.any():
        return np.zeros(rms.size)
    db = 20 * np.log10(np.maximum(rms, 1e-9) / rms.max())
    return np.clip((db + DB_FLOOR) / DB_FLOOR, 0.0, 1.0)


def _smooth(x: np.ndarray) -> np.ndarray:
    return np.convolve(np.pad(x, 1, mode="edge"), np.ones(3) / 3, mode="valid") if x.size else x


def _placed(visemes: Sequence[tuple[str, float]], voiced: np.ndarray) -> list[str]:
    """The viseme at each frame of a line: the phonemes in order over its voiced frames."""
    out = ["shut"] * voiced.size
    order = np.flatnonzero(voiced)
    if not order.size or not visemes:
        return out
    ends = np.cumsum([w for _, w in visemes])
    for j, i in enumerate(order):
        at = (j + 0.5) / order.size * ends[-1]
        out[i] = visemes[min(len(visemes) - 1, int(np.searchsorted(ends, at, side="right")))][0]
    return out


def _timed(phones: Sequence[tuple[str, float, float]], a: int, b: int, fps: float) -> list[str]:
    """The viseme at each frame a..b-1 from aligned phonemes: the one longest in the frame, except
    that lips which shut for a third of the frame are shut; a pause (punctuation) is shut, a word
    gap (" ") goes to its neighbours."""
    pieces = []  # (viseme, start, end): a diphthong's two visemes share its time as their weights say
    for ph, start, end in phones:
        if ph == " ":
            continue
        vis = viseme_weights(ph) or [("shut", 1.0)]
        total, at = sum(w for _, w in vis), start
        for v, w in vis:
            pieces.append((v, at, at + (end - start) * w / total))
            at = pieces[-1][2]
    out = []
    for i in range(a, b):
        t0, t1 = i / fps, (i + 1) / fps
        cover: dict[str, float] = {}
        for v, s, e in pieces:
            if s < t1 and e > t0:
                cover[v] = cover.get(v, 0.0) + min(e, t1) - max(s, t0)
        if not cover or cover.get("shut", 0.0) >= (t1 - t0) / 3:
            out.append("shut")
        else:
            out.append(max(cover, key=lambda k: cover[k]))
    return out


def mouth_shapes(samples: np.ndarray, rate: int, fps: float, frames: int,
                 spans: Sequence[Spoken] = ()) -> np.ndarray:
    """frames x 2 float32: each frame's mouth opening (0..1, 0 = shut) and width (x the rest width).
    Inside each span its phonemes' visemes (see the module's docstring), elsewhere the envelope."""
    rms = frame_levels(samples, rate, fps, frames)
    shapes = np.zeros((frames, 2), dtype=np.float32)
    shapes[:, 0] = _smooth(_envelope(rms))
    shapes[:, 1] = 1.0
    for sp in spans:
        a, b = max(0, math.ceil(sp.start * fps)), min(frames, math.floor(sp.end * fps) + 1)
        phones = getattr(sp, "phones", ())
        visemes = () if phones else _phonemes(getattr(sp, "text", ""), getattr(sp, "language", ""))
        if b <= a or not (phones or visemes):
            continue
        env = _envelope(rms[a:b])
        placed = _timed(phones, a, b, fps) if phones else _placed(visemes, env > 0)
        opening = np.array([VISEMES[v][0] for v in placed]) * (1 - LOUDNESS + LOUDNESS * env)
        width = np.array([VISEMES[v][1] for v in placed])
        opening = _smooth(opening)
        opening[[v == "shut" for v in placed]] = 0.0  # the lips meet on p, b, m, however short
        shapes[a:b, 0], shapes[a:b, 1] = opening, _smooth(width)
    shapes[shapes[:, 0] < SHUT, 0] = 0.0
    return shapes


__all__ = ["mouth_shapes", "phoneme_source", "viseme_weights", "frame_levels", "VISEMES", "PHONEMES", "ALIGNED",
           "DB_FLOOR"]
