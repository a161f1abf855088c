"""Job lifecycle: status in the store, a stream of progress events, cooperative cancel.

A job's work is a function of a JobContext. It reports progress per stage, calls
`check_cancel()` between steps (and inside long loops), and records each step it ran or took
from the cache. Cancel is a flag: an in-process Event for the same process, and the job record's
`cancel_requested` for another process (polled at most once a second).

Each event of a job is one log line (logger `vidgen.jobs.lifecycle`, fields in `extra`: job, kind,
stage, scene, step, cached, duration, status) and is told to the listeners (`add_listener`: the
studio's metrics), with the store the job is in.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import Any, Callable

from ..domain import STAGES, Job, ProgressEvent, StepRecord
from ..errors import Cancelled, VidgenError, without_paths
from ..ops.logs import current_job
from ..store import Store

EventFn = Callable[[ProgressEvent], None]
Listener = Callable[[Store, str, dict[str, Any]], None]  # (the job's store, event, fields)
log = logging.getLogger(__name__)

STAGE_WEIGHTS = {"parse": 0.02, "images": 0.16, "voice": 0.2, "animation": 0.24, "music": 0.03, "assembly": 0.35,
                 "export": 0.0}  # a render that also exports (RenderWork.stage_weights) gives it a share
_PERSIST_EVERY = 1.0  # seconds between progress writes to the store
_POLL_EVERY = 1.0  # seconds between reads of another process's cancel request

_cancel_lock = threading.Lock()
_cancel_events: dict[str, threading.Event] = {}
_listeners: list[Listener] = []


def add_listener(fn: Listener) -> None:
    """Call `fn(store, event, fields)` on every job event of this process: stage_started, stage_ended,
    step, job_ended (fields as in the log line). It runs in the job's thread: keep it quick."""
    _listeners.append(fn)


def remove_listener(fn: Listener) -> None:
    if fn in _listeners:
        _listeners.remove(fn)


def _emit(store: Store, event: str, message: str, **fields: Any) -> None:
    log.info(message, extra={"event": event, **fields})
    for fn in list(_listeners):
        try:
            fn(store, event, fields)
        except Exception:  # a listener's bug must not fail the job it listens to
            log.exception("job event listener %r failed on %s", fn, event)


def _cancel_event(job_id: str) -> threading.Event:
    with _cancel_lock:
        return _cancel_events.setdefault(job_id, threading.Event())


def new_job(store: Store, project_id: str, kind: str = "render") -> Job:
    job = Job(id=uuid.uuid4().hex[:12], project_id=project_id, kind=kind, created=time.time())
    return store.save_job(job)


def request_cancel(store: Store, job_id: str) -> Job:
    """Ask a job to stop at its next checkpoint. A job that is not running is left as it is."""
    job = store.get_job(job_id)
    if job.status in ("pending", "running"):
        _cancel_event(job_id).set()
        job = store.update_job(job_id, cancel_requested=True, message="Cancelling...")
    return job


