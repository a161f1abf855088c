"""The faces of a shot, per frame: found by OpenCV's Haar cascade (its model ships inside
opencv-python: `cv2.data.haarcascades`), carried through the clip, smoothed.

    still_faces(rgb)                       # boxes in a picture, left to right
    small_faces(rgb)                       # faces too small to sync (only to say so)
    tracks = track_clip(frames)            # an image-to-video clip: detected every few frames, tracked
    tracks = carried(boxes, to_frame, n)   # a camera clip: the still's boxes through the camera's own warp

A box is (x, y, w, h) in pixels. A track is one face's box per frame (None where it is not seen).
On a camera-motion clip the faces are found once, in the still, and moved by the exact transform
the camera applied, so they cannot jitter; on an image-to-video clip they are detected every
DETECT_EVERY frames, linked by overlap, filled in between and smoothed by a centred moving average.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

Box = tuple[float, float, float, float]
CASCADE = "haarcascade_frontalface_default.xml"
CONFIRM = "haarcascade_frontalface_alt2.xml"  # a second cascade must agree: Haar's false faces rarely agree
MIN_FACE = 24  # pixels: smaller faces are not found (and would give a mouth of a few pixels)
DETECT_EVERY = 3  # frames between detections on an image-to-video clip
MAX_GAP = 12  # frames a track may go unseen before it ends
SMOOTH = 3  # frames each side of the moving average
MAX_DETECT_SIDE = 640  # frames are searched at most this wide (speed; boxes are scaled back)
LARGE_DETECT_SIDE = 1280  # a still with no face found at MAX_DETECT_SIDE is searched again this wide

_cascades: dict[str, object] = {}


@dataclass
class Track:
    boxes: list[Box | None] = field(default_factory=list)

    def at(self, i: int) -> Box | None:
        return self.boxes[i] if 0 <= i < len(self.boxes) else None

    @property
    def first(self) -> Box | None:
        return next((b for b in self.boxes if b is not None), None)


def detector(name: str = CASCADE):
    import cv2

    if name not in _cascades:
        _cascades[name] = cv2.CascadeClassifier(cv2.data.haarcascades + name)
    return _cascades[name]


def still_faces(rgb: np.ndarray, *, min_face: int = MIN_FACE, thorough: bool = True) -> list[Box]:
    """The frontal faces in an RGB picture, left to right (none is an empty list). A picture wider
    than MAX_DETECT_SIDE is searched shrunk and, when `thorough`, once more at up to LARGE_DETECT_SIDE
    when that finds none (a face of 30 px in a 1080p still is 10 px at 640, under the cascade's 24)."""
    h, w = rgb.shape[:2]
    found = _find(rgb, min(1.0, MAX_DETECT_SIDE / max(w, h)), min_face)
    if not found and thorough and max(w, h) > MAX_DETECT_SIDE:
        found = _find(rgb, min(1.0, LARGE_DETECT_SIDE / max(w, h)), min_face)
    return found


def small_faces(rgb: np.ndarray) -> list[Box]:
    """Faces too small to sync (under MIN_FACE px, down to about half that), found on the picture
    enlarged; only to say why nothing moved."""
    h, w = rgb.shape[:2]
    k = min(2.0, LARGE_DETECT_SIDE / max(w, h))
    return [b for b in _find(rgb, k, 1) if min(b[2], b[3]) < MIN_FACE]


def _find(rgb: np.ndarray, k: float, min_face: float) -> list[Box]:
    """Faces found on the picture scaled by k (the cascade's window is 24 px there), in picture px."""
    import cv2

    h, w = rgb.shape[:2]
    gray = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)
    if k != 1.0:
        gray = cv2.resize(gray, (int(round(w * k)), int(round(h * k))),
                          interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)
    # local contrast (CLAHE), not equalizeHist: a picture's large flat areas (a wall, the painter's sky)
    # flatten a global equalization's face until the cascade misses it
    gray = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray)
    side = max(12, int(round(min_face * k)))
    found = detector().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
    if len(found):
        second = detector(CONFIRM).detectMultiScale(gray, scaleFactor=1.1, minNeighbors=3, minSize=(side, side))
        found = [f for f in found if any(iou(tuple(map(float, f)), tuple(map(float, g))) > 0.3 for g in second)]
    boxes = [(float(x) / k, float(y) / k, float(bw) / k, float(bh) / k) for x, y, bw, bh in found]
    return sorted(_distinct(boxes), key=lambda b: b[0])


