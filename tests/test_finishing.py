"""The finishing layer in the assembler (issue 16): the film's and a scene's colour grade, a LUT,
sound effects under the dialogue (ducked, inside the loudness target), word-timed captions and their
sidecars. Real (tiny) renders, measured on frames and audio."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vidgen import media
from vidgen.domain import Cue, SceneMedia
from vidgen.errors import VidgenError
from vidgen.services.assembly import Finish, assemble
from vidgen.services.assembly.caption_style import caption_style
from vidgen.services.assembly.caption_words import words_from_phones
from vidgen.services.sfx.scene import Effect, plan_effects, write_effects

from .media_checks import audio_of
from .test_assembly import FPS, SR, frame_at, make_clip, tone

W, H = 320, 180
GREY = (128, 128, 128)


def ratio_rb(frame: np.ndarray) -> float:
    body = frame[50:110, 40:280].reshape(-1, 3).astype(float)
    return float(body[:, 0].mean() / max(1.0, body[:, 2].mean()))


def chroma(frame: np.ndarray) -> float:
    body = frame[50:110, 40:280].reshape(-1, 3).astype(float)
    return float((body.max(axis=1) - body.min(axis=1)).mean())


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    return [make_clip(d / "a.mp4", (150, 120, 100), 2.0), make_clip(d / "b.mp4", (120, 150, 110), 2.0)]


def film(tmp_path: Path, scenes, name: str, **kw) -> str:
    out = tmp_path / f"{name}.mp4"
    assemble(scenes, out, size=(W, H), fps=FPS, transition_seconds=0.0, music="", **kw)
    return str(out)


def test_the_films_grade_and_a_scenes_own(clips, tmp_path):
    plain = film(tmp_path, [SceneMedia(c, 2.0, transition="cut") for c in clips], "plain")
    warm = film(tmp_path, [SceneMedia(c, 2.0, transition="cut") for c in clips], "warm", finish=Finish(grade="warm"))
    assert ratio_rb(frame_at(warm, 1.0)) > ratio_rb(frame_at(plain, 1.0)) * 1.1
    assert ratio_rb(frame_at(warm, 3.0)) > ratio_rb(frame_at(plain, 3.0)) * 1.1
    mixed = film(tmp_path, [SceneMedia(clips[0], 2.0, transition="cut"),
                            SceneMedia(clips[1], 2.0, transition="cut", grade="noir")], "mixed")
    assert chroma(frame_at(mixed, 3.0)) < 3 and chroma(frame_at(mixed, 1.0)) > 20  # only scene 2 is black and white
    with pytest.raises(VidgenError, match="Scene 2: unknown grade 'sepia'"):
        film(tmp_path, [SceneMedia(clips[0], 2.0), SceneMedia(clips[1], 2.0, grade="sepia")], "bad")


def test_a_lut_after_the_grade_from_a_file_named_anything(clips, tmp_path):
    n = 2
    rows = [f"{b / (n - 1):g} {g / (n - 1):g} {r / (n - 1):g}" for b in range(n) for g in range(n) for r in range(n)]
    lut = tmp_path / "swap red; and [blue].cube"  # .cube rows run red fastest: this one swaps R and B
    lut.write_text(f"LUT_3D_SIZE {n}\n" + "\n".join(rows) + "\n")
    plain = frame_at(film(tmp_path, [SceneMedia(clips[0], 2.0)], "p"), 1.0)
    swapped = frame_at(film(tmp_path, [SceneMedia(clips[0], 2.0)], "s", finish=Finish(lut=str(lut))), 1.0)
    p, s = (np.median(f[50:110, 40:280].reshape(-1, 3), axis=0) for f in (plain, swapped))
    assert abs(s[0] - p[2]) <= 4 and abs(s[2] - p[0]) <= 4, (p, s)


def band(x: np.ndarray, rate: int, lo: float, hi: float) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    f = np.fft.rfftfreq(x.size, 1 / rate)
    return float(spec[(f >= lo) & (f < hi)].sum())


def test_sound_effects_sit_under_the_voice_and_the_film_keeps_its_loudness(clips, tmp_path):
    speech = tmp_path / "speech.wav"
    media.write_wav(speech, np.concatenate([np.zeros(int(1.5 * SR), np.float32), tone(1.5), np.zeros(SR, np.float32)]),
                    SR)  # the voice from 1.5 s to 3 s of the scene (low partials only)
    fx = write_effects([Effect("rain on the window", "rain", "bed", 0.0), Effect("a bell", "bell", "event", 3.2)],
                       4.0, tmp_path / "fx.wav", seed=1)
    out = film(tmp_path, [SceneMedia(make_clip(tmp_path / "long.mp4", GREY, 4.0), 4.0, speech=str(speech),
                                     cues=[Cue(1.5, 3.0, "Listen.", "ANA")], effects=str(fx))], "fx",
               finish=Finish(effects_volume=0.5))
    x, rate = audio_of(out, 48000), 48000

    def rain(a: float, b: float) -> float:  # the rain's band: the voice has nothing up there
        return band(x[int(a * rate):int(b * rate)], rate, 5000, 9000) / (b - a)

    assert rain(0.6, 1.3) > 0 and rain(1.9, 2.8) < 0.5 * rain(0.6, 1.3)  # ducked under the voice (> 3 dB)
    bell_window = x[int(3.25 * rate):int(3.7 * rate)]
    before = x[int(0.6 * rate):int(1.05 * rate)]
    assert band(bell_window, rate, 300, 1500) > 2 * band(before, rate, 300, 1500)  # the bell rings at its time
    loud = media.measure_loudness(out)
    assert abs(loud.integrated - (-16.0)) <= 1.0, loud


def test_effects_are_planned_from_the_scene_text():
    text = "The rain drums on the roof.\n\nANA\nDid you hear that?\n\nSFX: THUNDER\n\nBO\nIt's only the storm."
    placed = plan_effects(text, ["rain drums on the roof", "THUNDER", "a kazoo solo"],
                          [("Did you hear that?", 1.0), ("It's only the storm.", 2.6)], 5.0)
    assert [(e.sound, e.kind) for e in placed] == [("rain", "bed"), ("thunder", "event"), ("", "event")]
    assert placed[1].at == 2.6  # at the line written after it
    assert write_effects([placed[2]], 5.0, "/nonexistent/x.wav") is None  # nothing to play: no file


def test_words_come_from_the_voices_alignment_else_estimated(clips, tmp_path):
    phones = [("h", 0.5, 0.55), ("ə", 0.55, 0.6), ("l", 0.6, 0.65), ("ˈoʊ", 0.65, 0.8), (" ", 0.8, 0.85),
              ("w", 0.85, 0.9), ("ˈɜː", 0.9, 1.0), ("l", 1.0, 1.05), ("d", 1.05, 1.1), (".", 1.1, 1.2)]
    assert [(w.word, w.start, w.end) for w in words_from_phones("Hello world.", phones)] == [
        ("Hello", 0.5, 0.8), ("world.", 0.85, 1.1)]
    assert words_from_phones("Call 911 now", phones) is None  # three written words, two spoken: estimated
    scenes = [SceneMedia(clips[0], 2.0, cues=[Cue(0.4, 1.2, "Hello world.", "ANA"), Cue(1.3, 1.9, "Bye now.", "ANA")],
                         phones=[phones, None])]
    out = film(tmp_path, scenes, "words", finish=Finish(captions=caption_style("karaoke")))
    words = json.loads(Path(out).with_suffix(".words.json").read_text())["words"]
    assert [(w["word"], w["estimated"]) for w in words] == [("Hello", False), ("world.", False), ("Bye", True),
                                                          ("now.", True)]
    assert words[0]["start"] == 0.5 and all(0.4 <= w["start"] <= w["end"] <= 1.9 for w in words)
    vtt = Path(out).with_suffix(".vtt").read_text()
    assert vtt.startswith("WEBVTT") and "Hello world." in vtt
    assert "Hello world." in Path(out).with_suffix(".srt").read_text()
    # karaoke: the first word is lit while it is said, the second later (the highlight moves)
    early, late = frame_at(out, 0.6), frame_at(out, 0.95)

    def yellow(f, x0, x1):
        px = f[120:175, x0:x1].reshape(-1, 3).astype(int)
        return int(((px[:, 0] > 180) & (px[:, 1] > 150) & (px[:, 2] < 90)).sum())

    assert yellow(early, 0, W // 2) > yellow(early, W // 2, W) and yellow(late, W // 2, W) > yellow(late, 0, W // 2)
