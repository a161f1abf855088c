"""The built-in sound effects, measured: every sound is exact in length, level and edges and the
same for a seed; each has the character its name promises (band energies, envelopes, onsets,
spectral peaks, modulation rates, all by numpy FFT); script cues find the right sound or none;
a user's file is checked. CPU only, a few seconds."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tests.media_checks import rms_db
from vidgen.errors import VidgenError
from vidgen.media import write_wav
from vidgen.services.sfx import (KINDS, MAX_SECONDS, SOUNDS, match_all, match_cue, synthesize,
                                 user_sound)
from vidgen.services.sfx.dsp import shaped_noise

R = 48000


@functools.cache
def sound(name: str, seconds: float, seed: int = 0) -> np.ndarray:
    x = synthesize(name, seconds, R, seed)
    x.setflags(write=False)
    return x


# --- measurements ------------------------------------------------------------------------------

def band(x: np.ndarray, lo: float, hi: float) -> float:
    """Fraction of the energy between lo and hi Hz."""
    p = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    f = np.fft.rfftfreq(x.size, 1 / R)
    return float(p[(f >= lo) & (f < hi)].sum() / p.sum())


def envelope(x: np.ndarray, seconds: float) -> np.ndarray:
    """RMS per window of `seconds`."""
    hop = int(seconds * R)
    m = x.size // hop
    return np.sqrt(np.mean(x[:m * hop].astype(np.float64).reshape(m, hop) ** 2, axis=1))


def autocorrelation(e: np.ndarray) -> np.ndarray:
    e = e - e.mean()
    c = np.correlate(e, e, "full")[e.size - 1:]
    return c / c[0]


def kurtosis(x: np.ndarray) -> float:
    x = x.astype(np.float64) - x.mean()
    return float(np.mean(x ** 4) / np.mean(x ** 2) ** 2)


def crest(x: np.ndarray) -> float:
    return float(np.abs(x).max() / np.sqrt(np.mean(x.astype(np.float64) ** 2)))


def onsets(x: np.ndarray, min_gap: float, threshold: float, hop: float = 0.01) -> np.ndarray:
    """Times (s) of envelope peaks above `threshold` x the loudest, at least `min_gap` apart."""
    e = envelope(x, hop)
    peaks: list[int] = []
    for i in range(1, e.size - 1):
        if e[i] >= threshold * e.max() and e[i] >= e[i - 1] and e[i] > e[i + 1] \
                and (not peaks or i - peaks[-1] >= min_gap / hop):
            peaks.append(i)
    return np.array(peaks) * hop


def modulation(x: np.ndarray, lo: float, hi: float, hop: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """(rates Hz, power) of the envelope of the lo-hi Hz band: how fast its loudness moves."""
    f = np.fft.rfftfreq(x.size, 1 / R)
    spec = np.fft.rfft(x.astype(np.float64))
    spec[(f < lo) | (f > hi)] = 0
    e = envelope(np.fft.irfft(spec, x.size), hop)
    e = e - e.mean()
    return np.fft.rfftfreq(e.size, hop), np.abs(np.fft.rfft(e * np.hanning(e.size))) ** 2


def peak_track(x: np.ndarray, nfft: int = 512, hop: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """(strongest frequency per frame, whether the frame is within 30 dB of the loudest)."""
    m = (x.size - nfft) // hop
    frames = x[np.arange(nfft)[None] + hop * np.arange(m)[:, None]] * np.hanning(nfft)
    s = np.abs(np.fft.rfft(frames, axis=1))
    return np.fft.rfftfreq(nfft, 1 / R)[s.argmax(1)], s.max(1) > 0.03 * s.max()


# --- every sound -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(SOUNDS))
def test_each_sound_is_exact_deterministic_and_click_free(name):
    s = SOUNDS[name]
    seconds = min(s.seconds, 6.0)
    x = sound(name, seconds)
    assert s.kind in KINDS and "synthesised" in s.description
    assert x.dtype == np.float32 and x.shape == (int(round(seconds * R)),)
    assert np.all(np.isfinite(x))
    assert np.array_equal(x, synthesize(name, seconds, R, 0))  # same seed, same samples
    other = sound(name, seconds, 1)
    assert np.sqrt(np.mean((x - other) ** 2)) > 0.1 * np.sqrt(np.mean(x ** 2))  # another seed, another sound
    peak = 10 ** (s.peak_db / 20)
    assert np.abs(x).max() == pytest.approx(peak, rel=1e-4)
    ms = int(0.001 * R)
    assert x[0] == 0 and x[-1] == 0
    assert np.abs(x[:ms]).max() < 0.01 * peak and np.abs(x[-ms:]).max() < 0.01 * peak  # fades: no click
    assert np.abs(np.diff(x[:5 * ms])).max() < 0.05 * peak


@pytest.mark.parametrize("name", list(SOUNDS))
def test_each_sound_at_any_rate_and_the_shortest_length(name):
    for rate, seconds in ((22050, 0.05), (44100, 1.0), (np.int64(96000), np.float32(0.37))):
        x = synthesize(name, seconds, rate, seed=2)
        assert x.shape == (int(round(float(seconds) * int(rate))),) and np.all(np.isfinite(x))


def test_the_longest_bed_is_made_in_bounded_blocks():
    x = synthesize("clock", MAX_SECONDS)
    assert x.shape == (int(MAX_SECONDS * R),)
    assert len(onsets(x[-10 * R:], 0.5, 0.2)) in (9, 10)  # still ticking once a second at the end
    noise = shaped_noise(30 * R, R, np.random.default_rng(0), lambda t, f: np.ones((t.size, f.size)))
    e = envelope(noise, 0.01)  # spans several 512-frame blocks: their seams must not show
    assert np.var(noise) == pytest.approx(1.0, abs=0.03) and e.min() > 0.7 and e.max() < 1.3


@pytest.mark.parametrize("args", [
    ("rain", 0), ("rain", -1.0), ("rain", MAX_SECONDS + 1), ("rain", float("nan")), ("rain", "10"),
    ("rain", True), ("rain", 10, 8000), ("rain", 10, 44100.5), ("rain", 10, R, -1), ("rain", 10, R, 1.5),
    ("unicorn", 10), (None, 10)])
def test_bad_arguments_give_one_line_errors(args):
    with pytest.raises(VidgenError) as e:
        synthesize(*args)
    assert "\n" not in str(e.value) and len(str(e.value)) < 200


# --- each sound's character --------------------------------------------------------------------

def test_rain_is_bright_broadband_and_wind_is_low_and_slowly_gusting():
    rain, wind = sound("rain", 10.0), sound("wind", 30.0)
    assert band(rain, 2000, 24000) > 0.75 and band(rain, 0, 300) < 0.02
    assert band(wind, 0, 1000) > 0.9 and band(wind, 2000, 24000) < 0.02
    e = envelope(wind, 0.25)[4:-4]
    assert e.std() / e.mean() > 0.35  # gusts: loudness varies a lot ...
    assert autocorrelation(e)[4] > 0.5  # ... slowly (still alike a second later)
    er = envelope(rain, 0.25)[4:-4]
    assert er.std() / er.mean() < 0.25  # rain is steadier


def test_waves_arrive_every_several_seconds():
    for seed in (0, 3):
        a = autocorrelation(envelope(sound("waves", 60.0, seed), 0.1))
        peaks = [i for i in range(30, 150) if a[i] >= a[i - 1] and a[i] > a[i + 1] and a[i] > 0.25]
        assert peaks and 5.5 <= peaks[0] * 0.1 <= 10.0  # the first repeat of the envelope: a wave's period


def test_bell_rings_in_narrow_inharmonic_partials_and_decays_exponentially():
    x = sound("bell", 6.0)
    p = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    f = np.fft.rfftfreq(x.size, 1 / R)
    db = 10 * np.log10(p + 1e-30)
    assert db.max() - np.median(db[(f > 50) & (f < 8000)]) > 60
    top = int(np.argmax(p))
    lo, hi = top, top
    while p[lo] > p[top] / 4:
        lo -= 1
    while p[hi] > p[top] / 4:
        hi += 1
    assert (hi - lo) * (f[1] - f[0]) < 3.0  # the strongest partial is under 3 Hz wide at -6 dB
    strong = f[1:-1][(p[1:-1] > p[:-2]) & (p[1:-1] > p[2:]) & (db[1:-1] > db.max() - 30)]
    assert len(strong) >= 6
    e = 20 * np.log10(envelope(x, 0.05) + 1e-12)
    t = np.arange(e.size) * 0.05
    span = (t >= 0.1) & (t <= 4.0)
    slope, icpt = np.polyfit(t[span], e[span], 1)
    fit = 1 - np.var(e[span] - (slope * t[span] + icpt)) / np.var(e[span])
    assert slope < -1.5 and fit > 0.6  # dB falls along a line: an exponential decay
    assert e[(t >= 4) & (t < 5)].mean() < e[t < 1].mean() - 10


def test_fire_and_footsteps_are_impulsive_and_steps_keep_a_walking_pace():
    fire = sound("fire", 20.0)
    assert kurtosis(fire) > 8 and crest(fire) > 15
    for seed in (0, 1, 2):
        steps = sound("footsteps", 10.0, seed)
        assert kurtosis(steps) > 15 and crest(steps) > 10
        rate = len(onsets(steps, 0.25, 0.3)) / 10.0
        assert 1.5 <= rate <= 2.5


def test_birds_sing_in_2_to_8_khz_with_moving_pitch():
    x = sound("birds", 8.0)
    assert band(x, 2000, 8000) > 0.95
    track, active = peak_track(x)
    ranges, start = [], None
    for i, a in enumerate(np.append(active, False)):
        if a and start is None:
            start = i
        elif not a and start is not None:
            if i - start >= 8:  # a call of 20 ms or more (not a fragment of one's tail)
                ranges.append(np.ptp(track[start:i]))
            start = None
    assert len(ranges) >= 3 and np.median(ranges) > 500  # each call sweeps, trills or slides


def test_room_tone_is_quiet_and_steady():
    x = sound("room_tone", 20.0)
    assert rms_db(x) < -38
    e = envelope(x, 0.5)[2:-2]
    assert e.std() / e.mean() < 0.1
    assert band(x, 0, 2000) > 0.85


def test_crowd_murmur_has_speech_band_energy_at_syllable_rate():
    x = sound("crowd", 30.0)
    assert band(x, 300, 3000) > 0.6
    rates, power = modulation(x, 300, 3000)
    window = (rates >= 1) & (rates <= 20)
    assert 3.0 <= rates[window][np.argmax(power[window])] <= 6.5
    assert power[(rates >= 3) & (rates <= 6)].mean() > 5 * power[(rates >= 10) & (rates <= 20)].mean()


def test_thunder_is_low_and_rolls_away():
    x = sound("thunder", 8.0)
    assert band(x, 0, 1000) > 0.75 and band(x, 0, 500) > 0.45
    e = envelope(x, 0.5)
    assert e[-4:].mean() < 0.3 * e[:8].mean()


def test_heartbeat_clock_knock_phone_rooster_and_applause():
    heart = sound("heartbeat", 20.0)
    assert band(heart, 0, 200) > 0.9
    a = autocorrelation(envelope(heart, 0.01))
    lags = np.arange(a.size) * 0.01
    window = (lags >= 0.6) & (lags <= 1.2)
    assert 0.74 <= lags[window][np.argmax(a[window])] <= 1.01  # 60-80 beats a minute
    assert len(onsets(sound("clock", 10.0), 0.5, 0.2)) in (9, 10)  # once a second
    knocks = onsets(sound("knock", 1.2), 0.1, 0.2, 0.005)
    assert len(knocks) == 3 and knocks[-1] < 0.6
    phone = sound("phone", 6.0)
    assert band(phone, 900, 1600) > 0.5
    rates, power = modulation(phone, 500, 8000, 0.002)
    window = (rates >= 10) & (rates <= 100)
    assert min(abs(rates[window][np.argmax(power[window])] - r) for r in (20, 40)) < 2  # 40 strikes/s, 2 gongs
    rooster = sound("rooster", 2.0)
    assert band(rooster, 500, 5000) > 0.9
    e = envelope(rooster, 0.01)
    assert 0.9 <= (e > 0.05 * e.max()).sum() * 0.01 <= 1.8  # one crow, about a second and a half
    clap = sound("applause", 6.0)
    assert band(clap, 500, 4000) > 0.7 and kurtosis(clap) > 5


# --- cues --------------------------------------------------------------------------------------

CUES = [
    ("a rooster crows", "rooster"), ("cock-a-doodle-doo", "rooster"), ("birds chirping", "birds"),
    ("gulls", "birds"), ("waves crash on the shore", "waves"), ("the sea", "waves"),
    ("rain on the window", "rain"), ("it is raining hard", "rain"), ("a light drizzle", "rain"),
    ("THUNDER ROLLS", "thunder"), ("lightning cracks", "thunder"), ("rain and thunder", "rain"),
    ("the crowd cheers", "crowd"), ("chatter in the cafe", "crowd"), ("thunderous applause", "applause"),
    ("footsteps approach", "footsteps"), ("Steps on the stairs", "footsteps"), ("church bells", "bell"),
    ("the doorbell rings", "bell"), ("wind chimes tinkle", "bell"), ("a phone rings", "phone"),
    ("a fire crackles", "fire"), ("logs crackling in the fireplace", "fire"), ("wind howls", "wind"),
    ("a gust of wind", "wind"), ("someone knocks at the door", "knock"), ("clock ticking", "clock"),
    ("her heart pounding", "heartbeat"), ("room tone", "room_tone"), ("the fridge hums", "room_tone"),
    # nothing built in fits these
    ("silence", None), ("brain", None), ("trains pass", None), ("a wolf howls", None),
    ("a door slams", None), ("the fire alarm rings", None), ("shots fired", None), ("gunfire", None),
    ("music: calm piano", None), ("Distant drums", None), ("no rain tonight", None), ("a dog barks", None),
    ("", None),
]


@pytest.mark.parametrize("cue, expected", CUES)
def test_script_cues_find_their_sound(cue, expected):
    m = match_cue(cue)
    assert (m.name if m else None) == expected
    if m:
        assert m.kind == SOUNDS[m.name].kind and m.words and m.score >= 2


def test_cue_matching_ranks_every_named_sound():
    assert [m.name for m in match_all("Rain and thunder, then wind")] == ["rain", "thunder", "wind"]
    assert match_cue("Waves.").words == ("wave",) and match_cue("WAVES").kind == "bed"
    assert match_cue(None) is None and match_all(12) == []  # not text: no match, no crash


# --- the user's own file -----------------------------------------------------------------------

def test_a_users_sound_file_is_read_and_checked(tmp_path):
    t = np.arange(int(1.5 * 22050)) / 22050
    good = tmp_path / "rain.wav"
    write_wav(good, 0.5 * np.sin(2 * np.pi * 440 * t), 22050)
    x = user_sound(good)
    assert x.dtype == np.float32 and abs(x.size - 1.5 * R) < 0.01 * R and 0.4 < np.abs(x).max() < 0.6
    silent, fake = tmp_path / "silent.wav", tmp_path / "fake.wav"
    write_wav(silent, np.zeros(22050), 22050)
    fake.write_text("not audio at all")
    for path, words, kw in ((tmp_path / "missing.wav", "not found", {}), (fake, "not audio", {}),
                            (silent, "silent", {}), (good, "longer than 1 s", {"max_seconds": 1.0})):
        with pytest.raises(VidgenError) as e:
            user_sound(path, **kw)
        message = str(e.value)
        assert words in message and "\n" not in message and str(tmp_path) not in message
