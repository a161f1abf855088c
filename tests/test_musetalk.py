"""MuseTalk 1.5 as the lip-sync backend, with tiny random-weight parts saved in the published layouts
(tests/tiny_musetalk.py) in an offline HF cache, loaded by registry id through a CPU model cache: the
records, the state-dict round trip, missing and broken parts, the crop on a real face, the audio
window and its alignment, and the one-step inpainting (its UNet inputs, determinism, audio, batches,
cancel)."""

from __future__ import annotations

import math
import shutil
from types import SimpleNamespace

import numpy as np
import pytest

from vidgen.config import Settings
from vidgen.errors import Cancelled, VidgenError
from vidgen.jobs import GpuLane
from vidgen.models.backends import runtime
from vidgen.models.cache import ModelCache
from vidgen.models.registry import Registry
from vidgen.services.lipsync import musetalk, musetalk_audio
from vidgen.store import Store

from . import tiny_models as tm
from . import tiny_musetalk as tmt

pytest.importorskip("diffusers")
cv2 = pytest.importorskip("cv2")
skdata = pytest.importorskip("skimage.data")

GiB = 1 << 30
FPS = 25
RATE = musetalk_audio.SAMPLE_RATE
HAAR_BOX = (177, 66, 95, 95)  # OpenCV's frontal-face cascade on skimage's astronaut


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    hf = tmp_path_factory.mktemp("hf") / "hub"
    state = tmt.save_tiny_musetalk(hf)
    mp = pytest.MonkeyPatch()
    tm.offline_hub(mp, hf)
    registry = Registry(Store(Settings.from_env(tmp_path_factory.mktemp("data"))))
    # The record's vram_gb (4) is the cache's first estimate: a budget that admits it.
    cache = ModelCache(resolve=registry.get, device="cpu", budget_bytes=64 * GiB, lane=GpuLane())
    musetalk.register_loaders(cache)
    try:
        with tm.one_torch_thread():
            yield SimpleNamespace(hf=hf, registry=registry, cache=cache, state=state)
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def model(env):
    with env.cache.use("musetalk-1.5") as loaded:
        return loaded


@pytest.fixture(scope="module")
def face():
    """The astronaut's face, found by the Haar cascade, cropped with crop_box and resized to 256."""
    img = skdata.astronaut()
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    found = cascade.detectMultiScale(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), 1.1, 5)
    assert len(found) == 1 and np.abs(np.array(found[0]) - HAAR_BOX).max() <= 4, found
    x0, y0, x1, y1 = musetalk.crop_box(found[0], img.shape[1], img.shape[0])
    size = (musetalk.FACE_SIZE, musetalk.FACE_SIZE)
    return cv2.resize(img[y0:y1, x0:x1], size, interpolation=cv2.INTER_LANCZOS4)


def tones(*starts: float, seconds: float = 3.0, rate: int = RATE) -> np.ndarray:
    """Silence with a 0.1 s 440 Hz Hann-shaped burst at each of `starts` (seconds), all alike."""
    out = np.zeros(int(seconds * rate), np.float32)
    n = int(0.1 * rate)
    burst = 0.5 * np.sin(2 * np.pi * 440 * np.arange(n) / rate) * np.hanning(n)
    for t in starts:
        out[int(t * rate):int(t * rate) + n] += burst.astype(np.float32)
    return out


# --- records and loading ---------------------------------------------------------------------

def test_the_records_name_the_published_files(env):
    spec = env.registry.get("musetalk-1.5")
    assert (spec.kind, spec.backend, spec.repo) == ("lipsync", "musetalk", "TMElyralab/MuseTalk")
    assert spec.allow_patterns == (musetalk.UNET_CONFIG, musetalk.UNET_WEIGHTS) and spec.runs
    assert spec.requires == ("sd-vae-ft-mse", "whisper-tiny")
    vae, whisper = (musetalk.parts(spec)[b] for b in (musetalk.VAE_BACKEND, musetalk.WHISPER_BACKEND))
    assert (vae.kind, vae.repo, vae.weights) == ("adapter", tmt.VAE_REPO, "diffusion_pytorch_model.safetensors")
    assert (whisper.kind, whisper.repo, whisper.weights) == ("adapter", tmt.WHISPER_REPO, "model.safetensors")
    for s in (spec, vae, whisper):
        assert s.problems() == [] and runtime(s) is musetalk and s.license


