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
line, faces too small (said apart from no face), or faces out of the shot while they speak.
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
from ...models.backends import runtime
from ...models.registry import ModelSpec
from ..animation.camera import still_to_frame
from ..animation.job import ClipJob
from ..images.files import open_image
from .faces import MIN_FACE, Box, Track, carried, small_faces, still_faces, track_clip
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
    rgb = _picture(shot.still)
    found = [(b, "") for b in still_faces(rgb)]
    found += [(b, name) for name, b in shot.heads.items() if min(b[2], b[3]) >= MIN_HEAD]
    found.sort(key=lambda f: f[0][0])
    to_frame = still_to_frame((rgb.shape[1], rgb.shape[0]), shot.job.motion, n, shot.job.size, path=shot.job.path)
    return carried([b for b, _ in found], to_frame, n), [name for _, name in found]


def _picture(path: str) -> np.ndarray:
    im = open_image(Path(path))
    try:
        return np.asarray(im.convert("RGB"))
    finally:
        im.close()


def _frames(clip: str):
    import av

    with av.open(clip) as c:
        for frame in c.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def key_name(name: str | None) -> str:
    return " ".join((name or "").split()).upper()


def assign(cues: Sequence[Cue], offset: float, names: Sequence[str], overrides: dict[str, int],
           faces: int, languages: dict[str, str] | None = None,
           phones: Sequence[Any] | None = None) -> tuple[list[Speaking], dict[str, int]]:
    """Who speaks when with which face, and each speaker's face (see the module's docstring);
    `languages` is each speaker's (upper-case name -> ISO 639-1 code; "" for everyone else), `phones`
    each cue's aligned phonemes ([phoneme, start, end] seconds of the speech, or None)."""
    languages = languages or {}
    timed = list(phones or [])
    timed += [None] * (len(cues) - len(timed))
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
    return [Speaking(c.start + offset, c.end + offset, face_of[key_name(c.speaker)], c.text,
                     languages.get(key_name(c.speaker), languages.get("", "")),
                     tuple((str(p[0]), float(p[1]) + offset, float(p[2]) + offset) for p in ph or ()))
            for c, ph in zip(cues, timed) if c.speaker and key_name(c.speaker) in face_of], face_of


def _no_face(shot: Shot) -> str:
    """Why a shot has no face to sync: none at all, or only faces too small to move a mouth on."""
    picture = _picture(shot.still) if shot.camera else next(iter(_frames(shot.clip)), None)
    small = small_faces(picture) if picture is not None else []
    if small:
        side = int(max(min(b[2], b[3]) for b in small))
        return (f"the {'face' if len(small) == 1 else 'faces'} in the shot {'is' if len(small) == 1 else 'are'} "
                f"{side} px, too small to move a mouth on (at least {MIN_FACE} px): a closer shot or a larger "
                "picture lets it speak")
    return f"no face found in the shot (OpenCV finds frontal faces of {MIN_FACE} px and more)"


def lip_sync_shot(spec: ModelSpec, shot: Shot, speech: str, cues: Sequence[Cue], offset: float,
                  overrides: dict[str, int], out_path: str | Path, *, languages: dict[str, str] | None = None,
                  phones: Sequence[Any] | None = None, progress: Callable[[float], None] | None = None,
                  cancel: Callable[[], None] | None = None) -> dict[str, Any]:
    """{"changed": frames redrawn, "faces": faces found, "speakers": {speaker: face}, "reason": why nothing
    changed ("" when something did), "mouth": what drove the built-in mouth ("" for a model)}; the
    synced clip is at `out_path` only when frames changed. `languages` and `phones` as for `assign`."""
    timed = list(phones or []) + [None] * max(0, len(cues) - len(phones or []))
    talkers = [c for c in cues if c.speaker]
    talker_phones = [ph for c, ph in zip(cues, timed) if c.speaker]
    if not talkers:
        return {"changed": 0, "faces": 0, "speakers": {}, "reason": "no character speaks in this scene", "mouth": ""}
    tracks, names = shot_faces(shot)
    if not tracks:
        return {"changed": 0, "faces": 0, "speakers": {}, "reason": _no_face(shot), "mouth": ""}
    speaking, who = assign(talkers, offset, names, overrides, len(tracks), languages, talker_phones)
    try:
        samples, rate = read_wav(speech)
    except (wave.Error, EOFError, OSError) as exc:
        raise VidgenError(f"The scene's speech {Path(speech).name} is not a readable WAV ({exc}): "
                          "render its voice again.") from None
    lead = np.zeros(int(round(offset * rate)), dtype=np.float32)
    changed = sync_clip(spec, shot.clip, np.concatenate([lead, samples]), rate, speaking, tracks, out_path,
                        progress=progress, cancel=cancel)
    reason = "" if changed else "the speaking faces are too small or out of the shot while they speak"
    driven = getattr(runtime(spec), "driven_by", None)
    return {"changed": changed, "faces": len(tracks), "speakers": who, "reason": reason,
            "mouth": driven(speaking) if driven and changed else ""}


__all__ = ["Shot", "shot_faces", "assign", "lip_sync_shot", "key_name", "Speaking", "Track"]
