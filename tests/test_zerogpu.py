"""ZeroGPU (vidgen/zerogpu.py) with the real `spaces` package (requirements-dev.txt).

ZeroGPU is simulated by its environment variables (SPACES_ZERO_GPU=true, SPACES_ZERO_DEVICE_API_URL)
and a STAND-IN for the Space's device API: a local HTTP server that answers /schedule, /allow,
/release and /startup-report as the API does and checks each request (a token is allowed once, by a
process other than the app, and released once; the cgroup is the app's). `spaces` runs unchanged:
its decorator schedules, forks the worker, pickles the work and the result. The other stand-ins are
for the GPU this machine lacks: torch passes for a CUDA build (`torch.version.cuda`, which spaces'
ZeroGPU mode requires), and the worker's CUDA start (`spaces.zero.torch.init` / `move`, which would
put tensors on the GPU) records the worker's pid instead. Each simulated Space is a subprocess, because
importing `spaces` on ZeroGPU patches torch for the whole process.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from vidgen.models.registry import packaged
from vidgen import zerogpu

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(importlib.util.find_spec("spaces") is None, reason="needs spaces (requirements-dev.txt)")


class DeviceAPIStandIn:
    """A stand-in for the ZeroGPU device API (spaces/zero/api.py is its client): records every
    request, and answers 400 to one the real API would refuse."""

    def __init__(self, cgroup: str):
        self.cgroup, self.app_pid = cgroup, None
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.errors: list[str] = []
        self.issued: set[str] = set()
        self.allowed: dict[str, int] = {}
        self.released: set[str] = set()
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                url = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                status, body = standin.answer(url.path, params)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, p: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            self.requests.append((path, p))
            fail = lambda why: (self.errors.append(f"{path}: {why}"), (400, {"detail": why}))[1]  # noqa: E731
            if path == "/startup-report":
                return 200, {}
            if path == "/schedule":
                if p.get("cgroupPath") != self.cgroup:
                    return fail(f"cgroup {p.get('cgroupPath')!r}")
                if not p.get("durationSeconds", "").isdigit() or int(p["durationSeconds"]) < 1:
                    return fail(f"duration {p.get('durationSeconds')!r}")
                token = f"token-{len(self.issued) + 1}"
                self.issued.add(token)
                # idle: the same GPU, free again, as the API answers a Space's next call (spaces then
                # reuses its last worker when that is still alive)
                return 200, {"idle": True, "nvidiaIndex": 0, "nvidiaUUID": "GPU-standin", "allowToken": token}
            if path == "/allow":
                token, pid = p.get("allowToken", ""), int(p.get("pid", "0"))
                if token not in self.issued or token in self.allowed:
                    return fail(f"token {token!r} not issued or allowed twice")
                if pid in (0, 1, self.app_pid):
                    return fail(f"pid {pid} is the app's own (ZeroGPU allows a forked worker)")
                self.allowed[token] = pid
                return 200, {}
            if path == "/release":
                token = p.get("allowToken", "")
                if token not in self.issued or token in self.released:
                    return fail(f"token {token!r} not issued or released twice")
                self.released.add(token)
                return 200, {}
            return fail("unknown route")

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


@pytest.fixture()
def device_api(tmp_path):
    cgroup = tmp_path / "cgroup"
    cgroup.write_text("0::/standin.slice/space\n")
    api = DeviceAPIStandIn("/standin.slice/space")
    api.cgroup_file = cgroup
    yield api
    api.server.shutdown()


def space_env(api: DeviceAPIStandIn, tmp_path: Path, zero: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPACES_", "ZEROGPU_", "VIDGEN_"))}
    env.update(ZEROGPU_PROC_SELF_CGROUP_PATH=str(api.cgroup_file), ZEROGPU_OFFLOAD_DIR=str(tmp_path / "offload"),
               HOME=str(tmp_path / "home"), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    if zero:
        env.update(SPACES_ZERO_GPU="true", SPACES_ZERO_DEVICE_API_URL=api.url)
    return env


def run_space(api: DeviceAPIStandIn, tmp_path: Path, code: str, zero: bool = True, timeout: int = 600) -> dict:
    """Run `code` (which sets `result`) in a fresh interpreter as a simulated Space; its `result`."""
    out = tmp_path / "result.json"
    program = f"{PRELUDE}\n{code}\nopen({str(out)!r}, 'w').write(json.dumps(result))\n"
    proc = subprocess.Popen([sys.executable, "-c", program], cwd=ROOT, env=space_env(api, tmp_path, zero),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    api.app_pid = proc.pid
    log, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, log[-6000:]
    return json.loads(out.read_text())


PRELUDE = """
import json, os, sys
from pathlib import Path
from tests.scripts import HARBOUR