def test_loads_by_id_with_the_state_dict_round_trip(env, model):
    import torch

    assert isinstance(model, musetalk.MuseTalk) and model.device == "cpu" and model.dtype == torch.float32
    loaded = model.unet.state_dict()
    assert loaded.keys() == env.state.keys()
    assert all(torch.equal(loaded[k], env.state[k]) for k in env.state)
    assert not any(t.is_meta for t in model.parameters()) and not any(t.is_meta for t in model.buffers())
    assert model.unet.config.in_channels == 8 and model.unet.config.cross_attention_dim == tmt.WIDTH
    assert type(model.vae).__name__ == "AutoencoderKL" and type(model.encoder).__name__ == "WhisperEncoder"
    assert model.tokens == 10 * (tmt.LAYERS + 1) and model.dim == tmt.WIDTH
    with env.cache.use("musetalk-1.5") as again:
        assert again is model  # resident in the cache
    own = ModelCache(device="cpu", loaders={"musetalk": print})
    musetalk.register_loaders(own)
    assert own.loaders["musetalk"] is print


@pytest.mark.parametrize("repo, record", [(tmt.WHISPER_REPO, "whisper-tiny"), (tmt.VAE_REPO, "sd-vae-ft-mse"),
                                          (tmt.REPO, "musetalk-1.5")])
def test_a_missing_part_names_the_record_to_download(env, repo, record):
    folder = env.hf / f"models--{repo.replace('/', '--')}"
    aside = folder.with_name(folder.name + ".aside")
    folder.rename(aside)
    try:
        with pytest.raises(VidgenError) as err:
            musetalk.load_pipeline(env.registry.get("musetalk-1.5"), "cpu")
    finally:
        aside.rename(folder)
    line = str(err.value)
    assert "\n" not in line and "is not downloaded" in line and f"models download {record}`" in line


def test_a_state_dict_that_does_not_match_fails_in_one_line(env):
    import torch

    weights = tm.snapshot_dir(env.hf, tmt.REPO) / musetalk.UNET_WEIGHTS
    kept = weights.with_name("unet.pth.kept")
    shutil.copy(weights, kept)
    broken = dict(env.state)
    broken.pop("conv_in.weight")
    torch.save(broken, weights)
    try:
        with pytest.raises(VidgenError) as err:
            musetalk.load_pipeline(env.registry.get("musetalk-1.5"), "cpu")
    finally:
        kept.replace(weights)
    line = str(err.value)
    assert "\n" not in line and line.startswith("MuseTalk 1.5 (TMElyralab/MuseTalk) cannot be loaded")
    assert "conv_in.weight" in line and "models download musetalk-1.5`" in line


# --- the crop --------------------------------------------------------------------------------

def test_crop_box_is_a_square_from_the_brows_to_below_the_chin(face):
    x, y, w, h = HAAR_BOX
    x0, y0, x1, y1 = musetalk.crop_box(HAAR_BOX, 512, 512)
    assert (x0, y0, x1, y1) == (172, 76, 277, 180)
    assert abs((x1 - x0) - (y1 - y0)) <= 1 and y1 > y + h and y0 > y and x0 < x and x1 > x + w
    assert face.shape == (256, 256, 3) and face.dtype == np.uint8
    # Near the edges it is clipped like MuseTalk's, not shifted (the nose stays at the middle).
    assert musetalk.crop_box((0, 0, 40, 40), 100, 80) == (0, 4, 42, 48)
    assert musetalk.crop_box((70, 50, 40, 40), 100, 80) == (68, 54, 100, 80)
    with pytest.raises(VidgenError, match="outside"):
        musetalk.crop_box((200, 10, 40, 40), 100, 80)
    with pytest.raises(VidgenError, match="positive"):
        musetalk.crop_box((10, 10, 0, 40), 100, 80)


