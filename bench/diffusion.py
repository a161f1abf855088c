"""SDXL's denoising UNet at full size with random weights: ms per step, peak VRAM, and the effect of
channels_last and torch.compile, each as a ratio to the plain eager step measured in the same run.

    python bench/diffusion.py --gpu            # CUDA, fp16: 1024x1024 and 512x512 latents (SDXL base and
                                               # SDXL-Turbo share this UNet), batch 2 (classifier-free guidance)
    python bench/diffusion.py --gpu --no-compile
    python bench/diffusion.py                  # CPU smoke run: the same code on a small UNet (checks the script)

The UNet is built from stabilityai/stable-diffusion-xl-base-1.0's unet/config.json (the values are in
bench/cache.py's SDXL_UNET); no hub access. One step = one UNet forward with SDXL's text_time
conditioning, as the pipeline calls it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.cache import SDXL_UNET  # noqa: E402

TINY_UNET = dict(SDXL_UNET, block_out_channels=(32, 64, 64), transformer_layers_per_block=(1, 1, 1),
                 attention_head_dim=(2, 4, 4), cross_attention_dim=64, addition_time_embed_dim=8,
                 projection_class_embeddings_input_dim=6 * 8 + 16, sample_size=32)


def build(config: dict, device: str, dtype: torch.dtype):
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    return UNet2DConditionModel(**config).to(device, dtype).eval()


def inputs(config: dict, side: int, device: str, dtype: torch.dtype) -> dict:
    """One guided step's inputs at a `side` x `side` image (latents are side / 8)."""
    batch, latent = 2, side // 8
    pooled = config["projection_class_embeddings_input_dim"] - 6 * config["addition_time_embed_dim"]
    return dict(sample=torch.randn(batch, 4, latent, latent, device=device, dtype=dtype),
                timestep=torch.tensor(500, device=device),
                encoder_hidden_states=torch.randn(batch, 77, config["cross_attention_dim"], device=device, dtype=dtype),
                added_cond_kwargs={"text_embeds": torch.randn(batch, pooled, device=device, dtype=dtype),
                                   "time_ids": torch.tensor([[side, side, 0, 0, side, side]] * batch, device=device,
                                                            dtype=dtype)})


def ms_per_step(unet, args: dict, device: str, steps: int, warmup: int) -> float:
    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    with torch.inference_mode():
        for _ in range(warmup):
            unet(**args)
        sync()
        t = time.perf_counter()
        for _ in range(steps):
            unet(**args)
        sync()
    return (time.perf_counter() - t) * 1000 / steps


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gpu", action="store_true")
    p.add_argument("--no-compile", action="store_true", help="skip torch.compile (it takes minutes to compile)")
    p.add_argument("--steps", type=int, default=20)
    a = p.parse_args()
    device = "cuda" if a.gpu else "cpu"
    if a.gpu:
        assert torch.cuda.is_available(), "--gpu needs CUDA"
        print(torch.cuda.get_device_name(0), "torch", torch.__version__)
    config, dtype = (SDXL_UNET, torch.float16) if a.gpu else (TINY_UNET, torch.float32)
    sides = (1024, 512) if a.gpu else (256, 128)
    steps = a.steps if a.gpu else 3
    unet = build(config, device, dtype)
    print(f"UNet: {sum(p.numel() for p in unet.parameters()) / 1e9:.2f} B parameters, {dtype}")
    for side in sides:
        args = inputs(config, side, device, dtype)
        if a.gpu:
            torch.cuda.reset_peak_memory_stats()
        unet.to(memory_format=torch.contiguous_format)
        eager = ms_per_step(unet, args, device, steps, warmup=3)
        peak = torch.cuda.max_memory_allocated() / 2**30 if a.gpu else float("nan")
        print(f"{side}x{side}: eager {eager:8.1f} ms/step  (peak VRAM {peak:.2f} GiB)")
        unet.to(memory_format=torch.channels_last)
        args_cl = dict(args, sample=args["sample"].to(memory_format=torch.channels_last))
        cl = ms_per_step(unet, args_cl, device, steps, warmup=3)
        print(f"{side}x{side}: channels_last {cl:8.1f} ms/step  x{cl / eager:.2f} of eager")
        if not a.no_compile:
            compiled = torch.compile(unet, mode="max-autotune-no-cudagraphs" if a.gpu else "default")
            t = time.perf_counter()
            ms_per_step(compiled, args_cl, device, 1, warmup=1)
            took = time.perf_counter() - t
            cc = ms_per_step(compiled, args_cl, device, steps, warmup=2)
            print(f"{side}x{side}: channels_last + torch.compile {cc:8.1f} ms/step  x{cc / eager:.2f} of eager"
                  f"  (first call {took:.0f} s)")


if __name__ == "__main__":
    main()