def standin_cuda(pids):
    # the simulated Space's device stand-ins (no GPU here): this CPU torch passes for the CUDA 12
    # build a Space installs (the attributes spaces' ZeroGPU mode reads at import: the CUDA version,
    # the low-level CUDA init, the bad-fork probe), and the worker's CUDA start records its pid
    import torch
    torch.version.cuda = "12.8"
    if not hasattr(torch._C, "_cuda_init"):
        def _cuda_init():
            raise RuntimeError("no CUDA on this machine")
        torch._C._cuda_init = _cuda_init
    def _is_in_bad_fork():
        return False
    _is_in_bad_fork.__module__, _is_in_bad_fork.__qualname__ = "torch.cuda", "_is_in_bad_fork"  # picklable by name
    torch.cuda._is_in_bad_fork = _is_in_bad_fork
    from vidgen import zerogpu
    zerogpu.prepare()
    import spaces.zero.torch as zero_torch
    zero_torch.init = lambda uuid: Path(pids).open("a").write(f"{os.getpid()} {uuid}\\n")
    zero_torch.move = lambda callback=None: None
"""


# --- off ZeroGPU -------------------------------------------------------------------------------

def test_on_zerogpu_reads_the_variable_as_spaces_does(monkeypatch):
    from spaces.config import boolean

    for value in ("true", "True", "1", "t", "false", "0", "", "yes", "on"):
        monkeypatch.setenv("SPACES_ZERO_GPU", value)
        assert zerogpu.on_zerogpu() == boolean(value), value
    monkeypatch.delenv("SPACES_ZERO_GPU")
    assert zerogpu.on_zerogpu() is False


def test_off_zerogpu_a_section_is_a_plain_call_and_spaces_is_not_imported(device_api, tmp_path):
    result = run_space(device_api, tmp_path, zero=False, code="""
from vidgen import zerogpu
inside = zerogpu.gpu_section(lambda: os.getpid(), 30)
result = {"inside": inside, "pid": os.getpid(), "spaces": "spaces" in sys.modules, "runner": zerogpu.prepare()}
""")
    assert result == {"inside": result["pid"], "pid": result["pid"], "spaces": False, "runner": None}
    assert device_api.requests == []


# --- durations ---------------------------------------------------------------------------------

def test_section_seconds_from_the_work(monkeypatch):
    monkeypatch.delenv("VIDGEN_ZEROGPU_MAX_SECONDS", raising=False)
    reg = packaged()
    builtins = [s for s in reg.list() if s.builtin]
    assert {s.id for s in builtins} >= {"storyboard", "camera", "piper-joe", "composer", "visemes", "sfx-synth"}
    for spec in builtins:
        assert zerogpu.section_seconds(spec, 30.0) == 0, spec.id  # the CPU backends take no quota
    assert zerogpu.section_seconds(None) == zerogpu.section_seconds([None, reg.get("piper-joe")]) == 0
    assert zerogpu.section_seconds(reg.get("llama3.1-8b")) == 0  # Ollama runs in its own server

    turbo, sd15 = reg.get("sdxl-turbo"), reg.get("sd15")
    assert zerogpu.section_seconds(turbo) == 5 + 7 + 15  # start + 7 GB loaded + one SDXL call
    assert 0 < zerogpu.section_seconds(sd15) < zerogpu.section_seconds(turbo)
    svd = reg.get("svd-xt")
    assert zerogpu.section_seconds(svd, 2.0) < zerogpu.section_seconds(svd, 6.0)  # longer clips ask for more
    vits, music = reg.get("mms-tts-eng"), reg.get("musicgen-small")
    assert zerogpu.section_seconds([vits, vits], 10) == zerogpu.section_seconds(vits, 10)  # one load per model
    assert zerogpu.section_seconds([vits, music], 10) > zerogpu.section_seconds(music, 10)
    assert zerogpu.section_seconds(reg.get("wan2.1-i2v-14b-480p"), 5.0) == zerogpu.MAX_SECONDS == 120
    monkeypatch.setenv("VIDGEN_ZEROGPU_MAX_SECONDS", "600")
    assert 120 < zerogpu.section_seconds(reg.get("wan2.1-i2v-14b-480p"), 5.0) <= 600
    monkeypatch.setenv("VIDGEN_ZEROGPU_MAX_SECONDS", "soon")
    with pytest.raises(zerogpu.VidgenError, match="VIDGEN_ZEROGPU_MAX_SECONDS"):
        zerogpu.section_seconds(turbo)


# --- on ZeroGPU (simulated) --------------------------------------------------------------------

def test_a_section_runs_in_a_forked_worker_and_its_errors_come_back_as_themselves(device_api, tmp_path):
    result = run_space(device_api, tmp_path, code=f"""
from vidgen import zerogpu
from vidgen.errors import Cancelled, VidgenError
from vidgen.jobs import LANE, GpuLane, gpu_lane
standin_cuda({str(tmp_path / "pids")!r})
other = GpuLane()
def section():  # as the model cache does: holds the lane (again) and works
    with gpu_lane("cache"), other.hold("other"):
        return os.getpid(), LANE.holders, other.holders, [zerogpu.gpu_section(os.getpid, 5)]
