"""TinyDB document store: projects, assets (content-addressed files), jobs and the step cache.

One `Store` per database file per process (`Store.open`). Every operation runs under a thread
lock and an inter-process file lock, so the CLI and the web app can share a data folder, and
the JSON file is replaced atomically with the last good copy kept beside it as `<name>.bak`.

Layout: `storage` (the atomic JSON file and filesystem helpers), `base` (opening and locking),
`records` (projects, jobs, step cache, model state), `assets` (content-addressed files) and
`versions` (every finished render).
"""

from __future__ import annotations

from .assets import ASSET_TYPES, Assets
from .records import INTERRUPTED_MESSAGE, Records, pid_alive
from .storage import AtomicJSONStorage
from .versions import Versions

__all__ = ["ASSET_TYPES", "INTERRUPTED_MESSAGE", "AtomicJSONStorage", "Store", "pid_alive"]


class Store(Records, Assets, Versions):
    """Projects, jobs, assets, versions and the step cache of one data folder."""
