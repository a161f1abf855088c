"""Built-in image backend: the storyboard painter and the user's own images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vidgen.domain import MOODS, Scene
from vidgen.errors import VidgenError
from vidgen.services.images import (check_image, fit_user_image, guess_setting, guess_time_of_day,
                                    paint_storyboard, render_storyboard)

SMALL = (320, 180)


def _scene(**kw) -> Scene:
    base = dict(number=2, heading="EXT. MEADOW - DAY", characters=["ANNA", "BEN"])
    base.update(kw)
    return Scene(**base)


def _luma(a: np.ndarray) -> float:
    return float((a.astype(np.float64) @ [0.299, 0.587, 0.114]).mean())


@pytest.mark.parametrize("size", [(320, 180), (180, 320), (256, 256), (258, 146)])
def test_painter_writes_a_png_of_exactly_the_size(tmp_path, size):
    out = paint_storyboard(_scene(), size, tmp_path / "a" / "s.png", total_scenes=5)
    with Image.open(out) as im:
        assert im.format == "PNG" and im.mode == "RGB" and im.size == size
    assert [p.name for p in out.parent.iterdir()] == ["s.png"]  # no temp file left behind


def test_painter_is_deterministic_and_seed_varies_details(tmp_path):
    sc = _scene(heading="EXT. MOUNTAIN RIDGE - NIGHT")
    a = paint_storyboard(sc, SMALL, tmp_path / "a.png", seed=1).read_bytes()
    b = paint_storyboard(sc, SMALL, tmp_path / "b.png", seed=1).read_bytes()
    assert a == b
    x = render_storyboard(sc, SMALL, seed=1)
    y = render_storyboard(sc, SMALL, seed=2)
    diff = np.abs(x.astype(int) - y.astype(int))
    assert diff.mean() > 1.0  # stars and ridges moved
    assert abs(_luma(x) - _luma(y)) < 12  # but it is the same night on the same mountain


def test_time_of_day_and_mood_change_the_colours():
    day = render_storyboard(_scene(time_of_day="day"), SMALL)
    night = render_storyboard(_scene(time_of_day="night"), SMALL)
    dusk = render_storyboard(_scene(time_of_day="dusk"), SMALL)
    assert _luma(night) < _luma(day) - 40
    assert np.abs(dusk.mean((0, 1)) - day.mean((0, 1))).max() > 10
    means = {m: render_storyboard(_scene(mood=m), SMALL).astype(float).mean((0, 1)) for m in MOODS}
    for m in MOODS:
        if m != "neutral":
            assert np.abs(means[m] - means["neutral"]).max() > 3, m
    assert means["sad"].std() < means["joyful"].std()  # sad is greyer


def test_time_of_day_is_guessed_from_the_words():
    assert guess_time_of_day(Scene(1, "EXT. ROOF - NIGHT")) == "night"
    assert guess_time_of_day(Scene(1, "Harbor", visual="The sun sets over the water; sunset.")) == "dusk"
    assert guess_time_of_day(Scene(1, "Kitchen", time_of_day="dawn")) == "dawn"
    assert guess_time_of_day(Scene(1, "Kitchen")) == "day"
    night = render_storyboard(Scene(1, "EXT. FIELD", visual="Stars over the moonlit hills."), SMALL)
    assert _luma(night) < _luma(render_storyboard(Scene(1, "EXT. FIELD"), SMALL)) - 40


def test_setting_is_chosen_from_keywords_and_changes_the_image():
    cases = {
        "EXT. CITY STREET - NIGHT": "city", "EXT. BEACH - DAY": "sea", "EXT. LIGHTHOUSE - DUSK": "sea",
        "EXT. PINE FOREST - DAWN": "forest", "EXT. MOUNTAIN PASS - DAY": "mountain",
        "INT. KITCHEN - NIGHT": "room", "EXT. DESERT - DAY": "desert", "EXT. MARS BASE": "space",
        "EXT. SOMEWHERE - DAY": "field",
    }
    for heading, setting in cases.items():
        assert guess_setting(Scene(1, heading)) == setting, heading
    assert guess_setting(Scene(1, "Anna's place", interior=True)) == "room"
    assert guess_setting(Scene(1, "Outside the house", interior=False)) == "field"
    assert guess_setting(Scene(1, "x", location="harbour", visual="in the room")) == "sea"
    city = render_storyboard(_scene(heading="EXT. CITY - DAY"), SMALL)
    sea = render_storyboard(_scene(heading="EXT. SEA - DAY"), SMALL)
    room = render_storyboard(_scene(heading="INT. OFFICE - DAY"), SMALL)
    assert np.abs(city.astype(int) - sea.astype(int)).mean() > 12
    assert np.abs(room.astype(int) - sea.astype(int)).mean() > 12


def test_every_setting_renders_at_every_aspect():
    for heading in ("CITY", "BEACH LIGHTHOUSE", "FOREST", "MOUNTAINS", "KITCHEN", "DESERT", "SPACE", "MARS",
                    "MEADOW"):
        for size in ((256, 144), (144, 256), (200, 200)):
            for t in ("dawn", "night"):
                a = render_storyboard(_scene(heading=heading, time_of_day=t, characters=["A", "B", "C", "D"]), size)
                assert a.shape == (size[1], size[0], 3) and a.dtype == np.uint8
                assert a.std() > 5  # a picture, not a flat fill


def test_caption_sits_in_the_top_band():
    sc = _scene(heading="EXT. MEADOW - DAY " + "and a heading far too long to fit " * 4)
    with_cap = render_storyboard(sc, SMALL, total_scenes=9).astype(int)
    without = render_storyboard(sc, SMALL, total_scenes=9, caption=False).astype(int)
    changed = np.abs(with_cap - without).max(axis=2) > 30
    rows = np.nonzero(changed.any(axis=1))[0]
    cols = np.nonzero(changed.any(axis=0))[0]
    assert rows.size and rows.min() > SMALL[1] * 0.1 and rows.max() < SMALL[1] * 0.3  # near the top
    # From the left, inside the inset that camera moves never crop.
    assert SMALL[0] * 0.1 < cols.min() < SMALL[0] * 0.15 and cols.max() < SMALL[0] * 0.885
    assert changed.sum() > 200  # text really drawn
    assert (without[int(SMALL[1] * 0.78):] == with_cap[int(SMALL[1] * 0.78):]).all()


def test_figures_for_characters_stay_above_the_subtitle_zone():
    none = render_storyboard(_scene(characters=[]), (320, 320), caption=False).astype(int)
    two = render_storyboard(_scene(characters=["A", "B"]), (320, 320), caption=False).astype(int)
    changed = np.abs(two - none).max(axis=2) > 40
    rows = np.nonzero(changed.any(axis=1))[0]
    assert rows.size and rows.max() < 320 * 0.8


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(VidgenError, match="out of range"):
        render_storyboard(_scene(), (10, 10))
    with pytest.raises(VidgenError, match="mood"):
        render_storyboard(_scene(mood="grumpy"), SMALL)


# --- user images ------------------------------------------------------------------------------

def test_fit_user_image_cover_fits_an_odd_size(tmp_path):
    src = np.zeros((301, 157, 3), np.uint8)
    src[:, :, 0] = 255  # red, tall: a landscape target crops top and bottom
    src[:40] = (0, 0, 255)  # a blue top strip, which the crop removes
    Image.fromarray(src).save(tmp_path / "odd.png")
    assert check_image(tmp_path / "odd.png") == (157, 301)
    out = fit_user_image(tmp_path / "odd.png", SMALL, tmp_path / "fit.png")
    with Image.open(out) as im:
        assert im.size == SMALL and im.mode == "RGB"
        a = np.asarray(im).astype(int)
    assert a[..., 0].min() > 230 and a[..., 2].max() < 30


def test_fit_user_image_applies_exif_orientation_and_drops_alpha(tmp_path):
    # Stored landscape 200x100, left half black; EXIF says rotate 90 degrees on display.
    stored = np.full((100, 200, 3), 255, np.uint8)
    stored[:, :100] = 0
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display: shown portrait, black half on top
    Image.fromarray(stored).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    out = fit_user_image(tmp_path / "phone.jpg", (100, 200), tmp_path / "fit.png")
    a = np.asarray(Image.open(out)).astype(int)
    assert a.shape == (200, 100, 3)
    assert a[:90].mean() < 30 and a[110:].mean() > 225

    rgba = np.zeros((50, 50, 4), np.uint8)
    rgba[..., :3] = 200
    Image.fromarray(rgba, "RGBA").save(tmp_path / "clear.png")  # fully transparent
    a = np.asarray(Image.open(fit_user_image(tmp_path / "clear.png", (64, 64), tmp_path / "c.png")))
    assert a.shape == (64, 64, 3) and a.max() < 5


def test_not_an_image_is_refused(tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("this is a text file, not a picture\n")
    with pytest.raises(VidgenError, match=r"^notes\.png is not a readable image: "):
        fit_user_image(fake, SMALL, tmp_path / "out.png")
    with pytest.raises(VidgenError, match="not a readable image"):
        check_image(fake)
    assert not (tmp_path / "out.png").exists()
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(VidgenError, match="empty"):
        check_image(empty)
    Image.new("RGB", (64, 64), "white").save(tmp_path / "whole.png")
    truncated = tmp_path / "cut.png"
    truncated.write_bytes((tmp_path / "whole.png").read_bytes()[:60])
    with pytest.raises(VidgenError, match="not a readable image"):
        check_image(truncated)
    with pytest.raises(VidgenError, match="does not exist"):
        check_image(tmp_path / "missing.png")


def test_too_many_pixels_is_refused(tmp_path, monkeypatch):
    import vidgen.services.images as images

    monkeypatch.setattr(images.files, "MAX_PIXELS", 1000)
    Image.new("RGB", (50, 50)).save(tmp_path / "big.png")
    with pytest.raises(VidgenError, match="too large"):
        check_image(tmp_path / "big.png")


def test_the_image_prompt_is_built_from_the_scene_structure_not_the_heading():
    from vidgen.domain import Character, Scene
    from vidgen.services.images.prompts import compose_prompt

    henrik = Character("Henrik", "a stooped man with a white beard", age="about sixty", clothing="a flour-dusted apron")
    scene = Scene(1, "INT. BAKERY - NIGHT", visual="Henrik kneads dough by the oven.", location="Bakery", interior=True,
                  time_of_day="night", weather="storm", shot="close-up", characters=["Henrik"])
    prompt, negative = compose_prompt(scene, [henrik, Character("Ana", "a girl in red")])
    assert prompt == ("close-up shot, Henrik kneads dough by the oven. Henrik, about sixty, a stooped man with a "
                      "white beard, wearing a flour-dusted apron. Bakery, interior, at night, in a storm")
    assert "INT." not in prompt and "Ana" not in prompt and negative == ""  # only who is in the scene
    again, _ = compose_prompt(Scene(7, "EXT. PIER", visual="Henrik waves.", characters=["henrik"]), [henrik])
    assert "about sixty, a stooped man with a white beard, wearing a flour-dusted apron" in again  # the same sheet
    bare, _ = compose_prompt(Scene(2, "A hero stands on a mountain at sunrise."), [])
    assert bare == "A hero stands on a mountain at sunrise"  # the heading only when nothing else describes it
    styled, styled_negative = compose_prompt(scene, [henrik], "cinematic")
    assert "Henrik kneads dough" in styled and styled != prompt and styled_negative


def test_the_prompt_says_the_plans_people_things_season_and_lights():
    from vidgen.domain import Figure, Scene, ScenePlan
    from vidgen.services.images.prompts import compose_prompt

    plan = ScenePlan(place="village square", season="winter", lights=["streetlight"], props=["dog", "house"],
                     figures=[Figure("", "child", "run"), Figure("", "child", "run"), Figure("Ana", "adult", "walk")])
    scene = Scene(1, "Scene 1", visual="Children run through a snowy square.", weather="snow", time_of_day="dusk",
                  characters=["Ana"], plan=plan)
    prompt, _ = compose_prompt(scene, [])
    assert prompt == ("Children run through a snowy square. two children running, a dog, a house. village square, "
                      "at dusk, in the snow, in winter, streetlight light")
