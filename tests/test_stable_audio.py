"""Sound effects as a model kind: Stable Audio Open on a tiny random-weight pipeline
(tests/tiny_stable_audio.py) saved where the registry's `stable-audio-open-1.0` record looks,
loaded offline on the CPU through `make_sound`; and the built-in library through the same entry
point. The machine is told to be a roomy CPU box, so the 5 GB record's compatibility check passes."""

from __future__ import annotations

import numpy as np
import pytest

from vidgen.config import Settings
from vidgen.errors import Cancelled, VidgenError
from vidgen.jobs import GpuLane
from vidgen.media import read_wav
from vidgen.models import hub
from vidgen.models.backends import runtime
from vidgen.models.cache import ModelCache
from vidgen.models.registry import ModelSpec, Registry
from vidgen.services.sfx import SoundRequest, make_sound, sound_audio, stable_audio, synth, synthesize
from vidgen.services.sfx.request import check_request
from vidgen.services.sfx.scene import Effect, model_maker, write_effects
from vidgen.store import Store

from . import tiny_stable_audio as tsa
from .tiny_models import offline_hub, one_torch_thread
from .tiny_video import GiB, ROOMY, log_lines

# torchsde's Brownian interval warns when the last step queries sigma 0 (the real model does the same)
pytestmark = pytest.mark.filterwarnings("ignore:Should have:UserWarning")

MODEL = "stable-audio-open-1.0"
R = 48000
STEPS = 3


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """(registry, cache): the tiny pipeline in an offline HF cache, one CPU model cache for the module."""
    hf = tmp_path_factory.mktemp("hf") / "hub"
    tsa.save_tiny_stable_audio(hf)
    mp = pytest.MonkeyPatch()
    offline_hub(mp, hf)
    mp.setattr(hub, "device_info", lambda: dict(ROOMY))
    registry = Registry(Store(Settings.from_env(tmp_path_factory.mktemp("data"))))
    # The record's vram_gb (6) is the cache's first estimate: a budget that admits it.
    cache = ModelCache(resolve=registry.get, device="cpu", budget_bytes=64 * GiB, lane=GpuLane())
    with one_torch_thread():
        yield registry, cache
    mp.undo()


def ai(env, cue: str = "rain on a tin roof", seconds: float = 0.6, *, kind: str = "event", seed: int = 1,
       rate: int = R, steps: int = STEPS, **kw) -> np.ndarray:
    registry, cache = env
    request = SoundRequest(cue, seconds, kind=kind, rate=rate, seed=seed, steps=steps)
    samples, prompt = sound_audio(registry.get(MODEL), request, cache=cache, **kw)
    assert prompt.startswith(cue)
    return samples


# --- Stable Audio through the registry --------------------------------------------------------

def test_the_record_runs_on_this_module_and_reads_its_window_from_the_snapshot(env):
    registry, _ = env
    spec = registry.get(MODEL)
    assert (spec.kind, spec.backend, spec.repo) == ("sfx", "diffusers-stable-audio", tsa.REPO)
    assert spec.runs and runtime(spec) is stable_audio
    assert stable_audio.limits(spec) == (pytest.approx(tsa.WINDOW), tsa.SAMPLE_RATE)


def test_the_sound_has_the_length_and_rate_asked_mono_float32_at_the_stated_peak(env, tmp_path):
    registry, cache = env
    x = ai(env, seconds=0.6)
    assert x.dtype == np.float32 and x.shape == (round(0.6 * R),) and np.all(np.isfinite(x))
    assert np.abs(x).max() == pytest.approx(10 ** (-3 / 20), rel=1e-4)  # the library's -3 dBFS
    assert x[0] == 0.0 and x[-1] == 0.0  # faded at both ends
    request = SoundRequest("a door slams", 0.3, rate=22050, seed=2, steps=STEPS)
    result = make_sound(registry.get(MODEL), request, tmp_path / "door.wav", cache=cache)
    audio, sr = read_wav(result.wav)
    assert sr == 22050 == result.sample_rate and len(audio) == round(0.3 * 22050)
    assert (result.model, result.backend, result.kind, result.sound) == (MODEL, stable_audio.BACKEND, "event", "")
    assert result.prompt == "a door slams, sound effect" and result.seconds == pytest.approx(0.3)


