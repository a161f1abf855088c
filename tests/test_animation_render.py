"""A whole render with an image-to-video model (issue 14): the tiny random-weight SVD where the
registry's `svd-xt` record looks, offline on the CPU, chosen for the project and for one scene. The film
moves inside its shots, each clip lasts its scene, and a second render generates nothing: the clips
come from the step cache."""

from __future__ import annotations

import numpy as np
import pytest

from vidgen.config import Settings
from vidgen.domain import RenderSettings
from vidgen.media import probe
from vidgen.pipeline import create_project, render
from vidgen.store import Store

from . import tiny_video as tv

pytest.importorskip("diffusers")
pytest.importorskip("av")

from vidgen.services.animation import svd  # noqa: E402

FPS = 8


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with tv.offline_video_models(tmp_path_factory, tv.save_tiny_svd, "svd-xt") as found:
        yield found


@pytest.fixture()
def calls(monkeypatch):
    """Every clip SVD makes (the job it was given)."""
    made = []
    real = svd.animate

    def counted(spec, job, out_path, **kw):
        made.append(job)
        return real(spec, job, out_path, **kw)

    monkeypatch.setattr(svd, "animate", counted)
    return made


def settings(**kw) -> RenderSettings:
    return RenderSettings(resolution="480p", fps=FPS, quality="draft", voice="none", animation_steps=2, **kw)


def clip_of(store: Store, job, scene: int) -> str:
    step = next(s for s in job.steps if s.name == "animation" and s.scene == scene)
    return str(store.asset_path(store.get_step(step.key)["outputs"]["clip"]))


def test_a_film_from_svd_moves_and_renders_again_from_the_cache(env, calls, harbour, tmp_path):
    store = Store(Settings.from_env(tmp_path / "data"))
    project = create_project(store, harbour, settings=settings(animation_model="svd-xt", animation_strength=0.7))
    first = render(store, project.id)
    assert first.status == "completed", first.error
    project = store.get_project(project.id)
    assert len(calls) == len(project.scenes) == 2
    assert {job.strength for job in calls} == {0.7} and all(job.prompt for job in calls)

    info = probe(first.result["video"])
    assert (info.video.width, info.video.height) == (854, 480)
    animation = [s for s in first.steps if s.name == "animation"]
    assert [s.scene for s in animation] == [1, 2] and not any(s.cached for s in animation)
    for job, scene in zip(calls, project.scenes):
        px = tv.clip_frames(clip_of(store, first, scene.number))
        assert px.shape[0] == round(job.duration * FPS) and px.shape[1:3] == (480, 854)
        steps = np.abs(np.diff(px, axis=0)).mean(axis=(1, 2, 3))
        assert (steps > 0.2).mean() > 0.8, steps  # the shot moves (a camera-free still would not)

    again = render(store, project.id)
    assert again.status == "completed" and all(s.cached for s in again.steps)
    assert len(calls) == 2  # nothing generated a second time
    assert [clip_of(store, again, n) for n in (1, 2)] == [clip_of(store, first, n) for n in (1, 2)]


def test_one_scene_on_svd_the_other_on_the_camera(env, calls, harbour, tmp_path):
    store = Store(Settings.from_env(tmp_path / "data"))
    project = create_project(store, harbour, settings=settings())
    project.scenes[1].animation_model = "svd-xt"
    store.save_project(project)
    job = render(store, project.id)
    assert job.status == "completed", job.error
    assert len(calls) == 1  # scene 2 only
    keys = {s.scene: store.get_step(s.key)["data"] for s in job.steps if s.name == "animation"}
    assert keys == {1: {"model": "camera"}, 2: {"model": "svd-xt"}}


def test_a_render_checks_the_models_before_any_work(env, calls, harbour, tmp_path, monkeypatch):
    """Not downloaded, an adapter whose base is missing, or too large: the render is refused at its
    checks, one line naming the fix, and nothing is generated."""
    from vidgen.errors import VidgenError
    from vidgen.models import hub

    from .test_animatediff import ADAPTER_REPO

    store = Store(Settings.from_env(tmp_path / "data"))

    def refused(model: str, words: str) -> None:
        project = create_project(store, harbour, settings=settings(animation_model=model))
        with pytest.raises(VidgenError, match=words) as err:
            render(store, project.id)
        assert "\n" not in str(err.value)

    refused("wan2.2-ti2v-5b", "is not downloaded: .*models download wan2.2-ti2v-5b")
    refused("animatediff-v1-5-2", "is not downloaded: .*models download animatediff-v1-5-2")
    hf = tmp_path / "hf"
    adapter = tv.tm.snapshot_dir(hf, ADAPTER_REPO)  # the adapter alone: its SD 1.5 base is missing
    adapter.mkdir(parents=True)
    (adapter.parent.parent / "refs").mkdir()
    (adapter.parent.parent / "refs" / "main").write_text(adapter.name)
    for name in ("config.json", "diffusion_pytorch_model.fp16.safetensors"):
        (adapter / name).write_text("{}")
    tv.tm.offline_hub(monkeypatch, hf)
    refused("animatediff-v1-5-2", "Stable Diffusion 1.5 .*is not downloaded: .*models download sd15")
    monkeypatch.setattr(hub, "device_info", lambda: {**tv.ROOMY, "ram_total": 2 * tv.GiB, "ram_free": tv.GiB})
    refused("svd-xt", "cannot run on this machine")
    assert calls == []
