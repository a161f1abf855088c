"""Jobs: their lifecycle in the store (`lifecycle`), the process's GPU lane (`lane`) and the
studio's queue of jobs with its worker threads (`queue`)."""

from __future__ import annotations

from .lane import LANE, GpuLane, gpu_lane
from .lifecycle import STAGE_WEIGHTS, EventFn, JobContext, new_job, request_cancel, run_job
from .queue import ENDED, EVENTS_PER_JOB, JOBS_WITH_EVENTS, JobQueue

__all__ = ["ENDED", "EVENTS_PER_JOB", "JOBS_WITH_EVENTS", "LANE", "STAGE_WEIGHTS", "EventFn", "GpuLane",
           "JobContext", "JobQueue", "gpu_lane", "new_job", "request_cancel", "run_job"]
