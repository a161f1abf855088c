"""MusicGen (Meta, through transformers): text-to-music for the film's score.

    spec = registry_for(store).get("musicgen-small")
    prompt = compose_prompt("calm", "ambient", [], 70)   # "calm, peaceful ambient soundtrack, ..."
    generate(spec, prompt, 75.0, "music.wav", seed=3)

The model loads through the model cache (`ModelCache.use`) from the local HF cache only, fp16 on
CUDA. It was trained on 30 s clips, so one generation window is at most WINDOW_SECONDS (fewer when
the decoder's position table is shorter). Longer music continues window by window: the last
PROMPT_SECONDS of what exists go back in as an audio prompt with the text (MusicGen's
continuation), only the new part is kept, and the seam is crossfaded against the model's own
re-decoding of that prompt. Stereo models' channels are mixed to mono (the film's music bed is
mono). Sampling is seeded; `progress` and `cancel` run after every decoding step (a
StoppingCriteria that never stops, it only reports and may raise).

Nothing is imported from torch or transformers at import time.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import VidgenError
from ...media import CancelFn, ProgressFn, atomic_output, check_cancel, write_wav
from ...models import hub
from ...models.cache import ModelCache, get_cache
from ...models.registry import ModelSpec
from .audio import MusicResult, fade_edges, normalize
from .theory import GENRES, resolve_style

log = logging.getLogger(__name__)

BACKEND = "transformers-musicgen"
WINDOW_SECONDS = 30.0  # MusicGen's training length: longer windows drift
PROMPT_SECONDS = 10.0  # audio carried into the next window
SEAM_SECONDS = 1.0  # crossfade at each continuation seam
MAX_SECONDS = 3600.0

MOOD_WORDS = {
    "joyful": "joyful, upbeat",
    "calm": "calm, peaceful",
    "sad": "sad, melancholic",
    "tense": "tense, suspenseful",
    "mysterious": "mysterious, dark",
    "romantic": "romantic, tender",
    "epic": "epic, powerful",
    "neutral": "light, unobtrusive",
}


@dataclass
class MusicgenBundle:
    """The model and its processor, cached as one entry (the cache sizes and moves the model)."""

    model: Any
    processor: Any

    def parameters(self) -> Any:
        return self.model.parameters()

    def buffers(self) -> Any:
        return self.model.buffers()

    def to(self, device: str) -> "MusicgenBundle":
        self.model.to(device)
        return self


def load_musicgen(spec: ModelSpec, device: str) -> MusicgenBundle:
    """The cache's loader for backend transformers-musicgen: from the local HF cache only."""
    import torch
    from transformers import AutoProcessor, MusicgenForConditionalGeneration

    folder = hub.local_path(spec)
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    try:
        model = MusicgenForConditionalGeneration.from_pretrained(str(folder), dtype=dtype, local_files_only=True)
        processor = AutoProcessor.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise hub.load_failure(spec, exc, folder) from exc
    if device == "cpu":
        log.warning("%s runs on the CPU: expect several minutes per minute of music.", spec.name)
    return MusicgenBundle(model.to(device).eval(), processor)


def register_loaders(cache: ModelCache) -> None:
    """Give `cache` the MusicGen loader, unless it has its own for that backend."""
    if BACKEND not in cache.loaders:
        cache.register_loader(BACKEND, load_musicgen)


# --- prompts ---------------------------------------------------------------------------------

def compose_prompt(mood: str, genre: str = "", instruments: list[int] | tuple[int, ...] = (), tempo: float = 0) -> str:
    """A MusicGen text prompt, e.g. "calm, peaceful ambient soundtrack, warm synth pads, soft
    vibraphone and harp, 72 bpm, instrumental, no vocals". Genre and tempo resolve as the
    composer's do; `instruments` are General MIDI program numbers (default: the genre's sound)."""
    genre, tempo = resolve_style(mood, genre, tempo)
    if instruments:
        import pretty_midi

        if not all(isinstance(p, int) and 0 <= p <= 127 for p in instruments):
            raise VidgenError(f"Instruments must be General MIDI program numbers 0-127, not {list(instruments)!r}.")
        names = [pretty_midi.program_to_instrument_name(p).lower() for p in instruments]
        sound = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    else:
        sound = GENRES[genre].sound
    return f"{MOOD_WORDS[mood]} {genre} soundtrack, {sound}, {tempo:g} bpm, instrumental, no vocals"


# --- generation ------------------------------------------------------------------------------

def window_frames(config: Any) -> int:
    """Codec frames in one generation window: WINDOW_SECONDS, or what the decoder's position
    table holds when that is less (a model's own limit, small in tests)."""
    frame_rate = config.audio_encoder.frame_rate
    table = config.decoder.max_position_embeddings - config.decoder.num_codebooks
    return max(2, min(round(WINDOW_SECONDS * frame_rate), table))


def _step_criteria(on_step: Any) -> Any:
    """A StoppingCriteria that never stops generation: it reports each step (and may raise)."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class EachStep(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            on_step()
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([EachStep()])


def _windows(total: int, window: int, prompt: int) -> list[int]:
    """New frames per window: the first fills a window, each later one the window less its prompt."""
    sizes = [min(total, window)]
    while sum(sizes) < total:
        sizes.append(min(total - sum(sizes), window - prompt))
    return sizes


def _seam(old: np.ndarray, new: np.ndarray, n: int) -> np.ndarray:
    """`old` whose last `n` samples crossfade (equal gain: the two are the same music) into `new`,
    which starts with the model's re-decoding of those samples and continues past them."""
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, dtype=np.float32))
    joined = old[len(old) - n:] * (1 - ramp) + new[:n] * ramp
    return np.concatenate([old[: len(old) - n], joined, new[n:]])