# --- audio -----------------------------------------------------------------------------------

def test_the_window_is_musetalks():
    index = musetalk_audio.window_index(25, 3)
    assert index.tolist()[0] == list(range(-4, 6)) and index.tolist()[2] == list(range(0, 10))
    assert musetalk_audio.window_index(30, 4)[3].tolist() == list(range(1, 11))  # floor(3 * 5/3) - 2 * 2
    states = np.arange(6 * 3, dtype=np.float32).reshape(6, 3, 1)  # (whisper frames, layers, dim)
    tokens = musetalk_audio.windows(states, 25, 2)
    assert tokens.shape == (2, 30, 1)
    # Time-major: token k * layers + l is layer l of the window's k-th frame; zeros outside the audio.
    assert tokens[0, :12, 0].tolist() == [0] * 12 and tokens[0, 12:15, 0].tolist() == [0, 1, 2]
    assert tokens[1, 6:9, 0].tolist() == [0, 1, 2] and tokens[1, 27:, 0].tolist() == [0, 0, 0]
    pe = musetalk_audio.positional_encoding(50, 384)
    assert pe.shape == (50, 384) and pe[0, 0] == 0 and pe[0, 1] == 1 and math.isclose(pe[1, 0], math.sin(1), rel_tol=1e-6)


def test_audio_features_per_frame_and_their_alignment(model):
    one = musetalk.audio_features(model, tones(1.0), RATE, FPS, 80)
    two = musetalk.audio_features(model, tones(1.0, 2.0), RATE, FPS, 80)
    assert one.shape == (80, model.tokens, model.dim) and one.dtype == np.float32
    assert np.array_equal(one, musetalk.audio_features(model, tones(1.0), RATE, FPS, 80))
    # The embedding layer (layer 0 of each token) is local in time: the burst at 2.0 s changes the
    # frames around 2.0 * 25 = 50 and no others. Deeper layers attend over the whole 30 s piece.
    change = np.abs(two - one)[:, 0::tmt.LAYERS + 1].max(axis=(1, 2))
    # Frame i reads whisper frames 2i-4 .. 2i+5; the burst spans whisper frames 99 .. 106.
    assert np.flatnonzero(change > 1e-6).tolist() == list(range(47, 56)) and change[50] > 1e-3
    assert np.abs(two - one)[47:56].mean() > 100 * np.abs(two - one)[:40].mean()
    # Past the 3 s of audio (150 whisper frames) the windows are MuseTalk's zero padding.
    assert not one[78:].any() and one[74].any()


def test_audio_past_30_seconds_is_encoded_in_pieces_on_one_timeline(model):
    one = musetalk.audio_features(model, tones(1.0, 30.2, seconds=31.0), RATE, FPS, 780)
    two = musetalk.audio_features(model, tones(1.0, 30.2, 30.6, seconds=31.0), RATE, FPS, 780)
    change = np.abs(two - one)[:, 0::tmt.LAYERS + 1].max(axis=(1, 2))
    assert np.flatnonzero(change > 1e-6).tolist() == list(range(762, 771))  # 30.6 s * 25
    assert one[:740].any() and not one[777:].any()  # 31 s = 1550 whisper frames; frame 777 reads 1550 on


def test_audio_at_another_rate_is_resampled_to_the_same_features(model):
    at16 = musetalk.audio_features(model, tones(1.0), RATE, FPS, 60)
    at22 = musetalk.audio_features(model, tones(1.0, rate=22050), 22050, FPS, 60)
    assert at22.shape == at16.shape
    assert np.abs(at22 - at16).max() < 0.05 * np.abs(at16).max()
    with pytest.raises(VidgenError, match="mono"):
        musetalk.audio_features(model, np.zeros((100, 2), np.float32), RATE, FPS, 4)
    assert musetalk.audio_features(model, np.zeros(0, np.float32), RATE, FPS, 3).shape == (3, model.tokens, model.dim)


