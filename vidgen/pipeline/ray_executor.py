"""A Ray cluster as the executor: a stage's scenes at once, each step's work on a long-lived worker.

    executor = RayExecutor()                       # a local cluster; or RayExecutor("head:6379")
    try:
        ...  render with executor=executor ...
    finally:
        executor.shutdown()

`map` runs `step(scene, progress)` for all scenes at once, in threads of the job's process (as many
as the cluster has workers); the steps' cache, assets and store stay in that process. `run` sends
one `Work` (a module-level function and plain data) to a `StepWorker` actor: model steps
(`gpu_seconds > 0`) to actors holding one unit of `gpu_resource` (`num_gpus=1` for "GPU"; a custom
resource lets a test or a mixed cluster name its GPU nodes), the others to actors holding one CPU.
An actor lives as long as the executor, so the model cache of its process (`get_cache()`) keeps a
model loaded for one scene for the next; an idle actor that last ran the same step is preferred.

Progress: the work's `progress(f)` sets the latest fraction on its actor, which the caller polls
while it waits and passes on. Cancel: the caller calls `cancel()` while it waits; once that raises
`Cancelled`, the work's own `cancel()` raises too (cooperative), and a work that has not stopped
after `cancel_grace` seconds has its actor killed, so nothing of the job keeps running on the
cluster. A worker lost mid-step (its process died) is replaced and the step runs again on a fresh
actor, at most `retries` times. Each result's data says where it ran: `data["worker"]` = node,
actor, pid, host, the resources it held and attempt. Outputs are files: the data folder must be shared by every node.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..domain import Scene
from ..errors import Cancelled, VidgenError
from ..jobs import JobContext

if TYPE_CHECKING:
    from .executor import Made, Work

log = logging.getLogger(__name__)
REPO_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding the vidgen package
CONNECT_TIMEOUT = 3.0  # seconds to reach a cluster's address before ray.init (which would wait minutes)


class StepWorker:
    """One worker process of the cluster (a Ray actor): runs one `Work` at a time, and answers
    `poll` (the running work's progress) and `cancel` from other threads meanwhile."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._progress: dict[str, float] = {}
        self._cancelled: set[str] = set()
        self.runs = 0

    def info(self) -> dict[str, Any]:
        import ray
        here = ray.get_runtime_context()
        return {"node": here.get_node_id(), "actor": here.get_actor_id(), "pid": os.getpid(),
                "host": socket.gethostname(), "resources": dict(here.get_assigned_resources())}

    def run(self, token: str, fn: Callable, args: tuple, kwargs: dict) -> tuple[dict, dict, dict]:
        def progress(fraction: float) -> None:
            with self._lock:
                self._progress[token] = float(fraction)

        def cancel() -> None:
            if token in self._cancelled:
                raise Cancelled()

        try:
            files, data = fn(*args, progress=progress, cancel=cancel, **kwargs)
        finally:
            with self._lock:
                self._progress.pop(token, None)
                self._cancelled.discard(token)
        self.runs += 1
        return files, data, {**self.info(), "runs": self.runs}

    def poll(self, token: str) -> float | None:
        with self._lock:
            return self._progress.get(token)

    def cancel(self, token: str) -> None:
        with self._lock:
            self._cancelled.add(token)

    def exit(self) -> None:
        """End this process now, whatever its work is doing (a work that does not stop when cancelled)."""
        os._exit(1)


class _Pool:
    """Up to `size` actors of one kind, made on demand; one work per actor at a time."""

    def __init__(self, kind: str, size: int, make: Callable[[], Any]) -> None:
        self.kind, self.size, self._make = kind, size, make
        self._cond = threading.Condition()
        self._idle: list[tuple[Any, str]] = []  # (actor, the step it last ran)
        self._all: list[Any] = []
        self._closed = False

    def take(self, name: str, check: Callable[[], None]) -> Any:
        with self._cond:
            while True:
                if self._closed:
                    raise VidgenError("The Ray executor was shut down.")
                if self._idle:  # the actor that ran this step last has its model loaded
                    i = next((i for i in reversed(range(len(self._idle))) if self._idle[i][1] == name),
                             len(self._idle) - 1)
                    return self._idle.pop(i)[0]
                if len(self._all) < self.size:
                    actor = self._make()
                    self._all.append(actor)
                    return actor
                self._cond.wait(0.1)
                check()

    def give(self, actor: Any, name: str) -> None:
        with self._cond:
            if actor in self._all:
                self._idle.append((actor, name))
                self._cond.notify()

    def drop(self, actor: Any) -> None:
        import ray
        with self._cond:
            if actor in self._all:
                self._all.remove(actor)
            self._idle = [(a, n) for a, n in self._idle if a is not actor]
            self._cond.notify()
        try:
            ray.kill(actor, no_restart=True)
        except Exception:  # already gone
            pass

    def fill(self) -> list[Any]:
        """Every actor this pool may have, made now (idle)."""
        with self._cond:
            made = [self._make() for _ in range(self.size - len(self._all))]
            self._all += made
            self._idle += [(a, "") for a in made]
            self._cond.notify_all()
        return made

    def close(self) -> list[Any]:
        with self._cond:
            self._closed = True
            actors, self._all, self._idle = self._all, [], []
            self._cond.notify_all()
        return actors


def _reachable(address: str, timeout: float) -> None:
    """Fail fast when a cluster's address does not answer: ray.init would retry for minutes."""
    target = address.split("://", 1)[-1].rsplit("/", 1)[0]
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        return  # "auto", "local", a name Ray resolves itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        raise VidgenError(f"Cannot reach the Ray cluster at {address}: {e.strerror or e}. Start it "
                          f"(`ray start --head`) or check the address.") from e


