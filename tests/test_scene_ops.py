"""Scene management (issue 17): add, delete, duplicate, move, split and merge through the Studio (the
API's functions), read back from the store; refusals leave the store as it was; a re-render after a
move takes every unchanged step from the cache."""

from __future__ import annotations

import pytest

from vidgen.errors import VidgenError

SCRIPT = """INT. KITCHEN - DAY

ANA
We leave at dawn.

BO
Before the rain.

EXT. ROAD - DAY

BO
Then we walk all night.

EXT. HILL - DAWN

ANA
There it is.
"""
TINY = {"resolution": "480p", "fps": 12, "quality": "draft", "music": "none", "lipsync_model": "none",
        "sound_effects": False, "scene_label": False}


def layout(p: dict) -> list[tuple[int, str, list[str]]]:
    return [(s["number"], s["heading"], [ln["text"] for ln in s["lines"]]) for s in p["scenes"]]


def cast(p: dict) -> dict[str, list[int]]:
    return {c["name"]: c["scenes"] for c in p["characters"]}


def test_moving_splitting_and_merging_scenes(studio):
    p = studio.create_project(SCRIPT)
    assert cast(p) == {"Ana": [1, 3], "Bo": [1, 2]}
    p = studio.move_scene(p["id"], 3, 1)
    assert layout(p) == [(1, "EXT. HILL - DAWN", ["There it is."]),
                         (2, "INT. KITCHEN - DAY", ["We leave at dawn.", "Before the rain."]),
                         (3, "EXT. ROAD - DAY", ["Then we walk all night."])]
    assert cast(p) == {"Ana": [1, 2], "Bo": [2, 3]}  # the characters follow their scenes
    assert [s["seed"] for s in p["scenes"]] == [3, 1, 2]  # each keeps the variation it had
    p = studio.split_scene(p["id"], 2, 2)
    assert layout(p)[1:3] == [(2, "INT. KITCHEN - DAY", ["We leave at dawn."]),
                              (3, "INT. KITCHEN - DAY", ["Before the rain."])]
    assert len({s["seed"] for s in p["scenes"]}) == 4  # the new half has a variation of its own
    assert p["scenes"][1]["duration"] < p["scenes"][3]["duration"] + 2  # estimated again from its words
    p = studio.merge_scenes(p["id"], 2)
    assert layout(p)[1] == (2, "INT. KITCHEN - DAY", ["We leave at dawn.", "Before the rain."])
    p = studio.duplicate_scene(p["id"], 3)
    assert layout(p)[3] == (4, "EXT. ROAD - DAY", ["Then we walk all night."])
    assert p["scenes"][2]["seed"] == p["scenes"][3]["seed"]  # the same picture until edited
    p = studio.add_scene(p["id"], 0, {"narration": "A new start.", "mood": "calm"})
    assert layout(p)[0] == (1, "New scene", ["A new start."]) and p["scenes"][0]["mood"] == "calm"
    p = studio.delete_scene(p["id"], 5)
    assert [s["number"] for s in p["scenes"]] == [1, 2, 3, 4]
    assert studio.get_project(p["id"])["scenes"] == p["scenes"]  # saved as answered


def test_refused_scene_operations_change_nothing(studio):
    p = studio.create_project(SCRIPT)
    before = studio.get_project(p["id"])
    for call, words in ((lambda: studio.move_scene(p["id"], 1, 9), "Position 9 is outside the project: use 1 to 3"),
                        (lambda: studio.move_scene(p["id"], 7, 1), "No scene 7"),
                        (lambda: studio.split_scene(p["id"], 1, 1), "split it before line 2 to 2"),
                        (lambda: studio.split_scene(p["id"], 2, 2), "one line: there is nothing to split"),
                        (lambda: studio.merge_scenes(p["id"], 3), "is the last scene"),
                        (lambda: studio.add_scene(p["id"], 1, {"mood": "furious"}), "unknown mood"),
                        (lambda: studio.add_scene(p["id"], "x"), "whole number"),
                        (lambda: studio.update_scene(p["id"], 1, {"seed": -1}), "seed must be a whole number")):
        with pytest.raises(VidgenError, match=words) as err:
            call()
        assert "\n" not in str(err.value)
    for _ in range(2):
        studio.delete_scene(p["id"], 1)
    with pytest.raises(VidgenError, match="at least one scene"):
        studio.delete_scene(p["id"], 1)
    after = studio.get_project(p["id"])
    assert len(after["scenes"]) == 1 and after["scenes"][0]["heading"] == before["scenes"][2]["heading"]


