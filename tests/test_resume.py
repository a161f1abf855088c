"""A render killed mid-way resumes from its cached steps and yields a valid video."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from vidgen.config import Settings
from vidgen.media import probe
from vidgen.store import Store

ROOT = Path(__file__).resolve().parents[1]


def test_killed_render_resumes_without_recomputing(tmp_path):
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "vidgen", "render", "examples/lighthouse.txt", "-o", str(tmp_path / "a.mp4"),
           "--resolution", "480p", "--data", str(data), "-q"]
    child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    store = None
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            assert child.poll() is None, "the render finished before it could be killed"
            if (data / "vidgen.json").exists():
                store = store or Store.open(Settings.from_env(data))
                jobs = store.list_jobs()
                if jobs and sum(s.name == "voice" for s in jobs[0].steps) >= 2:
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("the render made no progress")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    job = store.list_jobs()[0]
    assert job.status == "running"  # the dead process could not say otherwise
    done_before = {s.key for s in job.steps}
    assert len(done_before) >= 2 + len(store.get_project(job.project_id).scenes)  # images + 2 voices

    proc = subprocess.run([sys.executable, "-m", "vidgen", "resume", job.id, "-o", str(tmp_path / "b.mp4"),
                           "--data", str(data), "-q"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    job = store.get_job(job.id)
    assert job.status == "completed" and job.attempts == 2
    second = job.steps[len(done_before):]
    assert {s.key for s in second if s.cached} >= done_before, "finished steps were recomputed"
    assert not any(s.key in done_before for s in second if not s.cached)
    assert any(not s.cached for s in second), "the resume did the remaining work"
    info = probe(tmp_path / "b.mp4")
    assert info.video.codec == "h264" and info.audio.codec == "aac" and info.duration > 30

    # Rendering the same project again recomputes nothing at all.
    from vidgen.pipeline import render

    again = render(store, job.project_id)
    assert again.steps and all(s.cached for s in again.steps)
