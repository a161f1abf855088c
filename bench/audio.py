"""Real-time factor (compute seconds per second of audio made) of the voice and music backends.

    python bench/audio.py            # CPU: Piper (plain, pitch-shifted, with a cast), eSpeak NG
                                     # (English and Spanish, as a ratio to Piper's RTF), the composer,
                                     # tiny random-weight VITS and MusicGen through the model cache
    python bench/audio.py --gpu      # CUDA: MusicGen small at full size (random weights, fp16, built
                                     # from its published config: no hub): ms per decode step and RTF

A real-time factor is already a ratio against a baseline measured in the same run (the audio's own
length); Piper with a pitch shift and a whole cast is also given as a ratio to plain Piper.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TEXT = ("The lighthouse keeper climbed the stairs one last time. Below him the sea was grey and slow. "
        "He lit the lamp, and far away a ship turned toward the light.")
TEXT_ES = ("El farero subió la escalera por última vez. Abajo, el mar era gris y lento. "
           "Encendió la lámpara, y a lo lejos un barco giró hacia la luz.")


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    """Best of `repeat` wall times (the least disturbed by other work on the machine) and the result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def row(name: str, seconds: float, audio: float, extra: str = "") -> None:
    print(f"{name:<44} {seconds:7.2f} s for {audio:6.1f} s of audio   RTF {seconds / audio:6.3f}  {extra}")


def cpu(tmp: Path) -> None:
    from vidgen.domain import Character, Line, RenderSettings, Voice
    from vidgen.services.music import composer
    from vidgen.services.voice import cast, synthesize_lines

    lines = [Line(TEXT)]
    synthesize_lines(lines, tmp / "warm.wav")  # load the voice once, outside the timings
    plain_t, plain = timed(lambda: synthesize_lines(lines, tmp / "plain.wav"))
    row("Piper en_US-joe-medium", plain_t, plain.duration)
    espeak_voice = {None: Voice(model="espeak-ng")}
    synthesize_lines(lines, tmp / "warm-espeak.wav", cast=espeak_voice, language="en")
    for lang, text in (("en", TEXT), ("es", TEXT_ES)):
        es_t, es = timed(lambda: synthesize_lines([Line(text)], tmp / "espeak.wav", cast=espeak_voice, language=lang))
        row(f"eSpeak NG ({lang})", es_t, es.duration,
            f"x{(es_t / es.duration) / (plain_t / plain.duration):.3f} of plain Piper's RTF")
    voices = {None: Voice(model="piper:en_US-joe-medium", pitch=3.0)}
    shift_t, shifted = timed(lambda: synthesize_lines(lines, tmp / "shift.wav", cast=voices))
    row("Piper + pitch shift (+3 semitones)", shift_t, shifted.duration,
        f"x{(shift_t / shifted.duration) / (plain_t / plain.duration):.2f} of plain Piper's RTF")
    settings = RenderSettings()
    people = [Character(n) for n in ("Ana", "Ben", "Cleo")]
    dialogue = [Line(TEXT, speaker) for speaker in (None, "Ana", "Ben", "Cleo")]
    cast_t, spoken = timed(lambda: synthesize_lines(dialogue, tmp / "cast.wav", cast=cast(settings, people),
                                                    mood="sad"), repeat=2)
    row("Piper, narrator + 3 characters, mood sad", cast_t, spoken.duration,
        f"x{(cast_t / spoken.duration) / (plain_t / plain.duration):.2f} of plain Piper's RTF")

    for genre in ("piano", "electronic", "cinematic"):
        request = composer.MusicRequest(mood="calm", genre=genre, seconds=60.0, seed=1)
        t, r = timed(lambda: composer.render(request, tmp / f"{genre}.wav"), repeat=2)
        row(f"composer, 60 s, {genre}", t, r.seconds)
    long_t, long_r = timed(lambda: composer.render(composer.MusicRequest(mood="tense", seconds=600.0, seed=2),
                                                   tmp / "long.wav"), repeat=1)
    row("composer, 600 s (a composed body, looped)", long_t, long_r.seconds)
    tiny_models(tmp)


