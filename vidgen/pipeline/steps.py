"""One scene's cached steps (its picture, voice and clip) and the film's score.

A full render and the one-scene jobs share these, and so their step keys: what a preview made,
the next render finds in the cache. `Steps.run` is the step cache: the outputs of a key already
made, or the step produced, its files stored as assets and its record cached.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Iterator

from ..domain import SPEECH_LEAD_SECONDS, Cue, Project, Scene
from ..errors import Cancelled, VidgenError
from ..jobs import JobContext
from ..models.registry import models_dir, registry_for
from ..resolve import (image_model, ip_adapter_for, lipsync_model, music_model, painted_heads, project_states,
                       scene_cast, scene_speech, sfx_model, silent_speech_seconds, spoken_lines)
from ..services.images import ImageJob
from ..services.lipsync import Shot, key_name
from ..services.sfx.scene import plan_effects
from ..services.voice import NO_VOICE, estimated_cues
from ..services.voice.prosody import kept_markup
from ..store import Store
from ..zerogpu import section_seconds, voice_specs
from . import work_fns as fns
from .executor import Executor, LocalExecutor, Work
from .keys import image_key, music_key, scene_duration, step_key, voice_key
from .plan import clip_plan, image_plan, music_segments

log = logging.getLogger(__name__)
Progress = Callable[[float], None]


@contextlib.contextmanager
def work_folder(store: Store, ctx: JobContext) -> Iterator[Path]:
    """The job's scratch folder (its steps' files before they become assets), removed afterwards."""
    folder = store.settings.tmp_dir / ctx.job.id
    folder.mkdir(parents=True, exist_ok=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Steps:
    """The cached steps of one job's project, writing their files in `work_dir`; `executor` does
    each step's work on a cache miss (pipeline/executor.py)."""

    def __init__(self, store: Store, ctx: JobContext, work_dir: Path, executor: Executor | None = None):
        self.store, self.ctx, self.work_dir = store, ctx, work_dir
        self.executor = executor or LocalExecutor()
        self._markup_told = False  # the note on markup-like text is given once a job

    def run(self, name: str, scene: int | None, key: str, work: Work | Callable[[], Work],
            progress: Progress | None = None) -> dict[str, Any]:
        """The cached outputs of a step, or its `work` (or `work()`, made on a cache miss only) done by
        the executor, its files stored and its record cached here:
        {"key", "name", "outputs": {role: asset id}, "data", "cached"}."""
        self.ctx.check_cancel()
        t0 = time.monotonic()
        hit = self.store.get_step(key)
        if hit is not None:
            self.ctx.record_step(name, scene, key, True, time.monotonic() - t0)
            return {**hit, "cached": True}
        files, data = self.executor.run(work if isinstance(work, Work) else work(), progress, self.ctx.check_cancel)
        outputs = {role: self.store.add_file(path, type=kind, move=True).id for role, (path, kind) in files.items()}
        self.store.put_step(key, name, outputs, data)
        self.ctx.record_step(name, scene, key, False, time.monotonic() - t0)
        return {"key": key, "name": name, "outputs": outputs, "data": data, "cached": False}

    def image(self, project: Project, scene: Scene, progress: Progress | None = None) -> dict[str, Any]:
        """{"image": asset id, "cached": bool, "model": image model id}"""
        s = project.settings
        path = str(self.work_dir / f"image-{scene.number}.png")
        spec = image_model(self.store, project, scene)
        plan = image_plan(self.store, project, scene, spec)
        if plan is not None:
            request, key = plan
            adapter = ip_adapter_for(self.store, spec) if request.ip_image else None
            job = ImageJob(scene, s.size, request=request, ip_adapter=adapter)
            work = Work(fns.image_work, (spec, job, path), name="image", scene=scene.number,
                        gpu_seconds=section_seconds(spec))
        elif scene.image or scene.clip:  # the user's picture, or the first frame of their clip
            key, src = image_key(project, scene), str(self.store.asset_path(scene.image or scene.clip))
            work = Work(fns.user_image_work if scene.image else fns.clip_still_work, (src, s.size, path),
                        name="image", scene=scene.number)
        else:
            key = image_key(project, scene)
            job = ImageJob(scene, s.size, seed=s.seed, total_scenes=len(project.scenes), caption=s.scene_label)
            work = Work(fns.painter_work, (spec, job, path), name="image", scene=scene.number)
        hit = self.run("image", scene.number, key, work, progress)
        return {"image": hit["outputs"]["image"], "cached": hit["cached"], "model": spec.id}

    def voice(self, project: Project, scene: Scene) -> dict[str, Any]:
        """{"speech": asset id or "", "seconds": float, "cues": [...] relative to speech start,
        "cached": bool or None (None: nothing to speak, no step)}"""
        s = project.settings
        self._tell_kept_markup(project, scene)
        lines = spoken_lines(scene)
        if s.voice == NO_VOICE or not lines:
            seconds = silent_speech_seconds(lines)
            return {"speech": "", "seconds": seconds, "cues": [asdict(c) for c in estimated_cues(lines, seconds)],
                    "cached": None}
        voices, language = scene_cast(self.store, project)
        plan = scene_speech(self.store, project, scene)
        path = str(self.work_dir / f"voice-{scene.number}.wav")

        def work() -> Work:  # made on a cache miss only: the samples and the model records are store reads
            samples, missing = {}, {}  # the voices' samples: asset id -> file, or why it is gone
            for v in [*voices.values(), *(sp.voice for sp in plan)]:
                if v.sample and v.sample not in samples and v.sample not in missing:
                    try:
                        samples[v.sample] = str(self.store.asset_path(v.sample))
                    except VidgenError as exc:
                        missing[v.sample] = str(exc)
            return Work(fns.voice_work, (lines, path), dict(
                cast=voices, mood=scene.mood, language=language, seed=s.seed, plan=plan,
                states=project_states(self.store, project), models_dir=str(models_dir(self.store)), samples=samples,
                missing=missing), name="voice",
                scene=scene.number,
                gpu_seconds=section_seconds(voice_specs(plan, registry_for(self.store)), silent_speech_seconds(lines)))

        hit = self.run("voice", scene.number, voice_key(self.store, project, scene), work)
        return {"speech": hit["outputs"]["speech"], "phones": hit["outputs"].get("phones", ""), **hit["data"],
                "cached": hit["cached"]}

    def _tell_kept_markup(self, project: Project, scene: Scene) -> None:
        """Once a job: the markup-like text of the whole film that is spoken and shown as written,
        in the log and as a progress message at the voice stage's current point."""
        if self._markup_told:
            return
        self._markup_told = True
        note = kept_markup([ln.text for sc in project.scenes for ln in spoken_lines(sc)])
        if note:
            log.warning("%s", note)
            done = next((i for i, sc in enumerate(project.scenes) if sc.number == scene.number), 0)
            self.ctx.progress(done / max(1, len(project.scenes)), note, scene.number)

    def clip(self, project: Project, scene: Scene, image: str, voice: dict[str, Any], motion: str,
             progress: Progress | None = None) -> dict[str, Any]:
        """{"clip": asset id, "duration": s, "motion": str, "cached": bool}; `motion` from `scene_motions`."""
        duration = scene_duration(voice["seconds"], project.settings, scene.min_duration)
        path = str(self.work_dir / f"clip-{scene.number}.mp4")
        spec, job, key = clip_plan(self.store, project, scene, image, motion, duration)
        if scene.clip:  # the user's own video, fitted to the scene
            s = project.settings
            work = Work(fns.user_clip_work, (str(self.store.asset_path(scene.clip)), duration, s.fps, s.size, path),
                        dict(preset=job.preset, crf=job.crf, motion=job.motion, path=job.path),
                        name="animation", scene=scene.number)
        else:
            work = Work(fns.clip_work, (spec, job, path), name="animation", scene=scene.number,
                        gpu_seconds=section_seconds(spec, duration))
        hit = self.run("animation", scene.number, key, work, progress)
        return {"clip": hit["outputs"]["clip"], "duration": duration, "motion": job.motion, "cached": hit["cached"]}

    def lipsync(self, project: Project, scene: Scene, image: str, voice: dict[str, Any], clip: dict[str, Any],
                motion: str, progress: Progress | None = None) -> dict[str, Any]:
        """The clip with its speakers' mouths moving (a cached step), or the clip as it was:
        {"clip", "duration", "motion", "cached", "lipsync": {model, changed, faces, speakers, reason, mouth}}."""
        spec = lipsync_model(self.store, project, scene)
        talk = [c for c in voice.get("cues", []) if c.get("speaker")]
        phones = [ph for c, ph in zip(voice.get("cues", []), self.phones_of(voice)) if c.get("speaker")]
        if spec is None or not voice.get("speech") or not talk:
            why = "lip sync is off" if spec is None else "no character speaks in this scene"
            return {**clip, "lipsync": {"model": spec.id if spec else "", "changed": 0, "reason": why}}
        offset = project.settings.transition_seconds + SPEECH_LEAD_SECONDS
        languages = {key_name(sp): v["language"] for v in voice.get("voices", []) for sp in v["speakers"] if sp}
        languages[""] = voice.get("language", "")
        key = step_key("lipsync", clip=clip["clip"], speech=voice["speech"], model=spec.id, revision=spec.revision,
                       cues=talk, offset=offset, faces=scene.speaker_faces, languages=languages,
                       phones=voice.get("phones", ""))
        path = str(self.work_dir / f"lipsync-{scene.number}.mp4")

        def work() -> Work:  # made on a cache miss only
            spec_c, job, _ = clip_plan(self.store, project, scene, image, motion, clip["duration"])
            shot = Shot(str(self.store.asset_path(image)), str(self.store.asset_path(clip["clip"])), job,
                        spec_c.backend == "camera" and not scene.clip, painted_heads(self.store, project, scene))
            cues = [Cue(c["start"], c["end"], c["text"], c.get("speaker")) for c in talk]
            return Work(fns.lipsync_work, (spec, shot, str(self.store.asset_path(voice["speech"])), cues, offset,
                                           scene.speaker_faces, path), dict(languages=languages, phones=phones),
                        name="lipsync", scene=scene.number, gpu_seconds=section_seconds(spec, clip["duration"]))

        try:
            hit = self.run("lipsync", scene.number, key, work, progress)
        except Cancelled:
            raise
        except VidgenError as exc:  # the shot is still good without moving mouths: say so, go on
            self.ctx.note(f"Scene {scene.number}: lip sync skipped: {exc}")
            return {**clip, "lipsync": {"model": spec.id, "changed": 0, "reason": str(exc)}}
        data = hit["data"]
        if data.get("reason"):
            self.ctx.note(f"Scene {scene.number}: lip sync left the clip as it was: {data['reason']}.")
        synced = hit["outputs"].get("clip", clip["clip"])
        return {**clip, "clip": synced, "cached": clip["cached"] and hit["cached"], "lipsync": data}

    def effects(self, project: Project, scene: Scene, voice: dict[str, Any], duration: float) -> dict[str, Any]:
        """The scene's sound-effects track (a cached step) from its sound cues: {"effects": asset id or "",
        "placed": [{cue, sound, kind, at}]}; nothing when the film has none or no cue matched."""
        s = project.settings
        files = [(f["name"], str(self.store.asset_path(f["asset"])), f["at"], f["bed"]) for f in scene.sound_files]
        if not s.sound_effects and not files:
            return {"effects": "", "placed": []}
        offset = s.transition_seconds + SPEECH_LEAD_SECONDS
        cues = voice.get("cues", [])
        starts, k = [], 0
        for line in spoken_lines(scene):  # each line's first sentence: where an event written before it falls
            while k < len(cues) and cues[k]["text"].strip() not in line.text:
                k += 1
            starts.append((line.text, offset + cues[k]["start"] if k < len(cues) else duration))
        cued = s.sound_effects  # the script's cues; the user's own files play either way
        placed = plan_effects(scene.text, scene.sounds if cued else [], starts, duration, files=files,
                              weather=scene.weather if cued else "", place=scene.plan.place if cued else "")
        if not placed:
            return {"effects": "", "placed": []}
        spec = sfx_model(self.store, project)
        shown = [{**asdict(e), "file": Path(e.file).name} for e in placed]  # a file by its content's name
        key = step_key("effects", placed=shown, duration=round(duration, 3), seed=s.seed,
                       model=spec.id, revision=spec.revision)
        path = str(self.work_dir / f"effects-{scene.number}.wav")
        work = Work(fns.effects_work, (placed, duration, path), dict(seed=s.seed + scene.variant, spec=spec, shown=shown),
                    name="effects", scene=scene.number, gpu_seconds=section_seconds(spec, duration))
        hit = self.run("effects", scene.number, key, work)
        unmatched = [e.cue for e in placed if not e.sound and not e.file] if spec.builtin else []
        if unmatched and not hit["cached"]:
            self.ctx.note(f"Scene {scene.number}: no built-in sound matches {', '.join(repr(c) for c in unmatched)}: "
                          "it stays silent.")
        return {"effects": hit["outputs"].get("effects", ""), "placed": hit["data"]["placed"]}

    def phones_of(self, voice: dict[str, Any]) -> list[Any]:
        """Each cue's aligned phonemes ([phoneme, start, end] in speech seconds), or None for each."""
        cues = voice.get("cues", [])
        if not voice.get("phones"):
            return [None] * len(cues)
        try:
            per_cue = json.loads(self.store.asset_path(voice["phones"]).read_text(encoding="utf-8"))["cues"]
        except (OSError, ValueError, KeyError, TypeError, VidgenError):
            log.warning("The scene's phoneme timings could not be read: its mouths and words are estimated instead.")
            per_cue = []
        return per_cue if isinstance(per_cue, list) and len(per_cue) == len(cues) else [None] * len(cues)

    def score(self, project: Project, clips: list[dict[str, Any]]) -> dict[str, Any]:
        """The generated score of the film (a cached step): {"outputs": {"music": asset id}, "data", "cached"}."""
        ctx, s = self.ctx, project.settings
        spec = music_model(self.store, project)
        segments = music_segments(project, clips)
        key = music_key(self.store, project, segments)
        moods = " → ".join(m for m, _ in segments)
        work = Work(fns.score_work, (segments, str(self.work_dir / "music.wav")), dict(
            spec=spec, genre=s.music_genre, tempo=s.music_tempo, key=s.music_key, instruments=s.music_instruments,
            seed=s.seed), name="music", gpu_seconds=section_seconds(spec, sum(s for _, s in segments)))
        hit = self.run("music", None, key, work, lambda f: ctx.progress(f, f"Scoring: {moods}"))
        ctx.progress(1.0, f"Music: {spec.name} ({moods})")
        return hit
