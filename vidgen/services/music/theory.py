"""The composer's music theory: moods and genres as data, keys, chords and the plan a request
resolves to (sections, loop points). Below the arrangement and the composer front; pure Python."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field

from ...domain import MOODS
from ...errors import VidgenError

SAMPLE_RATE = 44100
BEATS_PER_BAR = 4
PHRASE_BARS = 8  # the 4-chord progression twice: the melody asks, then answers
TEMPO_RANGE = (40, 220)
MIN_SECONDS, MAX_SECONDS = 1.0, 3600.0
MAX_COMPOSE_SECONDS = 90.0  # longer requests loop their second phrase instead of composing more
RING_SECONDS = 1.5  # at least this much of the final chord rings after the last bar
RELEASE_SECONDS = 0.6  # the final chord is released this long before the end
FADE_OUT_SECONDS = 2.5
MAX_INSTRUMENTS = 4  # melody, chords, bass, pad

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
MODES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
_KEY = re.compile(r"^\s*([A-Ga-g])\s*([#b]?)\s*(major|minor|maj|min|m)?\s*$", re.I)
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII")


@dataclass(frozen=True)
class MoodStyle:
    mode: str
    tonic: str  # default key
    tempo: int
    genre: str  # default genre
    energy: float  # 0..1: loudness and melody density
    progressions: tuple[tuple[int, ...], ...]  # scale degrees (0 = tonic), one chord per bar


MOOD_STYLES: dict[str, MoodStyle] = {
    "joyful": MoodStyle("major", "G", 120, "electronic", 0.8, ((0, 4, 5, 3), (0, 3, 4, 3), (0, 5, 3, 4))),
    "calm": MoodStyle("major", "F", 72, "ambient", 0.3, ((0, 3, 0, 4), (0, 5, 3, 4), (3, 0, 3, 4))),
    "sad": MoodStyle("minor", "D", 66, "piano", 0.35, ((0, 5, 2, 6), (0, 3, 5, 4), (0, 6, 5, 6))),
    "tense": MoodStyle("minor", "E", 104, "cinematic", 0.7, ((0, 5, 0, 4), (0, 1, 5, 4), (0, 0, 3, 4))),
    "mysterious": MoodStyle("minor", "B", 80, "ambient", 0.4, ((0, 6, 5, 4), (0, 5, 1, 4), (0, 3, 5, 2))),
    "romantic": MoodStyle("major", "Eb", 76, "orchestral", 0.45, ((0, 5, 3, 4), (0, 2, 5, 3), (0, 4, 5, 3))),
    "epic": MoodStyle("minor", "C", 96, "cinematic", 0.9, ((0, 5, 2, 6), (5, 6, 0, 0), (0, 6, 5, 6))),
    "neutral": MoodStyle("major", "C", 88, "lofi", 0.5, ((1, 4, 0, 5), (0, 5, 1, 4), (0, 3, 4, 0))),
}


@dataclass(frozen=True)
class Genre:
    melody: int  # General MIDI programs (0-based) per role
    chords: int
    bass: int
    pad: int | None
    drums: str  # a DRUM_PATTERNS name, "" for none
    comping: str  # how the chords are played: arpeggio | pulse | stabs
    bassline: str  # root | root_fifth | pulse | walking
    chord_style: str  # triads | sevenths | power
    swing: float  # 0 = straight eighths; 1/3 = triplet swing
    tempo_range: tuple[int, int]  # the mood's tempo is clamped into it
    sound: str  # how it sounds, in words (MusicGen prompts)


GENRES: dict[str, Genre] = {
    "ambient": Genre(11, 46, 42, 89, "", "arpeggio", "root", "triads", 0.0, (56, 90),
                     "warm synth pads, soft vibraphone and harp"),
    "orchestral": Genre(40, 46, 43, 48, "", "arpeggio", "root_fifth", "triads", 0.0, (56, 126),
                        "strings, violin melody and harp"),
    "piano": Genre(0, 0, 0, None, "", "arpeggio", "root_fifth", "triads", 0.0, (50, 120),
                   "solo piano"),
    "electronic": Genre(80, 81, 38, 89, "four_on_floor", "pulse", "pulse", "triads", 0.0, (100, 140),
                        "synthesizers, synth bass and a four-on-the-floor beat"),
    "lofi": Genre(11, 4, 33, None, "boom_bap", "stabs", "root_fifth", "sevenths", 0.25, (68, 96),
                  "mellow electric piano, vibraphone and dusty drums"),
    "rock": Genre(30, 29, 34, None, "rock", "pulse", "pulse", "power", 0.0, (84, 160),
                  "electric guitars, bass and drums"),
    "jazz": Genre(65, 0, 32, None, "swing", "stabs", "walking", "sevenths", 1 / 3, (84, 180),
                  "alto saxophone, piano, upright bass and brushed drums"),
    "cinematic": Genre(60, 48, 43, 52, "cinematic", "pulse", "root", "triads", 0.0, (64, 140),
                       "string ostinato, french horns, choir and big drums"),
}

@dataclass
class MusicRequest:
    mood: str = "neutral"  # one of vidgen.domain.MOODS
    genre: str = ""  # a GENRES name; "" = the mood's
    tempo: float = 0  # BPM; 0 = the mood's, clamped into the genre's range
    key: str = ""  # e.g. "D minor", "F# major", "Bb"; "" = the mood's
    # GM programs (0-127) by role: melody, chords, bass, pad. Fewer than three: the last one also
    # plays the remaining chords/bass roles (one instrument = a solo); the pad needs a fourth.
    instruments: list[int] = field(default_factory=list)
    seconds: float = 30.0
    seed: int = 0


@dataclass(frozen=True)
class Plan:
    """A request resolved: everything the arrangement follows."""

    mood: str
    genre: str
    tempo: float
    key: str  # canonical, e.g. "D minor"
    tonic: int  # pitch class, 0 = C
    mode: str  # major | minor
    instruments: dict[str, int]  # role -> GM program
    drums: str  # pattern name, "" for none
    degrees: tuple[int, ...]  # the progression as scale degrees
    progression: tuple[str, ...]  # the same as chord names, e.g. ("Dm", "Bb", "F", "C")
    bar_seconds: float  # a whole number of samples
    intro_bars: int
    body_bars: int
    ending_bars: int
    seconds: float  # requested length
    composed_seconds: float  # the part composed; the rest repeats the loop region
    repeats: int  # extra loop repetitions render adds
    loop_start: float  # seconds; 0/0 when the piece is too short to loop
    loop_end: float
    energy: float
    seed: int

    @property
    def beat_seconds(self) -> float:
        return self.bar_seconds / BEATS_PER_BAR


# --- planning --------------------------------------------------------------------------------

def parse_key(key: str) -> tuple[int, str, str]:
    """(tonic pitch class, mode, canonical name) for "D minor", "F# major", "Bb", "Am", ..."""
    m = _KEY.match(key or "")
    if not m:
        raise VidgenError(
            f"Unknown key {key!r}: use a note (C, C#, Db, D, Eb, E, F, F#, Gb, G, Ab, A, Bb, B) "
            "followed by major or minor, e.g. 'D minor' or 'F# major' (or leave it empty for the mood's key).")
    letter, accidental, mode_word = m.group(1).upper(), m.group(2), (m.group(3) or "major").lower()
    mode = "major" if mode_word in ("major", "maj") else "minor"
    tonic = (_LETTERS[letter] + {"#": 1, "b": -1, "": 0}[accidental]) % 12
    return tonic, mode, f"{letter}{accidental} {mode}"


def resolve_style(mood: str, genre: str = "", tempo: float = 0) -> tuple[str, float]:
    """(genre, tempo) for a mood: the genre given or the mood's, the tempo given or the mood's
    clamped into the genre's range. VidgenError names what is accepted."""
    if mood not in MOOD_STYLES:
        raise VidgenError(f"Unknown mood {mood!r}: use one of {', '.join(MOODS)}.")
    style = MOOD_STYLES[mood]
    genre = genre or style.genre
    if genre not in GENRES:
        raise VidgenError(f"Unknown music genre {genre!r}: use one of {', '.join(GENRES)} (or '' for the mood's).")
    if not isinstance(tempo, (int, float)) or isinstance(tempo, bool) or (
            tempo and not TEMPO_RANGE[0] <= tempo <= TEMPO_RANGE[1]):
        raise VidgenError(f"Music tempo must be {TEMPO_RANGE[0]} to {TEMPO_RANGE[1]} BPM (or 0 for the mood's), "
                          f"not {tempo!r}.")
    lo, hi = GENRES[genre].tempo_range
    return genre, float(tempo or min(max(style.tempo, lo), hi))


