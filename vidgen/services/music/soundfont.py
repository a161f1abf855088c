"""The composer's sound: a PrettyMIDI rendered offline with TinySoundFont and the TimGM6mb SoundFont
that pretty_midi ships, then a small convolution reverb (numpy FFT; scipy is not a dependency).
pretty_midi and tinysoundfont are imported inside the functions only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...errors import VidgenError
from ...media import CancelFn, check_cancel
from .theory import SAMPLE_RATE

def soundfont_path() -> Path:
    import pretty_midi

    path = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    if not path.is_file():
        raise VidgenError(f"The SoundFont {path.name} that pretty_midi ships is missing: reinstall pretty_midi.")
    return path


def _events(pm: Any) -> list[tuple[int, int, str, int, int, int]]:
    """(sample, order, kind, channel, a, b) sorted; note-offs before note-ons at one instant."""
    events = []
    pitched = iter(c for c in range(16) if c != 9)
    for inst in pm.instruments:
        ch = 9 if inst.is_drum else next(pitched)
        events.append((0, -2, "program", ch, inst.program, int(inst.is_drum)))
        events += [(round(c.time * SAMPLE_RATE), -1, "cc", ch, c.number, c.value) for c in inst.control_changes]
        for n in inst.notes:
            events.append((round(n.start * SAMPLE_RATE), 1, "on", ch, n.pitch, n.velocity))
            events.append((round(n.end * SAMPLE_RATE), 0, "off", ch, n.pitch, 0))
    return sorted(events)


def synthesize(pm: Any, samples: int, *, cancel: CancelFn | None = None, check_every: int = SAMPLE_RATE,
               soundfont: Path | None = None) -> np.ndarray:
    """Render a PrettyMIDI with TinySoundFont (`soundfont`, else the one pretty_midi ships) to `samples`
    mono float32 samples at SAMPLE_RATE; `cancel()` is called every `check_every` samples."""
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=SAMPLE_RATE, gain=-6.0)
    try:
        sfid = synth.sfload(str(soundfont or soundfont_path()))
    except Exception as exc:  # tinysoundfont's own error for a file it cannot parse
        raise VidgenError(f"The SoundFont {Path(soundfont or soundfont_path()).name} cannot be read ({exc}): "
                          "download it again or use another.") from exc
    out = np.zeros((samples, 2), dtype=np.float32)
    view = memoryview(out).cast("B")
    pos, next_check = 0, 0

    def run_to(target: int) -> None:
        nonlocal pos, next_check
        while pos < target:
            if pos >= next_check:
                check_cancel(cancel)
                next_check += check_every
            n = min(target, next_check) - pos
            synth.generate_simple(n, buffer=view[pos * 8:(pos + n) * 8])  # 2 channels x 4 bytes
            pos += n

    for sample, _order, kind, ch, a, b in _events(pm):
        if sample >= samples:
            break
        run_to(sample)
        if kind == "program":
            synth.program_select(ch, sfid, 128 if b else 0, a, bool(b))
        elif kind == "cc":
            synth.control_change(ch, a, b)
        elif kind == "on":
            synth.noteon(ch, a, b)
        else:
            synth.noteoff(ch, a)
    run_to(samples)
    return out.mean(axis=1)


def _convolve(x: np.ndarray, ir: np.ndarray, block: int = 1 << 16) -> np.ndarray:
    """x * ir, len(x) samples: FFT overlap-add in blocks (numpy only; memory stays small)."""
    size = 1 << int(np.ceil(np.log2(block + len(ir) - 1)))
    spectrum = np.fft.rfft(ir, size)
    out = np.zeros(len(x) + size, dtype=np.float64)
    for start in range(0, len(x), block):
        chunk = np.fft.irfft(np.fft.rfft(x[start:start + block], size) * spectrum, size)
        out[start:start + size] += chunk
    return out[: len(x)]


def reverb(x: np.ndarray, *, seconds: float = 1.6, wet: float = 0.18) -> np.ndarray:
    """A small hall: convolution with exponentially decaying noise (fixed seed: deterministic)."""
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    ir = np.random.default_rng(7).standard_normal(n) * np.exp(-6.9 * t / seconds)  # -60 dB at `seconds`
    ir[: int(0.012 * SAMPLE_RATE)] = 0.0  # pre-delay
    ir /= np.sqrt(np.sum(ir ** 2))
    return ((1 - wet) * x + wet * _convolve(x, ir)).astype(np.float32)
