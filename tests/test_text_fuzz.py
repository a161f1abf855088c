"""Fuzz of the text path (issue 11): any line either is spoken by the built-in Piper voice or gets a
one-line VidgenError, in bounded time, and the words of the written .srt are the words given to
the voice (markup removed; a token too long to say is given in pieces, so whitespace is ignored)."""

from __future__ import annotations

import time

import hypothesis
from hypothesis import strategies as st

from vidgen.domain import Line, SceneMedia
from vidgen.errors import VidgenError
from vidgen.services.assembly import timeline_cues, write_subtitles
from vidgen.services.voice import piper as piper_backend
from vidgen.services.voice import synthesize_lines

FRAGMENTS = ["[pause]", "[pause 0.3]", "[pause abc]", "[slow]", "[speed 3]", "[bracketed]", "[camera: pan left]",
             "(softly)", "(0,0)", "f(x)", "*very*", "**bold**", "*", "`code`", "{\\b1}", "{\\pos(0,0)}", "\\N",
             "Dr.", "...", ", ", "; ", " — ", "?", "!", "\n", "42", "x" * 120, "the keeper, ", "Zoë ça "]
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABC.,!?'", min_size=1, max_size=12)
TEXT = st.lists(st.one_of(st.sampled_from(FRAGMENTS), WORDS), min_size=1, max_size=12).map("".join)
SECONDS_PER_EXAMPLE = 40  # generous for 2 shared cores; a run-on 600-word line took ~30 s before the bounds


def _squash(texts: list[str]) -> str:
    return "".join("".join(t.split()) for t in texts)


@hypothesis.settings(max_examples=25, deadline=None, derandomize=True,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(TEXT)
def test_any_line_is_spoken_and_captioned_as_spoken_or_is_a_clear_error(tmp_path_factory, text):
    tmp = tmp_path_factory.mktemp("fuzz")
    given: list[str] = []
    real = piper_backend.PiperEngine.speak_timed  # what the voice calls (speech with its phoneme times)

    def spy(self, t, *a, **k):
        audio, phones = real(self, t, *a, **k)
        if audio.size:
            given.append(t)
        return audio, phones

    start = time.perf_counter()
    piper_backend.PiperEngine.speak_timed = spy
    try:
        r = synthesize_lines([Line(text)], tmp / "v.wav")
    except VidgenError as e:
        assert str(e) and "\n" not in str(e)
        return
    finally:
        piper_backend.PiperEngine.speak_timed = real
    assert time.perf_counter() - start < SECONDS_PER_EXAMPLE
    cues = timeline_cues([SceneMedia("clip.mp4", r.duration + 1.0, str(r.wav), 0.0, r.cues)], [0.0])
    write_subtitles(cues, tmp / "s.srt", tmp / "s.ass", (640, 360))
    blocks = (tmp / "s.srt").read_text(encoding="utf-8").strip("\n").split("\n\n")
    srt_text = [b.split("\n", 2)[2] for b in blocks]
    assert _squash(srt_text) == _squash(c.text for c in r.cues) == _squash(given)
