"""The contract every backend of a kind keeps, asserted once for all (in the style of diffusers'
PipelineTesterMixin): cancel stops it and leaves no file, progress only rises, the same seed gives
the same output, and the pipeline's step key for it is the same in every process.

Each backend that runs offline here is one `Backend` entry in BACKENDS (voice: Piper, a tiny VITS;
music: the composer, a tiny MusicGen; images: the painter, tiny SD and SDXL; animation: the camera,
a tiny Stable Video Diffusion),
called through the entry point the pipeline calls. A new backend is one more entry. The tiny models
(tests/tiny_*.py) are built once for the module, in one offline HF cache, on one torch thread.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np
import pytest

from vidgen.config import Settings
from vidgen.domain import Line, RenderSettings, Scene, Voice
from vidgen.errors import Cancelled
from vidgen.media import read_wav
from vidgen.models.registry import ModelSpec, Registry
from vidgen.pipeline import create_project
from vidgen.services import animation, images, music, voice
from vidgen.services.animation import svd
from vidgen.store import Store

from . import tiny_models as tm

ROOT = Path(__file__).resolve().parents[1]
SEED = 7
LINES = [Line("The tide came in."), Line("Is anyone there?", "Ana")]  # two sentences: two cancel points
SEGMENTS = [("calm", 1.0), ("tense", 1.0)]  # two seconds of score in two moods
SCENE = Scene(number=1, heading="EXT. HARBOUR - DAY", mood="calm", characters=["ANA"])
CLIP = dict(duration=1.0, fps=8, size=(64, 64))  # 8 frames: three cancel checks (before, frame 0, frame 4)
PIPER_LENGTH_TOLERANCE = 0.10  # Piper's durations vary by a few per cent from run to run (see below)


# --- the backends ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Backend:
    """One backend under the contract. `run(env, out, seed=, progress=, cancel=)` writes `out` through
    the kind's entry point (`progress` is None for a backend that reports none); `decode(out)` is what
    "the same output" compares; `settings(env)` are the project's render settings that select it and
    `key` the Python expression (of store, project, scene) for its step key, as the pipeline computes it."""
    id: str
    kind: str
    entry: Callable[..., Any]  # the service entry point (its signature says what it supports)
    run: Callable[..., Any]
    decode: Callable[[Path], np.ndarray]
    suffix: str
    key: str
    settings: Callable[[Any], dict] = lambda env: {}
    models: str = ""  # the fixture that puts its model in place ("" = built in)
    progress: bool = True  # reports progress
    cancel: bool = True  # takes a cancel hook
    seeded: bool = True  # the same seed gives bit-identical output
    needs: tuple[str, ...] = ()  # packages it needs (skipped without them)


def _wav(path: Path) -> np.ndarray:
    return read_wav(path)[0]


def _png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _frames(path: Path) -> np.ndarray:
    import av

    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])


def _speak(model: Callable[[Any], str]) -> Callable[..., Any]:
    def run(env, out, *, seed, progress, cancel):
        cast = {None: Voice(model=model(env))}
        return voice.synthesize_lines(LINES, out, cast=cast, seed=seed, cancel=cancel, registry=env.registry,
                                      cache=env.cache)
    return run


def _score(model: Callable[[Any], Any]) -> Callable[..., Any]:
    def run(env, out, *, seed, progress, cancel):
        return music.score_film(SEGMENTS, out, model=model(env), seed=seed, progress=progress, cancel=cancel,
                                cache=env.cache)
    return run


def _diffuse(which: str) -> Callable[..., Any]:
    def run(env, out, *, seed, progress, cancel):
        request = images.diffusion.ImageRequest("a red fox in the snow", width=tm.SIZE, height=tm.SIZE, seed=seed,
                                                steps=2)
        return images.diffusion.generate(env.specs[which], request, out, progress=progress, cancel=cancel,
                                         cache=env.cache)
    return run


def _paint(env, out, *, seed, progress, cancel):
    return images.paint_storyboard(SCENE, (64, 64), out, seed=seed, total_scenes=2)


def _camera(env, out, *, seed, progress, cancel):
    # The camera takes no seed itself: the seed reaches it through the move it is given.
    motion = animation.choose_motion(SCENE, seed=seed)
    return animation.render_camera_motion(env.still, motion, CLIP["duration"], CLIP["fps"], CLIP["size"], out,
                                          progress=progress, cancel=cancel)


def _svd(env, out, *, seed, progress, cancel):
    job = animation.ClipJob(str(env.still), "static", CLIP["duration"], CLIP["fps"], CLIP["size"], seed=seed, steps=2)
    return svd.animate(env.specs["svd"], job, out, progress=progress, cancel=cancel, cache=env.cache)


# A clip of an image-to-video model is keyed by its picture's asset (content-addressed: the same id in every process).
SVD_KEY = ("clip_plan(store, project, scene, store.add_bytes(b'svd still', type='image', ext='png').id, "
           "scene_motions(project)[0], scene_duration(2.0, project.settings))[2]")
AI_IMAGE_KEY = "image_plan(store, project, scene, image_model(store, project, scene))[1]"
MUSIC_KEY = "music_key(store, project, music_segments(project, [{'duration': 4.0}, {'duration': 5.0}]))"
VOICE_KEY = "voice_key(store, project, scene)"

BACKENDS = [
    Backend("piper", "voice", voice.synthesize_lines, _speak(lambda env: voice.BUILTIN_VOICE), _wav, ".wav",
            VOICE_KEY, progress=False, seeded=False, settings=lambda env: {"voice": voice.BUILTIN_VOICE}),
    Backend("vits", "voice", voice.synthesize_lines, _speak(lambda env: env.specs["vits"].id), _wav, ".wav",
            VOICE_KEY, progress=False, models="vits_model", needs=("transformers",),
            settings=lambda env: {"voice": env.specs["vits"].id}),
    Backend("composer", "music", music.score_film, _score(lambda env: None), _wav, ".wav", MUSIC_KEY,
            settings=lambda env: {"music_model": music.COMPOSER}),
    Backend("musicgen", "music", music.score_film, _score(lambda env: env.specs["musicgen"]), _wav, ".wav",
            MUSIC_KEY, models="musicgen_model", needs=("transformers",),
            settings=lambda env: {"music_model": env.specs["musicgen"].id}),
    Backend("painter", "images", images.paint_storyboard, _paint, _png, ".png", "image_key(project, scene)",
            progress=False, cancel=False, settings=lambda env: {"image_model": "storyboard"}),
    Backend("sd", "images", images.diffusion.generate, _diffuse("sd"), _png, ".png", AI_IMAGE_KEY,
            models="diffusion_models", needs=("diffusers",), settings=lambda env: {"image_model": env.specs["sd"].id}),
    Backend("sdxl", "images", images.diffusion.generate, _diffuse("sdxl"), _png, ".png", AI_IMAGE_KEY,
            models="diffusion_models", needs=("diffusers",),
            settings=lambda env: {"image_model": env.specs["sdxl"].id}),
    Backend("camera", "animation", animation.render_camera_motion, _camera, _frames, ".mp4",
            "clip_key(project, image_key(project, scene), scene_motions(project)[0], "
            "scene_duration(2.0, project.settings))"),
    Backend("svd", "animation", svd.animate, _svd, _frames, ".mp4",
            SVD_KEY, models="svd_model", needs=("diffusers",),
            settings=lambda env: {"animation_model": "svd-xt"}),
]


each = pytest.mark.parametrize("backend", BACKENDS, ids=[b.id for b in BACKENDS])  # every property, every backend


# --- the models, once for the module -----------------------------------------------------------

@pytest.fixture(scope="module")
def base_env(tmp_path_factory):
    """One offline HF cache, one store and its registry, one CPU model cache, a still to animate."""
    hf_cache = tmp_path_factory.mktemp("hf") / "hub"
    hf_cache.mkdir()
    mp = pytest.MonkeyPatch()
    tm.offline_hub(mp, hf_cache)
    store = Store(Settings.from_env(tmp_path_factory.mktemp("data")))
    registry = Registry(store)
    still = images.paint_storyboard(SCENE, (96, 96), tmp_path_factory.mktemp("still") / "still.png", seed=1)
    yield SimpleNamespace(hf_cache=hf_cache, store=store, registry=registry, cache=tm.cpu_model_cache(registry),
                          still=still, specs={})
    mp.undo()


@pytest.fixture(scope="module")
def vits_model(base_env):
    from . import tiny_vits

    tiny_vits.make_hf_cache(base_env.hf_cache)
    base_env.specs["vits"] = base_env.registry.add(tiny_vits.REPO, "voice")


@pytest.fixture(scope="module")
def musicgen_model(base_env):
    from vidgen.services.music import musicgen

    from . import tiny_musicgen

    base_env.specs["musicgen"] = base_env.registry.add(tiny_musicgen.save_tiny_musicgen(base_env.hf_cache), "music")
    musicgen.register_loaders(base_env.cache)


@pytest.fixture(scope="module")
def diffusion_models(base_env, tmp_path_factory):
    scratch = tmp_path_factory.mktemp("scratch")
    tm.save_in_hf_cache(tm.build_tiny_sd(scratch / "sd"), base_env.hf_cache, tm.SD_REPO)
    tm.save_in_hf_cache(tm.build_tiny_sdxl(scratch / "sdxl"), base_env.hf_cache, tm.SDXL_REPO)
    base_env.specs["sdxl"] = base_env.registry.add(tm.SDXL_REPO, "image")
    # `add` picks diffusers-sdxl for every image repo: the tiny SD one runs on the SD backend (as in
    # test_diffusion.py). Its step key does not name the backend, so the registry's record serves there.
    sd = base_env.registry.add(tm.SD_REPO, "image")
    base_env.specs["sd"] = ModelSpec.from_dict({**sd.to_dict(), "backend": "diffusers-sd"})


@pytest.fixture(scope="module")
def svd_model(base_env):
    from . import tiny_video

    tiny_video.save_tiny_svd(base_env.hf_cache, "tiny-org/tiny-svd", fp16_names=False)
    # `add` stores animation repos as AnimateDiff (planned): this one runs on the SVD backend. Its size
    # is unknown (0), so it fits the 1 GiB test cache; the step key is the packaged svd-xt record's.
    added = base_env.registry.add("tiny-org/tiny-svd", "animation")
    base_env.specs["svd"] = ModelSpec.from_dict({**added.to_dict(), "backend": "diffusers-svd", "requires": []})


@pytest.fixture()
def env(request, base_env):
    backend: Backend = request.node.callspec.params["backend"]
    for package in backend.needs:
        pytest.importorskip(package)
    if backend.models:
        request.getfixturevalue(backend.models)
    if backend.needs:
        with tm.one_torch_thread():  # tiny models: the hand-offs between threads cost more than the maths
            yield base_env
    else:
        yield base_env


@dataclass
class Run:
    out: Path
    progress: list[float]
    cancel_calls: int


@pytest.fixture(scope="module")
def references() -> dict[str, Run]:
    """Backend id -> its reference run (see `reference`)."""
    return {}


def reference(backend: Backend, env, references: dict[str, Run], tmp_path_factory) -> Run:
    """The backend's run with SEED, once for the module: its output, progress values and cancel calls."""
    if backend.id not in references:
        out = tmp_path_factory.mktemp(f"ref-{backend.id}") / f"out{backend.suffix}"
        seen: list[float] = []
        calls = []
        backend.run(env, out, seed=SEED, progress=seen.append if backend.progress else None,
                    cancel=lambda: calls.append(1))
        assert out.is_file()
        references[backend.id] = Run(out, seen, len(calls))
    return references[backend.id]


