"""The lip-sync driver: one shot's clip, its speech and its faces in, the clip with mouths that move out.

    changed = sync_clip(spec, clip, samples, rate, speaking, tracks, out_path, progress=, cancel=)

`speaking` says who speaks when: (start, end) seconds of the clip, the index of the face (a
`faces.Track`) whose mouth those words move, and the words with their language. Only the frames inside a span change, and in them only
the speaking face: its crop (the backend's `crop_box` of the tracked box, resized to its FACE_SIZE)
is redrawn by the backend's `generate` for that frame's audio (`audio_features`), resized back and
pasted feathered (the lower face, or the whole crop for a backend whose PASTE_LOWER is False). The
clip keeps its length, fps and size. Frames are decoded, batched BATCH at a time and encoded as they
go, so memory holds a batch; `cancel()` is checked per batch, inside the backend too.

Returns the number of frames changed; 0 writes nothing (the caller keeps the clip as it was).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ...media import VideoWriter, atomic_output, check_cancel
from ...models.backends import runtime
from ...models.cache import ModelCache, get_cache
from ...models.registry import ModelSpec
from .faces import Track

BATCH = 16
CRF = 12  # the synced clip is an intermediate: close to lossless, so untouched pixels stay as they were
MIN_CROP = 8  # pixels: a face smaller than this is left alone


@dataclass(frozen=True)
class Speaking:
    start: float  # seconds of the clip
    end: float
    face: int  # index into the shot's tracks
    text: str = ""  # the words (the built-in mouth's phonemes)
    language: str = ""  # ISO 639-1 code they are spoken in
    phones: tuple[tuple[str, float, float], ...] = ()  # the voice's aligned phonemes, clip seconds


def speaking_frames(speaking: Sequence[Speaking], tracks: Sequence[Track], fps: float, n: int) -> dict[int, list[int]]:
    """Frame index -> the faces that speak in it (seen in that frame)."""
    out: dict[int, list[int]] = {}
    for sp in speaking:
        if not 0 <= sp.face < len(tracks):
            continue
        for i in range(max(0, math.ceil(sp.start * fps)), min(n, math.floor(sp.end * fps) + 1)):
            if tracks[sp.face].at(i) is not None and sp.face not in out.get(i, []):
                out.setdefault(i, []).append(sp.face)
    return out


def lower_mask(w: int, h: int) -> np.ndarray:
    """Where a regenerated crop replaces the frame: its lower face (from 55% down), feathered."""
    ys = np.clip((np.arange(h) / max(1, h - 1) - 0.5) / 0.12, 0.0, 1.0)
    xs = np.clip(np.minimum(np.arange(w), w - 1 - np.arange(w)) / max(1.0, 0.12 * w), 0.0, 1.0)
    bottom = np.clip((h - 1 - np.arange(h)) / max(1.0, 0.05 * h), 0.0, 1.0)
    return (ys * bottom)[:, None] * xs[None, :]


def sync_clip(spec: ModelSpec, clip: str | Path, samples: np.ndarray, rate: int, speaking: Sequence[Speaking],
              tracks: Sequence[Track], out_path: str | Path, *, progress: Callable[[float], None] | None = None,
              cancel: Callable[[], None] | None = None, cache: ModelCache | None = None) -> int:
    import av

    module = runtime(spec)
    with av.open(str(clip)) as c:
        stream = c.streams.video[0]
        n = stream.frames or 0
        fps = float(stream.average_rate or 24)
        w, h = stream.codec_context.width, stream.codec_context.height
    if not n:
        with av.open(str(clip)) as c:
            n = sum(1 for _ in c.decode(video=0))
    active = speaking_frames(speaking, tracks, fps, n)
    if not active:
        return 0
    check_cancel(cancel)
    if spec.builtin:
        using: Any = contextlib.nullcontext(None)
    else:
        cache = cache or get_cache()
        module.register_loaders(cache)
        using = cache.use(spec)
    changed = 0
    with using as model:
        features = module.audio_features(model, samples, rate, fps, n, speaking)
        paste_lower = getattr(module, "PASTE_LOWER", True)
        out = Path(out_path)
        with atomic_output(out, suffix=".mp4") as tmp, VideoWriter(tmp, w, h, int(round(fps)), crf=CRF) as writer, \
                av.open(str(clip)) as c:
            batch: list[tuple[int, np.ndarray]] = []

            def flush() -> None:
                nonlocal changed
                changed += _redraw(module, model, batch, active, tracks, features, paste_lower, cancel)
                for _, frame in batch:
                    writer.write(frame)
                if progress is not None and batch:
                    progress(min(1.0, (batch[-1][0] + 1) / n))
                batch.clear()

            for i, frame in enumerate(c.decode(video=0)):
                batch.append((i, frame.to_ndarray(format="rgb24")))
                if len(batch) == BATCH:
                    flush()
            flush()
    return changed


def _redraw(module: Any, model: Any, batch: list[tuple[int, np.ndarray]], active: dict[int, list[int]],
            tracks: Sequence[Track], features: Any, paste_lower: bool, cancel: Callable[[], None] | None) -> int:
    """The speaking faces of a batch of frames redrawn in place; how many frames changed."""
    import cv2

    check_cancel(cancel)
    jobs, crops, feats = [], [], []
    for k, (i, frame) in enumerate(batch):
        fh, fw = frame.shape[:2]
        for face in active.get(i, []):
            x0, y0, x1, y1 = module.crop_box(tracks[face].at(i), fw, fh)
            if min(x1 - x0, y1 - y0) < MIN_CROP:
                continue
            crop = frame[y0:y1, x0:x1]
            side = module.FACE_SIZE
            crops.append(cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA if crop.shape[0] > side
                                    else cv2.INTER_CUBIC))
            feats.append(features[i])
            jobs.append((k, (x0, y0, x1, y1)))
    if not jobs:
        return 0
    made = module.generate(model, np.stack(crops), np.stack(feats), cancel=cancel)
    touched = set()
    for (k, (x0, y0, x1, y1)), face, crop in zip(jobs, made, crops):
        if np.array_equal(face, crop):  # nothing redrawn (a shut mouth): no resampling round trip either
            continue
        frame = batch[k][1]
        cw, ch = x1 - x0, y1 - y0
        back = cv2.resize(face, (cw, ch), interpolation=cv2.INTER_AREA if cw < face.shape[1] else cv2.INTER_CUBIC)
        region = frame[y0:y1, x0:x1].astype(np.float32)
        if paste_lower:
            m = lower_mask(cw, ch)[..., None]
            region = region * (1 - m) + back.astype(np.float32) * m
        else:
            region = back.astype(np.float32)
        frame[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)
        touched.add(k)
    return len(touched)


__all__ = ["Speaking", "sync_clip", "speaking_frames", "lower_mask", "BATCH"]
