"""The video encoder of a delivery: NVENC where this ffmpeg build and this machine can use it (found
by a one-frame trial encode, once a process), the software encoder otherwise; each quality preset
mapped to comparable settings on both.

    pick = choose("h264", "auto")        # Pick(name="libx264", note="NVENC unavailable: ...")
    args = video_args(pick.name, "standard", max_kbps=8000)
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

from ... import media
from ...errors import VidgenError

ENCODER_CHOICES = ("auto", "software", "nvenc")
SOFTWARE = {"h264": "libx264", "hevc": "libx265", "vp9": "libvpx-vp9", "prores": "prores_aw"}  # ~7x prores_ks
NVENC = {"h264": "h264_nvenc", "hevc": "hevc_nvenc"}

# Comparable settings per quality (draft, standard, high). x264 CRF 18-26 is the reference; x265
# and NVENC's constant-quality scale read about that many steps higher for the same look.
_X264 = {"draft": ("ultrafast", 26), "standard": ("veryfast", 21), "high": ("medium", 18)}
_X265 = {"draft": ("ultrafast", 30), "standard": ("veryfast", 26), "high": ("medium", 23)}
_NVENC = {"draft": ("p1", 27), "standard": ("p4", 23), "high": ("p6", 20)}  # (preset, cq)
_VP9 = {"draft": (8, 38), "standard": (5, 33), "high": (2, 30)}  # (cpu-used, crf)
_PRORES = {"draft": 2, "standard": 2, "high": 3}  # ProRes 422, 422 HQ


@dataclass(frozen=True)
class Pick:
    name: str  # the ffmpeg encoder
    note: str = ""  # why it is not the one asked for, or ""


_trials: dict[str, str] = {}
_lock = threading.Lock()


def nvenc_problem(encoder: str) -> str:
    """"" when `encoder` (h264_nvenc, hevc_nvenc) encodes here, else why not: one 64x64 frame through
    it, tried once a process (a build may list NVENC on a machine with no NVIDIA driver)."""
    with _lock:
        if encoder not in _trials:
            _trials[encoder] = _trial(encoder)
        return _trials[encoder]


def try_all() -> dict[str, str]:
    """Each NVENC encoder's trial, run now (the studio starts it as it opens): {encoder: problem or ""}."""
    return {name: nvenc_problem(name) for name in NVENC.values()}


def _trial(encoder: str) -> str:
    if encoder not in _encoders_built():
        return f"this ffmpeg build has no {encoder}"
    r = media.run_child([media.ffmpeg_exe(), "-hide_banner", "-nostdin", "-f", "lavfi", "-i",
                         "color=c=gray:s=256x256:d=0.04:r=25", "-frames:v", "1", "-c:v", encoder, "-f", "null", "-"],
                        text=True)
    if r.returncode == 0:
        return ""
    # ffmpeg's first line from the encoder says why (no libcuda, no NVENC-capable device, driver too old)
    said = [ln.split("] ", 1)[-1].strip() for ln in r.stderr.splitlines() if f"[{encoder} @" in ln]
    return f"{encoder} does not run on this machine ({(said or ['the trial encode failed'])[0][:160]})"


@functools.lru_cache(maxsize=1)
def _encoders_built() -> frozenset[str]:
    out = media.run_child([media.ffmpeg_exe(), "-hide_banner", "-encoders"], text=True).stdout
    return frozenset(line.split()[1] for line in out.splitlines() if len(line.split()) > 1 and line[:1] == " ")


def choose(codec: str, choice: str = "auto") -> Pick:
    """The encoder of `codec` (h264, hevc, vp9, prores) for an --encoder choice: auto = NVENC where it
    works, else software; software; nvenc = NVENC or a clear error."""
    if choice not in ENCODER_CHOICES:
        raise VidgenError(f"Unknown encoder {choice!r}: use one of {', '.join(ENCODER_CHOICES)}.")
    software = SOFTWARE[codec]
    if choice == "software":
        return Pick(software)
    if codec not in NVENC:
        if choice == "nvenc":
            raise VidgenError(f"NVENC has no {codec.upper()} encoder: use --encoder auto or software for this format.")
        return Pick(software)
    problem = nvenc_problem(NVENC[codec])
    if not problem:
        return Pick(NVENC[codec])
    if choice == "nvenc":
        raise VidgenError(f"--encoder nvenc: {problem}; use --encoder auto (falls back to {software}) or software.")
    return Pick(software, f"NVENC unavailable: {problem}; encoded with {software}")


def video_args(encoder: str, quality: str, max_kbps: int = 0) -> list[str]:
    """ffmpeg output arguments of `encoder` at a quality preset, under a bitrate ceiling (kbit/s, 0 none)."""
    cap = ["-maxrate", f"{max_kbps}k", "-bufsize", f"{2 * max_kbps}k"] if max_kbps else []
    if encoder == "libx264":
        preset, crf = _X264[quality]
        return ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), *cap, "-pix_fmt", "yuv420p"]
    if encoder == "libx265":
        preset, crf = _X265[quality]
        return ["-c:v", "libx265", "-preset", preset, "-crf", str(crf), *cap, "-pix_fmt", "yuv420p",
                "-tag:v", "hvc1", "-x265-params", "log-level=error"]  # hvc1: Apple players need the tag
    if encoder in ("h264_nvenc", "hevc_nvenc"):
        preset, cq = _NVENC[quality]
        tag = ["-tag:v", "hvc1"] if encoder == "hevc_nvenc" else []
        return ["-c:v", encoder, "-preset", preset, "-tune", "hq", "-rc", "vbr", "-cq", str(cq), "-b:v", "0",
                *cap, "-pix_fmt", "yuv420p", *tag]
    if encoder == "libvpx-vp9":
        speed, crf = _VP9[quality]
        return ["-c:v", "libvpx-vp9", "-crf", str(crf), "-b:v", f"{max_kbps}k" if max_kbps else "0",
                "-deadline", "good", "-cpu-used", str(speed), "-row-mt", "1", "-pix_fmt", "yuv420p"]
    if encoder == "prores_aw":
        return ["-c:v", "prores_aw", "-profile:v", str(_PRORES[quality]), "-vendor", "apl0",
                "-pix_fmt", "yuv422p10le"]
    raise VidgenError(f"Unknown video encoder {encoder!r}.")
