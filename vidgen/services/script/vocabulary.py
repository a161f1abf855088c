"""The rule parser's word tables, in English, Spanish, French, German, Italian and Portuguese.

Data first (issue 13 extends these tables), then the few lookups that read them. Every lookup is
a dict or set test per word, or one pre-compiled alternation of fixed phrases: linear in the text.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from .common import _WORD

# --------------------------------------------------------------------------- time of day

# Words of free text (action, narration) that name a time of day. Words with a common second
# meaning are left out here ("day", "tarde" = late, "sera" = will be) and kept for headings below.
TIME_WORDS: dict[str, tuple[str, ...]] = {
    "night": (
        "night", "nights", "midnight", "moon", "moonlight", "moonlit", "nighttime", "starlight",
        "noche", "medianoche", "nocturno", "nuit", "minuit", "nacht", "nachts", "mitternacht", "notte", "mezzanotte",
        "noite", "meia-noite",
    ),
    "dawn": (
        "dawn", "sunrise", "daybreak", "amanecer", "alba", "madrugada", "aube", "morgendämmerung", "morgengrauen",
        "sonnenaufgang",
        "amanhecer", "alvorada", "alvorecer",
    ),
    "dusk": (
        "sunset", "dusk", "twilight", "evening", "nightfall", "atardecer", "anochecer", "ocaso", "crepúsculo",
        "crépuscule", "soir", "soirée", "abend", "abenddämmerung", "sonnenuntergang", "dämmerung", "tramonto",
        "crepuscolo", "imbrunire", "entardecer", "anoitecer", "pôr-do-sol",
    ),
    "day": (
        "noon", "midday", "morning", "sunny", "afternoon", "daylight", "daytime", "sunshine", "mediodía",
        "matin", "après-midi", "mittag", "nachmittag", "vormittag", "mattina", "mattino", "mezzogiorno",
        "pomeriggio", "manhã", "meio-dia",
    ),
}
# Heading time words (after the dash of a slugline: "BEACH - NOCHE"), upper-cased.
SLUG_TIMES: dict[str, tuple[str, ...]] = {
    "inherit": ("CONTINUOUS", "LATER", "SAME", "CONT", "CONTINUO", "CONTINUA", "CONTINUACIÓN", "PLUS TARD",
                "SUITE", "SPÄTER", "DOPO", "DEPOIS", "MÁS TARDE", "MAIS TARDE", "ПОЗЖЕ"),
    "night": ("NIGHT", "MIDNIGHT", "NIGHTTIME", "NOCHE", "NUIT", "NACHT", "NOTTE", "NOITE", "НОЧЬ", "夜", "晚"),
    "dusk": ("EVENING", "DUSK", "SUNSET", "TWILIGHT", "NIGHTFALL", "MAGIC HOUR", "ATARDECER", "ANOCHECER",
             "TARDE", "SOIR", "CRÉPUSCULE", "ABEND", "DÄMMERUNG", "SERA", "TRAMONTO", "ENTARDECER", "ANOITECER",
             "ВЕЧЕР", "夕方", "黄昏"),
    "dawn": ("DAWN", "SUNRISE", "DAYBREAK", "AMANECER", "ALBA", "MADRUGADA", "AUBE", "AURORE", "MORGENGRAUEN",
             "SONNENAUFGANG", "AMANHECER", "РАССВЕТ", "夜明け", "黎明"),
    "day": ("DAY", "MORNING", "AFTERNOON", "NOON", "MIDDAY", "DAYTIME", "DÍA", "DIA", "MAÑANA", "JOUR", "MATIN",
            "TAG", "MORGEN", "MITTAG", "GIORNO", "MATTINA", "POMERIGGIO", "MANHÃ", "ДЕНЬ", "УТРО", "日", "天", "朝", "昼"),
}

# --------------------------------------------------------------------------- sluglines

# Prefixes of a scene heading and whether they mean inside (True), outside (False) or both (None).
# Ordered longest first so "INT./EXT." is not read as "INT.". `lower_ok`: also accepted in lower case
# inside a screenplay ("int. lab - morning"); the others are ordinary words in lower case.
SLUG_PREFIXES: tuple[tuple[str, bool | None, bool], ...] = (
    (r"int\.?\s*/\s*ext", None, True), (r"ext\.?\s*/\s*int", None, True), (r"i\.?\s*/\s*e", None, True),
    (r"interior", True, False), (r"exterior", False, False), (r"innen", True, False), (r"au(?:ss|ß)en", False, False),
    (r"инт", True, True), (r"нат", False, True), (r"экст", False, True),
    (r"int", True, True), (r"ext", False, True), (r"est", False, True),
)
_SLUG = re.compile(
    r"^(" + "|".join(p for p, _, _ in SLUG_PREFIXES) + r")(?:[.。．]|\s|(?=[-–—]))\s*[-–—]?\s*(.*)$", re.I
)
_SCENE_NUMBER = re.compile(r"\s*#[^#\s]{1,12}#\s*$")


def slug_match(s: str, *, strict: bool = False) -> tuple[str, str] | None:
    """(prefix, rest) when `s` is a scene heading. `strict` (form detection) wants the prefix in
    capitals, so "int main()" or "Innen ist es dunkel" are not screenplay headings."""
    m = _SLUG.match(s)
    if not m or not m.group(2).strip() or not any(c.isalpha() for c in m.group(2)):
        return None
    prefix = m.group(1)
    lower_ok = next(ok for p, _, ok in SLUG_PREFIXES if re.fullmatch(p, prefix, re.I))
    if (strict or not lower_ok) and not prefix.isupper():
        return None
    if prefix.lower() == "est" and not prefix.isupper():
        return None  # "est." in lower case is an abbreviation ("Est. 1920"), never a heading
    return prefix, m.group(2)


def strong_slug(s: str) -> bool:
    """A heading in capitals ("INT. WARD - NIGHT"): a heading even without a blank line above it."""
    slug = slug_match(s, strict=True)
    return bool(slug) and slug[1] == slug[1].upper() and slug[0].upper() != "EST"


def slug_interior(prefix: str) -> bool | None:
    for pattern, inside, _ in SLUG_PREFIXES:
        if re.fullmatch(pattern, prefix, re.I):
            return inside
    return None


def slug_time(word: str) -> str:
    """The time a heading's last part names ("NIGHT", "NOCHE", "ДЕНЬ"), "inherit" for CONTINUOUS."""
    up = " ".join(_WORD.findall(word.upper()))
    tokens = set(up.split())
    for time, words in SLUG_TIMES.items():
        for w in words:
            if (" " in w and w in up) or w in tokens or (len(w) == 1 and not w.isascii() and w in word):
                return time
    return ""