class RayExecutor:
    """`map` and `run` (the Executor interface, pipeline/executor.py) on a Ray cluster."""

    def __init__(self, address: str | None = None, *, gpu_resource: str = "GPU", workers: int | None = None,
                 runtime_env: dict[str, Any] | None = None, retries: int = 2, cancel_grace: float = 1.0,
                 poll_seconds: float = 0.1, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        """`address`: None starts a local cluster (ray.init()); else the cluster to join.
        `workers`: actors per kind (default: the cluster's `gpu_resource` units and CPUs).
        `runtime_env`: the actors' (default: vidgen's folder on PYTHONPATH, for a local cluster)."""
        import ray
        if workers is not None and workers < 1:
            raise VidgenError(f"The Ray executor needs at least one worker, not {workers}.")
        self.address, self.gpu_resource = address, gpu_resource
        self.retries, self.cancel_grace, self.poll_seconds = retries, cancel_grace, poll_seconds
        if address is not None:
            _reachable(address, connect_timeout)
        self._owns = not ray.is_initialized()  # a connection made here is ended by shutdown()
        if self._owns:
            try:
                extra = {"include_dashboard": False} if address is None else {}
                ray.init(address=address, log_to_driver=False, **extra)
            except (ConnectionError, TimeoutError) as e:
                raise VidgenError(f"Cannot connect to the Ray cluster at {address or 'a new local cluster'}: {e}") from e
        if runtime_env is None and address is None:
            path = os.pathsep.join(p for p in (REPO_ROOT, os.environ.get("PYTHONPATH", "")) if p)
            runtime_env = {"env_vars": {"PYTHONPATH": path}}
        self.runtime_env = runtime_env
        total = ray.cluster_resources()
        gpus, cpus = int(total.get(gpu_resource, 0)), max(1, int(total.get("CPU", 0)))
        self._cpu = _Pool("cpu", workers or cpus, lambda: self._actor(gpu=False))
        self._gpu = _Pool("gpu", workers or gpus, lambda: self._actor(gpu=True)) if gpus else None
        if self._gpu is None:
            log.warning("the Ray cluster has no %s resource: model steps run on CPU workers", gpu_resource)
        self.slots = self._cpu.size + (self._gpu.size if self._gpu else 0)
        self._local = threading.local()  # the map thread's abort flag and progress lock

    def _actor(self, gpu: bool) -> Any:
        import ray
        if gpu and self.gpu_resource == "GPU":
            need: dict[str, Any] = {"num_gpus": 1, "num_cpus": 0}
        elif gpu:  # a model step's actor takes its GPU unit, not a CPU: a node runs one of each kind
            need = {"resources": {self.gpu_resource: 1}, "num_cpus": 0}
        else:
            need = {"num_cpus": 1}
        options = dict(need, max_concurrency=4, max_restarts=0, max_task_retries=0)  # lost workers: see run()
        if self.runtime_env:
            options["runtime_env"] = self.runtime_env
        return ray.remote(StepWorker).options(**options).remote()

    # the stage ---------------------------------------------------------------------------
    def map(self, ctx: JobContext, step: Callable[[Scene, Callable[[float], None]], Any], scenes: list[Scene],
            label: Callable[[Scene], str]) -> list[Any]:
        """All scenes at once; the stage's progress is the mean of the scenes'. The first failure
        stops the others (their `run` raises Cancelled) and is raised (a Cancelled stays one)."""
        n = len(scenes)
        if not n:
            return []
        lock, abort = threading.Lock(), threading.Event()
        done = [0.0] * n
        labels = [label(scene) for scene in scenes]

        def report(i: int, fraction: float) -> None:
            with lock:
                done[i] = max(done[i], min(1.0, max(0.0, fraction)))
                ctx.progress(sum(done) / n, labels[i], scenes[i].number)

        def one(i: int) -> Any:
            if abort.is_set():
                raise Cancelled()
            self._local.abort, self._local.lock = abort, lock
            try:
                result = step(scenes[i], lambda f: report(i, f))
            finally:
                self._local.abort = self._local.lock = None
            report(i, 1.0)
            return result

        first: BaseException | None = None
        with ThreadPoolExecutor(max_workers=min(n, self.slots), thread_name_prefix="vidgen-ray") as pool:
            futures = [pool.submit(one, i) for i in range(n)]
            wait(futures, return_when=FIRST_EXCEPTION)
            first = next((f.exception() for f in futures if f.done() and f.exception() is not None), None)
            if first is not None:
                abort.set()
                for f in futures:
                    f.cancel()
        if first is not None:
            raise first
        return [f.result() for f in futures]

    # one step ----------------------------------------------------------------------------
    def run(self, work: Work, progress: Callable[[float], None] | None, cancel: Callable[[], None]) -> Made:
        """`work` done on a worker: its files and data, `data["worker"]` saying where it ran."""
        import ray
        pool = self._gpu if work.gpu_seconds > 0 and self._gpu is not None else self._cpu
        lock, abort = getattr(self._local, "lock", None), getattr(self._local, "abort", None)

        def check() -> None:
            if abort is not None and abort.is_set():
                raise Cancelled()
            if lock is None:
                stop = cancel()
            else:
                with lock:
                    stop = cancel()
            if stop is True:  # a cancel() that answers instead of raising
                raise Cancelled()

        for attempt in range(1, self.retries + 2):
            actor, ended = pool.take(work.name, check), []
            try:
                files, data, where = self._await(actor, work, progress, check, ended)
            except ray.exceptions.RayActorError as e:
                pool.drop(actor)
                what = f"{work.name} step" + (f" of scene {work.scene}" if work.scene is not None else "")
                if attempt > self.retries:
                    raise VidgenError(f"The {what} lost its Ray worker {attempt} times; last: "
                                      f"{e.__class__.__name__}.") from e
                log.warning("the %s lost its Ray worker (%s); running it again (%d of %d)", what,
                            e.__class__.__name__, attempt, self.retries)
                continue
            except BaseException:  # the work's own error, or cancelled: the actor is idle again unless ended
                if ended:
                    pool.drop(actor)
                else:
                    pool.give(actor, work.name)
                raise
            pool.give(actor, work.name)
            return files, {**data, "worker": {**where, "attempt": attempt}}
        raise AssertionError("unreachable")

    def _await(self, actor: Any, work: Work, progress: Callable[[float], None] | None, check: Callable[[], None],
               ended: list[bool]) -> tuple[dict, dict, dict]:
        """The work's result, its progress passed on while it runs; cancelled: stopped (`ended` gets
        True when its actor had to be ended)."""
        import ray
        token = uuid.uuid4().hex
        ref = actor.run.remote(token, work.fn, tuple(work.args), dict(work.kwargs))
        asked, last = None, None
        while True:
            ready, _ = ray.wait([ref], timeout=self.poll_seconds)
            if asked is not None and (ready or ray.wait([asked], timeout=0)[0]):
                fraction, asked = ray.get(asked), None
                if fraction is not None and fraction != last and progress is not None:
                    last = fraction
                    progress(fraction)
            if ready:
                break
            if asked is None:
                asked = actor.poll.remote(token)
            try:
                check()
            except Cancelled:
                if not self._stop(actor, token, ref):
                    ended.append(True)
                raise
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as e:  # the work's own exception, as the caller would see it here
            cause = e.cause
            if isinstance(cause, Exception) and not isinstance(cause, ray.exceptions.RayError):
                raise cause from e
            raise

    def _stop(self, actor: Any, token: str, ref: Any) -> bool:
        """Cancelled: ask the work to stop; end its actor's process when it does not within the
        grace. True: the actor lives on, idle."""
        import ray
        try:
            actor.cancel.remote(token)
            if ray.wait([ref], timeout=self.cancel_grace)[0]:
                ray.get(ref)
                return True
        except ray.exceptions.RayActorError:
            return False
        except Exception:  # it stopped (Cancelled, most likely) or failed: idle now
            return True
        try:
            actor.exit.remote()  # from another of its threads: the process ends at once
        except Exception:
            pass
        ray.wait([ref], timeout=5.0)  # the work's result fails once its process is gone
        return False

    def warm(self, timeout: float = 120.0) -> list[dict[str, Any]]:
        """Start every worker now (each imports vidgen once) instead of on the first steps; where they run."""
        import ray
        made = [a for pool in (self._cpu, self._gpu) if pool for a in pool.fill()]
        return ray.get([a.info.remote() for a in made], timeout=timeout)

    def shutdown(self) -> None:
        """End the actors, and the connection (and a local cluster) this executor began."""
        import ray
        if not ray.is_initialized():
            return
        for pool in (self._cpu, self._gpu):
            for actor in pool.close() if pool else []:
                try:
                    ray.kill(actor, no_restart=True)
                except Exception:
                    pass
        if self._owns:
            ray.shutdown()

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()
