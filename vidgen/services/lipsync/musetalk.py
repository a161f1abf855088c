"""MuseTalk 1.5 (TMElyralab) as a lip-sync backend: one-step latent inpainting of the lower face.

    model = get_cache().use("musetalk-1.5")             # load_pipeline below, through the model cache
    box = crop_box((x, y, w, h), frame_w, frame_h)      # the region to cut out of the frame
    face = resize(frame[y0:y1, x0:x1], (FACE_SIZE, FACE_SIZE))
    feats = audio_features(model, samples, rate, fps, frames)    # (frames, 50, 384) float32
    mouths = generate(model, faces, feats[first:first + len(faces)], cancel=cancel)

The contract the lip-sync driver relies on:

- `BACKEND` ("musetalk"), `FACE_SIZE` (256: MuseTalk's crop size; the latents are 32 x 32).
- `load_pipeline(spec, device)`: the model cache's loader; `register_loaders(cache)` adds it. Reads the
  record's `musetalkV15/musetalk.json` (UNet2DConditionModel config) and `musetalkV15/unet.pth` (its
  state dict, loaded strictly with torch.load(weights_only=True)), the VAE (diffusers AutoencoderKL
  folder, record "sd-vae-ft-mse") and Whisper (transformers WhisperModel's encoder and its
  WhisperFeatureExtractor, record "whisper-tiny"), all from the local HF cache only. fp16 on CUDA,
  float32 on the CPU. A part not downloaded fails in one line naming its record's download command.
- `crop_box(box, frame_w, frame_h) -> (x0, y0, x1, y1)`: see below.
- `audio_features(model, samples, sample_rate, fps, frames)`: per video frame the Whisper tokens MuseTalk
  conditions on, a float32 array (frames, 10 * (layers + 1), d_model); musetalk_audio.py has the window.
- `generate(model, faces, features, *, cancel=None, batch=8)`: (N, 256, 256, 3) uint8 RGB faces and
  their N frames of features -> N faces whose lower half speaks, uint8 RGB.

The crop. MuseTalk crops from 68 face landmarks: the jaw's width, from the chin up to as far above the
nose (landmark 29) as the chin is below it, plus 10 px below the chin (v1.5's extra_margin), clipped
to the frame and resized to 256 x 256 whatever its aspect. So the nose sits at the crop's middle: the
masked lower half is the mouth and jaw. With only a detector box (OpenCV's Haar cascade: its square
runs from the brows to about the lower lip; nose around 0.6 of its height, chin around 1.1), the crop
is a square of 1.1 box heights centred on the box horizontally, from 0.1 to 1.2 box heights below its
top: the nose lands at the middle and the chin inside, as in MuseTalk's crops. It is clipped to the
frame like MuseTalk's (not shifted): near an edge it loses its square shape but keeps the nose at
the middle, which is what the mask relies on.

Generation (scripts/inference.py, musetalk/models/vae.py): each face in [-1, 1] is VAE-encoded twice,
with its lower half blacked out (pixels zeroed before normalising, as MuseTalk masks) and whole (the
reference), both latents times the VAE's scaling_factor; the UNet takes the two concatenated (8
channels: masked first) at timestep 0, with the audio tokens plus MuseTalk's positional encoding as
encoder_hidden_states, and its output is the face's latent, decoded (divided by the scaling factor).
One difference: MuseTalk samples the VAE posterior (random); here its mean is used, so a face and its
audio always give the same mouth (the SD VAE's posterior spread is a tiny fraction of a latent unit).
"""

from __future__ import annotations

import json
import logging
import pickle
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ...errors import VidgenError
from ...media import check_cancel
from ...models import hub
from ...models.cache import ModelCache
from ...models.registry import ModelSpec, packaged
from . import musetalk_audio

log = logging.getLogger(__name__)

BACKEND = "musetalk"
FACE_SIZE = 256
VAE_BACKEND, WHISPER_BACKEND = "diffusers-vae", "transformers-whisper"
DEFAULT_PARTS = {VAE_BACKEND: "sd-vae-ft-mse", WHISPER_BACKEND: "whisper-tiny"}
UNET_CONFIG = "musetalkV15/musetalk.json"
UNET_WEIGHTS = "musetalkV15/unet.pth"
CROP_TOP, CROP_BOTTOM = 0.10, 1.20  # the crop's rows, in detector-box heights below the box's top
CROP_SIDE = CROP_BOTTOM - CROP_TOP
LOAD_ERRORS = (OSError, ValueError, RuntimeError, KeyError, TypeError, pickle.UnpicklingError)