# --- generation ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def speech(model):
    """Two audios' features for frames 48..51: the second has a burst at 2.0 s that the first lacks."""
    one = musetalk.audio_features(model, tones(1.0), RATE, FPS, 80)[48:51]
    two = musetalk.audio_features(model, tones(1.0, 2.0), RATE, FPS, 80)[48:51]
    return one, two


def test_generate_inpaints_the_face_from_the_audio(model, face, speech):
    faces = np.stack([face, face, np.ascontiguousarray(face[:, ::-1])])
    one, two = speech
    out = musetalk.generate(model, faces, one)
    assert out.shape == faces.shape and out.dtype == np.uint8 and out.std() > 1
    assert np.array_equal(out, musetalk.generate(model, faces, one))  # deterministic
    same = musetalk.generate(model, faces, np.repeat(one[:1], 3, axis=0))
    assert np.array_equal(same[0], same[1]) and not np.array_equal(same[0], same[2])  # the face matters
    assert np.abs(musetalk.generate(model, faces, two).astype(int) - out).max() > 0  # so does the audio
    calls = []
    small = musetalk.generate(model, faces, one, batch=2, cancel=lambda: calls.append(1))
    assert len(calls) == 2 and np.abs(small.astype(int) - out).max() <= 1  # batches change nothing

    def stop():
        calls.append(1)
        if len(calls) > 3:
            raise Cancelled("stopped")

    with pytest.raises(Cancelled):
        musetalk.generate(model, faces, one, batch=1, cancel=stop)
    assert len(calls) == 4


def test_the_unet_gets_musetalks_inputs(model, face, speech):
    """Masked and reference latents (8 channels, masked first) at timestep 0, audio + positional encoding,
    and the output is the decoded prediction."""
    import torch

    seen = {}
    hooks = [model.unet.register_forward_pre_hook(lambda m, a, k: seen.update(args=a, kwargs=k), with_kwargs=True),
             model.unet.register_forward_hook(lambda m, a, o: seen.update(out=o.sample.clone()))]
    try:
        out = musetalk.generate(model, face[None], speech[0][:1])
    finally:
        for h in hooks:
            h.remove()
    sample, timestep = seen["args"]
    assert sample.shape == (1, 8, 32, 32) and timestep.tolist() == [0]
    scale = model.vae.config.scaling_factor
    pixels = torch.from_numpy(face).permute(2, 0, 1)[None].float() / 127.5 - 1
    masked = pixels.clone()
    masked[:, :, 128:] = -1
    with torch.inference_mode():
        ref = model.vae.encode(pixels).latent_dist.mean * scale
        hidden = model.vae.encode(masked).latent_dist.mean * scale
        decoded = model.vae.decode(seen["out"] / scale).sample
    assert torch.allclose(sample[:, :4], hidden, atol=1e-3) and torch.allclose(sample[:, 4:], ref, atol=1e-3)
    assert (hidden - ref).abs().max() > 0.05  # the two halves are told apart
    pe = musetalk_audio.positional_encoding(model.tokens, model.dim)
    assert np.allclose(seen["kwargs"]["encoder_hidden_states"].numpy(), speech[0][:1] + pe, atol=1e-6)
    expected = ((decoded / 2 + 0.5).clamp(0, 1) * 255).round().permute(0, 2, 3, 1).numpy()
    assert np.abs(expected - out).max() <= 1


def test_generate_refuses_the_wrong_shapes(model, face, speech):
    with pytest.raises(VidgenError, match=r"uint8 RGB faces of shape \(N, 256, 256, 3\)"):
        musetalk.generate(model, np.zeros((1, 128, 128, 3), np.uint8), speech[0][:1])
    with pytest.raises(VidgenError, match="audio features of shape"):
        musetalk.generate(model, face[None], speech[0])
    with pytest.raises(VidgenError, match="batch"):
        musetalk.generate(model, face[None], speech[0][:1], batch=0)
