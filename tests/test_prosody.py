"""Prosody markup and mood: parsed exactly, never spoken or captioned, and audible in the built-in
Piper voice's measured output (silences, pace)."""

from __future__ import annotations

import numpy as np
import pytest

from vidgen.domain import MOODS, Line
from vidgen.errors import VidgenError
from vidgen.media import read_wav
from vidgen.services.voice import prosody
from vidgen.services.voice.prosody import Pause, Sentence, Span, parse_line
from vidgen.services.voice import estimated_cues, split_sentences, synthesize_lines


def test_markup_parses_into_sentences_pauses_emphasis_and_pace():
    line = parse_line("[slow] The house was *very* quiet. [pause 1.5] Too quiet.")
    assert line.speed == prosody.SLOW
    assert line.items == [
        Sentence("The house was very quiet.", [Span("The house was"), Span("very", True), Span("quiet.")]),
        Pause(1.5),
        Sentence("Too quiet.", [Span("Too quiet.")]),
    ]
    assert parse_line("(softly) [fast] Go.").speed == prosody.FAST
    assert parse_line("[speed 0.8] Go.").speed == 0.8
    assert [i.seconds for i in parse_line("[pause] a [pause 800ms] b [pause 2s] c [pause .25]").items
            if isinstance(i, Pause)] == [0.5, 0.8, 2.0, 0.25]
    # A pause ends its sentence; stage directions and unknown tags are dropped as before.
    assert prosody.sentences("Wait [pause] what? (beat) [camera: zoom in] **Run**, Dr. Jones!") == [
        "Wait", "what?", "Run, Dr. Jones!"]
    assert prosody.strip_markup("[fast] I *never* said [pause 1.2] that.") == "I never said that."


@pytest.mark.parametrize("text, message", [
    ("[pause abc] Hi.", "is not a pause"),
    ("[pause 12] Hi.", "at most 10 seconds"),
    ("[speed 3] Hi.", "from 0.5 to 2"),
    ("[speed quick] Hi.", "is not a pace"),
    ("Hi. [slow] There.", "put it at the start of the line"),
])
def test_malformed_markup_is_an_error_that_names_the_line(text, message):
    with pytest.raises(VidgenError, match=message) as e:
        parse_line(text, where="Scene 2, line 3")
    assert str(e.value).startswith("Scene 2, line 3")


def test_markup_stays_linear_on_pathological_lines():
    import time

    start = time.perf_counter()
    for text in ("*" * 100_000, "[" * 50_000 + "]" * 50_000, "*a" * 50_000, "(" * 100_000):
        prosody.strip_markup(text)
    assert time.perf_counter() - start < 2.0


def test_every_mood_has_a_prosody_and_the_table_points_the_right_way():
    assert set(prosody.MOOD_PROSODY) == set(MOODS)
    table = prosody.MOOD_PROSODY
    assert table["sad"].speed < 1 < table["joyful"].speed and table["sad"].pitch < 0 < table["joyful"].pitch
    assert table["tense"].speed > 1 and table["tense"].pause < 1
    with pytest.raises(VidgenError, match="Unknown mood 'grumpy'"):
        prosody.mood_prosody("grumpy")


def test_the_documented_mood_table_is_the_one_used():
    rows = {}
    for line in prosody.__doc__.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] in MOODS:
            rows[parts[0]] = prosody.MoodProsody(*map(float, parts[1:]))
    assert rows == prosody.MOOD_PROSODY


def test_estimated_cues_strip_markup():
    cues = estimated_cues([Line("[slow] I *never* said that. [pause 2] Never.")], 4.0)
    assert [c.text for c in cues] == ["I never said that.", "Never."]


def _silences(audio: np.ndarray, sr: int, min_seconds: float = 0.3) -> list[float]:
    """Lengths of the runs of 10 ms frames below -45 dBFS inside the audio."""
    hop = sr // 100
    n = audio.size // hop
    quiet = np.sqrt(np.mean(audio[: n * hop].reshape(n, hop) ** 2, axis=1)) < 10 ** (-45 / 20)
    runs, count = [], 0
    for q in quiet:
        if q:
            count += 1
        elif count:
            runs.append(count / 100)
            count = 0
    return [r for r in runs if r >= min_seconds]


