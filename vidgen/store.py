"""TinyDB document store: projects, assets (content-addressed files), jobs and the step cache.

One `Store` per database file per process (`Store.open`). Every operation runs under a thread
lock and an inter-process file lock, so the CLI and the web app can share a data folder, and
the JSON file is replaced atomically with the last good copy kept beside it as `<name>.bak`.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import errno
import hashlib
import json
import logging
import os
import secrets
import shutil
import socket
import stat
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import filelock
from tinydb import TinyDB, where
from tinydb.storages import Storage
from tinydb.table import Document, Table

from .config import Settings
from .domain import JOB_STATUSES, Asset, Job, Project, from_dict, to_dict
from .errors import VidgenError

log = logging.getLogger(__name__)

ASSET_TYPES = ("image", "audio", "video", "subtitles", "script", "data")
INTERRUPTED_MESSAGE = "Interrupted: the process that ran it stopped. Resume it with `python -m vidgen resume {id}`."
_CHUNK = 1 << 20
_INCOMING = ".incoming"  # temp files of assets being added, inside assets_dir (same filesystem)
_INCOMING_MAX_AGE = 3600.0  # older leftovers there come from a killed writer
_DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


# --- errors -------------------------------------------------------------------------------------


def _os_error(exc: OSError, doing: str, folder: Path) -> VidgenError:
    """One actionable line for a filesystem failure while `doing` something."""
    if exc.errno in _DISK_FULL:
        return VidgenError(f"Disk full while {doing}: free some space and run again.")
    if exc.errno in _NOT_WRITABLE:
        return VidgenError(
            f"Cannot write to {folder} ({exc.strerror or exc}) while {doing}: "
            "make the folder writable or point VIDGEN_DATA at another one."
        )
    return VidgenError(f"Failed while {doing} in {folder}: {exc.strerror or exc}.")


# --- small filesystem helpers -------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not every platform can open a folder.
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some network/FUSE filesystems refuse; the data is already in place
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def _unlink_quiet(path: str | Path | None) -> None:
    if path is None:
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    # Every write renames a new inode into place, so the inode alone changes on each write.
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _parse_db(raw: bytes) -> dict[str, dict[str, Any]]:
    data = json.loads(raw)
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError("not a TinyDB document: the top level must map table names to tables")
    return data


def _dump_db(data: Any) -> bytes:
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (e.g. undecodable file names) only survive escaped
        return json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _plain(value: Any) -> Any:
    """JSON-ready copy: dataclasses become dicts, paths strings, tuples lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(to_dict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _size_ok(path: Path, size: Any) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    return not isinstance(size, int) or size <= 0 or st.st_size == size


def _clean_ext(ext: str, *, strict: bool = True) -> str:
    """".png" from "png"/".PNG"; asset file names stay plain ASCII."""
    ext = ext.strip().lower()
    if ext and not ext.startswith("."):
        ext = "." + ext
    if len(ext) > 16 or not all(c.isascii() and (c.isalnum() or c == ".") for c in ext[1:]):
        if strict:
            raise ValueError(f"Unusable file extension {ext!r}")
        return ""  # a user's odd suffix: the bytes are what matter
    return ext


def _chmod_fd(fd: int, mode: int) -> None:
    if hasattr(os, "fchmod"):  # not on Windows
        with contextlib.suppress(OSError):
            os.fchmod(fd, mode)


def _pid_alive(pid: int, started: float | None) -> bool:
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


# --- atomic storage -----------------------------------------------------------------------------


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a torn file.

    `write` goes to a temp file in the same folder (fsync), links the current good file to
    `<name>.bak`, renames the temp over the db file and fsyncs the folder. `read` falls back to
    the `.bak` copy when the main file does not parse, and raises `VidgenError` when neither does.

    Not process-safe by itself: callers hold a lock around read-modify-write (the `Store` does).
    Inside `session()` the parsed data is kept between TinyDB's reads, so one operation parses
    the file once; it is dropped when the session ends, as another process may write next.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        super().__init__()
        self.path = Path(path)
        self.backup = self.path.with_name(self.path.name + ".bak")
        self.temp_prefix = f".{self.path.name}.tmp-"
        self._session = 0
        self._cache: dict[str, Any] | None = None
        self._good: tuple | None = None  # stat key of the main file when it last parsed
        self._warned: tuple | None = None

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        self._session += 1
        try:
            yield
        finally:
            self._session -= 1
            if not self._session:
                self._cache = None

    def clean_stale(self) -> int:
        """Remove temp files a killed writer left. Call it holding the lock (a live writer's temp file is in use)."""
        removed = 0
        for p in self.path.parent.glob(self.temp_prefix + "*"):
            with contextlib.suppress(OSError):
                p.unlink()
                removed += 1
        if removed:
            log.info("Removed %d stale temp file(s) next to %s", removed, self.path)
        return removed

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._cache is not None:
            return self._cache
        data = self._load()
        if self._session:
            self._cache = data
        return data

    def _load(self) -> dict[str, dict[str, Any]] | None:
        try:
            with open(self.path, "rb") as f:
                key = _stat_key(os.fstat(f.fileno()))
                raw = f.read()
        except FileNotFoundError:
            self._good = None
            return None  # a new database
        except OSError as exc:
            raise VidgenError(f"Cannot read the database {self.path}: {exc.strerror or exc}. Check its permissions.") from exc
        if not raw.strip() and not self.backup.exists():
            self._good = None
            return None
        try:
            data = _parse_db(raw)
        except ValueError as exc:
            return self._recover(key, exc)
        self._good = key
        return data

    def _recover(self, key: tuple, why: Exception) -> dict[str, dict[str, Any]]:
        # Never start an empty database over a damaged one: that would silently wipe it.
        self._good = None
        try:
            raw = self.backup.read_bytes()
        except FileNotFoundError:
            raise VidgenError(
                f"The database {self.path} is damaged and there is no backup ({self.backup.name}): "
                "restore it from your own backup, or move it aside to start an empty database."
            ) from why
        except OSError as exc:
            raise VidgenError(f"The database {self.path} is damaged and its backup {self.backup} cannot be read: {exc.strerror or exc}.") from exc
        try:
            data = _parse_db(raw)
        except ValueError as exc:
            raise VidgenError(
                f"The database {self.path} is damaged and so is its backup {self.backup}: "
                "restore one of them from your own backup, or move both aside to start an empty database."
            ) from exc
        if self._warned != key:
            self._warned = key
            log.warning("The database %s is damaged (%s); using its last good copy %s. The next save repairs it.", self.path, why, self.backup)
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        folder = self.path.parent
        tmp: str | None = None
        try:
            payload = _dump_db(data)
            fd, tmp = tempfile.mkstemp(prefix=self.temp_prefix, dir=folder)
            with os.fdopen(fd, "wb") as f:
                with contextlib.suppress(OSError):  # keep the db file's permissions (mkstemp makes 0600)
                    _chmod_fd(f.fileno(), os.stat(self.path).st_mode & 0o777)
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            self._backup_current()
            os.replace(tmp, self.path)
            tmp = None
            _fsync_dir(folder)
            self._good = _stat_key(os.stat(self.path))
        except BaseException as exc:
            self._cache = None  # TinyDB changed it in place before a write that may not have happened
            with contextlib.suppress(OSError):
                _unlink_quiet(tmp)
            if isinstance(exc, OSError):
                raise _os_error(exc, f"saving the database {self.path}", folder) from exc
            raise
        if self._session:
            self._cache = data

    def _backup_current(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return
        if _stat_key(st) != self._good:
            # Content we did not parse (e.g. the damaged file we recovered from): only a good file may become the backup.
            try:
                _parse_db(self.path.read_bytes())
            except (OSError, ValueError):
                return
        link = self.path.parent / f"{self.temp_prefix}bak-{secrets.token_hex(6)}"
        try:
            try:
                os.link(self.path, link)  # costs no copy; the main file is never modified in place
            except OSError as exc:
                if exc.errno in _DISK_FULL:
                    raise
                shutil.copyfile(self.path, link)
                with open(link, "rb") as f:
                    os.fsync(f.fileno())
            os.replace(link, self.backup)
        except BaseException:
            _unlink_quiet(link)
            raise


# --- the store ----------------------------------------------------------------------------------

_instances: dict[tuple[int, Path], "Store"] = {}
_instances_lock = threading.Lock()


def _replace_with(doc: dict[str, Any]):
    def replace(stored: dict[str, Any]) -> None:
        stored.clear()
        stored.update(doc)

    return replace


class Store:
    """Projects, jobs, assets and the step cache of one data folder."""

    lock_timeout = 60.0  # seconds to wait for another process's operation

    def __init__(self, settings: Settings, *, lock_timeout: float | None = None) -> None:
        self.settings = settings
        self.data_dir = Path(settings.data_dir)
        self.db_path = Path(settings.db_path)
        if lock_timeout is not None:
            self.lock_timeout = lock_timeout
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, "creating the data folder", self.data_dir) from exc
        # Private: tables must only be touched under `_tx`.
        self._db = TinyDB(self.db_path, storage=AtomicJSONStorage)
        self._storage: AtomicJSONStorage = self._db.storage  # type: ignore[assignment]
        self._lock = threading.RLock()
        self._depth = 0
        lock_path = str(self.db_path) + ".lock"
        try:  # keep the lock file: unlinking lock files on release is a classic race
            self._flock = filelock.FileLock(lock_path, timeout=self.lock_timeout, preserve_lock_file=True)
        except TypeError:  # filelock < 4
            self._flock = filelock.FileLock(lock_path, timeout=self.lock_timeout)
        with self._tx():
            self._storage.clean_stale()
            self._clean_incoming()

    @classmethod
    def open(cls, settings: Settings) -> "Store":
        """The process's shared store of this data folder."""
        # Keyed by pid too: a forked child must not reuse the parent's locks.
        key = (os.getpid(), Path(settings.db_path).resolve())
        with _instances_lock:
            store = _instances.get(key)
            if store is None:
                store = _instances[key] = cls(settings)
            return store

    # --- locking --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _tx(self) -> Iterator[None]:
        """Hold both locks for one operation (re-entrant); the file is parsed at most once inside."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            try:
                self._flock.acquire(timeout=self.lock_timeout)
            except filelock.Timeout:
                raise VidgenError(
                    f"The data folder {self.data_dir} is busy: another vidgen process held its lock for "
                    f"{self.lock_timeout:.0f} s. Wait for it to finish or stop it, then run again."
                ) from None
            except OSError as exc:
                raise _os_error(exc, "locking the database", self.data_dir) from exc
            self._depth = 1
            try:
                with self._storage.session():
                    yield
            finally:
                self._depth = 0
                self._flock.release()

    def _table(self, name: str) -> Table:
        # A fresh Table per operation: TinyDB caches query results and the next doc id per Table
        # object, and both go stale once another process writes the file.
        return Table(self._storage, name, cache_size=0)

    def _get(self, table: str, field: str, value: str) -> Document | None:
        return self._table(table).get(where(field) == value)  # type: ignore[return-value]

    def _put(self, table: str, field: str, doc: dict[str, Any], old: Document | None) -> None:
        t = self._table(table)
        if old is not None:
            t.update(_replace_with(doc), doc_ids=[old.doc_id])
        else:
            t.insert(doc)

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
            self._put("projects", "id", _plain(project), old)
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
                if d.get("host", "") in ("", host) and not _pid_alive(int(d.get("pid") or 0), d.get("started"))
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

    # --- assets ---------------------------------------------------------------------------------

    def add_file(
        self,
        src: str | Path,
        *,
        type: str,
        name: str = "",
        meta: dict | None = None,
        move: bool = False,
    ) -> Asset:
        """Store a file by its SHA-256; the same bytes give the same asset (the first record wins).

        `move=True` hands the file over: it is renamed into place when it is on the same
        filesystem (copied otherwise) and is gone afterwards, also when it was a duplicate.
        """
        src = Path(src)
        _check_type(type)
        label = name or src.name
        ext = _clean_ext(src.suffix, strict=False)
        if not src.exists():
            raise VidgenError(f"No file at {src}: check the path.")
        if not src.is_file():
            raise VidgenError(f"{src} is not a file: pick a file, not a folder.")
        try:
            st = src.lstat()
            with open(src, "rb"):
                pass
        except OSError as exc:
            raise VidgenError(f"Cannot read {src}: {exc.strerror or exc}.") from exc
        incoming = self._incoming()
        tmp: Path | None = None
        moved = False
        try:
            # A symlink or a hard-linked file is copied: the asset must own its bytes.
            if move and stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
                tmp = incoming / f".tmp-{secrets.token_hex(8)}{ext}"
                try:
                    os.replace(src, tmp)
                    moved = True
                except OSError:  # another filesystem (EXDEV) or a folder we may not change: copy
                    tmp = None
            if moved:
                assert tmp is not None
                sha, size = _hash_and_sync(tmp)
            else:
                tmp, sha, size = _copy_in(src, incoming, ext)
            asset = self._place(tmp, sha, size, ext, type, label, meta)
            tmp = None
            if move and not moved:
                try:
                    src.unlink()
                except OSError as exc:  # the asset is stored; a leftover source is harmless
                    log.warning("Stored %s but could not remove it: %s", src, exc)
            return asset
        except BaseException as exc:
            if tmp is not None:
                if moved:  # give the caller's file back rather than lose it
                    with contextlib.suppress(OSError):
                        os.replace(tmp, src)
                else:
                    with contextlib.suppress(OSError):
                        _unlink_quiet(tmp)
            if isinstance(exc, OSError):
                raise _os_error(exc, f"storing {label}", self.settings.assets_dir) from exc
            raise

    def add_bytes(self, data: bytes, *, type: str, ext: str, name: str = "", meta: dict | None = None) -> Asset:
        _check_type(type)
        ext = _clean_ext(ext)
        sha = hashlib.sha256(data).hexdigest()
        label = name or f"{sha[:12]}{ext}"
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=ext, dir=self._incoming())
            with os.fdopen(fd, "wb") as f:
                _chmod_fd(f.fileno(), 0o644)
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            asset = self._place(Path(tmp), sha, len(data), ext, type, label, meta)
            tmp = None
            return asset
        except BaseException as exc:
            with contextlib.suppress(OSError):
                _unlink_quiet(tmp)
            if isinstance(exc, OSError):
                raise _os_error(exc, f"storing {label}", self.settings.assets_dir) from exc
            raise

    def _place(self, tmp: Path, sha: str, size: int, ext: str, type: str, name: str, meta: dict | None) -> Asset:
        """Rename a synced temp file into its content address and record it (file first, then record)."""
        rel = (self.settings.assets_dir / sha[:2] / f"{sha}{ext}").relative_to(self.data_dir).as_posix()
        with self._tx():
            old = self._get("assets", "id", sha)
            if old is not None:
                dest = self.data_dir / old["path"]
                if _size_ok(dest, old.get("size")):
                    tmp.unlink()
                    return from_dict(Asset, old)
                # The record's file went missing: these bytes are exactly what it needs.
            else:
                dest = self.data_dir / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, dest)
            try:
                _fsync_dir(dest.parent)
                if old is not None:
                    return from_dict(Asset, old)
                asset = Asset(id=sha, path=rel, type=type, size=size, created=time.time(), name=name, meta=_plain(meta or {}))
                self._put("assets", "id", to_dict(asset), None)
                return asset
            except BaseException:
                with contextlib.suppress(OSError):  # back to the temp name, so the caller can undo (or give a moved file back)
                    os.replace(dest, tmp)
                raise

    def get_asset(self, asset_id: str) -> Asset:
        with self._tx():
            doc = self._get("assets", "id", asset_id)
        if doc is None:
            raise VidgenError(f"No asset '{asset_id}' in {self.data_dir}: add the file again.")
        return from_dict(Asset, doc)

    def asset_path(self, asset_id_or_asset: str | Asset) -> Path:
        """Absolute path of an asset's file; raises when the file is gone."""
        a = asset_id_or_asset if isinstance(asset_id_or_asset, Asset) else self.get_asset(asset_id_or_asset)
        path = self.data_dir / a.path
        if not path.is_file():
            raise VidgenError(
                f"The file of asset '{a.name or a.id[:12]}' is missing ({path}): add it again or re-run the step that made it."
            )
        return path

    def list_assets(self, type: str | None = None) -> list[Asset]:
        with self._tx():
            t = self._table("assets")
            docs = t.all() if type is None else t.search(where("type") == type)
        return sorted((from_dict(Asset, d) for d in docs), key=lambda a: a.created, reverse=True)

    def _incoming(self) -> Path:
        folder = self.settings.assets_dir / _INCOMING
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, "preparing the assets folder", self.settings.assets_dir) from exc
        return folder

    def _clean_incoming(self) -> None:
        # Age-based: another process may be copying a large file in right now without the db lock.
        folder = self.settings.assets_dir / _INCOMING
        if not folder.is_dir():
            return
        cutoff = time.time() - _INCOMING_MAX_AGE
        for p in folder.iterdir():
            with contextlib.suppress(OSError):
                if p.lstat().st_mtime < cutoff:
                    p.unlink()

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


# --- asset helpers ------------------------------------------------------------------------------


def _copy_in(src: Path, folder: Path, ext: str) -> tuple[Path, str, int]:
    """Copy `src` to a synced temp file in `folder`, hashing on the way (one read of the source)."""
    h = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=ext, dir=folder)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
            _chmod_fd(out.fileno(), 0o644)
            while chunk := f.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        _unlink_quiet(tmp)
        raise
    return Path(tmp), h.hexdigest(), size


def _hash_and_sync(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
        os.fsync(f.fileno())  # the producer may not have synced what it handed over
    return h.hexdigest(), size


def _need_id(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"A {what} needs a non-empty string id, not {value!r}")


def _check_status(status: str) -> None:
    if status not in JOB_STATUSES:
        raise ValueError(f"Unknown job status {status!r}: use one of {', '.join(JOB_STATUSES)}")


def _check_type(type: str) -> None:
    if type not in ASSET_TYPES:
        raise ValueError(f"Unknown asset type {type!r}: use one of {', '.join(ASSET_TYPES)}")
