"""Built-in lip sync (no model, no download, CPU): a drawn mouth shaped by the line's phonemes.

Not an AI model: each frame's mouth shape (mouth.py) is the viseme of the eSpeak NG phoneme laid on
that moment of the line's voiced speech (shut for p/b/m, rounded for o/u, spread for i, open for a),
opened by the frame's loudness; a line in a language eSpeak NG lacks follows the speech envelope
alone. It is drawn as a dark ellipse with a darker lip line on the lower face, its colour taken from
the face itself, anti-aliased and feathered into the skin. A shut mouth draws nothing: the face
stays as it was.

The same contract as the model backends (the driver, sync.py, crops, batches and pastes back):
FACE_SIZE, crop_box(box, w, h), audio_features(model, samples, rate, fps, frames, speaking) -> the
shape per frame (opening 0..1, width), generate(model, faces, shapes) -> the faces with their mouths.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ...media import check_cancel
from .mouth import Spoken, mouth_shapes, phoneme_source

BACKEND = "visemes"
FACE_SIZE = 128
PASTE_LOWER = False  # the drawing is already feathered into the face: the crop goes back whole
MOUTH_Y, MOUTH_W, MOUTH_H = 0.74, 0.36, 0.16  # of the face crop: centre height, width, full opening


def crop_box(box: tuple[float, float, float, float], frame_w: int, frame_h: int) -> tuple[int, int, int, int]:
    """The face box itself, squared about its centre, clamped to the frame."""
    x, y, w, h = box
    side = max(w, h)
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    x1, y1 = int(round(cx + side / 2)), int(round(cy + side / 2))
    return max(0, x0), max(0, y0), min(frame_w, x1), min(frame_h, y1)


def audio_features(model: object, samples: np.ndarray, sample_rate: int, fps: float, frames: int,
                   speaking: Sequence[Spoken] = ()) -> np.ndarray:
    """The mouth's (opening 0..1, width) for each of `frames` video frames at `fps` of mono `samples`;
    `speaking` (sync.Speaking: start, end, text, language) gives each line's phonemes."""
    return mouth_shapes(samples, sample_rate, fps, frames, speaking)


def driven_by(speaking: Sequence[Spoken]) -> str:
    """What moves the mouths of these lines, for the job's record."""
    kinds = {phoneme_source(sp) or "speech envelope" for sp in speaking}
    return " and ".join(sorted(kinds))


def generate(model: object, faces: np.ndarray, shapes: np.ndarray, *,
             cancel: Callable[[], None] | None = None) -> np.ndarray:
    """The faces (N x S x S x 3 uint8 RGB) with a mouth of each one's shape (opening, width)."""
    out = faces.copy()
    for k, (face, shape) in enumerate(zip(faces, np.asarray(shapes, dtype=np.float32).reshape(len(faces), -1))):
        if k % 16 == 0:
            check_cancel(cancel)
        if shape[0] > 0:
            out[k] = _mouth(face, float(shape[0]), float(shape[1]) if shape.size > 1 else 1.0)
    return out


def _mouth(face: np.ndarray, opening: float, width: float) -> np.ndarray:
    import cv2

    s = face.shape[0]
    skin = np.median(face[int(s * 0.55):int(s * 0.9), int(s * 0.3):int(s * 0.7)].reshape(-1, 3), axis=0)
    inside, lips = skin * 0.22, skin * 0.55
    shift = 4  # sub-pixel drawing (1/16 px)
    c = (int(s * 0.5 * 16), int(s * MOUTH_Y * 16))
    axes = (max(16, int(s * MOUTH_W * width / 2 * 16)), max(8, int(s * MOUTH_H / 2 * opening * 16)))
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


__all__ = ["BACKEND", "FACE_SIZE", "crop_box", "audio_features", "generate", "driven_by"]
