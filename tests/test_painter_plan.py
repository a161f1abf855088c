"""The painter draws the scene's plan (issue 13), measured on the pixels."""

from __future__ import annotations

import numpy as np
import pytest

from vidgen.domain import INTERIOR_PLACES, PROPS, Figure, Scene, ScenePlan
from vidgen.services.images import figure_colour, plan_layout, render_storyboard

SIZE = (320, 180)


def _scene(place="field", weather="", time="day", props=(), figures=(), lights=(), season="", **kw) -> Scene:
    plan = ScenePlan(place=place, season=season, lights=list(lights), props=list(props), figures=list(figures))
    return Scene(kw.pop("number", 1), kw.pop("heading", "X"), time_of_day=time, weather=weather, plan=plan, **kw)


def _paint(sc: Scene, size=SIZE, seed=0) -> np.ndarray:
    return render_storyboard(sc, size, seed=seed, caption=False).astype(np.float64)


def _luma(a: np.ndarray) -> np.ndarray:
    return a @ [0.299, 0.587, 0.114]


def _bands(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h = a.shape[0]
    return _luma(a[: int(h * 0.4)]), _luma(a[int(h * 0.62):])


@pytest.mark.parametrize("place", ["field", "village square", "mountain"])
def test_snow_brightens_the_ground_and_fog_brightens_and_flattens_the_sky(place):
    clear, snow, fog = (_paint(_scene(place, w)) for w in ("clear", "snow", "fog"))
    assert _bands(snow)[1].mean() > _bands(clear)[1].mean() + 25  # white ground
    up_clear, up_fog = _bands(clear)[0], _bands(fog)[0]
    assert up_fog.mean() > up_clear.mean() + 15  # a bright veil
    assert _luma(fog).std() < _luma(clear).std() * 0.75  # low contrast


def test_winter_whitens_the_ground_and_autumn_warms_the_green():
    summer, winter, autumn = (_paint(_scene("field", season=s)) for s in ("summer", "winter", "autumn"))
    assert _bands(winter)[1].mean() > _bands(summer)[1].mean() + 15
    low = slice(int(SIZE[1] * 0.62), None)
    assert (autumn[low, :, 0] - autumn[low, :, 1]).mean() > (summer[low, :, 0] - summer[low, :, 1]).mean() + 20


@pytest.mark.parametrize("place", ["harbour", "street", "kitchen", "forest"])
def test_night_is_darker_than_day_even_with_lights(place):
    lights = ["lamp", "streetlight", "window"]
    day = _paint(_scene(place, time="day", lights=lights))
    night = _paint(_scene(place, time="night", lights=lights))
    assert _luma(night).mean() < _luma(day).mean() - 35


def test_rain_and_storm_differ_from_clear_and_storm_is_darker():
    clear, rain, storm = (_paint(_scene("street", w)) for w in ("clear", "rain", "storm"))
    for wet in (rain, storm):
        assert np.abs(wet - clear).mean() > 12
    assert _bands(storm)[0].mean() < _bands(clear)[0].mean() - 30  # dark clouds
    assert _bands(rain)[0].mean() < _bands(clear)[0].mean()
    assert np.abs(storm - rain).mean() > 5


def _sky_blue(a: np.ndarray) -> np.ndarray:
    """Pixels with the clear day sky's blue (blue well above red): walls and ceilings never are."""
    return (a[..., 2] - a[..., 0]) > 30


@pytest.mark.parametrize("place", INTERIOR_PLACES)
def test_an_interior_has_no_sky_region(place):
    """Criterion: on a clear day, the top 10% of an exterior is mostly sky blue; in every interior none
    of it is (ceiling), and under a quarter of the upper 40% is (sky only through the windows)."""
    out = _paint(_scene("field", "clear", props=["house"]))
    room = _paint(_scene(place, "clear"))
    top = slice(0, int(SIZE[1] * 0.1))
    upper = slice(0, int(SIZE[1] * 0.4))
    assert _sky_blue(out[top]).mean() > 0.6
    assert _sky_blue(room[top]).mean() < 0.01, place
    assert _sky_blue(room[upper]).mean() < 0.25, place
    # and the ceiling's colour does not follow the weather (no sky gradient painted there)
    stormy = _paint(_scene(place, "storm"))
    assert np.abs(stormy[top] - room[top]).mean() < 12


@pytest.mark.parametrize("place,prop", [("harbour", "boat"), ("harbour", "gull"), ("field", "barn"),
                                        ("field", "dog"), ("bakery", "bread"), ("kitchen", "cup"),
                                        ("living room", "clock"), ("street", "car"), ("beach", "ship")])
def test_a_props_mask_is_non_empty_where_it_is_placed(place, prop):
    size = (480, 270)
    others = ["tree", "rock"]
    without = _paint(_scene(place, props=others, figures=[Figure("ANNA")]), size)
    sc = _scene(place, props=others + [prop], figures=[Figure("ANNA")])
    layout = plan_layout(sc, size)
    assert len(layout[prop]) == 1 and layout["tree"] == plan_layout(_scene(place, props=others, figures=[Figure("ANNA")]), size)["tree"]
    x0, y0, x1, y1 = (int(round(v)) for v in layout[prop][0])
    changed = np.abs(_paint(sc, size) - without).max(axis=2) > 25
    inside = changed[max(0, y0):y1, max(0, x0):x1]
    assert inside.mean() > 0.15, (prop, inside.mean())  # the prop is drawn in its box
    outside = changed.copy()
    outside[max(0, y0 - 3):y1 + 3, max(0, x0 - 3):x1 + 3] = False
    assert outside.sum() < inside.sum() * 0.5 + 40  # and (nearly) only there (lamps and ovens also glow)


def test_every_prop_is_drawn_in_every_kind_of_place():
    for place in ("harbour", "kitchen", "space", "stairwell"):
        a = _paint(_scene(place, props=list(PROPS), figures=[Figure("A", "child", "run")]), (256, 144))
        assert a.shape == (144, 256, 3) and a.std() > 5
        assert set(PROPS) <= set(plan_layout(_scene(place, props=list(PROPS)), (256, 144)))


def _figure_colour_in(sc: Scene, key: str, size=(480, 270)) -> np.ndarray:
    box = plan_layout(sc, size)[key]
    x0, y0, x1, y1 = box[0]
    a = _paint(sc, size)
    # The torso: a small patch just under the head, at the box's centre line.
    cx, ty = int((x0 + x1) / 2), int(y0 + (y1 - y0) * 0.3)
    return np.median(a[ty - 1:ty + 2, cx - 1:cx + 2].reshape(-1, 3), axis=0)


def test_two_characters_differ_and_one_character_keeps_its_colour_across_scenes():
    anna, ben = figure_colour("ANNA"), figure_colour("BEN")
    assert anna != ben and figure_colour("Anna") == anna
    s1 = _scene("field", figures=[Figure("ANNA")], number=1)
    s2 = _scene("street", figures=[Figure("ANNA"), Figure("KID", "child", "run")], props=["car"], number=5)
    s3 = _scene("field", figures=[Figure("BEN")], number=1)
    c1, c2, c3 = (_figure_colour_in(s, k) for s, k in ((s1, "figure:ANNA"), (s2, "figure:ANNA"), (s3, "figure:BEN")))
    assert np.abs(c1 - c2).max() <= 6  # the same character in two scenes
    assert np.abs(c1 - c3).max() > 30  # two characters


def test_children_are_smaller_and_poses_differ():
    size = (480, 270)
    lay = plan_layout(_scene(figures=[Figure("MUM"), Figure("TIM", "child")]), size)
    mum, tim = lay["figure:MUM"][0], lay["figure:TIM"][0]
    assert (tim[3] - tim[1]) < (mum[3] - mum[1]) * 0.75
    frames = {a: _paint(_scene(figures=[Figure("ANNA", "adult", a)]), size)
              for a in ("stand", "walk", "run", "sit", "talk")}
    for a in ("walk", "run", "sit", "talk"):
        assert np.abs(frames[a] - frames["stand"]).max(axis=2).__gt__(40).sum() > 30, a


def test_characters_without_a_plan_are_drawn_with_their_colours():
    sc = Scene(1, "EXT. MEADOW - DAY", characters=["ANNA", "BEN"])
    lay = plan_layout(sc, (480, 270))
    assert {"figure:ANNA", "figure:BEN"} <= set(lay)


def test_a_plan_less_scene_still_paints_from_its_words():
    kitchen = _paint(Scene(1, "INT. KITCHEN - NIGHT"))
    assert _sky_blue(kitchen[: int(SIZE[1] * 0.1)]).mean() < 0.01
    assert _luma(kitchen).mean() < _luma(_paint(Scene(1, "INT. KITCHEN - DAY"))).mean()


def test_the_plan_painter_is_deterministic():
    sc = _scene("harbour", "storm", time="dusk", props=["boat", "gull", "house"], lights=["lantern"],
                figures=[Figure("ANNA", "adult", "walk"), Figure("", "child", "run")], season="autumn")
    a = render_storyboard(sc, SIZE, seed=3)
    assert (a == render_storyboard(sc, SIZE, seed=3)).all()
    assert plan_layout(sc, SIZE, seed=3) == plan_layout(sc, SIZE, seed=3)
    assert np.abs(a.astype(int) - render_storyboard(sc, SIZE, seed=4).astype(int)).mean() > 1
