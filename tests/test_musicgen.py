"""MusicGen through the model cache, on a tiny random-weight model (tests/tiny_musicgen.py):
3200 Hz, 50 frames a second, a one-second generation window."""

from __future__ import annotations

import numpy as np
import pytest

from vidgen.errors import Cancelled, VidgenError
from vidgen.media import read_wav
from vidgen.services.music import musicgen
from vidgen.services.music import score_film

from . import tiny_musicgen as tmg
from .tiny_models import cpu_model_cache, offline_hub, one_torch_thread

SR = tmg.SAMPLE_RATE


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """(spec, cache, registry): the tiny MusicGen added as a user music model (the stereo one is
    in the HF cache too), one model cache for the module."""
    from vidgen.config import Settings
    from vidgen.models.registry import Registry
    from vidgen.store import Store

    hub = tmp_path_factory.mktemp("hf") / "hub"
    repo = tmg.save_tiny_musicgen(hub)
    tmg.save_tiny_musicgen(hub, tmg.STEREO_REPO, stereo=True)
    mp = pytest.MonkeyPatch()
    offline_hub(mp, hub)
    registry = Registry(Store(Settings.from_env(tmp_path_factory.mktemp("data"))))
    spec = registry.add(repo, "music")
    cache = cpu_model_cache(registry)
    musicgen.register_loaders(cache)
    with one_torch_thread():  # a 16-wide model
        yield spec, cache, registry
    mp.undo()


def test_the_added_model_runs_on_the_musicgen_backend(env):
    spec, cache, _ = env
    assert spec.backend == musicgen.BACKEND
    with cache.use(spec) as bundle:
        assert musicgen.window_frames(bundle.model.config) == tmg.WINDOW_FRAMES
        assert bundle.model.config.audio_encoder.sampling_rate == SR


def test_generate_writes_the_length_at_the_models_rate_and_is_seeded(env, tmp_path):
    spec, cache, _ = env
    prompt = musicgen.compose_prompt("calm")
    result = musicgen.generate(spec, prompt, 0.7, tmp_path / "a.wav", seed=3, cache=cache)
    audio, sr = read_wav(result.wav)
    assert sr == SR == result.sample_rate and len(audio) == round(0.7 * SR)
    assert result.seconds == pytest.approx(0.7) and result.prompt == prompt
    assert result.backend == "transformers-musicgen"
    assert np.sqrt(np.mean(audio ** 2)) > 0.01  # random weights still make sound
    again = musicgen.generate(spec, prompt, 0.7, tmp_path / "b.wav", seed=3, cache=cache)
    other = musicgen.generate(spec, prompt, 0.7, tmp_path / "c.wav", seed=4, cache=cache)
    assert again.wav.read_bytes() == result.wav.read_bytes()
    assert other.wav.read_bytes() != result.wav.read_bytes()


def test_music_longer_than_the_window_continues_from_its_tail(env, monkeypatch):
    spec, cache, _ = env
    with cache.use(spec) as bundle:
        model = bundle.model
    windows: list[tuple] = []  # (audio prompt given, audio returned) per generate call
    real_generate = model.generate

    def spy(**kwargs):
        out = real_generate(**kwargs)
        prompt = kwargs.get("input_values")
        windows.append((None if prompt is None else prompt[0, 0].numpy(), out[0, 0].numpy()))
        return out

    monkeypatch.setattr(model, "generate", spy)
    calls: list[float] = []
    audio, sr = musicgen.generate_audio(spec, musicgen.compose_prompt("tense"), 2.5, seed=1, progress=calls.append,
                                        cache=cache)
    assert sr == SR and len(audio) == round(2.5 * SR)
    # Windows of 50 frames; each continuation carries 16 frames of prompt and adds 34 new ones.
    hop, carry = SR // tmg.FRAME_RATE, (tmg.WINDOW_FRAMES // 3) * (SR // tmg.FRAME_RATE)
    assert [len(out) // hop for _, out in windows] == [50, 16 + 34, 16 + 34, 16 + 7]

    first, second = windows[0][1], windows[1][1]
    assert windows[0][0] is None and np.array_equal(windows[1][0], first[-carry:])  # the tail goes back in
    n = len(first)
    gain = np.dot(audio[:n - carry], first[:n - carry]) / np.dot(first[:n - carry], first[:n - carry])  # normalize()
    assert np.allclose(audio[:n - carry], gain * first[:n - carry], atol=1e-5)  # kept up to the seam
    new = 34 * hop - carry  # the new part, up to where the next window's seam begins
    assert np.allclose(audio[n:n + new], gain * second[carry:carry + new], atol=1e-5)  # only the new part appended
    # The seam crossfades from the old audio into the model's re-decoding of it: continuous at both edges.
    assert audio[n - carry] == pytest.approx(gain * first[n - carry], abs=1e-3)
    assert audio[n - 1] == pytest.approx(gain * second[carry - 1], abs=1e-3)

    # progress per decoding step, rising to 1: a step per frame, plus the codebook delay per window
    assert len(calls) == 125 + len(windows) * (tmg.NUM_CODEBOOKS - 1)
    assert calls == sorted(calls) and calls[-1] == 1.0


def test_seam_crossfade_is_smooth_between_different_signals():
    t = np.arange(4000) / SR
    old, new = np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 220 * t + 2.0)  # same tone, other phase
    joined = musicgen._seam(old.astype(np.float32), new.astype(np.float32), 1000)
    assert len(joined) == 4000 + 4000 - 1000
    assert np.max(np.abs(np.diff(joined))) <= np.max(np.abs(np.diff(old))) * 1.01