def test_a_pause_is_measured_silence_and_markup_is_never_spoken_or_captioned(tmp_path):
    lines = [Line("[slow] The door *creaked* open. [pause 1.2] Nobody was there."), Line("Hello?", "Ana")]
    r = synthesize_lines(lines, tmp_path / "v.wav")
    audio, sr = read_wav(r.wav)
    assert [c.text for c in r.cues] == ["The door creaked open.", "Nobody was there.", "Hello?"]
    assert not any(ch in c.text for c in r.cues for ch in "[]*")
    assert r.cues[1].start - r.cues[0].end == pytest.approx(1.2, abs=0.01)
    longest = max(_silences(audio, sr))  # measured in the WAV, not taken from the cues
    assert longest == pytest.approx(1.2, abs=0.1)
    # A pause before the first words is silence at the start of the WAV.
    lead = synthesize_lines([Line("[pause 0.7] Hello.")], tmp_path / "lead.wav")
    assert lead.cues[0].start == pytest.approx(0.7, abs=0.01)


def test_mood_changes_the_pace(tmp_path):
    text = [Line("We walked along the shore until the lights of the town were gone.")]
    sad = synthesize_lines(text, tmp_path / "sad.wav", mood="sad")
    joyful = synthesize_lines(text, tmp_path / "joy.wav", mood="joyful")
    ratio = sad.duration / joyful.duration
    expected = prosody.MOOD_PROSODY["joyful"].speed / prosody.MOOD_PROSODY["sad"].speed  # 1.23
    assert ratio == pytest.approx(expected, rel=0.1)
    slow = synthesize_lines([Line("[slow] " + text[0].text)], tmp_path / "slow.wav")
    plain = synthesize_lines(text, tmp_path / "plain.wav")
    assert slow.duration / plain.duration == pytest.approx(1 / prosody.SLOW, rel=0.1)


def test_a_parenthetical_or_delivery_shapes_how_the_line_is_said(tmp_path):
    """(whispering) is quieter and slower, (angrily) faster, measured on the audio; the words are the same.
    Piper's durations vary a few per cent from run to run: two sentences average that out."""
    words = "We walked along the shore until the lights of the town were gone. Nobody said a word."

    def said(**kw):
        r = synthesize_lines([Line(words, **kw)], tmp_path / f"{len(list(tmp_path.iterdir()))}.wav")
        audio, sr = read_wav(r.wav)
        loud = audio[np.abs(audio) > 0.02 * np.abs(audio).max()]
        return r, 20 * np.log10(np.sqrt(np.mean(loud.astype(np.float64) ** 2)))

    plain, plain_db = said()
    whisper, whisper_db = said(parenthetical="whispering")
    angry, _ = said(delivery="angrily")
    expected = prosody.delivery_prosody("whispering")
    assert expected.gain_db < 0 and plain_db - whisper_db == pytest.approx(-expected.gain_db, abs=1.5)
    assert whisper.duration / plain.duration == pytest.approx(1 / expected.speed, rel=0.08)
    assert angry.duration / plain.duration == pytest.approx(1 / prosody.delivery_prosody("angrily").speed, rel=0.06)
    assert [c.text for c in whisper.cues] == [c.text for c in plain.cues] == split_sentences(words)  # as written
    assert prosody.delivery_prosody("(O.S.)") == prosody.delivery_prosody("") == prosody.PLAIN_DELIVERY
    # A transcript's own aside ("**Eve:** (whispering) Thanks"): not spoken, and it shapes the line too.
    r = synthesize_lines([Line("(whispering) " + words)], tmp_path / "inline.wav")
    audio, _ = read_wav(r.wav)
    loud = audio[np.abs(audio) > 0.02 * np.abs(audio).max()]
    inline_db = 20 * np.log10(np.sqrt(np.mean(loud.astype(np.float64) ** 2)))
    assert plain_db - inline_db == pytest.approx(-expected.gain_db, abs=1.5)
    assert [c.text for c in r.cues] == split_sentences(words)
