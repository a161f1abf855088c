"""Built-in lip sync (no model, no download, CPU): a drawn mouth that opens with the speech's loudness.

Not an AI model and not phoneme-accurate: the mouth's opening per video frame follows the speech
envelope (the RMS level of the frame's stretch of audio, in dB, from DB_FLOOR below the line's loudest
to it, smoothed over a frame each side), so it opens on syllables and is shut in pauses. It is drawn
as a dark ellipse with a darker lip line on the lower face, its colour taken from the face itself,
anti-aliased and feathered into the skin. A shut mouth draws nothing: the face stays as it was.

The same contract as the model backends (the driver, sync.py, crops, batches and pastes back):
FACE_SIZE, crop_box(box, w, h), audio_features(model, samples, rate, fps, frames) -> the opening per
frame (0..1), generate(model, faces, openings) -> the faces with their mouths drawn.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ...media import check_cancel

BACKEND = "visemes"
FACE_SIZE = 128
PASTE_LOWER = False  # the drawing is already feathered into the face: the crop goes back whole
DB_FLOOR = 30.0  # dB below the loudest frame that still opens the mouth
SHUT = 0.08  # openings below this are a shut mouth
MOUTH_Y, MOUTH_W, MOUTH_H = 0.74, 0.36, 0.16  # of the face crop: centre height, width, full opening


def crop_box(box: tuple[float, float, float, float], frame_w: int, frame_h: int) -> tuple[int, int, int, int]:
    """The face box itself, squared about its centre, clamped to the frame."""
    x, y, w, h = box
    side = max(w, h)
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    x1, y1 = int(round(cx + side / 2)), int(round(cy + side / 2))
    return max(0, x0), max(0, y0), min(frame_w, x1), min(frame_h, y1)


def audio_features(model: object, samples: np.ndarray, sample_rate: int, fps: float, frames: int) -> np.ndarray:
    """The mouth's opening (0..1) for each of `frames` video frames at `fps` of mono `samples`."""
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    per = sample_rate / fps
    rms = np.zeros(frames, dtype=np.float64)
    for i in range(frames):
        a, b = int(round(i * per)), int(round((i + 1) * per))
        part = samples[a:b]
        rms[i] = float(np.sqrt(np.mean(part.astype(np.float64) ** 2))) if part.size else 0.0
    if not rms.any():
        return np.zeros(frames, dtype=np.float32)
    db = 20 * np.log10(np.maximum(rms, 1e-9) / rms.max())
    opening = np.clip((db + DB_FLOOR) / DB_FLOOR, 0.0, 1.0)
    smooth = np.convolve(np.pad(opening, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    smooth[smooth < SHUT] = 0.0
    return smooth.astype(np.float32)


def generate(model: object, faces: np.ndarray, openings: np.ndarray, *,
             cancel: Callable[[], None] | None = None) -> np.ndarray:
    """The faces (N x S x S x 3 uint8 RGB) with a mouth opened by each one's opening."""
    out = faces.copy()
    for k, (face, opening) in enumerate(zip(faces, openings)):
        if k % 16 == 0:
            check_cancel(cancel)
        if opening > 0:
            out[k] = _mouth(face, float(opening))
    return out


def _mouth(face: np.ndarray, opening: float) -> np.ndarray:
    import cv2

    s = face.shape[0]
    skin = np.median(face[int(s * 0.55):int(s * 0.9), int(s * 0.3):int(s * 0.7)].reshape(-1, 3), axis=0)
    inside, lips = skin * 0.22, skin * 0.55
    shift = 4  # sub-pixel drawing (1/16 px)
    c = (int(s * 0.5 * 16), int(s * MOUTH_Y * 16))
    axes = (max(16, int(s * MOUTH_W / 2 * 16)), max(8, int(s * MOUTH_H / 2 * opening * 16)))
    mask = np.zeros((s, s), np.float32)
    cv2.ellipse(mask, c, (axes[0] + 24, axes[1] + 24), 0, 0, 360, 1.0, -1, cv2.LINE_AA, shift)
    mask = cv2.GaussianBlur(mask, (0, 0), max(0.6, s / 96))
    painted = np.empty_like(face, dtype=np.float32)
    painted[:] = lips
    core = np.zeros((s, s), np.float32)
    cv2.ellipse(core, c, axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA, shift)
    painted = painted * (1 - core[..., None]) + inside * core[..., None]
    blended = face.astype(np.float32) * (1 - mask[..., None]) + painted * mask[..., None]
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)


__all__ = ["BACKEND", "FACE_SIZE", "crop_box", "audio_features", "generate"]
