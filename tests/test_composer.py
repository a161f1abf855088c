"""The procedural composer and the film's score, measured on the audio they render.

Tempo is found by onset analysis (spectral flux, autocorrelation), keys by pitch-class profiles
from an FFT of the audio, loop seams by sample jumps and short-window energy.
"""

from __future__ import annotations

import numpy as np
import pytest

from vidgen.errors import Cancelled, VidgenError
from vidgen.media import read_wav
from vidgen.services.music import composer
from vidgen.services.music.composer import MusicRequest
from vidgen.services.music import score_film

SR = composer.SAMPLE_RATE


def rms_db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12)


def estimate_tempo(x: np.ndarray, sr: int, lo: float = 70.0, hi: float = 170.0) -> float:
    """BPM from the autocorrelation of an onset-strength envelope (positive spectral flux).
    The beat lag is the strongest in lo..hi BPM; it is then refined on the 8-beat lag, where a
    frame of error is an eighth of the error."""
    hop, n_fft = 256, 1024
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop] * np.hanning(n_fft)
    mag = np.log1p(100 * np.abs(np.fft.rfft(frames, axis=1)))
    flux = np.maximum(0.0, np.diff(mag, axis=0)).sum(axis=1)
    env = np.maximum(flux - np.convolve(flux, np.ones(16) / 16, mode="same"), 0.0)
    env -= env.mean()
    fps = sr / hop
    ac = np.correlate(env, env, mode="full")[len(env) - 1:]
    lags = np.arange(len(ac))
    band = (lags >= fps * 60 / hi) & (lags <= fps * 60 / lo)
    beat = lags[band][np.argmax(ac[band])]
    near = np.arange(8 * beat - 8, 8 * beat + 9)
    k = near[np.argmax(ac[near])]
    a, b, c = ac[k - 1], ac[k], ac[k + 1]
    return 60 * fps * 8 / (k + 0.5 * (a - c) / (a - 2 * b + c))


