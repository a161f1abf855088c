"""`Key:` labels of storyboards and production scripts, and the words that are never speakers.

A label says what its text is for: the picture (VISUAL, ON SCREEN, B-ROLL, SLIDE), the voice
(NARRATOR, VO, VO Script), the sound track (SFX, AUDIO, MUSIC), the camera, the mood, the place or
the time. Labels marked as production labels are the ones a user may not expect the parser to
know, so the parse notes that it left them out of the speech.
"""

from __future__ import annotations

import re

# kind -> (classic storyboard labels, production labels)
LABELS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "visual": (
        frozenset({"visual", "visuals", "image", "picture", "shot", "action", "description", "scene"}),
        frozenset({
            "on screen", "onscreen", "on-screen", "b-roll", "b roll", "broll", "visual content", "visual cue",
            "visual description", "slide", "graphic", "graphics", "footage", "stock footage", "screen", "video",
            "overlay", "illustration", "animation", "scene description", "imagen", "visuel", "bild", "immagine",
            "imagem", "pantalla", "écran", "tela",
        }),
    ),
    "narration": (
        frozenset({"narrator", "narration", "vo", "v.o", "v.o.", "voiceover", "voice-over", "voice over", "voice"}),
        frozenset({
            "vo script", "v.o. script", "voiceover script", "voice-over script", "narration script", "script",
            "narrador", "narradora", "narración", "narrateur", "narratrice", "voix off", "erzähler",
            "erzählerin", "sprecher", "sprecherin", "narratore", "narratrice", "locução", "locutor", "narração",
        }),
    ),
    "sound": (
        frozenset({"sound", "sfx", "sound effect", "sound effects"}),
        frozenset({"audio", "fx", "ambience", "ambient sound", "soundtrack", "bgm", "background music",
                   "efecto de sonido", "sonido", "bruitage", "geräusch", "geräusche", "effetto sonoro",
                   "efeito sonoro"}),
    ),
    "music": (frozenset({"music"}), frozenset({"música", "musique", "musik", "musica"})),
    "camera": (frozenset({"camera", "cam", "camera move", "camera movement", "motion", "movement"}), frozenset()),
    "mood": (frozenset({"mood", "tone", "score", "atmosphere"}), frozenset()),
    "location": (frozenset({"location", "setting", "place", "where"}), frozenset()),
    "time": (frozenset({"time", "time of day", "when"}), frozenset()),
    "transition": (frozenset({"transition"}), frozenset()),
    "ignored": (
        frozenset({
            "note", "notes", "duration", "length", "caption", "text", "on-screen text", "subtitle", "title card",
            "lower third", "text on screen", "super", "chyron",
        }),
        frozenset(),
    ),
}
_KIND: dict[str, str] = {k: kind for kind, (a, b) in LABELS.items() for k in a | b}
_PRODUCTION: frozenset[str] = frozenset(k for _, b in LABELS.values() for k in b)

NARRATOR_NAMES = frozenset({
    "narrator", "narration", "vo", "v.o", "voiceover", "voice-over", "narrador", "narradora", "narrateur",
    "narratrice", "erzähler", "erzählerin", "narratore", "locutor",
})

# Words that end in a colon but are never a character's name.
NOT_SPEAKERS = frozenset({
    "title", "characters", "cast", "author", "by", "date", "warning", "tip", "hint", "example",
    "summary", "synopsis", "logline", "genre", "update", "edit", "source", "credit", "http", "https",
    "ftp", "mailto", "remember", "important", "question", "answer", "q", "a", "result", "reason",
    "step", "fact", "rule", "lesson", "moral", "why", "what", "how", "where", "who", "meanwhile",
    "later", "finally", "first", "second", "third", "next", "then", "now", "today", "tomorrow",
    "yesterday", "however", "but", "and", "so", "chapter", "part", "act", "page", "ps", "p.s.",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "ingredients", "format", "style", "length", "total", "target audience",
    "audience", "objective", "goal", "goals", "purpose", "platform", "runtime", "topic", "theme",
    "key message", "keywords", "hashtags", "tags", "call to action", "cta", "intro", "introduction",
    "outro", "conclusion", "hook", "definition", "note to editor", "feedback", "review", "comments",
    "insert", "intercut", "montage", "flashback", "back to", "series of shots", "establishing", "pov",
    "int", "ext", "est", "fade in", "fade out", "cut to", "dissolve to", "the end", "end", "time cut",
    "tl;dr", "tldr", "key takeaways", "takeaways", "key points",
})

# A capitalised `WORDS:` in screenplay action with one of these words is a direction, not a cue
# ("SINGLE SHOTS: Edward leads his team", "ANGLE ON: the door", "SUPER: Three years later").
DIRECTION_WORDS = frozenset((
    "SHOT", "SHOTS", "ANGLE", "ANGLES", "CLOSE", "CLOSEUP", "WIDE", "INSERT", "SUPER", "TITLE", "TITLES", "MONTAGE",
    "SERIES", "INTERCUT", "POV", "VIEW", "FLASHBACK", "FLASHFORWARD", "CARD", "CAPTION", "SCREEN", "MATCH", "CUT",
    "FADE", "DISSOLVE", "TEXT", "SIGN", "NOTE", "NOTES", "CHYRON", "ON", "BACK", "LATER", "MOMENTS", "CONTINUED",
    "CONTINUOUS", "SCENE", "SEQUENCE", "END", "SUBTITLE", "SUBTITLES", "LEGEND", "OVERLAY", "GRAPHIC", "TRACKING",
    "AERIAL", "ESTABLISHING", "REVERSE", "ANGLE", "OMITTED", "DREAM", "FANTASY", "MEMORY", "PAN", "ZOOM", "TILT",
))

# Above the first scene: metadata lines that are never spoken.
META_KEYS = frozenset({
    "title", "author", "by", "logline", "genre", "format", "style", "written by", "date", "draft", "duration",
    "length", "synopsis", "summary", "target audience", "audience", "objective", "goal", "purpose",
    "platform", "runtime", "video length", "estimated length", "estimated duration", "word count", "topic",
    "theme", "key message", "keywords", "hashtags", "tags", "tone of voice", "language", "aspect ratio",
})

# Anywhere in the text: lines about the video, never part of it ("Target Audience: teens").
VIDEO_META = frozenset({
    "target audience", "audience", "objective", "goal", "goals", "purpose", "platform", "runtime",
    "video length", "estimated length", "estimated duration", "estimated runtime", "total runtime",
    "word count", "keywords", "hashtags", "tags", "tone of voice", "aspect ratio", "video type",
    "video format", "seo title", "thumbnail", "thumbnail text",
})

CAST_HEAD = re.compile(
    r"^(?:#{1,6}\s*)?[*_]*(characters|cast|cast of characters|dramatis personae|personajes|personnages|"
    r"figuren|personaggi|personagens)[*_]*\s*[:：]?\s*[*_]*$",
    re.I,
)


def label_kind(key: str) -> str | None:
    """What a `Key:` label's text is for (a LABELS kind), or None when it is no label."""
    return _KIND.get(" ".join(key.split()).lower())


def is_production_label(key: str) -> bool:
    return " ".join(key.split()).lower() in _PRODUCTION


def is_narrator(name: str) -> bool:
    return name.strip().lower().rstrip(".") in NARRATOR_NAMES
