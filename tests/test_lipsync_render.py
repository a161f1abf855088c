"""Lip sync in the render (issue 15): the built-in drawn mouth is on by default; a two-character scene
on the painter moves each figure's mouth in its own lines, as a cached step; `none` turns it off; a
scene's own model and speaker-to-face choice are kept and checked."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vidgen.domain import RenderSettings
from vidgen.errors import VidgenError
from vidgen.pipeline import create_project, render

from .tiny_video import clip_frames

pytest.importorskip("av")

KITCHEN = """INT. KITCHEN - DAY

ANA stands by the window. BO sits at the table.

ANA
Did you hear the storm last night? It was loud.

BO
I slept through all of it, every minute.
"""


def settings(**kw) -> RenderSettings:
    return RenderSettings(resolution="480p", fps=12, quality="draft", **kw)


def step(store, job, name):
    """The job's first `name` step and its cache entry."""
    found = next(s for s in job.steps if s.name == name)
    return found, store.get_step(found.key)


def test_each_painted_figure_speaks_its_own_lines(store):
    project = create_project(store, KITCHEN, settings=settings())
    job = render(store, project.id)
    assert job.status == "completed", job.error
    lip, hit = step(store, job, "lipsync")
    assert hit["data"]["model"] == "visemes" and hit["data"]["speakers"] == {"ANA": 0, "BO": 1}
    assert hit["data"]["changed"] > 0 and not hit["data"]["reason"]
    _, voice = step(store, job, "voice")  # Piper's phoneme alignment, kept beside the speech, times the mouths
    phones = json.loads(store.asset_path(voice["outputs"]["phones"]).read_text())["cues"]
    assert len(phones) == len(voice["data"]["cues"]) and all(phones)
    assert hit["data"]["mouth"] == "the voice's phoneme alignment"
    _, anim = step(store, job, "animation")
    before = clip_frames(store.asset_path(anim["outputs"]["clip"]))
    after = clip_frames(store.asset_path(hit["outputs"]["clip"]))
    assert before.shape == after.shape
    moved = np.abs(after - before).max(axis=(1, 2, 3)) > 30
    assert 0.2 < moved.mean() < 1.0  # the mouths move while they speak, not before the first word
    again = render(store, project.id)
    assert all(s.cached for s in again.steps)


def test_lip_sync_off_and_per_scene_choices(store, studio):
    project = create_project(store, KITCHEN, settings=settings(lipsync_model="none"))
    job = render(store, project.id)
    assert job.status == "completed" and not any(s.name == "lipsync" for s in job.steps)
    p = studio.create_project(KITCHEN)
    saved = studio.update_scene(p["id"], 1, {"lipsync_model": "visemes", "speaker_faces": {"bo": 0, "Ana": 1}})
    assert saved["scenes"][0]["lipsync_model"] == "visemes"
    assert saved["scenes"][0]["speaker_faces"] == {"BO": 0, "ANA": 1}
    for bad, words in (({"speaker_faces": {"BO": -1}}, "whole number from 0"), ({"speaker_faces": [1]}, "speaker_faces"),
                       ({"lipsync_model": "camera"}, "is an animation model, not a lipsync model"),
                       ({"lipsync_model": "no-such-mouth"}, "no-such-mouth")):
        with pytest.raises(VidgenError, match=words):
            studio.update_scene(p["id"], 1, bad)


def test_the_chosen_faces_are_used(store):
    project = create_project(store, KITCHEN, settings=settings())
    project.scenes[0].speaker_faces = {"ANA": 1, "BO": 0}
    store.save_project(project)
    job = render(store, project.id)
    _, hit = step(store, job, "lipsync")
    assert hit["data"]["speakers"] == {"ANA": 1, "BO": 0}


def test_the_storyboards_speaker_faces_field_round_trips(studio):
    from vidgen.ui.storyboard_tab import faces_to_text, text_to_faces

    p = studio.create_project(KITCHEN)
    saved = studio.update_scene(p["id"], 1, {"speaker_faces": text_to_faces("ana=1, Bo=0"), "lipsync_model": "none"})
    assert faces_to_text(saved["scenes"][0]["speaker_faces"]) == "ANA=1, BO=0"
    assert saved["scenes"][0]["lipsync_model"] == "none"
    with pytest.raises(VidgenError, match="the face of 'BO' must be a whole number"):
        studio.update_scene(p["id"], 1, {"speaker_faces": text_to_faces("BO=left")})
    assert text_to_faces("") == {}


def test_the_cast_tab_sets_the_films_lip_sync(studio):
    from vidgen.ui.cast_tab import lipsync_choices, save_lipsync

    p = studio.create_project(KITCHEN)
    values = [v for _, v in lipsync_choices(studio)]
    assert values[0] == "" and {"visemes", "wav2lip-gan", "musetalk-1.5", "none"} <= set(values)
    assert "No lip sync" in save_lipsync(studio, p["id"], "none")
    assert studio.get_project(p["id"])["settings"]["lipsync_model"] == "none"
    save_lipsync(studio, p["id"], "visemes")
    assert studio.get_project(p["id"])["settings"]["lipsync_model"] == "visemes"
    with pytest.raises(VidgenError, match="is an animation model, not a lipsync model"):
        save_lipsync(studio, p["id"], "camera")
    assert studio.get_project(p["id"])["settings"]["lipsync_model"] == "visemes"  # nothing saved is lost
    with pytest.raises(VidgenError, match="Parse a script first"):
        save_lipsync(studio, "", "none")
