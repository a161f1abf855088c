"""The store's file layer: `AtomicJSONStorage` (TinyDB's file, never torn) and small filesystem helpers.

Nothing here locks: the `Store` holds its locks around every use.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import logging
import marshal
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from tinydb.storages import Storage

from ..domain import to_dict
from ..errors import VidgenError

log = logging.getLogger("vidgen.store")  # one logger for the whole store package

_DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


# --- errors -------------------------------------------------------------------------------------


def _os_error(exc: OSError, doing: str, folder: Path) -> VidgenError:
    """One actionable line for a filesystem failure while `doing` something. The message reaches API
    callers, so it says "the data folder", never its path; the log (the operator's) has the path."""
    log.warning("%s while %s in %s", exc.strerror or exc, doing, folder)
    if exc.errno in _DISK_FULL:
        return VidgenError(f"Disk full while {doing}: free some space and run again.")
    if exc.errno in _NOT_WRITABLE:
        return VidgenError(
            f"Cannot write to the data folder ({exc.strerror or exc}) while {doing}: "
            "make the folder writable or point VIDGEN_DATA at another one."
        )
    return VidgenError(f"Failed while {doing} in the data folder: {exc.strerror or exc}.")


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



def _chmod_fd(fd: int, mode: int) -> None:
    if hasattr(os, "fchmod"):  # not on Windows
        with contextlib.suppress(OSError):
            os.fchmod(fd, mode)



# --- atomic storage -----------------------------------------------------------------------------


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a torn file.

    `write` goes to a temp file in the same folder (fsync), links the current good file to
    `<name>.bak`, renames the temp over the db file and fsyncs the folder. `read` falls back to
    the `.bak` copy when the main file does not parse, and raises `VidgenError` when neither does.

    Not process-safe by itself: callers hold a lock around read-modify-write (the `Store` does).
    Inside `session()` the parsed data is kept between TinyDB's reads, so one operation parses
    the file once; it is dropped when the session ends, as another process may write next.
    Between sessions the last parse is kept as marshal bytes under the file's stat key (every write
    renames a new inode into place): an unchanged file is read back 2.5x faster than JSON parses,
    and each read still gets objects of its own, so no caller can change what the next one reads.
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
        self._parsed: tuple[tuple, bytes] | None = None  # (stat key, marshal bytes) of the last good parse

    def forget_session(self) -> None:
        """No session open (a forked child: the parent's open one is not this process's)."""
        self._session, self._cache = 0, None

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
            if self._parsed is not None and self._parsed[0] == _stat_key(os.stat(self.path)):
                return marshal.loads(self._parsed[1])
            with open(self.path, "rb") as f:
                key = _stat_key(os.fstat(f.fileno()))
                raw = f.read()
        except FileNotFoundError:
            self._good = self._parsed = None
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
        self._keep(key, data)
        return data

    def _keep(self, key: tuple, data: Any) -> None:
        try:
            self._parsed = (key, marshal.dumps(data))
        except ValueError:  # a type marshal cannot write (only JSON's are expected): read the file next time
            self._parsed = None

    def _recover(self, key: tuple, why: Exception) -> dict[str, dict[str, Any]]:
        # Never start an empty database over a damaged one: that would silently wipe it.
        self._good = self._parsed = None
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
            self._keep(self._good, data)
        except BaseException as exc:
            # TinyDB changed it in place before a write that may not have happened
            self._cache = self._parsed = None
            with contextlib.suppress(OSError):
                _unlink_quiet(tmp)
            if isinstance(exc, OSError):
                raise _os_error(exc, "saving the database", folder) from exc
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
