"""The procedural composer: the film's built-in music, made without any AI model.

A mood (and optionally a genre, tempo, key and instruments) becomes a plan: key and mode, tempo,
a chord progression, and a General MIDI instrument per role (melody, chords, bass, pad, drums).
The plan becomes a real arrangement with pretty_midi: a one-bar intro (the tonic, softly, and
a drum fill), a body of 8-bar phrases (the 4-chord progression twice, the melody as question and
answer), and an ending that cadences to the tonic chord and lets it ring out. The MIDI is
rendered offline with TinySoundFont and the TimGM6mb SoundFont that pretty_midi ships, at
44.1 kHz mono, with a small convolution reverb (numpy FFT; scipy is not a dependency).

    result = render(MusicRequest(mood="tense", seconds=45, seed=3), "score.wav")

Everything random comes from `random.Random` seeded by the request: the same request gives the
same bytes; another seed gives another melody (and often another progression).

Loops: the first two phrases of the body are identical, so the second one is a loop region
whose seam is the music's own continuation (the tails of the bar before it are the tails its
own last bar leaves). `loop_to` repeats it to make any length; `render` does that itself for
requests longer than MAX_COMPOSE_SECONDS, so a 10-minute film costs ~90 s of composing.

Nothing heavy (pretty_midi, tinysoundfont) is imported at import time.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...domain import MOODS
from ...errors import VidgenError
from ...media import CancelFn, atomic_output, check_cancel, read_wav, write_wav
from .audio import MusicResult, fade_edges, normalize

BACKEND = "composer"
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

# One bar in 16 steps per drum (GM percussion key): X accent, x hit, o ghost.
DRUM_PATTERNS: dict[str, dict[int, str]] = {
    "four_on_floor": {36: "X...X...X...X...", 39: "....x.......x...", 42: "..x...x...x...x."},
    "rock": {36: "X.......x.x.....", 38: "....X.......X...", 42: "X.x.X.x.X.x.X.x."},
    "boom_bap": {36: "X......x..x.....", 38: "....X.......X...", 42: "x.o.x.o.x.o.x.o."},
    "swing": {51: "X...x.x.X...x.x.", 44: "....x.......x...", 36: "o.......o......."},
    "cinematic": {36: "X.......X.......", 41: "x..x..x.x..x..o.", 38: "............X..."},
}
_DRUM_VELOCITY = {"X": 112, "x": 90, "o": 58}
CRASH, KICK, SNARE = 49, 36, 38
ROLE_VOLUME = {"melody": 112, "chords": 84, "bass": 104, "pad": 70, "drums": 96}  # MIDI CC 7


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


# --- the arrangement -------------------------------------------------------------------------

@dataclass
class _Note:
    role: str
    beat: float  # from the start of the piece
    beats: float
    pitch: int
    velocity: int
    shift: float = 0.0  # humanising offset, seconds


def _near(pc: int, center: int) -> int:
    """The MIDI note of pitch class `pc` nearest to `center`."""
    return center + ((pc - center + 6) % 12) - 6


def _voicing(pcs: list[int], style: str, center: int = 62) -> list[int]:
    if style == "power":
        root = _near(pcs[0], center - 12)
        return [root, root + 7, root + 12]
    return sorted(_near(pc, center) for pc in pcs)


class _Arranger:
    """Writes notes for the sections of one plan; all randomness from one seeded Random."""

    MELODY_RHYTHMS = {  # one bar of note lengths in beats; negative = rest
        "sparse": ((4,), (2, 2), (3, 1), (2, -2), (-1, 3), (1, 1, 2)),
        "medium": ((1, 1, 2), (2, 1, 1), (1.5, 0.5, 2), (1, 1, 1, 1), (0.5, 0.5, 1, 2), (1, 0.5, 0.5, 2)),
        "busy": ((1, 1, 1, 1), (0.5, 0.5, 1, 1, 1), (1, 0.5, 0.5, 1, 1), (0.5, 0.5, 0.5, 0.5, 1, 1),
                 (1.5, 0.5, 1, 1), (0.5, 1, 0.5, 2)),
    }
    CADENCE_RHYTHMS = ((4,), (2, 2), (3, 1), (1, 3))
    STAB_RHYTHMS = (((0, 1.5), (1.5, 1.5), (3, 1)), ((0, 2), (2.5, 1.5)), ((0.5, 1.5), (2.5, 1)), ((0, 1), (1.5, 2.5)))

    def __init__(self, plan: Plan):
        self.plan = plan
        self.genre = GENRES[plan.genre]
        self.rng = random.Random(f"vidgen-composer:notes:{plan.seed}")
        self.notes: list[_Note] = []
        self.base_velocity = int(62 + 40 * plan.energy)
        top = _near(plan.tonic, 76)
        self.melody_range = (top - 10, top + 9)
        self.density = "sparse" if plan.energy < 0.4 else ("medium" if plan.energy < 0.75 else "busy")
        self.last_pitch = 0  # the melody's previous note; 0 before the first

    # helpers
    def chord(self, degree: int) -> list[int]:
        return _chord_pcs(self.plan.tonic, self.plan.mode, degree, self.genre.chord_style)

    def add(self, role: str, beat: float, beats: float, pitch: int, velocity: float, *, jitter: float = 0.005) -> None:
        if role not in self.plan.instruments and role != "drums":
            return
        # Humanising only ever delays a note: nothing starts before its bar, so a phrase's audio
        # never holds the next phrase's attacks (the loop region relies on that).
        shift = min(2 * jitter, abs(self.rng.gauss(0.0, jitter))) if jitter else 0.0
        v = int(max(1, min(127, velocity + self.rng.randint(-5, 5))))
        self.notes.append(_Note(role, beat, beats, pitch, v, shift))

    def swung(self, beat: float) -> float:
        """Off-beat eighths late by the genre's swing."""
        if self.genre.swing and abs(beat % 1 - 0.5) < 1e-9:
            return beat + self.genre.swing * 0.5
        return beat

    # sections
    def intro(self, bar: int) -> None:
        """One bar on the tonic: chords and pad softly, drums a fill into the first phrase."""
        b0 = bar * BEATS_PER_BAR
        tonic = self.chord(0)
        for i, p in enumerate(_voicing(tonic, self.genre.chord_style)):
            self.add("chords", b0 + 0.02 * i, BEATS_PER_BAR, p, self.base_velocity - 20, jitter=0)
        self.pad(b0, tonic, velocity=self.base_velocity - 25)
        if self.plan.drums:
            pattern = DRUM_PATTERNS[self.plan.drums]
            keep = max(pattern, key=lambda k: pattern[k].count("x") + pattern[k].count("X"))  # hats / ride
            self.drum_steps(b0, {keep: pattern[keep][:12]})
            for step, v in zip(range(12, 16), (60, 74, 88, 104)):
                self.add("drums", self.swung(b0 + step / 4), 0.25, SNARE, v, jitter=0.002)

    def phrase(self, bar: int, bars: int) -> None:
        """`bars` bars (up to one phrase) of melody, chords, bass, pad and drums from `bar`."""
        degrees = [self.plan.degrees[i % len(self.plan.degrees)] for i in range(bars)]
        self.melody(bar, degrees)
        for i, d in enumerate(degrees):
            b0 = (bar + i) * BEATS_PER_BAR
            pcs = self.chord(d)
            nxt = self.chord(self.plan.degrees[(i + 1) % len(self.plan.degrees)])
            self.comp(b0, pcs)
            self.bassline(b0, pcs, nxt)
            self.pad(b0, pcs, velocity=self.base_velocity - 18)
            if self.plan.drums:
                self.drum_steps(b0, DRUM_PATTERNS[self.plan.drums])
        if self.plan.drums:
            self.add("drums", bar * BEATS_PER_BAR, 8, CRASH, 100, jitter=0)

    def ending(self, bar: int, bars: int, ring_beats: float, *, after: int | None) -> None:
        """A cadence bar (when two bars fit): V, or I when the music before (`after`, a degree)
        is already on V; then the tonic held for the ring-out by every role."""
        if bars == 2:
            self.cadence_bar(bar, 0 if after == 4 else 4)
            bar += 1
        b0 = bar * BEATS_PER_BAR
        tonic = self.chord(0)[:3]
        self.add("melody", b0, ring_beats, _near(self.plan.tonic, sum(self.melody_range) // 2), self.base_velocity)
        for i, p in enumerate(_voicing(tonic, self.genre.chord_style)):
            self.add("chords", b0 + 0.03 * i, ring_beats, p, self.base_velocity - 8, jitter=0)
        self.add("bass", b0, ring_beats, _near(tonic[0], 41), self.base_velocity)
        self.pad(b0, tonic, velocity=self.base_velocity - 15, beats=ring_beats)
        if self.plan.drums:
            self.add("drums", b0, 8, CRASH, 108, jitter=0)
            self.add("drums", b0, 0.5, KICK, 110, jitter=0)

    def cadence_bar(self, bar: int, degree: int) -> None:
        b0 = bar * BEATS_PER_BAR
        pcs = self.chord(degree)
        self.melody_bar(b0, pcs, self.rng.choice(self.CADENCE_RHYTHMS), cadence=True)
        self.comp(b0, pcs)
        self.bassline(b0, pcs, self.chord(0))
        self.pad(b0, pcs, velocity=self.base_velocity - 18)
        if self.plan.drums:
            self.drum_steps(b0, DRUM_PATTERNS[self.plan.drums])

    # parts
    def melody(self, bar: int, degrees: list[int]) -> None:
        """A question (bars 1-4) and an answer (5-8) that starts with the question's first two
        bars again; bars 4 and 8 end on a long chord tone."""
        pool = self.MELODY_RHYTHMS[self.density]
        rhythms = [self.rng.choice(pool) for _ in range(4)]
        rhythms[3] = self.rng.choice(self.CADENCE_RHYTHMS)
        rhythms += [rhythms[0], rhythms[1], self.rng.choice(pool), self.rng.choice(self.CADENCE_RHYTHMS[:2])]
        opening: list[_Note] = []
        for i, d in enumerate(degrees):
            b0 = (bar + i) * BEATS_PER_BAR
            if i in (4, 5):
                for n in opening:  # the answer opens like the question (same chords every 4 bars)
                    if int(n.beat // BEATS_PER_BAR) - bar == i - 4:
                        self.add("melody", n.beat + 4 * BEATS_PER_BAR, n.beats, n.pitch, n.velocity)
                        self.last_pitch = n.pitch
                continue
            start = len(self.notes)
            self.melody_bar(b0, self.chord(d), rhythms[i], cadence=i in (3, 7))
            if i < 2:
                opening += [n for n in self.notes[start:] if n.role == "melody"]

    def melody_bar(self, b0: float, pcs: list[int], rhythm: tuple[float, ...], *, cadence: bool) -> None:
        pos = 0.0
        for j, length in enumerate(rhythm):
            if length < 0:
                pos -= length
                continue
            last = j == len(rhythm) - 1
            pitch = self.next_pitch(pcs, chord_tone=pos % 2 == 0 or (cadence and last))
            accent = 10 if pos == 0 else (4 if pos % 1 == 0 else 0)
            beat = self.swung(b0 + pos)
            self.add("melody", beat, length * 0.95, pitch, self.base_velocity + accent)
            pos += length

    def next_pitch(self, pcs: list[int], *, chord_tone: bool) -> int:
        """A chord tone near the previous note, or a scale step (mostly one) leaning to the
        middle of the range."""
        lo, hi = self.melody_range
        if not self.last_pitch:
            self.last_pitch = _near(pcs[0], (lo + hi) // 2)
        if chord_tone:
            options = sorted({_near(pc, self.last_pitch + self.rng.choice((-2, 0, 2))) for pc in pcs},
                             key=lambda p: abs(p - self.last_pitch))
            pitch = options[0] if self.rng.random() < 0.6 else options[min(1, len(options) - 1)]
        else:
            scale = [p for p in range(lo - 2, hi + 3) if (p - self.plan.tonic) % 12 in MODES[self.plan.mode]]
            i = min(range(len(scale)), key=lambda k: abs(scale[k] - self.last_pitch))
            step = self.rng.choices((1, 2, 0), weights=(7, 2, 1))[0]
            toward_center = 1 if self.last_pitch < (lo + hi) / 2 else -1
            direction = toward_center if self.rng.random() < 0.6 else -toward_center
            pitch = scale[max(0, min(len(scale) - 1, i + direction * step))]
        if pitch < lo:
            pitch += 12
        elif pitch > hi:
            pitch -= 12
        self.last_pitch = pitch
        return pitch

    def comp(self, b0: float, pcs: list[int]) -> None:
        style, v = self.genre.comping, self.base_velocity - 10
        chord = _voicing(pcs, self.genre.chord_style)
        if style == "arpeggio":
            shape = chord + [chord[1] + 12, chord[-1] + 12 if len(chord) > 3 else chord[0] + 12]
            order = [0, 1, 2, 3, 4, 3, 2, 1]
            for k in range(8):
                accent = 6 if k % 2 == 0 else 0
                self.add("chords", self.swung(b0 + k / 2), 1.5, shape[order[k] % len(shape)], v + accent)
        elif style == "pulse":
            for k in range(8):
                for p in chord:
                    self.add("chords", self.swung(b0 + k / 2), 0.4, p, v + (8 if k % 2 == 0 else -6), jitter=0.002)
        elif style == "stabs":
            for start, length in self.rng.choice(self.STAB_RHYTHMS):
                for i, p in enumerate(chord):
                    self.add("chords", self.swung(b0 + start) + 0.01 * i, length * 0.9, p, v)

    def bassline(self, b0: float, pcs: list[int], next_pcs: list[int]) -> None:
        style, v = self.genre.bassline, self.base_velocity + 4
        root = _near(pcs[0], 41)
        fifth = root + 7 if root + 7 <= 52 else root - 5
        if style == "root":
            self.add("bass", b0, BEATS_PER_BAR * 0.98, root, v)
        elif style == "root_fifth":
            self.add("bass", b0, 1.9, root, v)
            self.add("bass", b0 + 2, 1.9, fifth, v - 8)
        elif style == "pulse":
            for k in range(8):
                self.add("bass", self.swung(b0 + k / 2), 0.45, root, v + (6 if k % 2 == 0 else -4), jitter=0.002)
        elif style == "walking":
            target = _near(next_pcs[0], root)
            third = _near(pcs[1], root + 4)
            approach = target + self.rng.choice((-1, 1))
            for k, p in enumerate((root, third, fifth if abs(fifth - root) == 7 else root + 7, approach)):
                self.add("bass", b0 + k, 0.95, p, v - (0 if k == 0 else 6))

    def pad(self, b0: float, pcs: list[int], *, velocity: float, beats: float = BEATS_PER_BAR) -> None:
        for p in (_near(pcs[0], 50), _near(pcs[1], 57), _near(pcs[2], 62)):
            self.add("pad", b0, beats, p, velocity, jitter=0)

    def drum_steps(self, b0: float, pattern: dict[int, str]) -> None:
        for key, steps in pattern.items():
            for step, ch in enumerate(steps):
                if ch in _DRUM_VELOCITY:
                    self.add("drums", self.swung(b0 + step / 4), 0.25, key, _DRUM_VELOCITY[ch], jitter=0.002)


def _arrange(p: Plan) -> list[_Note]:
    """All notes of the composed part. The first two phrases are one phrase twice (the loop
    region needs its predecessor to end as it does); later phrases are new variations."""
    a = _Arranger(p)
    bar = 0
    if p.intro_bars:
        a.intro(bar)
        bar += p.intro_bars
    first: list[_Note] = []
    remaining, phrase = p.body_bars, 0
    while remaining > 0:
        bars = min(PHRASE_BARS, remaining)
        if phrase == 1 and bars == PHRASE_BARS:
            a.notes += [_Note(n.role, n.beat + PHRASE_BARS * BEATS_PER_BAR, n.beats, n.pitch, n.velocity, n.shift)
                        for n in first]
        else:
            start = len(a.notes)
            a.phrase(bar, bars)
            if phrase == 0:
                first = a.notes[start:]
        bar += bars
        remaining -= bars
        phrase += 1
    final_bar = bar + max(p.ending_bars, 1) - 1
    ring_beats = (p.composed_seconds - RELEASE_SECONDS) / p.beat_seconds - final_bar * BEATS_PER_BAR
    last = p.degrees[(p.body_bars - 1) % PHRASE_BARS % len(p.degrees)] if p.body_bars else None
    a.ending(bar, p.ending_bars, max(ring_beats, 0.5), after=last)
    return a.notes


def compose_midi(request: MusicRequest) -> Any:
    """The arrangement of `request` as a `pretty_midi.PrettyMIDI` (the composed part: requests
    longer than MAX_COMPOSE_SECONDS compose `plan(request).composed_seconds` and loop the rest)."""
    import pretty_midi

    p = plan(request)
    pm = pretty_midi.PrettyMIDI(initial_tempo=p.tempo)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(BEATS_PER_BAR, 4, 0.0))
    tracks: dict[str, Any] = {}
    for role in ("melody", "chords", "bass", "pad", "drums"):
        plays = bool(p.drums) if role == "drums" else role in p.instruments
        if not plays:
            continue
        inst = pretty_midi.Instrument(program=p.instruments.get(role, 0), is_drum=role == "drums", name=role)
        inst.control_changes.append(pretty_midi.ControlChange(7, ROLE_VOLUME[role], 0.0))
        pm.instruments.append(inst)
        tracks[role] = inst
    end = p.composed_seconds - RELEASE_SECONDS
    for n in _arrange(p):
        start = max(0.0, n.beat * p.beat_seconds + n.shift)
        stop = min(end, start + n.beats * p.beat_seconds)
        if stop > start:
            tracks[n.role].notes.append(pretty_midi.Note(n.velocity, n.pitch, start, stop))
    return pm


# --- rendering -------------------------------------------------------------------------------

def soundfont_path() -> Path:
    import pretty_midi

    path = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    if not path.is_file():
        raise VidgenError(f"The SoundFont {path.name} that pretty_midi ships is missing: reinstall pretty_midi.")
    return path


def _events(pm: Any) -> list[tuple[int, int, str, int, int, int]]:
    """(sample, order, kind, channel, a, b) sorted; note-offs before note-ons at one instant."""
    events = []
    pitched = iter(c for c in range(16) if c != 9)
    for inst in pm.instruments:
        ch = 9 if inst.is_drum else next(pitched)
        events.append((0, -2, "program", ch, inst.program, int(inst.is_drum)))
        events += [(round(c.time * SAMPLE_RATE), -1, "cc", ch, c.number, c.value) for c in inst.control_changes]
        for n in inst.notes:
            events.append((round(n.start * SAMPLE_RATE), 1, "on", ch, n.pitch, n.velocity))
            events.append((round(n.end * SAMPLE_RATE), 0, "off", ch, n.pitch, 0))
    return sorted(events)


def synthesize(pm: Any, samples: int, *, cancel: CancelFn | None = None, check_every: int = SAMPLE_RATE) -> np.ndarray:
    """Render a PrettyMIDI with TinySoundFont to `samples` mono float32 samples at SAMPLE_RATE;
    `cancel()` is called every `check_every` samples."""
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=SAMPLE_RATE, gain=-6.0)
    sfid = synth.sfload(str(soundfont_path()))
    out = np.zeros((samples, 2), dtype=np.float32)
    view = memoryview(out).cast("B")
    pos, next_check = 0, 0

    def run_to(target: int) -> None:
        nonlocal pos, next_check
        while pos < target:
            if pos >= next_check:
                check_cancel(cancel)
                next_check += check_every
            n = min(target, next_check) - pos
            synth.generate_simple(n, buffer=view[pos * 8:(pos + n) * 8])  # 2 channels x 4 bytes
            pos += n

    for sample, _order, kind, ch, a, b in _events(pm):
        if sample >= samples:
            break
        run_to(sample)
        if kind == "program":
            synth.program_select(ch, sfid, 128 if b else 0, a, bool(b))
        elif kind == "cc":
            synth.control_change(ch, a, b)
        elif kind == "on":
            synth.noteon(ch, a, b)
        else:
            synth.noteoff(ch, a)
    run_to(samples)
    return out.mean(axis=1)


def _convolve(x: np.ndarray, ir: np.ndarray, block: int = 1 << 16) -> np.ndarray:
    """x * ir, len(x) samples: FFT overlap-add in blocks (numpy only; memory stays small)."""
    size = 1 << int(np.ceil(np.log2(block + len(ir) - 1)))
    spectrum = np.fft.rfft(ir, size)
    out = np.zeros(len(x) + size, dtype=np.float64)
    for start in range(0, len(x), block):
        chunk = np.fft.irfft(np.fft.rfft(x[start:start + block], size) * spectrum, size)
        out[start:start + size] += chunk
    return out[: len(x)]


def _reverb(x: np.ndarray, *, seconds: float = 1.6, wet: float = 0.18) -> np.ndarray:
    """A small hall: convolution with exponentially decaying noise (fixed seed: deterministic)."""
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    ir = np.random.default_rng(7).standard_normal(n) * np.exp(-6.9 * t / seconds)  # -60 dB at `seconds`
    ir[: int(0.012 * SAMPLE_RATE)] = 0.0  # pre-delay
    ir /= np.sqrt(np.sum(ir ** 2))
    return ((1 - wet) * x + wet * _convolve(x, ir)).astype(np.float32)


def _loop(audio: np.ndarray, start: int, end: int, target: int, crossfade: int) -> np.ndarray:
    """`audio` lengthened to `target` samples by repeating audio[start:end] after itself. Whole
    repeats join seamlessly; a partial last repeat crossfades into the ending."""
    extra = target - len(audio)
    region = audio[start:end]
    whole, rest = divmod(extra, len(region))
    head, tail = audio[:end], audio[end:]
    if rest == 0:
        return np.concatenate([head, np.tile(region, whole), tail])
    xf = min(crossfade, len(tail))
    body = np.tile(region, whole + 2)[: whole * len(region) + rest + xf]
    ramp = np.linspace(0.0, np.pi / 2, xf, dtype=np.float32)
    seam = body[len(body) - xf:] * np.cos(ramp) + tail[:xf] * np.sin(ramp)
    return np.concatenate([head, body[: len(body) - xf], seam, tail[xf:]])


def render_audio(request: MusicRequest, *, cancel: CancelFn | None = None) -> tuple[np.ndarray, Plan]:
    """The request's music as mono float32 at SAMPLE_RATE (exactly `seconds` long), and its plan."""
    p = plan(request)
    check_cancel(cancel)
    composed_n = round(p.composed_seconds * SAMPLE_RATE)
    audio = synthesize(compose_midi(request), composed_n, cancel=cancel,
                       check_every=round(p.bar_seconds * SAMPLE_RATE))
    audio = normalize(_reverb(audio))
    audio = fade_edges(audio, SAMPLE_RATE, fade_in=0.01, fade_out=min(FADE_OUT_SECONDS, p.composed_seconds / 3))
    if p.repeats:
        start, end = round(p.loop_start * SAMPLE_RATE), round(p.loop_end * SAMPLE_RATE)
        audio = _loop(audio, start, end, round(p.seconds * SAMPLE_RATE), 0)
    return audio, p


def render(request: MusicRequest, out_wav: str | Path, *, cancel: CancelFn | None = None) -> MusicResult:
    """Compose and render `request` to a 16-bit mono WAV at 44.1 kHz, exactly `seconds` long
    (to the sample). `cancel()` is called every bar and stops the work by raising."""
    audio, p = render_audio(request, cancel=cancel)
    with atomic_output(out_wav) as tmp:
        write_wav(tmp, audio, SAMPLE_RATE)
    return MusicResult(wav=Path(out_wav), seconds=len(audio) / SAMPLE_RATE, sample_rate=SAMPLE_RATE, tempo=p.tempo,
                       key=p.key, loop_start=p.loop_start, loop_end=p.loop_end, backend=BACKEND)


def loop_to(result: MusicResult, seconds: float, out_wav: str | Path, *, crossfade: float = 0.25) -> MusicResult:
    """Lengthen a rendered piece to `seconds` by repeating its loop region in place (the ending
    stays the ending). Whole repeats are seamless; when the added length is not a whole number
    of loops, the last, partial repeat crossfades into the ending over `crossfade` seconds."""
    if result.loop_end <= result.loop_start:
        raise VidgenError(f"{Path(result.wav).name} has no loop region (too short to loop): "
                          f"render it at {MAX_COMPOSE_SECONDS:g} s or more, or render the full length.")
    audio, sr = read_wav(result.wav)
    target = round(seconds * sr)
    if target < len(audio):
        raise VidgenError(f"loop_to lengthens music: {seconds:g} s is shorter than the piece "
                          f"({len(audio) / sr:.2f} s).")
    audio = _loop(audio, round(result.loop_start * sr), round(result.loop_end * sr), target, round(crossfade * sr))
    with atomic_output(out_wav) as tmp:
        write_wav(tmp, audio, sr)
    return MusicResult(wav=Path(out_wav), seconds=len(audio) / sr, sample_rate=sr, tempo=result.tempo,
                       key=result.key, loop_start=result.loop_start, loop_end=result.loop_end,
                       backend=result.backend, prompt=result.prompt)
