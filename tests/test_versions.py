"""Versions (issue 17): every finished render is one; list, name, compare, restore and delete them,
read back from the store and the data folder; refusals change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidgen import media
from vidgen.errors import VidgenError
from vidgen.ui.versions_tab import differences

from .test_scene_ops import SCRIPT, TINY


def render(studio, project_id: str) -> dict:
    done = studio.wait(studio.start_render(project_id))
    assert done["status"] == "completed", done.get("error")
    return done


def test_every_render_is_a_version_to_compare_restore_and_delete(studio):
    p = studio.create_project(SCRIPT, "Road", TINY)
    first = render(studio, p["id"])
    studio.update_settings(p["id"], {"grade": "noir"})
    studio.update_scene(p["id"], 2, {"mood": "tense"})
    studio.delete_scene(p["id"], 3)
    second = render(studio, p["id"])
    versions = studio.list_versions(p["id"])
    assert [(v["number"], v["id"], v["scenes"]) for v in versions] == [(2, second["id"], 2), (1, first["id"], 3)]
    v1, v2 = versions[1], versions[0]
    assert v1["ran"] > 0 and v2["cached"] > 0  # the second render took the unchanged steps from the cache
    assert abs(media.probe(v1["video"]).duration - v1["duration"]) < 0.2 and v1["video"] != v2["video"]
    assert studio.get_version(v1["id"])["project"]["settings"]["look"]["grade"] == "none"

    diff = studio.compare_versions(v1["id"], v2["id"])
    assert {s["name"]: (s["a"], s["b"]) for s in diff["settings"]} == {"grade": ("none", "noir")}
    assert diff["scenes"] == [{"number": 2, "change": "changed", "fields": ["mood"]},
                              {"number": 3, "change": "removed", "fields": []}]
    assert diff["videos"] == [v1["video"], v2["video"]]
    shown = differences(diff)
    assert "`grade`: `none` → `noir`" in shown and "scene 3: removed" in shown

    assert studio.name_version(v1["id"], "  first   cut ")["name"] == "first cut"
    restored = studio.restore_version(v1["id"])
    assert len(restored["scenes"]) == 3 and restored["settings"]["grade"] == "none"
    assert studio.get_project(p["id"])["video"] == v1["video"]  # its film is the project's result again
    again = render(studio, p["id"])
    assert all(s["cached"] for s in again["steps"])  # the restored project is the first render's, all cached

    film = Path(v2["video"])
    assert film.is_file()
    gone = studio.delete_version(v2["id"])
    assert gone["deleted"] == v2["id"] and gone["freed"] > 0
    assert not film.exists() and v2["id"] not in [v["id"] for v in studio.list_versions(p["id"])]
    assert Path(v1["video"]).is_file()  # the other versions' files stay


def test_version_refusals_change_nothing(studio):
    p = studio.create_project(SCRIPT, "Road", TINY)
    q = studio.create_project(SCRIPT, "Other", TINY)
    a, b = render(studio, p["id"]), render(studio, q["id"])
    before = studio.list_versions(p["id"])
    for call, words in ((lambda: studio.name_version(a["id"], "x" * 81), "at most 80"),
                        (lambda: studio.name_version(a["id"], 3), "is text"),
                        (lambda: studio.compare_versions(a["id"], b["id"]), "different projects"),
                        (lambda: studio.get_version("nope"), "No version 'nope'"),
                        (lambda: studio.delete_version("nope"), "No version 'nope'"),
                        (lambda: studio.restore_version(""), "version id is needed")):
        with pytest.raises(VidgenError, match=words) as err:
            call()
        assert "\n" not in str(err.value)
    assert studio.list_versions(p["id"]) == before


def test_a_file_an_old_version_needs_cannot_be_deleted(studio, tmp_path):
    from PIL import Image

    picture = tmp_path / "mine.png"
    Image.new("RGB", (320, 180), (30, 140, 60)).save(picture)
    p = studio.create_project(SCRIPT, "Road", TINY)
    asset = studio.set_scene_image(p["id"], 1, str(picture))["scenes"][0]["image"]
    render(studio, p["id"])
    studio.set_scene_image(p["id"], 1, None)  # the project no longer uses it; version 1 does
    with pytest.raises(VidgenError, match=r"project 'Road \(version 1\)' scene 1") as err:
        studio.delete_asset(asset)
    assert "\n" not in str(err.value)
    assert studio.store.asset_path(asset).is_file()