def chroma(x: np.ndarray, sr: int, lo: float = 60.0, hi: float = 2000.0) -> np.ndarray:
    """Energy per pitch class (0 = C) from the spectrum of the whole signal, summing to 1."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / sr)
    band = (freqs >= lo) & (freqs <= hi)
    pcs = np.round(12 * np.log2(freqs[band] / 440.0) + 69).astype(int) % 12
    profile = np.bincount(pcs, weights=spectrum[band], minlength=12)
    return profile / profile.sum()


def click_energy(x: np.ndarray, at: int, width: int = int(0.005 * SR)) -> float:
    """Mean squared first difference (clicks are all high frequency) in a window around `at`."""
    return float(np.mean(np.diff(x[at - width:at + width]) ** 2))


MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])


@pytest.fixture(scope="module")
def looped(tmp_path_factory):
    """A 40 s piece at 128 BPM: long enough (17 body bars) for a loop region."""
    out = tmp_path_factory.mktemp("loop") / "loop.wav"
    result = composer.render(MusicRequest(mood="joyful", genre="electronic", tempo=128, seconds=40, seed=5), out)
    audio, _ = read_wav(out)
    return result, audio


# --- the plan --------------------------------------------------------------------------------

def test_plan_resolves_mood_defaults_and_request():
    p = composer.plan(MusicRequest(mood="calm", seconds=30))
    assert (p.genre, p.tempo, p.key, p.drums) == ("ambient", 72.0, "F major", "")
    assert set(p.instruments) == {"melody", "chords", "bass", "pad"}
    assert len(p.progression) == 4

    p = composer.plan(MusicRequest(mood="sad", genre="rock", tempo=140, key="d minor", instruments=[0], seconds=30))
    assert (p.genre, p.tempo, p.key, p.drums) == ("rock", 140.0, "D minor", "rock")
    assert p.instruments == {"melody": 0, "chords": 0, "bass": 0}  # one instrument plays solo: no pad
    natural_minor = {"Dm", "Edim", "F", "Gm", "Am", "Bb", "C", "A"}  # + the harmonic minor's V
    assert set(p.progression) <= natural_minor

    assert composer.plan(MusicRequest(mood="epic", tempo=300 / 2, seconds=10)).tempo == 150.0
    assert composer.parse_key("F#")[:2] == (6, "major")
    assert composer.parse_key("Bbm") == (10, "minor", "Bb minor")


@pytest.mark.parametrize("request_args, words", [
    ({"key": "H major"}, ["Unknown key", "C#", "Bb", "major or minor"]),
    ({"key": "D dorian"}, ["Unknown key", "'D minor'"]),
    ({"genre": "polka"}, ["Unknown music genre 'polka'", "ambient", "cinematic"]),
    ({"tempo": 300}, ["40 to 220 BPM"]),
    ({"tempo": -5}, ["40 to 220 BPM"]),
    ({"mood": "angry"}, ["Unknown mood 'angry'", "joyful", "neutral"]),
    ({"instruments": [0, 200]}, ["General MIDI program numbers 0-127"]),
    ({"instruments": [0, 1, 2, 3, 4]}, ["1 to 4"]),
    ({"seconds": 0.2}, ["1 to 3600 seconds"]),
])
def test_bad_requests_say_what_is_accepted(request_args, words):
    with pytest.raises(VidgenError) as err:
        composer.plan(MusicRequest(**{"seconds": 10.0, **request_args}))
    for w in words:
        assert w in str(err.value)


def test_midi_arrangement_has_roles_drums_intro_and_tonic_ending():
    request = MusicRequest(mood="joyful", genre="rock", tempo=120, key="A major", seconds=20, seed=1)
    p = composer.plan(request)
    pm = composer.compose_midi(request)
    tracks = {i.name: i for i in pm.instruments}
    assert set(tracks) == {"melody", "chords", "bass", "drums"} and tracks["drums"].is_drum
    assert all(n.end <= p.composed_seconds for i in pm.instruments for n in i.notes)
    melody = sorted(tracks["melody"].notes, key=lambda n: n.start)
    assert melody[0].start >= p.intro_bars * p.bar_seconds  # the intro has no melody
    assert melody[-1].pitch % 12 == 9  # the last melody note is the tonic (A)
    final_bass = max(tracks["bass"].notes, key=lambda n: n.start)
    assert final_bass.pitch % 12 == 9


# --- rendered audio --------------------------------------------------------------------------

@pytest.mark.parametrize("seconds", [1.0, 7.3, 33.3])
def test_length_is_exact_and_audio_is_not_silent(tmp_path, seconds):
    result = composer.render(MusicRequest(mood="neutral", seconds=seconds, seed=2), tmp_path / "m.wav")
    audio, sr = read_wav(result.wav)
    assert sr == SR == result.sample_rate and result.backend == "composer"
    assert abs(len(audio) / sr - seconds) <= 0.05 and abs(len(audio) - round(seconds * SR)) <= 1
    assert result.seconds == pytest.approx(seconds, abs=1 / SR)
    assert rms_db(audio) > -40.0
    assert np.max(np.abs(audio)) < 0.99  # no clipping
    assert np.max(np.abs(audio[-10:])) < 1e-3  # faded out: no click at the end


@pytest.mark.parametrize("genre, tempo", [("rock", 90), ("electronic", 128)])
def test_tempo_is_measurable_in_the_audio(genre, tempo):
    audio, p = composer.render_audio(MusicRequest(mood="joyful", genre=genre, tempo=tempo, seconds=20, seed=3))
    assert p.tempo == tempo
    assert estimate_tempo(audio, SR) == pytest.approx(tempo, abs=3.0)


def test_keys_shape_the_pitch_class_profile():
    profiles = {}
    for key, tonic in (("C major", 0), ("F# major", 6)):
        audio, _ = composer.render_audio(MusicRequest(mood="calm", genre="lofi", key=key, seconds=24, seed=0))
        profiles[tonic] = c = chroma(audio, SR)
        assert c[(MAJOR + tonic) % 12].sum() > 0.8  # the key's seven notes carry the music
        assert c[[tonic, (tonic + 4) % 12, (tonic + 7) % 12]].sum() > 0.35  # the tonic triad stands out
        assert tonic in np.argsort(c)[::-1][:3]
    c_major, fs_major = profiles[0], profiles[6]
    assert np.corrcoef(c_major, fs_major)[0, 1] < 0.0  # a tritone apart: nearly opposite profiles
    assert c_major[(MAJOR + 6) % 12].sum() < 0.5 and fs_major[MAJOR].sum() < 0.5


def test_same_seed_same_bytes_other_seed_other_music(tmp_path):
    def make(seed: int, name: str):
        return composer.render(MusicRequest(mood="romantic", seconds=12, seed=seed), tmp_path / name).wav.read_bytes()

    assert make(4, "a.wav") == make(4, "b.wav")
    assert make(5, "c.wav") != make(4, "a.wav")
    melodies = [[n.pitch for n in composer.compose_midi(MusicRequest(mood="romantic", seconds=12, seed=s))
                 .instruments[0].notes] for s in (4, 5)]
    assert melodies[0] != melodies[1]


def test_cancel_stops_rendering_and_writes_nothing(tmp_path):
    calls = []

    def cancel():
        calls.append(1)
        if len(calls) > 3:
            raise Cancelled()

    with pytest.raises(Cancelled):
        composer.render(MusicRequest(mood="tense", seconds=30), tmp_path / "x.wav", cancel=cancel)
    assert not (tmp_path / "x.wav").exists()


# --- loops -----------------------------------------------------------------------------------

def test_loop_region_is_on_bars_and_repeats_click_free(looped):
    result, audio = looped
    p = composer.plan(MusicRequest(mood="joyful", genre="electronic", tempo=128, seconds=40, seed=5))
    assert result.loop_end > result.loop_start > 0
    bars = (result.loop_end - result.loop_start) / p.bar_seconds
    assert bars == pytest.approx(composer.PHRASE_BARS) and (result.loop_start / p.bar_seconds) % 1 == pytest.approx(0)
    start, end = round(result.loop_start * SR), round(result.loop_end * SR)
    region = audio[start:end]
    steps = np.abs(np.diff(region))
    assert abs(region[0] - region[-1]) <= np.percentile(steps, 99)  # the seam is an ordinary step
    repeated = np.tile(region, 3)
    for seam in (len(region), 2 * len(region)):
        # around each seam the repeat sounds as the piece itself does at the loop start
        assert click_energy(repeated, seam) <= 1.05 * click_energy(audio, start) + 1e-9
        assert np.max(np.abs(repeated[seam - 200:seam + 200] - audio[start - 200:start + 200])) < 1e-3


def test_loop_to_lengthens_exactly(looped, tmp_path):
    result, audio = looped
    start, end = round(result.loop_start * SR), round(result.loop_end * SR)
    whole = composer.loop_to(result, result.seconds + 2 * (result.loop_end - result.loop_start), tmp_path / "w.wav")
    longer, _ = read_wav(whole.wav)
    assert len(longer) == len(audio) + 2 * (end - start)
    # (read_wav scales by 1/32768, write_wav by 32767: a round trip moves samples by ~1e-4)
    assert np.allclose(longer[end:2 * end - start], audio[start:end], atol=1e-3)  # the region, again
    assert np.allclose(longer[len(longer) - SR:], audio[len(audio) - SR:], atol=1e-3)  # the ending is kept

    partial = composer.loop_to(result, 61.3, tmp_path / "p.wav")
    longer, _ = read_wav(partial.wav)
    assert len(longer) == round(61.3 * SR) and partial.seconds == pytest.approx(61.3, abs=1 / SR)
    assert np.max(np.abs(np.diff(longer))) <= np.max(np.abs(np.diff(audio))) + 1e-3  # the crossfade adds no click

    with pytest.raises(VidgenError, match="no loop region"):
        composer.loop_to(composer.render(MusicRequest(seconds=5), tmp_path / "s.wav"), 20, tmp_path / "t.wav")


def test_long_requests_loop_instead_of_composing(tmp_path):
    request = MusicRequest(mood="joyful", genre="electronic", tempo=128, seconds=150, seed=5)
    p = composer.plan(request)
    assert p.repeats >= 4 and p.composed_seconds <= composer.MAX_COMPOSE_SECONDS
    result = composer.render(request, tmp_path / "long.wav")
    audio, _ = read_wav(result.wav)
    assert len(audio) == 150 * SR
    start, end = round(p.loop_start * SR), round(p.loop_end * SR)
    n = end - start
    assert np.array_equal(audio[start + n:end + n], audio[start:end])
    assert rms_db(audio[100 * SR:110 * SR]) > -30.0


# --- the film's score ------------------------------------------------------------------------

def test_score_film_joins_moods_with_a_crossfade(tmp_path):
    segments = [("calm", 12.0), ("tense", 13.5)]
    result = score_film(segments, tmp_path / "score.wav", seed=1, crossfade=2.0)
    audio, sr = read_wav(result.wav)
    assert sr == SR and len(audio) == round(25.5 * SR) and result.backend == "composer"
    assert result.tempo == 0.0 and result.key == ""  # two moods: two tempi and keys
    first, second = audio[1 * SR:10 * SR], audio[15 * SR:24 * SR]
    assert rms_db(first) > -35 and rms_db(second) > -35
    assert np.corrcoef(chroma(first, SR), chroma(second, SR))[0, 1] < 0.5  # F major vs E minor
    assert estimate_tempo(second, SR) == pytest.approx(104, abs=3)  # tense: cinematic drums at 104
    boundary = audio[11 * SR:13 * SR]  # inside the crossfade: both pieces, no gap
    assert rms_db(boundary) > -35
    assert np.max(np.abs(audio[:20])) < 1e-3 and np.max(np.abs(audio[-20:])) < 1e-3  # faded in and out
    again = score_film(segments, tmp_path / "again.wav", seed=1, crossfade=2.0)
    assert again.wav.read_bytes() == result.wav.read_bytes()


def test_score_film_rejects_bad_segments_and_models(tmp_path):
    from types import SimpleNamespace

    with pytest.raises(VidgenError, match="no scenes"):
        score_film([], tmp_path / "a.wav")
    with pytest.raises(VidgenError, match="unknown mood 'angry'"):
        score_film([("calm", 5.0), ("angry", 5.0)], tmp_path / "a.wav")
    with pytest.raises(VidgenError, match="at least 1 s"):
        score_film([("calm", 0.2)], tmp_path / "a.wav")
    with pytest.raises(VidgenError, match="not a music backend"):
        score_film([("calm", 5.0)], tmp_path / "a.wav", model=SimpleNamespace(id="sdxl", backend="diffusers-sdxl"))
