"""The work of each kind of step, as module-level functions an executor may run in another process.

Each is called as `fn(*args, progress=..., cancel=..., **kwargs)` with plain data made before (the
models' records, the jobs, absolute paths of its inputs and of its output in the job's scratch
folder; pipeline/steps.py makes the `Work`) and returns ({role: (file, asset type)}, the step's data):
its files become assets and its record is cached in the job's own process (`Steps.run`).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..domain import Cue, Line
from ..errors import VidgenError
from ..models.registry import ModelSpec, PackagedRecords
from ..services.animation import make_clip
from ..services.animation.user_clip import clip_still, fit_user_clip
from ..services.assembly import assemble
from ..services.images import ImageJob, fit_user_image, make_image
from ..services.lipsync import Shot, lip_sync_shot
from ..services.music import score_film
from ..services.sfx.scene import model_maker, write_effects
from ..services.voice import synthesize_lines

Files = dict[str, tuple[Path, str]]
Made = tuple[Files, dict[str, Any]]


class RecordsSnapshot(PackagedRecords):
    """The data folder's model records as they were when the work was made (the store's registry
    cannot travel): what the voices look their models up in."""

    def __init__(self, states: list[dict[str, Any]], models_dir: str = "") -> None:
        super().__init__()
        self.states = states
        self.models_dir = Path(models_dir) if models_dir else None

    def _states(self) -> list[dict[str, Any]]:
        return self.states


def image_work(spec: ModelSpec, job: ImageJob, out: str, *, progress=None, cancel=None) -> Made:
    """An AI model's picture of the scene (job.request: the planned prompt, seed ...)."""
    made = make_image(spec, job, out, progress=progress, cancel=cancel)
    return {"image": (Path(made), "image")}, {"model": spec.id, "prompt": job.request.prompt,
                                              "seed": job.request.seed}


def painter_work(spec: ModelSpec, job: ImageJob, out: str, *, progress=None, cancel=None) -> Made:
    """The built-in painter's storyboard frame."""
    return {"image": (make_image(spec, job, out, progress=progress), "image")}, {}


def user_image_work(src: str, size: tuple[int, int], out: str, *, progress=None, cancel=None) -> Made:
    """The user's own picture, fitted to the frame."""
    return {"image": (fit_user_image(src, size, out), "image")}, {}


def clip_still_work(src: str, size: tuple[int, int], out: str, *, progress=None, cancel=None) -> Made:
    """The first frame of the user's own clip, fitted to the frame (the scene's picture)."""
    return {"image": (clip_still(src, size, out), "image")}, {}


def voice_work(lines: list[Line], out: str, *, cast: dict, mood: str, language: str, seed: int, plan: list[Any],
               states: list[dict[str, Any]], samples: dict[str, str], missing: dict[str, str], models_dir: str = "",
               progress=None, cancel=None) -> Made:
    """The scene's speech (`plan`: each line's voice and language), its phonemes' timing where the
    voice aligns them. `samples`: the voices' sample asset ids -> files; `missing`: those that are gone."""
    def sample(asset_id: str) -> str:
        if asset_id in missing:
            raise VidgenError(missing[asset_id])
        return samples[asset_id]

    path = Path(out)
    r = synthesize_lines(lines, path, cast=cast, mood=mood, language=language, seed=seed, cancel=cancel,
                         registry=RecordsSnapshot(states, models_dir), samples=sample,
                         spoken=[(sp.voice, sp.language) for sp in plan])
    used: dict[tuple[str, str], list[str]] = {}  # (voice, language) -> its speakers
    for sp in plan:
        names = used.setdefault((sp.voice.model, sp.language), [])
        if (sp.speaker or "") not in names:
            names.append(sp.speaker or "")
    files = {"speech": (r.wav, "audio")}
    if any(ph is not None for ph in r.phones):  # the voice's phoneme alignment: the mouths' timing
        phones = path.with_suffix(".phones.json")
        phones.write_text(json.dumps({"source": "piper", "cues": r.phones}), encoding="utf-8")
        files["phones"] = (phones, "data")
    return files, {
        "seconds": r.duration, "cues": [asdict(c) for c in r.cues], "timing": r.timing,
        "voice": plan[0].voice.model, "language": plan[0].language,  # the scene's first line's
        "voices": [{"voice": v, "language": lang, "speakers": names} for (v, lang), names in used.items()]}


