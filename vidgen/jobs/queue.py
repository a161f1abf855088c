"""The job queue: jobs wait in arrival order and run on background worker threads.

Workers start on the first job, one per GPU slot. Each holds the GPU lane (`vidgen.jobs.lane`)
for a job's whole work, so jobs never overlap on the GPU; waiters hear about progress through a
`threading.Condition`, never a sleep loop. A job this queue holds is `queued`, then `starting`
(dequeued, waiting for the lane), then `running`; a queued one that is cancelled or left behind
by `shutdown` is `cancelling` until it is forgotten.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import logging
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict, deque
from typing import Any, Callable

from ..config import Settings
from ..domain import Job, ProgressEvent
from ..errors import Cancelled, VidgenError
from ..store import Store, pid_alive
from .lane import LANE, GpuLane
from .limits import UserLimits
from .lifecycle import EventFn, JobContext, request_cancel, run_job

log = logging.getLogger(__name__)

ENDED = ("completed", "failed", "cancelled", "interrupted")
EVENTS_PER_JOB = 256  # recent progress events kept per job for waiters
JOBS_WITH_EVENTS = 64  # jobs whose recent events are kept
_STORE_POLL = 1.0  # seconds between store reads when waiting on a job run by another process
_HOST = socket.gethostname()


@dataclasses.dataclass
class _Entry:
    """A job this queue has queued or is running."""

    project_id: str
    kind: str
    work: Callable[[JobContext], dict[str, Any]]
    state: str = "queued"  # queued -> starting (dequeued, waiting for the lane) -> running; or cancelling
    # The enqueuer's context (its web request among it): the work runs in it, so what asks who the
    # user is (ZeroGPU's quota, the logs) sees the user who started the job, on any worker thread.
    context: contextvars.Context = dataclasses.field(default_factory=contextvars.copy_context)


class JobQueue:
    """The queued and running jobs of one process's data folder, and the workers that run them."""

    def __init__(self, settings: Settings, *, gpu_slots: int = 1, max_queued: int = 16,
                 lane: GpuLane | None = None, threads: bool = True) -> None:
        """Opens the process's store of `settings`; jobs that a process of this host which is gone
        left running or queued become interrupted. `lane`: the GPU lane to hold (default: the
        process's, or a private one with `gpu_slots` slots). Nothing starts until the first job.
        `threads=False` starts no worker: `wait` runs the queued jobs up to the one waited for in the
        caller's thread, as a worker would (the CLI: the same checks and work, without threads)."""
        if not isinstance(gpu_slots, int) or gpu_slots < 1:
            raise VidgenError(f"gpu_slots must be a whole number >= 1, not {gpu_slots!r}.")
        if not isinstance(max_queued, int) or max_queued < 1:
            raise VidgenError(f"max_queued must be a whole number >= 1, not {max_queued!r}.")
        self.gpu_slots = gpu_slots
        self.max_queued = max_queued
        self.threads = threads
        # One slot: the process's lane, shared with every other GPU path in this process.
        self.lane = lane or (LANE if gpu_slots == 1 else GpuLane(gpu_slots))
        self.store = Store.open(settings)
        self.limits = UserLimits(settings.renders_per_hour, settings.jobs_per_user)
        # Who asks for a job: the web studio sets this to read the signed-in user of the request
        # being handled ("" with no logins and on the CLI: no per-user limit applies).
        self.current_user: Callable[[], str] = lambda: ""
        self.store.mark_interrupted()
        self._interrupt_orphans()
        self._cond = threading.Condition()
        self._queue: deque[str] = deque()  # job ids waiting for a worker, in arrival order
        self._jobs: dict[str, _Entry] = {}  # queued, starting or running here
        self._enqueue_lock = threading.Lock()
        self._cancel_early: set[str] = set()  # cancelled between dequeue and the work's start
        self._events: OrderedDict[str, deque[tuple[int, ProgressEvent]]] = OrderedDict()
        self._seq = 0
        self._workers: list[threading.Thread] = []
        self._stopping = False

    # --- the callers' side -----------------------------------------------------------------------

    def enqueue(self, project_id: str, kind: str, work: Callable, message: str, job_id: str | None = None) -> str:
        """Queue `work` as a new job (or as the ended job `job_id` again); returns the job's id (status "pending")."""
        # One enqueuer at a time: the queue's order is the order of the jobs' `created` times.
        with self._enqueue_lock:
            with self._cond:
                if self._stopping:
                    raise VidgenError("The studio is shutting down: start the render again when it is back.")
                if job_id is not None and job_id in self._jobs:
                    raise VidgenError(f"Job {job_id} is already queued or running.")
                if len(self._queue) >= self.max_queued:
                    raise VidgenError(f"The render queue is full ({len(self._queue)} jobs waiting): "
                                      "try again when one finishes.")
            user = self.current_user()
            self.limits.check(user, kind, self.store.job_summaries())  # under the enqueue lock: no race past it
            fields = dict(pid=os.getpid(), host=_HOST, message=message, cancel_requested=False, user=user)
            if job_id is None:
                job = self.store.save_job(Job(id=uuid.uuid4().hex[:12], project_id=project_id, kind=kind,
                                              created=time.time(), **fields))
            else:
                job = self.store.update_job(job_id, status="pending", error="", finished=None, **fields)
            with self._cond:
                self._jobs[job.id] = _Entry(project_id, kind, work)
                self._queue.append(job.id)
                self._ensure_workers()
                self._cond.notify_all()
        return job.id

    def reserve(self, project_id: str, kind: str, message: str) -> str:
        """Save a pending job of this process that nothing runs yet; `enqueue(..., job_id=)` queues it.
        For a caller that saves the job before its project (the CLI), so a kill between the two writes
        leaves no project without a job; if the process dies first, the job ends interrupted (or
        failed, when its project was never saved) the next time a queue opens the data folder."""
        job = Job(id=uuid.uuid4().hex[:12], project_id=project_id, kind=kind, created=time.time(), pid=os.getpid(),
                  host=_HOST, message=message)
        return self.store.save_job(job).id

    def abandon(self, job_id: str, why: str) -> None:
        """A reserved job whose project could not be saved: it ends failed with `why` (best effort)."""
        try:
            self.store.update_job(job_id, status="failed", finished=time.time(), error=why, message=why)
        except (OSError, VidgenError) as e:
            log.warning("Could not mark job %s failed: %s", job_id, e)

    def wait(self, job_id: str, on_event: EventFn | None = None, timeout: float | None = None) -> Job:
        """Block until the job ends, passing its progress events to `on_event` as they come; returns
        the job. A job that has already ended returns at once; after `timeout` seconds the job is
        returned as it is then (check its status). A waiter that falls far behind skips events."""
        if not self.threads:
            self._run_here(job_id, on_event)
        job = self.store.get_job(job_id)
        deadline = None if timeout is None else time.monotonic() + timeout
        seen = 0
        with self._cond:
            if job_id not in self._jobs and job.status in ENDED:
                return job
        while True:
            with self._cond:
                while True:
                    buf = self._events.get(job_id, ())
                    new = [ev for seq, ev in buf if seq > seen]
                    if buf:
                        seen = max(seen, buf[-1][0])
                    ours = job_id in self._jobs
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if new or not ours or (remaining is not None and remaining <= 0):
                        break
                    self._cond.wait(remaining)
            if on_event is not None:
                for ev in new:
                    on_event(ev)
            if remaining is not None and remaining <= 0:
                return self.store.get_job(job_id)
            if ours:
                continue
            job = self.store.get_job(job_id)
            if job.status in ENDED:
                return job
            # Queued or running in another process: only the store can tell when it ends.
            with self._cond:
                self._cond.wait(_STORE_POLL if remaining is None else min(_STORE_POLL, remaining))

    def cancel(self, job_id: str) -> None:
        """Stop a job: a queued one is cancelled at once and never runs; a running one (here or in
        another process) stops at its next step. An ended job is left as it is."""
        with self._cond:
            entry = self._jobs.get(job_id)
            state = entry.state if entry else ""
            if state == "queued":
                self._queue.remove(job_id)
                entry.state = "cancelling"
            elif state == "starting":
                self._cancel_early.add(job_id)
        if state == "queued":
            try:
                self.store.update_job(job_id, status="cancelled", finished=time.time(), cancel_requested=True,
                                      message="Cancelled before it started.")
            finally:
                self._forget(job_id)
        elif state != "cancelling":
            request_cancel(self.store, job_id)

    def depth(self) -> int:
        """Jobs waiting here for a worker."""
        with self._cond:
            return len(self._queue)

    @property
    def accepting(self) -> bool:
        """False once the queue shuts down (enqueue refuses then)."""
        return not self._stopping

    def active(self, project_id: str) -> list[str]:
        """Ids of the project's jobs queued or running, here or (by the store) in another process."""
        with self._cond:
            busy = [jid for jid, e in self._jobs.items() if e.project_id == project_id]
        return busy + [j.id for j in self.store.list_jobs(project_id) if j.status in ("pending", "running")]

    def shutdown(self, timeout: float | None = None) -> None:
        """Stop the workers after their current job; jobs still queued become interrupted (resumable)."""
        with self._cond:
            self._stopping = True
            left = list(self._queue)
            self._queue.clear()
            for jid in left:
                self._jobs[jid].state = "cancelling"
            workers = list(self._workers)
            self._cond.notify_all()
        for jid in left:
            try:
                self.store.update_job(jid, status="interrupted", finished=time.time(),
                                      message="The studio stopped before this job started: resume it.")
            except (OSError, VidgenError) as e:
                log.warning("Could not mark job %s interrupted: %s", jid, e)
            finally:
                self._forget(jid)
        for t in workers:
            if t is not threading.current_thread():
                t.join(timeout)

    # --- the workers -----------------------------------------------------------------------------

    def _ensure_workers(self) -> None:  # under self._cond
        if not self.threads:
            return
        self._workers = [t for t in self._workers if t.is_alive()]
        while len(self._workers) < self.gpu_slots:
            t = threading.Thread(target=self._serve, name=f"vidgen-worker-{len(self._workers) + 1}", daemon=True)
            self._workers.append(t)
            t.start()

    def _serve(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    return
                job_id = self._take()
            self._run_taken(job_id, None)

    def _run_here(self, job_id: str, on_event: EventFn | None) -> None:
        """threads=False: run the queued jobs up to `job_id` in this thread, in arrival order."""
        while True:
            with self._cond:
                if job_id not in self._queue:
                    return
                taken = self._take()
            self._run_taken(taken, on_event if taken == job_id else None)

    def _take(self) -> str:  # under self._cond
        job_id = self._queue.popleft()
        self._jobs[job_id].state = "starting"
        return job_id

    def _run_taken(self, job_id: str, on_event: EventFn | None) -> None:
        try:
            self._run(job_id, self._jobs[job_id], on_event)
        except Exception as e:  # the store failed while starting or ending the job: keep serving
            log.exception("Render worker: job %s", job_id)
            self._fail_quietly(job_id, e)
        finally:
            self._forget(job_id)

    def _run(self, job_id: str, entry: _Entry, on_event: EventFn | None = None) -> None:
        with self.lane.hold(job_id):
            job = self.store.get_job(job_id)
            with self._cond:
                early = job_id in self._cancel_early
            if early or job.cancel_requested or job.status != "pending":
                if job.status == "pending":
                    self.store.update_job(job_id, status="cancelled", finished=time.time(),
                                          message="Cancelled before it started.")
                return
            publish = functools.partial(self._publish, job_id)
            try:
                entry.context.run(run_job, self.store, job_id, _Guarded(self, job_id, entry.work),
                                  on_event=publish if on_event is None else lambda ev: (publish(ev), on_event(ev)))
            except VidgenError:  # includes Cancelled: the job record says what happened
                pass

    def _fail_quietly(self, job_id: str, exc: Exception) -> None:
        try:
            if self.store.get_job(job_id).status not in ENDED:
                msg = f"Internal error: {exc.__class__.__name__}: {exc}"
                self.store.update_job(job_id, status="failed", finished=time.time(), error=msg, message=msg)
        except Exception:  # the store itself is failing; the log has the cause
            log.exception("Render worker: could not mark job %s failed", job_id)

    def _publish(self, job_id: str, event: ProgressEvent) -> None:
        with self._cond:
            self._seq += 1
            buf = self._events.get(job_id)
            if buf is None:
                buf = self._events[job_id] = deque(maxlen=EVENTS_PER_JOB)
                while len(self._events) > JOBS_WITH_EVENTS:
                    self._events.popitem(last=False)
            buf.append((self._seq, event))
            self._cond.notify_all()

    def _forget(self, job_id: str) -> None:
        with self._cond:
            self._jobs.pop(job_id, None)
            self._cancel_early.discard(job_id)
            self._cond.notify_all()

    def _interrupt_orphans(self) -> None:
        """Jobs queued by a process of this host that is gone would wait forever: mark them interrupted
        (failed when their project was never saved: a `render` killed between its two first writes)."""
        orphans = [job for job in self.store.list_jobs()
                   if job.status == "pending" and job.pid and job.pid != os.getpid() and job.host in ("", _HOST)
                   and not pid_alive(job.pid, job.created)]
        projects = {p.id for p in self.store.list_projects()} if orphans else set()
        for job in orphans:
            if job.project_id in projects:
                self.store.update_job(job.id, status="interrupted",
                                      message="Interrupted: the process that queued it stopped. Resume it.")
            else:
                msg = "Stopped before its project was saved: nothing to resume; render the script again."
                self.store.update_job(job.id, status="failed", finished=time.time(), error=msg, message=msg)


class _Guarded:
    """The job's work, refusing to start when it was cancelled between dequeue and start."""

    def __init__(self, queue: JobQueue, job_id: str, work: Callable):
        self.queue, self.job_id, self.work = queue, job_id, work
        self.stage_weights = getattr(work, "stage_weights", None)

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        with self.queue._cond:
            if self.job_id in self.queue._cancel_early:
                raise Cancelled()
            entry = self.queue._jobs.get(self.job_id)
            if entry is not None:
                entry.state = "running"  # from now on a cancel reaches the job through request_cancel
        return self.work(ctx)
