"""The model backends in the lip-sync stage (issue 15): Wav2Lip (the full-size generator with random
weights in the published checkpoint layout) and MuseTalk 1.5 (tiny random parts in its layouts),
offline, by their registry ids, on the astronaut's face in a camera clip: the lower face is redrawn
only while the character speaks, the rest of the frame is as it was, the clip keeps its length and size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidgen.domain import Cue
from vidgen.services.lipsync import Shot, lip_sync_shot

from . import tiny_musetalk as tmt
from . import tiny_video as tv
from . import tiny_wav2lip as tw
from .test_lipsync import FPS, SIZE, camera_clip, save_png, speech

skimage_data = pytest.importorskip("skimage.data")
pytest.importorskip("av")


SAVES = {"wav2lip-gan": lambda hf: tw.save_wav2lip(hf), "musetalk-1.5": tmt.save_tiny_musetalk}


@pytest.fixture(scope="module", params=sorted(SAVES))
def env(request, tmp_path_factory):
    with tv.offline_video_models(tmp_path_factory, SAVES[request.param], request.param) as found:
        yield found


def test_the_model_redraws_the_speaking_mouth_only_while_it_speaks(env, tmp_path):
    spec, _ = env
    assert spec.runs and spec.backend in ("wav2lip", "musetalk")
    still = save_png(skimage_data.astronaut(), tmp_path / "astronaut.png")
    wav, rms = speech(tmp_path / "s.wav", [(0.5, 1.0), (1.1, 1.4)], 2.0)
    clip, job = camera_clip(still, tmp_path / "shot.mp4", 2.0)
    out = tmp_path / "synced.mp4"
    r = lip_sync_shot(spec, Shot(still, clip, job, camera=True), wav, [Cue(0.4, 1.5, "Houston.", "JIM")], 0.0, {}, out)
    assert r["changed"] == int(1.5 * FPS) - int(np.ceil(0.4 * FPS)) + 1 and r["speakers"] == {"JIM": 0}
    before, after = tv.clip_frames(Path(clip)), tv.clip_frames(out)
    assert before.shape == after.shape == (2 * FPS, SIZE[1], SIZE[0], 3)
    x, y, w, h = 177, 66, 95, 95
    lower = np.abs(after - before)[:, y + h // 2 + 8:y + h, x + 10:x + w - 10].mean(axis=(1, 2, 3))
    upper = np.abs(after - before)[:, y + 5:y + h // 2 - 12, x:x + w].mean(axis=(1, 2, 3))
    speaking = np.zeros(len(lower), bool)
    speaking[int(np.ceil(0.4 * FPS)):int(1.5 * FPS) + 1] = True
    assert lower[speaking].min() > 5.0  # random weights draw no real mouth, but they redraw the lower face
    assert lower[~speaking].max() < 2.0 and upper.max() < 2.0  # outside the lines, and above the mouth: as it was
    outside = np.abs(after - before).copy()
    outside[:, y - 5:y + h + 20, x - 5:x + w + 5] = 0
    assert outside.mean() < 2.0
