"""RayExecutor on a real Ray cluster of this machine: a head and two worker nodes (ray.cluster_utils),
each worker node with one CPU and one unit of GPU_STANDIN, a custom resource standing in for a GPU
(the executor's `gpu_resource`), so model steps are placed as on GPU nodes without one."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from ray.cluster_utils import Cluster  # noqa: E402

from tests import ray_work  # noqa: E402
from vidgen.domain import Scene  # noqa: E402
from vidgen.errors import Cancelled, VidgenError  # noqa: E402
from vidgen.jobs import JobContext, new_job  # noqa: E402
from vidgen.pipeline.executor import Work  # noqa: E402
from vidgen.pipeline.ray_executor import REPO_ROOT, RayExecutor  # noqa: E402

ENV = {"env_vars": {"PYTHONPATH": REPO_ROOT, "OMP_NUM_THREADS": "1"}}


@pytest.fixture(scope="module")
def cluster():
    base = tempfile.mkdtemp(prefix="vr", dir="/tmp")  # short: Ray's socket paths must fit in 107 characters
    old = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = base  # where the cluster writes its address file
    os.makedirs(f"{base}/ray")
    c = Cluster(initialize_head=True,
                head_node_args={"num_cpus": 0, "include_dashboard": False, "temp_dir": f"{base}/ray"})
    for i in range(2):  # each node its own temp folder, as on separate machines
        c.add_node(num_cpus=1, resources={"GPU_STANDIN": 1}, temp_dir=f"{base}/w{i}")
    c.wait_for_nodes()
    yield c
    c.shutdown()
    if old is None:
        os.environ.pop("RAY_TMPDIR", None)
    else:
        os.environ["RAY_TMPDIR"] = old
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def executor(cluster):
    ex = RayExecutor(cluster.address, gpu_resource="GPU_STANDIN", runtime_env=ENV)
    began = time.monotonic()
    where = ex.warm()
    print(f"4 workers started in {time.monotonic() - began:.1f} s")
    assert len(where) == 4 and len({w["node"] for w in where}) == 2
    yield ex
    ex.shutdown()


@pytest.fixture()
def ctx(store):
    events = []
    job = new_job(store, "p1")
    c = JobContext(store, job, events.append)
    c.begin_stage("images")
    c.events = events
    return c


def never() -> None:
    pass


def _work(folder, name, *, gpu=True, scene=None, **kw) -> Work:
    return Work(ray_work.make, (str(folder), name), kw, name="image" if gpu else "effects", scene=scene,
                gpu_seconds=5.0 if gpu else 0.0)


def _scenes(n: int) -> list[Scene]:
    return [Scene(number=i + 1, heading=f"Scene {i + 1}") for i in range(n)]


def test_scenes_run_at_once_over_both_nodes_in_order(executor, ctx, tmp_path):
    scenes = _scenes(6)
    works = {s.number: _work(tmp_path, f"s{s.number}", gpu=s.number % 3 != 0, scene=s.number, sleep=0.6)
             for s in scenes}
    began = time.monotonic()
    out = executor.map(ctx, lambda scene, progress: executor.run(works[scene.number], progress, never), scenes,
                       lambda scene: f"Scene {scene.number}")
    took = time.monotonic() - began
    assert took < 6 * 0.6, took  # at once, not one after another
    assert [files["text"][0].read_text().split(" by ")[0] for files, _ in out] == [f"s{i}" for i in range(1, 7)]
    where = [data["worker"] for _, data in out]
    assert len({w["node"] for w in where}) == 2
    for s, w in zip(scenes, where):
        held = "GPU_STANDIN" if s.number % 3 else "CPU"
        assert held in w["resources"], (s.number, w)
        assert int(Path(out[s.number - 1][0]["text"][0]).read_text().split(" by ")[1]) == w["pid"]
    fractions = [e.fraction for e in ctx.events if e.stage == "images"]
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert any(0 < f < 1 and round(f * 6, 6) % 1 for f in fractions)  # the workers' own progress came through
    assert {e.scene for e in ctx.events if e.scene} == set(range(1, 7))


def test_an_actor_keeps_its_model_for_the_next_scene(executor, tmp_path):
    first = executor.run(_work(tmp_path, "a", model="reuse-me"), None, never)[1]
    second = executor.run(_work(tmp_path, "b", model="reuse-me"), None, never)[1]
    assert first["worker"]["pid"] == second["worker"]["pid"]
    assert (first["loaded"], second["loaded"]) == (True, False)
    assert second["loads"] == 1


def test_two_scenes_with_one_tiny_model_load_it_once_through_the_actors_model_cache(executor, tmp_path):
    work = [Work(ray_work.cached_model_work, (str(tmp_path), f"scene{i}"), name="lipsync", scene=i, gpu_seconds=5.0)
            for i in (1, 2)]
    (f1, d1), (f2, d2) = (executor.run(w, None, never) for w in work)
    assert d1["worker"]["pid"] == d2["worker"]["pid"]  # the actor that ran this step last takes the next
    assert (d1["misses"], d2["misses"], d2["hits"] - d1["hits"]) == (1, 1, 1)  # loaded once, then a hit
    assert f1["text"][0].read_text() == f2["text"][0].read_text()  # the same model answered both


def test_a_work_error_is_raised_as_itself_and_its_worker_serves_on(executor, tmp_path):
    for _ in range(3):  # more than the two CPU workers: each is idle again after its failure
        with pytest.raises(VidgenError, match="^no such voice$"):
            executor.run(Work(ray_work.fail, ("no such voice",), name="voice"), None, never)
    assert executor.run(_work(tmp_path, "fine", gpu=False), None, never)[0]["text"][0].exists()


def test_a_worker_killed_mid_step_is_replaced_and_the_step_runs_again(executor, tmp_path):
    pid_file = tmp_path / "pid"
    result: dict = {}
    work = _work(tmp_path, "lost", pid_file=str(pid_file), sleep=1.5)
    t = threading.Thread(target=lambda: result.update(out=executor.run(work, None, never)))
    t.start()
    deadline = time.monotonic() + 20
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = int(pid_file.read_text())
    os.kill(killed, signal.SIGKILL)
    t.join(30)
    files, data = result["out"]
    assert data["worker"]["attempt"] == 2 and data["worker"]["pid"] != killed
    assert files["text"][0].read_text() == f"lost by {data['worker']['pid']}"


def test_cancel_stops_every_scene_and_leaves_nothing_running(executor, ctx, tmp_path):
    scenes = _scenes(4)
    began = time.monotonic()

    def cancel() -> None:
        if time.monotonic() - began > 0.8:
            raise Cancelled()

    pids = []

    def step(scene, progress):
        pid_file = tmp_path / f"pid{scene.number}"
        work = _work(tmp_path, f"c{scene.number}", gpu=scene.number % 2 == 0, pid_file=str(pid_file),
                     marker=str(tmp_path / f"marker{scene.number}"), sleep=3.0)
        try:
            return executor.run(work, progress, cancel)
        finally:
            if pid_file.exists():
                pids.append(int(pid_file.read_text()))

    with pytest.raises(Cancelled):
        executor.map(ctx, step, scenes, lambda scene: "")
    assert time.monotonic() - began < 0.8 + executor.cancel_grace + 1.5
    assert len(pids) >= 2, pids  # (a work still starting when cancelled wrote none)
    for pid in pids:  # the sleeping works' processes are gone (or dead, not yet reaped)
        status = Path(f"/proc/{pid}/status")
        assert not status.exists() or "State:\tZ" in status.read_text(), status.read_text()
    time.sleep(3.2)
    assert not list(tmp_path.glob("marker*"))


def test_a_work_that_checks_cancel_stops_and_keeps_its_actor(executor, tmp_path):
    began = time.monotonic()

    def cancel() -> None:
        if time.monotonic() - began > 0.5:
            raise Cancelled()

    first = executor.run(_work(tmp_path, "warm"), None, never)[1]["worker"]["pid"]
    began = time.monotonic()
    with pytest.raises(Cancelled):
        executor.run(_work(tmp_path, "stops", check=True, sleep=3.0), None, cancel)
    assert time.monotonic() - began < 2.0
    assert executor.run(_work(tmp_path, "after"), None, never)[1]["worker"]["pid"] == first


def test_an_unreachable_cluster_fails_at_once_naming_it():
    began = time.monotonic()
    with pytest.raises(VidgenError, match="127.0.0.1:1"):
        RayExecutor("127.0.0.1:1")
    assert time.monotonic() - began < 5


def test_a_render_on_the_cluster_runs_on_both_nodes_and_makes_the_local_renders_steps(executor, tmp_path):
    """A whole render through the Studio with the Ray executor: the scene steps ran on both worker
    nodes (each step's record says where), and every step key and the film's length equal a local
    render of the same project and seed (voice none: speech bytes are not reproducible run to run)."""
    import dataclasses

    from vidgen.config import Settings
    from vidgen.media import probe
    from vidgen.studio import Studio
    from tests.scripts import HARBOUR3

    settings = {"resolution": "480p", "fps": 12, "quality": "draft", "voice": "none", "music": "none"}
    runs = {}
    for name, ex in (("ray", executor), ("local", None)):
        studio = Studio(Settings.from_env(tmp_path / name), threads=False, upload_roots=[tmp_path], executor=ex)
        project = studio.create_project(HARBOUR3, "Harbour", settings)
        job = studio.render(project["id"])
        runs[name] = (studio, job)
        studio.jobs.shutdown(timeout=30)  # not studio.shutdown(): the cluster's executor serves the next tests
    (ray_studio, ray_job), (_, local_job) = runs["ray"], runs["local"]
    def keys(job):  # scenes finish in any order on the cluster: compare each step's key by what it is
        return sorted((s["name"], s["scene"] or 0, s["key"]) for s in job["steps"])

    assert keys(ray_job) == keys(local_job)
    made = [s for s in ray_job["steps"] if not s["cached"] and s["scene"] is not None]
    nodes = {ray_studio.store.get_step(s["key"])["data"]["worker"]["node"] for s in made}
    assert len(made) >= 6 and len(nodes) == 2  # images and clips of 3 scenes, spread over both nodes
    a, b = (probe(j["result"]["video"]).duration for j in (ray_job, local_job))
    assert abs(a - b) < 1e-3
    assert dataclasses.is_dataclass(ray_studio.executor) is False and ray_studio.executor is executor


def test_the_executor_choice_is_checked_before_any_work(monkeypatch, tmp_path, capsys):
    from vidgen.cli import main
    from vidgen.pipeline.executor import LocalExecutor
    from vidgen.pipeline.executors import executor_from

    assert isinstance(executor_from("local"), LocalExecutor)
    monkeypatch.setenv("VIDGEN_EXECUTOR", "local")
    assert isinstance(executor_from(), LocalExecutor)
    with pytest.raises(VidgenError, match="Unknown executor 'slurm': use local or ray"):
        executor_from("slurm")
    script = tmp_path / "s.txt"
    script.write_text("Scene 1: Dock\nNarrator: Ropes creak.\n")
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:1")
    began = time.monotonic()
    code = main(["render", str(script), "--executor", "ray", "--data", str(tmp_path / "d"), "-q"])
    err = capsys.readouterr().err
    assert code == 1 and "127.0.0.1:1" in err and len(err.strip().splitlines()) == 1, err
    assert time.monotonic() - began < 15 and not (tmp_path / "d" / "renders").exists()


def test_a_worker_killed_during_a_render_is_replaced_and_the_film_is_whole(executor, tmp_path):
    """The CPU workers are SIGKILLed just after the animation stage starts (its clips in flight): the
    steps run again on fresh workers and the film is as long as a local render of the same project."""
    from vidgen.config import Settings
    from vidgen.jobs import lifecycle
    from vidgen.media import probe
    from vidgen.studio import Studio
    from tests.scripts import HARBOUR3

    settings = {"resolution": "720p", "fps": 24, "quality": "draft", "voice": "none", "music": "none"}  # clips of ~1 s
    killed: list[int] = []

    def kill_when_clips_start(store, event, fields):
        if event == "stage_started" and fields.get("stage") == "animation" and not killed:
            # the CPU workers that painted the pictures (each step's record says which) run the clips next
            cpu = {store.get_step(s.key)["data"]["worker"]["pid"] for s in store.get_job(fields["job"]).steps
                   if s.name == "image" and not s.cached}

            def kill():
                for pid in cpu:
                    try:
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                    except ProcessLookupError:
                        pass
            threading.Timer(0.1, kill).start()

    lifecycle.add_listener(kill_when_clips_start)
    try:
        studio = Studio(Settings.from_env(tmp_path / "ray"), threads=False, upload_roots=[tmp_path], executor=executor)
        job = studio.render(studio.create_project(HARBOUR3, "Harbour", settings)["id"])
    finally:
        lifecycle.remove_listener(kill_when_clips_start)
        studio.jobs.shutdown(timeout=30)
    local = Studio(Settings.from_env(tmp_path / "local"), threads=False, upload_roots=[tmp_path])
    expected = local.render(local.create_project(HARBOUR3, "Harbour", settings)["id"])
    local.shutdown(timeout=30)
    assert killed and job["status"] == "completed"
    rerun = [studio.store.get_step(s["key"])["data"]["worker"]["attempt"] for s in job["steps"]
             if s["name"] == "animation" and not s["cached"]]
    assert len(rerun) == 3 and max(rerun) >= 2, rerun  # at least one clip ran again after its worker died
    film, want = probe(job["result"]["video"]), probe(expected["result"]["video"])
    assert film.video is not None and abs(film.duration - want.duration) < 1e-3
