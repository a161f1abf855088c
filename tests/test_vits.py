"""VITS voices (backend transformers-vits) with a tiny random-weight model, offline, on the CPU:
registry id -> model cache -> synthesize_lines; rate, cues, seeds, speakers, speed, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vidgen.domain import Character, Line, RenderSettings, Voice
from vidgen.errors import VidgenError
from vidgen.media import read_wav

from . import tiny_vits as tv
from .tiny_models import cpu_model_cache, offline_hub

pytest.importorskip("transformers")

from vidgen.services.voice import vits  # noqa: E402
from vidgen.services.voice import cast, check_voice, check_voices, synthesize_lines  # noqa: E402


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A registry with the tiny voices added as user models, and one model cache for the module."""
    from vidgen.config import Settings
    from vidgen.models.registry import Registry
    from vidgen.store import Store

    hf_cache = tv.make_hf_cache(tmp_path_factory.mktemp("hf") / "hub")
    mp = pytest.MonkeyPatch()
    offline_hub(mp, hf_cache)
    registry = Registry(Store(Settings.from_env(tmp_path_factory.mktemp("data"))))
    specs = {"one": registry.add(tv.REPO, "voice"), "multi": registry.add(tv.MULTI_REPO, "voice")}
    cache = cpu_model_cache(registry)
    yield specs, registry, cache, hf_cache
    mp.undo()


def speak(env, tmp_path: Path, lines, name="v.wav", **kw):
    specs, registry, cache, _ = env
    kw.setdefault("cast", {None: Voice(model=specs["one"].id)})
    return synthesize_lines(lines, tmp_path / name, registry=registry, cache=cache, **kw)


def test_a_registry_vits_voice_speaks_through_the_cache(env, tmp_path):
    specs, registry, cache, _ = env
    assert specs["one"].backend == vits.BACKEND
    assert check_voice(specs["one"].id, registry) == specs["one"].id
    lines = [Line("The tide came in. Gulls circled!"), Line("Is anyone there?", "Ana")]
    r = speak(env, tmp_path, lines, seed=3)
    audio, sr = read_wav(r.wav)
    assert sr == r.sample_rate == tv.SAMPLE_RATE
    assert r.duration == pytest.approx(audio.size / sr) and audio.size > 0
    assert [c.text for c in r.cues] == ["The tide came in.", "Gulls circled!", "Is anyone there?"]
    assert [c.speaker for c in r.cues] == [None, None, "Ana"]
    assert r.timing == "measured per sentence"
    for c in r.cues:
        seg = audio[int(c.start * sr):int(c.end * sr)]
        assert seg.size > 0 and float(np.sqrt(np.mean(seg ** 2))) > 0.05
    assert cache.loaded(specs["one"].id) == "cpu"  # resident for the next scene
    again = speak(env, tmp_path, lines, "again.wav", seed=3)
    assert np.array_equal(read_wav(again.wav)[0], audio)  # same seed, same audio
    other = speak(env, tmp_path, lines, "other.wav", seed=4)
    assert not np.array_equal(read_wav(other.wav)[0], audio)


def test_seeding_leaves_the_global_rng_alone(env):
    import torch

    specs, _, cache, _ = env
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with cache.use(specs["one"]) as voice:
        a = vits.synthesize(voice, "hello there", seed=1)
        b = vits.synthesize(voice, "hello there", seed=1)
        slow = vits.synthesize(voice, "hello there", seed=1, speed=0.5)
    assert torch.equal(torch.rand(3), expected)
    assert np.array_equal(a, b) and a.dtype == np.float32
    assert slow.size > a.size  # speaking_rate reaches the model


def test_speakers_of_a_multi_speaker_vits_voice(env, tmp_path):
    specs, registry, cache, _ = env
    multi = specs["multi"].id
    assert vits.num_speakers(specs["multi"]) == 3
    with cache.use(specs["multi"]) as voice:
        s0 = vits.synthesize(voice, "hello there", speaker=0, seed=1)
        s2 = vits.synthesize(voice, "hello there", speaker=2, seed=1)
        with pytest.raises(VidgenError, match="speakers 0 to 2, not 5"):
            vits.synthesize(voice, "hello", speaker=5)
    assert not np.array_equal(s0, s2)
    # Characters without a voice get the model's other speakers before any pitch offsets.
    settings = RenderSettings(voice=multi)
    voices = cast(settings, [Character("Ana"), Character("Bo"), Character("Cy")], registry=registry)
    assert [voices[n].speaker for n in ("Ana", "Bo", "Cy")] == [1, 2, 0]
    assert voices["Ana"].pitch == voices["Bo"].pitch == 0.0 and voices["Cy"].pitch != 0.0
    with pytest.raises(VidgenError, match="speakers 0 to 2, not 4"):
        check_voices(RenderSettings(voice=multi, narrator=Voice(speaker=4)), [], registry=registry)
    with pytest.raises(VidgenError, match="one speaker"):
        speak(env, tmp_path, [Line("hello")], cast={None: Voice(model=specs["one"].id, speaker=1)})


def test_missing_uroman_and_unknown_characters_are_clear(env, tmp_path, monkeypatch):
    specs, registry, cache, hf_cache = env
    folder = tv.snapshot_dir(hf_cache, tv.REPO)
    with pytest.raises(VidgenError, match="knows none of the characters"):
        speak(env, tmp_path, [Line("你好。")])
    config = folder / "tokenizer_config.json"
    original = config.read_text()
    monkeypatch.setattr(vits.importlib.util, "find_spec", lambda name: None)
    try:
        config.write_text(json.dumps({**json.loads(original), "is_uroman": True}))
        with pytest.raises(VidgenError, match="pip install uroman"):
            check_voice(specs["one"].id, registry)
        with pytest.raises(VidgenError, match="pip install uroman"):
            vits.load_model(specs["one"], "cpu")
    finally:
        config.write_text(original)


def test_a_voice_that_is_not_downloaded_says_how_to_get_it(env):
    _, registry, _, _ = env
    with pytest.raises(VidgenError, match="models download mms-tts-fra"):
        check_voice("mms-tts-fra", registry)
    with pytest.raises(VidgenError, match="is an image model, not a voice"):
        check_voice("sdxl-turbo", registry)


def test_piper_and_vits_speakers_share_one_scene_at_the_first_voice_rate(env, tmp_path):
    specs, registry, _, _ = env
    settings = RenderSettings()
    voices = cast(settings, [Character("Robot", voice=Voice(model=specs["one"].id, pitch=-2.0))], registry=registry)
    lines = [Line("The machine woke up."), Line("Hello, human.", "robot"), Line("It said.")]
    r = speak(env, tmp_path, lines, cast=voices, seed=1)
    audio, sr = read_wav(r.wav)
    assert sr == r.sample_rate == 22050  # the narrator's Piper rate; the VITS line was resampled
    assert [(c.text, c.speaker) for c in r.cues] == [("The machine woke up.", None), ("Hello, human.", "robot"),
                                                     ("It said.", None)]
    robot = r.cues[1]
    assert robot.end - robot.start > 0.05
    assert float(np.sqrt(np.mean(audio[int(robot.start * sr):int(robot.end * sr)] ** 2))) > 0.05
