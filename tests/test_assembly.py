"""Assembly: timeline maths, subtitle files, and real (tiny) renders probed frame by frame."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from vidgen import media
from vidgen.domain import AssemblyResult, Cue, SceneMedia
from vidgen.errors import Cancelled, VidgenError
from vidgen.services import assembly
from vidgen.services.assembly import assemble, scene_starts, timeline_cues, write_subtitles

W, H, FPS = 320, 180, 12
SR = 22050
COLOURS = [(200, 40, 40), (40, 180, 60), (40, 60, 200), (210, 190, 40)]
INJECTION = "'];drawtext=text=pwned[ {\\b1}bold? \\N not a newline {\\p1}m 0 0 l 10 10"
LONG = ("This line is far too long to fit on two lines of forty-two characters, so the assembler "
        "must cut it into several cues at word boundaries.")


def make_clip(path: Path, colour, seconds: float, size=(W, H), fps=FPS) -> str:
    w, h = size
    with media.VideoWriter(path, w, h, fps) as vw:
        for f in range(round(seconds * fps)):
            frame = np.empty((h, w, 3), np.uint8)
            frame[:] = colour
            x = (f * 7) % (w - 24)
            frame[6:22, x:x + 24] = 255  # moving detail at the top
            vw.write(frame)
    return str(path)


def tone(seconds: float, freqs=(180.0, 360.0, 540.0), amp=0.25, rate=SR) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = sum(np.sin(2 * np.pi * f * t) for f in freqs) / len(freqs)
    return (amp * x * (0.8 + 0.2 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)


def frame_at(path: str, t: float) -> np.ndarray:
    import av

    with av.open(path) as c:
        for fr in c.decode(video=0):
            if fr.time is not None and fr.time >= t - 1e-3:
                return fr.to_ndarray(format="rgb24")
    raise AssertionError(f"no frame at {t}")


def body_colour(frame: np.ndarray) -> np.ndarray:
    """Median colour of a region clear of the moving square and the subtitles."""
    return np.median(frame[50:110, 40:280].reshape(-1, 3), axis=0)


def close(a, b, tol=14) -> bool:
    return bool(np.all(np.abs(np.asarray(a, float) - np.asarray(b, float)) <= tol))


# --- pure timeline -------------------------------------------------------------------------

def scene(d=3.0, transition="fade", cues=()):
    return SceneMedia(clip="x.mp4", duration=d, cues=list(cues), transition=transition)


def test_scene_starts_with_mixed_cuts_and_fades():
    scenes = [scene(3), scene(4, "cut"), scene(2, "dissolve"), scene(3, "wipe"), scene(1, "cut")]
    starts = scene_starts(scenes, 0.5)
    assert starts == pytest.approx([0.0, 3.0, 6.5, 8.0, 11.0])
    assert starts[-1] + scenes[-1].duration == pytest.approx(12.0)
    assert scene_starts(scenes, 0.0) == pytest.approx([0, 3, 7, 9, 12])


def test_timeline_cues_are_absolute_split_ordered_and_non_overlapping():
    scenes = [scene(3, cues=[Cue(0.5, 2.9, "First."), Cue(2.5, 3.0, "Overlaps the first.")]),
              scene(6, cues=[Cue(0.5, 5.5, LONG)])]
    cues = timeline_cues(scenes, scene_starts(scenes, 0.5))
    texts = [c.text for c in cues]
    assert texts[:2] == ["First.", "Overlaps the first."]
    pieces = texts[2:]
    assert len(pieces) >= 2 and all(len(p) <= 84 for p in pieces)
    assert " ".join(pieces) == " ".join(LONG.split())
    assert cues[2].start == pytest.approx(3.0) and cues[-1].end == pytest.approx(8.0 + assembly.LINGER_SECONDS)
    # Piece lengths drive their durations.
    durs = [c.end - c.start for c in cues[2:-1]] + [cues[-1].end - assembly.LINGER_SECONDS - cues[-1].start]
    assert durs[0] / durs[1] == pytest.approx((len(pieces[0]) + 1) / (len(pieces[1]) + 1), rel=0.05)
    for a, b in zip(cues, cues[1:]):
        assert a.start < a.end <= b.start < b.end


def test_timeline_cues_keep_every_line_when_cues_collide():
    scenes = [scene(5, cues=[Cue(1.0, 2.0, "A"), Cue(1.0, 3.0, "B"), Cue(1.2, 1.5, "C")])]
    cues = timeline_cues(scenes, [0.0])
    assert sorted(c.text for c in cues) == ["A", "B", "C"]
    for a, b in zip(cues, cues[1:]):
        assert a.start < a.end <= b.start < b.end
    assert cues[-1].end <= 5.0


def test_write_subtitles_keeps_text_literal(tmp_path):
    import pysubs2

    cues = [Cue(1.0, 2.0, INJECTION), Cue(2.0, 3.5, "Plain {braces} and \\back\\slash")]
    write_subtitles(cues, tmp_path / "s.srt", tmp_path / "s.ass", (1080, 1920))
    srt = pysubs2.load(str(tmp_path / "s.srt"))
    assert "\u2060" not in (tmp_path / "s.srt").read_text(encoding="utf-8")  # no ASS escaping in plain text (issue 11)
    assert [e.text for e in srt] == [c.text for c in cues]
    assert [(e.start, e.end) for e in srt] == [(1000, 2000), (2000, 3500)]
    ass_text = (tmp_path / "s.ass").read_text(encoding="utf-8")
    assert "PlayResX: 1080" in ass_text and "PlayResY: 1920" in ass_text and "DejaVu Sans" in ass_text
    assert "\\{\\b1\\}" in ass_text and "{\\b1}" not in ass_text.replace("\\{\\b1\\}", "")
    assert "\\N not" not in ass_text  # defused with a word joiner
    for size in [(1280, 720), (1080, 1920), (720, 720)]:
        fs = assembly.subtitle_font_size(size)
        assert 0.035 * min(size) <= fs <= 0.05 * min(size)


# --- renders -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def material(tmp_path_factory):
    d = tmp_path_factory.mktemp("material")
    clips = [make_clip(d / f"c{i}.mp4", c, 3.0) for i, c in enumerate(COLOURS)]
    speech = []
    for i in range(4):
        p = d / f"s{i}.wav"
        media.write_wav(p, tone(1.5, amp=0.1 + 0.05 * i), SR)
        speech.append(str(p))
    return d, clips, speech


@pytest.fixture(scope="module")
def film(material):
    d, clips, speech = material
    transitions = ["fade", "fade", "cut", "dissolve"]
    scenes = [SceneMedia(clips[i], 3.0, speech[i], 0.8, [Cue(0.8, 2.3, f"Line {i}.")], transitions[i])
              for i in range(4)]
    scenes[1].cues = [Cue(0.8, 2.3, INJECTION)]
    scenes[3].cues = [Cue(0.6, 2.6, LONG)]
    fractions: list[float] = []
    result = assemble(scenes, d / "film.mp4", size=(W, H), fps=FPS, transition_seconds=0.5,
                      quality="draft", progress=fractions.append)
    return scenes, result, fractions


def test_film_streams_duration_and_progress(film):
    scenes, result, fractions = film
    assert isinstance(result, AssemblyResult)
    info = media.probe(result.video)
    assert info.video.codec == "h264" and info.video.pix_fmt == "yuv420p"
    assert (info.video.width, info.video.height) == (W, H)
    assert info.audio.codec == "aac" and info.audio.sample_rate == 48000
    expected = 4 * 3.0 - 2 * 0.5  # one cut
    assert result.duration == pytest.approx(expected)
    assert info.duration == pytest.approx(expected, abs=0.1)
    assert info.video.duration == pytest.approx(expected, abs=0.1)
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) > 3
    assert Path(result.subtitles) == Path(result.video).with_suffix(".srt")


def test_frames_show_scenes_transitions_and_cuts(film):
    scenes, result, _ = film
    starts = scene_starts(scenes, 0.5)  # 0, 2.5, 5.5 (cut), 8.0
    assert starts == pytest.approx([0, 2.5, 5.5, 8.0])
    v = result.video
    for i, mid in enumerate([1.5, 4.0, 6.75, 9.5]):
        assert close(body_colour(frame_at(v, mid)), COLOURS[i]), i
    # Mid-fade (2.75 s): a blend of red and green, far from both.
    blend = body_colour(frame_at(v, 2.75))
    expect = (np.array(COLOURS[0]) + np.array(COLOURS[1])) / 2
    assert close(blend, expect, tol=30)
    assert not close(blend, COLOURS[0], 40) and not close(blend, COLOURS[1], 40)
    # Hard cut at 5.5 s: green to the last frame, blue from the first.
    assert close(body_colour(frame_at(v, 5.5 - 1 / FPS)), COLOURS[1])
    assert close(body_colour(frame_at(v, 5.5)), COLOURS[2])
    # Fade from black at the very start.
    assert body_colour(frame_at(v, 0.0)).max() < 40


def test_sidecar_srt_matches_the_lines(film):
    import pysubs2

    scenes, result, _ = film
    subs = pysubs2.load(result.subtitles)
    texts = [e.text for e in subs]  # exactly the text, no U+2060 (issue 11)
    assert texts[:4] == ["Line 0.", INJECTION, "Line 2.", "Line 3."][:3] + texts[3:4]
    assert texts[1] == INJECTION  # written literally, and ffmpeg did not choke on it
    long_pieces = texts[3:]
    assert len(long_pieces) >= 2 and " ".join(long_pieces) == " ".join(LONG.split())
    assert subs[0].start == 800 and subs[0].end == 2300 + 1000 * assembly.LINGER_SECONDS
    assert subs[1].start == 3300  # scene 2 starts at 2.5 s
    for a, b in zip(subs, subs[1:]):
        assert a.start < a.end <= b.start


def test_speech_film_is_loudness_normalised(film):
    _, result, _ = film
    assert media.measure_loudness(result.video).integrated == pytest.approx(-16.0, abs=0.5)


def test_burned_subtitles_change_the_bottom_only(material, tmp_path, monkeypatch):
    d, clips, _ = material
    # No system fonts visible to libass: the bundled DejaVu (fontsdir) must carry the text.
    (tmp_path / "fc").mkdir()
    (tmp_path / "fonts.conf").write_text(
        f"<?xml version='1.0'?><fontconfig><cachedir>{tmp_path / 'fc'}</cachedir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(tmp_path / "fonts.conf"))
    scenes = [SceneMedia(clips[0], 3.0, cues=[Cue(0.5, 2.5, "Burned in words")])]
    on = assemble(scenes, tmp_path / "on.mp4", size=(W, H), fps=FPS, quality="draft")
    off = assemble(scenes, tmp_path / "off.mp4", size=(W, H), fps=FPS, quality="draft",
                   burn_subtitles=False)
    a, b = frame_at(on.video, 1.5).astype(int), frame_at(off.video, 1.5).astype(int)
    assert np.abs(a[int(H * 0.75):] - b[int(H * 0.75):]).max() > 100
    assert np.abs(a[30:H // 2] - b[30:H // 2]).max() < 20
    # Silent film: still an AAC track.
    info = media.probe(off.video)
    assert info.audio is not None and info.audio.codec == "aac"
    assert (tmp_path / "off.srt").is_file()


def band_level(x: np.ndarray, rate: int, t0: float, t1: float, f0: float, width=40.0) -> float:
    seg = x[int(t0 * rate):int(t1 * rate)]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    freqs = np.fft.rfftfreq(len(seg), 1 / rate)
    band = (freqs > f0 - width) & (freqs < f0 + width)
    return 10 * math.log10(float((spec[band] ** 2).sum()) + 1e-12)


def test_music_is_ducked_under_speech(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", COLOURS[2], 10.0)
    music_rate = 44100
    t = np.arange(int(3.0 * music_rate)) / music_rate  # shorter than the film: it must loop
    media.write_wav(tmp_path / "music.wav", 0.5 * np.sin(2 * np.pi * 1000 * t), music_rate)
    speech = np.zeros(int(10.0 * SR), np.float32)
    for a, b in [(2.0, 3.5), (6.0, 7.0)]:
        speech[int(a * SR):int(a * SR) + int((b - a) * SR)] = tone(b - a, amp=0.3)[: int((b - a) * SR)]
    media.write_wav(tmp_path / "speech.wav", speech, SR)
    scenes = [SceneMedia(clip, 10.0, str(tmp_path / "speech.wav"), 0.0)]
    result = assemble(scenes, tmp_path / "duck.mp4", size=(W, H), fps=FPS, quality="draft",
                      music=str(tmp_path / "music.wav"), music_volume=0.5)
    x = media.decode_audio(result.video, 48000)
    assert len(x) / 48000 == pytest.approx(10.0, abs=0.1)
    during = max(band_level(x, 48000, 2.5, 3.4, 1000), band_level(x, 48000, 6.3, 6.9, 1000))
    between = band_level(x, 48000, 4.6, 5.8, 1000)
    assert between - during >= 6.0, (between, during)
    assert band_level(x, 48000, 2.5, 3.4, 360) > during  # the speech is there

    # music_volume is relative to the voice: 0.5 puts the undocked bed ~6 dB under the speech.
    def rms(a, b):
        return 10 * math.log10(float(np.mean(x[int(a * 48000):int(b * 48000)] ** 2)))
    assert 3.0 < rms(2.5, 3.4) - rms(4.6, 5.8) < 10.0


def test_invalid_inputs_are_reported(material, tmp_path):
    d, clips, _ = material
    ok = [SceneMedia(clips[0], 3.0)]
    with pytest.raises(VidgenError, match="no scenes"):
        assemble([], tmp_path / "x.mp4", size=(W, H), fps=FPS)
    with pytest.raises(VidgenError, match="clip is missing"):
        assemble([SceneMedia(str(tmp_path / "gone.mp4"), 3.0)], tmp_path / "x.mp4", size=(W, H), fps=FPS)
    with pytest.raises(VidgenError, match="even"):
        assemble(ok, tmp_path / "x.mp4", size=(321, 180), fps=FPS)
    text = tmp_path / "music.mp3"
    text.write_text("this is not music at all\n" * 50)
    with pytest.raises(VidgenError, match="Cannot read the music file music.mp3"):
        assemble(ok, tmp_path / "x.mp4", size=(W, H), fps=FPS, music=str(text))
    with pytest.raises(VidgenError, match="transition"):
        assemble([SceneMedia(clips[0], 3.0), SceneMedia(clips[1], 0.4)], tmp_path / "x.mp4",
                 size=(W, H), fps=FPS, transition_seconds=0.5)
    assert not (tmp_path / "x.mp4").exists()


def test_cancel_during_the_video_pass_leaves_no_file(material, tmp_path):
    d, clips, speech = material
    scenes = [SceneMedia(c, 3.0, s, 0.5, [Cue(0.5, 2.0, "Hi")]) for c, s in zip(clips, speech)]
    seen: list[float] = []

    def cancel() -> None:
        if seen and seen[-1] > assembly.AUDIO_SHARE:  # the video pass is running
            raise Cancelled()

    out = tmp_path / "out" / "film.mp4"
    with pytest.raises(Cancelled):
        assemble(scenes, out, size=(W, H), fps=FPS, quality="draft", progress=seen.append,
                 cancel=cancel, work_dir=tmp_path / "work")
    assert not out.exists() and not out.with_suffix(".srt").exists()
    assert list(out.parent.iterdir()) == []  # no temp file left behind


def test_short_sentences_merge_and_every_cue_stays_readable():
    scenes = [scene(9, cues=[Cue(0.5, 0.8, "So."), Cue(1.0, 1.6, "You play?"), Cue(2.1, 2.5, "I did."),
                             Cue(4.0, 4.3, "Once.", "Ana"), Cue(4.4, 4.6, "Really?", "Ben")])]
    cues = timeline_cues(scenes, [0.0])
    assert [(c.text, c.speaker) for c in cues] == [("So. You play? I did.", None), ("Once.", "Ana"),
                                                    ("Really?", "Ben")]
    assert cues[0].start == pytest.approx(0.5) and cues[0].end == pytest.approx(2.8)  # + linger
    assert cues[1].end == pytest.approx(4.4)  # held until the next speaker, not past
    assert cues[2].end - cues[2].start == pytest.approx(1.0)  # the minimum, room permitting
    for a, b in zip(cues, cues[1:]):
        assert a.start < a.end <= b.start


def test_long_films_are_joined_in_chunks_with_exact_timing(material, tmp_path, monkeypatch):
    d, clips, speech = material
    monkeypatch.setattr(assembly, "MAX_INPUTS", 2)  # 4 scenes -> 2 chunks, joined by the final pass
    transitions = ["fade", "fade", "cut", "fade"]
    scenes = [SceneMedia(clips[i], 3.0, speech[i], 0.8, [Cue(0.8, 2.3, f"Line {i}.")], transitions[i])
              for i in range(4)]
    result = assemble(scenes, tmp_path / "long.mp4", size=(W, H), fps=FPS, quality="draft",
                      work_dir=tmp_path / "work")
    starts = scene_starts(scenes, 0.5)  # 0, 2.5, 5.5 (cut), 8.0 (fade across the chunk boundary)
    assert media.probe(result.video).duration == pytest.approx(starts[-1] + 3.0, abs=0.1)
    for i, mid in enumerate([1.5, 4.0, 6.75, 9.5]):
        assert close(body_colour(frame_at(result.video, mid)), COLOURS[i]), i
    blend = body_colour(frame_at(result.video, 8.25))  # mid-fade from blue into yellow
    assert close(blend, (np.array(COLOURS[2]) + np.array(COLOURS[3])) / 2, tol=30)
    assert not list((tmp_path / "work").glob("asm-chunk*"))  # intermediates cleaned
