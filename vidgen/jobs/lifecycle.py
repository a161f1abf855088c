"""Job lifecycle: status in the store, a stream of progress events, cooperative cancel.

A job's work is a function of a JobContext. It reports progress per stage, calls
`check_cancel()` between steps (and inside long loops), and records each step it ran or took
from the cache. Cancel is a flag: an in-process Event for the same process, and the job record's
`cancel_requested` for another process (polled at most once a second).
"""

from __future__ import annotations

import errno
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
from ..store import Store

EventFn = Callable[[ProgressEvent], None]

STAGE_WEIGHTS = {"parse": 0.02, "images": 0.16, "voice": 0.2, "animation": 0.24, "music": 0.03, "assembly": 0.35,
                 "export": 0.0}  # a render that also exports (RenderWork.stage_weights) gives it a share
_PERSIST_EVERY = 1.0  # seconds between progress writes to the store
_POLL_EVERY = 1.0  # seconds between reads of another process's cancel request

_cancel_lock = threading.Lock()
_cancel_events: dict[str, threading.Event] = {}


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
        self._stage_base = 0.0
        self._last_persist = 0.0
        self._last_poll = time.monotonic()

    # progress ---------------------------------------------------------------------------
    def begin_stage(self, stage: str, message: str = "") -> None:
        if stage not in self._weights:
            raise ValueError(f"unknown stage {stage}")
        self._stage = stage
        self._stage_base = sum(self._weights.get(s, 0.0) for s in STAGES[: STAGES.index(stage)])
        self.progress(0.0, message or stage.capitalize(), force=True)

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
        steps = [*self.job.steps, StepRecord(name, scene, key, cached, round(seconds, 3))]
        self.job = self.store.update_job(self.job.id, steps=steps)


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

    def finish(**fields: Any) -> None:
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
        log = store.settings.data_dir / "logs" / f"{job_id}.log"
        msg = f"Internal error: {e.__class__.__name__}: {without_paths(str(e))} (details in logs/{job_id}.log in the data folder)"
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc())
        except OSError:
            msg = f"Internal error: {e.__class__.__name__}: {without_paths(str(e))}"
        finish(status="failed", error=msg, message=msg)
        raise VidgenError(msg) from e
    finally:
        with _cancel_lock:
            _cancel_events.pop(job_id, None)
    return store.update_job(job_id, status="completed", finished=time.time(), progress=1.0,
                            stage=ctx._stage or "assembly", message="Done", result=result)
