"""The render job: project -> per-scene pictures, voices and clips -> the score -> the film (the
master MP4 and its sidecars), and any delivery formats asked for (pipeline/export.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..checks import check_render
from ..domain import Project, Version, project_doc
from ..jobs import STAGE_WEIGHTS, JobContext
from ..resolve import models_used
from ..store import Store
from ..text import count
from .executor import Executor, LocalExecutor
from .export import export_step
from .film import film_inputs, master, master_encoder, named_copy, walk
from .reading import read_script
from .steps import Steps, work_folder


class RenderWork:
    """The work function of a render job (callable with a JobContext). `formats`: delivery formats
    made from the film as well (services/delivery/formats.py), each kept with the render."""

    def __init__(self, store: Store, project_id: str, executor: Executor | None = None,
                 formats: tuple[str, ...] = ()):
        self.store = store
        self.project_id = project_id
        self.executor = executor or LocalExecutor()
        self.formats = tuple(f for f in formats if f != "mp4")  # the master is the MP4
        if self.formats:  # the exports' encodes get a share of the progress bar
            self.stage_weights = {k: v * 0.75 for k, v in STAGE_WEIGHTS.items()} | {"export": 0.25}

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        store = self.store
        with work_folder(store, ctx) as work_dir:
            project = self._prepare(ctx)
            models = models_used(store, project)  # the exact revisions this render runs
            steps = Steps(store, ctx, work_dir, self.executor)
            encoder = master_encoder(project)
            clips, voices, music = walk(ctx, steps, project, self.executor)
            film = film_inputs(steps, project, clips, voices, music, encoder)
            made = master(ctx, steps, project, film, encoder)
            files, duration = made["files"], made["duration"]
            data = store.settings.data_dir
            named = {role: named_copy(data, data / rel, ctx.job.id, project.title, _SUFFIX.get(role, ""))
                     for role, rel in files.items()}
            exports = [export_step(ctx, steps, project, film, made, fmt, i, len(self.formats))
                       for i, fmt in enumerate(self.formats)]
        for e in exports:
            named[e["role"]] = named_copy(data, data / e["file"], ctx.job.id, project.title, e["suffix"])
        latest = store.get_project(project.id)  # keep edits made while this job ran
        latest.outputs = {**named, "job": ctx.job.id}
        store.save_project(latest)
        job = ctx.job
        store.save_version(Version(
            id=job.id, project_id=project.id, created=time.time(), project=project_doc(project), outputs=named,
            assets={role: Path(rel).stem for role, rel in [*files.items(), *((e["role"], e["file"]) for e in exports)]},
            duration=duration,
            seconds=round(time.time() - (job.started or time.time()), 3),
            steps=[{"name": s.name, "scene": s.scene, "cached": s.cached, "seconds": s.seconds} for s in job.steps],
            models=models))
        return {"project": project.id, **{role: str(data / rel) for role, rel in named.items()},
                "duration": duration, "scenes": len(project.scenes), "encoder": encoder.name, "models": models,
                **({"encoder_note": encoder.note} if encoder.note else {}),
                **({"exports": {e["role"]: str(data / named[e["role"]]) for e in exports}} if exports else {})}

    def _prepare(self, ctx: JobContext) -> Project:
        """The project, complete and checked, before any work (the parse stage)."""
        ctx.begin_stage("parse", "Checking the project")
        project = self.store.get_project(self.project_id)
        if not project.scenes:
            parsed = read_script(self.store, project.script, project.settings, title=project.title or None,
                                 progress=ctx.progress, cancel=ctx.check_cancel)
            project.scenes, project.characters, project.form = parsed.scenes, parsed.characters, parsed.form
            project.notes = parsed.notes
            self.store.save_project(project)
        check_render(self.store, project, warn=ctx.note)
        ctx.progress(1.0, count(len(project.scenes), "scene"))
        return project


_SUFFIX = {"captions": ".vtt", "words": ".words.json"}  # stored assets keep one suffix: the names get theirs
