"""A scene's own finish (issue 16): its caption style (or none) beside the film's, measured on
frames; the look previewed on its still; the user's own sound files placed in its effects track,
measured by band energy; the studio's uploads for a caption font, a LUT and a watermark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysubs2
import pytest
from PIL import Image

from vidgen import media
from vidgen.assets import FONT_BOLD
from vidgen.domain import Cue, SceneMedia
from vidgen.errors import VidgenError
from vidgen.services.assembly import Finish, assemble
from vidgen.services.assembly.caption_style import caption_style
from vidgen.services.sfx.scene import RATE, plan_effects, write_effects
from vidgen.ui.finish_fields import sound_files_to_text, text_to_sound_files, with_assets

from .test_assembly import FPS, frame_at, make_clip
from .test_finishing import band

W, H = 320, 180
GREY = (90, 90, 90)
TWO_SCENES = """INT. KITCHEN - DAY

ANA
We leave at dawn, before the rain comes.

EXT. ROAD - DAY

BO
Then we walk all night.
"""


def bright_rows(frame: np.ndarray) -> np.ndarray:
    """Rows holding caption text: white glyphs on the grey clip (the moving square is at the top)."""
    return np.where((frame[30:].min(axis=2) > 200).sum(axis=1) > 3)[0] + 30


def sine(seconds: float, freq: float, rate: int = RATE, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_a_scene_has_its_own_caption_style_or_none(tmp_path):
    clips = [make_clip(tmp_path / f"{i}.mp4", GREY, 2.0) for i in range(3)]
    cues = [Cue(0.2, 1.8, "Bottom line here.")]
    scenes = [SceneMedia(clips[0], 2.0, cues=list(cues)),
              SceneMedia(clips[1], 2.0, cues=list(cues), captions=caption_style("words")),
              SceneMedia(clips[2], 2.0, cues=list(cues), burn_captions=False)]
    out = tmp_path / "film.mp4"
    assemble(scenes, out, size=(W, H), fps=FPS, transition_seconds=0.0, music="", work_dir=tmp_path / "w",
             finish=Finish(captions=caption_style("clean")))
    first, second, third = (bright_rows(frame_at(str(out), t)) for t in (1.0, 3.0, 5.0))
    assert first.size and first.min() > 0.6 * H  # the film's style: at the bottom
    assert second.size and 0.3 * H < second.min() and second.max() < 0.7 * H  # the scene's own: mid-frame
    assert np.ptp(second) > np.ptp(first)  # taller letters than the film's style
    assert third.size == 0  # no captions over the third scene
    srt = pysubs2.load(str(out.with_suffix(".srt")))
    assert [e.plaintext for e in srt].count("Bottom line here.") == 3  # the sidecar keeps every line


def test_the_ass_holds_one_style_per_look(tmp_path):
    from vidgen.services.assembly.caption_style import write_ass_parts

    a, b = caption_style("clean"), caption_style("boxed")
    write_ass_parts([([Cue(0, 1, "one")], None, a), ([Cue(1, 2, "two")], None, b), ([Cue(2, 3, "three")], None, a)],
                    (W, H), tmp_path / "x.ass", fonts_dir=tmp_path / "fonts")
    ass = pysubs2.load(str(tmp_path / "x.ass"))
    assert len(ass.styles) == 2
    by_style = {e.plaintext: e.style for e in ass}
    assert by_style["one"] == by_style["three"] != by_style["two"]
    assert ass.styles[by_style["two"]].borderstyle == 3  # the boxed look


def test_the_look_preview_shows_the_scenes_still_grade_and_captions(studio, tmp_path):
    p = studio.create_project(TWO_SCENES, "t", {"aspect": "9:16", "resolution": "480p"})
    picture = tmp_path / "red.png"
    Image.new("RGB", (640, 360), (200, 60, 40)).save(picture)
    studio.set_scene_image(p["id"], 1, str(picture))

    def still(**kw) -> np.ndarray:
        return np.asarray(Image.open(studio.preview_look(p["id"], 1, **kw)["image"]).convert("RGB")).astype(int)

    plain, karaoke, noir = still(captions="none"), still(captions="karaoke"), still(captions="none", grade="noir")
    h, w = plain.shape[:2]
    assert abs(w / h - 9 / 16) < 0.01 and w >= 480  # the project's frame, filled by the picture
    assert plain[h // 2, w // 2, 0] > 150 > plain[h // 2, w // 2, 2] + 60  # the scene's own (red) picture
    assert np.ptp(noir[h // 4:h // 2], axis=2).mean() < 6  # noir: no chroma
    changed = np.abs(karaoke - plain).max(axis=2) > 60
    rows = np.where(changed.sum(axis=1) > 2)[0]
    assert rows.size and rows.min() > 0.5 * h  # the captions, in the lower half
    yellow = (karaoke[..., 0] > 200) & (karaoke[..., 1] > 170) & (karaoke[..., 2] < 90)
    assert yellow.sum() > 20  # the second word lit in the highlight colour
    with pytest.raises(VidgenError, match="Unknown caption style 'fancy'") as err:
        studio.preview_look(p["id"], 1, captions="fancy")
    assert "\n" not in str(err.value)


def test_the_users_sound_files_play_at_their_time_or_as_a_looped_bed(tmp_path):
    beep, hum = tmp_path / "beep.wav", tmp_path / "hum.wav"
    media.write_wav(beep, sine(0.4, 2000.0), RATE)
    media.write_wav(hum, sine(0.5, 440.0), RATE)  # shorter than the scene: looped
    placed = plan_effects("A quiet room.", [], [], 4.0, files=[("beep.wav", str(beep), 2.0, False),
                                                                 ("hum.wav", str(hum), 9.0, True)])
    assert [(e.kind, e.at) for e in placed] == [("event", 2.0), ("bed", 0.0)]  # the file's bed: no weather bed
    track = write_effects(placed, 4.0, tmp_path / "fx.wav", seed=1)
    x = media.decode_audio(track, RATE)
    assert x.size == 4 * RATE

    def energy(a: float, b: float, lo: float, hi: float) -> float:
        return band(x[int(a * RATE):int(b * RATE)], RATE, lo, hi)

    assert energy(2.05, 2.35, 1800, 2200) > 100 * energy(1.0, 1.9, 1800, 2200)  # the beep at 2 s, only then
    hums = [energy(t, t + 0.4, 400, 480) for t in (1.0, 2.6, 3.0)]
    assert min(hums) > 0.3 * max(hums)  # the hum under the whole scene, past its own 0.5 s


def test_sound_files_in_the_studio(studio, tmp_path):
    p = studio.create_project(TWO_SCENES)
    beep = tmp_path / "beep 1.wav"
    media.write_wav(beep, sine(0.4, 2000.0), RATE)
    saved = studio.add_scene_sound(p["id"], 2, str(beep))
    files = saved["scenes"][1]["sound_files"]
    assert [(f["name"], f["at"], f["bed"]) for f in files] == [("beep 1.wav", 0.5, False)]
    text = sound_files_to_text(files).replace("at 0.5", "at 1.25") + "\n"
    rows = with_assets(text_to_sound_files(text), files, 2)
    again = studio.update_scene(p["id"], 2, {"sound_files": rows})
    assert again["scenes"][1]["sound_files"][0]["at"] == 1.25
    assert text_to_sound_files("beep 1.wav bed") == [{"name": "beep 1.wav", "at": 0.0, "bed": True}]
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("not a sound")
    for call, words in ((lambda: studio.add_scene_sound(p["id"], 2, str(not_audio)), "is not audio"),
                        (lambda: text_to_sound_files("beep at soon"), "write NAME at SECONDS"),
                        (lambda: with_assets([{"name": "x.wav", "at": 1.0, "bed": False}], files, 2),
                         "has no sound file 'x.wav'"),
                        (lambda: studio.update_scene(p["id"], 2, {"sound_files": [{"asset": "nope", "at": 1.0}]}),
                         "is not a file of this studio")):
        with pytest.raises(VidgenError, match=words) as err:
            call()
        assert "\n" not in str(err.value)
    assert studio.get_project(p["id"])["scenes"][1]["sound_files"][0]["at"] == 1.25  # nothing saved is lost


def test_look_files_are_checked_and_kept(studio, tmp_path):
    font = tmp_path / "mine.ttf"
    font.write_bytes(Path(FONT_BOLD).read_bytes())
    kept = studio.add_look_file(str(font), "caption_font")
    p = studio.create_project(TWO_SCENES, "t", {"caption_font": kept["asset"]})
    assert p["settings"]["caption_font"] == kept["asset"] and kept["name"] == "mine.ttf"
    lut = tmp_path / "bad.cube"
    lut.write_text("LUT_3D_SIZE 2\n0 0 0\n")
    with pytest.raises(VidgenError) as err:
        studio.add_look_file(str(lut), "grade_lut")
    assert "\n" not in str(err.value)
    with pytest.raises(VidgenError, match="Files are kept for"):
        studio.add_look_file(str(font), "music")


def test_a_render_with_a_scenes_own_captions_and_sound_file(studio, tmp_path):
    from .media_checks import audio_of

    pytest.importorskip("av")
    beep = tmp_path / "beep.wav"
    media.write_wav(beep, sine(0.6, 2000.0, amp=0.3), RATE)
    p = studio.create_project(TWO_SCENES, "t", {"resolution": "480p", "fps": 12, "quality": "draft", "music": "none",
                                                "lipsync_model": "none", "sound_effects": False})
    studio.update_scene(p["id"], 2, {"captions": "none"})
    studio.add_scene_sound(p["id"], 2, str(beep), at=1.0)
    done = studio.wait(studio.start_render(p["id"]))
    assert done["status"] == "completed", done.get("error")

    def step(name: str, scene: int) -> dict:
        return studio.store.get_step(next(s for s in done["steps"] if s["name"] == name and s["scene"] == scene)["key"])

    placed = step("effects", 2)["data"]["placed"]
    assert [(e["cue"], e["at"], e["kind"]) for e in placed] == [("your file beep.wav", 1.0, "event")]
    lines = {e.plaintext: e.start / 1000 for e in pysubs2.load(done["subtitles"])}
    lead = 0.5 + 0.3  # transition and speech lead: the line's start in its scene
    ana, bo = lines["We leave at dawn, before the rain comes."], lines["Then we walk all night."]
    scene2 = bo - lead
    x = audio_of(done["video"], 48000)

    def beep_energy(a: float) -> float:
        return band(x[int(a * 48000):int((a + 0.4) * 48000)], 48000, 1800, 2200)

    assert beep_energy(scene2 + 1.1) > 50 * beep_energy(scene2 + 0.3)  # the file, 1 s into scene 2

    def caption_change(t: float, scene: int, start: float) -> float:
        """How far the film's frame is from its scene's clip in the bottom band (captions live there)."""
        clip = str(studio.store.asset_path(step("animation", scene)["outputs"]["clip"]))
        film, own = frame_at(done["video"], t).astype(int), frame_at(clip, t - start).astype(int)
        h = film.shape[0]
        return float(np.abs(film[int(0.75 * h):] - own[int(0.75 * h):]).max(axis=2).mean())

    assert caption_change(ana + 0.5, 1, 0.0) > 3 * caption_change(bo + 0.5, 2, scene2)  # none over scene 2


def test_title_and_end_cards_in_the_projects_colours(store, tmp_path):
    from vidgen.checks import check_saved
    from vidgen.domain import RenderSettings
    from vidgen.finishing import finish_of

    s = RenderSettings(title_text="The Storm", end_text="The end", card_color="#FF2020", card_background="#1030C0")
    finish = finish_of(store, s)
    clip = make_clip(tmp_path / "a.mp4", GREY, 2.0)
    out = tmp_path / "cards.mp4"
    assemble([SceneMedia(clip, 2.0)], out, size=(W, H), fps=FPS, transition_seconds=0.0, music="", finish=finish)
    for t in (1.5, media.probe(out).duration - 1.5):  # inside each card, past its fade
        frame = frame_at(str(out), t).astype(int)
        corner = np.median(frame[5:40, 5:60].reshape(-1, 3), axis=0)
        assert abs(corner - (16, 48, 192)).max() < 24, corner  # the card's background
        red = (frame[..., 0] > 180) & (frame[..., 1] < 90) & (frame[..., 2] < 120)
        assert red.sum() > 30  # its letters in the card colour
    with pytest.raises(VidgenError, match="colour like #RRGGBB") as err:
        check_saved(store, RenderSettings(card_background="blue"))
    assert "\n" not in str(err.value)