def _instruments(genre: Genre, given: list[int]) -> dict[str, int]:
    if not given:
        roles = {"melody": genre.melody, "chords": genre.chords, "bass": genre.bass}
        return roles | ({"pad": genre.pad} if genre.pad is not None else {})
    if len(given) > MAX_INSTRUMENTS or not all(
            isinstance(p, int) and not isinstance(p, bool) and 0 <= p <= 127 for p in given):
        raise VidgenError(f"Instruments must be 1 to {MAX_INSTRUMENTS} General MIDI program numbers 0-127 "
                          f"(melody, chords, bass, pad), not {given!r}.")
    melody = given[0]
    chords = given[1] if len(given) > 1 else melody
    bass = given[2] if len(given) > 2 else chords
    return {"melody": melody, "chords": chords, "bass": bass} | ({"pad": given[3]} if len(given) > 3 else {})


def _chord_pcs(tonic: int, mode: str, degree: int, style: str) -> list[int]:
    """Pitch classes, root first. In minor, V is major (the harmonic minor's leading tone)."""
    scale = [(tonic + s) % 12 for s in MODES[mode]]
    pcs = [scale[degree % 7], scale[(degree + 2) % 7], scale[(degree + 4) % 7]]
    if mode == "minor" and degree % 7 == 4:
        pcs[1] = (pcs[1] + 1) % 12
    if style == "sevenths":
        pcs.append(scale[(degree + 6) % 7])
    return pcs


