"""Pipeline and jobs in-process: the step cache, editing one scene, cancel, progress events."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from vidgen.domain import Line, RenderSettings
from vidgen.errors import Cancelled
from vidgen.jobs import new_job, request_cancel, run_job
from vidgen.media import probe
from vidgen.pipeline import RenderWork, create_project, render, scene_duration


def small_settings(**kw) -> RenderSettings:
    return RenderSettings(resolution="480p", fps=12, quality="draft", **kw)


def test_scene_duration_is_whole_frames():
    s = RenderSettings(fps=24, transition_seconds=0.5)
    d = scene_duration(2.0, s)
    assert abs(d * 24 - round(d * 24)) < 1e-9 and d >= 0.5 + 2.0
    assert scene_duration(0.0, s) == 3.0


def test_edit_one_scene_rerenders_only_that_scene(store, harbour3):
    project = create_project(store, harbour3, settings=small_settings())
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
    # the scene got longer, so the generated score is re-made to the new length; nothing else ran
    # (and its storm's rain bed, to the new length)
    assert ran == {("voice", 2), ("animation", 2), ("effects", 2), ("music", None), ("assembly", None)}
    assert probe(second.result["video"]).duration > probe(first.result["video"]).duration


def test_cancel_stops_at_the_next_step(store, harbour3):
    project = create_project(store, harbour3, settings=small_settings())
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


def test_cancel_from_another_process_is_seen_through_the_store(store, harbour3):
    project = create_project(store, harbour3, settings=small_settings())
    job = new_job(store, project.id)

    def on_event(ev):
        # What `python -m vidgen cancel` does from another process: only the record changes.
        if ev.stage == "images" and not store.get_job(job.id).cancel_requested:
            store.update_job(job.id, cancel_requested=True)

    with pytest.raises(Cancelled):
        run_job(store, job.id, RenderWork(store, project.id), on_event)
    job = store.get_job(job.id)
    assert job.status == "cancelled" and not any(s.name == "assembly" for s in job.steps)


def test_silent_film_keeps_estimated_timing_and_captions(store, harbour3):
    project = create_project(store, harbour3, settings=small_settings(voice="none"))
    job = render(store, project.id)
    assert not any(s.name == "voice" for s in job.steps)
    info = probe(job.result["video"])
    assert info.audio is not None and info.duration > 9


def test_a_scene_uses_the_users_own_picture(store, tmp_path, harbour3):
    import numpy as np
    from PIL import Image

    from tests.media_checks import frame_at
    from vidgen.services.assembly import scene_starts
    from vidgen.domain import SceneMedia

    photo = tmp_path / "photo.jpg"
    Image.fromarray(np.full((300, 400, 3), (200, 30, 200), np.uint8)).save(photo)
    project = create_project(store, harbour3, settings=small_settings(), scene_images={2: str(photo)})
    assert project.scenes[1].image and not project.scenes[0].image
    job = render(store, project.id)
    clips = [s for s in job.steps if s.name == "animation"]
    durations = [probe(store.asset_path(store.get_step(s.key)["outputs"]["clip"])).duration for s in clips]
    starts = scene_starts([SceneMedia("", d) for d in durations], project.settings.transition_seconds)
    middle = frame_at(job.result["video"], starts[1] + durations[1] / 2)[:200]
    assert np.abs(middle.reshape(-1, 3).mean(axis=0) - (200, 30, 200)).max() < 25
    other = frame_at(job.result["video"], starts[0] + durations[0] / 2)[:200]
    assert np.abs(other.reshape(-1, 3).mean(axis=0) - (200, 30, 200)).max() > 40


def test_bad_scene_images_save_nothing(store, tmp_path, harbour3):
    from vidgen.errors import VidgenError

    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(VidgenError, match="No scene 7"):
        create_project(store, harbour3, scene_images={7: str(text)})
    with pytest.raises(VidgenError, match="not a readable image"):
        create_project(store, harbour3, scene_images={1: str(text)})
    assert store.list_projects() == [] and store.list_assets() == []


def test_cached_scene_media_shows_what_the_cache_holds(store, harbour3):
    from vidgen.pipeline import cached_scene_media

    project = create_project(store, harbour3, settings=small_settings())
    assert all(m["image"] == m["clip"] == "" for m in cached_scene_media(store, project))
    render(store, project.id)
    project = store.get_project(project.id)
    media = cached_scene_media(store, project)
    assert [m["number"] for m in media] == [1, 2, 3]
    assert all(Path(m["image"]).is_file() and Path(m["clip"]).is_file() for m in media)
    project.scenes[1].lines = [Line("Something else entirely is said here now.")]
    after = cached_scene_media(store, project)
    assert after[1]["image"] == media[1]["image"] and after[1]["clip"] == ""  # new words: new timing
    assert after[0] == media[0] and after[2] == media[2]


def test_failed_jobs_name_files_and_logs_without_the_server_folders(store, harbour):
    """A bug or an unreadable file fails the job with one line; the data folder's path stays in the log."""
    from vidgen.errors import VidgenError

    project = create_project(store, harbour, settings=small_settings())
    secret = store.settings.data_dir / "work" / "private" / "clip.mp4"

    def bug(ctx):
        raise RuntimeError(f"decoder gave up on {secret}")

    def unreadable(ctx):
        raise PermissionError(13, "Permission denied", str(secret))

    for work, words in ((bug, "Internal error: RuntimeError: decoder gave up on <file>"),
                        (unreadable, "Cannot read or write 'clip.mp4': Permission denied")):
        job = new_job(store, project.id)
        with pytest.raises(VidgenError) as e:
            run_job(store, job.id, work)
        failed = store.get_job(job.id)
        assert failed.status == "failed" and words in failed.error and failed.error == str(e.value)
        assert str(store.settings.data_dir) not in failed.error and "\n" not in failed.error
    log = store.settings.data_dir / "logs" / f"{job.id}.log"
    assert not log.exists()  # an OSError is the user's to fix: no log
    assert str(secret) in (store.settings.data_dir / "logs").joinpath(
        next(p.name for p in (store.settings.data_dir / "logs").iterdir())).read_text()  # the bug's traceback