with gpu_lane("job-1"):  # a render holds the lane around its steps
    inside = zerogpu.gpu_section(section, 42)
    def fail():
        raise Cancelled()
    try:
        zerogpu.gpu_section(fail, 7)
        error = None
    except VidgenError as e:
        error = [type(e).__name__, str(e)]
plain = zerogpu.gpu_section(os.getpid, 0)  # no model: no section
import multiprocessing
result = {{"pid": os.getpid(), "inside": inside, "error": error, "plain": plain, "holders_after": LANE.holders,
          "spaces": "spaces" in sys.modules, "alive": [p.pid for p in multiprocessing.active_children()]}}
""")
    pid, (child, holders, other, nested) = result["pid"], result["inside"]
    assert child != pid and nested == [child]  # ran in a forked worker; a section inside it is a plain call
    # in the worker the job's hold covers the section (the cache's hold is re-entrant, not a deadlock),
    # and a lane the job did not hold is taken afresh
    assert holders == [] and other == ["other"] and result["holders_after"] == []
    assert result["error"] == ["Cancelled", "Cancelled by request."]
    assert result["plain"] == pid and result["spaces"] is True
    assert device_api.errors == []
    schedules = [p for path, p in device_api.requests if path == "/schedule"]
    assert [int(p["durationSeconds"]) for p in schedules] == [42, 7]
    assert sorted(device_api.allowed) == sorted(device_api.released) == ["token-1", "token-2"]
    workers = [int(line.split()[0]) for line in (tmp_path / "pids").read_text().splitlines()]
    assert workers[0] == child and sorted(device_api.allowed.values()) == sorted(workers)
    assert len(set(workers)) == 2 and result["alive"] == []  # each section forks a fresh worker, ended after it


def test_a_render_on_simulated_zerogpu_wraps_the_model_steps_only(device_api, tmp_path):
    """A tiny random-weight SDXL model paints the scenes inside spaces.GPU; Piper, the camera, the
    composer and the assembly run in the app's process; the MP4 comes out whole."""
    from .tiny_models import SDXL_REPO, build_tiny_sdxl, save_in_hf_cache

    cache = tmp_path / "hub"
    save_in_hf_cache(build_tiny_sdxl(tmp_path / "scratch"), cache, SDXL_REPO)
    result = run_space(device_api, tmp_path, code=f"""
os.environ["HF_HUB_CACHE"] = {str(cache)!r}
from vidgen import zerogpu
standin_cuda({str(tmp_path / "pids")!r})
from vidgen.config import Settings
from vidgen.domain import RenderSettings
from vidgen.models.registry import Registry
from vidgen.pipeline import create_project, render
from vidgen.services.images import diffusion
from vidgen.store import Store
diffusion.DEFAULTS[("diffusers-sdxl", {SDXL_REPO!r})] = diffusion.ModelDefaults(
    steps=2, guidance=5.0, base=64, sizes={{"1:1": (64, 64), "16:9": (128, 64), "9:16": (64, 128)}})
store = Store(Settings.from_env({str(tmp_path / "data")!r}))
spec = Registry(store).add({SDXL_REPO!r}, "image")
project = create_project(store, HARBOUR, settings=RenderSettings(resolution="480p", fps=8, quality="draft",
                                                                 image_model=spec.id))
job = render(store, project.id)
scheduled = len([1 for line in Path({str(tmp_path / "pids")!r}).read_text().splitlines()])
again = render(store, project.id)
result = {{"pid": os.getpid(), "video": job.result["video"], "spec": spec.id, "status": again.status,
          "steps": [[s.name, s.scene, s.cached] for s in job.steps],
          "cached_again": all(s.cached for s in again.steps), "workers_first": scheduled,
          "models": [store.get_step(s.key)["data"].get("model") for s in job.steps if s.name == "image"],
          "expected": zerogpu.section_seconds(spec)}}
""")
    from vidgen.media import probe

    info = probe(result["video"])
    assert (info.video.codec, info.video.width, info.video.height) == ("h264", 854, 480)
    assert info.audio is not None and info.audio.codec == "aac" and 5.0 <= info.duration <= 12.0
    assert [s for s in result["steps"] if s[0] == "image"] == [["image", 1, False], ["image", 2, False]]
    assert result["models"] == [result["spec"], result["spec"]]
    assert {s[0] for s in result["steps"]} >= {"voice", "animation", "music", "assembly"}
    # exactly one GPU section per scene's picture, each asking for the image model's estimate;
    # the voice (Piper), the camera, the composer and the assembly asked for none
    assert device_api.errors == []
    schedules = [p for path, p in device_api.requests if path == "/schedule"]
    assert [int(p["durationSeconds"]) for p in schedules] == [result["expected"]] * 2
    assert device_api.paths().count("/allow") == device_api.paths().count("/release") == 2
    assert result["workers_first"] == 2 and result["pid"] not in device_api.allowed.values()
    # the second render finds every step in the cache: no GPU asked for
    assert result["status"] == "completed" and result["cached_again"]
