"""Lip sync: the mouths of the faces that speak move with their lines.

    result = lip_sync_shot(spec, Shot(still, clip, job, camera, heads), speech, cues, offset, overrides, out)

The faces of a shot (faces.py): a camera-motion clip's come from its still (OpenCV's Haar cascade,
and the painter's own figures' heads, `heads`), carried through every frame by the camera's exact
warp; an image-to-video clip's are detected and tracked on its frames. Each character's line drives
one face: the scene's `speaker_faces` when it names the speaker, else a painted figure of that name,
else the unclaimed faces left to right in the order the speakers first speak (one face in the shot:
every character line is its). The narrator moves no mouth. The backend (the record's, through the one
runtime table: visemes.py built in, wav2lip.py, musetalk.py) redraws those faces in those frames
(sync.py). Nothing changes, and `result["reason"]` says why, for a shot with no face, no character
line, or faces too small.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ...domain import Cue
from ...errors import VidgenError
from ...media import read_wav
from ...models.registry import ModelSpec
from ..animation.camera import still_to_frame
from ..animation.job import ClipJob
from ..images.files import open_image
from .faces import MIN_FACE, Box, Track, carried, still_faces, track_clip
from .sync import Speaking, sync_clip

MIN_HEAD = 8  # pixels: a painted head's mouth needs this much face


@dataclass
class Shot:
    still: str  # the scene's picture
    clip: str  # its clip
    job: ClipJob  # what the clip was made from (size, fps, duration, the camera's move)
    camera: bool  # made by the camera (its warp is known exactly)
    heads: dict[str, Box] = field(default_factory=dict)  # painted figures' heads: name -> (x, y, w, h) in the still


def shot_faces(shot: Shot) -> tuple[list[Track], list[str]]:
    """The shot's face tracks left to right, and each one's figure name ("" when detected)."""
    n = max(1, int(round(shot.job.duration * shot.job.fps)))
    if not shot.camera:
        return track_clip(_frames(shot.clip)), []
    im = open_image(Path(shot.still))
    try:
        rgb = np.asarray(im.convert("RGB"))
    finally:
        im.close()
    found = [(b, "") for b in still_faces(rgb)]
    found += [(b, name) for name, b in shot.heads.items() if min(b[2], b[3]) >= MIN_HEAD]
    found.sort(key=lambda f: f[0][0])
    to_frame = still_to_frame((rgb.shape[1], rgb.shape[0]), shot.job.motion, n, shot.job.size, path=shot.job.path)
    return carried([b for b, _ in found], to_frame, n), [name for _, name in found]


def _frames(clip: str):
    import av

    with av.open(clip) as c:
        for frame in c.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def key_name(name: str | None) -> str:
    return " ".join((name or "").split()).upper()


def assign(cues: Sequence[Cue], offset: float, names: Sequence[str], overrides: dict[str, int],
           faces: int) -> tuple[list[Speaking], dict[str, int]]:
    """Who speaks when with which face, and each speaker's face (see the module's docstring)."""
    speakers: list[str] = []
    for c in cues:
        if c.speaker and key_name(c.speaker) not in speakers:
            speakers.append(key_name(c.speaker))
    face_of: dict[str, int] = {}
    for sp in speakers:
        if sp in overrides and overrides[sp] < faces:
            face_of[sp] = overrides[sp]
        elif sp in [key_name(n) for n in names if n]:
            face_of[sp] = [key_name(n) for n in names].index(sp)
    named = [i < len(names) and bool(names[i]) and not names[i].startswith("#") for i in range(faces)]
    free = [i for i in range(faces) if i not in face_of.values() and not named[i]]  # a named figure is its own
    for sp in speakers:
        if sp not in face_of:
            if faces == 1:
                face_of[sp] = 0
            elif free:
                face_of[sp] = free.pop(0)
    return [Speaking(c.start + offset, c.end + offset, face_of[key_name(c.speaker)])
            for c in cues if c.speaker and key_name(c.speaker) in face_of], face_of


def lip_sync_shot(spec: ModelSpec, shot: Shot, speech: str, cues: Sequence[Cue], offset: float,
                  overrides: dict[str, int], out_path: str | Path, *, progress: Callable[[float], None] | None = None,
                  cancel: Callable[[], None] | None = None) -> dict[str, Any]:
    """{"changed": frames redrawn, "faces": faces found, "speakers": {speaker: face}, "reason": why nothing
    changed ("" when something did)}; the synced clip is at `out_path` only when frames changed."""
    talkers = [c for c in cues if c.speaker]
    if not talkers:
        return {"changed": 0, "faces": 0, "speakers": {}, "reason": "no character speaks in this scene"}
    tracks, names = shot_faces(shot)
    if not tracks:
        return {"changed": 0, "faces": 0, "speakers": {},
                "reason": f"no face found in the shot (OpenCV finds frontal faces of {MIN_FACE} px and more)"}
    speaking, who = assign(talkers, offset, names, overrides, len(tracks))
    try:
        samples, rate = read_wav(speech)
    except (wave.Error, EOFError, OSError) as exc:
        raise VidgenError(f"The scene's speech {Path(speech).name} is not a readable WAV ({exc}): "
                          "render its voice again.") from None
    lead = np.zeros(int(round(offset * rate)), dtype=np.float32)
    changed = sync_clip(spec, shot.clip, np.concatenate([lead, samples]), rate, speaking, tracks, out_path,
                        progress=progress, cancel=cancel)
    reason = "" if changed else "the speaking faces are too small or out of the shot while they speak"
    return {"changed": changed, "faces": len(tracks), "speakers": who, "reason": reason}


__all__ = ["Shot", "shot_faces", "assign", "lip_sync_shot", "key_name", "Speaking", "Track"]
