"""The soundtrack: the speech timeline built in numpy, one quick ffmpeg pass that mixes it with the
music ducked under the voice, and an AAC encode at the target loudness (gain measured first,
EBU R128, corrected after the limiter)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np

from ... import media
from ...domain import SceneMedia
from ...errors import VidgenError
from .timeline import num

MUSIC_FADE_IN, MUSIC_FADE_OUT = 1.5, 2.5
AUDIO_RATE = 48000
AUDIO_BITRATE = "160k"
LIMIT_DBFS = -2.0  # sample-peak ceiling; leaves room for inter-sample peaks under -1 dBTP
KEY_LEVEL_DBFS = -18.0  # the ducking key is scaled so speech reads at this RMS

# Ducking: with the key at KEY_LEVEL_DBFS the compressor sees ~12 dB over threshold -> 10-15 dB less
# music while speech plays (whatever the voice's level); the slow release bridges the gaps between words.
DUCK = "threshold=0.03:ratio=6:attack=30:release=600:knee=2"
EFFECT_PEAK = 0.7  # sound effects peak at most this much of the voice's peak


def _speech_track(scenes: list[SceneMedia], starts: list[float], total: float) -> tuple[np.ndarray, int] | None:
    return _track([(start + s.speech_offset, s.speech) for s, start in zip(scenes, starts) if s.speech], total)


def _effects_track(scenes: list[SceneMedia], starts: list[float], total: float) -> tuple[np.ndarray, int] | None:
    return _track([(start, s.effects) for s, start in zip(scenes, starts) if s.effects], total)


def _track(placed: list[tuple[float, str]], total: float) -> tuple[np.ndarray, int] | None:
    """The WAVs (start s, path) laid on one mono timeline at the first one's rate."""
    clips = []
    for t0, path in placed:
        x, sr = media.read_wav(path)
        clips.append((t0, x, sr))
    if not clips:
        return None
    rate = clips[0][2]
    track = np.zeros(int(round(total * rate)), dtype=np.float32)
    for t0, x, sr in clips:
        if sr != rate:  # rare (one TTS per film); linear is fine for speech
            n = int(round(len(x) * rate / sr))
            x = np.interp(np.arange(n) * (sr / rate), np.arange(len(x)), x).astype(np.float32)
        i = int(round(t0 * rate))
        if i < 0:  # starting before the film: drop what falls before 0
            x, i = x[-i:], 0
        seg = x[: max(0, len(track) - i)]
        track[i:i + len(seg)] += seg
    peak = float(np.max(np.abs(track))) if track.size else 0.0
    if peak > 1.0:  # overlapping lines; loudness normalisation restores the level
        track /= peak
    return track, rate


