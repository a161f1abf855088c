"""The one settings table: the dataclass, the CLI flags, the studio's form and the API checks come
from it; stored projects keep their settings grouped, and a store written before the grouping opens."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vidgen.cli import build_parser
from vidgen.config import Settings
from vidgen.domain import Scene
from vidgen.errors import VidgenError
from vidgen.render_settings import GROUPS, SETTINGS, RenderSettings, from_doc, to_doc, with_changes
from vidgen.services.images import paint_storyboard
from vidgen.store import Store

DATA = Path(__file__).parent / "data"


def test_the_dataclass_is_the_table():
    fields = {f.name: f for f in dataclasses.fields(RenderSettings)}
    assert list(fields) == [s.name for s in SETTINGS]
    defaults = RenderSettings()
    for s in SETTINGS:
        if s.kind != "voice":
            assert getattr(defaults, s.name) == s.default, s.name
        assert s.group in GROUPS, s.name


def test_every_setting_with_a_flag_is_a_render_option():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    render = sub.choices["render"]
    dests = {a.dest: a for a in render._actions}
    for s in SETTINGS:
        if s.cli_flag == "-":
            continue
        assert s.name in dests and s.cli_flag in dests[s.name].option_strings, s.name
        assert dests[s.name].default is None  # a flag left out keeps the table's (or the project's) default


def test_api_checks_come_from_the_table():
    base = RenderSettings()
    assert with_changes(base, {"fps": 12.0}).fps == 12
    for data, words in [({"fps": 0}, "fps must be from 1 to 60"), ({"fps": "fast"}, "fps must be a whole number"),
                        ({"aspect": "4:3"}, "Unknown aspect '4:3'"), ({"music_tempo": 20}, "music_tempo must be from 40"),
                        ({"image_steps": 500}, "image_steps must be from 1 to 200"), ({"speed": 2}, "Unknown render setting"),
                        ({"scene_label": "no"}, "scene_label must be true or false"),
                        ({"loras": [{"source": "a/b", "scale": 9}]}, "scale from -4 to 4")]:
        with pytest.raises(VidgenError, match=words):
            with_changes(base, data)
    assert with_changes(base, {"music_tempo": 0, "image_steps": 0}).music_tempo == 0  # 0 = automatic


def test_the_settings_a_scene_overrides_are_scene_fields_that_take_the_same_values():
    from vidgen.edits import SCENE_CHANGES, scene_from

    fields = {f.name for f in dataclasses.fields(Scene)}
    overridable = [s for s in SETTINGS if s.scene]
    assert {s.name for s in overridable} >= {"image_model", "style", "transition", "animation_model",
                                              "lipsync_model", "grade", "caption_style"}
    for s in overridable:
        assert s.scene in fields and s.scene in SCENE_CHANGES, s.name
        for value in s.choices:  # every project value is a scene value too
            assert getattr(scene_from({"number": 1, "heading": "x", s.scene: value}, 1, 1000), s.scene) == value
        if s.choices:
            with pytest.raises(VidgenError, match=f"unknown {s.scene}"):
                scene_from({"number": 1, "heading": "x", s.scene: "nope"}, 1, 1000)


def test_stored_settings_are_grouped_and_round_trip():
    s = with_changes(RenderSettings(), {"fps": 8, "music_volume": 0.5, "scene_label": False})
    doc = to_doc(s)
    assert list(doc) == list(GROUPS) and doc["output"]["fps"] == 8 and doc["music"]["music_volume"] == 0.5
    assert doc["image"]["scene_label"] is False
    assert from_doc(doc) == dataclasses.asdict(s)
    assert from_doc(dataclasses.asdict(s)) == dataclasses.asdict(s)  # the flat layout reads the same


def test_a_store_written_before_the_grouping_opens_and_is_saved_grouped(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA / "store-before-grouping.json", data / "vidgen.json")  # written by the code before issue 10
    old = json.loads((data / "vidgen.json").read_text())["projects"]["1"]["settings"]
    store = Store(Settings.from_env(data))
    project = store.list_projects()[0]
    s = project.settings
    assert (s.aspect, s.resolution, s.fps, s.transition, s.transition_seconds) == ("9:16", "480p", 12, "wipe", 0.8)
    assert (s.music, s.music_genre, s.music_tempo, s.music_key, s.music_instruments) == ("none", "jazz", 100,
                                                                                        "D minor", [0, 48])
    assert (s.narrator.pitch, s.narrator.speed, s.subtitles, s.style, s.image_guidance) == (-2.0, 1.1, False, "anime", 3.5)
    assert [(lo.source, lo.scale) for lo in s.loras] == [("someone/lora", 0.7)]
    assert s.scene_label is True  # a setting the old store did not have takes its default
    assert {k: v for k, v in dataclasses.asdict(s).items() if k in old} == old  # nothing else changed
    store.save_project(project)
    stored = json.loads((data / "vidgen.json").read_text())["projects"]["1"]["settings"]
    assert set(stored) == set(GROUPS) and stored["output"]["fps"] == 12  # saved grouped
    assert store.get_project(project.id).settings == s


def _label_box(frame: np.ndarray) -> tuple[slice, slice]:
    h, w = frame.shape[:2]
    return slice(int(h * 0.1), int(h * 0.25)), slice(int(w * 0.1), int(w * 0.6))


def test_scene_label_off_paints_the_same_picture_without_the_label(tmp_path):
    scene = Scene(number=2, heading="INT. LIGHTHOUSE - NIGHT", visual="A keeper climbs the stairs.", mood="calm")
    on = np.asarray(Image.open(paint_storyboard(scene, (640, 360), tmp_path / "on.png", total_scenes=6)))
    off = np.asarray(Image.open(paint_storyboard(scene, (640, 360), tmp_path / "off.png", total_scenes=6,
                                                 caption=False)))
    rows, cols = _label_box(on)
    differs = np.abs(on.astype(int) - off.astype(int)).max(axis=2) > 24
    assert differs[rows, cols].mean() > 0.02  # the label's box and letters are gone
    outside = differs.copy()
    outside[: int(on.shape[0] * 0.3), : int(on.shape[1] * 0.75)] = False
    assert outside.mean() < 0.001  # and nothing else changed


def test_scene_label_is_a_project_setting_the_painter_step_keys_on(studio):
    p = studio.create_project("Scene 1: The harbour\nBoats rocked gently in the morning light.", "",
                              {"resolution": "480p", "fps": 8, "quality": "draft", "voice": "none"})
    labelled = studio.generate_image(p["id"], 1)
    studio.update_settings(p["id"], {"scene_label": False})
    plain = studio.generate_image(p["id"], 1)
    assert not plain["cached"] and plain["image"] != labelled["image"]
    assert studio.get_project(p["id"])["settings"]["scene_label"] is False
    studio.update_settings(p["id"], {"scene_label": True})
    assert studio.generate_image(p["id"], 1)["cached"]  # the labelled picture's key is what it was
