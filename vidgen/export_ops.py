"""Exports of a render as plain data for the studio, the API and the CLI (the Studio inherits
`ExportOps`): the film in other formats (a job of kind "export": only the encodes run) and the
editable timeline with its media (a job of kind "timeline").

    studio.export_film(project_id, ["webm", "gif"])   # {"files": {"webm": path, ...}, "exports": [...]}
    studio.export_timeline(project_id, "fcpxml")       # {"bundle": zip path, "timeline": path}
"""

from __future__ import annotations

from typing import Callable

from .edits import need_id
from .errors import VidgenError
from .jobs import EventFn
from .pipeline import ExportWork, TimelineWork
from .services.delivery.encoders import ENCODER_CHOICES
from .services.delivery.formats import FORMATS, format_named
from .services.delivery.timeline_export import TIMELINE_KINDS
from .store import Store


class ExportOps:
    store: Store
    _run_short: Callable[..., tuple[dict, str]]

    def delivery_formats(self) -> list[dict]:
        """The formats a render can be exported in: {name, ext, kind, label}."""
        return [{"name": f.name, "ext": f.ext, "kind": f.kind, "label": f.label} for f in FORMATS.values()]

    def _version_of(self, project_id: str, version: str) -> str:
        project = self.store.get_project(need_id(project_id, "project"))
        if version:
            v = self.store.get_version(need_id(version, "version"))
            if v.project_id != project.id:
                raise VidgenError(f"Version {v.id} is not a render of project '{project.id}'.")
            return v.id
        versions = self.store.list_versions(project.id)
        if not versions:
            raise VidgenError(f"Project '{project.id}' has no render yet: render it first, then export the film.")
        return versions[0].id

    def export_film(self, project_id: str, formats: list[str] | str, version: str = "", encoder: str = "",
                    on_event: EventFn | None = None) -> dict:
        """The film of a render (default: the latest) in other formats, kept with that render. Every
        step of the render comes from the cache; each format is one more cached step (its encode).
        Returns {"version", "files": {format: path}, "exports": [{format, encoder, note, cached}], "job"}."""
        names = [formats] if isinstance(formats, str) else list(formats or [])
        if not names:
            raise VidgenError(f"Name a format to export: {', '.join(FORMATS)}.")
        for name in names:
            format_named(name)
        if encoder and encoder not in ENCODER_CHOICES:
            raise VidgenError(f"Unknown encoder {encoder!r}: use one of {', '.join(ENCODER_CHOICES)}.")
        version_id = self._version_of(project_id, version)
        work = ExportWork(self.store, version_id, tuple(dict.fromkeys(names)), encoder)
        r, job_id = self._run_short(need_id(project_id, "project"), "export", work,
                                    f"the export ({', '.join(names)})", on_event)
        return {"version": r["version"], "files": r["files"], "exports": r["exports"], "job": job_id}

    def export_timeline(self, project_id: str, kind: str = "otio", version: str = "",
                        on_event: EventFn | None = None) -> dict:
        """A render's editable timeline (OpenTimelineIO; FCP XML and FCPXML through OTIO's adapters) in a
        zip with its media, captions and the finished film. Returns {"bundle", "timeline" (the timeline
        file's name inside), "clips", "version", "job"}."""
        if kind not in TIMELINE_KINDS:
            raise VidgenError(f"Unknown timeline kind {kind!r}: use one of {', '.join(TIMELINE_KINDS)}.")
        version_id = self._version_of(project_id, version)
        r, job_id = self._run_short(need_id(project_id, "project"), "timeline", TimelineWork(self.store, version_id, kind),
                                    f"the {kind} timeline", on_event)
        return {**{k: r[k] for k in ("bundle", "timeline", "clips", "version")}, "job": job_id}

