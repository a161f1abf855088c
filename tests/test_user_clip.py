"""A user's own video clip as a scene's moving picture (issue 17): looped to the scene's length at the
film's size and fps, its first frame the scene's still, measured on frames; bad files refused."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vidgen import media
from vidgen.errors import VidgenError

from .test_assembly import frame_at
from .test_scene_ops import SCRIPT, TINY

RED, BLUE = (220, 30, 30), (30, 40, 220)


def two_colour_clip(path, seconds=1.0, fps=24, size=(320, 240)):
    """Red for its first half, blue for its second."""
    w, h = size
    with media.VideoWriter(path, w, h, fps) as vw:
        for f in range(round(seconds * fps)):
            vw.write(np.full((h, w, 3), RED if f < seconds * fps / 2 else BLUE, np.uint8))
    return str(path)


def test_a_scene_plays_the_users_clip_looped_to_its_length(studio, tmp_path):
    p = studio.create_project(SCRIPT, "Road", TINY)
    studio.set_scene_clip(p["id"], 2, two_colour_clip(tmp_path / "mine.mp4"))
    done = studio.wait(studio.start_render(p["id"]))
    assert done["status"] == "completed", done.get("error")

    def output(name: str, role: str) -> str:
        step = next(s for s in done["steps"] if s["name"] == name and s["scene"] == 2)
        return str(studio.store.asset_path(studio.store.get_step(step["key"])["outputs"][role]))

    clip, still = output("animation", "clip"), output("image", "image")
    info = media.probe(clip)
    assert (info.video.width, info.video.height) == (854, 480) and abs(info.video.fps - 12) < 0.01  # 480p 16:9
    assert info.duration > 2.0 and info.audio is None  # longer than the 1 s clip: looped; its sound left out

    def colour(t: float) -> np.ndarray:
        return np.median(frame_at(clip, t).reshape(-1, 3), axis=0)

    assert colour(0.2)[0] > 150 and colour(0.7)[2] > 150 and colour(1.2)[0] > 150  # red, blue, red again
    first = np.asarray(Image.open(still).convert("RGB")).reshape(-1, 3)
    assert np.median(first, axis=0)[0] > 150  # the still is the clip's first (red) frame


def test_a_bad_clip_is_refused(studio, tmp_path):
    p = studio.create_project(SCRIPT, "Road", TINY)
    picture = tmp_path / "still.png"
    Image.new("RGB", (64, 64), RED).save(picture)
    with pytest.raises(VidgenError, match="is a still picture, not a clip") as err:
        studio.set_scene_clip(p["id"], 1, str(picture))
    assert "\n" not in str(err.value)
    noise = tmp_path / "noise.mp4"
    noise.write_bytes(b"not a video at all" * 50)
    with pytest.raises(VidgenError) as err:
        studio.set_scene_clip(p["id"], 1, str(noise))
    assert "noise.mp4" in str(err.value) and "\n" not in str(err.value)
    image = studio.set_scene_image(p["id"], 1, str(picture))["scenes"][0]["image"]
    with pytest.raises(VidgenError, match="its clip is not a video"):
        studio.update_scene(p["id"], 1, {"clip": image})
    assert studio.get_project(p["id"])["scenes"][0]["clip"] == ""


def square_clip(path, seconds=1.0, fps=12, size=(320, 180), side=60):
    """A white square centred on black that blinks grey every other frame (the clip plays under the move)."""
    w, h = size
    with media.VideoWriter(path, w, h, fps) as vw:
        for f in range(round(seconds * fps)):
            frame = np.zeros((h, w, 3), np.uint8)
            frame[(h - side) // 2:(h + side) // 2, (w - side) // 2:(w + side) // 2] = 255 if f % 2 == 0 else 128
            vw.write(frame)
    return str(path)


def square(frame: np.ndarray) -> tuple[float, float, float]:
    """(width, centre x, brightness) of the bright square in a frame."""
    lit = frame.max(axis=2) > 60
    cols = np.flatnonzero(lit.any(axis=0))
    return float(cols[-1] - cols[0] + 1), float(cols.mean()), float(np.median(frame[lit]))


def frames_of(path: str) -> list[np.ndarray]:
    import av

    with av.open(path) as c:
        return [fr.to_ndarray(format="rgb24") for fr in c.decode(video=0)]


def test_the_camera_moves_over_a_playing_clip(tmp_path):
    from vidgen.services.animation.user_clip import fit_user_clip

    src = square_clip(tmp_path / "square.mp4")
    size, fps, seconds = (320, 180), 12, 2.0
    still = frames_of(str(fit_user_clip(src, seconds, fps, size, tmp_path / "plain.mp4")))
    zoom = frames_of(str(fit_user_clip(src, seconds, fps, size, tmp_path / "zoom.mp4", motion="zoom_in")))
    pan = frames_of(str(fit_user_clip(src, seconds, fps, size, tmp_path / "pan.mp4", motion="pan_left")))
    assert len(still) == len(zoom) == len(pan) == 24
    assert abs(square(still[-1])[0] - square(still[0])[0]) <= 2  # no move asked: none made
    grown = square(zoom[-1])[0] / square(zoom[0])[0]
    assert 1.10 < grown < 1.20, grown  # camera.ZOOM = 1.15
    assert abs(square(pan[-1])[1] - square(pan[0])[1]) > 8  # the square travels across the frame
    # the clip still plays under the move: its frames alternate bright and grey
    assert square(zoom[10])[2] > 200 and square(zoom[11])[2] < 160


def test_a_move_chosen_for_a_clip_scene_changes_only_its_clip_step(studio, tmp_path):
    p = studio.create_project(SCRIPT, "Road", TINY)
    studio.set_scene_clip(p["id"], 2, square_clip(tmp_path / "mine.mp4"))
    first = studio.wait(studio.start_render(p["id"]))
    assert first["status"] == "completed", first.get("error")
    studio.update_scene(p["id"], 2, {"motion": "zoom_in"})
    again = studio.wait(studio.start_render(p["id"]))
    assert again["status"] == "completed", again.get("error")
    redone = sorted((s["name"], s["scene"]) for s in again["steps"] if not s["cached"])
    assert ("animation", 2) in redone and all(scene == 2 or name not in ("animation", "image", "voice")
                                              for name, scene in redone), redone

    def clip(job: dict) -> str:
        step = next(s for s in job["steps"] if s["name"] == "animation" and s["scene"] == 2)
        return str(studio.store.asset_path(studio.store.get_step(step["key"])["outputs"]["clip"]))

    before, after = frames_of(clip(first)), frames_of(clip(again))
    assert abs(square(before[-1])[0] - square(before[0])[0]) <= 2
    assert square(after[-1])[0] / square(after[0])[0] > 1.08
