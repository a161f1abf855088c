"""Voices and music in the pipeline: each character's lines in their voice, prosody markup in the
rendered speech, the generated score (built-in composer per mood, tiny MusicGen through the
registry and cache), a tiny VITS character voice, and the studio's voice and music actions."""

from __future__ import annotations

import numpy as np
import pysubs2
import pytest

from tests.media_checks import audio_of, f0_median, rms_db, semitones
from vidgen.domain import Character, RenderSettings, Voice
from vidgen.errors import VidgenError
from vidgen.media import probe, read_wav, write_wav
from vidgen.models.registry import Registry
from vidgen.pipeline import create_project, music_segments, render
from vidgen.store import Store

DIALOGUE = """Scene 1: The kitchen
Mood: calm
Ana: Good morning, the kettle is already singing on the stove. [pause 1.0] Tea?
Ben: Yes please, my dear friend, with a little honey and some lemon.

Scene 2: The storm
Mood: sad
Narrator: By noon the sky had turned black and the rain would not stop.
"""


def small(**kw) -> RenderSettings:
    return RenderSettings(resolution="480p", fps=8, quality="draft", **kw)


def voice_step(store: Store, job, scene: int) -> dict:
    step = next(s for s in job.steps if s.name == "voice" and s.scene == scene)
    return store.get_step(step.key)


def test_each_character_speaks_in_their_voice_and_markup_shapes_the_speech(store):
    project = create_project(store, DIALOGUE, settings=small(music="none"))
    assert [c.voice for c in project.characters] == [None, None]  # distinct defaults come from the cast
    job = render(store, project.id)
    step = voice_step(store, job, 1)
    audio, sr = read_wav(store.asset_path(step["outputs"]["speech"]))
    cues = step["data"]["cues"]
    assert step["data"]["timing"] == "measured per sentence"
    assert not any("[" in c["text"] or "*" in c["text"] for c in cues)

    def voiced(speaker: str) -> np.ndarray:
        return np.concatenate([audio[int(c["start"] * sr):int(c["end"] * sr)] for c in cues if c["speaker"] == speaker])

    assert abs(semitones(f0_median(voiced("Ana"), sr), f0_median(voiced("Ben"), sr))) >= 2.0
    ana = [c for c in cues if c["speaker"] == "Ana"]
    assert [c["text"] for c in ana] == ["Good morning, the kettle is already singing on the stove.", "Tea?"]
    gap = ana[1]["start"] - ana[0]["end"]
    assert gap == pytest.approx(1.0, abs=0.1)
    quiet = audio[int((ana[0]["end"] + 0.05) * sr):int((ana[1]["start"] - 0.05) * sr)]
    assert rms_db(quiet) < -50  # the pause is silence
    subs = pysubs2.load(job.result["subtitles"])
    assert subs and not any("[" in e.plaintext or "*" in e.plaintext for e in subs)


def test_the_default_score_follows_the_moods_and_is_cached(store):
    project = create_project(store, DIALOGUE, settings=small(voice="none"))
    assert project.settings.music == "auto"
    job = render(store, project.id)
    music = next(s for s in job.steps if s.name == "music")
    data = store.get_step(music.key)["data"]
    assert data["model"] == "composer" and [m for m, _ in data["segments"]] == ["calm", "sad"]
    film = probe(job.result["video"]).duration
    wav = store.asset_path(store.get_step(music.key)["outputs"]["music"])
    assert probe(wav).duration == pytest.approx(film, abs=0.1)
    assert rms_db(audio_of(job.result["video"], 16000)) > -35  # a silent film still has its score

    again = render(store, project.id)
    assert all(s.cached for s in again.steps)
    project = store.get_project(project.id)
    project.settings.music_genre = "piano"
    store.save_project(project)
    third = render(store, project.id)
    assert {s.name for s in third.steps if not s.cached} == {"music", "assembly"}

    none = create_project(store, DIALOGUE, settings=small(voice="none", music="none", sound_effects=False))
    silent = render(store, none.id)
    assert not any(s.name == "music" for s in silent.steps)
    assert rms_db(audio_of(silent.result["video"], 16000)) < -60
    rain = create_project(store, DIALOGUE, settings=small(voice="none", music="none"))  # scene 2's rain: a bed
    assert rms_db(audio_of(render(store, rain.id).result["video"], 16000)) > -45


def test_music_segments_merge_runs_of_one_mood_and_add_up_to_the_film():
    from vidgen.domain import Project, Scene

    scenes = [Scene(1, "a", mood="calm"), Scene(2, "b", mood="calm"), Scene(3, "c", mood="tense", transition="cut")]
    project = Project(id="p", title="t", script="", scenes=scenes, settings=RenderSettings(transition_seconds=0.5))
    segments = music_segments(project, [{"duration": 4.0}, {"duration": 5.0}, {"duration": 6.0}])
    assert segments == [("calm", 8.5), ("tense", 6.0)]  # 4 + 5 - 0.5 overlap; the cut does not overlap


