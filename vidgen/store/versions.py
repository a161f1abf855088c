"""Versions: every finished render of a project, kept as a record (the project as rendered, its
outputs, timings and steps) in its own TinyDB table; numbered per project."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from tinydb import where

from ..domain import Version, from_dict
from ..errors import VidgenError
from .base import StoreBase
from .storage import _plain

MAX_NAME = 80


class Versions(StoreBase):
    """The version half of the `Store`."""

    def save_version(self, version: Version) -> Version:
        """Insert a new version (numbered after the project's last) or replace one by id."""
        with self._tx():
            t = self._table("versions")
            old = self._get("versions", "id", version.id)
            if old is None and not version.number:
                version.number = 1 + max((d.get("number", 0) for d in t.search(where("project_id") == version.project_id)),
                                         default=0)
            self._put("versions", "id", _plain(dataclasses.asdict(version)), old)
        return version

    def get_version(self, version_id: str) -> Version:
        with self._tx():
            doc = self._get("versions", "id", version_id)
        if doc is None:
            raise VidgenError(f"No version '{str(version_id)[:40]}': list a project's versions to find one.")
        return from_dict(Version, copy.deepcopy(dict(doc)))

    def list_versions(self, project_id: str) -> list[Version]:
        """A project's versions, newest first."""
        with self._tx():
            docs = self._table("versions").search(where("project_id") == project_id)
        return sorted((from_dict(Version, d) for d in docs), key=lambda v: v.number, reverse=True)

    def update_version(self, version_id: str, **fields: Any) -> Version:
        allowed = {"name"}
        if set(fields) - allowed:
            raise TypeError(f"update_version cannot set {sorted(set(fields) - allowed)}")
        with self._tx():
            doc = self._get("versions", "id", version_id)
            if doc is None:
                raise VidgenError(f"No version '{str(version_id)[:40]}': list a project's versions to find one.")
            self._table("versions").update(_plain(fields), doc_ids=[doc.doc_id])
            doc.update(fields)
            return from_dict(Version, copy.deepcopy(dict(doc)))

    def add_version_output(self, version_id: str, role: str, path: str, asset: str) -> Version:
        """Keep one more file with a version (an export): its path in the data folder and its asset."""
        with self._tx():
            doc = self._get("versions", "id", version_id)
            if doc is None:
                raise VidgenError(f"No version '{str(version_id)[:40]}': list a project's versions to find one.")
            fields = {"outputs": {**doc.get("outputs", {}), role: path}, "assets": {**doc.get("assets", {}), role: asset}}
            self._table("versions").update(_plain(fields), doc_ids=[doc.doc_id])
            doc.update(fields)
            return from_dict(Version, copy.deepcopy(dict(doc)))

    def version_docs(self) -> list[dict[str, Any]]:
        """Every version as stored, for a reader of a few fields (the library's uses). Read-only."""
        with self._tx():
            return [dict(d) for d in self._table("versions").all()]

    def delete_version(self, version_id: str) -> None:
        with self._tx():
            if not self._table("versions").remove(where("id") == version_id):
                raise VidgenError(f"No version '{str(version_id)[:40]}': list a project's versions to find one.")


__all__ = ["Versions", "MAX_NAME"]
