"""One unit of work per kind for `models bench` (bench.py): made as a render makes it, through the
backend's own entry point (the record's module in models/backends.py's table), at the record's
native settings and the default render settings' frame, fps and aspect.

    unit = prepare(spec, registry, cache, folder)   # its inputs (a picture, a clip) made here, untimed
    line, seconds = unit()                          # the work the caller times

    image      one picture at the model's native size for the frame's aspect, its default steps,
               cover-fitted to the frame (the painter: one storyboard frame of the frame's size)
    voice      one short sentence (~1 s of speech) in the voice's first language
    music      1 s of the score (the composer's or MusicGen's `piece`)
    animation  a 1 s clip at the frame's size and fps: any backend's shortest (one pipeline call
               of its native frames covers a second)
    lipsync    1 s of a talking face: a clip of one 256 px face, its speaking frames redrawn
    sfx        1 s of the cue "thunder rolls"

`line` says what was made; `seconds` is the seconds of audio or video it made, read from the output
(None for a picture).
The model backends get `cache` (the bench's own), so the model they use is the one just loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from ..domain import Figure, RenderSettings, Scene, ScenePlan, Voice
from ..errors import VidgenError
from ..media import VideoWriter, probe
from ..services.animation.job import ClipJob
from ..services.images.job import ImageJob
from ..services.images.prompts import ImageRequest, model_defaults, native_size
from ..services.lipsync.faces import Track
from ..services.lipsync.sync import Speaking, sync_clip
from ..services.sfx.make import sound_audio
from ..services.sfx.request import SoundRequest
from ..services.voice.engines import resolve as resolve_voice
from .backends import runtime
from .cache import ModelCache
from .registry import ModelSpec, PackagedRecords

Unit = Callable[[], "tuple[str, float | None]"]

PROMPT = "a lighthouse on a cliff above a harbour at dusk, fishing boats, gulls, rain clouds"
SECONDS = 1.0  # of speech (about), music, clip, lip sync and sound
FACE = 256  # pixels: the lip-sync clip's face
SFX_CUE = "thunder rolls"
MOOD = "calm"
SENTENCES = {  # about a second of speech
    "en": "The tide came in at dusk.",
    "fr": "La marée montait au crépuscule.",
    "es": "La marea subió al anochecer.",
    "de": "Die Flut kam in der Dämmerung.",
    "it": "La marea salì al tramonto.",
    "pt": "A maré subiu ao anoitecer.",
}


KINDS_LINE = ("bench covers image, animation, voice, music, lipsync and sfx models; adapters are measured "
              "with their image model")


def prepare(spec: ModelSpec, registry: PackagedRecords, cache: ModelCache, folder: Path) -> Unit:
    """The unit of work of `spec`'s kind, its inputs written into `folder`."""
    makers = {"image": _image, "voice": _voice, "music": _music, "animation": _clip, "lipsync": _lipsync,
              "sfx": _sfx}
    if spec.kind not in makers:
        raise VidgenError(f"{spec.id} is an {spec.kind} model: {KINDS_LINE}.")
    return makers[spec.kind](spec, registry, cache, folder)


def _settings() -> RenderSettings:
    return RenderSettings()


def _image(spec: ModelSpec, registry: PackagedRecords, cache: ModelCache, folder: Path) -> Unit:
    module, s = runtime(spec), _settings()
    w, h = s.size
    out = folder / "image.png"
    if spec.builtin:  # the painter reads the scene's plan: one with a place, weather, props and a figure
        scene = Scene(1, "EXT. HARBOUR - DUSK", visual=PROMPT, location="harbour", interior=False,
                      time_of_day="dusk", weather="rain", characters=["Ana"],
                      plan=ScenePlan(place="harbour", props=["boat", "gull"], figures=[Figure("Ana")]))
        job = ImageJob(scene, (w, h), seed=0, total_scenes=1)

        def paint() -> tuple[str, float | None]:
            module.generate_image(spec, job, out)
            return f"one {w}x{h} storyboard frame", None

        return paint
    gw, gh = native_size(spec, s.aspect)
    steps = model_defaults(spec).steps
    request = ImageRequest(PROMPT, width=gw, height=gh, seed=0)

    def generate() -> tuple[str, float | None]:
        module.generate(spec, request, out, size=(w, h), cache=cache)
        return f"one {gw}x{gh} image ({s.aspect}), {steps} steps", None

    return generate


def _voice(spec: ModelSpec, registry: PackagedRecords, cache: ModelCache, folder: Path) -> Unit:
    language = (spec.languages or ("en",))[0]
    text = SENTENCES.get(language, SENTENCES["en"])
    model = resolve_voice(spec.id, registry)
    module = model.runtime()

    def speak() -> tuple[str, float | None]:
        with module.open_engine(model, cache, None) as engine:
            audio = engine.speak(text, Voice(), 1.0, 0, language)
            seconds = len(audio) / engine.sample_rate
        return f"{seconds:.2f} s of speech (one {len(text.split())}-word sentence)", seconds

    return speak


