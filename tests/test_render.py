"""The main job end to end: each example rendered by the CLI at 480p, the MP4 measured."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysubs2
import pytest

from tests.media_checks import audio_of, frame_at, mean_abs_diff, rms_db
from vidgen.config import Settings
from vidgen.media import measure_loudness, probe, write_wav
from vidgen.services.voice import split_sentences
from vidgen.store import Store

ROOT = Path(__file__).resolve().parents[1]
# example -> (aspect, expected size at 480p, transition, music: none | auto (generated, the default) | file)
EXAMPLES = {
    "lighthouse.txt": ("16:9", (854, 480), "fade", "none"),
    "coffee_shop.fountain": ("9:16", (480, 854), "fade", "auto"),
    "mars_storyboard.txt": ("1:1", (480, 480), "slide", "file"),
}
DUCK_HZ = 55.0  # a tone in the music file below any voice's fundamental: measures the music alone


@dataclass
class Render:
    video: Path
    srt: Path
    stdout: str
    store: Store
    project: object
    job: object
    durations: list[float]  # per scene, probed from the scene clips
    transitions: list[str]  # into each scene


def _music(path: Path) -> Path:
    """Ten seconds of a soft chord over a low tone: shorter than any film, so it must loop."""
    sr = 44100
    t = np.arange(sr * 10) / sr
    x = sum(np.sin(2 * np.pi * f * t) for f in (DUCK_HZ, 220.0, 277.2, 329.6)) / 4 * 0.5
    write_wav(path, x.astype(np.float32), sr)
    return path


@pytest.fixture(scope="module")
def renders(tmp_path_factory) -> dict[str, Render]:
    data = tmp_path_factory.mktemp("data")
    out = tmp_path_factory.mktemp("out")
    music = _music(out / "music.wav")
    results = {}
    for name, (aspect, _, transition, music_mode) in EXAMPLES.items():
        video = out / (Path(name).stem + ".mp4")
        cmd = [sys.executable, "-m", "vidgen", "render", f"examples/{name}", "-o", str(video), "--resolution",
               "480p", "--aspect", aspect, "--transition", transition, "--data", str(data), "-q"]
        if music_mode != "auto":  # auto is the default: no option
            cmd += ["--music", str(music) if music_mode == "file" else "none"]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
        store = Store.open(Settings.from_env(data))
        project_id = re.search(r"project:\s+(\w+)", proc.stdout).group(1)
        project = store.get_project(project_id)
        job = store.get_job(project.outputs["job"])
        clips = [s for s in job.steps if s.name == "animation"]
        durations = [probe(store.asset_path(store.get_step(s.key)["outputs"]["clip"])).duration for s in clips]
        transitions = [sc.transition or project.settings.transition for sc in project.scenes]
        results[name] = Render(video, video.with_suffix(".srt"), proc.stdout, store, project, job, durations,
                               transitions)
    return results


def _starts(r: Render) -> list[float]:
    t, starts = 0.0, []
    for i, d in enumerate(r.durations):
        if i:
            t -= 0 if r.transitions[i] == "cut" else r.project.settings.transition_seconds
        starts.append(t)
        t += d
    return starts


@pytest.mark.parametrize("name", EXAMPLES)
def test_streams_size_and_duration(renders, name):
    r = renders[name]
    info = probe(r.video)
    assert info.video.codec == "h264" and info.video.pix_fmt == "yuv420p"
    assert info.audio.codec == "aac"
    assert (info.video.width, info.video.height) == EXAMPLES[name][1]
    assert len(r.durations) == len(r.project.scenes) >= 3
    expected = _starts(r)[-1] + r.durations[-1]
    assert abs(info.duration - expected) <= 0.25, (info.duration, expected)
    assert 30 <= info.duration <= 90, "examples are 30-90 s films"
    assert f"video:     {r.video}" in r.stdout and str(r.srt) in r.stdout


@pytest.mark.parametrize("name", EXAMPLES)
def test_audio_is_loudness_normalised(renders, name):
    r = renders[name]
    loud = measure_loudness(r.video)
    assert abs(loud.integrated - -16.0) <= 1.0, loud
    assert loud.true_peak <= -0.5


@pytest.mark.parametrize("name", EXAMPLES)
def test_frames_move_within_each_scene(renders, name):
    r = renders[name]
    fps = r.project.settings.fps
    for start, d in list(zip(_starts(r), r.durations))[:3]:
        t = start + d / 2
        a, b = frame_at(r.video, t), frame_at(r.video, t + 1 / fps)
        later = frame_at(r.video, t + 1.0)
        assert mean_abs_diff(a, b) > 0.02, "consecutive frames are identical: no motion"
        assert mean_abs_diff(a, later) > mean_abs_diff(a, b), "motion does not accumulate"


@pytest.mark.parametrize("name", [n for n, v in EXAMPLES.items() if v[2] == "fade"])
def test_fade_transition_blends_neighbours(renders, name):
    r = renders[name]
    T = r.project.settings.transition_seconds
    starts = _starts(r)
    pairs = [i for i in range(1, len(starts)) if r.transitions[i] == "fade"]
    assert pairs, "no fade transition to check"
    for i in pairs[:2]:
        top = slice(0, int(EXAMPLES[name][1][1] * 0.7))  # above the subtitles
        a = frame_at(r.video, starts[i] - 0.05)[top]
        b = frame_at(r.video, starts[i] + T + 0.05)[top]
        mid = frame_at(r.video, starts[i] + T / 2)[top]
        blend = (a + b) / 2
        assert mean_abs_diff(a, b) > 5, "neighbouring scenes look the same"
        assert mean_abs_diff(mid, blend) < 0.6 * min(mean_abs_diff(mid, a), mean_abs_diff(mid, b))


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


@pytest.mark.parametrize("name", EXAMPLES)
def test_subtitles_follow_the_script_and_the_speech(renders, name):
    r = renders[name]
    subs = pysubs2.load(str(r.srt))
    cues = [(e.start / 1000, e.end / 1000, e.plaintext) for e in subs]
    assert cues
    for (s0, e0, _), (s1, _, _) in zip(cues, cues[1:]):
        assert s0 < e0 <= s1 + 1e-3, "cues overlap or are out of order"
    spoken = [s for sc in r.project.scenes for line in sc.lines for s in split_sentences(line.text)]
    assert _words(" ".join(c[2] for c in cues)) == _words(" ".join(spoken))
    # Speech is where the cues say: louder inside cues than in the pauses between them.
    sr = 16000
    audio = audio_of(r.video, sr)
    inside = np.concatenate([audio[int((s + 0.05) * sr):int((e - 0.05) * sr)] for s, e, _ in cues])
    gaps = [(e0 + 0.08, s1 - 0.08) for (_, e0, _), (s1, _, _) in zip(cues, cues[1:]) if s1 - e0 > 0.4]
    outside = np.concatenate([audio[int(a * sr):int(b * sr)] for a, b in gaps])
    music = EXAMPLES[name][3] != "none"
    assert rms_db(inside) - rms_db(outside) > (6 if music else 15)
    if music:
        assert rms_db(outside) > -45, "the music bed is missing between lines"


def _band_db(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / sr)
    return float(10 * np.log10(spectrum[(freqs >= lo) & (freqs <= hi)].sum() + 1e-20))


def test_music_is_ducked_under_speech(renders):
    """The music file's 55 Hz tone (no voice reaches that low) is at least 6 dB quieter while a line
    is spoken than in the pauses between lines, measured in the rendered MP4."""
    r = renders["mars_storyboard.txt"]
    sr = 8000
    audio = audio_of(r.video, sr)
    cues = [(e.start / 1000, e.end / 1000) for e in pysubs2.load(str(r.srt))]
    half = 0.25
    during = [_band_db(audio[int((m - half) * sr):int((m + half) * sr)], sr, DUCK_HZ - 8, DUCK_HZ + 8)
              for s0, e0 in cues if e0 - s0 > 1.0 for m in [(s0 + e0) / 2]]
    # the pauses between scenes' lines (~0.7 s), once the compressor has begun to let go
    between = [_band_db(audio[int((e0 + 0.2) * sr):int((s1 - 0.05) * sr)], sr, DUCK_HZ - 8, DUCK_HZ + 8)
               for (_, e0), (s1, _) in zip(cues, cues[1:]) if s1 - e0 > 0.5]
    assert len(during) >= 3 and len(between) >= 2, (len(during), len(between))
    assert np.median(between) - np.median(during) >= 6.0, (np.median(between), np.median(during))
