"""No orphans after a kill: ffmpeg children die with a SIGKILLed render, and a render killed at any
point of its start leaves either nothing or a project whose job `resume` finishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vidgen.config import Settings
from vidgen.media import popen, run_child
from vidgen.studio import RESUMABLE, Studio

from tests.scripts import HARBOUR

ROOT = Path(__file__).resolve().parents[1]
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc are Linux's")
TINY = ["--resolution", "480p", "--fps", "8", "--quality", "draft", "--voice", "none", "--music", "none"]


def _procs_with(text: str) -> dict[int, list[str]]:
    """pid -> argv of every live process whose command line contains `text` (not zombies: theirs is empty)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().decode("utf-8", "replace").split("\0")
            except OSError:
                continue
            if any(text in a for a in argv):
                found[int(entry.name)] = argv
    return found


@linux
def test_children_get_the_death_signal_and_run_child_captures():
    """The helper every subprocess call uses: a child of a SIGKILLed parent dies at once."""
    marker = f"vidgen-orphan-{os.getpid()}-{time.monotonic_ns()}"
    parent = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from vidgen.media import popen; "
        f"p = popen([sys.executable, '-c', 'import time; time.sleep(60)', {marker!r}]); "
        "print(p.pid, flush=True); time.sleep(60)")], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        grandchild = int(parent.stdout.readline())
        assert grandchild in _procs_with(marker)
    finally:
        parent.kill()
        parent.wait()
    time.sleep(0.5)
    assert not _procs_with(marker), "the child outlived its SIGKILLed parent"

    done = run_child([sys.executable, "-c", "import sys; sys.stdout.write(sys.stdin.read().upper())"], input=b"ok")
    assert (done.returncode, done.stdout) == (0, b"OK")
    with popen([sys.executable, "-c", "pass"]) as p:
        assert p.wait() == 0


@linux
def test_sigkilled_render_leaves_no_ffmpeg(tmp_path):
    """SIGKILL the CLI while ffmpeg encodes the film: no ffmpeg of that render is left after 1 s."""
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "vidgen", "render", "examples/lighthouse.txt", "-o", str(tmp_path / "a.mp4"),
           "--data", str(data), "-q", *TINY[:2], "--quality", "high", "--voice", "none", "--music", "none"]
    child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen: dict[int, list[str]] = {}
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and child.poll() is None:
            # A run_ffmpeg child (assembly, loudness): it does not stop when its stdin closes.
            seen = {pid: argv for pid, argv in _procs_with(str(tmp_path)).items()
                    if "-progress" in argv and "ffmpeg" in Path(argv[0]).name}
            if seen:
                break
            time.sleep(0.02)
    finally:
        child.kill()
        child.wait()
    assert seen, f"no ffmpeg ran before the render ended: {child.stderr.read().decode()[-500:]}"
    time.sleep(1.0)
    left = _procs_with(str(tmp_path))
    assert not left, f"ffmpeg outlived the killed render: {left}"


@linux
def test_sigkilled_render_leaves_no_slow_child(tmp_path):
    """The same through a stand-in ffmpeg (VIDGEN_FFMPEG) that takes a minute and ignores its pipes,
    as a real one finishing a file does: it must not outlive the render by a second."""
    stub = tmp_path / "ffmpeg"
    stub.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(60)\n")
    stub.chmod(0o755)
    script = tmp_path / "harbour.txt"
    script.write_text(HARBOUR)
    child = subprocess.Popen([sys.executable, "-m", "vidgen", "render", str(script), "-o", str(tmp_path / "a.mp4"),
                              "--data", str(tmp_path / "data"), "-q", *TINY], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env={**os.environ, "VIDGEN_FFMPEG": str(stub)})
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and child.poll() is None and not _procs_with(str(stub)):
            time.sleep(0.02)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()[-500:]
    time.sleep(1.0)
    assert not _procs_with(str(stub)), "the stand-in ffmpeg outlived the killed render"


# --- a render killed while it starts ------------------------------------------------------------

# Runs `python -m vidgen render ...` and SIGKILLs itself right after its n-th write of the store.
KILL_AFTER_WRITE = """
import os, runpy, signal, sys
from vidgen.store import AtomicJSONStorage
n, writes, write = int(os.environ["KILL_AFTER_WRITE"]), [0], AtomicJSONStorage.write
def counted(self, data):
    write(self, data)
    writes[0] += 1
    if writes[0] == n:
        os.kill(os.getpid(), signal.SIGKILL)
AtomicJSONStorage.write = counted
sys.argv = ["vidgen", *sys.argv[1:]]
runpy.run_module("vidgen", run_name="__main__")
"""


def test_a_render_killed_while_starting_leaves_nothing_or_a_resumable_job(tmp_path):
    """Kill `render` after each of its first store writes (the project, its job, the job's start):
    every project then has a render job that `resume` finishes, or no project exists."""
    script = tmp_path / "harbour.txt"
    script.write_text(HARBOUR)
    resumed = 0
    for n in range(1, 6):
        data = tmp_path / f"data{n}"
        proc = subprocess.run([sys.executable, "-c", KILL_AFTER_WRITE, "render", str(script), "-o",
                               str(tmp_path / f"{n}.mp4"), "--data", str(data), "-q", *TINY], cwd=ROOT,
                              capture_output=True, text=True, timeout=300, env={**os.environ, "KILL_AFTER_WRITE": str(n)})
        assert proc.returncode == -signal.SIGKILL, f"write {n}: {proc.returncode} {proc.stderr[-500:]}"
        studio = Studio(Settings.from_env(data), threads=False)  # as `resume` and `jobs` open it
        try:
            for project in studio.list_projects():
                jobs = [j for j in studio.list_jobs(project["id"]) if j["kind"] == "render"]
                assert jobs, f"killed after write {n}: project {project['id']} has no job to resume"
                assert jobs[0]["status"] in RESUMABLE, (n, jobs[0]["status"])
                done = studio.wait(studio.resume_job(jobs[0]["id"]))
                assert done["status"] == "completed" and Path(done["video"]).is_file(), (n, done["error"])
                resumed += 1
            for job in studio.list_jobs():  # a job whose project was never saved says so; it is not left pending
                assert job["status"] not in ("pending", "running"), (n, job)
        finally:
            studio.shutdown()
    assert resumed >= 3, "the kills all landed before the project was saved"