# Transitions of screenplays in other languages (English ones end with "TO:" or are FADE IN/OUT ...).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "fade": ("FUNDIDO", "FUNDIDO A NEGRO", "FUNDE", "FONDU", "FONDU AU NOIR", "FONDU ENCHAÎNÉ", "AUFBLENDE",
             "ABBLENDE", "ASSOLVENZA", "DISSOLVENZA IN NERO", "FADE-IN", "FADE-OUT", "ЗТМ", "ИЗ ЗТМ",
             "フェードイン", "フェードアウト", "溶明", "溶暗", "淡入", "淡出"),
    "dissolve": ("ENCADENADO", "ENCHAÎNÉ", "ÜBERBLENDUNG", "DISSOLVENZA", "DISSOLVE PARA", "ПЛАВНЫЙ ПЕРЕХОД"),
    "cut": ("CORTE A", "CORTA PARA", "CORTE PARA", "COUPE", "SCHNITT", "SCHNITT ZU", "STACCO", "STACCO SU",
            "СМЕНА КАДРА", "カット", "切至"),
}


def transition_word(s: str) -> str:
    """The transition kind of a whole line in another language ("FUNDIDO A NEGRO.", "淡入："), or ""."""
    bare = s.strip().rstrip(":：.。").strip().upper()
    for kind, words in TRANSITIONS.items():
        if bare in words:
            return kind
    return ""


# --------------------------------------------------------------------------- weather