def _chord_name(pcs: list[int], flats: bool) -> str:
    names = FLAT_NAMES if flats else NOTE_NAMES
    third, fifth = (pcs[1] - pcs[0]) % 12, (pcs[2] - pcs[0]) % 12
    quality = "dim" if fifth == 6 else ("m" if third == 3 else "")
    if len(pcs) > 3:
        seventh = (pcs[3] - pcs[0]) % 12
        quality = {("", 11): "maj7", ("", 10): "7", ("m", 10): "m7", ("dim", 10): "m7b5"}.get((quality, seventh),
                                                                                            quality + "7")
    return names[pcs[0]] + quality


def _uses_flats(key_name: str, tonic: int, mode: str) -> bool:
    major_tonic = tonic if mode == "major" else (tonic + 3) % 12
    return "b" in key_name.split()[0] or major_tonic in (5, 10, 3, 8, 1)  # F Bb Eb Ab Db major


def _check_request(request: MusicRequest) -> None:
    s = request.seconds
    if not isinstance(s, (int, float)) or isinstance(s, bool) or not MIN_SECONDS <= s <= MAX_SECONDS:
        raise VidgenError(f"Music length must be {MIN_SECONDS:g} to {MAX_SECONDS:g} seconds, not {s!r}.")
    if not isinstance(request.seed, int) or isinstance(request.seed, bool):
        raise VidgenError(f"The music seed must be a whole number, not {request.seed!r}.")


def _sections(total_n: int, bar_n: int) -> tuple[int, int, int]:
    """(intro, body, ending) bars that fit `total_n` samples with the final chord's ring-out."""
    bars = max(0, (total_n - round(RING_SECONDS * SAMPLE_RATE)) // bar_n)
    ending = min(2, bars)
    intro = 1 if bars >= 4 else 0
    return intro, bars - intro - ending, ending


def plan(request: MusicRequest) -> Plan:
    """Resolve a request (validating it): key, tempo, genre, instruments, progression, sections
    and loop points. VidgenError says what is accepted."""
    _check_request(request)
    genre_name, tempo = resolve_style(request.mood, request.genre, request.tempo)
    style, genre = MOOD_STYLES[request.mood], GENRES[genre_name]
    instruments = _instruments(genre, list(request.instruments))
    tonic, mode, key = parse_key(request.key or f"{style.tonic} {style.mode}")
    rng = random.Random(f"vidgen-composer:plan:{request.seed}")
    degrees = rng.choice(style.progressions)
    flats = _uses_flats(key, tonic, mode)
    names = tuple(_chord_name(_chord_pcs(tonic, mode, d, genre.chord_style), flats) for d in degrees)

    bar_n = round(BEATS_PER_BAR * 60.0 / tempo * SAMPLE_RATE)
    total_n = round(request.seconds * SAMPLE_RATE)
    loop_n = PHRASE_BARS * bar_n
    shortest_loopable = (1 + 2 * PHRASE_BARS + 2) * bar_n + round(RING_SECONDS * SAMPLE_RATE)
    repeats = 0
    if total_n > MAX_COMPOSE_SECONDS * SAMPLE_RATE:
        wanted = math.ceil((total_n - MAX_COMPOSE_SECONDS * SAMPLE_RATE) / loop_n)
        repeats = max(0, min(wanted, (total_n - shortest_loopable) // loop_n))
    composed_n = total_n - repeats * loop_n
    intro, body, ending = _sections(composed_n, bar_n)
    loop = (0.0, 0.0)
    if body >= 2 * PHRASE_BARS:
        start = (intro + PHRASE_BARS) * bar_n
        loop = (start / SAMPLE_RATE, (start + loop_n) / SAMPLE_RATE)
    return Plan(mood=request.mood, genre=genre_name, tempo=tempo, key=key, tonic=tonic, mode=mode,
                instruments=instruments, drums=genre.drums, degrees=degrees, progression=names,
                bar_seconds=bar_n / SAMPLE_RATE, intro_bars=intro, body_bars=body, ending_bars=ending,
                seconds=float(request.seconds), composed_seconds=composed_n / SAMPLE_RATE, repeats=repeats,
                loop_start=loop[0], loop_end=loop[1], energy=style.energy, seed=request.seed)

