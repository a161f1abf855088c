"""Where a stage's per-scene steps run: the one small interface a distributed executor implements.

`LocalExecutor` runs them here, one after another, in the job's thread (which holds the GPU lane).
A cluster executor would send `step(scene, progress)` for each scene to its workers and gather the
results in order; the services and the step cache stay as they are. On ZeroGPU the GPU is
asked for inside the step, per model step on a cache miss (`Steps.run` -> vidgen/zerogpu.py), not
around a whole stage: cache hits and built-in backends take none.
"""

from __future__ import annotations

from typing import Callable, Protocol, TypeVar

from ..domain import Scene
from ..jobs import JobContext

T = TypeVar("T")
SceneStep = Callable[[Scene, Callable[[float], None]], T]


class Executor(Protocol):
    def map(self, ctx: JobContext, step: SceneStep, scenes: list[Scene], label: Callable[[Scene], str]) -> list[T]:
        """`step(scene, progress)` for every scene, results in the scenes' order; progress over the
        current stage rises from 0 to 1 as scenes finish, labelled `label(scene)`."""
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