@pytest.fixture()
def tiny_audio_models(tmp_path, monkeypatch):
    """The tiny MusicGen and VITS saved in an HF cache this test reads offline."""
    from . import tiny_musicgen, tiny_vits
    from .tiny_models import offline_hub, one_torch_thread

    cache = tmp_path / "hub"
    tiny_musicgen.save_tiny_musicgen(cache)
    tiny_vits.make_hf_cache(cache)
    offline_hub(monkeypatch, cache)
    with one_torch_thread():
        yield tiny_musicgen.REPO, tiny_vits.REPO


def test_studio_scores_with_a_musicgen_model_and_speaks_with_a_vits_voice(tiny_audio_models, studio):
    musicgen_repo, vits_repo = tiny_audio_models
    registry = Registry(studio.store)
    musicgen = registry.add(musicgen_repo, "music")
    vits = registry.add(vits_repo, "voice")
    p = studio.create_project(DIALOGUE, "", {"resolution": "480p", "fps": 8, "quality": "draft",
                                             "music_model": musicgen.id})
    score = studio.generate_music(p["id"])
    assert score["model"] == musicgen.id and not score["cached"] and "calm" in score["prompt"]
    total = sum(seconds for _, seconds in score["segments"])
    assert probe(score["audio"]).duration == pytest.approx(total, abs=0.1)
    assert studio.generate_music(p["id"])["cached"]
    studio.update_settings(p["id"], {"music_key": "D minor"})
    with pytest.raises(VidgenError, match="cannot be told a key"):
        studio.generate_music(p["id"])
    studio.update_settings(p["id"], {"music_key": ""})
    with pytest.raises(VidgenError, match="genre"):
        studio.update_settings(p["id"], {"music_genre": "polka"})

    p = studio.set_voice(p["id"], "Ben", {"model": vits.id, "pitch": 0, "speed": 1.0, "speaker": 0})
    assert studio.cast(p["id"])["characters"]["Ben"]["model"] == vits.id
    preview = studio.preview_voice(p["id"], "Hello there.", who="Ben")
    assert preview["voice"]["model"] == vits.id and preview["seconds"] > 0
    scene = studio.render_scene(p["id"], 1)
    assert scene["speech"] and probe(scene["speech"]).duration > 1.0
    studio.set_voice(p["id"], "Ben", {"model": vits.id, "speaker": 7})
    with pytest.raises(VidgenError, match="speaker"):
        studio.render_scene(p["id"], 1)


def test_voice_samples_and_voices_are_checked_in_the_studio(studio, tmp_path):
    p = studio.create_project(DIALOGUE, "", {"voice": "piper:en_US-joe-medium"})
    silent = tmp_path / "silent.wav"
    write_wav(silent, np.zeros(16000 * 8, np.float32), 16000)
    with pytest.raises(VidgenError, match="silent|speech"):
        studio.set_voice(p["id"], "Ana", {}, str(silent))
    with pytest.raises(VidgenError, match="coqui-tts"):  # not importable on these machines: says how
        studio.set_voice(p["id"], "Ana", {"model": "xtts-v2"})
    with pytest.raises(VidgenError, match="speed"):
        studio.set_voice(p["id"], "Ana", {"speed": 5})
    with pytest.raises(VidgenError, match="Unknown voice"):
        studio.set_voice(p["id"], None, {"model": "nope"})
    with pytest.raises(VidgenError, match="No character"):
        studio.preview_voice(p["id"], "Hi.", who="Zed")
    with pytest.raises(VidgenError, match=r"Scene 1 line 1.*\[slow\]"):  # at edit time, not mid-render
        studio.update_scene(p["id"], 1, {"narration": "The tide [slow] came in."})
    p = studio.set_voice(p["id"], None, {"pitch": -2.0, "speed": 0.9})
    assert p["settings"]["narrator"]["pitch"] == -2.0
    cast = studio.cast(p["id"])
    assert cast["narrator"]["pitch"] == -2.0 and set(cast["characters"]) == {"Ana", "Ben"}
    assert cast["characters"]["Ana"]["pitch"] != cast["characters"]["Ben"]["pitch"]
    low = studio.preview_voice(p["id"], "The tide came in slowly over the sand.")
    audio, sr = read_wav(low["audio"])
    high = studio.preview_voice(p["id"], "The tide came in slowly over the sand.",
                                {"pitch": 2.0, "speed": 0.9})
    audio2, _ = read_wav(high["audio"])
    assert semitones(f0_median(audio2, sr), f0_median(audio, sr)) > 2.5


def test_a_character_voice_is_kept_with_the_project():
    c = Character("Ana", voice=Voice(model="piper:en_US-joe-medium", pitch=3.0))
    from vidgen.domain import from_dict, to_dict

    assert from_dict(Character, to_dict(c)) == c
