"""Characters the script introduces without a line of their own, and what it says they look like.

Fountain introduces a character in capitals with a description: "HENRIK (60s), a baker in a
flour-dusted apron, kneads the dough." Prose and storyboards name them with a capital: "Old Henrik
kneads the dough." Both are read with per-line token scans (no backtracking regex over a line).
Precision matters more than recall here: a wrong name puts a stranger in every picture, so a
prose name needs to act (be followed by a verb) and must never be a day, a month, a place after
"in/at/to", a word the text also writes in lower case, or a common sentence opener.
"""

from __future__ import annotations

import re

from .common import _Raw
from .directions import _display_name, _strip_md
from .labels import NOT_SPEAKERS
from .vocabulary import SOUND_WORDS, TIME_WORDS, WEATHER_WORDS

_MAX_LINE = 2000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
_AGE = re.compile(
    r"(?i)(?<![\w])(?:(?:early|mid|late)[\s-]*)?\d{1,2}0s(?![\w])|(?<![\w])\d{1,3}(?:\s*(?:years?|yrs?)[\s-]*old|"
    r"[\s-]*year[\s-]*old)(?![\w])|(?<![\w])(?:aged|age)\s+\d{1,3}(?![\w])|(?<![\w])in\s+(?:his|her|their)\s+"
    r"(?:early\s+|mid\s+|late\s+)?(?:teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)"
    r"(?![\w])|(?<![\w])(?:teenage|teenager|elderly|middle-aged|a child|a little (?:girl|boy))(?![\w])"
    r"|(?:^|(?<=, ))\d{1,2}(?=\s*(?:,|$))|^(?:old|young|elderly|little)$"  # "her brother, 12" / "30, a nurse": a bare number in the list
)
_CLOTHES = (
    "apron coat jacket dress suit shirt t-shirt blouse hat cap beanie robe robes uniform jeans trousers pants "
    "skirt sweater jumper hoodie scarf boots shoes sneakers gown cloak overalls vest tie glasses sunglasses "
    "helmet armor armour kimono sari tuxedo pyjamas pajamas cardigan parka raincoat gloves veil turban hijab scrubs "
    "overcoat blazer leggings shorts sandals"
).split()
_CLOTHING = re.compile(r"(?i)(?<![\w])(?:wearing|dressed in|in)\s+([^,;.]{1,80})")
_NEVER_NAMES = frozenset(w.lower() for w in (
    "The A An This That These Those Then When While After Before Suddenly Later Meanwhile Every Each Our We You "
    "They He She It I In At On Of For From By With Without Into Onto Over Under Near Here There Now Today "
    "Tonight Tomorrow Yesterday Soon Finally First Next Last Once Again Outside Inside Above Below Behind Across "
    "Everyone Everybody Everything Someone Somebody Something Nobody Nothing No Yes Not All Some Many Most Few "
    "Both His Her Their Its My Your Old Young Little Big Long Slowly Quickly Silence Scene Camera Narrator Close "
    "Cut Fade Int Ext Day Night Dawn Dusk Morning Evening God Lord Mr Mrs Ms Dr Sir Madam Mom Mum Dad Mother "
    "Father Grandma Grandpa Chapter Part Act End Title But And Or So If As Because Although Though Until Since "
    "Hello Hi Oh Okay Ok Well What Why How Where Who Which Whose Whom Let Please Thank Thanks Look Listen Wait "
    "Come Go Stop Remember Imagine Welcome Today Sure Yes English Spanish French German Italian Portuguese"
).split()) | frozenset((
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december lunes martes miércoles jueves viernes sábado domingo enero febrero "
    "lundi mardi mercredi jeudi vendredi samedi dimanche janvier février montag dienstag mittwoch donnerstag "
    "freitag samstag sonntag januar februar"
).split())
_PLACE_WORDS = frozenset("in at to from into near across through toward towards around inside outside en à "
                         "nach aus bei im zu a de del di da dans vers".split())
_VERB_WORDS = frozenset("is was has had can will could would may might must says said smiles nods laughs cries "
                        "looks walks runs sits stands turns opens closes takes gives kneads waits stops".split())


def _verb_like(word: str) -> bool:
    """"kneads", "walked", "is": a word that can follow a name as its verb (English)."""
    if not word[:1].islower():
        return False
    return word in _VERB_WORDS or (len(word) > 3 and (word.endswith("ed") or (word.endswith("s") and not word.endswith("ss"))))


def age_of(description: str) -> str:
    """The age a description states ("60s", "7 year-old", "in her sixties"), as written."""
    m = _AGE.search(description[:_MAX_LINE])
    return m.group(0).strip() if m else ""


def clothing_of(description: str) -> str:
    """What a description says the character wears ("a flour-dusted apron"), "" when it does not."""
    for m in _CLOTHING.finditer(description[:_MAX_LINE]):
        phrase = m.group(1).strip()
        words = set(re.findall(r"[\w-]+", phrase.lower()))
        if words & set(_CLOTHES):
            return re.split(r"\s+(?:and|who|that|with)\s+(?=[a-z]+s\b)", phrase)[0].strip()
    return ""


def _description_after(rest: str) -> str:
    """'(30s), a marine biologist, stares out. More.' -> '30s, a marine biologist, stares out'."""
    rest = _SENTENCE_END.split(rest.strip(), maxsplit=1)[0]
    return " ".join(rest.replace("(", "").replace(")", "").split()).strip(" ,.;:")