def test_the_same_seed_repeats_and_another_differs(env):
    a, b, c = ai(env, seed=5), ai(env, seed=5), ai(env, seed=6)
    assert np.array_equal(a, b)
    assert np.abs(a - c).mean() > 1e-3


def test_progress_sees_every_denoising_step_then_one(env):
    seen: list[float] = []
    ai(env, steps=5, progress=seen.append)
    assert len(seen) == 5 + 1
    assert seen[:5] == pytest.approx([stable_audio.DENOISE_SHARE * k / 5 for k in range(1, 6)])
    assert seen[-1] == 1.0


def test_cancel_mid_denoise_raises_cancelled_and_leaves_no_file(env, tmp_path):
    registry, cache = env
    calls: list[int] = []

    def cancel():  # 1: before loading, 2: the first step, 3: the second
        calls.append(1)
        if len(calls) == 3:
            raise Cancelled()

    seen: list[float] = []
    with pytest.raises(Cancelled):
        make_sound(registry.get(MODEL), SoundRequest("wind", 0.5, steps=6), tmp_path / "x.wav", progress=seen.append,
                   cancel=cancel, cache=cache)
    assert len(calls) == 3 and len(seen) == 1 and seen[0] < 0.5
    assert list(tmp_path.iterdir()) == []  # no sound, no temporary file


def test_a_model_not_downloaded_says_how_to_fetch_it_in_one_line(env, tmp_path):
    registry, cache = env
    absent = ModelSpec.from_dict({**registry.get(MODEL).to_dict(), "repo": "nobody/absent-audio"})
    with pytest.raises(VidgenError, match=rf"is not downloaded: run `python -m vidgen models download {MODEL}`") as e:
        make_sound(absent, SoundRequest("rain", 0.5), tmp_path / "x.wav", cache=cache,
                   cancel=lambda: pytest.fail("no work may start"))
    assert "\n" not in str(e.value) and list(tmp_path.iterdir()) == []


def test_an_event_longer_than_one_generation_is_refused_before_loading(env, tmp_path):
    registry, _ = env
    request = SoundRequest("THUNDER ROLLS", 2.0, kind="event")
    with pytest.raises(VidgenError, match=r"makes at most 1\.0 s of sound at once, and the event 'thunder rolls' "
                                          r"asks for 2 s: make it shorter, or a bed \(beds loop\)"):
        make_sound(registry.get(MODEL), request, tmp_path / "x.wav", cancel=lambda: pytest.fail("nothing may load"))


def test_a_bed_longer_than_one_generation_loops_one_window(env):
    with log_lines(stable_audio.__name__) as lines:
        x = ai(env, "steady rain", 2.5, kind="bed")
    assert x.shape == (round(2.5 * R),) and np.all(np.isfinite(x))
    assert len(lines) == 1 and f"from {tsa.WINDOW:.2f} s generated" in lines[0], lines  # one generation
    assert abs(float(x.mean())) < 0.01  # a bed loses its DC offset


def test_a_user_model_added_by_repo_runs_on_stable_audio(env):
    registry, _ = env
    spec = registry.add("someone/stable-audio-finetune", "sfx")
    assert spec.backend == stable_audio.BACKEND and spec.runs and "*/*.safetensors" in spec.allow_patterns


# --- the audio arithmetic, no model -----------------------------------------------------------

def test_stereo_is_averaged_and_44k1_resampled_to_48k():
    stereo = np.stack([np.ones(441, np.float32), -np.ones(441, np.float32) * 0.5])
    assert np.allclose(stable_audio.to_mono(stereo), 0.25)
    t = np.arange(44100) / 44100
    y = stable_audio.resample(np.sin(2 * np.pi * 440 * t).astype(np.float32), 44100, 48000)
    assert y.dtype == np.float32 and y.size == 48000
    assert np.abs(np.fft.rfft(y)).argmax() == 440  # the tone kept its pitch (1 Hz bins)