class MuseTalk:
    """The three loaded parts, as one model for the cache: its size, `to(device)`, and what generate needs."""

    def __init__(self, unet: Any, vae: Any, encoder: Any, extractor: Any, device: str, dtype: Any) -> None:
        self.unet, self.vae, self.encoder, self.extractor = unet, vae, encoder, extractor
        self.device, self.dtype = device, dtype

    def _modules(self) -> tuple[Any, ...]:
        return self.unet, self.vae, self.encoder

    def parameters(self):
        for module in self._modules():
            yield from module.parameters()

    def buffers(self):
        for module in self._modules():
            yield from module.buffers()

    def to(self, device: Any) -> "MuseTalk":
        for module in self._modules():
            module.to(device)
        self.device = str(device)
        return self

    @property
    def tokens(self) -> int:
        """Audio tokens per video frame: 10 whisper frames x every hidden state of the encoder."""
        return musetalk_audio.WINDOW * (int(self.encoder.config.encoder_layers) + 1)

    @property
    def dim(self) -> int:
        return int(self.encoder.config.d_model)


# --- loading ---------------------------------------------------------------------------------

def parts(spec: ModelSpec) -> dict[str, ModelSpec]:
    """The VAE and Whisper records a MuseTalk record loads with: from its `requires`, else the defaults."""
    records = packaged()
    found = {p.backend: p for p in (records.get(r) for r in spec.requires)}
    return {backend: found.get(backend) or records.get(default) for backend, default in DEFAULT_PARTS.items()}


def load_unet(folder: Path, dtype: Any) -> Any:
    """The UNet from the published config and state dict: built on the meta device (no random init of
    850M weights), then the weights assigned, every key matched (strict)."""
    import torch
    from diffusers import UNet2DConditionModel

    config = json.loads((folder / UNET_CONFIG).read_text(encoding="utf-8"))
    with torch.device("meta"):
        unet = UNet2DConditionModel.from_config(config)
    state = torch.load(folder / UNET_WEIGHTS, map_location="cpu", weights_only=True)
    for key in list(state):  # one tensor at a time: fp32 and fp16 copies of 3.4 GB never coexist
        state[key] = state[key].to(dtype) if state[key].is_floating_point() else state[key]
    try:
        unet.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as exc:  # torch lists the missing / unexpected keys on lines of their own
        raise ValueError(" ".join(str(exc).split())) from exc
    return unet.eval()


def load_pipeline(spec: ModelSpec, device: str) -> MuseTalk:
    """The model cache's loader for MuseTalk: its UNet, the SD VAE and the Whisper encoder, local files only."""
    import torch
    from diffusers import AutoencoderKL
    from transformers import WhisperFeatureExtractor, WhisperModel

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    vae_spec, whisper_spec = (parts(spec)[b] for b in (VAE_BACKEND, WHISPER_BACKEND))
    folders = [hub.local_path(s) for s in (spec, vae_spec, whisper_spec)]  # all present before any loading
    folder, vae_folder, whisper_folder = folders
    try:
        unet = load_unet(folder, dtype)
    except LOAD_ERRORS as exc:
        raise hub.load_failure(spec, exc, folder) from exc
    try:
        vae = AutoencoderKL.from_pretrained(str(vae_folder), dtype=dtype, local_files_only=True).eval()
    except LOAD_ERRORS as exc:
        raise hub.load_failure(vae_spec, exc, vae_folder, f" as the VAE of {spec.name}") from exc
    try:
        # MuseTalk uses only the encoder: the decoder is dropped with the WhisperModel around it.
        encoder = WhisperModel.from_pretrained(str(whisper_folder), dtype=dtype, local_files_only=True).encoder.eval()
        extractor = WhisperFeatureExtractor.from_pretrained(str(whisper_folder), local_files_only=True)
        cross = unet.config.cross_attention_dim
        if cross != encoder.config.d_model:
            raise ValueError(f"its width {encoder.config.d_model} is not the UNet's cross_attention_dim {cross}")
    except LOAD_ERRORS as exc:
        raise hub.load_failure(whisper_spec, exc, whisper_folder, f" as the audio encoder of {spec.name}") from exc
    if device == "cpu":
        log.warning("%s runs on the CPU: expect seconds per frame; a CUDA GPU with %.0f GB VRAM is recommended.",
                    spec.name, spec.vram_gb)
    return MuseTalk(unet, vae, encoder, extractor, device, dtype).to(device)


def register_loaders(cache: ModelCache) -> None:
    """Give `cache` the MuseTalk loader, unless it has its own for that backend."""
    if BACKEND not in cache.loaders:
        cache.register_loader(BACKEND, load_pipeline)


