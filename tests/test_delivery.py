"""Delivery (issue 18): one render exported in every format (probed: codec, container, duration, sound
and its loudness), the stems lined up with the film, a second format running no step but its encode,
the encoder's fallback and its forced error, the platform presets' sizes, and bad output names."""

import zipfile
from pathlib import Path

import numpy as np
import pytest

from vidgen import media
from vidgen.cli import main
from vidgen.config import Settings
from vidgen.errors import VidgenError
from vidgen.platforms import PLATFORMS, expand
from vidgen.render_settings import RenderSettings, with_changes
from vidgen.services.delivery import encoders
from vidgen.services.delivery.formats import FORMATS, PREVIEW_WIDTH, format_for
from vidgen.studio import Studio

from tests.scripts import HARBOUR

FPS = 12
SMALL = {"resolution": "480p", "fps": FPS, "quality": "draft", "transition_seconds": 0.3}
EXPECTED = {  # format -> (container as PyAV names it, video codec, audio codec)
    "mp4": ("mov,mp4,m4a,3gp,3g2,mj2", "h264", "aac"),
    "mp4-h265": ("mov,mp4,m4a,3gp,3g2,mj2", "hevc", "aac"),
    "webm": ("matroska,webm", "vp9", "opus"),
    "mov": ("mov,mp4,m4a,3gp,3g2,mj2", "prores", "pcm_s16le"),
    "wav": ("wav", None, "pcm_s16le"),
    "mp3": ("mp3", None, "mp3float"),
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """A studio (jobs in the calling thread) with one rendered two-scene film and its export of every format."""
    data = tmp_path_factory.mktemp("delivery-data")
    studio = Studio(Settings.from_env(data), threads=False, upload_roots=[data])
    project = studio.create_project(HARBOUR, "Harbour", SMALL)
    job = studio.render(project["id"])
    exported = studio.export_film(project["id"], [f for f in FORMATS if f != "mp4"])
    yield studio, project["id"], job, exported
    studio.shutdown(timeout=60)


def test_every_format_is_what_it_says_and_as_long_as_the_film(rendered):
    _, _, job, exported = rendered
    master = job["result"]["video"]
    film = media.probe(master)
    target = media.measure_loudness(master).integrated
    assert abs(target - -16.0) < 1.0
    files = {"mp4": master, **exported["files"]}
    for name, (container, video, audio) in EXPECTED.items():
        info = media.probe(files[name])
        assert info.format == container, name
        assert (info.video.codec if info.video else None) == video, name
        assert info.audio is not None and info.audio.codec == audio, name
        assert abs(info.duration - film.duration) <= 1.0 / FPS + 1e-3, (name, info.duration, film.duration)
        if video:
            assert (info.video.width, info.video.height) == (854, 480), name
        level = media.measure_loudness(files[name]).integrated
        assert abs(level - target) < 0.7, (name, level, target)
    assert Path(files["mov"]).stat().st_size > 5 * Path(master).stat().st_size  # ProRes: an editing codec


def test_previews_are_short_small_animations(rendered):
    _, _, job, exported = rendered
    for name in ("gif", "webp"):
        path = exported["files"][name]
        assert path.endswith(f".{name}")
        frames = _frames(path)
        assert len(frames) > 10, name  # it moves
        assert frames[0].shape[1] == PREVIEW_WIDTH, name
        assert float(np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean()) > 1.0, name  # not one still
        assert Path(path).stat().st_size < Path(job["result"]["video"]).stat().st_size * 20


def _frames(path: str) -> list[np.ndarray]:
    from PIL import Image, ImageSequence  # Pillow reads animated WebP, which ffmpeg's decoder cannot

    with Image.open(path) as im:
        return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]


def test_stems_line_up_with_the_film_and_add_up_to_its_mix(rendered, tmp_path):
    _, _, _, exported = rendered
    with zipfile.ZipFile(exported["files"]["stems"]) as z:
        names = set(z.namelist())
        z.extractall(tmp_path)
    assert {"dialogue.wav", "music.wav"} <= names <= {"dialogue.wav", "music.wav", "effects.wav"}
    mix = media.decode_audio(exported["files"]["wav"], 16000)
    stems = [media.decode_audio(tmp_path / n, 16000) for n in sorted(names)]
    assert all(abs(len(s) - len(mix)) <= 16000 / FPS for s in stems)  # the film's length, from 0
    n = min(len(mix), *(len(s) for s in stems))
    total = sum(s[:n] for s in stems)
    # the same mix but for the limiter and the ducking being applied per bed: close, not equal
    assert np.corrcoef(total, mix[:n])[0, 1] > 0.95
    assert abs(_db(total) - _db(mix[:n])) < 1.5
    dialogue = media.decode_audio(tmp_path / "dialogue.wav", 16000)[:n]
    words = np.abs(dialogue) > 0.02  # where speech sounds, the music stem is ducked under it
    music = media.decode_audio(tmp_path / "music.wav", 16000)[:n]
    assert words.any() and _db(music[words]) < _db(dialogue[words]) - 6


