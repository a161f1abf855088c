"""How a line is said: a parenthetical ("whispering", "en voz baja") -> one short delivery word.

`DELIVERIES` is the one vocabulary (the voice maps each key to speed, pitch and volume); its words
are in English, Spanish, French, German, Italian and Portuguese. Screenplay extensions such as
(O.S.), (V.O.) and (CONT'D) say where a voice comes from, not how it sounds: they give no delivery.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Key order is the priority when a parenthetical names two ("whispering angrily" -> whispered).
DELIVERIES: dict[str, tuple[str, ...]] = {
    "whispered": (
        "whisper", "whispers", "whispering", "whispered", "softly", "quietly", "hushed", "under her breath",
        "under his breath", "under their breath", "murmur", "murmurs", "murmuring", "sotto voce",
        "susurrando", "susurra", "susurro", "en voz baja", "bajito", "chuchotant", "chuchote", "chuchotement",
        "à voix basse", "tout bas", "murmure", "flüsternd", "flüstert", "geflüstert", "leise", "sussurrando",
        "sussurra", "sottovoce", "a bassa voce", "bisbigliando", "baixinho", "em voz baixa", "cochichando",
    ),
    "shouted": (
        "shout", "shouts", "shouting", "yell", "yells", "yelling", "scream", "screams", "screaming", "loudly",
        "calling out", "bellowing", "gritando", "grita", "a gritos", "criant", "crie", "en criant", "hurlant",
        "hurle", "schreiend", "schreit", "rufend", "laut", "urlando", "urla", "gridando", "grida", "berrando",
        "aos gritos",
    ),
    "angry": (
        "angry", "angrily", "furious", "furiously", "annoyed", "irritated", "enraged", "through gritted teeth",
        "seething", "enojado", "enojada", "enfadado", "enfadada", "furioso", "furiosa", "con rabia",
        "en colère", "furieux", "furieuse", "énervé", "énervée", "wütend", "zornig", "verärgert",
        "arrabbiato", "arrabbiata", "irritato", "zangado", "zangada", "irritado", "com raiva",
    ),
    "sad": (
        "sad", "sadly", "crying", "cries", "in tears", "tearful", "tearfully", "sobbing", "sobs", "weeping",
        "mournful", "mournfully", "heartbroken", "triste", "tristemente", "llorando", "entre lágrimas",
        "sollozando", "tristement", "en pleurant", "pleurant", "sanglotant", "traurig", "weinend",
        "schluchzend", "piangendo", "singhiozzando", "chorando", "soluçando",
    ),
    "nervous": (
        "nervous", "nervously", "anxious", "anxiously", "hesitant", "hesitantly", "hesitating", "stammering",
        "stuttering", "scared", "afraid", "fearful", "fearfully", "trembling", "nervioso", "nerviosa",
        "asustado", "asustada", "dudando", "nerveux", "nerveuse", "inquiet", "inquiète", "hésitant",
        "hésitante", "nervös", "ängstlich", "zögernd", "zögerlich", "nervoso", "nervosa", "esitante",
        "spaventato", "spaventata", "hesitante", "com medo", "assustado", "assustada",
    ),
    "excited": (
        "excited", "excitedly", "laughing", "laughs", "giggling", "giggles", "thrilled", "joyful", "joyfully",
        "happily", "cheerful", "cheerfully", "enthusiastic", "enthusiastically", "delighted", "emocionado",
        "emocionada", "riendo", "alegre", "alegremente", "con entusiasmo", "excité", "excitée", "en riant",
        "riant", "joyeux", "joyeuse", "joyeusement", "aufgeregt", "lachend", "begeistert", "fröhlich",
        "eccitato", "eccitata", "emozionato", "emozionata", "ridendo", "entusiasta", "animado", "animada",
        "rindo", "empolgado", "empolgada",
    ),
    "surprised": (
        "surprised", "shocked", "astonished", "amazed", "stunned", "sorprendido", "sorprendida", "asombrado",
        "surpris", "surprise", "étonné", "étonnée", "überrascht", "erstaunt", "sorpreso", "sorpresa",
        "stupito", "surpreso", "surpresa", "espantado",
    ),
    "sarcastic": (
        "sarcastic", "sarcastically", "dryly", "wryly", "ironic", "ironically", "mocking", "mockingly",
        "sarcástico", "sarcástica", "irónico", "irónica", "sarcastique", "ironique", "moqueur", "sarkastisch",
        "ironisch", "spöttisch", "sarcastico", "sarcastica", "ironico", "ironica", "irônico", "irônica",
    ),
    "tender": (
        "tender", "tenderly", "lovingly", "affectionately", "warmly", "sweetly", "cariñosamente", "con cariño",
        "tiernamente", "tendrement", "affectueusement", "zärtlich", "liebevoll", "teneramente",
        "affettuosamente", "carinhosamente", "com carinho", "ternamente",
    ),
    "calm": (
        "calm", "calmly", "gently", "evenly", "serenely", "reassuring", "reassuringly", "soothing", "soothingly",
        "tranquilo", "tranquila", "con calma", "sereno", "serena", "calme", "calmement", "posément",
        "doucement", "ruhig", "gelassen", "sanft", "calmo", "calma", "tranquillo", "tranquilla", "calmamente",
    ),
}

# Parentheticals that are screenplay extensions or stage business, not a way of speaking.
EXTENSIONS = frozenset((
    "o.s", "os", "o.s.", "v.o", "vo", "v.o.", "o.c", "o.c.", "oc", "cont'd", "cont’d", "contd", "cont", "cont.",
    "continuing", "continued", "off", "off screen", "offscreen", "off-screen", "pre-lap", "prelap", "filtered",
    "on phone", "on the phone", "into phone", "on radio", "over radio", "over phone", "beat", "a beat", "pause",
    "then", "to herself", "to himself", "to themselves", "off camera", "en off", "hors champ", "fuera de campo",
    "voz en off", "voix off", "fora de campo",
))


def _fold(s: str) -> str:
    """Casefolded without accents, so "à voix basse" and "a voix basse" match alike."""
    decomposed = unicodedata.normalize("NFKD", s.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


@functools.lru_cache(maxsize=1)
def _pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    index = {_fold(w): key for key, words in DELIVERIES.items() for w in words}
    phrases = sorted(index, key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(p) for p in phrases) + r")(?![\w'])"), index


def delivery_of(parenthetical: str) -> str:
    """The DELIVERIES key a parenthetical names ("" when none does, or it is an extension)."""
    if not parenthetical or len(parenthetical) > 200:
        return ""
    folded = " ".join(_fold(parenthetical).strip(" ()[]").split())
    if folded.rstrip(".") in EXTENSIONS or folded in EXTENSIONS:
        return ""
    pattern, index = _pattern()
    keys = [index[m.group(0)] for m in pattern.finditer(folded)]
    if not keys:
        return ""
    order = list(DELIVERIES)
    return min(keys, key=order.index)
