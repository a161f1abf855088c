"""Wav2Lip: the full-size generator (random seeded weights, saved as the authors publish wav2lip_gan.pth)
loaded by the registry's record through the model cache from an offline HF cache, run on a real face
(scikit-image's astronaut), and its mel front end."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vidgen.errors import Cancelled, VidgenError
from vidgen.services.lipsync import mel, wav2lip, wav2lip_net

from . import tiny_wav2lip as tw
from .tiny_models import offline_hub, one_torch_thread, snapshot_dir

PARAMS = 36_298_035  # the authors' generator
BARE_REPO, DAMAGED_REPO, WRONG_REPO = "tiny-org/w2l-bare", "tiny-org/w2l-damaged", "tiny-org/w2l-wrong"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """(the registry's wav2lip-gan record, a CPU model cache with the Wav2Lip loader, the saved state
    dict, the HF cache): the record's repo holds the published layout; three more repos hold a bare state dict,
    a damaged file and another network's weights."""
    import torch

    from vidgen.config import Settings
    from vidgen.jobs import GpuLane
    from vidgen.models.cache import ModelCache
    from vidgen.models.registry import Registry
    from vidgen.store import Store

    hf = tmp_path_factory.mktemp("hf") / "hub"
    state = tw.save_wav2lip(hf)
    tw.save_wav2lip(hf, BARE_REPO, weights="wav2lip.pth", prefix=False, state=state)
    damaged = snapshot_dir(hf, DAMAGED_REPO) / tw.WEIGHTS
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"PK\x03\x04 not a whole checkpoint")
    tw.mark_main(snapshot_dir(hf, DAMAGED_REPO))
    tw.save_checkpoint(hf, WRONG_REPO, tw.WEIGHTS, {"state_dict": {"module.conv.weight": torch.zeros(3, 3)}})
    mp = pytest.MonkeyPatch()
    offline_hub(mp, hf)
    registry = Registry(Store(Settings.from_env(tmp_path_factory.mktemp("data"))))
    cache = ModelCache(resolve=registry.get, device="cpu", budget_bytes=4 << 30, lane=GpuLane())
    wav2lip.register_loaders(cache)
    with one_torch_thread():
        yield registry.get("wav2lip-gan"), cache, state, hf
    mp.undo()


@pytest.fixture(scope="module")
def face():
    """The astronaut's face as the driver gives it to the model: crop_box's region, resized to 96."""
    import cv2

    image, box = tw.astronaut_face()
    x0, y0, x1, y1 = wav2lip.crop_box(box, image.shape[1], image.shape[0])
    return cv2.resize(image[y0:y1, x0:x1], (wav2lip.FACE_SIZE,) * 2, interpolation=cv2.INTER_AREA)