def _takes(backend: Backend, parameter: str) -> bool:
    return parameter in inspect.signature(backend.entry).parameters


def _importable(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


# --- the contract ------------------------------------------------------------------------------

@each
def test_cancel_stops_it_and_leaves_no_file(backend, env, references, tmp_path_factory, tmp_path):
    if not backend.cancel:
        # Nothing to stop: the painter draws one frame in one go, in milliseconds; a job is cancelled
        # at the step boundary around it. Checked, so the entry is updated once it takes a hook.
        assert not _takes(backend, "cancel"), f"{backend.id} takes cancel now: set cancel=True in its entry"
        pytest.skip(f"{backend.id} takes no cancel hook (a single quick frame)")
    assert _takes(backend, "cancel")
    checks = reference(backend, env, references, tmp_path_factory).cancel_calls
    assert checks >= 2, f"{backend.id} checks for cancel {checks} time(s): it cannot be stopped part way"
    nth = max(2, (checks + 1) // 2)  # part way through, never the check before any work
    calls = []

    def cancel():
        calls.append(1)
        if len(calls) == nth:
            raise Cancelled()

    out = tmp_path / f"out{backend.suffix}"
    with pytest.raises(Cancelled):
        backend.run(env, out, seed=SEED, progress=None, cancel=cancel)
    assert len(calls) == nth  # it stopped at once
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left either


@each
def test_progress_only_rises(backend, env, references, tmp_path_factory):
    if not backend.progress:
        # The voice reports no progress (a scene's speech takes a second or two; the voice step's
        # progress is per scene): checked, so the entry is updated once it does. Likewise the painter.
        assert not _takes(backend, "progress"), f"{backend.id} reports progress now: set progress=True in its entry"
        pytest.skip(f"{backend.id} reports no progress")
    values = reference(backend, env, references, tmp_path_factory).progress
    assert values, f"{backend.id} reported no progress"
    assert all(0.0 <= v <= 1.0 for v in values), values
    assert all(b >= a for a, b in zip(values, values[1:])), f"progress went backwards: {values}"
    assert values[-1] == pytest.approx(1.0)  # and says when it is done


@each
def test_the_same_seed_gives_the_same_output(backend, env, references, tmp_path_factory, tmp_path):
    first = reference(backend, env, references, tmp_path_factory).out
    again = backend.run(env, tmp_path / f"again{backend.suffix}", seed=SEED, progress=None, cancel=None)
    a, b = backend.decode(first), backend.decode(Path(getattr(again, "wav", again)))
    if backend.seeded:
        assert a.shape == b.shape and np.array_equal(a, b)
        return
    # Piper: its noise (phoneme lengths, intonation) is drawn inside onnxruntime, which takes no seed,
    # so two runs differ by a few per cent in length and are never sample-equal. What holds: the same
    # sentences, and the same length within PIPER_LENGTH_TOLERANCE.
    assert [c.text for c in again.cues] == ["The tide came in.", "Is anyone there?"]
    assert abs(b.size - a.size) <= PIPER_LENGTH_TOLERANCE * a.size, (a.size, b.size)


# The key expressions run here and in fresh interpreters with other hash seeds: a key built from
# anything that hash randomisation orders (a set, a dict built from one, hash()) differs between them.
KEY_PRELUDE = """
import json, sys
from vidgen.config import Settings
from vidgen.store import Store
from vidgen.pipeline.keys import clip_key, image_key, music_key, scene_duration, voice_key
from vidgen.pipeline.plan import clip_plan, image_plan, music_segments, scene_motions
from vidgen.resolve import image_model


def keys_of(store, project, expression):
    return [eval(expression, dict(globals(), store=store, project=project, scene=scene)) for scene in project.scenes]
"""
KEY_MAIN = """
store = Store(Settings.from_env(sys.argv[1]))
cases = json.loads(sys.argv[2])
print(json.dumps({bid: keys_of(store, store.get_project(pid), expression) for bid, (pid, expression) in cases.items()}))
"""
KEY_SCRIPT = """Scene 1: The harbour
Mood: calm
Narrator: Boats rocked gently in the morning light.
Ana: Is anyone there?

Scene 2: The storm
Mood: tense
Narrator: By noon, black clouds rolled in from the sea.
"""


@pytest.fixture(scope="module")
def key_cases(request, base_env) -> dict[str, tuple[str, str, list[str]]]:
    """Per backend that runs here: (project id, key expression, its keys computed in this process),
    for a project whose settings select that backend."""
    here: dict[str, Any] = {}
    exec(KEY_PRELUDE, here)
    cases = {}
    for backend in BACKENDS:
        if not all(_importable(p) for p in backend.needs):
            continue
        if backend.models:
            request.getfixturevalue(backend.models)
        settings = RenderSettings(seed=SEED, **backend.settings(base_env))
        project = create_project(base_env.store, KEY_SCRIPT, settings=settings)
        cases[backend.id] = (project.id, backend.key, here["keys_of"](base_env.store, project, backend.key))
    return cases


@pytest.fixture(scope="module")
def fresh_keys(key_cases, base_env) -> dict[str, dict[str, list[str]]]:
    """The same keys from two fresh interpreters, hash seeds 1 and 2 (one pair for all backends)."""
    cases = json.dumps({bid: [pid, expression] for bid, (pid, expression, _) in key_cases.items()})
    args = [sys.executable, "-c", KEY_PRELUDE + KEY_MAIN, str(base_env.store.settings.data_dir), cases]
    children = {seed: subprocess.Popen(args, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed}, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for seed in ("1", "2")}
    out = {}
    for seed, child in children.items():
        stdout, stderr = child.communicate(timeout=120)
        assert child.returncode == 0, stderr
        out[seed] = json.loads(stdout)
    return out


@each
def test_the_step_key_is_the_same_in_every_process(backend, env, key_cases, fresh_keys):
    _, _, keys = key_cases[backend.id]
    assert len(keys) == KEY_SCRIPT.count("Scene ") and all(len(k) == 64 for k in keys)  # a sha256 per scene
    for seed, computed in fresh_keys.items():
        assert computed[backend.id] == keys, f"{backend.id}: a fresh process (PYTHONHASHSEED={seed}) keys otherwise"
