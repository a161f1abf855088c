"""Wav2Lip (GAN checkpoint): a talking face's lower half redrawn from a fifth of a second of audio.

The lip-sync driver finds and tracks the faces and pastes the results back; this module is the
model. The contract it uses:

    register_loaders(cache)                          # the cache's loader for backend "wav2lip"
    with cache.use(registry.get("wav2lip-gan")) as model:
        x0, y0, x1, y1 = crop_box((x, y, w, h), frame_w, frame_h)       # per detected face box
        faces = [resize(frame[y0:y1, x0:x1], (FACE_SIZE, FACE_SIZE))]   # (N, 96, 96, 3) uint8 RGB
        feats = audio_features(model, samples, sample_rate, fps, frames)  # (frames, 80, 16)
        mouths = generate(model, faces, feats[idx], cancel=cancel)      # (N, 96, 96, 3) uint8 RGB

- `load_pipeline(spec, device)`: the Wav2Lip nn.Module in eval mode, from the local HF cache only:
  `spec.weights` or `checkpoints/wav2lip_gan.pth` in the snapshot, read with
  `torch.load(weights_only=True)`; its "state_dict" (keys with or without DataParallel's
  "module." prefix) loads strictly. fp16 on CUDA, fp32 on the CPU. A missing or damaged file is
  a one-line VidgenError that says to download it again.
- `crop_box`: the region the model sees for a face box. The authors' inference pads the
  detector's box by (top, bottom, left, right) = (0, 10, 0, 0) px, so the crop reaches the chin;
  here the bottom pad is 10 px per 96 px of face height (the model's input size), so a small
  face gets a proportionate chin margin, and the box is clamped to the frame. The crop is resized
  to 96 x 96 whatever its aspect, as the authors did.
- `audio_features`: one mel window per video frame (see `mel.py`): frame i's window is the 16 mel
  frames (0.2 s) starting at int(80 * i / fps); silence past the audio's end.
- `generate`: per face, the network's 6 input channels are the face with its lower half (rows
  48-95) zeroed, then the unmasked face as the reference, both in BGR (the authors trained on
  OpenCV frames) and scaled to 0..1; the mel window goes in as (1, 80, 16). The sigmoid output
  (BGR) comes back as uint8 RGB. Batched (`batch` faces per forward pass) under
  torch.inference_mode, `check_cancel(cancel)` before each batch.

The network itself is in `wav2lip_net.py`. Nothing heavy is imported at import time.
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ...errors import VidgenError
from ...media import CancelFn, check_cancel
from ...models import hub
from ...models.cache import ModelCache
from ...models.registry import ModelSpec
from . import mel, wav2lip_net

log = logging.getLogger(__name__)

BACKEND = "wav2lip"
FACE_SIZE = 96  # the model's input and output size
WEIGHTS = "checkpoints/wav2lip_gan.pth"  # inside the snapshot, unless the record names `weights`
PADS = (0, 10, 0, 0)  # the authors' (top, bottom, left, right) box padding, px at PAD_FACE_PX
PAD_FACE_PX = 96  # the face height the pads are for here (they scale with the face)
BATCH = 128  # the authors' default inference batch


# --- loading ---------------------------------------------------------------------------------

def weights_file(spec: ModelSpec) -> str:
    return spec.weights or WEIGHTS


def state_dict_of(checkpoint: Any) -> dict[str, Any]:
    """The network's tensors from a loaded checkpoint: {"state_dict": ...} or a bare state dict,
    DataParallel's "module." prefix removed."""
    import torch

    state = checkpoint.get("state_dict", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not state:
        raise ValueError(f"not a Wav2Lip checkpoint (a {type(checkpoint).__name__} with no state_dict)")
    out = {}
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise ValueError(f"not a Wav2Lip checkpoint (entry {key!r} is not a named tensor)")
        out[key[len("module."):] if key.startswith("module.") else key] = value
    return out


def check_layout(net: Any, state: dict[str, Any]) -> None:
    """ValueError in one line when `state` is not this network's (missing or extra keys, other shapes):
    load_state_dict's own report runs to many lines."""
    own = net.state_dict()
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own]
    if missing or extra:
        raise ValueError(f"not the Wav2Lip generator's weights ({len(missing)} tensors missing, e.g. "
                         f"{missing[:1]}; {len(extra)} unexpected, e.g. {extra[:1]})")
    for key, value in own.items():
        if tuple(state[key].shape) != tuple(value.shape):
            raise ValueError(f"{key} has shape {tuple(state[key].shape)}, the generator's is {tuple(value.shape)}")


def read_checkpoint(path: Path) -> Any:
    """torch.load of the tensors only (no code runs); ValueError in one short sentence when the file
    is damaged (torch's own reason runs to a paragraph)."""
    import torch

    try:
        return torch.load(str(path), map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0].split(". ")[0].rstrip(".")
        raise ValueError(f"the file is damaged or not a PyTorch checkpoint ({reason})") from exc


