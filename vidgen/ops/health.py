"""The ready checks: the store opens, ffmpeg runs, the queue accepts a job.

`/ready` answers them for a served studio and `python -m vidgen doctor` prints them. Each check is
quick (a read, a one-byte write, a one-frame encode) and says what failed in words that name no
folder of the server.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import VidgenError, without_paths
from ..jobs import JobQueue
from ..media import ffmpeg_exe, run_child
from ..store import Store

# One frame of gray through libx264, the encoder of every master film.
TRIAL = ["-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=gray:s=64x64:d=0.04:r=25",
         "-frames:v", "1", "-c:v", "libx264", "-preset", "ultrafast", "-f", "null", "-"]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: an optional thing this machine does not have (NVENC, a CUDA device)
    detail: str
    ready: bool = True  # a ready check (fails /ready and doctor); False: what doctor also reports

    @property
    def line(self) -> str:
        return f"{'ok' if self.ok else 'no' if self.ok is None else 'FAIL'}: {self.detail}"


def _reason(e: BaseException) -> str:
    if isinstance(e, OSError):
        return without_paths(e.strerror or str(e))
    return without_paths(str(e)) or e.__class__.__name__


def check_store(store: Store) -> Check:
    """The store reads under its locks and the data folder takes a write."""
    try:
        jobs = len(store.job_summaries())
    except (OSError, VidgenError) as e:
        return Check("store", False, f"the store cannot be read: {_reason(e)}")
    try:
        with tempfile.NamedTemporaryFile(dir=store.data_dir, prefix=".ready-") as f:
            f.write(b"ok")
            f.flush()
    except OSError as e:
        return Check("store", False, f"the data folder cannot be written: {_reason(e)}")
    return Check("store", True, f"opens and reads ({jobs} jobs); the data folder is writable")


def check_ffmpeg() -> Check:
    """A one-frame libx264 encode with the ffmpeg renders use (VIDGEN_FFMPEG or imageio-ffmpeg's)."""
    exe = ffmpeg_exe()
    t0 = time.monotonic()
    try:
        r = run_child([exe, *TRIAL], text=True)
    except OSError as e:
        return Check("ffmpeg", False, f"ffmpeg ({Path(exe).name}) cannot be run: {_reason(e)}")
    if r.returncode != 0:
        said = next((ln.strip() for ln in reversed(r.stderr.splitlines()) if ln.strip()), f"exit status {r.returncode}")
        return Check("ffmpeg", False, f"a one-frame libx264 encode failed: {without_paths(said)[:200]}")
    return Check("ffmpeg", True, f"a one-frame libx264 encode ran in {time.monotonic() - t0:.2f} s")


def queue_state(queue: JobQueue) -> tuple[int, bool]:
    """(jobs waiting in this process's queue, whether it is shutting down)."""
    return queue.depth(), not queue.accepting


def check_queue(queue: JobQueue) -> Check:
    """The queue would take a job now: it is not shutting down and has room."""
    waiting, stopping = queue_state(queue)
    if stopping:
        return Check("queue", False, "the job queue is shutting down")
    if waiting >= queue.max_queued:
        return Check("queue", False, f"the job queue is full ({waiting} of {queue.max_queued} waiting)")
    slots = f"{queue.gpu_slots} GPU slot" + ("s" if queue.gpu_slots != 1 else "")
    return Check("queue", True, f"accepts jobs ({waiting} of {queue.max_queued} waiting, {slots})")


def ready_checks(store: Store, queue: JobQueue) -> list[Check]:
    return [check_store(store), check_ffmpeg(), check_queue(queue)]


def report(checks: list[Check]) -> dict[str, Any]:
    """{"ready": every ready check passed, "checks": {name: {"ok", "detail"}}}: /ready's body."""
    return {"ready": all(c.ok is True for c in checks if c.ready),
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}}


def free_bytes(folder: str | os.PathLike) -> int:
    """Free disk at `folder` (its nearest existing parent), 0 when unknown."""
    path = Path(folder)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        st = os.statvfs(path)
    except OSError:
        return 0
    return st.f_bavail * st.f_frsize
