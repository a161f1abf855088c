"""Scene mood: a keyword lexicon plus VADER valence. VADER is created on first use, not on import."""

from __future__ import annotations

import functools

from ...domain import MOODS
from .common import _WORD

_MOOD_LEXICON_TEXT = {
    "tense": "danger dangerous chase gun pistol rifle scream run fear afraid storm threat panic alarm attack "
             "explode explosion blood escape trap hunt knife crash siren urgent warning pursue shoot bomb enemy "
             "terror terrified frantic desperate flee struggle rush tremble pound collapse emergency hurry "
             "deadline tense tension suspense dread hide sweat gasp fight",
    "mysterious": "shadow fog mist strange secret whisper unknown mystery mysterious hidden darkness silhouette "
                  "eerie ghost echo curious riddle puzzle clue vanish disappear locked ancient forgotten cryptic "
                  "odd glow flicker haunt unseen signal strangely silent lantern",
    "epic": "battle mountain vast army hero legend kingdom empire glory victory triumph horizon conquer warrior "
            "destiny mighty towering endless galaxy universe thunder roar journey quest giant march fleet "
            "colossal summit courage planet stars frontier rocket",
    "romantic": "love kiss heart together darling embrace tender romance romantic beloved sweetheart wedding "
                "candle candlelight rose dance blush flirt valentine passion adore lover hug",
    "calm": "quiet gentle breeze still stillness peaceful peace calm soft softly serene slow rest drift sleep "
            "tranquil hush meadow lake ripple tide easy relax silence cozy tea warm linger",
    "sad": "loss lost tears cry grave alone goodbye grief mourn funeral lonely broken sorrow miss regret "
           "death die dead farewell gone weep ache hollow sigh heartbreak rain grey gray abandon",
    "joyful": "laugh laughter celebrate celebration sunshine party happy joy smile cheer delight fun playful "
              "bright birthday festival sing song giggle grin hooray wonderful amazing excited balloon "
              "confetti play dance",
}
# Tie-break order: the more specific feeling wins.
_MOOD_PRIORITY = ("tense", "sad", "mysterious", "epic", "romantic", "joyful", "calm", "neutral")


@functools.lru_cache(maxsize=1)
def _mood_lexicon() -> dict[str, str]:
    lex: dict[str, str] = {}
    for mood in _MOOD_PRIORITY:
        for w in _MOOD_LEXICON_TEXT.get(mood, "").split():
            lex.setdefault(w, mood)
    return lex


@functools.lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # reads its lexicon file

    return SentimentIntensityAnalyzer()


def _stems(w: str):
    yield w
    for suffix in ("ing", "ed", "es", "s", "ly", "ness", "ful", "y"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            base = w[: -len(suffix)]
            yield base
            yield base + "e"
            if base[-1] == base[-2]:
                yield base[:-1]


def classify_mood(text: str) -> str:
    """One of domain.MOODS for the text: keyword lexicon plus VADER valence. Deterministic."""
    if not isinstance(text, str) or not _WORD.search(text):
        return "neutral"
    lex = _mood_lexicon()
    scores = dict.fromkeys(MOODS, 0.0)
    for token in _WORD.findall(text.lower()):
        for stem in _stems(token):
            if stem in lex:
                scores[lex[stem]] += 1.0
                break
    # VADER is linear but not free: the start of a long text says enough about its feeling.
    compound = _vader().polarity_scores(text[:20000])["compound"]
    pos, neg = max(compound, 0.0), max(-compound, 0.0)
    for mood in ("joyful", "romantic", "calm"):
        if scores[mood]:
            scores[mood] += pos - 0.5 * neg
    for mood in ("sad", "tense"):
        if scores[mood]:
            scores[mood] += neg
    if not any(scores.values()):  # no keyword: clear valence alone picks one of the two poles
        scores["joyful"], scores["sad"] = pos, neg
    best = min(_MOOD_PRIORITY[:-1], key=lambda m: (-scores[m], _MOOD_PRIORITY.index(m)))
    return best if scores[best] >= 0.5 else "neutral"


# Words a `Mood:` line may use for one of domain.MOODS.
_MOOD_SYNONYMS = {
    "happy": "joyful", "cheerful": "joyful", "upbeat": "joyful", "playful": "joyful", "fun": "joyful",
    "peaceful": "calm", "serene": "calm", "gentle": "calm", "relaxed": "calm", "ambient": "calm",
    "melancholy": "sad", "melancholic": "sad", "somber": "sad", "sombre": "sad", "tragic": "sad",
    "suspense": "tense", "suspenseful": "tense", "thriller": "tense", "dark": "tense", "urgent": "tense",
    "eerie": "mysterious", "mystery": "mysterious", "haunting": "mysterious", "curious": "mysterious",
    "love": "romantic", "tender": "romantic", "heroic": "epic", "grand": "epic", "triumphant": "epic",
    "cinematic": "epic", "orchestral": "epic",
}


def _mood_word(value: str) -> str:
    for w in _WORD.findall(value.lower()):
        if w in MOODS:
            return w
        if w in _MOOD_SYNONYMS:
            return _MOOD_SYNONYMS[w]
    mood = classify_mood(value)
    return "" if mood == "neutral" else mood