def test_stereo_models_are_mixed_to_mono_and_continue_in_stereo(env):
    _, cache, registry = env
    stereo = registry.add(tmg.STEREO_REPO, "music")
    calls: list[float] = []
    audio, sr = musicgen.generate_audio(stereo, "epic", 1.6, seed=1, progress=calls.append, cache=cache)
    assert audio.ndim == 1 and len(audio) == round(1.6 * SR) and np.all(np.isfinite(audio))
    assert len(calls) == 80 + 2 * (tmg.NUM_CODEBOOKS - 1) and calls[-1] == 1.0  # 80 frames in two windows


def test_cancel_stops_generation_mid_window(env, tmp_path):
    spec, cache, _ = env
    steps = []

    def cancel():
        steps.append(1)
        if len(steps) > 30:
            raise Cancelled()

    with pytest.raises(Cancelled):
        musicgen.generate(spec, "calm piano", 2.0, tmp_path / "x.wav", cancel=cancel, cache=cache)
    assert len(steps) == 31 and not (tmp_path / "x.wav").exists()
    ok = musicgen.generate(spec, "calm piano", 0.3, tmp_path / "y.wav", cache=cache)  # the cache still serves
    assert ok.wav.is_file()


def test_a_model_that_is_not_downloaded_says_how_to_get_it(env, tmp_path):
    _, cache, registry = env
    missing = registry.add("tiny-org/not-downloaded", "music")
    with pytest.raises(VidgenError, match="download"):
        musicgen.generate(missing, "calm", 1.0, tmp_path / "m.wav", cache=cache)


def test_compose_prompt_describes_mood_genre_instruments_and_tempo():
    assert musicgen.compose_prompt("calm", "ambient", [], 70) == (
        "calm, peaceful ambient soundtrack, warm synth pads, soft vibraphone and harp, 70 bpm, "
        "instrumental, no vocals")
    prompt = musicgen.compose_prompt("epic", "", [0, 40], 0)
    assert prompt.startswith("epic, powerful cinematic soundtrack, acoustic grand piano and violin, 96 bpm")
    with pytest.raises(VidgenError, match="Unknown mood"):
        musicgen.compose_prompt("angry")
    with pytest.raises(VidgenError, match="0-127"):
        musicgen.compose_prompt("calm", instruments=[130])


def test_score_film_with_musicgen(env, tmp_path):
    spec, cache, _ = env
    calls: list[float] = []
    result = score_film([("calm", 1.5), ("epic", 2.0)], tmp_path / "score.wav", model=spec, crossfade=0.5, seed=2,
                        progress=calls.append, cache=cache)
    audio, sr = read_wav(result.wav)
    assert sr == SR and len(audio) == round(3.5 * SR) and result.backend == "transformers-musicgen"
    assert "calm" in result.prompt and "epic" in result.prompt
    assert calls == sorted(calls) and calls[-1] == 1.0
    with pytest.raises(VidgenError, match="key"):
        score_film([("calm", 2.0)], tmp_path / "k.wav", model=spec, key="D minor", cache=cache)
