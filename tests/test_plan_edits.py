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
