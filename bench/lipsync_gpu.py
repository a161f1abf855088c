"""Wav2Lip and MuseTalk 1.5 at full size with random weights (issue 15's GPU benchmark).

    .venv/bin/python bench/lipsync.py --gpu [--frames 96]
    .venv/bin/python bench/lipsync.py --gpu --tiny     # the same code on the CPU, the tests' tiny MuseTalk

No hub on the GPU machine: Wav2Lip's generator is built by vidgen's own network (36.3 M parameters);
MuseTalk from its published shapes: an SD-1.x UNet with 8 input channels and 384-wide
cross-attention (about 850 M), SD's VAE (sd-vae-ft-mse: 83 M) and Whisper-tiny's encoder (8 M).
Timed is the backends' `audio_features` + `generate` on `--frames` face crops at their own size
(96 and 256), fp16 on CUDA: faces per second, and peak VRAM.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidgen.services.lipsync import musetalk, wav2lip, wav2lip_net  # noqa: E402


def full_musetalk(device: str, dtype: Any) -> Any:
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    unet = UNet2DConditionModel(sample_size=32, in_channels=8, out_channels=4, cross_attention_dim=384,
                                flip_sin_to_cos=True, freq_shift=0)
    vae = AutoencoderKL(block_out_channels=(128, 256, 512, 512), layers_per_block=2, latent_channels=4,
                        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                        sample_size=256, scaling_factor=0.18215)
    whisper = WhisperModel(WhisperConfig(d_model=384, encoder_layers=4, encoder_attention_heads=6,
                                         decoder_layers=4, decoder_attention_heads=6, encoder_ffn_dim=1536,
                                         decoder_ffn_dim=1536, num_mel_bins=80))
    encoder = whisper.get_encoder()
    return musetalk.MuseTalk(unet.to(device, dtype).eval(), vae.to(device, dtype).eval(),
                             encoder.to(device, dtype).eval(), WhisperFeatureExtractor(), device, dtype)


def tiny_musetalk(device: str, dtype: Any) -> Any:
    from tests import tiny_musetalk as tmt

    whisper, extractor = tmt.build_whisper()
    return musetalk.MuseTalk(tmt.build_unet().to(device, dtype).eval(), tmt.build_vae().to(device, dtype).eval(),
                             whisper.get_encoder().to(device, dtype).eval(), extractor, device, dtype)


def faces(side: int, n: int) -> np.ndarray:
    import skimage.data
    from PIL import Image

    face = np.asarray(Image.fromarray(skimage.data.astronaut()[60:180, 170:290]).resize((side, side)))
    return np.repeat(face[None], n, axis=0)


def timed(name: str, module: Any, model: Any, side: int, n: int, fps: int, cuda: bool) -> dict[str, Any]:
    import torch

    rate = 16000
    t = np.arange(int(n / fps * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * 220 * t) * np.abs(np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    crops = faces(side, n)
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    module.generate(model, crops[:4], module.audio_features(model, samples, rate, fps, n)[:4])  # warm-up
    start = time.perf_counter()
    features = module.audio_features(model, samples, rate, fps, n)
    module.generate(model, crops, features)
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    vram = torch.cuda.max_memory_allocated() / 2**30 if cuda else 0.0
    params = sum(p.numel() for p in model.parameters()) / 1e6
    print(f"{name}: {params:.0f} M parameters, {n} faces at {side}x{side} in {seconds:.2f} s = "
          f"{n / seconds:.1f} faces/s, peak VRAM {vram:.2f} GiB", flush=True)
    return {"name": name, "faces_per_s": n / seconds, "vram": vram}


def bench(frames: int, *, tiny: bool) -> None:
    import torch

    cuda = not tiny and torch.cuda.is_available()
    device, dtype = ("cuda", torch.float16) if cuda else ("cpu", torch.float32)
    torch.manual_seed(0)
    net = wav2lip_net.build().to(device, dtype).eval()
    timed("Wav2Lip", wav2lip, net, wav2lip.FACE_SIZE, frames, 25, cuda)
    model = tiny_musetalk(device, dtype) if tiny else full_musetalk(device, dtype)
    timed("MuseTalk 1.5" + (" (tiny)" if tiny else ""), musetalk, model, musetalk.FACE_SIZE, frames, 25, cuda)
