"""The editable timeline (services/delivery/timeline_export.py): every assertion reads the written
file back through OpenTimelineIO's own readers (.otio, FCP 7 XML, FCPXML) or unpacks the bundle."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

otio = pytest.importorskip("opentimelineio")

from vidgen import media  # noqa: E402
from vidgen.domain import Cue, SceneMedia  # noqa: E402
from vidgen.errors import VidgenError  # noqa: E402
from vidgen.services.assembly.timeline import film_duration, scene_starts  # noqa: E402
from vidgen.services.delivery.timeline_export import (  # noqa: E402
    TIMELINE_KINDS, build_timeline, export_bundle, write_timeline)

FPS, SIZE, T = 10, (64, 36), 0.5
FRAME = 1.0 / FPS + 1e-6


def _clip(path: Path, color: str, seconds: float) -> str:
    media.run_ffmpeg(["-f", "lavfi", "-i", f"color=c={color}:s=64x36:r={FPS}:d={seconds}",
                      "-c:v", "mpeg4", "-pix_fmt", "yuv420p", str(path)])
    return str(path)


def _wav(path: Path, seconds: float, hz: float = 220.0) -> str:
    t = np.arange(int(seconds * 16000)) / 16000
    media.write_wav(path, 0.3 * np.sin(2 * np.pi * hz * t), 16000)
    return str(path)


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    d = tmp_path_factory.mktemp("film")
    scenes = [
        SceneMedia(clip=_clip(d / "a.mp4", "red", 2.0), duration=2.0, speech=_wav(d / "a.wav", 1.5),
                   speech_offset=0.2, transition="fade", effects=_wav(d / "fx.wav", 2.0, 90),
                   cues=[Cue(0.3, 0.9, "Hello there", "Alice"), Cue(1.0, 1.6, "Hi, Alice", "Bob")]),
        SceneMedia(clip=_clip(d / "b.mp4", "green", 1.5), duration=1.5, speech=_wav(d / "b.wav", 1.2),
                   speech_offset=0.1, transition="fade",
                   cues=[Cue(0.2, 0.8, "Where now?", "Alice"), Cue(0.9, 1.3, "Nobody knows.", None)]),
        SceneMedia(clip=_clip(d / "c.mp4", "blue", 2.5), duration=2.5, transition="cut"),
    ]
    return d, scenes, _wav(d / "music.wav", 2.5, 440)


def _video(tl):
    return next(t for t in tl.tracks if t.kind == otio.schema.TrackKind.Video)


def _clips(track):
    return [c for c in track if isinstance(c, otio.schema.Clip)]


def _visible(track, clip) -> tuple[float, float]:
    """(first frame on the film, seconds shown) of a clip, dissolves included."""
    i = track.index(clip)
    before = track[i - 1] if i and isinstance(track[i - 1], otio.schema.Transition) else None
    after = track[i + 1] if i + 1 < len(track) and isinstance(track[i + 1], otio.schema.Transition) else None
    r = track.range_of_child(clip)
    head = before.in_offset.to_seconds() if before else 0.0  # the incoming dissolve shows the clip's head early
    tail = after.out_offset.to_seconds() if after else 0.0  # the outgoing one shows its tail late
    return r.start_time.to_seconds() - head, r.duration.to_seconds() + head + tail


def _film_start(track, clip) -> float:
    """Where the clip's media time 0 lands on the film (what an editor sees, dissolve or not)."""
    return (track.range_of_child(clip).start_time - clip.source_range.start_time).to_seconds()


