"""Assets: content-addressed files under the data folder, one record per distinct content (SHA-256).

A file is written to a synced temp file in `<assets_dir>/.incoming` (the same filesystem), renamed
into `<assets_dir>/<sha[:2]>/<sha><ext>`, and only then recorded, so a record always has its file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
import tempfile
import time
from pathlib import Path
from typing import Callable

from tinydb import where

from ..domain import Asset, from_dict, to_dict
from ..errors import VidgenError
from .base import StoreBase
from .storage import _chmod_fd, _fsync_dir, _os_error, _plain, _size_ok, _unlink_quiet, log

ASSET_TYPES = ("image", "audio", "video", "subtitles", "script", "data")
_CHUNK = 1 << 20
_INCOMING = ".incoming"  # temp files of assets being added, inside assets_dir (same filesystem)
_INCOMING_MAX_AGE = 3600.0  # older leftovers there come from a killed writer


class Assets(StoreBase):
    """The asset half of the `Store`."""

    def _tidy(self) -> None:
        super()._tidy()
        self._clean_incoming()

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
            # By id only: the message reaches API callers, who must not learn the server's folders.
            raise VidgenError(f"No asset {_shown_id(asset_id)}: add the file again (upload it).")
        return from_dict(Asset, doc)

    def asset_path(self, asset_id_or_asset: str | Asset) -> Path:
        """Absolute path of an asset's file; raises when the file is gone."""
        a = asset_id_or_asset if isinstance(asset_id_or_asset, Asset) else self.get_asset(asset_id_or_asset)
        path = self.data_dir / a.path
        if not path.is_file():
            log.warning("The file of asset %s is missing: %s", a.id, path)
            raise VidgenError(f"The file of asset '{a.name or a.id[:12]}' is missing from the data folder: add it "
                              "again or re-run the step that made it.")
        return path

    def update_asset(self, asset_id: str, *, name: str | None = None, meta: dict | None = None) -> Asset:
        """Replace an asset's display name and/or its meta in one atomic write; the id, file and type stay."""
        with self._tx():
            doc = self._get("assets", "id", asset_id)
            if doc is None:
                raise VidgenError(f"No asset {_shown_id(asset_id)}: add the file again (upload it).")
            new = dict(doc)
            if name is not None:
                new["name"] = name
            if meta is not None:
                new["meta"] = _plain(meta)
            self._put("assets", "id", new, doc)
            return from_dict(Asset, new)

    def delete_asset(self, asset_id: str) -> bool:
        """Forget an asset; its file goes too unless another record has that path. Returns whether
        the file was removed. The caller checks first that nothing needs it (vidgen/library.py)."""
        with self._tx():
            doc = self._get("assets", "id", asset_id)
            if doc is None:
                raise VidgenError(f"No asset {_shown_id(asset_id)}: add the file again (upload it).")
            t = self._table("assets")
            t.remove(doc_ids=[doc.doc_id])
            if t.search(where("path") == doc["path"]):
                return False
            # Record first, then file: a record never points at a missing file; a file left by a
            # failed unlink is an orphan that the same bytes, added again, simply replace.
            try:
                (self.data_dir / doc["path"]).unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("Forgot asset %s but could not remove its file: %s", asset_id, exc)
                return False
            return True

    def list_assets(self, type: str | None = None, *, match: Callable[[dict], bool] | None = None) -> list[Asset]:
        """Newest first; `match(doc)` picks records by their stored dict before they are built (cheap)."""
        with self._tx():
            t = self._table("assets")
            docs = t.all() if type is None else t.search(where("type") == type)
        if match is not None:
            docs = [d for d in docs if match(d)]
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


# --- helpers ------------------------------------------------------------------------------------


def _shown_id(asset_id: object) -> str:
    """An asset id as a message quotes it: a caller's long or odd value cut short."""
    text = repr(asset_id) if not isinstance(asset_id, str) else f"'{asset_id}'"
    return text if len(text) <= 80 else text[:76] + "...'"


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


def _check_type(type: str) -> None:
    if type not in ASSET_TYPES:
        raise ValueError(f"Unknown asset type {type!r}: use one of {', '.join(ASSET_TYPES)}")
