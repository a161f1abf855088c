"""The finishing layer through a render (issue 16): a script's sound cues become a cached effects step
placed at their line, a title card opens the film, karaoke captions get the voice's word times
(written beside the film), a grade and a text watermark apply; the settings and the Storyboard's
fields are checked with one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vidgen.checks import check_saved
from vidgen.domain import RenderSettings
from vidgen.errors import VidgenError
from vidgen.pipeline import create_project, render
from vidgen.render_settings import with_changes
from vidgen.ui.finish_fields import overlays_to_text, text_to_overlays

from .test_assembly import frame_at

pytest.importorskip("av")

STORM = """INT. CABIN - NIGHT

Rain hammers the window.

ANA
Did you hear that?

SFX: THUNDER

BO
Only the storm. A dog barks somewhere.
"""


def settings(**kw) -> RenderSettings:
    return RenderSettings(resolution="480p", fps=12, quality="draft", lipsync_model="none", music="none", **kw)


def step(store, job, name):
    found = next(s for s in job.steps if s.name == name)
    return store.get_step(found.key)


def test_a_finished_render(store):
    project = create_project(store, STORM, settings=settings(
        caption_style="karaoke", grade="warm", title_text="The Storm", title_seconds=1.5,
        watermark_text="vidgen", lower_thirds=True))
    job = render(store, project.id)
    assert job.status == "completed", job.error
    fx = step(store, job, "effects")
    placed = {p["sound"]: p for p in fx["data"]["placed"]}
    assert placed["thunder"]["kind"] == "event" and placed["rain"]["kind"] == "bed", placed  # the weather's bed
    voice = step(store, job, "voice")
    bo = next(c for c in voice["data"]["cues"] if c["speaker"] == "Bo")
    assert abs(placed["thunder"]["at"] - (bo["start"] + 0.5 + 0.25)) < 0.3  # at Bo's line, after the lead-in
    video = Path(job.result["video"])
    words = json.loads(video.with_suffix(".words.json").read_text())["words"]
    assert [w["word"] for w in words[:4]] == ["Did", "you", "hear", "that?"]
    assert not any(w["estimated"] for w in words)  # Piper's own alignment timed every word
    first, later = frame_at(str(video), 0.75), frame_at(str(video), 2.5)
    assert first[:, :, :].std() < later.std()  # a dark title card, then the scene
    h, w = first.shape[:2]
    card = first[int(0.4 * h):int(0.6 * h), int(0.3 * w):int(0.7 * w)]
    assert (card.max(axis=2) > 200).mean() > 0.01  # the title's letters
    again = render(store, project.id)
    assert all(s.cached for s in again.steps)


def test_finishing_settings_are_checked(store):
    for change, words in (({"caption_color": "red"}, "primary must be a colour like #RRGGBB"),
                          ({"grade": "sepia"}, "Unknown grade 'sepia'"),
                          ({"grade_lut": "no-such-asset"}, "is not a file of this project"),
                          ({"watermark_text": "y", "watermark": "x"}, "not both")):
        project = create_project(store, STORM, settings=settings())
        with pytest.raises(VidgenError) as err:
            check_saved(store, with_changes(project.settings, change))
        assert words in str(err.value) and "\n" not in str(err.value)


def test_the_storyboards_look_and_sound_fields(studio):
    p = studio.create_project(STORM)
    overlays = text_to_overlays("0.5+3 top: Three days later\n\n1+2 bottom-right: {\\b1}as written")
    saved = studio.update_scene(p["id"], 1, {"grade": "noir", "sounds": ["waves"], "overlays": overlays})
    scene = saved["scenes"][0]
    assert scene["grade"] == "noir" and scene["sounds"] == ["waves"]
    assert overlays_to_text(scene["overlays"]) == "0.5+3 top: Three days later\n1+2 bottom-right: {\\b1}as written"
    for bad, words in ((["x"], r"write START\+SECONDS POSITION: text"), (["1+2 sideways: hi"], "position")):
        with pytest.raises(VidgenError, match=words):
            studio.update_scene(p["id"], 1, {"overlays": text_to_overlays("\n".join(bad))})
    with pytest.raises(VidgenError, match="unknown grade 'sepia'"):
        studio.update_scene(p["id"], 1, {"grade": "sepia"})
    assert studio.get_project(p["id"])["scenes"][0]["grade"] == "noir"  # nothing saved is lost
