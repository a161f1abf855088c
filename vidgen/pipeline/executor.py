"""Where a job's work runs: the one small interface a distributed executor implements.

`map` runs a stage's per-scene steps (`step(scene, progress)`), results in the scenes' order.
`run` does one step's work on a cache miss: a `Work`, plain data (a module-level function and its
arguments, every path resolved to a file in the data folder or the job's scratch folder), so a
cluster executor can pickle it to another process; the files it returns become assets, and its
record goes into the step cache, in the job's own process (`Steps.run`, pipeline/steps.py).

`LocalExecutor` runs everything here, one after another, in the job's thread (which holds the GPU
lane). On ZeroGPU the GPU is asked for per model step on a cache miss (`LocalExecutor.run` ->
vidgen/zerogpu.py), not around a whole stage: cache hits and built-in backends take none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, TypeVar

from ..domain import Scene
from ..jobs import JobContext
from ..zerogpu import gpu_section

T = TypeVar("T")
SceneStep = Callable[[Scene, Callable[[float], None]], T]
Progress = Callable[[float], None]
Cancel = Callable[[], None]
Made = tuple[dict[str, tuple[Path, str]], dict[str, Any]]  # ({role: (file, asset type)}, the step's data)


@dataclass
class Work:
    """One step's work: `fn(*args, progress=..., cancel=..., **kwargs)` -> `Made`. `fn` is a
    module-level function (it pickles by reference; pipeline/work_fns.py); `args`/`kwargs` plain data.
    `gpu_seconds` > 0: the step runs a model, the ZeroGPU duration it asks for."""

    fn: Callable[..., Made]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    scene: int | None = None
    gpu_seconds: float = 0


class Executor(Protocol):
    def map(self, ctx: JobContext, step: SceneStep, scenes: list[Scene], label: Callable[[Scene], str]) -> list[T]:
        """`step(scene, progress)` for every scene, results in the scenes' order; progress over the
        current stage rises from 0 to 1 as scenes finish, labelled `label(scene)`."""
        ...

    def run(self, work: Work, progress: Progress | None, cancel: Cancel) -> Made:
        """`work` done (wherever the executor runs it): its files and data."""
        ...


class LocalExecutor:
    """In-process, in order, on the calling thread."""

    def map(self, ctx: JobContext, step: SceneStep, scenes: list[Scene], label: Callable[[Scene], str]) -> list[T]:
        out, n = [], len(scenes)
        for i, scene in enumerate(scenes):
            message = label(scene)
            out.append(step(scene, ctx.sub_progress(i / n, (i + 1) / n, message, scene.number)))
            ctx.progress((i + 1) / n, message, scene.number)
        return out

    def run(self, work: Work, progress: Progress | None, cancel: Cancel) -> Made:
        return gpu_section(lambda: work.fn(*work.args, progress=progress, cancel=cancel, **work.kwargs),
                           work.gpu_seconds)
