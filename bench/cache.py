"""Load, evict and reload cost through the model cache, as ratios to the first load from disk.

    python bench/cache.py [--mb 320]      # CPU: fp32 Linear layers saved to a temp safetensors file
    python bench/cache.py --gpu           # CUDA: the same, then a full-size SDXL UNet (random weights,
                                          # fp16, built from its config: no hub), and the host-to-device
                                          # copy bandwidth measured in the same run

Three ways a model comes back through `ModelCache.use`:
  first load   loader reads the safetensors file (page cache dropped first: a cold read)
  offload      evicted to CPU memory, then moved back with `.to(device)` (the offload tier)
  disk reload  dropped entirely (no CPU room), loaded from the file again (page cache warm, as it
               is right after a drop in a real process; a cold figure is printed too)
On CPU there is no device to copy to: "offload" there moves the weights with a RAM-to-RAM copy
(`clone`), the floor of what a host-to-device copy costs, through the cache's real offload code.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from torch import nn  # noqa: E402

from vidgen.jobs import GpuLane  # noqa: E402
from vidgen.models.cache import ModelCache, model_bytes  # noqa: E402

MiB = 1 << 20

SDXL_UNET = dict(  # stabilityai/stable-diffusion-xl-base-1.0, unet/config.json
    sample_size=128, in_channels=4, out_channels=4, center_input_sample=False, flip_sin_to_cos=True,
    freq_shift=0, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    mid_block_type="UNetMidBlock2DCrossAttn", up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    block_out_channels=(320, 640, 1280), layers_per_block=2, act_fn="silu", norm_num_groups=32, norm_eps=1e-5,
    cross_attention_dim=2048, transformer_layers_per_block=(1, 2, 10), attention_head_dim=(5, 10, 20),
    use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=256,
    projection_class_embeddings_input_dim=2816, conv_in_kernel=3, conv_out_kernel=3,
)


@dataclass(frozen=True)
class Spec:
    id: str
    backend: str
    name: str = ""
    kind: str = "image"
    vram_gb: float = 0.0


def drop_page_cache(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def linear_stack(mb: int) -> nn.Module:
    n = max(1, round(mb * MiB / (4096 * 4096 * 4)))
    return nn.Sequential(*[nn.Linear(4096, 4096) for _ in range(n)])


class RamMoved(nn.Module):
    """CPU stand-in for a device: `.to(anything)` copies every tensor (RAM-to-RAM)."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def to(self, *args, **kwargs):  # noqa: D401
        with torch.no_grad():
            for p in self.inner.parameters():
                p.data = p.data.clone()
            for b in self.inner.buffers():
                b.data = b.data.clone()
        return self


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def run_cache(label: str, path: Path, build, device: str, *, wrap=None) -> dict:
    """first load / offload reload / disk reload of the model in `path` through a ModelCache."""
    def load(spec, dev):
        with torch.device("meta"):
            module = build()
        module.load_state_dict(load_file(path, device="cpu" if wrap else dev), assign=True)
        sync(dev)
        return wrap(module) if wrap else module

    def other(spec, dev):  # a tiny second model: using it evicts the big one
        return wrap(nn.Linear(4, 4)) if wrap else nn.Linear(4, 4).to(dev)

    cache_device = "sim" if wrap else device
    probe = lambda: 0  # noqa: E731  budgets are set explicitly below
    cache = ModelCache(loaders={"big": load, "tiny": other}, resolve=lambda m: Spec(m, "big" if m == "big" else "tiny"),
                       device=cache_device, free_memory=probe, lane=GpuLane(), reserve_bytes=0,
                       budget_bytes=1 << 40)

    def use(mid: str) -> float:
        t = time.perf_counter()
        with cache.use(mid):
            sync(device)
        return time.perf_counter() - t

    drop_page_cache(path)
    first = use("big")
    size = model_bytes(cache._on_device["big"].model)
    cache.budget_bytes = size  # big fills the budget: using tiny evicts it
    cache.cpu_budget_bytes = 2 * size  # ... to CPU memory
    use("tiny")
    assert cache.loaded("big") == "cpu", cache.stats()
    offload = use("big")
    cache.cpu_budget_bytes = 0  # no CPU room: evicting drops it
    use("tiny")
    assert cache.loaded("big") is None, cache.stats()
    disk_warm = use("big")
    use("tiny")
    drop_page_cache(path)
    disk_cold = use("big")
    print(f"{label}: {size / MiB:.0f} MiB on {device}"
          f"  first load {first:.3f} s | offload reload {offload:.3f} s ({offload / first:.2f}x)"
          f" | disk reload warm {disk_warm:.3f} s ({disk_warm / first:.2f}x), cold {disk_cold:.3f} s ({disk_cold / first:.2f}x)"
          f" | {size / MiB / offload:.0f} MiB/s from the offload tier")
    return dict(bytes=size, first=first, offload=offload, disk_warm=disk_warm, disk_cold=disk_cold)