def generate_audio(spec: ModelSpec, prompt: str, seconds: float, *, seed: int = 0, progress: ProgressFn | None = None,
                   cancel: CancelFn | None = None, cache: ModelCache | None = None) -> tuple[np.ndarray, int]:
    """(mono float32 audio exactly `seconds` long, sample rate) from MusicGen `spec` and a text
    prompt. Windows past the first continue from the previous audio's tail."""
    if spec.backend != BACKEND:
        raise VidgenError(f"Model '{spec.id}' runs on '{spec.backend}', not {BACKEND}.")
    if not isinstance(seconds, (int, float)) or not 0.1 <= seconds <= MAX_SECONDS:
        raise VidgenError(f"Music length must be 0.1 to {MAX_SECONDS:g} seconds, not {seconds!r}.")
    if not prompt.strip():
        raise VidgenError("The MusicGen prompt is empty: describe the music (compose_prompt makes one).")
    check_cancel(cancel)
    cache = cache or get_cache()
    register_loaders(cache)

    import torch

    with cache.use(spec) as bundle:
        model, processor = bundle.model, bundle.processor
        config = model.config
        sr, fps = config.audio_encoder.sampling_rate, config.audio_encoder.frame_rate
        hop = config.audio_encoder.hop_length
        window = window_frames(config)
        carry = min(round(PROMPT_SECONDS * fps), window // 3)
        channels = config.decoder.audio_channels  # 2 for the stereo models: their output is mixed to mono
        delay = model.decoder.num_codebooks // channels - 1  # the codebook delay pattern costs steps, not frames
        sizes = _windows(math.ceil(seconds * fps), window, carry)
        total_steps, done = sum(n + delay for n in sizes), 0

        def on_step() -> None:
            nonlocal done
            check_cancel(cancel)
            done += 1
            if progress is not None:
                progress(min(1.0, done / total_steps))

        param = next(model.parameters())
        audio = np.zeros(0, dtype=np.float32)
        with torch.random.fork_rng(devices=[param.device] if param.device.type == "cuda" else []):
            torch.manual_seed(int(seed))
            for i, frames in enumerate(sizes):
                tail = audio[len(audio) - carry * hop:] if i else None
                prompt_audio = tail if tail is None or channels == 1 else np.stack([tail] * channels)
                inputs = processor(text=[prompt], audio=prompt_audio, sampling_rate=sr if i else None,
                                   padding=True, return_tensors="pt")
                inputs = {k: v.to(param.device, dtype=param.dtype) if v.is_floating_point() else v.to(param.device)
                          for k, v in inputs.items()}
                out = model.generate(**inputs, do_sample=True, max_new_tokens=frames + delay,
                                     stopping_criteria=_step_criteria(on_step))
                piece = out[0].float().mean(dim=0).cpu().numpy()
                if tail is None:
                    audio = piece
                else:  # piece = the prompt re-decoded, then the new frames
                    seam = min(len(tail), round(SEAM_SECONDS * sr))
                    audio = _seam(audio, piece[len(tail) - seam:], seam)
    n = round(seconds * sr)
    audio = np.pad(audio, (0, max(0, n - len(audio))))[:n]
    return fade_edges(normalize(audio), sr, fade_in=0.0, fade_out=0.02), sr


def generate(spec: ModelSpec, prompt: str, seconds: float, out_wav: str | Path, *, seed: int = 0,
             progress: ProgressFn | None = None, cancel: CancelFn | None = None,
             cache: ModelCache | None = None) -> MusicResult:
    """Generate `seconds` of music for `prompt` with MusicGen `spec` and write a 16-bit mono WAV at
    the model's sample rate (32 kHz for Meta's models). `progress(fraction)` after every decoding
    step; `cancel()` before loading and after every step stops the job by raising."""
    audio, sr = generate_audio(spec, prompt, seconds, seed=seed, progress=progress, cancel=cancel, cache=cache)
    with atomic_output(out_wav) as tmp:
        write_wav(tmp, audio, sr)
    return MusicResult(wav=Path(out_wav), seconds=len(audio) / sr, sample_rate=sr, tempo=0.0, key="",
                       loop_start=0.0, loop_end=0.0, backend=BACKEND, prompt=prompt)


# --- the score backend's entry point (models/backends.py) ------------------------------------

def check_score(spec: ModelSpec, *, genre: str = "", tempo: float = 0, key: str = "",
                instruments: list[int] | None = None) -> None:
    """What is refused before any segment is made: MusicGen is told a mood and style, not a key."""
    if key:
        raise VidgenError("MusicGen cannot be given a key: leave the music key empty, or use the composer.")


def piece(spec: ModelSpec, *, mood: str, seconds: float, seed: int, genre: str = "", tempo: float = 0, key: str = "",
          instruments: list[int] | None = None, progress: ProgressFn | None = None, cancel: CancelFn | None = None,
          cache: ModelCache | None = None) -> tuple[np.ndarray, int, float, str, str]:
    """One segment of the film's score: (mono float32 audio, sample rate, tempo 0 and key "" (unknown),
    the text prompt)."""
    check_score(spec, key=key)
    prompt = compose_prompt(mood, genre, list(instruments or []), tempo)
    audio, sr = generate_audio(spec, prompt, seconds, seed=seed, progress=progress, cancel=cancel, cache=cache)
    return audio, sr, 0.0, "", prompt
