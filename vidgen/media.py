"""ffmpeg and media helpers: the binary from imageio-ffmpeg, probing through PyAV, WAV I/O.

Every ffmpeg failure becomes a VidgenError with ffmpeg's own last words; a full disk says so.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import wave
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .errors import Cancelled, VidgenError

ProgressFn = Callable[[float], None]
CancelFn = Callable[[], None]  # raises Cancelled when the job was asked to stop


@functools.lru_cache(maxsize=None)
def ffmpeg_exe() -> str:
    custom = os.environ.get("VIDGEN_FFMPEG")
    if custom:
        return custom
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


# --- child processes ---------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


@functools.lru_cache(maxsize=1)
def _prctl() -> Callable[..., int] | None:
    """libc's prctl on Linux (loaded in the parent: the child between fork and exec only calls it)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that makes the child get SIGKILL when the thread that started it dies, so a
    SIGKILLed render leaves no ffmpeg behind (no handler of ours runs on SIGKILL). None off Linux."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl: the signal will never come
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def popen(cmd: list[str], **kwargs) -> subprocess.Popen:
    """subprocess.Popen for every child of vidgen: it dies with us (PR_SET_PDEATHSIG on Linux).
    The death signal follows the starting thread, so callers wait for the child in that thread."""
    return subprocess.Popen(cmd, preexec_fn=_die_with_parent(), **kwargs)


def run_child(cmd: list[str], *, input: bytes | str | None = None, text: bool = False,
              cwd: str | os.PathLike | None = None) -> subprocess.CompletedProcess:
    """subprocess.run(capture_output=True) through `popen`; the child is killed if we are interrupted."""
    with popen(cmd, cwd=cwd, text=text, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
               stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        try:
            out, err = proc.communicate(input)
        except BaseException:
            proc.kill()
            raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _disk_full(text: str) -> bool:
    return "No space left on device" in text or "ENOSPC" in text


def _last_error_line(lines: list[str]) -> str:
    for line in reversed(lines):
        line = line.strip()
        if line and not line.startswith(("Press [q]", "frame=", "size=", "video:", "[out#")):
            return line
    return "ffmpeg failed without a message"


def run_ffmpeg(
    args: list[str],
    *,
    duration: float | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    cwd: str | os.PathLike | None = None,
    what: str = "ffmpeg",
    stdin: bytes | None = None,
) -> str:
    """Run ffmpeg with `args` (everything after the binary); return its stderr.

    With `duration`, progress is reported as the fraction of output time written. `cancel` is
    called on every progress tick; if it raises, ffmpeg is killed and the error propagates.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", *(["-nostdin"] if stdin is None else []),
           "-y", "-progress", "pipe:1", "-nostats", *args]
    proc = popen(
        cmd, cwd=cwd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    err_tail: deque[str] = deque(maxlen=60)

    def drain_stderr() -> None:
        for raw in proc.stderr:  # type: ignore[union-attr]
            err_tail.append(raw.decode("utf-8", "replace").rstrip())

    t = threading.Thread(target=drain_stderr, daemon=True)
    t.start()
    if stdin is not None:
        def feed() -> None:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write(stdin)  # type: ignore[union-attr]
                proc.stdin.close()  # type: ignore[union-attr]
        threading.Thread(target=feed, daemon=True).start()
    try:
        for raw in proc.stdout:  # type: ignore[union-attr]
            if cancel is not None:
                cancel()
            line = raw.decode("ascii", "replace").strip()
            if progress and duration and line.startswith("out_time_us="):
                value = line.split("=", 1)[1]
                if value.isdigit():
                    progress(min(1.0, int(value) / 1e6 / duration))
        proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        t.join(timeout=5)
    text = "\n".join(err_tail)
    if proc.returncode != 0:
        if _disk_full(text):
            raise VidgenError(f"Disk full while writing {what}: free some space and run again.")
        raise VidgenError(f"{what} failed: {_last_error_line(list(err_tail))}")
    return text


class VideoWriter:
    """Encode RGB frames (H x W x 3 uint8) piped into ffmpeg's libx264."""

    def __init__(self, path: str | os.PathLike, width: int, height: int, fps: int, *,
                 preset: str = "ultrafast", crf: int = 16, cancel: CancelFn | None = None):
        self.path = Path(path)
        self.width, self.height, self.cancel = width, height, cancel
        self.frames = 0
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps),
               "-i", "pipe:0", "-an", "-c:v", "libx264", "-preset", preset, "-crf", str(crf),
               "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(self.path)]
        self._proc = popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def write(self, frame: np.ndarray) -> None:
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame must be {self.height}x{self.width}x3 uint8, got {frame.shape} {frame.dtype}")
        if self.cancel is not None:
            self.cancel()
        try:
            self._proc.stdin.write(np.ascontiguousarray(frame).data)  # type: ignore[union-attr]
        except BrokenPipeError:
            self._fail()
        self.frames += 1

    def _fail(self) -> None:
        self._proc.kill()
        err = self._proc.stderr.read().decode("utf-8", "replace") if self._proc.stderr else ""
        self._proc.wait()
        if _disk_full(err):
            raise VidgenError(f"Disk full while writing {self.path.name}: free some space and run again.")
        raise VidgenError(f"Encoding {self.path.name} failed: {_last_error_line(err.splitlines())}")

    def close(self) -> None:
        try:
            self._proc.stdin.close()  # type: ignore[union-attr]
        except BrokenPipeError:
            pass
        err = self._proc.stderr.read().decode("utf-8", "replace")  # type: ignore[union-attr]
        if self._proc.wait() != 0:
            if _disk_full(err):
                raise VidgenError(f"Disk full while writing {self.path.name}: free some space and run again.")
            raise VidgenError(f"Encoding {self.path.name} failed: {_last_error_line(err.splitlines())}")

    def abort(self) -> None:
        self._proc.kill()
        self._proc.wait()
        with contextlib.suppress(OSError):
            self.path.unlink()

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