def h2d_bandwidth(nbytes: int = 1 << 30) -> tuple[float, float]:
    """Host-to-device copy bandwidth in MiB/s: from pageable memory and from pinned memory."""
    out = []
    for pinned in (False, True):
        host = torch.empty(nbytes, dtype=torch.uint8, pin_memory=pinned)
        host.fill_(1)
        dev = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
        dev.copy_(host, non_blocking=pinned)
        torch.cuda.synchronize()
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            dev.copy_(host, non_blocking=pinned)
            torch.cuda.synchronize()
            best = min(best, time.perf_counter() - t)
        out.append(nbytes / MiB / best)
        del host, dev
    torch.cuda.empty_cache()
    return out[0], out[1]


def save(module: nn.Module, path: Path) -> None:
    save_file({k: v.detach().contiguous().cpu() for k, v in module.state_dict().items()}, path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=320, help="size of the Linear-layer model (fp32)")
    ap.add_argument("--gpu", action="store_true", help="CUDA: Linear model, SDXL UNet, H2D bandwidth")
    ap.add_argument("--dir", default=None, help="folder for the temp files (default: the system temp)")
    args = ap.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "linear.safetensors"
        build = lambda: linear_stack(args.mb)  # noqa: E731
        save(build(), path)
        print(f"torch {torch.__version__}, {os.cpu_count()} CPUs")
        if not args.gpu:
            run_cache("linear fp32", path, build, "cpu", wrap=RamMoved)
            return
        if not torch.cuda.is_available():
            sys.exit("--gpu needs CUDA")
        print(f"GPU: {torch.cuda.get_device_name()}")
        pageable, pinned = h2d_bandwidth()
        print(f"host-to-device copy: pageable {pageable:.0f} MiB/s, pinned {pinned:.0f} MiB/s")
        r = run_cache("linear fp32", path, build, "cuda")
        print(f"  offload reload at {r['bytes'] / MiB / r['offload'] / pageable:.2f} of pageable H2D bandwidth")
        path.unlink()

        from diffusers import UNet2DConditionModel

        def unet():
            return UNet2DConditionModel(**SDXL_UNET).to(torch.float16)

        upath = Path(tmp) / "unet.safetensors"
        t = time.perf_counter()
        with torch.device("cuda"):
            m = unet()  # random init on the GPU: seconds, not minutes
        print(f"SDXL UNet: {sum(p.numel() for p in m.parameters()) / 1e9:.3f} B parameters, built in "
              f"{time.perf_counter() - t:.1f} s")
        save(m, upath)
        del m
        torch.cuda.empty_cache()
        r = run_cache("SDXL UNet fp16", upath, unet, "cuda")
        print(f"  offload reload at {r['bytes'] / MiB / r['offload'] / pageable:.2f} of pageable H2D bandwidth, "
              f"{r['bytes'] / MiB / r['offload'] / pinned:.2f} of pinned")


if __name__ == "__main__":
    main()