def describe_speakers(scenes: list[_Raw], action: list[str]) -> dict[str, str]:
    """'SARAH (30s), a marine biologist, stares.' -> {'sarah': '30s, a marine biologist, stares'}; the
    name may carry a surname in capitals ('BRICK BRADDOCK, retired police detective')."""
    names: list[str] = []
    for sc in scenes:
        for ln in sc.lines:
            if ln.speaker and ln.speaker not in names:
                names.append(ln.speaker)
    out: dict[str, str] = {}
    for name in names:
        pattern = re.compile(r"(?<![\w])" + re.escape(name.upper()) + r"(?![\w])")
        for text in action:
            m = pattern.search(text[:_MAX_LINE])
            if not m:
                continue
            rest = text[m.end():_MAX_LINE]
            surname = re.match(r"^(?:\s+[^\W\d_][^\W\d_'’.\-]*){1,2}(?=\s*[(,])", rest)
            if surname and surname.group(0).isupper():
                rest = rest[surname.end():]
            if rest.lstrip()[:1] in ("(", ","):
                desc = _description_after(rest)
                if desc:
                    out[name.casefold()] = _strip_md(desc)
            break
    return out


def caps_introductions(action: list[str], known: dict[str, str]) -> dict[str, str]:
    """Non-speaking characters introduced in capitals with an age or a description:
    'HENRIK (60s), a baker ...' -> {'Henrik': '60s, a baker ...'}."""
    speakers = {k.casefold() for k in known}
    out: dict[str, str] = {}
    for text in action:
        tokens = list(re.finditer(r"\S+", text[:_MAX_LINE]))
        k = 0
        while k < len(tokens):
            run: list[str] = []
            j = k
            while j < len(tokens) and len(run) < 3:
                word = tokens[j].group(0).rstrip(",").strip("\"“”(")
                if len(word) < 2 or not word.isupper() or not any(c.isalpha() for c in word) or "(" in word:
                    break
                run.append(word)
                if tokens[j].group(0).endswith(","):
                    j += 1
                    break
                j += 1
            if not run:
                k += 1
                continue
            end = tokens[j - 1].end()
            rest = text[end:_MAX_LINE]
            comma = tokens[j - 1].group(0).endswith(",")
            k = j
            name = " ".join(run)
            if any(w in SOUND_WORDS or w.lower() in NOT_SPEAKERS for w in run) or len(name) < 3:
                continue
            if not comma and not rest.lstrip().startswith("("):
                continue
            desc = _description_after(("," if comma else "") + rest)
            first = desc.split()[0] if desc.split() else ""
            if not first or not (first[0].islower() or first[0].isdigit()):
                continue  # "CHALF, NAR, and YOR": a list of names, not a description
            if any(w.casefold() in speakers for w in _display_name(name).split()):
                continue  # a speaker's introduction: describe_speakers has it
            out.setdefault(_display_name(name), _strip_md(desc))
    return out


def prose_names(texts: list[str], *, openers: bool = True) -> dict[str, str]:
    """Capitalised names that act in prose ("Old Henrik kneads the dough"), with an appositive
    description when one follows the name ("Henrik, a baker, ..."). With `openers`, a name that only
    starts sentences counts too when it recurs and acts ("Alex walks in. Alex buys bread.")."""
    lowered: set[str] = set()
    places: set[str] = set()
    seen: dict[str, list[tuple[bool, bool]]] = {}  # name -> (sentence start, followed by a verb)
    described: dict[str, str] = {}
    common = {w for group in (*TIME_WORDS.values(), *WEATHER_WORDS.values()) for w in group}
    capitalised = total = 0
    for text in texts:
        for sentence in _SENTENCE_END.split(text[:_MAX_LINE * 4]):
            tokens = re.findall(r"[^\W\d_][\w'’\-]*|[^\w\s]", sentence)
            words = [t for t in tokens if t[0].isalpha()]
            for w in words[1:]:
                if len(w) > 1:  # "I" says nothing about the language
                    total += 1
                    capitalised += w[0].isupper()
            for idx, tok in enumerate(tokens):
                if not tok[0].isalpha():
                    continue
                if tok[0].islower():
                    lowered.add(tok.lower())
                    continue
                if tok.isupper() and len(tok) > 1:
                    continue  # capitals are Fountain's business, or an acronym
                prev = tokens[idx - 1].lower() if idx else ""
                if prev in _PLACE_WORDS:
                    places.add(tok)
                    continue
                start = idx == 0 or (idx == 1 and not tokens[0][0].isalpha())
                nxt = tokens[idx + 1] if idx + 1 < len(tokens) else ""
                verb = bool(nxt) and _verb_like(nxt)
                if prev in ("old", "young", "elderly", "little") and tok not in described:
                    described[tok] = prev  # "Old Henrik kneads ...": all the text says of him
                if nxt == ",":  # "Lena, his granddaughter, opens the shop": the verb after the appositive
                    appositive, comma, tail = sentence.split(tok + ",", 1)[-1].partition(",")
                    appositive = appositive.strip()
                    if appositive[:1].islower() and comma and len(appositive.split()) <= 12:
                        described.setdefault(tok, appositive)
                        after = tail.split()[:1]
                        verb = bool(after) and _verb_like(after[0])
                seen.setdefault(tok, []).append((start, verb))
    if total >= 20 and capitalised * 4 > total:
        return {}  # German nouns or Title Case text: capitals say nothing about names here
    out: dict[str, str] = {}
    for name, uses in seen.items():
        low = name.lower()
        if low in _NEVER_NAMES or low in lowered or low in common or low in NOT_SPEAKERS:
            continue
        acts = [verb for start, verb in uses if not start]
        if name in places and not any(acts):
            continue  # "flew to Paris ... Paris sleeps": a place
        if any(acts) or (openers and len(uses) >= 2 and sum(verb for _, verb in uses) >= 1 and len(name) > 2):
            out[name] = described.get(name, "")
    return out
