"""What `python -m vidgen doctor` reports besides the ready checks: devices, encoders, models, disk.

Each is a `health.Check` with `ready=False`: it informs, it does not fail the command (a missing
libx264 fails the ffmpeg ready check already). torch is imported here when installed, to list its
CUDA devices: doctor is the one command that wants to know.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..media import ffmpeg_exe, run_child
from ..models import hub, operations
from ..models.registry import Registry
from ..services.delivery import encoders
from .health import Check, free_bytes

GB = 1e9
SOFTWARE = {"libx264": "H.264, every master film", "libx265": "H.265 (mp4-h265)", "libvpx-vp9": "VP9 (webm)",
            "prores_aw": "ProRes (mov)", "aac": "AAC audio", "libopus": "Opus audio (webm)"}
REQUIRED = ("libx264", "aac")  # without these no film can be made
LOW_DISK = 2 * GB  # under this, a render may run out of room


def _gb(n: float) -> str:
    return f"{n / GB:.1f} GB"


def devices() -> list[Check]:
    info = hub.device_info()  # imports torch when installed
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0
    memory = f", {_gb(info['ram_total'])} memory ({_gb(info['ram_free'])} free)" if info.get("ram_total") else ""
    out = [Check("cpu", True, f"{cores} cores{memory}", ready=False)]
    torch = sys.modules.get("torch")
    if torch is None:
        return out + [Check("cuda", None, "torch is not installed: the built-in backends run on the CPU", ready=False)]
    try:
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        gpus = []
        for i in range(count):
            free, total = torch.cuda.mem_get_info(i)
            gpus.append(f"{i}: {torch.cuda.get_device_name(i)}, {_gb(total)} ({_gb(free)} free)")
    except Exception as e:  # a broken driver is worth a line, not a traceback
        return out + [Check("cuda", False, f"torch {torch.__version__} cannot query CUDA: {e}", ready=False)]
    if not gpus:
        other = " (Apple MPS is available)" if info.get("device") == "mps" else ""
        return out + [Check("cuda", None, f"torch {torch.__version__} sees no CUDA device{other}", ready=False)]
    return out + [Check("cuda", True, f"torch {torch.__version__}, CUDA {torch.version.cuda}: " + "; ".join(gpus),
                        ready=False)]


def encoder_checks() -> list[Check]:
    """The software encoders the delivery formats use, from `ffmpeg -encoders`, and NVENC by its trial."""
    try:
        listing = run_child([ffmpeg_exe(), "-hide_banner", "-encoders"], text=True).stdout
    except OSError as e:
        return [Check("encoders", False, f"ffmpeg ({Path(ffmpeg_exe()).name}) cannot be run: {e.strerror}",
                      ready=False)]
    built = {ln.split()[1] for ln in listing.splitlines() if ln[:1] == " " and len(ln.split()) > 1}
    out = [Check(name, True if name in built else (False if name in REQUIRED else None),
                 what if name in built else f"this ffmpeg build has no {name}: no {what}", ready=False)
           for name, what in SOFTWARE.items()]
    for name, problem in encoders.try_all().items():
        out.append(Check(name, None if problem else True, problem or "runs here (a one-frame trial encode)",
                         ready=False))
    return out


def model_checks(registry: Registry) -> list[Check]:
    """Models downloaded (hub or Ollama), their count and bytes by kind; the built-in ones need none."""
    info = operations.storage(registry, live=False)
    got = [m for m in info["models"] if m["downloaded"] and m["source"] != "builtin"]
    if not got:
        return [Check("downloaded", True, "none (the built-in backends need none; see "
                                      "`python -m vidgen models list`)", ready=False)]
    kinds: dict[str, list[int]] = {}
    for m in got:
        kinds.setdefault(m["kind"], []).append(int(m["bytes"]))
    by_kind = ", ".join(f"{kind} {len(sizes)} ({_gb(sum(sizes))})" for kind, sizes in sorted(kinds.items()))
    return [Check("downloaded", True, f"{len(got)} models, {_gb(info['total_bytes'])} in the model cache: {by_kind}",
                  ready=False)]


def disk_check(data_dir: str | os.PathLike) -> Check:
    free = free_bytes(data_dir)
    if free < LOW_DISK:
        return Check("data folder", False, f"{_gb(free)} free: a render may run out of room", ready=False)
    return Check("data folder", True, f"{_gb(free)} free", ready=False)
