"""The store's core: one TinyDB file behind a thread lock and an inter-process file lock.

`StoreBase` opens the database and gives the parts of the `Store` (records, assets) their one way
in: `_tx()` around every operation, and a fresh `Table` per operation.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Any, Iterator, Self

import filelock
from tinydb import TinyDB, where
from tinydb.table import Document, Table

from ..config import Settings
from ..errors import VidgenError
from .storage import AtomicJSONStorage, _os_error

_instances: dict[tuple[int, Path], "StoreBase"] = {}
_instances_lock = threading.Lock()


def _replace_with(doc: dict[str, Any]):
    def replace(stored: dict[str, Any]) -> None:
        stored.clear()
        stored.update(doc)

    return replace


class StoreBase:
    """Opening, locking and table access; `Store` adds the records and assets on top."""

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
        self._make_locks()
        with self._tx():
            self._tidy()

    def _make_locks(self) -> None:
        """This process's locks (again in a forked child: a thread lock may be held by a parent's thread
        the child lacks, and filelock refuses a lock inherited across fork, e.g. a ZeroGPU section)."""
        self._pid = os.getpid()
        self._lock = threading.RLock()
        self._depth = 0
        self._storage.forget_session()
        lock_path = str(self.db_path) + ".lock"
        try:  # keep the lock file: unlinking lock files on release is a classic race
            self._flock = filelock.FileLock(lock_path, timeout=self.lock_timeout, preserve_lock_file=True)
        except TypeError:  # filelock < 4
            self._flock = filelock.FileLock(lock_path, timeout=self.lock_timeout)

    def _tidy(self) -> None:
        """Remove what a killed process left behind; runs under the lock when the store opens.
        Each part of the store that leaves files around extends it."""
        self._storage.clean_stale()

    @classmethod
    def open(cls, settings: Settings) -> Self:
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
        if self._pid != os.getpid():  # a forked child's first operation
            self._make_locks()
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
                    f"The data folder is busy: another vidgen process held its lock for "
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

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Several operations as one: the locks are held across them (re-entrant), so what is read
        inside cannot change before the writes inside (e.g. "delete this asset unless a project uses it")."""
        return self._tx()

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