def _music(spec: ModelSpec, registry: PackagedRecords, cache: ModelCache, folder: Path) -> Unit:
    module = runtime(spec)

    def score() -> tuple[str, float | None]:
        audio, rate, *_ = module.piece(spec, mood=MOOD, seconds=SECONDS, seed=0, cache=cache)
        seconds = len(audio) / rate
        return f"{seconds:.2f} s of {MOOD} music", seconds

    return score


def _picture(path: Path, size: tuple[int, int]) -> Path:
    """A still to animate: a sky gradient over a sea, a sun, a dark headland (its content is not timed)."""
    import cv2

    w, h = size
    rows = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    sky = np.array([110, 170, 250], np.float32) * (1 - rows) + np.array([120, 60, 40], np.float32) * rows  # BGR
    frame = np.ascontiguousarray(np.broadcast_to(sky, (h, w, 3)).astype(np.uint8))
    cv2.rectangle(frame, (0, int(h * 0.62)), (w, h), (80, 50, 30), -1)
    cv2.circle(frame, (int(w * 0.65), int(h * 0.3)), max(2, w // 20), (150, 220, 255), -1)
    headland = np.array([(0, int(h * 0.62)), (int(w * 0.3), int(h * 0.35)), (int(w * 0.4), int(h * 0.62))], np.int32)
    cv2.fillPoly(frame, [headland], (30, 20, 20))
    if not cv2.imwrite(str(path), frame):
        raise VidgenError("The bench could not write its test picture: is the temporary folder full?")
    return path


def _clip(spec: ModelSpec, registry: PackagedRecords, cache: ModelCache, folder: Path) -> Unit:
    module, s = runtime(spec), _settings()
    w, h = s.size
    job = ClipJob(str(_picture(folder / "still.png", (w, h))), "zoom_in", SECONDS, s.fps, (w, h), prompt=PROMPT,
                  seed=0)
    extra = {} if spec.builtin else {"cache": cache}  # the camera has no model to take from a cache
    out = folder / "clip.mp4"

    def animate() -> tuple[str, float | None]:
        module.animate(spec, job, out, **extra)
        seconds = probe(out).duration
        return f"a {seconds:.2f} s clip at {w}x{h}, {s.fps} fps", seconds

    return animate


def _talking_clip(path: Path, size: tuple[int, int], fps: int, frames: int) -> tuple[float, float, float, float]:
    """A clip of one face (a skin-toned oval with eyes) in every frame; its box (x, y, w, h)."""
    import cv2

    w, h = size
    frame = np.full((h, w, 3), (60, 70, 90), np.uint8)
    cx, cy = w // 2, h // 2
    cv2.ellipse(frame, (cx, cy), (FACE * 2 // 5, FACE // 2), 0, 0, 360, (205, 160, 130), -1)
    for dx in (-FACE // 6, FACE // 6):
        cv2.circle(frame, (cx + dx, cy - FACE // 8), FACE // 20, (40, 30, 30), -1)
    with VideoWriter(path, w, h, fps) as writer:
        for _ in range(frames):
            writer.write(frame)
    return float(cx - FACE // 2), float(cy - FACE // 2), float(FACE), float(FACE)


def _lipsync(spec: ModelSpec, registry: PackagedRecords, cache: ModelCache, folder: Path) -> Unit:
    s = _settings()
    w, h = s.size
    frames = int(round(SECONDS * s.fps))
    box = _talking_clip(folder / "talk.mp4", (w, h), s.fps, frames)
    rate = 16000
    t = np.arange(int(SECONDS * rate), dtype=np.float32) / rate  # a voiced, syllable-paced tone
    samples = (0.3 * np.sin(2 * np.pi * 140 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)
    speaking = [Speaking(0.0, SECONDS, 0, text=SENTENCES["en"], language="en")]
    tracks = [Track([box] * frames)]
    out = folder / "synced.mp4"

    def sync() -> tuple[str, float | None]:
        changed = sync_clip(spec, folder / "talk.mp4", samples, rate, speaking, tracks, out, cache=cache)
        seconds = probe(out).duration if changed else 0.0  # nothing redrawn: nothing written
        return (f"{seconds:.2f} s of lip sync: one {FACE} px face, {changed} of {frames} frames redrawn "
                f"at {w}x{h}"), seconds

    return sync


def _sfx(spec: ModelSpec, registry: PackagedRecords, cache: ModelCache, folder: Path) -> Unit:
    request = SoundRequest.for_cue(SFX_CUE, SECONDS)

    def sound() -> tuple[str, float | None]:
        samples, _ = sound_audio(spec, request, cache=cache)
        seconds = len(samples) / request.rate
        return f"{seconds:.2f} s of sound ({SFX_CUE!r})", seconds

    return sound


__all__ = ["prepare", "Unit", "KINDS_LINE", "SECONDS", "PROMPT"]
