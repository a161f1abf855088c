"""The composer's arrangement: a plan (theory.py) becomes notes for melody, chords, bass, pad and
drums, and a PrettyMIDI (`compose_midi`). All randomness comes from one seeded `random.Random`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .theory import (BEATS_PER_BAR, GENRES, MODES, PHRASE_BARS, RELEASE_SECONDS, MusicRequest, Plan, _chord_pcs,
                     plan)

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