def tiny_models(tmp: Path) -> None:
    import os

    import torch

    from tests import tiny_musicgen, tiny_vits
    from vidgen.config import Settings
    from vidgen.domain import Line, Voice
    from vidgen.jobs import GpuLane
    from vidgen.models.cache import ModelCache
    from vidgen.models.registry import Registry
    from vidgen.services.music import musicgen
    from vidgen.services.voice import synthesize_lines
    from vidgen.store import Store

    hub = tmp / "hub"
    tiny_musicgen.save_tiny_musicgen(hub)
    tiny_vits.make_hf_cache(hub)
    os.environ.update(HF_HUB_CACHE=str(hub), HF_HUB_OFFLINE="1")
    torch.set_num_threads(1)
    registry = Registry(Store(Settings.from_env(tmp / "data")))
    cache = ModelCache(resolve=registry.get, device="cpu", budget_bytes=1 << 30, lane=GpuLane())
    vits = registry.add(tiny_vits.REPO, "voice")
    lines = [Line(TEXT)]
    voices = {None: Voice(model=vits.id)}
    synthesize_lines(lines, tmp / "vits-warm.wav", cast=voices, cache=cache, registry=registry)
    t, r = timed(lambda: synthesize_lines(lines, tmp / "vits.wav", cast=voices, cache=cache, registry=registry))
    row("tiny VITS (random weights; not MMS's speed)", t, r.duration)
    spec = registry.add(tiny_musicgen.REPO, "music")
    musicgen.generate(spec, "calm piano", 1.0, tmp / "mg-warm.wav", cache=cache)
    t, r = timed(lambda: musicgen.generate(spec, "calm piano", 10.0, tmp / "mg.wav", seed=1, cache=cache), repeat=2)
    row("tiny MusicGen, 10 s (1 s windows, continued)", t, r.seconds)


def gpu() -> None:
    """MusicGen small's architecture at full size (facebook/musicgen-small's config.json values),
    random weights, fp16 on CUDA: decode-step time and RTF of a 30 s window."""
    import torch
    from transformers import (EncodecConfig, MusicgenConfig, MusicgenDecoderConfig,
                              MusicgenForConditionalGeneration, T5Config)

    assert torch.cuda.is_available(), "--gpu needs CUDA"
    text = T5Config(vocab_size=32128, d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12,
                    relative_attention_num_buckets=32, feed_forward_proj="relu")
    audio = EncodecConfig(sampling_rate=32000, audio_channels=1, num_filters=64, codebook_size=2048,
                          upsampling_ratios=[8, 5, 4, 4], target_bandwidths=[2.2], num_lstm_layers=2,
                          use_causal_conv=False, norm_type="weight_norm", normalize=False, pad_mode="reflect",
                          compress=2, residual_kernel_size=3, codebook_dim=128, trim_right_ratio=1.0,
                          hidden_size=128, num_residual_layers=1, dilation_growth_rate=2, kernel_size=7,
                          last_kernel_size=7)
    decoder = MusicgenDecoderConfig(vocab_size=2048, max_position_embeddings=2048, num_hidden_layers=24,
                                    ffn_dim=4096, num_attention_heads=16, hidden_size=1024, num_codebooks=4,
                                    pad_token_id=2048, bos_token_id=2048, decoder_start_token_id=2048)
    config = MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder)
    model = MusicgenForConditionalGeneration(config).to("cuda", torch.float16).eval()
    model.generation_config.pad_token_id = model.generation_config.decoder_start_token_id = 2048
    ids = torch.randint(0, 32000, (1, 16), device="cuda")
    frames = 30 * 50  # 50 codec frames per second of 32 kHz audio
    for steps in (64, frames):
        torch.cuda.synchronize()
        t = time.perf_counter()
        with torch.inference_mode():
            model.generate(input_ids=ids, do_sample=True, max_new_tokens=steps, guidance_scale=3.0)
        torch.cuda.synchronize()
        took = time.perf_counter() - t
        print(f"MusicGen small fp16, {steps} steps: {took * 1000 / steps:6.1f} ms/step, "
              f"RTF {took / (steps / 50):.3f}, peak VRAM {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gpu", action="store_true")
    args = p.parse_args()
    if args.gpu:
        gpu()
        return
    with tempfile.TemporaryDirectory() as tmp:
        cpu(Path(tmp))


if __name__ == "__main__":
    main()
