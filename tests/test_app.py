"""The studio served on a free port and driven like a client would: gradio_client and raw HTTP."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

gr = pytest.importorskip("gradio")
from gradio_client import Client, handle_file  # noqa: E402

import requests  # noqa: E402

from tests.scripts import ARABIC, HEBREW  # noqa: E402
from vidgen.config import Settings  # noqa: E402
from vidgen.domain import Job  # noqa: E402
from vidgen.jobs import LANE  # noqa: E402
from vidgen.media import probe  # noqa: E402
from vidgen.studio import Studio  # noqa: E402
from vidgen.ui import build_app, launch_options  # noqa: E402
from vidgen.ui.builder import MAX_FILE_SIZE  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FAST = {"resolution": "480p", "fps": 12, "quality": "draft"}
SILENT = {**FAST, "voice": "none"}
API = ["/parse_script", "/write_script", "/create_project", "/render", "/render_scene", "/generate_image", "/list_projects",
       "/get_project", "/save_project", "/delete_project", "/list_jobs", "/get_job", "/cancel_job", "/resume_job",
       "/set_scene_image", "/list_models", "/download_model", "/activate_model", "/remove_model", "/model_versions",
       "/use_model_revision", "/verify_model", "/bench_model", "/storage_info",
       "/update_character", "/set_character_reference", "/get_cast", "/set_voice", "/synthesize_voice", "/generate_music",
       "/keep_scene_image", "/preview_look", "/add_scene_sound", "/add_look_file",
       "/update_scene", "/add_scene", "/delete_scene", "/duplicate_scene", "/move_scene", "/split_scene",
       "/merge_scenes", "/list_versions", "/get_version", "/name_version", "/compare_versions", "/restore_version",
       "/delete_version", "/upload_asset", "/list_assets", "/get_asset", "/tag_asset", "/delete_asset", "/set_scene_clip",
       "/export_film", "/export_timeline", "/delivery_formats"]


def tiny_script(tag: str, scenes: int = 2) -> str:
    return f"Title: Tiny {tag}\n\n" + "\n\n".join(
        f"Scene {i}: Place {tag} {i}\nVisual: A quiet {tag} street at dusk, number {i}.\nNarrator: Short line {i}."
        for i in range(1, scenes + 1))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = tmp_path_factory.mktemp("studio-data")
    studio = Studio(Settings.from_env(data), gpu_slots=1)
    demo = build_app(studio)
    options = launch_options(data, port=free_port())
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **options)
    try:
        yield url.rstrip("/"), studio, data
    finally:
        demo.close()
        studio.shutdown(timeout=30)


@pytest.fixture(scope="module")
def client(served):
    return Client(served[0], verbose=False)


def new_project(client, text: str, settings: dict) -> str:
    return client.predict(text, "", settings, api_name="/create_project")["id"]


def holds(job_ids: set[str]) -> list[tuple[str, float, float]]:
    return sorted((h for h in LANE.history if h[0] in job_ids), key=lambda h: h[1])


def test_endpoints_are_named_and_ui_events_private(client):
    named = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert set(API) <= set(named), sorted(set(API) - set(named))
    assert not [n for n in named if n not in API], "UI-only events must be private"
    assert [p["parameter_name"] for p in named["/render"]["parameters"]] == ["project_id"]


def test_parse_an_example(client):
    text = (ROOT / "examples" / "mars_storyboard.txt").read_text()
    parsed = client.predict(text, api_name="/parse_script")
    assert parsed["title"] == "First Light on Mars" and parsed["form"] == "headings"
    assert len(parsed["scenes"]) >= 3 and parsed["scenes"][0]["heading"]
    assert {c["name"] for c in parsed["characters"]} >= {"Ada"}


def test_render_example_then_edit_one_scene_rerenders_only_it(client, served):
    text = (ROOT / "examples" / "coffee_shop.fountain").read_text()
    project = client.predict(text, "", FAST, api_name="/create_project")
    assert project["settings"]["resolution"] == "480p" and len(project["scenes"]) >= 2
    video, srt, job_id = client.predict(project["id"], api_name="/render")
    info = probe(video)
    assert (info.video.codec, info.video.width, info.video.height) == ("h264", 854, 480)
    assert info.audio.codec == "aac" and info.duration > 5
    assert "-->" in Path(srt).read_text()
    first = client.predict(job_id, api_name="/get_job")
    assert first["status"] == "completed" and not any(s["cached"] for s in first["steps"])

    p = client.predict(project["id"], api_name="/get_project")
    p["scenes"][1]["heading"] = "EXT. HARBOUR - DAWN"  # the painted caption and palette change
    p["scenes"][1]["visual"] = "Boats rock on grey water under a pale sky."
    saved = client.predict(p, api_name="/save_project")
    assert saved["scenes"][1]["heading"] == "EXT. HARBOUR - DAWN"
    t0 = time.monotonic()
    _, _, job2 = client.predict(project["id"], api_name="/render")
    rerender = time.monotonic() - t0
    steps = client.predict(job2, api_name="/get_job")["steps"]
    ran = {(s["name"], s["scene"]) for s in steps if not s["cached"]}
    # scene 2's character speaks: its mouth is redrawn on the new clip (lip sync, on by default)
    assert ran == {("image", 2), ("animation", 2), ("lipsync", 2), ("assembly", None)}, ran
    assert any(s["cached"] and s["scene"] == 1 for s in steps)
    first_seconds = first["finished"] - first["started"]
    print(f"\nfirst render {first_seconds:.1f} s, re-render after one edit {rerender:.1f} s")


def test_render_scene_reports_cached_steps(client):
    pid = new_project(client, tiny_script("preview"), SILENT)
    first = client.predict(pid, 1, api_name="/render_scene")
    assert Path(first["clip"]).is_file() and Path(first["image"]).is_file()
    again = client.predict(pid, 1, api_name="/render_scene")
    assert again["cached"]["image"] and again["cached"]["animation"]
    assert not all(first["cached"].values())


def test_list_get_delete_projects(client):
    pid = new_project(client, tiny_script("listing"), SILENT)
    assert pid in [p["id"] for p in client.predict(api_name="/list_projects")]
    assert client.predict(pid, api_name="/get_project")["title"] == "Tiny listing"
    assert client.predict(pid, api_name="/delete_project") == {"deleted": pid}
    assert pid not in [p["id"] for p in client.predict(api_name="/list_projects")]
    with pytest.raises(Exception, match="No project|not found|no project"):
        client.predict(pid, api_name="/get_project")


def test_cancel_a_running_render_stops_it(client, served):
    text = (ROOT / "examples" / "lighthouse.txt").read_text()
    pid = new_project(client, text, SILENT)
    job = client.submit(pid, api_name="/render")
    deadline = time.monotonic() + 60
    while not job.outputs() and time.monotonic() < deadline:
        time.sleep(0.05)
    job_id = job.outputs()[0][2]
    while time.monotonic() < deadline:  # running, with some work done
        j = client.predict(job_id, api_name="/get_job")
        if j["status"] == "running" and j["steps"]:
            break
        time.sleep(0.1)
    cancelled = client.predict(job_id, api_name="/cancel_job")
    assert cancelled["cancel_requested"] or cancelled["status"] == "cancelled"
    with pytest.raises(Exception, match="cancelled"):
        job.result(timeout=60)
    j = client.predict(job_id, api_name="/get_job")
    assert j["status"] == "cancelled" and j["video"] == ""
    time.sleep(1.5)
    later = client.predict(job_id, api_name="/get_job")
    assert len(later["steps"]) == len(j["steps"]) and later["status"] == "cancelled"
    assert job_id not in LANE.holders
    assert not any(s["name"] == "assembly" for s in later["steps"])


def test_resume_an_interrupted_job(client, served):
    _, studio, _ = served
    pid = new_project(client, tiny_script("resume"), SILENT)
    job = studio.store.save_job(Job(id="interrupted1", project_id=pid, status="interrupted", created=time.time(),
                                     started=time.time() - 5, message="Interrupted"))
    done = client.predict(job.id, api_name="/resume_job")
    assert done["id"] == job.id and done["status"] == "completed" and done["attempts"] == 1
    assert probe(done["video"]).video.height == 480
    with pytest.raises(Exception, match="only an interrupted, failed or cancelled"):
        client.predict(job.id, api_name="/resume_job")


def test_four_clients_render_at_once_one_gpu_lane(served):
    url, studio, _ = served
    clients = [Client(url, verbose=False) for _ in range(4)]
    pids = [new_project(c, tiny_script(f"crowd{i}"), SILENT) for i, c in enumerate(clients)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda cp: cp[0].predict(cp[1], api_name="/render"), zip(clients, pids)))
    ids = {r[2] for r in results}
    assert len(ids) == 4 and all(probe(r[0]).video.width == 854 for r in results)
    jobs = [studio.get_job(j) for j in ids]
    assert all(j["status"] == "completed" for j in jobs)
    spans = holds(ids)
    assert len(spans) == 4
    for (_, _, end), (_, start, _) in zip(spans, spans[1:]):
        assert start >= end, "two GPU jobs overlapped"
    runs = sorted((j["started"], j["finished"]) for j in jobs)
    for (_, end), (start, _) in zip(runs, runs[1:]):
        assert start >= end - 1e-3


def test_direct_run_post_is_refused(served, client):
    url, _, _ = served
    pid = new_project(client, tiny_script("direct"), SILENT)
    for name in ("render", "list_projects", "parse_script"):
        r = requests.post(f"{url}/gradio_api/run/{name}", json={"data": [pid]}, timeout=10)
        assert r.status_code == 404, (name, r.status_code)


@pytest.mark.parametrize("path", [
    "/etc/passwd", "%2Fetc%2Fpasswd", "/ETC/passwd", "//etc/passwd", "../../../../etc/passwd",
    "..%2F..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/proc/self/environ",
])
def test_files_outside_the_data_folder_are_refused(served, path):
    url, _, _ = served
    r = requests.get(f"{url}/gradio_api/file={path}", timeout=10)
    assert r.status_code in (403, 404), (path, r.status_code)
    assert "root:" not in r.text


def test_repository_and_store_files_are_not_served(served):
    url, _, data = served
    store = Path(data) / "vidgen.json"
    assert store.is_file()
    for p in (ROOT / "README.md", ROOT / "vidgen" / "studio.py", ROOT / "app.py", store,
              Path(data) / "vidgen.json.bak"):
        r = requests.get(f"{url}/gradio_api/file={p}", timeout=10)
        assert r.status_code in (403, 404), (p, r.status_code)


def test_rendered_files_in_the_data_folder_are_served(served, client):
    url, _, data = served
    videos = [p["video"] for p in client.predict(api_name="/list_projects") if p["video"]]
    assert videos
    r = requests.get(f"{url}/gradio_api/file={videos[0]}", timeout=10)
    assert r.status_code == 200 and r.content[4:8] == b"ftyp"


def test_upload_over_the_size_limit_gets_413(served):
    url, _, _ = served
    big = b"\0" * (MAX_FILE_SIZE + 1024)
    r = requests.post(f"{url}/gradio_api/upload", files={"files": ("big.png", big, "image/png")}, timeout=60)
    assert r.status_code == 413, r.status_code
    ok = requests.post(f"{url}/gradio_api/upload", files={"files": ("small.txt", b"hello", "text/plain")},
                       timeout=10)
    assert ok.status_code == 200


def test_text_renamed_png_is_rejected_as_scene_image(client, tmp_path):
    pid = new_project(client, tiny_script("fake"), SILENT)
    fake = tmp_path / "photo.png"
    fake.write_text("#!/bin/sh\necho this is not a picture\n")
    with pytest.raises(Exception) as err:
        client.predict(pid, 1, handle_file(str(fake)), api_name="/set_scene_image")
    assert "photo.png" in str(err.value) or "image" in str(err.value).lower()
    assert client.predict(pid, api_name="/get_project")["scenes"][0]["image"] == ""
    from PIL import Image

    real = tmp_path / "real.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(real)
    path, note = client.predict(pid, 1, handle_file(str(real)), api_name="/set_scene_image")
    assert "your image" in note and client.predict(pid, api_name="/get_project")["scenes"][0]["image"]


def test_launch_options_limit_files_and_warn_on_public_share(tmp_path, capsys):
    opts = launch_options(tmp_path, share=True)
    warning = capsys.readouterr().err
    assert "public link" in warning and "--auth" in warning
    assert opts["allowed_paths"] == [str(tmp_path.resolve() / "assets"), str(tmp_path.resolve() / "renders")]
    assert opts["max_file_size"] == MAX_FILE_SIZE
    assert opts["server_name"] == "127.0.0.1" and opts["server_port"] == 7860 and opts["auth"] is None
    launch_options(tmp_path, share=True, auth="ann:secret")
    assert capsys.readouterr().err == ""
    assert launch_options(tmp_path, auth="ann:s1,bob:s2")["auth"] == [("ann", "s1"), ("bob", "s2")]
    with pytest.raises(ValueError, match="user:password"):
        launch_options(tmp_path, auth="nopassword")


def test_serve_flags_and_no_heavy_imports(tmp_path):
    import subprocess
    import sys

    code = ("import sys, time; t = time.time(); from vidgen.__main__ import build_parser; "
            "a = build_parser().parse_args(['serve', '--port', '8001', '--share', '--gpu-slots', '2']); "
            "assert (a.host, a.port, a.share, a.gpu_slots) == ('127.0.0.1', 8001, True, 2), a; "
            "assert 'gradio' not in sys.modules; "
            "from vidgen.ui import build_app; from vidgen.studio import Studio; from vidgen.config import Settings; "
            f"t = time.time(); build_app(Studio(Settings.from_env({str(tmp_path)!r}))); b = time.time() - t; "
            "assert not {'torch', 'diffusers', 'transformers', 'piper'} & set(sys.modules), 'heavy import'; "
            "print(round(b, 2))")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("VIDGEN_", "GRADIO_SERVER"))}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert float(out.stdout.split()[-1]) < 3.0  # building the UI loads no model


def test_scene_table_edits_become_scene_changes():
    from vidgen.ui.common import scene_rows, scene_table_changes

    scenes = [{"number": 1, "heading": "Dawn", "lines": [], "mood": "calm", "duration": 4.0, "camera": ["pan_left"],
               "motion": ""},
              {"number": 2, "heading": "Storm", "lines": [], "mood": "tense", "duration": 5.0, "camera": [],
               "motion": "zoom_in"}]
    rows = scene_rows(scenes)
    assert [r[5] for r in rows] == ["pan_left", "zoom_in"]
    assert scene_table_changes(rows, scenes) == {}
    rows[0][1], rows[0][3] = "Sunrise", "joyful"
    rows[1][5] = "auto"
    assert scene_table_changes(rows, scenes) == {1: {"heading": "Sunrise", "mood": "joyful"}, 2: {"motion": ""}}
    rows[1][5] = "pan right"
    assert scene_table_changes(rows, scenes)[2] == {"motion": "pan_right"}


def test_model_endpoints_list_activate_and_report_storage(client):
    models = client.predict("", api_name="/list_models")
    ids = {m["id"] for m in models}
    assert {"storyboard", "sdxl-turbo", "piper-joe", "musicgen-small"} <= ids
    assert client.predict("voice", api_name="/list_models") and all(
        m["kind"] == "voice" for m in client.predict("voice", api_name="/list_models"))
    active = client.predict("mms-tts-eng", api_name="/activate_model")
    assert active["id"] == "mms-tts-eng"
    assert [m for m in client.predict("voice", api_name="/list_models") if m["id"] == "mms-tts-eng"][0]["active"]
    client.predict("piper-joe", api_name="/activate_model")
    info = client.predict(api_name="/storage_info")
    assert "free_disk_bytes" in info and "by_kind" in info
    with pytest.raises(Exception, match="Unknown model"):
        client.predict("no-such-model", api_name="/activate_model")


def test_cast_voice_and_music_endpoints(served, client, tmp_path):
    import io
    import wave

    from PIL import Image

    from vidgen.media import write_wav

    text = "Scene 1: Kitchen\nMood: calm\nAna: Good morning.\nBen: Morning to you.\n"
    pid = new_project(client, text, SILENT)
    cast = client.predict(pid, api_name="/get_cast")
    assert set(cast["characters"]) == {"Ana", "Ben"} and cast["narrator"]["model"] == "none"
    p = client.predict(pid, "Ana", {"description": "a baker in a blue apron", "seed": 11}, api_name="/update_character")
    assert p["characters"][0]["seed"] == 11
    picture = tmp_path / "ana.png"
    Image.new("RGB", (64, 64), (200, 120, 40)).save(picture)
    p = client.predict(pid, "Ana", handle_file(str(picture)), api_name="/set_character_reference")
    assert p["characters"][0]["reference"]

    spoken = client.predict("The tide came in.", {"model": "piper:en_US-joe-medium", "pitch": 2.0}, "", "", None,
                            api_name="/synthesize_voice")
    fetched = requests.get(f"{served[0]}/gradio_api/file={spoken['audio']}", timeout=30)  # as a remote client would
    assert fetched.status_code == 200
    with wave.open(io.BytesIO(fetched.content)) as w:
        assert w.getframerate() == spoken["sample_rate"]
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    assert spoken["seconds"] > 0.5 and np.abs(pcm).max() > 0.05 * 32767
    short = tmp_path / "short.wav"
    write_wav(short, 0.3 * np.sin(np.linspace(0, 3000, 16000 * 2)).astype(np.float32), 16000)
    with pytest.raises(Exception, match="6"):  # a 2 s cloning sample: too short, says the minimum
        client.predict(pid, "Ben", {}, handle_file(str(short)), api_name="/set_voice")
    p = client.predict(pid, "Ben", {"pitch": -4.0}, None, api_name="/set_voice")
    assert [c for c in p["characters"] if c["name"] == "Ben"][0]["voice"]["pitch"] == -4.0

    score = client.predict(pid, api_name="/generate_music")
    assert score["model"] == "composer" and [m for m, _ in score["segments"]] == ["calm"]
    assert probe(score["audio"]).duration == pytest.approx(score["segments"][0][1], abs=0.1)


@pytest.mark.parametrize("text", [ARABIC, HEBREW], ids=["arabic", "hebrew"])
def test_a_script_in_a_language_no_voice_speaks_renders_through_the_api(client, text):
    """No language set: the detected language only steers; the built-in voice still speaks the words."""
    project = client.predict(text, "", FAST, api_name="/create_project")
    assert project["settings"]["language"] == ""
    video, _, job_id = client.predict(project["id"], api_name="/render")
    job = client.predict(job_id, api_name="/get_job")
    assert job["status"] == "completed" and not job["error"], job
    assert probe(video).duration > 1


def test_api_callers_name_voices_by_id_never_by_a_server_path(client, served, tmp_path):
    real = tmp_path / "real.onnx"
    real.write_bytes(b"onnx")
    Path(str(real) + ".json").write_text("{}")
    pid = new_project(client, "Scene 1: Dock\nAna: Hello there.\n", SILENT)
    said = set()
    for voice in (f"piper:{real}", f"piper:{tmp_path / 'missing.onnx'}"):
        for args, api in [((tiny_script("file voice"), "", {**SILENT, "voice": voice}), "/create_project"),
                          ((pid, "Ana", {"voice": {"model": voice}}), "/update_character"),
                          ((pid, "", {"model": voice}, None), "/set_voice"),
                          (("Hello.", {"model": voice}, pid, "", None), "/synthesize_voice")]:
            with pytest.raises(Exception, match="voices from files are for the command line") as e:
                client.predict(*args, api_name=api)
            said.add(str(e.value).split(": ", 1)[1])  # without who ("The voice", "Ana's voice")
            assert str(tmp_path) not in str(e.value)
    assert len(said) == 1, said


def test_file_inputs_take_uploads_only_with_one_clear_line(client, served, capfd):
    """A path on the server (there or not) or a dict that is not an upload: one line, no traceback."""
    url, studio, data = served
    pid = new_project(client, "Scene 1: Dock\nAna: Hello there.\n", SILENT)
    capfd.readouterr()
    for value in (str(data / "vidgen.json"), "/etc/hostname", "/no/such/file.png", {"path": "/etc/hostname"}):
        for args, api in [((pid, "Ana", value), "/set_character_reference"), ((pid, "Ana", {}, value), "/set_voice"),
                          (("Hello.", None, pid, "Ana", value), "/synthesize_voice")]:
            with pytest.raises(Exception, match="was never uploaded: send the file itself") as e:
                client.predict(*args, api_name=api)
            assert "\n" not in str(e.value) and str(data) not in str(e.value)
    assert "Traceback" not in capfd.readouterr().err
    assert client.predict(pid, api_name="/get_project")["characters"][0]["reference"] == ""
    named = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    sample = named["/set_voice"]["parameters"][3]
    assert sample["parameter_name"] == "sample" and sample["python_type"]["type"] == "filepath"  # still a file
    assert not list((ROOT / "vidgen").rglob("*.pyi"))  # no Component subclass: Gradio writes none


def test_a_file_reference_sent_over_raw_http_that_was_never_uploaded_gets_one_line(client, served, capfd):
    """A hand-written gradio.FileData naming a server path: Gradio alone answers an empty error and logs a
    traceback; the studio answers what to send, and nothing is read or stored."""
    url, studio, data = served
    pid = new_project(client, "Scene 1: Dock\nAna: Hello there.\n", SILENT)
    capfd.readouterr()
    forged = {"path": str(data / "vidgen.json"), "meta": {"_type": "gradio.FileData"}}
    for api, args in [("set_character_reference", [pid, "Ana", forged]), ("set_scene_image", [pid, 1, forged]),
                      ("set_voice", [pid, "Ana", {}, forged])]:
        event = requests.post(f"{url}/gradio_api/call/{api}", json={"data": args}, timeout=30).json()["event_id"]
        answer = requests.get(f"{url}/gradio_api/call/{api}/{event}", timeout=60).text
        assert "event: error" in answer and "was never uploaded: send the file itself" in answer, (api, answer)
    assert "Traceback" not in capfd.readouterr().err
    p = client.predict(pid, api_name="/get_project")
    assert p["characters"][0]["reference"] == "" and not p["scenes"][0]["image"]


def test_errors_name_assets_by_id_not_the_data_folder(client, served):
    _, _, data = served
    pid = new_project(client, tiny_script("asset ids"), SILENT)
    p = client.predict(pid, api_name="/get_project")
    p["scenes"][0]["image"] = "../../etc/passwd"
    with pytest.raises(Exception, match=r"No asset '\.\./\.\./etc/passwd'") as e:
        client.predict(p, api_name="/save_project")
    assert str(Path(data).resolve()) not in str(e.value) and str(data) not in str(e.value)


def test_music_and_assemble_tabs_hold_their_settings(tmp_path):
    """The settings form is shown in three tabs (Script, Music, Assemble), read back from the
    page's layout: each field under the tab its group belongs to, and every field shown once."""
    studio = Studio(Settings.from_env(tmp_path / "data"), gpu_slots=1)
    try:
        config = build_app(studio).get_config_file()
    finally:
        studio.shutdown(timeout=30)
    ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    where: dict[str, list[str]] = {}

    def walk(node: dict, tabs: list[str]) -> None:
        elem = ids.get(node["id"])
        here = tabs + [elem] if elem and elem.startswith("tab-") else tabs
        if elem:
            where.setdefault(elem, []).append(here[-1] if here else "")
        for child in node.get("children", []):
            walk(child, here)

    walk(config["layout"], [])
    expected = {"render-resolution": "tab-script", "render-voice": "tab-script", "render-music-genre": "tab-music",
                "render-music-preview": "tab-music", "render-music": "tab-music", "render-caption-style": "tab-assemble",
                "render-grade": "tab-assemble", "render-title-text": "tab-assemble",
                "render-upload-watermark": "tab-assemble"}
    assert {k: where.get(k) for k in expected} == {k: [v] for k, v in expected.items()}