def test_a_bad_new_scene_leaves_no_empty_scene_behind(studio):
    p = studio.create_project(SCRIPT)
    with pytest.raises(VidgenError, match="unknown mood"):
        studio.add_scene(p["id"], 1, {"mood": "furious"})
    assert layout(studio.get_project(p["id"])) == layout(p)


def test_a_rerender_after_a_move_reuses_every_unchanged_step(studio):
    p = studio.create_project(SCRIPT, "t", TINY)
    for n in (1, 2, 3):  # camera moves fixed: an automatic pick depends on the scene before
        studio.update_scene(p["id"], n, {"motion": "zoom_in"})
    first = studio.wait(studio.start_render(p["id"]))
    assert first["status"] == "completed", first.get("error")

    def outputs(job: dict, name: str) -> dict[int, str]:
        return {s["scene"]: studio.store.get_step(s["key"])["outputs"] for s in job["steps"] if s["name"] == name}

    studio.move_scene(p["id"], 3, 1)
    again = studio.wait(studio.start_render(p["id"]))
    assert again["status"] == "completed", again.get("error")
    for name in ("image", "voice", "animation"):  # no scene label: a moved picture is not painted again
        assert all(s["cached"] for s in again["steps"] if s["name"] == name), name
    old, new = outputs(first, "image"), outputs(again, "image")
    assert [new[1], new[2], new[3]] == [old[3], old[1], old[2]]  # the same pictures, in the new order
    assert not next(s for s in again["steps"] if s["name"] == "assembly")["cached"]  # a new film


def test_a_scenes_minimum_length_holds_the_shot_and_never_cuts_its_speech(studio):
    from vidgen import media

    p = studio.create_project(SCRIPT, "t", TINY)
    first = studio.wait(studio.start_render(p["id"]))
    assert first["status"] == "completed", first.get("error")

    def clip_seconds(job: dict, scene: int) -> float:
        step = next(s for s in job["steps"] if s["name"] == "animation" and s["scene"] == scene)
        return media.probe(studio.store.asset_path(studio.store.get_step(step["key"])["outputs"]["clip"])).duration

    short = clip_seconds(first, 3)
    assert short < 5.0
    studio.update_scene(p["id"], 3, {"min_duration": 7.5})
    studio.update_scene(p["id"], 1, {"min_duration": 0.5})  # shorter than its speech: nothing changes
    held = studio.wait(studio.start_render(p["id"]))
    assert held["status"] == "completed", held.get("error")
    assert abs(clip_seconds(held, 3) - 7.5) < 0.1
    redone = {(s["name"], s["scene"]) for s in held["steps"] if not s["cached"]}
    assert ("animation", 1) not in redone and ("voice", 3) not in redone, redone
    film = media.probe(held["video"]).duration - media.probe(first["video"]).duration
    assert abs(film - (7.5 - short)) < 0.15, film  # the film is longer by the hold, no more
    assert studio.timeline(p["id"])["blocks"][2]["seconds"] == pytest.approx(7.5, abs=0.05)

    before = studio.get_project(p["id"])
    with pytest.raises(VidgenError, match="min_duration must be from 0"):
        studio.update_scene(p["id"], 2, {"min_duration": -1})
    assert studio.get_project(p["id"]) == before
