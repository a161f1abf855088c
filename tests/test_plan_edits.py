"""A scene's picture plan edited as plain data (the Storyboard card, the API): kept, checked against
its vocabulary, part of the painter's step key."""

from __future__ import annotations

import pytest

from vidgen.domain import Project, RenderSettings, Scene, ScenePlan
from vidgen.errors import VidgenError
from vidgen.pipeline.keys import image_key
from vidgen.ui.plan_fields import PlanFields

SCRIPT = "Scene 1: Harbour\nThe boats come in.\n\nScene 2: Bakery\nMara kneads the dough.\n"


def test_a_plan_edit_is_kept_and_checked(studio):
    p = studio.create_project(SCRIPT, "Plans", {"voice": "none"})
    edit = PlanFields.changes("harbour", "outside", "dawn", "fog", "winter", "wide", ["lantern"], ["boat", "gull"],
                              "Mara, adult, walk\n, child, run\n")
    saved = studio.update_scene(p["id"], 1, edit)
    s = saved["scenes"][0]
    assert (s["interior"], s["time_of_day"], s["weather"], s["shot"]) == (False, "dawn", "fog", "wide")
    assert s["plan"] == {"place": "harbour", "season": "winter", "lights": ["lantern"], "props": ["boat", "gull"],
                         "figures": [{"name": "Mara", "age": "adult", "action": "walk"},
                                     {"name": "", "age": "child", "action": "run"}]}
    assert PlanFields.values(s) == ["harbour", "outside", "dawn", "fog", "winter", "wide", ["lantern"],
                                    ["boat", "gull"], "Mara, adult, walk\n, child, run"]
    assert studio.get_project(p["id"])["scenes"][0]["plan"] == s["plan"]  # stored
    for plan, words in [({"props": ["spaceship"]}, "unknown prop 'spaceship'"),
                        ({"place": "moonbase"}, "unknown place 'moonbase'"),
                        ({"figures": [{"age": "elder"}]}, "a figure's age is adult or child"),
                        ({"colour": "red"}, "unknown plan field colour")]:
        with pytest.raises(VidgenError, match=words):
            studio.update_scene(p["id"], 2, {"plan": plan})
    assert studio.get_project(p["id"])["scenes"][1]["plan"] == saved["scenes"][1]["plan"]  # nothing half-saved


def test_the_plan_is_part_of_the_painters_key_only_when_set():
    project = Project(id="p", title="t", script="", settings=RenderSettings(), scenes=[Scene(1, "Harbour")])
    plain = image_key(project, project.scenes[0])
    project.scenes[0].plan = ScenePlan()
    assert image_key(project, project.scenes[0]) == plain  # older projects keep their keys
    project.scenes[0].plan = ScenePlan(props=["boat"])
    assert image_key(project, project.scenes[0]) != plain


def test_a_camera_path_and_an_animation_model_per_scene_are_kept_and_checked(studio):
    p = studio.create_project(SCRIPT, "Paths", {"voice": "none"})
    path = [{"t": 0.0, "zoom": 1.0}, {"t": 1.0, "x": 0.4, "zoom": 1.3, "ease": "linear"}]
    saved = studio.update_scene(p["id"], 1, {"camera_path": path})
    keys = saved["scenes"][0]["camera_path"]
    assert [(k["t"], k["x"], k["zoom"], k["ease"]) for k in keys] == [(0.0, 0.5, 1.0, "in_out"), (1.0, 0.4, 1.3, "linear")]
    for bad, words in [([{"t": 0}], "at least two keyframes"), ([{"t": 0}, {"t": 1, "zoom": 9}], "zoom must be from 1 to 4"),
                       ([{"t": 0.5}, {"t": 0.2}], "t must rise"), ([{"t": 0}, {"t": 1, "ease": "bounce"}], "ease must be")]:
        with pytest.raises(VidgenError, match=words):
            studio.update_scene(p["id"], 1, {"camera_path": bad})
    with pytest.raises(VidgenError, match="no-such-video-model"):
        studio.update_scene(p["id"], 2, {"animation_model": "no-such-video-model"})
    with pytest.raises(VidgenError, match="is an image model, not an animation model"):
        studio.update_scene(p["id"], 2, {"animation_model": "sdxl-turbo"})
    assert studio.get_project(p["id"])["scenes"][1]["animation_model"] == ""


def test_the_camera_clip_key_changes_only_with_a_path_or_blur(store, tmp_path):
    from vidgen.domain import CameraKey
    from vidgen.pipeline.keys import clip_key
    from vidgen.pipeline.plan import clip_plan

    project = Project(id="p", title="t", script="", settings=RenderSettings(), scenes=[Scene(1, "Harbour")])
    picture = tmp_path / "still.png"
    picture.write_bytes(b"not decoded here")
    image = store.add_file(picture, type="image").id
    spec, job, plain = clip_plan(store, project, project.scenes[0], image, "zoom_in", 4.0)
    assert spec.id == "camera" and plain == clip_key(project, image, "zoom_in", 4.0)  # as before issue 14
    project.scenes[0].camera_path = [CameraKey(0.0), CameraKey(1.0, zoom=1.2)]
    _, job, with_path = clip_plan(store, project, project.scenes[0], image, "zoom_in", 4.0)
    assert with_path != plain and job.path == project.scenes[0].camera_path
    project.settings.motion_blur = True
    assert clip_plan(store, project, project.scenes[0], image, "zoom_in", 4.0)[2] not in (plain, with_path)
