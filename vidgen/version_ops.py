"""Versions of a project as plain data for the studio and the API (the Studio inherits `VersionOps`):
every finished render is one (recorded by pipeline/render.py); list, name, compare, restore, delete.

    diff = studio.compare_versions(a, b)   # {"settings": [{name, a, b}], "scenes": [...], "videos": [a, b]}

Restoring puts the version's script, settings, scenes and characters back into the project (checked
as a save is) and its film back as the project's result; the steps it was made from are still in the
cache, so rendering it again costs nothing. Deleting a version removes its named copies under
renders/<job>/ and, when no other version and not the project itself uses them, the film's files.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict
from typing import Any, Callable

from .domain import Project, Version, from_dict
from .edits import need_id
from .errors import VidgenError
from .library import in_library, usage_index
from .store import Store
from .store.versions import MAX_NAME

SCENE_FIELDS_SHOWN = ("heading", "lines", "visual", "mood", "motion", "transition", "image", "image_model", "style",
                      "animation_model", "grade", "captions", "sounds", "sound_files", "overlays", "duration",
                      "min_duration")


class VersionOps:
    store: Store
    save_project: Callable[[dict], dict]
    busy: Callable[[str], list[str]]

    def list_versions(self, project_id: str) -> list[dict]:
        """A project's versions, newest first: {id, number, name, created, duration, seconds, scenes,
        video, ran, cached}."""
        project = self.store.get_project(need_id(project_id, "project"))
        return [self._version_row(v) for v in self.store.list_versions(project.id)]

    def get_version(self, version_id: str) -> dict:
        """One version in full: its row, the project as rendered and its steps."""
        v = self.store.get_version(need_id(version_id, "version"))
        return {**self._version_row(v), "project": v.project, "steps": v.steps, "outputs": self._paths(v)}

    def name_version(self, version_id: str, name: str) -> dict:
        v = self.store.get_version(need_id(version_id, "version"))
        if not isinstance(name, str):
            raise VidgenError(f"A version's name is text, not {type(name).__name__}.")
        name = " ".join(name.split())
        if len(name) > MAX_NAME:
            raise VidgenError(f"The name is {len(name)} characters long: use at most {MAX_NAME}.")
        return self._version_row(self.store.update_version(v.id, name=name))

    def compare_versions(self, a: str, b: str) -> dict:
        """What changed from version `a` to `b`: settings ({name, a, b}), scenes ({number, change:
        added | removed | changed, fields}), whether the script or title changed, and both films."""
        va, vb = (self.store.get_version(need_id(x, "version")) for x in (a, b))
        if va.project_id != vb.project_id:
            raise VidgenError("Compare two versions of one project: these belong to different projects.")
        pa, pb = (from_dict(Project, v.project) for v in (va, vb))
        sa, sb = asdict(pa.settings), asdict(pb.settings)
        settings = [{"name": k, "a": sa[k], "b": sb.get(k)} for k in sa if sa[k] != sb.get(k)]
        scenes = []
        for n in range(1, max(len(pa.scenes), len(pb.scenes)) + 1):
            x = asdict(pa.scenes[n - 1]) if n <= len(pa.scenes) else None
            y = asdict(pb.scenes[n - 1]) if n <= len(pb.scenes) else None
            if x is None or y is None:
                scenes.append({"number": n, "change": "added" if x is None else "removed", "fields": []})
                continue
            changed = [f for f in SCENE_FIELDS_SHOWN if x.get(f) != y.get(f)]
            if changed:
                scenes.append({"number": n, "change": "changed", "fields": changed})
        characters = sorted({c.name for c in pa.characters} ^ {c.name for c in pb.characters})
        return {"a": self._version_row(va), "b": self._version_row(vb), "settings": settings, "scenes": scenes,
                "script": pa.script != pb.script, "title": pa.title != pb.title, "characters": characters,
                "videos": [self._paths(va).get("video", ""), self._paths(vb).get("video", "")]}

    def restore_version(self, version_id: str) -> dict:
        """Put a version's script, title, settings, scenes and characters back into its project, and its
        film back as the project's result. Returns the project."""
        v = self.store.get_version(need_id(version_id, "version"))
        busy = self.busy(v.project_id)
        if busy:
            raise VidgenError(f"The project has a render in progress (job {busy[0]}): wait for it or cancel it, "
                              "then restore the version.")
        old = from_dict(Project, v.project)
        doc = asdict(old)  # as get_project answers it, which save_project takes back
        restored = self.save_project({"id": v.project_id, "title": doc["title"], "settings": doc["settings"],
                                      "scenes": doc["scenes"], "characters": doc["characters"]})
        project = self.store.get_project(v.project_id)
        project.script, project.form = old.script, old.form
        project.outputs = {**v.outputs, "job": v.id} if self._paths(v) else {}
        self.store.save_project(project)
        return {**restored, "script": project.script}

    def delete_version(self, version_id: str) -> dict:
        """Delete a version and free its files: the named copies, and the film's own files when nothing
        else (another version, the project's current result) uses them. Returns {"deleted", "freed"}."""
        v = self.store.get_version(need_id(version_id, "version"))
        project = self.store.get_project(v.project_id)
        if project.outputs.get("job") == v.id and self.busy(v.project_id):
            raise VidgenError("The project's current film is being replaced by a render: wait for it to end.")
        # The project's current result is itself a version: this one (cleared below) or one of the others.
        kept = {a for o in self.store.list_versions(v.project_id) if o.id != v.id for a in o.assets.values()}
        freed = 0
        folder = self.store.settings.data_dir / "renders" / v.id
        if folder.is_dir():
            freed += sum(f.stat().st_size for f in folder.iterdir() if f.is_file() and f.stat().st_nlink == 1)
            shutil.rmtree(folder, ignore_errors=True)
        uses = usage_index(self.store)
        for asset_id in set(v.assets.values()) - kept:
            try:
                asset = self.store.get_asset(asset_id)
            except VidgenError:
                continue  # already gone
            if in_library(asset, uses.get(asset_id, [])):
                continue  # the user keeps it in the library (or a project uses it)
            file = self.store.data_dir / asset.path
            size = file.stat().st_size if file.is_file() else 0
            freed += size if self.store.delete_asset(asset_id) else 0
        self.store.delete_version(v.id)
        if project.outputs.get("job") == v.id:
            project.outputs = {}
            self.store.save_project(project)
        return {"deleted": v.id, "freed": freed}

    def _paths(self, v: Version) -> dict[str, str]:
        """The version's files that still exist (absolute paths), by role."""
        data = self.store.settings.data_dir
        return {role: str(data / rel) for role, rel in v.outputs.items() if (data / rel).is_file()}

    def _version_row(self, v: Version) -> dict[str, Any]:
        return {"id": v.id, "number": v.number, "name": v.name, "created": v.created, "duration": v.duration,
                "seconds": v.seconds, "scenes": len(v.project.get("scenes") or []),
                "title": v.project.get("title", ""), "video": self._paths(v).get("video", ""),
                "ran": sum(not s.get("cached") for s in v.steps), "cached": sum(bool(s.get("cached")) for s in v.steps)}


__all__ = ["VersionOps"]
