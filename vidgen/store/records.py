"""Records: projects, jobs, the step cache and model state, each a TinyDB table of plain dicts.

Every read-modify-write runs in one `_tx()`, so it is atomic across threads and processes.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import socket
import time
from pathlib import Path
from typing import Any

from tinydb import where

from ..domain import JOB_STATUSES, Job, Project, from_dict, project_doc
from ..errors import VidgenError
from .base import StoreBase
from .storage import _plain, _size_ok, log

INTERRUPTED_MESSAGE = "Interrupted: the process that ran it stopped. Resume it with `python -m vidgen resume {id}`."


def pid_alive(pid: int, started: float | None) -> bool:
    """Whether `pid` on this host may still be the process that started a job at `started`."""
    if pid <= 0:
        return False
    if os.name == "nt":
        return True  # os.kill(pid, 0) would send Ctrl-C there; cannot tell cheaply, so leave the job alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    except OSError:
        return True  # cannot tell: leave the job alone
    # Linux only: a zombie is gone; a process that started well after the job is a reused pid
    # (after a reboot pids start over). The margin covers clock adjustments.
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        if fields[0] in ("Z", "X"):
            return False
        if started:
            btime = next(
                int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime ")
            )
            proc_start = btime + int(fields[19]) / os.sysconf("SC_CLK_TCK")
            if proc_start > float(started) + 60.0:
                return False
    except (OSError, ValueError, IndexError, StopIteration):
        pass
    return True


class Records(StoreBase):
    """The record half of the `Store`: projects, jobs, step cache, model state."""

    # --- projects -------------------------------------------------------------------------------

    def save_project(self, project: Project) -> Project:
        """Insert or replace by id; sets `updated` (and `created` when 0) on the given project."""
        _need_id(project.id, "project")
        with self._tx():
            old = self._get("projects", "id", project.id)
            now = time.time()
            if not project.created:
                project.created = (old or {}).get("created") or now
            project.updated = now
            self._put("projects", "id", _plain(project_doc(project)), old)
        return project

    def get_project(self, project_id: str) -> Project:
        with self._tx():
            doc = self._get("projects", "id", project_id)
        if doc is None:
            raise VidgenError(f"No project '{project_id}': run `python -m vidgen projects` to list them.")
        return from_dict(Project, doc)

    def list_projects(self) -> list[Project]:
        with self._tx():
            docs = self._table("projects").all()
        projects = [from_dict(Project, d) for d in docs]
        return sorted(projects, key=lambda p: p.updated, reverse=True)

    def project_docs(self) -> list[dict[str, Any]]:
        """Every project as stored (settings grouped), for a reader of a few fields of each, faster
        than building them (the library's uses). Read-only."""
        with self._tx():
            return [dict(d) for d in self._table("projects").all()]

    def delete_project(self, project_id: str) -> None:
        """Remove the project record (its jobs and shared assets stay)."""
        with self._tx():
            if not self._table("projects").remove(where("id") == project_id):
                raise VidgenError(f"No project '{project_id}': run `python -m vidgen projects` to list them.")

    # --- jobs -----------------------------------------------------------------------------------

    def save_job(self, job: Job) -> Job:
        """Insert or replace by id; sets `created` when 0 on the given job."""
        _need_id(job.id, "job")
        _check_status(job.status)
        with self._tx():
            old = self._get("jobs", "id", job.id)
            if not job.created:
                job.created = (old or {}).get("created") or time.time()
            self._put("jobs", "id", _plain(job), old)
        return job

    def get_job(self, job_id: str) -> Job:
        with self._tx():
            doc = self._get("jobs", "id", job_id)
        if doc is None:
            raise VidgenError(f"No job '{job_id}': run `python -m vidgen jobs` to list them.")
        return from_dict(Job, doc)

    def update_job(self, job_id: str, **fields: Any) -> Job:
        """Set some top-level fields of a job in one atomic read-modify-write."""
        unknown = set(fields) - {f.name for f in dataclasses.fields(Job)}
        if unknown or "id" in fields:
            raise TypeError(f"update_job cannot set {sorted(unknown | ({'id'} & set(fields)))}")
        if "status" in fields:
            _check_status(fields["status"])
        values = _plain(fields)
        with self._tx():
            doc = self._get("jobs", "id", job_id)
            if doc is None:
                raise VidgenError(f"No job '{job_id}': run `python -m vidgen jobs` to list them.")
            self._table("jobs").update(values, doc_ids=[doc.doc_id])
            doc.update(values)
            return from_dict(Job, copy.deepcopy(dict(doc)))

    def list_jobs(self, project_id: str | None = None) -> list[Job]:
        with self._tx():
            t = self._table("jobs")
            docs = t.all() if project_id is None else t.search(where("project_id") == project_id)
        jobs = [from_dict(Job, d) for d in docs]
        return sorted(jobs, key=lambda j: j.created, reverse=True)

    def job_summaries(self) -> list[dict[str, Any]]:
        """{id, project_id, kind, status, created, user} of every job, newest first: what a list of projects
        and the per-user limits need, without building each job and its steps."""
        with self._tx():
            docs = self._table("jobs").all()
        fields = ("id", "project_id", "kind", "status", "created", "user")
        return sorted(({f: d.get(f) for f in fields} for d in docs), key=lambda j: j["created"] or 0, reverse=True)

    def mark_interrupted(self) -> list[str]:
        """Jobs left `running` by a process of this host that is gone become `interrupted`; returns their ids.

        A job's `host` must be `socket.gethostname()` of the process running it ("" counts as this host).
        """
        host = socket.gethostname()
        with self._tx():
            t = self._table("jobs")
            stale = [
                d
                for d in t.search(where("status") == "running")
                if d.get("host", "") in ("", host) and not pid_alive(int(d.get("pid") or 0), d.get("started"))
            ]
            if stale:

                def flip(doc: dict[str, Any]) -> None:
                    doc["status"] = "interrupted"
                    doc["message"] = INTERRUPTED_MESSAGE.format(id=doc["id"])

                t.update(flip, doc_ids=[d.doc_id for d in stale])
        ids = [d["id"] for d in stale]
        if ids:
            log.info("Marked %d job(s) interrupted: %s", len(ids), ", ".join(ids))
        return ids

    # --- step cache -----------------------------------------------------------------------------

    def get_step(self, key: str) -> dict | None:
        """A cached step's record, or None when missing or any output file is gone or changed size."""
        with self._tx():
            steps = self._table("steps")
            doc = steps.get(where("key") == key)
            if doc is None:
                return None
            outputs = doc.get("outputs") or {}
            found = {d["id"]: d for d in self._table("assets").search(where("id").one_of(list(outputs.values())))}
            for role, asset_id in outputs.items():
                a = found.get(asset_id)
                if a is None or not _size_ok(self.data_dir / a["path"], a.get("size")):
                    steps.remove(doc_ids=[doc.doc_id])  # type: ignore[attr-defined]
                    log.info("Step cache entry %s (%s) dropped: its %s output is gone", key[:12], doc.get("name"), role)
                    return None
            return copy.deepcopy(dict(doc))

    def put_step(self, key: str, name: str, outputs: dict[str, str], data: dict | None = None) -> None:
        _need_id(key, "step")
        with self._tx():
            known = {d["id"] for d in self._table("assets").search(where("id").one_of(list(outputs.values())))}
            missing = sorted(set(outputs.values()) - known)
            if missing:
                raise ValueError(f"put_step({name!r}): unknown asset ids {missing}")
            doc = {"key": key, "name": name, "outputs": dict(outputs), "data": _plain(data or {}), "created": time.time()}
            self._put("steps", "key", doc, self._get("steps", "key", key))

    def step_uses(self, asset_id: str) -> bool:
        """Whether a cached step has this asset among its outputs (the cache needs its file)."""
        with self._tx():
            return bool(self._table("steps").search(
                where("outputs").test(lambda o: isinstance(o, dict) and asset_id in o.values())))

    # --- model state (downloaded / active / user-added models; the registry owns the meaning) ---

    def get_model_state(self, model_id: str) -> dict | None:
        with self._tx():
            doc = self._get("models", "id", model_id)
        return copy.deepcopy(dict(doc)) if doc is not None else None

    def set_model_state(self, model_id: str, **fields: Any) -> dict:
        """Merge `fields` into a model's state in one atomic read-modify-write; returns the new state."""
        _need_id(model_id, "model")
        if "id" in fields:
            raise TypeError("set_model_state cannot change the id")
        values = _plain(fields)
        with self._tx():
            old = self._get("models", "id", model_id)
            doc = {**(dict(old) if old is not None else {"id": model_id}), **values, "updated": time.time()}
            self._put("models", "id", doc, old)
        return copy.deepcopy(doc)

    def list_model_states(self) -> list[dict]:
        with self._tx():
            docs = self._table("models").all()
        return [copy.deepcopy(dict(d)) for d in docs]

    def delete_model_state(self, model_id: str) -> None:
        """Forget a model's state; a model with none is not an error."""
        with self._tx():
            self._table("models").remove(where("id") == model_id)


# --- checks -------------------------------------------------------------------------------------


def _need_id(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"A {what} needs a non-empty string id, not {value!r}")


def _check_status(status: str) -> None:
    if status not in JOB_STATUSES:
        raise ValueError(f"Unknown job status {status!r}: use one of {', '.join(JOB_STATUSES)}")