def _speech(sr: int = 16000) -> np.ndarray:
    """2 s: a 300 Hz tone, silence, a 1 kHz tone, half a second each, then noise."""
    noise = np.random.default_rng(0).normal(0, 0.2, sr // 2).astype(np.float32)
    return np.concatenate([tw.tone(300, 0.5, sr), np.zeros(sr // 2, np.float32), tw.tone(1000, 0.5, sr), noise])


# --- the checkpoint ------------------------------------------------------------------------------

def test_the_record_loads_the_published_layout_through_the_cache(env):
    import torch

    spec, cache, state, hf = env
    assert spec.backend == wav2lip.BACKEND and spec.repo == tw.REPO
    saved = torch.load(str(snapshot_dir(hf, spec.repo) / tw.WEIGHTS), map_location="cpu", weights_only=True)
    keys = list(saved["state_dict"])
    assert all(k.startswith("module.") for k in keys)
    for k in ("module.face_encoder_blocks.0.0.conv_block.0.weight", "module.audio_encoder.0.conv_block.1.running_mean",
              "module.face_decoder_blocks.6.2.conv_block.1.num_batches_tracked", "module.output_block.1.bias"):
        assert k in saved["state_dict"]
    with cache.use(spec) as model:
        own = model.state_dict()
        assert [k[len("module."):] for k in keys] == list(own)  # the same names, in the same order
        assert all(torch.equal(own[k], state[k]) for k in own)
        assert not model.training and next(model.parameters()).dtype == torch.float32
        assert wav2lip_net.parameter_count(model) == PARAMS
    with cache.use("wav2lip-gan") as again:
        assert again is model  # resident: one load


def test_a_bare_state_dict_named_by_weights_loads_too(env):
    import torch

    spec, _, state, _ = env
    model = wav2lip.load_pipeline(dataclasses.replace(spec, repo=BARE_REPO, weights="wav2lip.pth"), "cpu")
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())


@pytest.mark.parametrize("repo, reason", [
    (DAMAGED_REPO, "the file is damaged or not a PyTorch checkpoint (PytorchStreamReader failed"),
    (WRONG_REPO, "not the Wav2Lip generator's weights"),
    (BARE_REPO, "the snapshot has no checkpoints/wav2lip_gan.pth"),  # its file is elsewhere
])
def test_a_damaged_or_foreign_checkpoint_is_one_line(env, repo, reason):
    spec, _, _, hf = env
    with pytest.raises(VidgenError) as err:
        wav2lip.load_pipeline(dataclasses.replace(spec, repo=repo), "cpu")
    line = str(err.value)
    assert "\n" not in line and line.startswith(f"Wav2Lip GAN ({repo}) cannot be loaded: ")
    assert reason in line and line.endswith("run `python -m vidgen models download wav2lip-gan` again.")
    assert str(hf) not in line  # the server's folders go to the log only


def test_a_model_not_downloaded_says_how_to_get_it(env):
    spec, _, _, _ = env
    with pytest.raises(VidgenError, match=r"not downloaded: run `python -m vidgen models download wav2lip-gan`"):
        wav2lip.load_pipeline(dataclasses.replace(spec, repo="camenduru/absent"), "cpu")


# --- the crop ------------------------------------------------------------------------------------

def test_crop_box_pads_the_chin_in_proportion_and_clamps():
    assert wav2lip.crop_box((177, 66, 95, 95), 512, 512) == (177, 66, 272, 171)  # 10 px at 95 px tall
    assert wav2lip.crop_box((100, 100, 192, 192), 512, 512) == (100, 100, 292, 312)  # 20 px at twice that
    assert wav2lip.crop_box((10, 10, 24, 24), 64, 64) == (10, 10, 34, 36)  # a small face: 2-3 px
    assert wav2lip.crop_box((-5, 430, 100, 80), 320, 480) == (0, 430, 95, 480)  # clamped to the frame
    with pytest.raises(VidgenError, match="positive size"):
        wav2lip.crop_box((10, 10, 0, 20), 64, 64)


def test_the_astronauts_face_is_found_where_expected():
    _, (x, y, w, h) = tw.astronaut_face()
    assert abs(x - 177) <= 6 and abs(y - 66) <= 6 and abs(w - 95) <= 8 and w == h


# --- generation ----------------------------------------------------------------------------------

def test_model_inputs_mask_the_lower_half_and_use_bgr():
    faces = np.zeros((1, 96, 96, 3), np.uint8)
    faces[..., 0] = 255  # pure red
    x = wav2lip.model_inputs(faces)
    assert x.shape == (1, 6, 96, 96) and x.dtype == np.float32
    assert (x[0, 2, :48] == 1).all() and (x[0, :2] == 0).all()  # masked half: red is BGR's third
    assert (x[0, :3, 48:] == 0).all()  # the lower half (rows 48-95) is zeroed
    assert (x[0, 5] == 1).all() and (x[0, 3:5] == 0).all()  # the reference is whole


def test_generate_redraws_a_real_face_from_its_audio(env, face):
    spec, cache, _, _ = env
    feats = wav2lip.audio_features(None, _speech(), 16000, 25.0, 50)
    idx = [5, 18, 31, 44]  # in the 300 Hz tone, the silence, the 1 kHz tone, the noise
    faces = np.stack([face] * len(idx))
    with cache.use(spec) as model:
        out = wav2lip.generate(model, faces, feats[idx])
        again = wav2lip.generate(model, faces, feats[idx], batch=1)
        flipped = wav2lip.generate(model, face[None, :, ::-1].copy(), feats[idx[:1]])
    assert out.shape == faces.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - again).max() <= 1  # batching changes nothing but rounding
    assert out.std() > 10  # an image, not a flat sigmoid
    diffs = [np.abs(out[0].astype(int) - out[i]).mean() for i in range(1, len(idx))]
    assert min(diffs) > 2, diffs  # each different window draws a different face
    assert np.abs(flipped[0].astype(int) - out[0]).mean() > 2  # and the face matters too
    with cache.use(spec) as model:
        assert np.array_equal(wav2lip.generate(model, faces, feats[idx]), out)  # deterministic


def test_generate_checks_cancel_between_batches_and_its_inputs(env, face):
    spec, cache, _, _ = env
    calls = []

    def cancel():
        calls.append(1)
        if len(calls) == 2:
            raise Cancelled()

    feats = np.full((3, 80, 16), mel.FLOOR, np.float32)
    with cache.use(spec) as model:
        with pytest.raises(Cancelled):
            wav2lip.generate(model, np.stack([face] * 3), feats, cancel=cancel, batch=1)
        assert len(calls) == 2
        assert wav2lip.generate(model, np.zeros((0, 96, 96, 3), np.uint8), feats[:0]).shape == (0, 96, 96, 3)
        with pytest.raises(VidgenError, match="uint8 RGB"):
            wav2lip.generate(model, np.stack([face]).astype(np.float32), feats[:1])
        with pytest.raises(VidgenError, match="one \\(80, 16\\) mel window per face"):
            wav2lip.generate(model, np.stack([face] * 2), feats[:1])


# --- the mel front end ---------------------------------------------------------------------------

def test_features_have_one_window_per_frame_in_range():
    feats = wav2lip.audio_features(None, _speech(), 16000, 25.0, 50)
    assert feats.shape == (50, 80, 16) and feats.dtype == np.float32
    assert feats.min() >= -4 and feats.max() <= 4 and feats.max() > 0
    quiet = wav2lip.audio_features(None, np.zeros(16000, np.float32), 16000, 25.0, 25)
    assert (quiet == mel.FLOOR).all()  # silence is the floor
    assert wav2lip.audio_features(None, _speech(), 16000, 25.0, 0).shape == (0, 80, 16)


def test_a_1khz_tone_lands_in_the_band_around_1khz():
    spec = mel.melspectrogram(tw.tone(1000, 1.0, 16000))[:, 8:-8].mean(axis=1)  # away from the edges
    edges = mel.band_edges()
    band = int(np.argmax(spec))
    assert edges[band] < 1000 < edges[band + 2]  # the triangle spans 1 kHz
    assert abs(edges[band + 1] - 1000) == min(abs(edges[1:-1] - 1000))  # the band peaking nearest it
    assert spec[band] > -1 and np.median(spec) < spec[band] - 3


def test_window_i_starts_at_mel_frame_int_80_i_over_fps():
    columns = np.tile(np.arange(100, dtype=np.float32), (80, 1))  # each mel frame holds its own index
    for fps in (25.0, 24.0, 30000 / 1001, 60.0):
        n = 40
        windows = mel.frame_windows(columns, fps, n)
        for i in range(n):
            start = int(80 * i / fps)
            want = np.arange(start, start + 16, dtype=np.float32)
            want[want >= 100] = mel.FLOOR  # past the audio: silence
            assert np.array_equal(windows[i, 3], want), (fps, i)
    assert mel.frame_windows(columns, 10.0, 12)[-1, 0, -1] == mel.FLOOR  # the last windows padded
    with pytest.raises(VidgenError, match="frame rate"):
        mel.frame_windows(columns, 0.0, 3)


def test_80_mel_frames_per_second_from_the_audio_length():
    assert mel.melspectrogram(np.zeros(32000, np.float32)).shape == (80, 161)  # centred: 1 + len // hop
    assert mel.melspectrogram(np.zeros(100, np.float32)).shape == (80, 1)


@pytest.mark.parametrize("sr", [8000, 22050, 44100, 48000])
def test_other_sample_rates_are_resampled_to_16k(sr):
    def tones(rate):  # the same sound at any rate (noise would be new noise)
        return np.concatenate([tw.tone(300, 0.5, rate), tw.tone(1000, 0.5, rate), tw.tone(2500, 0.5, rate, 0.2)])

    ref = wav2lip.audio_features(None, tones(16000), 16000, 25.0, 30)
    other = wav2lip.audio_features(None, tones(sr), sr, 25.0, 30)
    assert other.shape == ref.shape
    audible = ref > 0  # the bands of the tones; the quiet ones are the resampler's residue
    assert np.abs(other - ref)[audible].mean() < 0.02 and np.abs(other - ref).mean() < 0.1
    assert np.array_equal(other.mean(axis=2).argmax(axis=1), ref.mean(axis=2).argmax(axis=1))
    assert len(mel.to_16k(np.zeros(sr, np.float32), sr)) == 16000


def test_the_audio_must_be_mono_finite_and_rated():
    with pytest.raises(VidgenError, match="mono"):
        wav2lip.audio_features(None, np.zeros((2, 1600), np.float32), 16000, 25.0, 2)
    with pytest.raises(VidgenError, match="NaN"):
        wav2lip.audio_features(None, np.full(1600, np.nan, np.float32), 16000, 25.0, 2)
    with pytest.raises(VidgenError, match="sample rate"):
        wav2lip.audio_features(None, np.zeros(1600, np.float32), 0, 25.0, 2)