def _active_rms_db(x: np.ndarray, rate: int, floor_db: float = 25.0) -> float:
    """RMS of the frames where something sounds (within `floor_db` of the loudest 20 ms)."""
    n = max(1, rate // 50)
    frames = x[: len(x) // n * n].reshape(-1, n) if len(x) >= n else x.reshape(1, -1)
    power = (frames.astype(np.float64) ** 2).mean(axis=1)
    if power.size == 0 or power.max() <= 1e-12:
        return float("-inf")
    active = power[power > power.max() * 10 ** (-floor_db / 10)]
    return 10 * math.log10(active.mean())


def _music_rms_db(music: str, seconds: float) -> float:
    """RMS of the part of the music the film uses, ignoring near-silent stretches."""
    try:
        x = media.decode_audio(music, 16000)[: int(seconds * 16000) + 1]
    except VidgenError as e:
        raise VidgenError(f"Cannot read the music file {Path(music).name}: {e}") from e
    return _active_rms_db(x, 16000, floor_db=30.0)


def _beds(wd: Path, total: float, speech: tuple[np.ndarray, int] | None, effects: tuple[np.ndarray, int] | None,
          music: str, music_volume: float, effects_volume: float) -> tuple[list[str], list[str], list[str], float]:
    """The ffmpeg inputs and chains of the beds ([music], [fx]), each at its level relative to the
    voice (1.0 = as loud), with their labels and the voice's level (dB). Effects' peaks (a thunder
    crack) are held under the voice's own (EFFECT_PEAK of it), so they neither drown a line nor make
    the loudness pass limit and measure again. Speech, when there is some, is input 0."""
    stereo = _format(bool(music))
    voice = _active_rms_db(*speech) if speech is not None else float("-inf")

    def level(own_db: float, volume: float) -> float:
        # relative to the voice, so a bed sits the same under any voice whatever its file's own level
        return volume * (min(1e3, max(1e-3, 10 ** ((voice - own_db) / 20)))
                         if math.isfinite(voice) and math.isfinite(own_db) else 1.0)

    inputs, beds, chains = [], [], []
    if speech is not None:
        inputs += ["-i", str(wd / "asm-speech.wav")]
    if music:
        fi, fo = min(MUSIC_FADE_IN, total / 4), min(MUSIC_FADE_OUT, total / 3)
        gain = level(_music_rms_db(music, total), music_volume)
        chains.append(f"[{inputs.count('-i')}:a]atrim=0:{num(total)},asetpts=PTS-STARTPTS,{stereo},"
                      f"volume={gain:.6f},afade=t=in:d={num(fi)},afade=t=out:st={num(total - fo)}:d={num(fo)},"
                      f"apad[music]")
        beds.append("[music]")
        inputs += ["-stream_loop", "-1", "-i", str(Path(music).resolve())]
    if effects is not None:
        gain = level(_active_rms_db(*effects), effects_volume)
        ceiling = EFFECT_PEAK * (float(np.max(np.abs(speech[0]))) if speech is not None and speech[0].size else 1.0)
        chains.append(f"[{inputs.count('-i')}:a]{stereo},volume={gain:.6f},"
                      f"alimiter=limit={min(1.0, max(0.0625, ceiling)):.4f}:level=0:attack=2:release=80,apad[fx]")
        beds.append("[fx]")
        inputs += ["-i", str(wd / "asm-effects.wav")]
    return inputs, chains, beds, voice


def _format(stereo: bool) -> str:
    return f"aresample={AUDIO_RATE},aformat=sample_fmts=fltp:channel_layouts={'stereo' if stereo else 'mono'}"


def _key_level(voice_db: float) -> float:
    """The ducking key's gain: speech read at KEY_LEVEL_DBFS whatever the voice's own level."""
    return min(64.0, max(0.016, 10 ** ((KEY_LEVEL_DBFS - voice_db) / 20))) if math.isfinite(voice_db) else 1.0


def _mix_beds(wd: Path, out: Path, total: float, speech: tuple[np.ndarray, int] | None,
              effects: tuple[np.ndarray, int] | None, music: str, music_volume: float, effects_volume: float,
              cancel: Callable[[], None] | None) -> None:
    """Music and sound effects mixed into one bed that is ducked under the speech, then the speech
    over it: one ffmpeg pass; mono when there is no music."""
    inputs, chains, beds, voice = _beds(wd, total, speech, effects, music, music_volume, effects_volume)
    if len(beds) > 1:
        chains.append(f"{''.join(beds)}amix=inputs={len(beds)}:duration=longest:normalize=0[bed]")
    else:
        chains.append(f"{beds[0]}anull[bed]")
    if speech is not None:
        chains.append(f"[0:a]{_format(bool(music))},asplit=2[s][k];[bed][k]sidechaincompress={DUCK}:"
                      f"level_sc={_key_level(voice):.4f}[d];[s][d]amix=inputs=2:duration=longest:normalize=0[mix]")
    else:
        chains.append("[bed]anull[mix]")
    media.run_ffmpeg([*inputs, "-filter_complex", ";".join(chains), "-map", "[mix]", "-t", num(total),
                      "-c:a", "pcm_f32le", str(out)], cancel=cancel, what="the music and effects mix")


def write_stems(wd: Path, folder: Path, total: float, gain_db: float, speech: tuple[np.ndarray, int] | None,
                effects: tuple[np.ndarray, int] | None, music: str, music_volume: float, effects_volume: float,
                cancel: Callable[[], None] | None) -> list[Path]:
    """dialogue.wav, music.wav and effects.wav (those the film has): each as it sounds in the mix (the
    beds ducked under the speech, each by the same key) at the mix's loudness gain, 32-bit float so
    nothing clips before the limiter; the whole film long, so they line up from 0. One ffmpeg pass."""
    inputs, chains, beds, voice = _beds(wd, total, speech, effects, music, music_volume, effects_volume)
    gain, outs = f"volume={gain_db:.3f}dB", []
    if speech is not None:
        keys = "".join(f"[k{i}]" for i in range(len(beds)))
        chains.append(f"[0:a]{_format(bool(music))},asplit={1 + len(beds)}[s]{keys}")
        chains.append(f"[s]{gain},apad[dialogue]")
        outs.append("dialogue")
        for i, bed in enumerate(beds):
            chains.append(f"{bed}[k{i}]sidechaincompress={DUCK}:level_sc={_key_level(voice):.4f},{gain}[{bed[1:-1]}s]")
    else:
        chains += [f"{bed}{gain}[{bed[1:-1]}s]" for bed in beds]
    outs += [f"{bed[1:-1]}s" for bed in beds]
    names = {"dialogue": "dialogue", "musics": "music", "fxs": "effects"}
    args, paths = [], []
    for label in outs:
        paths.append(folder / f"{names[label]}.wav")
        args += ["-map", f"[{label}]", "-t", num(total), "-c:a", "pcm_f32le", str(paths[-1])]
    if paths:
        media.run_ffmpeg([*inputs, "-filter_complex", ";".join(chains), *args], cancel=cancel, what="the stems")
    return paths


def _loudness(path: Path, target: float, cancel: Callable[[], None] | None) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP), measured as media.measure_loudness (and the tests) do."""
    media.check_cancel(cancel)
    m = media.measure_loudness(path, target=target)
    return m.integrated, m.true_peak


def build_audio(scenes: list[SceneMedia], starts: list[float], total: float, wd: Path, *, music: str,
                music_volume: float, loudness: float, cancel: Callable[[], None] | None,
                progress: Callable[[float], None], effects_volume: float = 0.5,
                codec: tuple[str, ...] = ("-c:a", "aac", "-b:a", AUDIO_BITRATE), name: str = "asm-audio.m4a",
                stems: Path | None = None) -> Path:
    """The film's soundtrack at `loudness` LUFS, encoded with `codec` as wd/`name`; with `stems` (a
    folder), the dialogue, music and effects WAVs at the same gain there too (write_stems)."""
    out = wd / name
    aac = [*codec, "-ar", str(AUDIO_RATE)]
    speech = _speech_track(scenes, starts, total)
    effects = _effects_track(scenes, starts, total) if effects_volume > 0 else None
    if speech is None and not music and effects is None:
        media.run_ffmpeg(["-f", "lavfi", "-i", f"anullsrc=r={AUDIO_RATE}:cl=mono", "-t", num(total),
                          *aac, str(out)], cancel=cancel, what="the silent soundtrack")
        return out
    if speech is not None:
        media.write_wav(wd / "asm-speech.wav", speech[0], speech[1])
    if effects is not None:
        media.write_wav(wd / "asm-effects.wav", effects[0], effects[1])
    media.check_cancel(cancel)
    progress(0.15)

    src = wd / "asm-speech.wav"
    if music or effects is not None:
        src = wd / "asm-mix.wav"
        _mix_beds(wd, src, total, speech, effects, music, music_volume, effects_volume, cancel)
    progress(0.4)

    def encode(gain_db: float) -> None:
        chain = f"volume={gain_db:.3f}dB,aresample={AUDIO_RATE},alimiter=limit={10 ** (LIMIT_DBFS / 20):.4f}" \
                ":attack=5:release=50:level=0:latency=1"
        media.run_ffmpeg(["-i", str(src), "-af", chain, "-t", num(total), *aac, str(out)],
                         cancel=cancel, what="the soundtrack")

    level, peak = _loudness(src, loudness, cancel)
    if not math.isfinite(level) or level <= -69:
        encode(0.0)  # silence: nothing to normalise
        if stems is not None:
            write_stems(wd, stems, total, 0.0, speech, effects, music, music_volume, effects_volume, cancel)
        return out
    gain = loudness - level
    if stems is not None:
        write_stems(wd, stems, total, gain, speech, effects, music, music_volume, effects_volume, cancel)
    encode(gain)
    progress(0.75)
    if peak + gain > LIMIT_DBFS - 1.0:
        # The limiter shaved peaks and with them some loudness: measure and correct until on
        # target (peaky speech can need two rounds, as each gain step feeds the limiter more).
        for _ in range(3):
            check, _ = _loudness(out, loudness, cancel)
            if not math.isfinite(check) or abs(check - loudness) <= 0.2:
                break
            gain += loudness - check
            encode(gain)
    return out
