"""Logins and per-user limits (issue 19), through HTTP on a served studio with two logins: a wrong
password refused and a right one served; each job records who started it; the N+1th render of a
user within the hour refused with a clear message while another user renders; a user's jobs at once
bounded."""

from __future__ import annotations

import dataclasses
import time

import pytest
import requests
from gradio_client import Client

from tests.test_app import free_port, tiny_script
from vidgen.config import Settings
from vidgen.errors import VidgenError
from vidgen.jobs.limits import UserLimits
from vidgen.studio import Studio
from vidgen.ui import build_app, launch_options

FAST = {"resolution": "480p", "fps": 12, "quality": "draft", "music": "none"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = tmp_path_factory.mktemp("limits-data")
    settings = dataclasses.replace(Settings.from_env(data), renders_per_hour=1, jobs_per_user=2)
    studio = Studio(settings, gpu_slots=1)
    demo = build_app(studio)
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True,
                            **launch_options(data, port=free_port(), auth="ana:secret,bo:tide"))
    try:
        yield url.rstrip("/"), studio
    finally:
        demo.close()
        studio.shutdown(timeout=30)


def test_a_wrong_password_is_refused_and_a_right_one_served(served):
    url, _ = served
    assert requests.get(url + "/config", timeout=30).status_code == 401  # nothing without a login
    wrong = requests.post(url + "/login", data={"username": "ana", "password": "nope"}, timeout=30)
    assert wrong.status_code == 400 and "Incorrect credentials" in wrong.text
    with requests.Session() as s:
        right = s.post(url + "/login", data={"username": "ana", "password": "secret"}, timeout=30)
        assert right.status_code == 200
        assert s.get(url + "/config", timeout=30).status_code == 200
    with pytest.raises(Exception, match="(?i)credentials|login|401"):
        Client(url, auth=("bo", "wrong"), verbose=False)


def test_the_next_render_within_the_hour_is_refused_and_says_when(served):
    url, studio = served
    ana = Client(url, auth=("ana", "secret"), verbose=False)
    bo = Client(url, auth=("bo", "tide"), verbose=False)
    pid = ana.predict(tiny_script("limit", 1), "", FAST, api_name="/create_project")["id"]
    _, _, job_id = ana.predict(pid, api_name="/render")
    assert studio.get_job(job_id)["user"] == "ana" and studio.get_job(job_id)["status"] == "completed"
    with pytest.raises(Exception) as refused:
        ana.predict(pid, api_name="/render")
    assert ("You have started 1 render in the last hour, the most one user may: the next one can start in"
            in str(refused.value))
    _, _, other = bo.predict(pid, api_name="/render")  # another user is not held back
    assert studio.get_job(other)["user"] == "bo" and studio.get_job(other)["status"] == "completed"


def test_a_users_jobs_at_once_are_bounded():
    now = time.time()
    limits = UserLimits(renders_per_hour=0, jobs_at_once=2)
    jobs = [{"user": "ana", "kind": "scene", "status": "running", "created": now},
            {"user": "ana", "kind": "image", "status": "pending", "created": now},
            {"user": "bo", "kind": "render", "status": "running", "created": now}]
    with pytest.raises(VidgenError, match="You have 2 jobs queued or running, the most one user may have at once"):
        limits.check("ana", "render", jobs, now)
    limits.check("bo", "render", jobs, now)  # bo has one
    limits.check("", "render", jobs * 10, now)  # no logins: no user, no limit
    jobs[0]["status"] = "completed"
    limits.check("ana", "render", jobs, now)


def test_the_limits_follow_the_serve_flags(tmp_path, capsys):
    import argparse

    from vidgen.ui.serve import add_arguments, close_served, serve

    args = add_arguments(argparse.ArgumentParser()).parse_args(
        ["--data", str(tmp_path / "d"), "--port", str(free_port()), "--auth", "ana:secret",
         "--renders-per-hour", "0", "--jobs-per-user", "5"])
    app, _, _ = serve(args, prevent_thread_lock=True, quiet=True)
    try:
        assert app.state.studio.jobs.limits == UserLimits(renders_per_hour=0, jobs_at_once=5)
    finally:
        close_served(app)
    args.jobs_per_user = -1
    with pytest.raises(VidgenError, match="--jobs-per-user must be 0 or more"):
        serve(args, prevent_thread_lock=True, quiet=True)