def load_pipeline(spec: ModelSpec, device: str) -> Any:
    """The model cache's loader for backend wav2lip: the generator with the checkpoint's weights."""
    folder = hub.local_path(spec)
    path = Path(folder) / weights_file(spec)
    net = wav2lip_net.build()
    try:
        if not path.is_file():
            raise FileNotFoundError(f"the snapshot has no {weights_file(spec)}")
        state = state_dict_of(read_checkpoint(path))
        check_layout(net, state)
        net.load_state_dict(state, strict=True)
    except (OSError, RuntimeError, ValueError, EOFError, KeyError, TypeError, AttributeError,
            pickle.UnpicklingError) as exc:
        raise hub.load_failure(spec, exc, folder) from exc
    if device.startswith("cuda"):
        net = net.half()
    else:
        log.info("%s runs on the CPU (fp32): fine for short lines, slow for a film.", spec.name)
    return net.to(device).eval()


def register_loaders(cache: ModelCache) -> None:
    """Give `cache` the Wav2Lip loader, unless it has its own for that backend."""
    if BACKEND not in cache.loaders:
        cache.register_loader(BACKEND, load_pipeline)


# --- the face crop -----------------------------------------------------------------------------

def crop_box(box: tuple[float, float, float, float], frame_w: int, frame_h: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), x1/y1 exclusive: the frame region the model's crop covers for a face box
    (x, y, w, h), padded as the authors' inference pads it (scaled to the face) and clamped."""
    x, y, w, h = (float(v) for v in box)
    if not (w > 0 and h > 0) or frame_w <= 0 or frame_h <= 0:
        raise VidgenError(f"A face box needs a positive size inside a frame, not {box!r} in {frame_w}x{frame_h}.")
    top, bottom, left, right = (round(p * h / PAD_FACE_PX) for p in PADS)
    x0 = min(max(0, round(x) - left), frame_w - 1)
    y0 = min(max(0, round(y) - top), frame_h - 1)
    x1 = max(min(frame_w, round(x + w) + right), x0 + 1)
    y1 = max(min(frame_h, round(y + h) + bottom), y0 + 1)
    return x0, y0, x1, y1


# --- audio ---------------------------------------------------------------------------------------

def audio_features(model: Any, samples: np.ndarray, sample_rate: int, fps: float, frames: int,
                   speaking: Sequence[Any] = ()) -> np.ndarray:
    """(frames, 80, 16) float32: each video frame's mel window from mono audio starting with frame 0
    (`model` and `speaking` are unused: the audio alone drives it, the same for every checkpoint)."""
    return mel.frame_windows(mel.melspectrogram(mel.to_16k(samples, sample_rate)), fps, frames)


# --- generation ----------------------------------------------------------------------------------

def _check_inputs(faces: np.ndarray, features: np.ndarray, batch: int) -> None:
    if not isinstance(faces, np.ndarray) or faces.dtype != np.uint8 or faces.shape[1:] != (FACE_SIZE, FACE_SIZE, 3):
        raise VidgenError(f"Wav2Lip takes faces as uint8 RGB (N, {FACE_SIZE}, {FACE_SIZE}, 3), not "
                          f"{getattr(faces, 'dtype', type(faces).__name__)} {getattr(faces, 'shape', '')}.")
    want = (len(faces), mel.N_MELS, mel.WINDOW)
    if not isinstance(features, np.ndarray) or features.shape != want:
        raise VidgenError(f"Wav2Lip needs one (80, 16) mel window per face, {want}, not {getattr(features, 'shape', '?')}.")
    if not isinstance(batch, int) or batch < 1:
        raise VidgenError(f"The Wav2Lip batch must be a whole number >= 1, not {batch!r}.")


def model_inputs(faces: np.ndarray) -> np.ndarray:
    """(N, 6, 96, 96) float32: the masked face then the reference face, BGR, 0..1."""
    bgr = faces[..., ::-1].astype(np.float32) / 255.0
    masked = bgr.copy()
    masked[:, FACE_SIZE // 2:] = 0.0  # the lower half: what the model draws
    return np.concatenate([masked, bgr], axis=3).transpose(0, 3, 1, 2)


def generate(model: Any, faces: np.ndarray, features: np.ndarray, *, cancel: CancelFn | None = None,
             batch: int = BATCH) -> np.ndarray:
    """(N, 96, 96, 3) uint8 RGB: each face redrawn by `model` with its lower half speaking its mel window."""
    import torch

    _check_inputs(faces, features, batch)
    out = np.empty_like(faces)
    param = next(model.parameters())
    with torch.inference_mode():
        for start in range(0, len(faces), batch):
            check_cancel(cancel)
            stop = start + batch
            images = torch.from_numpy(np.ascontiguousarray(model_inputs(faces[start:stop])))
            windows = torch.from_numpy(np.ascontiguousarray(features[start:stop], dtype=np.float32))[:, None]
            pred = model(windows.to(param.device, param.dtype), images.to(param.device, param.dtype))
            bgr = (pred.float().clamp(0, 1) * 255.0).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
            out[start:stop] = bgr[..., ::-1]
    return out
