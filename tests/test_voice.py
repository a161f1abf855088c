"""The built-in Piper voice: real synthesis, cues measured from the audio."""

from __future__ import annotations

import numpy as np
import pytest

from vidgen.domain import Line
from vidgen.errors import VidgenError
from vidgen.media import read_wav
from vidgen.services.voice import (LINE_PAUSE, check_voice, estimated_cues, split_sentences,
                                   synthesize_lines)


def test_piper_speaks_each_sentence_and_times_it(tmp_path):
    lines = [Line("The tide came in. Gulls circled the harbour!"), Line("(quietly) Is anyone there?", "Ana")]
    r = synthesize_lines(lines, tmp_path / "v.wav")
    audio, sr = read_wav(r.wav)
    assert sr == r.sample_rate == 22050
    assert r.duration == pytest.approx(len(audio) / sr)
    assert [c.text for c in r.cues] == ["The tide came in.", "Gulls circled the harbour!", "Is anyone there?"]
    assert [c.speaker for c in r.cues] == [None, None, "Ana"]
    for a, b in zip(r.cues, r.cues[1:]):
        assert a.start < a.end < b.start
    assert r.cues[2].start - r.cues[1].end == pytest.approx(LINE_PAUSE, abs=0.01)

    def rms(t0, t1):
        seg = audio[int(t0 * sr):int(t1 * sr)]
        return float(np.sqrt(np.mean(seg ** 2)))

    for c in r.cues:
        assert rms(c.start, c.end) > 0.02  # speech where the cue says
    assert rms(r.cues[1].end + 0.05, r.cues[2].start - 0.05) < 0.002  # silence between lines


def test_stage_directions_are_not_spoken():
    assert split_sentences("(beat) Don't worry. [camera: zoom in] It's fine.") == ["Don't worry.", "It's fine."]


def test_voice_ids_are_checked(tmp_path):
    assert check_voice("none") == "none"
    with pytest.raises(VidgenError, match="Unknown voice 'robot'"):
        check_voice("robot")
    with pytest.raises(VidgenError, match="not found"):
        check_voice(f"piper:{tmp_path}/missing.onnx")
    (tmp_path / "v.onnx").write_bytes(b"x")
    with pytest.raises(VidgenError, match="needs its config"):
        check_voice(f"piper:{tmp_path}/v.onnx")


def test_estimated_cues_share_the_time_by_length():
    cues = estimated_cues([Line("Short. A much longer second sentence here.")], 6.0)
    assert [c.text for c in cues] == ["Short.", "A much longer second sentence here."]
    assert cues[-1].end == pytest.approx(6.0) and cues[0].end - cues[0].start < cues[1].end - cues[1].start
