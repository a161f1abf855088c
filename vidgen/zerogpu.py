"""ZeroGPU (Hugging Face Spaces' shared GPUs): each model step's compute as one `spaces.GPU` call.

On a ZeroGPU Space (the platform sets SPACES_ZERO_GPU=true and SPACES_ZERO_DEVICE_API_URL) the
app's process has no GPU. A function wrapped with `spaces.GPU(duration=...)` asks the Space's
device API for one (`/schedule`, with the seconds it expects to need), runs in a child process
forked from the caller that the API allows on the GPU (`/allow`), sends its result back pickled
and gives the GPU back (`/release`). Anywhere else `gpu_section(fn, seconds)` is `fn()`: a laptop,
a GPU box or a CPU Space run as before, and `spaces` is never imported.

A GPU section is the `produce` of a model step on a cache miss (`Steps.run`, pipeline/steps.py):
the picture, clip, voice, lip sync, effects or score made by a model. Cache hits, the store's
writes and the built-in CPU backends (painter, camera, Piper, eSpeak, composer, visemes, synth)
never ask for a GPU, so they spend no quota. The step writes its files into the job's scratch
folder (the child shares the file system) and returns their paths.

    section_seconds(spec, media_seconds)  the duration asked for: 0 for a built-in (no section)
    gpu_section(fn, seconds)              fn() inside spaces.GPU on ZeroGPU, else fn()
    prepare()                             import spaces and make the GPU function (before launch)

In the child: the parent's hold on the GPU lane covers the section (`GpuLane.forked`), so the
model cache's own hold is re-entrant; exceptions (a VidgenError, Cancelled) come back as
themselves, not as spaces' "ZeroGPU worker error". The child ends after its section: the next one
forks afresh (a reused worker would not know a step made after it was forked), so each section
loads its model from the HF cache on disk, which the duration counts. One section runs at a time.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import pickle
import threading
import time
import traceback
from collections.abc import Iterable
from typing import Any, Callable, TypeVar

from .errors import VidgenError
from .jobs.lane import lanes
from .models.registry import ModelSpec

T = TypeVar("T")

# Seconds of GPU time on a ZeroGPU slice (an H200 MIG 3g.71gb, about an A100) for one call of a
# backend, and per second of media it makes (clip, speech, music); from published timings of each
# pipeline at its default settings, rounded up. A section that runs past its request is warned
# and may be cut, so these err long; a longer request only queues a little later.
COMPUTE: dict[str, tuple[float, float]] = {
    "diffusers-sdxl": (15, 0),  # 30 steps at 1024 px ~6 s; Turbo's 1-4 steps ~1 s
    "diffusers-sd": (8, 0),
    "diffusers-animatediff": (40, 4),  # 16 frames at 512 px
    "diffusers-svd": (60, 4),  # 25 frames
    "diffusers-ltx": (45, 6),
    "diffusers-ltx-distilled": (20, 3),
    "diffusers-wan": (240, 30),
    "transformers-vits": (3, 0.1),
    "coqui-xtts": (10, 0.5),
    "transformers-musicgen": (10, 2),  # ~50 tokens a second of audio
    "wav2lip": (8, 0.5),
    "musetalk": (15, 2),
    "diffusers-stable-audio": (20, 0.5),
}
DEFAULT_COMPUTE = (60.0, 1.0)  # a backend not in the table: spaces' own default request, 60 s
START_SECONDS = 5.0  # the fork, the CUDA context
LOAD_GB_PER_SECOND = 1.0  # weights from the HF cache on the Space's disk onto the GPU
CPU_BACKENDS = frozenset({"ollama", "rules"})  # not in this process's torch: no section
MAX_SECONDS = 120  # default cap of one request (VIDGEN_ZEROGPU_MAX_SECONDS): the device API refuses longer ones

_gate = threading.Lock()  # one section at a time (the lane already serialises GPU jobs)
_pending: dict[int, tuple[Callable[[], Any], list[Any]]] = {}  # token -> (function, lanes its caller holds): read by the child
_tokens = itertools.count(1)
_runner: Callable[[int, int], tuple[str, Any]] | None = None
_in_child = False  # set in a forked section: a section inside it is a plain call


def on_zerogpu() -> bool:
    """Whether this process runs on ZeroGPU: SPACES_ZERO_GPU read as the `spaces` package reads it."""
    return os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "t", "true")


def max_seconds() -> int:
    raw = os.environ.get("VIDGEN_ZEROGPU_MAX_SECONDS", "")
    try:
        value = int(raw) if raw else MAX_SECONDS
    except ValueError:
        value = 0
    if value < 1:
        raise VidgenError(f"VIDGEN_ZEROGPU_MAX_SECONDS must be a whole number of seconds, 1 or more, not {raw!r}.")
    return value


def needs_gpu(spec: ModelSpec | None) -> bool:
    """Whether a step made with `spec` runs a model on the GPU (a built-in backend never does)."""
    return spec is not None and not spec.builtin and spec.backend not in CPU_BACKENDS


def section_seconds(specs: ModelSpec | Iterable[ModelSpec | None] | None, media_seconds: float = 0.0) -> int:
    """The GPU seconds to ask for one step made with `specs` (one model, or each model a step
    loads, e.g. a scene's voices), making `media_seconds` of video or audio: starting the child,
    loading each model, its compute; capped at `max_seconds()`. 0 when no model needs the GPU."""
    if specs is None or isinstance(specs, ModelSpec):
        specs = [specs]
    models = {s.id: s for s in specs if needs_gpu(s)}
    if not models:
        return 0
    total = START_SECONDS
    for spec in models.values():
        per_call, per_second = COMPUTE.get(spec.backend, DEFAULT_COMPUTE)
        total += spec.size_gb / LOAD_GB_PER_SECOND + per_call + per_second * max(0.0, media_seconds)
    return min(max_seconds(), math.ceil(total))


def voice_specs(plan: Iterable[Any], registry: Any) -> list[ModelSpec | None]:
    """The registry record of each planned line's voice (`Spoken.voice.model`); None for a Piper
    voice ("piper:...", built in) or an id the registry does not know (the voice step says so)."""
    out: list[ModelSpec | None] = []
    for spoken in plan:
        model = spoken.voice.model or ""
        try:
            out.append(None if not model or model.startswith("piper:") else registry.get(model))
        except VidgenError:
            out.append(None)
    return out


def prepare() -> Callable[[int, int], tuple[str, Any]] | None:
    """On ZeroGPU: import `spaces` and make the one GPU function (once). The app calls this before it
    launches, so spaces reports it to the device API at start-up; elsewhere it does nothing."""
    global _runner
    if _runner is None and on_zerogpu():
        if not os.environ.get("SPACES_ZERO_DEVICE_API_URL"):
            raise VidgenError("SPACES_ZERO_GPU is set but SPACES_ZERO_DEVICE_API_URL is not: ZeroGPU Spaces set "
                              "both. Off a Space, unset SPACES_ZERO_GPU.")
        import spaces

        spaces.disable_gradio_auto_wrap()  # only our sections take the GPU, never a whole UI event
        _runner = spaces.GPU(_run, duration=_duration)
    return _runner


def gpu_section(fn: Callable[[], T], seconds: float) -> T:
    """`fn()`, inside `spaces.GPU(duration=seconds)` when on ZeroGPU and `seconds` > 0 (a model
    step), else a plain call. Its exceptions reach the caller as themselves."""
    if seconds <= 0 or _in_child or not on_zerogpu():
        return fn()
    runner = prepare()
    assert runner is not None
    with _gate:
        token = next(_tokens)
        _pending[token] = (fn, [lane for lane in lanes() if lane.held_here()])
        before = {p.pid for p in multiprocessing.active_children()}
        try:
            kind, value = runner(token, max(1, math.ceil(seconds)))
        finally:
            _pending.pop(token, None)
            _end_workers(before)
    if kind == "raised":
        raise value
    return value


def _duration(token: int, seconds: int) -> int:
    """spaces' dynamic duration: called with the GPU function's arguments."""
    return seconds


def _run(token: int, seconds: int) -> tuple[str, Any]:
    """The GPU function; runs in the forked child. ("done", fn()) or ("raised", its exception)."""
    global _in_child
    _in_child = True
    if token not in _pending:
        return "raised", VidgenError("A ZeroGPU worker forked for an earlier step was reused; render again.")
    fn, held = _pending[token]
    for lane in lanes():
        lane.forked(held=any(lane is h for h in held))
    try:
        return "done", fn()
    except Exception as exc:  # noqa: BLE001 - sent back to the caller, who raises it
        return "raised", _sendable(exc)


def _sendable(exc: Exception) -> Exception:
    """The exception itself when it pickles (with the child's traceback as a note), else a
    VidgenError saying what it was."""
    try:
        exc.add_note("in the ZeroGPU section:\n" + "".join(traceback.format_exception(exc)))
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return VidgenError(f"{type(exc).__name__}: {exc}")


def _end_workers(before: set[int]) -> None:
    """End the worker spaces forked for this section (a fork-context process that was not there
    before it), so that the next section forks anew instead of reusing it."""
    for proc in multiprocessing.active_children():
        if proc.pid in before or not proc.name.startswith("ForkProcess"):
            continue
        proc.terminate()  # spaces' SIGTERM handler closes the worker's queue: it leaves its loop
        if not _ended(proc, 10):
            proc.kill()
            _ended(proc, 5)


def _ended(proc: multiprocessing.process.BaseProcess, seconds: float) -> bool:
    """Whether `proc` ended within `seconds`. spaces' sentinel thread joins it too: when that thread
    reaps it first, our join returns before the exit code is recorded, so wait for that as well."""
    deadline = time.monotonic() + seconds
    proc.join(seconds)
    while proc.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    return not proc.is_alive()
