"""The built-in Piper voice: real synthesis, cues measured from the audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.media_checks import f0_median, semitones
from vidgen.domain import Character, Line, RenderSettings, Voice
from vidgen.errors import VidgenError
from vidgen.media import read_wav, write_wav
from vidgen.services import voice as voice_service
from vidgen.services.voice import audio as voice_audio
from vidgen.services.voice import xtts
from vidgen.services.voice import (BUILTIN_VOICE, LINE_PAUSE, cast, check_voice, check_voice_sample, check_voices,
                                   estimated_cues, split_sentences, synthesize_lines, synthesize_preview, voice_for)


def test_piper_speaks_each_sentence_and_times_it(tmp_path):
    lines = [Line("The tide came in. Gulls circled the harbour!"), Line("(quietly) Is anyone there?", "Ana")]
    r = synthesize_lines(lines, tmp_path / "v.wav")
    audio, sr = read_wav(r.wav)
    assert sr == r.sample_rate == 22050
    assert r.duration == pytest.approx(len(audio) / sr)
    assert [c.text for c in r.cues] == ["The tide came in.", "Gulls circled the harbour!", "Is anyone there?"]
    assert [c.speaker for c in r.cues] == [None, None, "Ana"]
    for a, b in zip(r.cues, r.cues[1:]):
        assert a.start < a.end < b.start
    assert r.cues[2].start - r.cues[1].end == pytest.approx(LINE_PAUSE, abs=0.01)

    def rms(t0, t1):
        seg = audio[int(t0 * sr):int(t1 * sr)]
        return float(np.sqrt(np.mean(seg ** 2)))

    for c in r.cues:
        assert rms(c.start, c.end) > 0.02  # speech where the cue says
    assert rms(r.cues[1].end + 0.05, r.cues[2].start - 0.05) < 0.002  # silence between lines


def test_stage_directions_are_not_spoken():
    assert split_sentences("(beat) Don't worry. [camera: zoom in] It's fine.") == ["Don't worry.", "It's fine."]


def test_voice_ids_are_checked(tmp_path):
    assert check_voice("none") == "none"
    with pytest.raises(VidgenError, match="Unknown voice 'robot'"):
        check_voice("robot")
    with pytest.raises(VidgenError, match="not found"):
        check_voice(f"piper:{tmp_path}/missing.onnx")
    (tmp_path / "v.onnx").write_bytes(b"x")
    with pytest.raises(VidgenError, match="needs its config"):
        check_voice(f"piper:{tmp_path}/v.onnx")


def test_estimated_cues_share_the_time_by_length():
    cues = estimated_cues([Line("Short. A much longer second sentence here.")], 6.0)
    assert [c.text for c in cues] == ["Short.", "A much longer second sentence here."]
    assert cues[-1].end == pytest.approx(6.0) and cues[0].end - cues[0].start < cues[1].end - cues[1].start


# --- per-character voices, pace, cloning samples, backends -------------------------------------


def speech_of(r, speaker):
    audio, sr = read_wav(r.wav)
    return np.concatenate([audio[int(c.start * sr):int(c.end * sr)] for c in r.cues if c.speaker == speaker]), sr


def test_characters_get_distinct_default_voices_and_the_narrator_keeps_its_own():
    settings = RenderSettings(narrator=Voice(speed=1.1))
    chars = [Character("Ana"), Character("Bo"), Character("Cy", voice=Voice(model="", pitch=-7.0))]
    voices = cast(settings, chars)
    assert voices[None] == Voice(model=BUILTIN_VOICE, speed=1.1)
    assert all(v.model == BUILTIN_VOICE for v in voices.values())
    assert voices["Ana"].pitch > 2 and voices["Bo"].pitch < -2  # alternating, away from the narrator
    assert voices["Cy"].pitch == -7.0  # a character's own voice wins
    assert cast(settings, chars) == voices  # deterministic
    many = cast(RenderSettings(), [Character(f"C{i}") for i in range(20)])
    pairs = {(v.pitch, v.speed) for k, v in many.items() if k is not None}
    assert len(pairs) == 20 and all(2.0 <= abs(p) <= 5.0 for p, _ in pairs)
    assert voice_for(voices, "ANA") is voices["Ana"] and voice_for(voices, "Stranger") is voices[None]


def test_two_characters_speak_in_measurably_different_voices(tmp_path):
    text = "I have been waiting here for a very long time, and nobody came."
    voices = cast(RenderSettings(), [Character("Ana"), Character("Bo")])
    lines = [Line(text), Line(text, "ANA"), Line(text, "bo")]  # names match case-insensitively
    r = synthesize_lines(lines, tmp_path / "v.wav", cast=voices)
    f0 = {who: f0_median(*speech_of(r, who)) for who in (None, "ANA", "bo")}
    assert semitones(f0["ANA"], f0[None]) > 2.0  # Ana +3 semitones
    assert semitones(f0[None], f0["bo"]) > 2.0  # Bo -3 semitones
    assert semitones(f0["ANA"], f0["bo"]) == pytest.approx(6.0, abs=1.5)


def test_speed_changes_the_pace_by_about_its_ratio(tmp_path):
    text = [Line("The lighthouse keeper climbed the stairs and lit the lamp again.")]
    normal = synthesize_lines(text, tmp_path / "a.wav", cast={None: Voice(model=BUILTIN_VOICE)})
    fast = synthesize_lines(text, tmp_path / "b.wav", cast={None: Voice(model=BUILTIN_VOICE, speed=1.5)})
    assert fast.duration / normal.duration == pytest.approx(1 / 1.5, rel=0.1)


def test_preview_speaks_one_voice(tmp_path):
    r = synthesize_preview("Hello, I am *Ana*.", Voice(pitch=4.0), tmp_path / "p.wav")
    assert [c.text for c in r.cues] == ["Hello, I am Ana."] and r.duration > 0.5
    with pytest.raises(VidgenError, match="at most 500 characters"):
        synthesize_preview("a" * 501, Voice(), tmp_path / "p.wav")


def test_voice_settings_are_checked_before_a_render():
    ok = check_voices(RenderSettings(), [Character("Ana", voice=Voice(model="piper-joe"))])
    assert ok["Ana"].model == "piper-joe"
    with pytest.raises(VidgenError, match="one speaker"):
        check_voices(RenderSettings(), [Character("Ana", voice=Voice(speaker=2))])
    with pytest.raises(VidgenError, match="only an XTTS voice"):
        check_voices(RenderSettings(narrator=Voice(sample="abc")), [])
    # a voice that does not speak the set language is not an error: choice.plan_lines picks another
    assert check_voices(RenderSettings(language="fr"), [])[None].model == BUILTIN_VOICE
    with pytest.raises(VidgenError, match="pitch must be from -12 to 12"):
        check_voices(RenderSettings(), [Character("Ana", voice=Voice(pitch=20))])


@pytest.fixture(scope="module")
def speech_8s(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "sample.wav"
    text = ("The harbour was quiet that morning, and the fishing boats rocked gently on the grey water. "
            "An old man mended his nets on the pier while the gulls waited for scraps.")
    r = synthesize_lines([Line(text)], out)
    assert 7.0 < r.duration < 15.0
    return out


def test_a_cloning_sample_is_checked_for_what_makes_it_usable(tmp_path, speech_8s):
    assert 7.0 < check_voice_sample(speech_8s) < 15.0
    audio, sr = read_wav(speech_8s)
    write_wav(tmp_path / "short.wav", audio[: 2 * sr], sr)
    with pytest.raises(VidgenError, match=r"short.wav is 2.0 s long: a cloning sample needs 6 to 30 s"):
        check_voice_sample(tmp_path / "short.wav")
    write_wav(tmp_path / "long.wav", np.tile(audio, 4), sr)
    with pytest.raises(VidgenError, match="trim it to 30 s"):
        check_voice_sample(tmp_path / "long.wav")
    write_wav(tmp_path / "silent.wav", np.zeros(8 * sr, np.float32), sr)
    with pytest.raises(VidgenError, match="silent.wav is almost silent"):
        check_voice_sample(tmp_path / "silent.wav")
    write_wav(tmp_path / "phone.wav", audio[: 8 * 8000], 8000)
    with pytest.raises(VidgenError, match="8000 Hz: a cloning sample needs 16000 Hz"):
        check_voice_sample(tmp_path / "phone.wav")
    (tmp_path / "notes.wav").write_text("These are my notes, not a recording.\n" * 50)
    with pytest.raises(VidgenError, match="notes.wav is not an audio file"):
        check_voice_sample(tmp_path / "notes.wav")


def test_xtts_without_coqui_tts_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "TTS", None)  # makes `import TTS...` fail even where it is installed
    xtts._import_error.cache_clear()
    try:
        with pytest.raises(VidgenError, match="needs the optional coqui-tts package: pip install -r requirements-xtts"):
            check_voice("xtts-v2")
        with pytest.raises(VidgenError, match="coqui-tts"):
            xtts.load_model(None, "cpu")
    finally:
        xtts._import_error.cache_clear()
    assert xtts.xtts_language("zh") == "zh-cn"
    with pytest.raises(VidgenError, match="does not speak 'sw'"):
        xtts.xtts_language("sw")


@pytest.mark.slow
def test_xtts_clones_a_sample(tmp_path, speech_8s):
    """Real XTTS v2 weights and coqui-tts (RUN_SLOW=1, `models download xtts-v2`, a CUDA torch)."""
    from vidgen.models import hub
    from vidgen.models.registry import packaged

    if xtts._import_error():
        pytest.skip("coqui-tts does not import here")
    if not hub.is_downloaded(packaged().get("xtts-v2")):
        pytest.skip("xtts-v2 is not downloaded")
    r = synthesize_preview("The boats came home before the storm.", Voice(model="xtts-v2", sample=str(speech_8s)),
                           tmp_path / "x.wav", language="en", seed=1)
    assert r.sample_rate == xtts.SAMPLE_RATE and r.duration > 1.0
    again = synthesize_preview("The boats came home before the storm.", Voice(model="xtts-v2", sample=str(speech_8s)),
                               tmp_path / "y.wav", language="en", seed=1)
    assert np.array_equal(read_wav(r.wav)[0], read_wav(again.wav)[0])


def test_no_heavy_imports_at_import_time():
    import subprocess
    import sys

    code = ("import sys, vidgen.services.voice, vidgen.services.voice.vits, vidgen.services.voice.xtts, "
            "vidgen.services.voice.language, vidgen.services.voice.prosody; "
            "print(sorted(m for m in ('torch', 'piper', 'transformers', 'TTS', 'py3langid') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert voice_service.TIMING == "measured per sentence"


def test_emphasis_is_its_own_slower_louder_chunk_joined_without_a_gap():
    from vidgen.services.voice import prosody

    calls = []

    class Engine:  # a backend that says each text as a steady tone, 0.1 s per word
        sample_rate, chunks = 1000, True

        def speak(self, text, voice, speed, seed, language):
            calls.append((text, round(speed, 3)))
            return np.full(100 * len(text.split()), 0.2, np.float32)

    sentence = prosody.parse_line("I *never* said that.").sentences[0]
    audio = voice_audio.speak(Engine(), sentence, Voice(), 1.0, 0, "en")
    assert calls == [("I", 1.0), ("never", prosody.EMPHASIS_SPEED), ("said that.", 1.0)]
    assert audio.size == 400  # no gaps between the chunks
    gain_db = 20 * np.log10(audio[150] / audio[50])
    assert gain_db == pytest.approx(prosody.EMPHASIS_GAIN_DB, abs=0.01)
    Engine.chunks = False  # XTTS: the whole sentence, louder
    calls.clear()
    whole = voice_audio.speak(Engine(), sentence, Voice(), 1.0, 0, "en")
    assert calls == [("I never said that.", 1.0)] and whole[0] > 0.2


def test_language_detection_and_voice_suggestions():
    from vidgen.services.voice.language import detect_language, mms_id, voice_for_language

    assert detect_language("Il était une fois un petit port de pêche au bord de la mer.") == "fr"
    assert detect_language("El pescador salió al mar antes del amanecer con su hijo.") == "es"
    assert detect_language("The tide came in.") == "en"  # too short to trust: English
    assert mms_id("en") == "eng" and mms_id("fr") == "fra"
    assert voice_for_language("en") == BUILTIN_VOICE
    assert voice_for_language("fr") == "mms-tts-fra" and voice_for_language("es") == "mms-tts-spa"
    with pytest.raises(VidgenError, match="models add facebook/mms-tts-deu --kind voice"):
        voice_for_language("de")
    with pytest.raises(VidgenError, match="not an ISO 639-1 code"):
        mms_id("English")


@pytest.mark.parametrize("detector_says, code, noted", [
    ("ary", "ar", False), ("arz", "ar", False), ("hbo", "he", False), ("yue", "zh", False),
    ("kab", "en", True), ("zxx", "en", True),
])
def test_detected_codes_are_iso_639_1_or_the_fallback_with_a_note(monkeypatch, detector_says, code, noted):
    """py3langid's classes that are not ISO 639-1 codes ('ary', Moroccan Arabic) map to their language,
    or to English with a note; what detection returns always passes check_language."""
    from vidgen.services.voice import language

    class Detector:
        def classify(self, text):
            return detector_says, 0.99

    monkeypatch.setattr(language, "_identifier", lambda: Detector())
    language.guess_language.cache_clear()
    try:
        text = "Some words long enough to be worth a guess, " + detector_says
        guess = language.guess_language(text)
        assert guess.code == code and language.detect_language(text) == code
        assert bool(guess.note) == noted and (not noted or repr(detector_says) in guess.note)
        assert language.check_language(guess.code) == code
    finally:
        language.guess_language.cache_clear()


def test_arabic_and_hebrew_are_detected_as_such():
    from tests.scripts import ARABIC, HEBREW
    from vidgen.services.voice.language import detect_language

    assert detect_language(ARABIC) == "ar" and detect_language(HEBREW) == "he"


def test_a_detected_language_a_voice_cannot_speak_never_fails_the_render(caplog):
    """XTTS needs a language: a guess it does not speak is read as English with a note; the user's own
    choice is passed on (the voice then says it cannot speak it)."""
    from vidgen.services.voice import engine_language
    from vidgen.services.voice.xtts import XttsEngine

    speaks = XttsEngine.languages
    assert "he" not in speaks and "es" in speaks
    with caplog.at_level("WARNING"):
        assert engine_language("", "he", speaks) == "en"
    assert "reads as 'he'" in caplog.text and "set the project's language" in caplog.text
    assert engine_language("", "es", speaks) == "es"
    assert engine_language("he", "", speaks) == "he"  # the user's: not replaced
    assert engine_language("", "he", None) == "he"  # a voice that speaks anything
