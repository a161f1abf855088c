"""The studio as a server: cold start of `python app.py`, and API latency with 100 projects and 1,000
library assets in the store.

    python bench/app.py [--calls 200] [--projects 100] [--assets 1000] [--starts 3]

1. Cold start: `python app.py --port <free> --data <tmp>` until `GET /` answers 200, the median of
   --starts runs, against `python -c "import gradio"` timed in the same run (the ratio shows what is
   ours). A separate start under `python -X importtime` lists what was imported before the page
   answered: no torch, onnxruntime, Piper or other model code may be among it.
2. Latency: p50/p95 of `/parse_script` (lighthouse.txt) and `/list_projects` over --calls calls
   each through `gradio_client`, with --projects parse-only projects in the store. Baselines in the
   same run: a bare Gradio app's echo endpoint through the same client (the queue's floor), and the
   same two Studio calls made in-process (what the work itself costs).
3. The library and scene endpoints (issue 17), same client, same baseline: `/list_assets` (a search
   page of 50 among --assets uploaded pictures), `/get_asset`, `/update_scene` (a heading edit) and
   `/move_scene` (a scene moved and back) on a project of the store.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Imported by a start only if something loads a model or an ML runtime: none may appear at start.
HEAVY = ("torch", "torchvision", "torchaudio", "transformers", "diffusers", "accelerate", "onnxruntime",
         "piper", "tensorflow", "jax", "safetensors")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ok(url: str, proc: subprocess.Popen, limit: float = 60.0) -> float:
    """Poll GET url until 200; returns the seconds since the call. Fails if the server exits."""
    import urllib.error
    import urllib.request

    t0 = time.perf_counter()
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.perf_counter() - t0 > limit:
            raise TimeoutError(f"{url} did not answer 200 within {limit} s")
        time.sleep(0.01)


def start(data: Path, *extra: str, stderr=subprocess.DEVNULL) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, *extra, str(ROOT / "app.py"), "--port", str(port), "--data", str(data)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True,
                            env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    return proc, f"http://127.0.0.1:{port}"


def stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out or ""


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def seed(data: Path, n: int, assets: int = 0) -> None:
    """`n` parse-only projects and `assets` small pictures uploaded to the library (checked, previewed)."""
    from PIL import Image

    from vidgen.config import Settings
    from vidgen.studio import Studio

    scripts = sorted(p for p in (ROOT / "examples").glob("*") if p.suffix in (".txt", ".fountain", ".md"))
    studio = Studio(Settings.from_env(data), upload_roots=[data])
    try:
        for i in range(n):
            studio.create_project(scripts[i % len(scripts)].read_text(encoding="utf-8"), f"Project {i:03d}")
        uploads = data / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        for i in range(assets):
            path = uploads / f"picture-{i:04d}.png"
            Image.new("RGB", (32, 32), (i % 256, (i // 256) * 40 % 256, 90)).save(path)
            studio.upload_asset(str(path), "image", [f"set{i % 10}"])
            path.unlink()
    finally:
        studio.shutdown(timeout=10)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def timed(fn, calls: int, warmup: int = 10) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def row(name: str, xs: list[float]) -> str:
    p50, p95, top = (1000 * v for v in (pct(xs, .5), pct(xs, .95), max(xs)))
    return f"  {name:<34} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   max {top:7.1f} ms"


def cold_start(data: Path, starts: int) -> None:
    imports = []
    for _ in range(starts):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import gradio"], check=True, cwd=ROOT)
        imports.append(time.perf_counter() - t)
    boots, rss, printed = [], [], ""
    for _ in range(starts):
        proc, url = start(data)
        try:
            boots.append(wait_ok(url + "/", proc))
            rss.append(rss_mb(proc.pid))
        finally:
            printed = stop(proc)
    g, b = statistics.median(imports), statistics.median(boots)
    print(f"cold start ({starts} runs, medians):")
    print(f"  python -c 'import gradio'        {g:6.2f} s   (baseline)")
    print(f"  python app.py until GET / = 200   {b:6.2f} s   ratio {b / g:.2f}   target < 3 s: "
          f"{'met' if b < 3 else 'MISSED'}   (runs: {', '.join(f'{x:.2f}' for x in boots)})")
    print(f"  server RSS once answering          {statistics.median(rss):6.0f} MB")

    # What a start imports before the page answers (a separate run: -X importtime slows it down).
    log = Path(tempfile.mkstemp(suffix=".importtime")[1])
    with log.open("w") as err:
        proc, url = start(data, "-X", "importtime", stderr=err)
        try:
            wait_ok(url + "/", proc)
        finally:
            stop(proc)
    mods = set(re.findall(r"\|\s+(\S+)$", log.read_text(), flags=re.M))
    log.unlink()
    heavy = sorted(m for m in mods if m.split(".")[0] in HEAVY or m in HEAVY)
    ours = sorted(m for m in mods if m == "vidgen" or m.startswith("vidgen."))
    import importlib.util

    installed = [m for m in HEAVY if importlib.util.find_spec(m) is not None]
    print(f"  modules imported at start: {len(mods)} ({len(ours)} of vidgen); model/ML runtimes among them: "
          f"{', '.join(heavy) if heavy else 'none'} (installed here: {', '.join(installed) or 'none'})")
    print(f"  the server printed at start: {printed.strip()!r}")


def latency(data: Path, calls: int, projects: int) -> list[float]:
    import gradio as gr
    from gradio_client import Client

    from vidgen.config import Settings
    from vidgen.studio import Studio

    text = (ROOT / "examples" / "lighthouse.txt").read_text(encoding="utf-8")

    # Baseline 1: a bare Gradio app (queue on, one JSON endpoint) through the same client.
    def echo_fn(t: str) -> dict:
        return {"n": len(t)}

    with gr.Blocks(analytics_enabled=False) as bare:
        gr.api(echo_fn, api_name="echo")
    bare.queue()
    _, bare_url, _ = bare.launch(prevent_thread_lock=True, quiet=True, server_port=free_port())
    try:
        c = Client(bare_url, verbose=False)
        echo = timed(lambda: c.predict(text, api_name="/echo"), calls)
    finally:
        bare.close()

    # Baseline 2: the Studio's own work, in-process.
    studio = Studio(Settings.from_env(data))
    try:
        direct_parse = timed(lambda: studio.parse_script(text), calls)
        direct_list = timed(studio.list_projects, calls)
        assert len(studio.list_projects()) == projects
    finally:
        studio.shutdown(timeout=10)

    proc, url = start(data)
    try:
        wait_ok(url + "/", proc)
        c = Client(url, verbose=False)
        parse = timed(lambda: c.predict(text, api_name="/parse_script"), calls)
        listed = timed(lambda: c.predict(api_name="/list_projects"), calls)
        n = len(c.predict(api_name="/list_projects"))
    finally:
        stop(proc)
    assert n == projects, n
    print(f"latency over {calls} calls each, {projects} projects in the store (gradio_client, one client, in series):")
    print(row("bare Gradio echo (baseline)", echo))
    print(row("/parse_script", parse))
    print(row("/list_projects", listed))
    print(row("studio.parse_script in-process", direct_parse))
    print(row("studio.list_projects in-process", direct_list))
    print(f"  ratio to the bare echo at p50: /parse_script {pct(parse, .5) / pct(echo, .5):.2f}, "
          f"/list_projects {pct(listed, .5) / pct(echo, .5):.2f}")
    return echo


def library_and_scenes(data: Path, calls: int, assets: int, echo: list[float]) -> None:
    from gradio_client import Client

    proc, url = start(data)
    try:
        wait_ok(url + "/", proc)
        c = Client(url, verbose=False)
        page = c.predict("picture-0", "", "", 50, 0, api_name="/list_assets")
        assert page["total"] > 0, page
        one = page["assets"][0]["id"]
        pid = c.predict(api_name="/list_projects")[0]["id"]
        flip = {"n": 0}

        def edit() -> None:
            flip["n"] += 1
            c.predict(pid, 1, {"heading": f"Heading {flip['n'] % 2}"}, api_name="/update_scene")

        def move() -> None:
            flip["n"] += 1
            c.predict(pid, 1 + flip["n"] % 2, 2 - flip["n"] % 2, api_name="/move_scene")

        rows = {"/list_assets (50 of the search)": timed(lambda: c.predict("picture-0", "", "", 50, 0,
                                                                           api_name="/list_assets"), calls),
                "/list_assets (tag, page 3)": timed(lambda: c.predict("", "image", "set3", 20, 40,
                                                                      api_name="/list_assets"), calls),
                "/get_asset": timed(lambda: c.predict(one, api_name="/get_asset"), calls),
                "/update_scene": timed(edit, calls), "/move_scene": timed(move, calls)}
    finally:
        stop(proc)
    print(f"library and scene endpoints over {calls} calls each, {assets} library assets:")
    print(row("bare Gradio echo (baseline)", echo))
    for name, xs in rows.items():
        print(row(name, xs))
    print("  ratio to the bare echo at p50: " + ", ".join(f"{n.split()[0]} {pct(x, .5) / pct(echo, .5):.2f}"
                                                         for n, x in rows.items()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--projects", type=int, default=100)
    ap.add_argument("--starts", type=int, default=3)
    ap.add_argument("--assets", type=int, default=1000)
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="vidgen-bench-app-") as tmp:
        empty, full = Path(tmp) / "empty", Path(tmp) / "full"
        t = time.perf_counter()
        seed(full, args.projects, args.assets)
        print(f"seeded {args.projects} parse-only projects and {args.assets} library pictures in "
              f"{time.perf_counter() - t:.1f} s")
        cold_start(empty, args.starts)
        echo = latency(full, args.calls, args.projects)
        library_and_scenes(full, args.calls, args.assets, echo)
    print(f"load at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