def test_loop_plays_through_then_crossfades_each_seam():
    x = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    y = stable_audio.loop(x, 3500, 100)
    assert y.shape == (3500,)
    assert np.array_equal(y[:900], x[:900])  # the first pass, up to its tail
    assert np.allclose(y[900], x[900]) and np.allclose(y[999], x[99], atol=0.05)  # tail -> head
    assert np.array_equal(y[1000:1800], x[100:900]) and np.array_equal(y[1900:2700], x[100:900])


def test_prompts_say_ambience_or_sound_effect():
    bed = check_request(SoundRequest("RAIN ON THE WINDOWS.", 10.0, kind="bed"))
    assert stable_audio.compose_prompt(bed) == "rain on the windows, steady ambience"
    event = check_request(SoundRequest.for_cue("A gull cries", 2.0))
    assert event.kind == "event" and stable_audio.compose_prompt(event) == "A gull cries, sound effect"


# --- the built-in library through the same entry point ----------------------------------------

def test_the_built_in_library_is_the_default_sfx_model(tmp_path):
    registry = Registry(Store(Settings.from_env(tmp_path / "data")))
    spec = registry.active("sfx")
    assert spec.id == "sfx-synth" and spec.builtin and spec.default and runtime(spec) is synth


def test_a_matched_cue_gives_the_library_sound(tmp_path):
    request = SoundRequest.for_cue("THUNDER ROLLS in the distance", 3.0, seed=2)
    assert (request.sound, request.kind) == ("thunder", "event")
    seen: list[float] = []
    result = make_sound(None, request, tmp_path / "thunder.wav", progress=seen.append)
    assert (result.model, result.backend, result.sound, result.prompt) == ("sfx-synth", "synth", "thunder", "")
    audio, sr = read_wav(result.wav)
    expected = synthesize("thunder", 3.0, R, 2)
    assert sr == R and len(audio) == expected.size and np.abs(audio - expected).max() < 1e-3  # 16-bit WAV
    assert seen == [1.0]


def test_an_unmatched_cue_says_there_is_no_built_in_sound(tmp_path):
    request = SoundRequest.for_cue("a gunshot in the alley", 1.0)
    assert request.sound == ""
    with pytest.raises(VidgenError, match=r"^There is no built-in sound for the cue 'a gunshot in the alley' "
                                          r"\(built in: rain, .*\): use an AI sound model"):
        make_sound(None, request, tmp_path / "x.wav")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("request_, word", [
    (SoundRequest("", 1.0), "empty"),
    (SoundRequest("rain", 1.0, kind="loop"), "bed or an event"),
    (SoundRequest("rain", 1.0, sound="drizzle"), "No built-in sound 'drizzle'"),
    (SoundRequest("rain", 0.0), "lasts 0.05 to 600 seconds"),
    (SoundRequest("rain", 1.0, rate=8000), "Sample rate"),
    (SoundRequest("rain", 1.0, steps=-1), "Denoising steps"),
])
def test_bad_requests_are_named(request_, word, tmp_path):
    with pytest.raises(VidgenError, match=word):
        make_sound(None, request_, tmp_path / "x.wav")


def test_a_model_of_another_kind_is_refused(tmp_path):
    music = Registry(Store(Settings.from_env(tmp_path / "data"))).get("composer")
    with pytest.raises(VidgenError, match="not a sound-effect backend"):
        make_sound(music, SoundRequest("rain", 1.0), tmp_path / "x.wav")


def test_a_scenes_effects_track_made_by_the_model(env, tmp_path):
    """The render's effects step with an AI model: every cue plays, the ones the library lacks too."""
    registry, cache = env
    make = model_maker(registry.get(MODEL), cache=cache, steps=STEPS)
    placed = [Effect("a gull cries", "", "event", 0.2), Effect("rain", "rain", "bed", 0.0)]
    out = write_effects(placed, 1.0, tmp_path / "fx.wav", seed=2, make=make)
    x, rate = read_wav(out)
    assert rate == 48000 and x.size == 48000 and np.all(np.isfinite(x))
    assert np.abs(x[: int(0.2 * rate)]).max() > 0  # the bed plays from the start
    assert np.abs(x[int(0.25 * rate):int(0.9 * rate)]).max() > np.abs(x[: int(0.15 * rate)]).max()  # and the gull