def _db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12)


def test_a_second_format_runs_no_step_but_its_encode(rendered):
    studio, project_id, job, exported = rendered
    ran = {step.name for step in studio.store.get_job(exported["job"]).steps if not step.cached}
    assert ran == {"export"}
    again = studio.export_film(project_id, "webm")
    steps = studio.store.get_job(again["job"]).steps
    assert steps and all(step.cached for step in steps)  # the webm itself comes from the cache now
    assert again["files"]["webm"] == exported["files"]["webm"]
    version = studio.get_version(job["id"])
    assert set(FORMATS) - {"mp4"} <= set(version["outputs"])  # each export is kept with the render
    assert all(Path(p).is_file() for p in version["outputs"].values())


def test_the_encoder_falls_back_to_software_without_nvenc_and_a_forced_one_says_why(rendered):
    studio, project_id, job, _ = rendered
    if not encoders.nvenc_problem("h264_nvenc"):
        pytest.skip("NVENC works on this machine")
    pick = encoders.choose("h264", "auto")
    assert pick.name == "libx264" and "NVENC unavailable" in pick.note
    assert encoders.choose("hevc", "auto").name == "libx265"
    assert job["result"]["encoder"] == "libx264"  # shown in the job record
    with pytest.raises(VidgenError, match="--encoder nvenc: .*h264_nvenc.*use --encoder auto"):
        encoders.choose("h264", "nvenc")
    with pytest.raises(VidgenError, match="NVENC has no VP9 encoder"):
        studio.export_film(project_id, "webm", encoder="nvenc")


def test_quality_presets_map_to_comparable_settings_on_each_encoder():
    assert encoders.video_args("libx264", "standard")[:6] == ["-c:v", "libx264", "-preset", "veryfast", "-crf", "21"]
    nv = encoders.video_args("h264_nvenc", "high", max_kbps=8000)
    assert nv[nv.index("-cq") + 1] == "20" and nv[nv.index("-maxrate") + 1] == "8000k"
    assert nv[nv.index("-bufsize") + 1] == "16000k"
    assert "-profile:v" in encoders.video_args("prores_aw", "draft")


def test_platform_presets_give_their_sizes_and_an_explicit_setting_wins():
    sizes = {"youtube": (1920, 1080), "shorts": (1080, 1920), "reels": (1080, 1920), "tiktok": (1080, 1920),
             "instagram": (1080, 1080), "instagram-4x5": (1080, 1350)}
    assert set(sizes) == set(PLATFORMS)
    for name, size in sizes.items():
        data, notes = expand({"platform": name})
        s = with_changes(RenderSettings(), data)
        assert s.size == size and s.fps == 30 and s.loudness == -14.0 and s.max_bitrate > 0 and not notes
    data, notes = expand({"platform": "shorts", "aspect": "16:9"})
    assert with_changes(RenderSettings(), data).size == (1920, 1080)
    assert notes == ["aspect 16:9 is kept over the shorts preset's 9:16: an explicit setting wins."]


def test_a_preset_render_has_its_size_loudness_and_says_which_setting_won(studio, tmp_path):
    one = "Scene 1: Dock\nNarrator: Ropes creak.\n"
    project = studio.create_project(one, "Dock", {"platform": "instagram-4x5", "fps": FPS, "quality": "draft",
                                                  "music": "none"})
    assert project["settings"]["aspect"] == "4:5" and project["settings"]["platform"] == "instagram-4x5"
    video = studio.render(project["id"])["result"]["video"]
    info = media.probe(video)
    assert (info.video.width, info.video.height) == (1080, 1350)
    assert abs(media.measure_loudness(video).integrated - -14.0) < 1.0
    other = studio.create_project(one, "Dock", {"platform": "tiktok", "fps": FPS})
    assert any("fps 12 is kept over the tiktok preset's 30" in n for n in other["notes"])