def iou(a: Box, b: Box) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / max(1e-9, aw * ah + bw * bh - inter)


def _distinct(boxes: list[Box]) -> list[Box]:
    """Boxes with overlapping duplicates (IoU > 0.3) dropped, the larger kept."""
    out: list[Box] = []
    for b in sorted(boxes, key=lambda b: -b[2] * b[3]):
        if all(iou(b, o) <= 0.3 for o in out):
            out.append(b)
    return out


def carried(boxes: Sequence[Box], to_frame: Callable[[int, float, float], tuple[float, float]], n: int) -> list[Track]:
    """Each still box through n frames of a camera move: `to_frame(i, x, y)` is where the still's point
    (x, y) lands in frame i; the box is the bounding square of its moved corners."""
    tracks = []
    for x, y, w, h in boxes:
        track = Track()
        for i in range(n):
            pts = [to_frame(i, px, py) for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h))]
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            track.boxes.append((min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)))
        tracks.append(track)
    return tracks


def track_clip(frames: Iterable[np.ndarray], *, every: int = DETECT_EVERY, min_face: int = MIN_FACE) -> list[Track]:
    """The faces of a clip's frames (RGB): detected every `every` frames, linked to the track whose last
    box overlaps most (IoU > 0.2), linearly filled between detections, smoothed; left to right by
    their first box."""
    tracks: list[Track] = []
    n = 0
    for i, frame in enumerate(frames):
        n = i + 1
        for t in tracks:
            t.boxes.append(None)
        if i % every:
            continue
        for box in still_faces(frame, min_face=min_face, thorough=False):
            best, score = None, 0.2
            for t in tracks:
                last = _last_seen(t, i - 1)
                if last is not None and i - last[0] <= MAX_GAP and iou(box, last[1]) > score:
                    best, score = t, iou(box, last[1])
            if best is None:
                best = Track([None] * (i + 1))
                tracks.append(best)
            best.boxes[i] = box
    for t in tracks:
        t.boxes = _smoothed(_filled(t.boxes, every), n)
    return sorted(tracks, key=lambda t: t.first[0] if t.first else 0.0)


def _last_seen(t: Track, before: int) -> tuple[int, Box] | None:
    for j in range(min(before, len(t.boxes) - 1), -1, -1):
        if t.boxes[j] is not None:
            return j, t.boxes[j]  # type: ignore[return-value]
    return None


def _filled(boxes: list[Box | None], every: int) -> list[Box | None]:
    """Gaps between two detections no more than MAX_GAP apart filled linearly; the last detection held
    for `every - 1` frames (the frames until the next search)."""
    out = list(boxes)
    seen = [i for i, b in enumerate(boxes) if b is not None]
    for a, b in zip(seen, seen[1:]):
        if b - a <= MAX_GAP:
            ba, bb = np.array(boxes[a]), np.array(boxes[b])
            for j in range(a + 1, b):
                out[j] = tuple(ba + (bb - ba) * (j - a) / (b - a))  # type: ignore[assignment]
    if seen:
        for j in range(seen[-1] + 1, min(len(out), seen[-1] + every)):
            out[j] = boxes[seen[-1]]
    return out


def _smoothed(boxes: list[Box | None], n: int) -> list[Box | None]:
    """A centred moving average over each run of consecutive boxes (no pull across gaps)."""
    out = list(boxes) + [None] * (n - len(boxes))
    i = 0
    while i < n:
        if out[i] is None:
            i += 1
            continue
        j = i
        while j < min(n, len(boxes)) and boxes[j] is not None:
            j += 1
        run = np.array(boxes[i:j], dtype=np.float64)
        for k in range(i, j):
            lo, hi = max(i, k - SMOOTH), min(j, k + SMOOTH + 1)
            out[k] = tuple(run[lo - i:hi - i].mean(axis=0))  # type: ignore[assignment]
        i = j
    return out


__all__ = ["Box", "Track", "still_faces", "small_faces", "carried", "track_clip", "iou", "MIN_FACE"]