# --- the crop (no torch) ---------------------------------------------------------------------

def crop_box(box: Sequence[float], frame_w: int, frame_h: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), pixel bounds (x1, y1 exclusive) of MuseTalk's crop for a detected face box
    (x, y, w, h): a square of 1.1 box heights from 0.1 to 1.2 heights below the box's top, centred on
    it, clipped to the frame (the module docstring says why)."""
    x, y, w, h = (float(v) for v in box)
    if w <= 0 or h <= 0:
        raise VidgenError(f"A face box needs a positive width and height, not {tuple(box)}.")
    side = CROP_SIDE * h
    cx = x + w / 2
    x0, x1 = max(0, round(cx - side / 2)), min(int(frame_w), round(cx + side / 2))
    y0, y1 = max(0, round(y + CROP_TOP * h)), min(int(frame_h), round(y + CROP_BOTTOM * h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise VidgenError(f"The face box {tuple(box)} lies outside the {frame_w}x{frame_h} frame.")
    return int(x0), int(y0), int(x1), int(y1)


# --- audio and generation --------------------------------------------------------------------

def audio_features(model: MuseTalk, samples: np.ndarray, sample_rate: int, fps: float, frames: int,
                   speaking: Sequence[Any] = ()) -> np.ndarray:
    """Per video frame (0 .. frames-1, at `fps`, frame 0 at the first sample) the (tokens, d_model)
    Whisper features MuseTalk conditions on: float32 (frames, 50, 384) for whisper-tiny."""
    return musetalk_audio.audio_features(model.encoder, model.extractor, samples, sample_rate, fps, frames,
                                         device=model.device, dtype=model.dtype)


def _check(model: MuseTalk, faces: np.ndarray, features: Any) -> None:
    if faces.ndim != 4 or faces.shape[1:] != (FACE_SIZE, FACE_SIZE, 3) or faces.dtype != np.uint8:
        raise VidgenError(f"MuseTalk takes uint8 RGB faces of shape (N, {FACE_SIZE}, {FACE_SIZE}, 3), "
                          f"not {faces.dtype} {faces.shape}.")
    want = (len(faces), model.tokens, model.dim)
    got = tuple(np.shape(features))
    if got != want:
        raise VidgenError(f"MuseTalk needs audio features of shape {want} for {len(faces)} faces, not {got}.")


def _pixels(faces: np.ndarray, device: str, dtype: Any) -> tuple[Any, Any]:
    """(masked, whole) faces as (N, 3, H, W) in [-1, 1]; the masked ones have their lower half at -1."""
    import torch

    whole = torch.from_numpy(faces).to(device).permute(0, 3, 1, 2).to(dtype) / 255.0
    masked = whole.clone()
    masked[:, :, FACE_SIZE // 2:, :] = 0.0
    return masked * 2.0 - 1.0, whole * 2.0 - 1.0


def generate(model: MuseTalk, faces: np.ndarray, features: Any, *, cancel: Callable[[], None] | None = None,
             batch: int = 8) -> np.ndarray:
    """MuseTalk's single-step inpainting: `faces` (N, 256, 256, 3) uint8 RGB, `features` their N frames
    of audio tokens (audio_features) -> (N, 256, 256, 3) uint8 RGB faces saying that audio.
    `cancel()` runs before each batch of `batch` faces."""
    import torch

    faces = np.ascontiguousarray(faces)
    _check(model, faces, features)
    if batch < 1:
        raise VidgenError(f"MuseTalk's batch must be at least 1, not {batch}.")
    out = np.empty_like(faces)
    vae, unet = model.vae, model.unet
    scale = float(vae.config.scaling_factor)
    with torch.inference_mode():
        pe = torch.from_numpy(musetalk_audio.positional_encoding(model.tokens, model.dim)).to(model.device, model.dtype)
        timestep = torch.tensor([0], device=model.device)
        for start in range(0, len(faces), batch):
            check_cancel(cancel)
            stop = min(len(faces), start + batch)
            masked, whole = _pixels(faces[start:stop], model.device, model.dtype)
            latents = vae.encode(torch.cat([masked, whole])).latent_dist.mode() * scale
            n = stop - start
            sample = torch.cat([latents[:n], latents[n:]], dim=1)  # masked face first, reference second
            audio = torch.from_numpy(np.asarray(features[start:stop], dtype=np.float32)).to(model.device, model.dtype)
            predicted = unet(sample, timestep, encoder_hidden_states=audio + pe).sample
            image = vae.decode(predicted / scale).sample
            image = ((image.float() / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
            out[start:stop] = image.permute(0, 2, 3, 1).cpu().numpy()
    return out