def test_bad_output_names_get_one_line_each(rendered, tmp_path, capsys):
    studio, project_id, _, _ = rendered
    data = str(studio.settings.data_dir)
    script = tmp_path / "s.txt"
    script.write_text(HARBOUR)
    cases = [
        (["render", str(script), "-o", str(tmp_path / "film.avi")], "Cannot tell the format of film.avi: end the name"),
        (["render", str(script), "-o", str(tmp_path / "nope" / "film.mp4")], "The folder"),
        (["export", project_id, "--timeline", "otio", "-o", str(tmp_path / "t.otio")], "written as a .zip"),
    ]
    for argv, words in cases:
        assert main([*argv, "--data", data, "-q"]) == 1
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, (argv, err)
    for argv, words in ((["export", project_id, "--timeline", "edl"], "invalid choice"),
                        (["render", str(script), "--format", "avi"], "unknown format 'avi'")):
        with pytest.raises(SystemExit) as stop:
            main([*argv, "--data", data])
        assert stop.value.code == 2 and words in capsys.readouterr().err
    assert not list(tmp_path.glob("film.*"))  # nothing written, nothing rendered
    with pytest.raises(VidgenError, match="has no render yet"):
        studio.export_film(studio.create_project(HARBOUR, "", SMALL)["id"], "webm")
    with pytest.raises(VidgenError, match="Unknown format 'avi'"):
        studio.export_film(project_id, ["webm", "avi"])
    assert format_for("x.MP4").name == "mp4" and format_for("x.zip").name == "stems"
    with pytest.raises(VidgenError, match="ends in .mov, but the webm format writes .webm"):
        format_for("film.mov", "webm")



@pytest.mark.parametrize("kind", ["otio", "fcpxml", "fcp7"])
def test_the_rendered_films_timeline_reads_back_with_its_media(rendered, tmp_path, kind):
    import opentimelineio as otio

    studio, project_id, job, _ = rendered
    r = studio.export_timeline(project_id, kind)
    with zipfile.ZipFile(r["bundle"]) as z:
        z.extractall(tmp_path)
    timeline = otio.adapters.read_from_file(str(tmp_path / r["timeline"]))
    video = next(t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video)
    clips = [c for c in video if isinstance(c, otio.schema.Clip)]
    scenes = [s for s in studio.get_version(job["id"])["steps"] if s["name"] == "animation"]
    assert len(clips) == len(scenes) == r["clips"] == 2
    film = media.probe(job["result"]["video"]).duration
    frame = 1.0 / FPS
    assert abs(video.duration().to_seconds() - film) <= frame + 1e-6
    for clip in timeline.find_clips():  # every clip's file is in the bundle (the editors relink by it)
        url = clip.media_reference.target_url
        name = Path(url.split("/")[-1]).name
        assert (tmp_path / "media" / name).is_file(), url
    assert [c.name for c in clips] == ["Scene 1", "Scene 2"]
    for clip in clips:  # each shows a part of its own scene's file, inside what the file holds
        shot = media.probe(tmp_path / "media" / Path(clip.media_reference.target_url.split("/")[-1]).name).duration
        used = clip.source_range
        assert 0 <= used.start_time.to_seconds() and used.end_time_exclusive().to_seconds() <= shot + frame
    assert (tmp_path / f"{Path(r['timeline']).stem}.srt").read_text().count("-->") >= 2
    assert any(Path(n).suffix == ".mp4" and "/" not in n for n in z.namelist())  # the finished film beside it


def test_a_forced_nvenc_stops_before_any_work_with_the_reason(tmp_path, capsys, monkeypatch):
    script = tmp_path / "s.txt"
    script.write_text(HARBOUR)
    monkeypatch.setattr(encoders, "_trials", {})
    monkeypatch.setattr(encoders, "_encoders_built", lambda: frozenset({"libx264"}))  # a build without NVENC
    code = main(["render", str(script), "--encoder", "nvenc", "-o", str(tmp_path / "f.mp4"), "--data",
                 str(tmp_path / "d"), "-q"])
    err = capsys.readouterr().err
    assert code == 1 and err.strip() == ("error: --encoder nvenc: this ffmpeg build has no h264_nvenc; use --encoder "
                                         "auto (falls back to libx264) or software.")
    assert not (tmp_path / "f.mp4").exists()
    assert encoders.choose("h264", "auto") == encoders.Pick("libx264", "NVENC unavailable: this ffmpeg build has "
                                                            "no h264_nvenc; encoded with libx264")