def clip_work(spec: ModelSpec, job: Any, out: str, *, progress=None, cancel=None) -> Made:
    """The scene's clip from its picture: the camera's move or an image-to-video model."""
    return {"clip": (make_clip(spec, job, out, progress=progress, cancel=cancel), "video")}, {"model": spec.id}


def user_clip_work(src: str, duration: float, fps: int, size: tuple[int, int], out: str, *, preset: str, crf: int,
                   motion: str, path: list[Any], progress=None, cancel=None) -> Made:
    """The user's own video, fitted to the scene (the camera's move on top where one was chosen)."""
    made = fit_user_clip(src, duration, fps, size, out, preset=preset, crf=crf, cancel=cancel, motion=motion, path=path)
    return {"clip": (made, "video")}, {"model": "your clip"}


def lipsync_work(spec: ModelSpec, shot: Shot, speech: str, cues: list[Cue], offset: float, faces: dict[str, int],
                 out: str, *, languages: dict[str, str], phones: list[Any], progress=None, cancel=None) -> Made:
    """The clip with its speakers' mouths moving; no file when nothing changed."""
    r = lip_sync_shot(spec, shot, speech, cues, offset, faces, Path(out), languages=languages, phones=phones,
                      progress=progress, cancel=cancel)
    return ({"clip": (Path(out), "video")} if r["changed"] else {}), {"model": spec.id, **r}


def effects_work(placed: list[Any], duration: float, out: str, *, seed: int, spec: ModelSpec,
                 shown: list[dict[str, Any]], progress=None, cancel=None) -> Made:
    """The scene's sound-effects track (no file when none sounds)."""
    made = write_effects(placed, duration, Path(out), seed=seed, cancel=cancel,
                         make=None if spec.builtin else model_maker(spec, cancel=cancel))
    return ({"effects": (made, "audio")} if made else {}), {"placed": shown, "model": spec.id}


def score_work(segments: list[tuple[str, float]], out: str, *, spec: ModelSpec, genre: str, tempo: float, key: str,
               instruments: list[int] | None, seed: int, progress=None, cancel=None) -> Made:
    """The film's generated score over its mood segments."""
    r = score_film(segments, Path(out), model=spec, genre=genre, tempo=tempo, key=key, instruments=instruments,
                   seed=seed, progress=progress, cancel=cancel)
    return {"music": (Path(r.wav), "audio")}, {"model": spec.id, "tempo": r.tempo, "key": r.key,
                                               "prompt": r.prompt, "segments": segments}


def assemble_into(out: str | Path, assembly: dict[str, Any], progress=None, cancel=None) -> Any:
    """The assembler run on `assembly` (pipeline/film.py's `assembly_args`) into `out`: its result."""
    return assemble(assembly["scenes"], out, progress=progress, cancel=cancel,
                    **{k: v for k, v in assembly.items() if k != "scenes"})


def assembly_work(out: str, assembly: dict[str, Any], *, encoder: str, progress=None, cancel=None) -> Made:
    """The master MP4 and its sidecars."""
    r = assemble_into(out, assembly, progress, cancel)
    path = Path(out)
    return {"video": (Path(r.video), "video"), "subtitles": (Path(r.subtitles), "subtitles"),
            "captions": (path.with_suffix(".vtt"), "subtitles"), "words": (path.with_suffix(".words.json"), "data")}, \
        {"duration": r.duration, "encoder": encoder}