WEATHER_WORDS: dict[str, tuple[str, ...]] = {
    "storm": (
        "storm", "storms", "stormy", "thunderstorm", "thunder", "lightning", "tempest", "hurricane", "typhoon",
        "tormenta", "tormentas", "tempestad", "tormentoso", "tempestuoso", "trueno", "truenos", "relámpago", "huracán", "orage", "orageux", "tempête",
        "tonnerre", "ouragan", "gewitter", "unwetter", "sturm", "donner", "temporale", "tempesta", "tuono",
        "fulmine", "uragano", "tempestade", "trovoada", "trovão", "relâmpago", "furacão",
    ),
    "snow": (
        "snow", "snows", "snowing", "snowy", "snowfall", "snowflakes", "blizzard", "nieve", "nieva", "nevada",
        "ventisca", "neige", "neiger", "enneigé", "enneigée", "enneigées", "enneigés", "schnee", "schneit", "schneesturm",
        "verschneit", "verschneite", "verschneiten", "verschneiter", "neve", "nevica", "nevicata", "nevando", "nevasca",
        "innevato", "innevata", "innevati", "innevate", "nevado", "nevados", "nevadas", "nevoso", "nevosa",
    ),
    "rain": (
        "rain", "rains", "raining", "rainy", "drizzle", "downpour", "raindrops", "lluvia", "llueve", "llovizna",
        "lloviendo", "pluie", "pleut", "bruine", "averse", "regen", "regnet", "nieselregen", "pioggia", "piove",
        "piovendo", "chuva", "chove", "chovendo", "garoa",
    ),
    "fog": (
        "fog", "foggy", "mist", "misty", "haze", "hazy", "niebla", "bruma", "neblina", "brouillard", "brume",
        "nebel", "neblig", "dunst", "nebbia", "foschia", "nebbioso", "nevoeiro", "névoa",
    ),
    "wind": (
        "wind", "winds", "windy", "gust", "gusts", "gale", "viento", "ventoso", "ráfaga", "vendaval", "venteux",
        "rafale", "bourrasque", "windig", "böe", "böen", "vento", "ventoso", "raffica", "ventania",
    ),
    "cloudy": (
        "cloudy", "overcast", "clouds", "nublado", "nubes", "nuboso", "nuageux", "nuages", "ciel couvert", "bewölkt",
        "wolken", "wolkig", "nuvoloso", "nuvole", "cielo coperto", "nuvens", "encoberto",
    ),
    "clear": (
        "clear sky", "clear skies", "cloudless", "cielo despejado", "despejado", "ciel dégagé", "ciel bleu",
        "wolkenlos", "klarer himmel", "cielo sereno", "céu limpo", "céu azul",
    ),
}
# When a scene names two, the one that changes the picture most wins.
_WEATHER_PRIORITY = ("storm", "snow", "rain", "fog", "wind", "cloudy", "clear")

# --------------------------------------------------------------------------- shot types

# Phrases are matched case-insensitively; SHOT_ABBREVIATIONS only in capitals ("CU", "WIDE", "POV"),
# since "wide" and "ms" are ordinary words in lower case.
SHOT_WORDS: dict[str, tuple[str, ...]] = {
    "extreme close-up": (
        "extreme close-up", "extreme close up", "extreme closeup", "plano detalle", "primerísimo primer plano",
        "très gros plan", "detailaufnahme", "primissimo piano", "plano detalhe",
    ),
    "close-up": (
        "close-up", "close up", "closeup", "close on", "closer on", "primer plano", "gros plan", "nahaufnahme",
        "großaufnahme", "primo piano", "primeiro plano", "grande plano",
    ),
    "over the shoulder": (
        "over the shoulder", "over-the-shoulder", "sobre el hombro", "par-dessus l'épaule", "über die schulter",
        "sopra la spalla", "por cima do ombro",
    ),
    "aerial": (
        "aerial shot", "aerial view", "drone shot", "bird's-eye view", "bird's eye view", "overhead shot",
        "plano aéreo", "toma aérea", "vista aérea", "vue aérienne", "plan aérien", "luftaufnahme",
        "vogelperspektive", "ripresa aerea", "vista aerea", "tomada aérea",
    ),
    "point of view": (
        "point of view", "p.o.v.", "pov", "plano subjetivo", "plan subjectif", "subjektive", "soggettiva",
        "ponto de vista",
    ),
    "wide": (
        "wide shot", "wide angle", "long shot", "establishing shot", "plano general", "gran plano general",
        "plan large", "plan d'ensemble", "plan général", "weitwinkel", "campo lungo", "campo lunghissimo",
        "plano geral", "plano aberto",
    ),
    "medium": (
        "medium shot", "mid shot", "medium close-up", "plano medio", "plano americano", "plan moyen",
        "plan américain", "halbtotale", "halbnah", "piano medio", "mezza figura", "plano médio",
    ),
}
SHOT_ABBREVIATIONS: dict[str, str] = {
    "ECU": "extreme close-up", "XCU": "extreme close-up", "CU": "close-up", "CLOSE": "close-up",
    "WIDE": "wide", "WS": "wide", "LS": "wide", "ELS": "wide", "MCU": "medium", "OTS": "over the shoulder",
    "AERIAL": "aerial", "POV": "point of view",
}

