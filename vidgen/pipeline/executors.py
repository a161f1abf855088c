"""Which executor runs a render's scene steps: `local` (this process, in order) or `ray` (a Ray
cluster: RAY_ADDRESS, or a local one started for this process). Chosen by --executor or
VIDGEN_EXECUTOR; `ray` needs Ray installed (requirements-ray.txt)."""

from __future__ import annotations

import importlib.util
import os

from ..errors import VidgenError
from .executor import Executor, LocalExecutor
from .ray_executor import RayExecutor

EXECUTORS = ("local", "ray")


def executor_from(name: str = "", address: str = "") -> Executor:
    """The executor `name` ("" = VIDGEN_EXECUTOR, else local); for ray, `address` ("" = RAY_ADDRESS,
    else a local cluster). An unreachable cluster fails here, before any work, naming its address."""
    name = (name or os.environ.get("VIDGEN_EXECUTOR") or "local").strip().lower()
    if name not in EXECUTORS:
        raise VidgenError(f"Unknown executor {name!r}: use {' or '.join(EXECUTORS)}.")
    if name == "local":
        return LocalExecutor()
    if importlib.util.find_spec("ray") is None:
        raise VidgenError("--executor ray needs Ray: pip install -r requirements-ray.txt.")
    return RayExecutor(address or os.environ.get("RAY_ADDRESS") or None)