def test_otio_round_trip(film, tmp_path):
    d, scenes, music = film
    starts = scene_starts(scenes, T)
    total = film_duration(scenes, starts)
    tl = build_timeline(scenes, fps=FPS, size=SIZE, transition_seconds=T, music=music, title="Test film")
    path = write_timeline(tl, tmp_path / "film.otio", "otio")
    back = otio.adapters.read_from_file(str(path))

    video = _video(back)
    clips = _clips(video)
    assert [c.name for c in clips] == ["Scene 1", "Scene 2", "Scene 3"]
    assert abs(video.duration().to_seconds() - total) <= FRAME
    assert len([t for t in video if isinstance(t, otio.schema.Transition)]) == 1  # scene 3 cuts
    for clip, scene, start in zip(clips, scenes, starts):
        vis_start, vis_dur = _visible(video, clip)
        assert abs(vis_start - start) <= FRAME and abs(_film_start(video, clip) - start) <= FRAME
        assert abs(vis_dur - scene.duration) <= FRAME
        seen = clip.visible_range()  # OTIO's own view: all of the scene's media shows, dissolves included
        assert seen.start_time.to_seconds() == 0 and abs(seen.duration.to_seconds() - scene.duration) <= FRAME
        assert Path(clip.media_reference.target_url).is_file()  # a plain path: Resolve takes no file:// here
        assert clip.media_reference.available_range.duration.to_seconds() == pytest.approx(scene.duration, abs=FRAME)
        assert clip.metadata["vidgen"]["start"] == pytest.approx(start)
    assert clips[1].metadata["vidgen"]["transition"] == "fade" and clips[2].metadata["vidgen"]["transition"] == "cut"

    audio = {t.name: t for t in back.tracks if t.kind == otio.schema.TrackKind.Audio}
    assert list(audio) == ["Dialogue — Alice", "Dialogue — Bob", "Dialogue — Narrator", "Effects", "Music"]
    expected = {"Dialogue — Alice": [(0, scenes[0].cues[0]), (1, scenes[1].cues[0])],
                "Dialogue — Bob": [(0, scenes[0].cues[1])], "Dialogue — Narrator": [(1, scenes[1].cues[1])]}
    for name, lines in expected.items():
        track = audio[name]
        got = _clips(track)
        assert len(got) == len(lines)
        for clip, (n, cue) in zip(got, lines):
            scene = scenes[n]
            r = track.range_of_child(clip)
            assert abs(r.start_time.to_seconds() - (starts[n] + cue.start)) <= FRAME
            assert abs(clip.source_range.start_time.to_seconds() - (cue.start - scene.speech_offset)) <= FRAME
            wav_end = media.probe(scene.speech).duration
            want = min(cue.end - scene.speech_offset, wav_end) - (cue.start - scene.speech_offset)
            assert abs(r.duration.to_seconds() - want) <= FRAME
            assert Path(clip.media_reference.target_url).name == Path(scene.speech).name
    # Bob's line runs past the WAV's end (1.6 - 0.2 > 1.5 s): clamped to it.
    bob = _clips(audio["Dialogue — Bob"])[0]
    assert bob.source_range.end_time_exclusive().to_seconds() <= 1.5 + 1e-9
    assert len(_clips(audio["Effects"])) == 1
    music_clips = _clips(audio["Music"])  # 5.5 s of a 2.5 s loop
    assert len(music_clips) == 3 and abs(audio["Music"].duration().to_seconds() - total) <= FRAME

    markers = list(back.tracks.markers)
    assert [m.name for m in markers] == ["Hello there", "Hi, Alice", "Where now?", "Nobody knows."]
    assert abs(markers[2].marked_range.start_time.to_seconds() - (starts[1] + 0.2)) <= FRAME
    assert markers[1].metadata["vidgen"]["speaker"] == "Bob"


def test_captions_given_become_the_markers(film):
    _, scenes, _ = film
    tl = build_timeline(scenes, fps=FPS, size=SIZE, transition_seconds=T, captions=[Cue(1.0, 2.0, "One", None)])
    assert [(m.name, m.marked_range.start_time.to_seconds()) for m in tl.tracks.markers] == [("One", 1.0)]
    assert not [t for t in tl.tracks if t.name == "Music"]  # no music: no track


