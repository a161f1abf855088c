"""Operations: /health, /ready and /metrics on a served studio, `python -m vidgen doctor`, JSON logs."""

from __future__ import annotations

import argparse
import io
import json
import logging
import socket

import pytest

pytest.importorskip("gradio")
import requests  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from vidgen import media  # noqa: E402
from vidgen.cli import build_parser, main  # noqa: E402
from vidgen.config import Settings  # noqa: E402
from vidgen.jobs import JobQueue, new_job, run_job  # noqa: E402
from vidgen.ops import logs  # noqa: E402
from vidgen.ops.health import check_queue  # noqa: E402
from vidgen.store import Store  # noqa: E402
from vidgen.ui.serve import add_arguments, close_served, serve  # noqa: E402

TINY = "Title: Tiny ops\n\nScene 1: The quay\nVisual: A quiet quay at dusk.\nNarrator: One short line."
FAST = {"resolution": "480p", "fps": 12, "quality": "draft", "music": "none", "voice": "none"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(data, *flags: str):
    args = add_arguments(argparse.ArgumentParser()).parse_args(["--data", str(data), "--port", str(free_port()), *flags])
    app, url, _ = serve(args, prevent_thread_lock=True, quiet=True)
    return app, url.rstrip("/")


def drop_log_handlers() -> None:
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_vidgen", False)]:
        root.removeHandler(h)
    logging.getLogger("vidgen").setLevel(logging.NOTSET)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    app, url = launch(tmp_path_factory.mktemp("ops-data"), "--log-format", "json")
    try:
        yield url, app.state.studio
    finally:
        close_served(app, timeout=60)
        drop_log_handlers()


@pytest.fixture()
def broken_ffmpeg(monkeypatch):
    """Renders' ffmpeg pointed at a binary that is not there (VIDGEN_FFMPEG), for this test only."""
    monkeypatch.setenv("VIDGEN_FFMPEG", "/nonexistent/bin/ffmpeg")
    media.ffmpeg_exe.cache_clear()
    yield
    monkeypatch.delenv("VIDGEN_FFMPEG")
    media.ffmpeg_exe.cache_clear()


def scrape(url: str, **kw) -> dict[str, dict[tuple, float]]:
    """{metric family: {(sample name, sorted labels): value}} of /metrics, through Prometheus' own parser."""
    r = requests.get(url + "/metrics", timeout=30, **kw)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain"), r.text[:300]
    return {f.name: {(s.name, tuple(sorted(s.labels.items()))): s.value for s in f.samples}
            for f in text_string_to_metric_families(r.text)}


def sample(families: dict, family: str, name: str, **labels: str) -> float:
    return families[family].get((name, tuple(sorted(labels.items()))), 0.0)


def test_health_and_ready_answer_with_each_check_named(served):
    url, _ = served
    r = requests.get(url + "/health", timeout=10)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert requests.head(url + "/health", timeout=10).status_code == 200
    r = requests.get(url + "/ready", timeout=30)
    body = r.json()
    assert r.status_code == 200 and body["ready"] is True, body
    assert list(body["checks"]) == ["store", "ffmpeg", "queue"]
    assert all(c["ok"] and c["detail"] for c in body["checks"].values()), body
    assert "libx264" in body["checks"]["ffmpeg"]["detail"] and "writable" in body["checks"]["store"]["detail"]


def test_metrics_change_after_a_render_and_its_json_log_lines_carry_the_job(served, capsys):
    url, studio = served
    before = scrape(url)
    assert sample(before, "vidgen_info", "vidgen_info", version=__import__("vidgen").__version__) == 1
    assert sample(before, "vidgen_jobs", "vidgen_jobs", kind="render", status="completed") == 0
    assert sample(before, "vidgen_queue_capacity", "vidgen_queue_capacity") == studio.max_queued
    assert sample(before, "vidgen_queue_accepting", "vidgen_queue_accepting") == 1
    assert "vidgen_model_cache_events" in before and "vidgen_model_cache_bytes" in before
    capsys.readouterr()

    project = studio.create_project(TINY, "", FAST)
    job = studio.render(project["id"])
    assert job["status"] == "completed"
    after = scrape(url)
    assert sample(after, "vidgen_jobs", "vidgen_jobs", kind="render", status="completed") == 1
    assert sample(after, "vidgen_queue_depth", "vidgen_queue_depth") == 0
    for stage in ("parse", "images", "animation", "assembly"):
        assert sample(after, "vidgen_stage_seconds", "vidgen_stage_seconds_count", kind="render", stage=stage) == 1
    assert sample(after, "vidgen_stage_seconds", "vidgen_stage_seconds_sum", kind="render", stage="assembly") > 0
    assert sample(after, "vidgen_job_seconds", "vidgen_job_seconds_count", kind="render", status="completed") == 1
    assert sample(after, "vidgen_step_seconds", "vidgen_step_seconds_count", step="assembly", cached="false") == 1

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    ours = [e for e in lines if e.get("job") == job["id"]]
    events = [e["event"] for e in ours if "event" in e]
    assert events[0] == "stage_started" and events[-1] == "job_ended", events
    ended = [e for e in ours if e.get("event") == "stage_ended"]
    assert {e["stage"] for e in ended} >= {"parse", "images", "animation", "assembly"}
    assert all(isinstance(e["duration"], float) and e["level"] == "info" and e["time"].endswith("Z") for e in ended)
    steps = [e for e in ours if e.get("event") == "step"]
    assert {"step": "image", "scene": 1, "cached": False, "stage": "images"}.items() <= steps[0].items(), steps[0]
    assert ours[-1]["status"] == "completed" and ours[-1]["duration"] > 0


def test_ready_says_which_check_failed(served, broken_ffmpeg, monkeypatch, tmp_path):
    url, studio = served
    r = requests.get(url + "/ready", timeout=30)
    body = r.json()
    assert r.status_code == 503 and body["ready"] is False
    assert body["checks"]["ffmpeg"]["ok"] is False and "cannot be run" in body["checks"]["ffmpeg"]["detail"]
    assert body["checks"]["store"]["ok"] and body["checks"]["queue"]["ok"]
    assert "/nonexistent" not in r.text  # no folder of the server in the answer
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    monkeypatch.setattr(studio.store, "data_dir", not_a_folder)
    store = requests.get(url + "/ready", timeout=30).json()["checks"]["store"]
    assert store["ok"] is False and "cannot be written" in store["detail"] and str(tmp_path) not in store["detail"]
    assert requests.get(url + "/health", timeout=10).status_code == 200  # the process is still up


def test_a_queue_shutting_down_is_not_ready(tmp_path):
    queue = JobQueue(Settings.from_env(tmp_path), threads=False)
    assert check_queue(queue).ok
    queue.shutdown()
    check = check_queue(queue)
    assert not check.ok and check.line == "FAIL: the job queue is shutting down"


def test_with_auth_health_and_ready_stay_open_and_metrics_asks_for_a_login(tmp_path):
    app, url = launch(tmp_path, "--auth", "ann:secret")
    try:
        assert requests.get(url + "/health", timeout=10).status_code == 200
        assert requests.get(url + "/ready", timeout=30).status_code == 200
        assert requests.get(url + "/gradio_api/info", timeout=10).status_code == 401  # Gradio's own stay guarded
        r = requests.get(url + "/metrics", timeout=10)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
        assert requests.get(url + "/metrics", auth=("ann", "wrong"), timeout=10).status_code == 401
        assert "vidgen_jobs" in scrape(url, auth=("ann", "secret"))
    finally:
        close_served(app, timeout=60)
        drop_log_handlers()


def test_doctor_prints_each_check_and_fails_when_ffmpeg_cannot_run(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("VIDGEN_LOG_FORMAT", raising=False)
    assert main(["doctor", "--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split(None, 1)[1] for line in out if line.startswith("  ")}
    for name in ("store", "ffmpeg", "queue", "cpu", "libx264", "downloaded"):
        assert rows[name].startswith("ok: "), (name, out)
    assert rows["h264_nvenc"].startswith(("ok: ", "no: ")) and rows["cuda"].startswith(("ok: ", "no: "))
    assert out[1] == "ready" and out[-1] == "result: ready"
    assert any(line.startswith("  data folder") and " GB free" in line for line in out)

    monkeypatch.setenv("VIDGEN_FFMPEG", "/nonexistent/bin/ffmpeg")
    media.ffmpeg_exe.cache_clear()
    try:
        assert main(["doctor", "--json", "--data", str(tmp_path)]) == 1
    finally:
        monkeypatch.delenv("VIDGEN_FFMPEG")
        media.ffmpeg_exe.cache_clear()
    report = json.loads(capsys.readouterr().out)
    ready = {c["name"]: c for c in report["groups"]["ready"]}
    assert report["ready"] is False and ready["ffmpeg"]["ok"] is False and ready["store"]["ok"] is True
    assert {"devices", "encoders", "models", "disk"} <= set(report["groups"])


def test_json_and_plain_log_lines_of_a_job(tmp_path):
    store = Store.open(Settings.from_env(tmp_path))
    job = new_job(store, "p1")
    json_out, plain_out = io.StringIO(), io.StringIO()
    handlers = [logging.StreamHandler(json_out), logging.StreamHandler(plain_out)]
    handlers[0].setFormatter(logs.JsonFormatter())
    handlers[1].setFormatter(logging.Formatter(logs.PLAIN))
    vidgen_log = logging.getLogger("vidgen")
    level = vidgen_log.level
    vidgen_log.setLevel(logging.INFO)
    for h in handlers:
        vidgen_log.addHandler(h)

    def work(ctx):
        ctx.begin_stage("images")
        ctx.record_step("image", 2, "k1", True, 0.25)
        logging.getLogger("vidgen.models").info("a model line that names no job")
        ctx.begin_stage("assembly")
        return {}

    try:
        run_job(store, job.id, work)
    finally:
        for h in handlers:
            vidgen_log.removeHandler(h)
        vidgen_log.setLevel(level)
    lines = [json.loads(line) for line in json_out.getvalue().splitlines()]
    assert all(e["job"] == job.id for e in lines), lines
    assert [e.get("event") for e in lines] == ["stage_started", "step", None, "stage_ended", "stage_started",
                                               "stage_ended", "job_ended"]
    assert {"stage": "images", "scene": 2, "step": "image", "cached": True, "duration": 0.25}.items() <= lines[1].items()
    assert lines[3]["stage"] == "images" and lines[-1]["status"] == "completed" and lines[-1]["stage"] == "assembly"
    plain = plain_out.getvalue().splitlines()
    assert len(plain) == len(lines) and not any("{" in line for line in plain)
    assert plain[1].endswith(f"vidgen.jobs.lifecycle: job {job.id}: image scene 2 from the cache in 0.25 s")


def test_log_format_option_and_env(monkeypatch, capsys, tmp_path):
    assert build_parser().parse_args(["--log-format", "json", "jobs"]).log_format == "json"
    assert build_parser().parse_args(["serve", "--log-format", "json"]).log_format == "json"
    assert build_parser().parse_args(["--log-format", "json", "serve"]).log_format == "json"  # not overwritten
    monkeypatch.setenv("VIDGEN_LOG_FORMAT", "xml")
    assert main(["jobs", "--data", str(tmp_path)]) == 1
    assert "plain or json" in capsys.readouterr().err