# --------------------------------------------------------------------------- sound cues

# A line or bracket that starts with one of these labels is a sound cue, never spoken.
SOUND_LABELS = ("sfx", "fx", "sound", "sounds", "sound effect", "sound effects", "audio", "music", "efecto de sonido",
                "sonido", "bruitage", "geräusch", "geräusche", "effetto sonoro", "suono", "efeito sonoro")
# Sound words that Fountain writers put in capitals inside action ("A great THUD sounds").
SOUND_WORDS = frozenset((
    "BANG", "BANGS", "BOOM", "BOOMS", "THUD", "THUDS", "CRASH", "CRASHES", "SLAM", "SLAMS", "KNOCK", "KNOCKS",
    "KNOCKING", "RING", "RINGS", "RINGING", "BEEP", "BEEPS", "BEEPING", "CLICK", "CLICKS", "CREAK", "CREAKS",
    "THUNDER", "EXPLOSION", "EXPLODES", "GUNSHOT", "GUNSHOTS", "HONK", "HONKS", "SIREN", "SIRENS", "WHOOSH",
    "SPLASH", "CRACK", "CRACKS", "BUZZ", "BUZZES", "HISS", "HISSES", "ROAR", "ROARS", "CLANG", "CLANGS", "THUMP",
    "THUMPS", "SNAP", "RUMBLE", "RUMBLES", "SCREECH", "SCREECHES", "SHATTER", "SHATTERS", "BARK", "BARKS",
    "WHISTLE", "THUNK", "CLATTER", "BLAST", "CHIME", "CHIMES", "ALARM", "POP", "POPS", "SMASH", "DING",
))


# --------------------------------------------------------------------------- lookups


def _fold(s: str) -> str:
    return unicodedata.normalize("NFC", s.casefold())


_ELISION = re.compile(r"^[^\W\d_]{1,5}['’]")


@functools.lru_cache(maxsize=1)
def _time_index() -> dict[str, str]:
    return {_fold(w): t for t, words in TIME_WORDS.items() for w in words}


def words_time(text: str) -> str:
    """Time of day named by the text's words: the most frequent, the earliest on a tie."""
    index = _time_index()
    counts: dict[str, list[int]] = {}
    for pos, w in enumerate(_WORD.findall(_fold(text))):
        t = index.get(w) or index.get(_ELISION.sub("", w))  # "l'aube", "all'alba"
        if t:
            counts.setdefault(t, [0, pos])[0] += 1
    if not counts:
        return ""
    return min(counts, key=lambda t: (-counts[t][0], counts[t][1]))


@functools.lru_cache(maxsize=None)
def _phrase_pattern(table: str) -> re.Pattern[str]:
    words = WEATHER_WORDS if table == "weather" else SHOT_WORDS
    phrases = sorted({_fold(p) for group in words.values() for p in group}, key=len, reverse=True)
    # An elided article may precede ("l'orage"); nothing may follow ("storm's" is not "storm").
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?![\w'])")


@functools.lru_cache(maxsize=None)
def _phrase_index(table: str) -> dict[str, str]:
    words = WEATHER_WORDS if table == "weather" else SHOT_WORDS
    return {_fold(p): k for k, group in words.items() for p in group}


def words_weather(text: str) -> str:
    """One of domain.WEATHERS named by the text, or "": the most named, the most visible on a tie."""
    folded = _fold(text)
    index = _phrase_index("weather")
    counts: dict[str, int] = {}
    for m in _phrase_pattern("weather").finditer(folded):
        counts[index[m.group(0)]] = counts.get(index[m.group(0)], 0) + 1
    if not counts:
        return ""
    return min(counts, key=lambda w: (-counts[w], _WEATHER_PRIORITY.index(w)))


def words_shot(*texts: str) -> str:
    """One of domain.SHOTS named by the first text that names one (camera directions first)."""
    index = _phrase_index("shot")
    for text in texts:
        found: list[tuple[int, str]] = []
        m = _phrase_pattern("shot").search(_fold(text))
        if m:
            found.append((m.start(), index[m.group(0)]))
        for am in re.finditer(r"(?<![\w'])[A-Z]{2,6}(?![\w'])", text):
            shot = SHOT_ABBREVIATIONS.get(am.group(0))
            if shot:
                found.append((am.start(), shot))
                break
        if found:
            return min(found)[1]
    return ""
