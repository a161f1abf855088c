"""`python app.py` and `python -m vidgen serve`: the same flags, the same launch."""

from __future__ import annotations

import argparse
import dataclasses
import os
import threading
from typing import Any

from ..config import Settings
from ..errors import VidgenError
from ..ops import logs
from ..ops.routes import Ops
from ..services.delivery import encoders
from ..pipeline.executors import executor_from
from ..studio import Studio
from .. import zerogpu


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--host", default=os.environ.get("VIDGEN_HOST") or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
    p.add_argument("--port", type=int, default=int(os.environ.get("VIDGEN_PORT") or os.environ.get("GRADIO_SERVER_PORT") or 7860), help="port to listen on (default 7860)")
    p.add_argument("--share", action="store_true", help="also open a public gradio.live link")
    p.add_argument("--auth", metavar="USER:PASS", default=None,
                   help="require a login (several: a,b separated by commas; env VIDGEN_AUTH)")
    p.add_argument("--data", metavar="DIR", help="data folder (default ./data, env VIDGEN_DATA)")
    p.add_argument("--gpu-slots", type=int, default=int(os.environ.get("VIDGEN_GPU_SLOTS", "1")), metavar="N",
                   help="GPU jobs at once (default 1)")
    p.add_argument("--executor", choices=("local", "ray"), default="",
                   help="where renders run their scene steps: local, or ray (RAY_ADDRESS, else a local cluster); "
                        "default VIDGEN_EXECUTOR, else local")
    p.add_argument("--renders-per-hour", type=int, default=None, metavar="N",
                   help="with --auth: renders one user may start in an hour (0 = no limit; default 20, env "
                        "VIDGEN_RENDERS_PER_HOUR)")
    p.add_argument("--jobs-per-user", type=int, default=None, metavar="N",
                   help="with --auth: jobs one user may have queued or running at once (0 = no limit; default 3, "
                        "env VIDGEN_JOBS_PER_USER)")
    # SUPPRESS: `python -m vidgen --log-format json serve` (the global option) is not overwritten
    p.add_argument("--log-format", choices=logs.FORMATS, default=argparse.SUPPRESS,
                   help="log lines: plain (readable, the default) or json (one object a line; env VIDGEN_LOG_FORMAT)")
    return p


def log_format(args: argparse.Namespace, default: str = "") -> str:
    """--log-format, else VIDGEN_LOG_FORMAT, else `default` ("" = leave logging as it is)."""
    value = getattr(args, "log_format", None) or os.environ.get("VIDGEN_LOG_FORMAT") or default
    try:
        return logs.check_format(value) if value else ""
    except ValueError as e:
        raise VidgenError(str(e)) from e


def serve(args: argparse.Namespace, **launch_kwargs: Any):
    """Open the store, build the studio and launch it (blocks unless prevent_thread_lock is passed).

    Returns `Blocks.launch`'s (app, local_url, share_url); the app's `state.studio` and `state.ops`
    are the studio and its operations routes, for a caller that closes them (`close_served`)."""
    from .builder import build_app, launch_options  # gradio: imported when serving, not for the CLI's flags

    if args.gpu_slots < 1:
        raise VidgenError(f"--gpu-slots must be 1 or more, not {args.gpu_slots}.")
    logs.configure(log_format(args, "plain"))
    zerogpu.prepare()  # on a ZeroGPU Space: spaces registers the GPU function before the app starts
    settings = Settings.from_env(args.data)
    for name in ("renders_per_hour", "jobs_per_user"):
        value = getattr(args, name, None)
        if value is not None:
            if value < 0:
                raise VidgenError(f"--{name.replace('_', '-')} must be 0 or more (0 = no limit), not {value}.")
            settings = dataclasses.replace(settings, **{name: value})
    try:
        options = launch_options(settings.data_dir, host=args.host, port=args.port, share=args.share,
                                 auth=args.auth if args.auth is not None else os.environ.get("VIDGEN_AUTH"))
    except ValueError as e:
        raise VidgenError(str(e)) from e
    studio = Studio(settings, gpu_slots=args.gpu_slots, executor=executor_from(getattr(args, "executor", "") or ""))
    # /health, /ready, /metrics: the app's first routes (FastAPI's `routes`), before Gradio adds its own
    ops = Ops(studio.store, studio.jobs, options["auth"])
    options["app_kwargs"] = {**options["app_kwargs"], "routes": ops.routes()}
    # the encoders' trial (a one-frame NVENC encode each) while the app starts, not in the first render
    threading.Thread(target=encoders.try_all, name="vidgen-encoder-trial", daemon=True).start()
    demo = build_app(studio)
    done = True  # the server has stopped (or never started): stop the studio too
    try:
        launched = demo.launch(**{**options, **launch_kwargs})
        launched[0].state.studio, launched[0].state.ops = studio, ops
        done = not launch_kwargs.get("prevent_thread_lock")
        return launched
    finally:
        if done:
            studio.shutdown()
            ops.close()


def close_served(app: Any, timeout: float | None = None) -> None:
    """Stop what `serve(..., prevent_thread_lock=True)` started: the server, the studio's queue, its metrics."""
    app.blocks.close(verbose=False)
    app.state.studio.shutdown(timeout)
    app.state.ops.close()