class JobContext:
    def __init__(self, store: Store, job: Job, on_event: EventFn | None = None,
                 weights: dict[str, float] | None = None):
        self.store = store
        self.job = job
        self._on_event = on_event
        self._weights = weights or STAGE_WEIGHTS  # stage -> share of the whole job
        self._cancel = _cancel_event(job.id)
        self._stage = ""
        self._stage_began = 0.0
        self._stage_base = 0.0
        self._last_persist = 0.0
        self._last_poll = time.monotonic()
        self._steps_lock = threading.Lock()

    # progress ---------------------------------------------------------------------------
    def begin_stage(self, stage: str, message: str = "") -> None:
        if stage not in self._weights:
            raise ValueError(f"unknown stage {stage}")
        self.end_stage()
        self._stage, self._stage_began = stage, time.monotonic()
        _emit(self.store, "stage_started", f"job {self.job.id}: {stage} started", job=self.job.id, kind=self.job.kind,
              stage=stage)
        self._stage_base = sum(self._weights.get(s, 0.0) for s in STAGES[: STAGES.index(stage)])
        self.progress(0.0, message or stage.capitalize(), force=True)

    def end_stage(self) -> None:
        """The current stage's end (the next begin_stage and the job's end call it): logged with its duration."""
        if self._stage_began:
            seconds = round(time.monotonic() - self._stage_began, 3)
            self._stage_began = 0.0
            _emit(self.store, "stage_ended", f"job {self.job.id}: {self._stage} ended in {seconds:.2f} s",
                  job=self.job.id, kind=self.job.kind, stage=self._stage, duration=seconds)

    def progress(self, fraction: float, message: str = "", scene: int | None = None, *, force: bool = False) -> None:
        fraction = min(1.0, max(0.0, fraction))
        overall = min(1.0, self._stage_base + self._weights.get(self._stage, 0.0) * fraction)
        event = ProgressEvent(self._stage, fraction, overall, message, scene)
        if self._on_event is not None:
            self._on_event(event)
        now = time.monotonic()
        if force or now - self._last_persist >= _PERSIST_EVERY:
            self._last_persist = now
            self.job = self.store.update_job(self.job.id, stage=self._stage, progress=round(overall, 4),
                                             message=message)

    def note(self, message: str) -> None:
        """Something worth saying that does not stop the job (a voice chosen for the script's
        language): an event of its own (`note=True`, shown on its own line, not as a bar's text),
        and the job's message in the store (the studio shows it)."""
        overall = min(1.0, self._stage_base)
        if self._on_event is not None:
            self._on_event(ProgressEvent(self._stage, 0.0, overall, message, None, note=True))
        self._last_persist = time.monotonic()
        self.job = self.store.update_job(self.job.id, stage=self._stage, message=message)

    def sub_progress(self, start: float, end: float, message: str = "", scene: int | None = None) -> Callable[[float], None]:
        """A progress callback for one piece of the current stage (fraction start..end of it)."""
        return lambda f: self.progress(start + (end - start) * f, message, scene)

    # cancel -----------------------------------------------------------------------------
    def check_cancel(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()
        now = time.monotonic()
        if now - self._last_poll >= _POLL_EVERY:
            self._last_poll = now
            if self.store.get_job(self.job.id).cancel_requested:
                self._cancel.set()
                raise Cancelled()

    # steps ------------------------------------------------------------------------------
    def record_step(self, name: str, scene: int | None, key: str, cached: bool, seconds: float) -> None:
        with self._steps_lock:  # a cluster executor's scenes finish on several threads at once
            steps = [*self.job.steps, StepRecord(name, scene, key, cached, round(seconds, 3))]
            self.job = self.store.update_job(self.job.id, steps=steps)
        where = f" scene {scene}" if scene is not None else ""
        _emit(self.store, "step", f"job {self.job.id}: {name}{where} {'from the cache' if cached else 'made'} in "
              f"{seconds:.2f} s", job=self.job.id, kind=self.job.kind, stage=self._stage, step=name, scene=scene,
              cached=cached, duration=round(seconds, 3))


def run_job(store: Store, job_id: str, work: Callable[[JobContext], dict[str, Any]],
            on_event: EventFn | None = None) -> Job:
    """Run `work` as job `job_id`; the job record ends completed, failed, cancelled or interrupted.

    VidgenError and Cancelled end the job with their message; they are re-raised so a CLI can
    exit non-zero. Anything else is logged to the data folder and reported as an internal error.
    A work function with a `stage_weights` attribute (stage -> share) spreads the job's overall
    progress over its own stages (e.g. a one-scene preview has no assembly). Callers that share
    the GPU hold the lane (`vidgen.jobs.lane`) around this call, so `started` is when the work began.
    """
    job = store.get_job(job_id)
    if job.status == "running":
        raise VidgenError(f"Job {job_id} is already running.")
    if job.status == "completed":
        raise VidgenError(f"Job {job_id} already completed; render the project again to make a new one.")
    _cancel_event(job_id).clear()
    job = store.update_job(
        job_id, status="running", started=time.time(), finished=None, error="", cancel_requested=False,
        pid=os.getpid(), host=socket.gethostname(), attempts=job.attempts + 1, message="Starting",
    )
    ctx = JobContext(store, job, on_event, getattr(work, "stage_weights", None))
    began, token = time.monotonic(), current_job.set(job_id)

    def ended(status: str, message: str) -> None:
        ctx.end_stage()
        seconds = round(time.monotonic() - began, 3)
        said = f"job {job_id}: {job.kind} {status} in {seconds:.2f} s" + (f": {message}" if message else "")
        _emit(store, "job_ended", said, job=job_id, kind=job.kind, stage=ctx._stage, status=status, duration=seconds)

    def finish(**fields: Any) -> None:
        ended(fields["status"], fields.get("error", ""))
        # Reporting must not hide the failure being reported (e.g. the disk is full).
        try:
            store.update_job(job_id, finished=time.time(), **fields)
        except (OSError, VidgenError):
            pass

    try:
        result = work(ctx)
    except Cancelled as e:
        finish(status="cancelled", message=str(e))
        raise
    except VidgenError as e:
        finish(status="failed", error=str(e), message=str(e))
        raise
    except (KeyboardInterrupt, SystemExit):
        finish(status="interrupted", message=f"Interrupted. Resume it with `python -m vidgen resume {job_id}`.")
        raise
    except OSError as e:
        if e.errno == errno.ENOSPC:
            msg = ("Disk full while rendering: free some space in the data folder (VIDGEN_DATA_DIR) and "
                   f"resume with `python -m vidgen resume {job_id}`.")
        else:
            name = f"'{Path(str(e.filename)).name}'" if e.filename else "a file"  # a name, not the server's folders
            msg = f"Cannot read or write {name}: {e.strerror or e}."
        finish(status="failed", error=msg, message=msg)
        raise VidgenError(msg) from e
    except Exception as e:
        trace = store.settings.data_dir / "logs" / f"{job_id}.log"
        msg = f"Internal error: {e.__class__.__name__}: {without_paths(str(e))} (details in logs/{job_id}.log in the data folder)"
        try:
            trace.parent.mkdir(parents=True, exist_ok=True)
            trace.write_text(traceback.format_exc())
        except OSError:
            msg = f"Internal error: {e.__class__.__name__}: {without_paths(str(e))}"
        finish(status="failed", error=msg, message=msg)
        raise VidgenError(msg) from e
    finally:
        current_job.reset(token)
        with _cancel_lock:
            _cancel_events.pop(job_id, None)
    done = store.update_job(job_id, status="completed", finished=time.time(), progress=1.0,
                            stage=ctx._stage or "assembly", message="Done", result=result)
    ended("completed", "")
    return done