# --- probing -------------------------------------------------------------------------------

@dataclass
class StreamInfo:
    codec: str
    width: int = 0
    height: int = 0
    fps: float = 0.0
    pix_fmt: str = ""
    sample_rate: int = 0
    channels: int = 0
    duration: float = 0.0


@dataclass
class MediaInfo:
    duration: float
    video: StreamInfo | None
    audio: StreamInfo | None
    format: str
    tags: dict[str, str]


def probe(path: str | os.PathLike) -> MediaInfo:
    """Streams and duration of a media file (PyAV). Raises VidgenError if it is not media."""
    import av

    try:
        with av.open(str(path)) as c:
            video = audio = None
            for s in c.streams:
                dur = float(s.duration * s.time_base) if s.duration and s.time_base else 0.0
                if s.type == "video" and video is None:
                    cc = s.codec_context
                    video = StreamInfo(cc.name, cc.width, cc.height, float(s.average_rate or 0),
                                       str(cc.pix_fmt or ""), duration=dur)
                elif s.type == "audio" and audio is None:
                    cc = s.codec_context
                    audio = StreamInfo(cc.name, sample_rate=cc.sample_rate, channels=cc.channels,
                                       duration=dur)
            duration = c.duration / 1e6 if c.duration else max(
                (x.duration for x in (video, audio) if x), default=0.0)
            return MediaInfo(duration, video, audio, c.format.name, dict(c.metadata))
    except (av.error.FFmpegError, UnicodeDecodeError) as e:  # type: ignore[attr-defined]
        raise VidgenError(f"{Path(path).name} is not a readable media file ({e.__class__.__name__}).") from e


# --- audio -----------------------------------------------------------------------------------

def decode_audio(path: str | os.PathLike, sample_rate: int = 48000, *, what: str | None = None) -> np.ndarray:
    """Decode any audio ffmpeg reads to mono float32 at `sample_rate`."""
    name = what or Path(path).name
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-vn",
           "-ac", "1", "-ar", str(sample_rate), "-f", "f32le", "pipe:1"]
    proc = run_child(cmd)
    if proc.returncode != 0:
        msg = _last_error_line(proc.stderr.decode("utf-8", "replace").splitlines())
        raise VidgenError(f"Cannot read audio from {name}: {msg}")
    samples = np.frombuffer(proc.stdout, dtype=np.float32)
    if samples.size == 0:
        raise VidgenError(f"{name} holds no audio: use a WAV, MP3, OGG, FLAC or M4A file.")
    return samples


def write_wav(path: str | os.PathLike, samples: np.ndarray, sample_rate: int) -> None:
    """Write mono float samples (-1..1) as 16-bit PCM."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())


def read_wav(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Read a 16-bit PCM WAV as mono float32."""
    with wave.open(str(path), "rb") as w:
        sr, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        data = w.readframes(w.getnframes())
    if width != 2:
        raise VidgenError(f"{Path(path).name}: only 16-bit PCM WAV is read here.")
    x = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    if ch > 1:
        x = x.reshape(-1, ch).mean(axis=1)
    return x, sr


@dataclass
class Loudness:
    integrated: float  # LUFS
    true_peak: float  # dBTP
    lra: float
    threshold: float
    offset: float


def measure_loudness(path: str | os.PathLike, *, target: float = -16.0) -> Loudness:
    """EBU R128 measurement of a file's audio (ffmpeg loudnorm analysis pass)."""
    err = run_ffmpeg(["-i", str(path), "-vn", "-af",
                      f"loudnorm=I={target}:TP=-1.5:LRA=11:print_format=json", "-f", "null", "-"],
                     what="loudness analysis")
    m = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", err, re.S)
    if not m:
        raise VidgenError(f"Could not measure the loudness of {Path(path).name}.")
    d = json.loads(m.group(0))

    def num(k: str) -> float:
        try:
            return float(d[k])
        except (KeyError, ValueError):
            return float("-inf")

    return Loudness(num("input_i"), num("input_tp"), num("input_lra"), num("input_thresh"),
                    num("target_offset"))


# --- files -------------------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_output(dest: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temp path beside `dest`; on success it replaces `dest` atomically."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=suffix or dest.suffix, dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        if e.errno == errno.ENOSPC:
            raise VidgenError(f"Disk full while writing {dest.name}: free some space and run again.") from e
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def check_cancel(cancel: CancelFn | None) -> None:
    if cancel is not None:
        cancel()


__all__ = [
    "Cancelled", "VidgenError", "ffmpeg_exe", "popen", "run_child", "run_ffmpeg", "VideoWriter", "probe", "MediaInfo",
    "StreamInfo", "decode_audio", "write_wav", "read_wav", "measure_loudness", "Loudness",
    "atomic_output", "check_cancel",
]