@pytest.mark.parametrize("kind, fps", [("fcp7", FPS), ("fcpxml", FPS), ("fcp7", 16), ("fcpxml", 16)])
def test_fcp_round_trip(film, tmp_path, kind, fps):
    """10 fps goes at 30 (no XML writer takes 10), 16 at 48 (FCP 7) or, rounded, at 60 (FCPXML)."""
    _, scenes, music = film
    tl = build_timeline(scenes, fps=fps, size=SIZE, transition_seconds=T, music=music)
    path = write_timeline(tl, tmp_path / f"film{TIMELINE_KINDS[kind]}", kind)
    back = otio.adapters.read_from_file(str(path), adapter_name="fcp_xml" if kind == "fcp7" else "fcpx_xml")
    if isinstance(back, otio.schema.SerializableCollection):
        back = next(iter(back))
    video, original = _video(back), _video(tl)
    clips = _clips(video)
    assert [c.name for c in clips] == ["Scene 1", "Scene 2", "Scene 3"]
    starts = scene_starts(scenes, T)
    for clip, orig, start in zip(clips, _clips(original), starts):
        assert abs(clip.duration().to_seconds() - orig.duration().to_seconds()) <= FRAME
        assert abs(_film_start(video, clip) - start) <= FRAME
    assert abs(video.duration().to_seconds() - film_duration(scenes, starts)) <= FRAME
    text = path.read_text(encoding="utf-8")
    if kind == "fcp7":
        assert len([t for t in video if isinstance(t, otio.schema.Transition)]) == 1
        assert [m.name for m in back.tracks.markers][:2] == ["Hello there", "Hi, Alice"]
        assert "<width>64</width>" in text and "<pathurl>file://localhost/" in text
    else:
        assert text.count("<transition ") == 1 and 'width="64"' in text and 'src="file:///' in text
        assert sum(len(c.markers) for c in clips) == 4
    audio = [c for t in back.tracks if t.kind == otio.schema.TrackKind.Audio for c in _clips(t)]
    assert len(audio) == 4 + 1 + 3  # lines, effects, music loops


def test_bundle_relocates(film, tmp_path):
    d, scenes, music = film
    out = export_bundle(scenes, tmp_path / "bundle.zip", kind="otio", fps=FPS, size=SIZE, transition_seconds=T,
                        music=music, title="My film", extra_files={"My film.mp4": Path(scenes[0].clip)})
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        z.extractall(tmp_path / "x")
    assert {"My_film.otio", "My_film.srt", "My film.mp4", "media/clip-1.mp4", "media/clip-2.mp4",
            "media/clip-3.mp4", "media/speech-1.wav", "media/speech-2.wav", "media/effects-1.wav",
            "media/music.wav"} == names
    root = tmp_path / "x"
    back = otio.adapters.read_from_file(str(root / "My_film.otio"))
    refs = [c.media_reference.target_url for c in back.find_clips()]
    assert refs and all(not r.startswith(("/", "file:")) for r in refs)
    assert all((root / r).is_file() for r in refs)
    assert "Hello there" in (root / "My_film.srt").read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".bundle*"))  # the temp name was renamed away

    for kind in ("fcp7", "fcpxml"):
        zp = export_bundle(scenes, tmp_path / f"{kind}.zip", kind=kind, fps=FPS, size=SIZE, transition_seconds=T)
        with zipfile.ZipFile(zp) as z:
            assert f"film{TIMELINE_KINDS[kind]}" in z.namelist()
            assert 'media/clip-1.mp4' in z.read(f"film{TIMELINE_KINDS[kind]}").decode()


def test_bad_input(film, tmp_path):
    _, scenes, _ = film
    tl = build_timeline(scenes[:1], fps=FPS, size=SIZE, transition_seconds=T)
    with pytest.raises(VidgenError, match="otio, fcpxml, fcp7"):
        write_timeline(tl, tmp_path / "x.edl", "edl")
    with pytest.raises(VidgenError, match="does not exist"):
        write_timeline(tl, tmp_path / "nowhere" / "x.otio", "otio")
    with pytest.raises(VidgenError, match="does not exist"):
        export_bundle(scenes, tmp_path / "nowhere" / "b.zip", kind="otio", fps=FPS, size=SIZE, transition_seconds=T)
    with pytest.raises(VidgenError, match="Unknown timeline kind"):
        export_bundle(scenes, tmp_path / "b.zip", kind="aaf", fps=FPS, size=SIZE, transition_seconds=T)
    assert not (tmp_path / "nowhere").exists()
