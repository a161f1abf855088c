"""Pipeline and jobs in-process: the step cache, editing one scene, cancel, progress events."""

from __future__ import annotations

import threading

import pytest

from vidgen.config import Settings
from vidgen.domain import Line, RenderSettings
from vidgen.errors import Cancelled
from vidgen.jobs import new_job, request_cancel, run_job
from vidgen.media import probe
from vidgen.pipeline import RenderWork, create_project, render, scene_duration
from vidgen.store import Store

SCRIPT = """Scene 1: The harbour
Narrator: Boats rocked gently in the morning light.

Scene 2: The storm
Narrator: By noon, black clouds rolled in from the sea.

Scene 3: Home
Narrator: At night, the town slept, safe and warm.
"""


@pytest.fixture()
def store(tmp_path):
    return Store(Settings.from_env(tmp_path / "data"))


def small_settings(**kw) -> RenderSettings:
    return RenderSettings(resolution="480p", fps=12, quality="draft", **kw)


def test_scene_duration_is_whole_frames():
    s = RenderSettings(fps=24, transition_seconds=0.5)
    d = scene_duration(2.0, s)
    assert abs(d * 24 - round(d * 24)) < 1e-9 and d >= 0.5 + 2.0
    assert scene_duration(0.0, s) == 3.0


def test_edit_one_scene_rerenders_only_that_scene(store):
    project = create_project(store, SCRIPT, settings=small_settings())
    events = []
    first = render(store, project.id, on_event=events.append)
    assert first.status == "completed"
    assert all(not s.cached for s in first.steps)
    assert [e.stage for e in events][0] == "parse" and events[-1].overall == 1.0
    assert {e.stage for e in events} == {"parse", "images", "voice", "animation", "music", "assembly"}
    assert all(b.overall >= a.overall - 1e-9 for a, b in zip(events, events[1:])), "progress went backwards"

    project = store.get_project(project.id)
    project.scenes[1].lines = [Line("By noon, a terrible storm rolled in, and the harbour emptied.")]
    store.save_project(project)
    second = render(store, project.id)
    ran = {(s.name, s.scene) for s in second.steps if not s.cached}
    assert ran == {("voice", 2), ("animation", 2), ("assembly", None)}
    assert probe(second.result["video"]).duration > probe(first.result["video"]).duration


def test_cancel_stops_at_the_next_step(store):
    project = create_project(store, SCRIPT, settings=small_settings())
    job = new_job(store, project.id)
    seen = []

    def on_event(ev):
        seen.append(ev)
        if ev.stage == "voice" and ev.scene == 1:
            threading.Thread(target=request_cancel, args=(store, job.id)).start()

    with pytest.raises(Cancelled):
        run_job(store, job.id, RenderWork(store, project.id), on_event)
    job = store.get_job(job.id)
    assert job.status == "cancelled"
    assert not any(s.name in ("animation", "assembly") for s in job.steps), "work went on after cancel"
    assert all(e.stage in ("parse", "images", "voice") for e in seen)


def test_cancel_from_another_process_is_seen_through_the_store(store):
    project = create_project(store, SCRIPT, settings=small_settings())
    job = new_job(store, project.id)

    def on_event(ev):
        # What `python -m vidgen cancel` does from another process: only the record changes.
        if ev.stage == "images" and not store.get_job(job.id).cancel_requested:
            store.update_job(job.id, cancel_requested=True)

    with pytest.raises(Cancelled):
        run_job(store, job.id, RenderWork(store, project.id), on_event)
    job = store.get_job(job.id)
    assert job.status == "cancelled" and not any(s.name == "assembly" for s in job.steps)


def test_silent_film_keeps_estimated_timing_and_captions(store):
    project = create_project(store, SCRIPT, settings=small_settings(voice="none"))
    job = render(store, project.id)
    assert not any(s.name == "voice" for s in job.steps)
    info = probe(job.result["video"])
    assert info.audio is not None and info.duration > 9
