"""The image-to-video backends at full size with random weights (issue 14's GPU benchmark).

    .venv/bin/python bench/animation.py --gpu [--families svd animatediff ltx wan] [--sizes 480p 720p]
                                        [--modes plain offload compile] [--steps 2]
    .venv/bin/python bench/animation.py --gpu --tiny    # the same code on the CPU, the tests' tiny models

No hub on the GPU machine either: each family's pipeline is built from its published architecture
(the repos' config.json values, written out below; the parameter counts are printed to check them)
with random weights, straight on the device, in bf16/fp16 as the backend loads it, then handed to the
backend through a model cache loader, so what is timed is vidgen's own `animate`: one chunk (the
model's native frame count) from a still, at the film's 480p or 720p, retimed to 24 fps and encoded.

Per run: seconds per denoising step (from the step callbacks), the rest (text/image encoding, VAE
decode, retime, encode), and from them seconds of compute per second of video at the model's own
step count; peak VRAM (torch.cuda.max_memory_allocated). Modes: plain (all on the GPU), offload
(model CPU offload, what the compatibility check picks when VRAM is short), compile (torch.compile
of the denoiser; the first call compiles and is not timed).
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidgen.models import hub  # noqa: E402
from vidgen.models.cache import ModelCache  # noqa: E402
from vidgen.models.registry import packaged  # noqa: E402
from vidgen.services.animation import ClipJob, animatediff, ltx, svd, wan  # noqa: E402

SIZES = {"480p": (854, 480), "720p": (1280, 720)}


# --- full-size architectures, random weights ----------------------------------------------------

def _clip_text(dtype):
    from transformers import CLIPTextConfig, CLIPTextModel

    return CLIPTextModel(CLIPTextConfig(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                                        num_attention_heads=12, max_position_embeddings=77,
                                        hidden_act="quick_gelu")).to(dtype)


def _t5_xxl(dtype, *, umt5: bool = False):
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    kw = dict(d_model=4096, d_ff=10240, d_kv=64, num_heads=64, num_layers=24, feed_forward_proj="gated-gelu",
              is_encoder_decoder=False)
    if umt5:
        return UMT5EncoderModel(UMT5Config(vocab_size=256384, **kw)).to(dtype)
    return T5EncoderModel(T5Config(vocab_size=32128, **kw)).to(dtype)


def _sd_vae(dtype):
    from diffusers import AutoencoderKL

    return AutoencoderKL(block_out_channels=(128, 256, 512, 512), layers_per_block=2, latent_channels=4,
                         down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                         sample_size=512).to(dtype)


def full_svd(dtype, tok: Any, dev: str) -> Any:
    from diffusers import (AutoencoderKLTemporalDecoder, EulerDiscreteScheduler, StableVideoDiffusionPipeline,
                           UNetSpatioTemporalConditionModel)
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    import torch

    with torch.device(dev):
        unet = UNetSpatioTemporalConditionModel(num_frames=25).to(dtype)  # the defaults are SVD's UNet
        vae = AutoencoderKLTemporalDecoder(block_out_channels=(128, 256, 512, 512), layers_per_block=2,
                                           down_block_types=("DownEncoderBlock2D",) * 4).to(dtype)
        encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
            hidden_size=1280, intermediate_size=5120, num_hidden_layers=32, num_attention_heads=16, patch_size=14,
            image_size=224, projection_dim=1024, hidden_act="gelu")).to(dtype)  # OpenCLIP ViT-H/14
    scheduler = EulerDiscreteScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
                                       prediction_type="v_prediction", interpolation_type="linear", sigma_max=700.0,
                                       sigma_min=0.002, steps_offset=1, timestep_spacing="leading",
                                       timestep_type="continuous", use_karras_sigmas=True)
    return StableVideoDiffusionPipeline(vae=vae, image_encoder=encoder, unet=unet, scheduler=scheduler,
                                        feature_extractor=CLIPImageProcessor(crop_size=224, size=224))


def full_animatediff(dtype, tok: Any, dev: str) -> Any:
    from diffusers import AnimateDiffVideoToVideoPipeline, DDIMScheduler, MotionAdapter, UNet2DConditionModel

    import torch

    with torch.device(dev):
        unet = UNet2DConditionModel(sample_size=64, cross_attention_dim=768).to(dtype)  # SD 1.5's UNet
        adapter = MotionAdapter(motion_max_seq_length=32).to(dtype)  # v1-5-2
        vae, text = _sd_vae(dtype), _clip_text(dtype)
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="linear", clip_sample=False,
                              timestep_spacing="linspace", steps_offset=1)
    pipe = AnimateDiffVideoToVideoPipeline(vae=vae, text_encoder=text, tokenizer=tok["clip"],
                                           unet=unet, motion_adapter=adapter, scheduler=scheduler)
    pipe.vae.enable_slicing()
    return pipe


def full_ltx(dtype, tok: Any, dev: str) -> Any:
    from diffusers import (AutoencoderKLLTXVideo, FlowMatchEulerDiscreteScheduler, LTXImageToVideoPipeline,
                           LTXVideoTransformer3DModel)

    scheduler = FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=True, base_shift=0.95, max_shift=2.05,
                                                base_image_seq_len=1024, max_image_seq_len=4096, shift_terminal=0.1)
    import torch

    with torch.device(dev):
        transformer = LTXVideoTransformer3DModel().to(dtype)  # the 2B model's defaults
        vae, text = AutoencoderKLLTXVideo().to(dtype), _t5_xxl(dtype)
    return LTXImageToVideoPipeline(transformer=transformer, vae=vae, text_encoder=text, tokenizer=tok["t5"],
                                   scheduler=scheduler)


def full_wan(dtype, tok: Any, dev: str) -> Any:
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanImageToVideoPipeline, WanTransformer3DModel

    with torch.device(dev):
        transformer = WanTransformer3DModel(num_attention_heads=24, attention_head_dim=128, in_channels=48,
                                            out_channels=48, ffn_dim=14336, num_layers=30).to(dtype)  # TI2V 5B
        vae = AutoencoderKLWan(base_dim=160, decoder_base_dim=256, z_dim=48, is_residual=True, in_channels=12,
                               out_channels=12, patch_size=2, scale_factor_spatial=16, scale_factor_temporal=4,
                               latents_mean=[0.0] * 48, latents_std=[1.0] * 48).to(torch.float32)
        text = _t5_xxl(dtype, umt5=True)
    scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=5.0)
    return WanImageToVideoPipeline(tokenizer=tok["t5"], text_encoder=text, vae=vae,
                                   transformer=transformer, scheduler=scheduler, expand_timesteps=True)


# --- the tests' tiny models (the CPU smoke run) ------------------------------------------------

def tokenizers(folder: Path) -> dict[str, Any]:
    """Tokenizers built offline (tiny vocabularies: their ids fit any full-size embedding)."""
    from tests import tiny_ltx, tiny_models

    return {"clip": tiny_models._tokenizer(folder / "clip"), "t5": tiny_ltx._tokenizer()}


def tiny_animatediff(folder: Path) -> Any:
    import torch
    from diffusers import AnimateDiffVideoToVideoPipeline, MotionAdapter

    from tests import tiny_models

    sd = tiny_models.build_tiny_sd(folder)
    torch.manual_seed(0)
    adapter = MotionAdapter(block_out_channels=(32, 64), motion_layers_per_block=1, motion_norm_num_groups=2,
                            motion_num_attention_heads=2, motion_max_seq_length=8)
    return AnimateDiffVideoToVideoPipeline(vae=sd.vae, text_encoder=sd.text_encoder, tokenizer=sd.tokenizer,
                                           unet=sd.unet, motion_adapter=adapter, scheduler=sd.scheduler)


def tiny_pipeline(family: str, folder: Path) -> Any:
    from tests import tiny_ltx, tiny_video, tiny_wan

    if family == "svd":
        return tiny_video.build_tiny_svd()
    if family == "animatediff":
        return tiny_animatediff(folder)
    if family == "ltx":
        return tiny_ltx.build_tiny_ltx()
    return tiny_wan.build_tiny_ti2v()


# family -> (backend module, registry record, full-size builder, denoiser attribute)
FAMILIES: dict[str, tuple[Any, str, Callable[..., Any], str]] = {
    "svd": (svd, "svd-xt", full_svd, "unet"),
    "animatediff": (animatediff, "animatediff-v1-5-2", full_animatediff, "unet"),
    "ltx": (ltx, "ltx-video", full_ltx, "transformer"),
    "wan": (wan, "wan2.2-ti2v-5b", full_wan, "transformer"),
}


# --- running one backend on a built pipeline ---------------------------------------------------

def params(pipe: Any) -> str:
    parts = []
    for name in ("unet", "transformer", "text_encoder", "image_encoder", "vae", "motion_adapter"):
        module = getattr(pipe, name, None)
        if module is not None and hasattr(module, "parameters"):
            parts.append(f"{name} {sum(p.numel() for p in module.parameters()) / 1e9:.2f}B")
    return ", ".join(parts)


@contextlib.contextmanager
def handed_over(pipe: Any, family: str, mode: str, device: str):
    """A model cache whose loader returns `pipe` placed for `mode`, the hub told it is downloaded and fits."""
    module, record, _, _ = FAMILIES[family]
    spec = packaged().get(record)
    if device.startswith("cuda"):
        if mode == "offload":
            pipe.enable_model_cpu_offload()
        else:
            pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    cache = ModelCache(resolve=packaged().get, device=device, budget_bytes=1 << 40)
    cache.register_loader(spec.backend, lambda s, d: pipe)
    saved = hub.local_path, hub.compatibility
    hub.local_path = lambda s, *a, **k: Path(tempfile.gettempdir())  # type: ignore[assignment]
    hub.compatibility = lambda s, *a, **k: {"status": "offload" if mode == "offload" else "ok"}  # type: ignore[assignment]
    try:
        yield module, spec, cache
    finally:
        hub.local_path, hub.compatibility = saved


def run_once(module: Any, spec: Any, cache: ModelCache, job: ClipJob, out: Path, device: str) -> dict[str, float]:
    import torch

    marks: list[float] = []
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    module.animate(spec, job, out, cache=cache, progress=lambda p: marks.append(time.perf_counter()))
    if cuda:
        torch.cuda.synchronize()
    total = time.perf_counter() - start
    denoise = marks[: job.steps]  # one progress report per step of the one chunk, then the writing
    per_step = (denoise[-1] - denoise[0]) / max(1, len(denoise) - 1) if len(denoise) > 1 else total
    return {"total": total, "per_step": per_step, "rest": max(0.0, total - per_step * job.steps),
            "vram": torch.cuda.max_memory_allocated() / 2**30 if cuda else 0.0}


def chunk_of(family: str, pipe: Any) -> tuple[int, int, int]:
    """(frames one call makes, the fps they are timed at, the model's own steps) as the backend sees them."""
    if family == "svd":
        return int(pipe.unet.config.num_frames), svd.NATIVE_FPS, svd.DEFAULT_STEPS
    if family == "animatediff":
        return animatediff.chunk_frames(pipe), animatediff.NATIVE_FPS, animatediff.DEFAULT_STEPS
    if family == "ltx":
        return ltx.frames_for(int(pipe.vae_temporal_compression_ratio)), ltx.NATIVE_FPS, ltx.DEFAULT_STEPS
    v = wan.VARIANTS[wan.variant_of(pipe)]
    return wan.chunk_frames(v.frames, int(pipe.vae_scale_factor_temporal)), v.fps, v.steps


def still(path: Path, size: tuple[int, int]) -> str:
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:size[1], 0:size[0]]
    Image.fromarray(np.stack([x * 255 // size[0], y * 255 // size[1], np.full_like(x, 90)], -1).astype("uint8")).save(path)
    return str(path)


def bench(families: list[str], sizes: list[str], modes: list[str], steps: int, *, tiny: bool) -> list[dict[str, Any]]:
    import torch

    device = "cpu" if tiny else "cuda"
    dtype = torch.float32 if tiny else torch.bfloat16
    if tiny:  # the tiny models' own chunks (the tests shrink them the same way)
        ltx.NATIVE_FRAMES = 13
        wan.VARIANTS = {k: wan.Variant(64 * 64, 9, v.fps, v.steps) for k, v in wan.VARIANTS.items()}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for family in families:
            module, record, build, denoiser = FAMILIES[family]
            for mode in modes:
                t = time.perf_counter()
                if tiny:
                    pipe = tiny_pipeline(family, Path(tmp) / family)
                else:  # random init straight on the GPU, in the dtype the backend loads
                    pipe = build(torch.float16 if family in ("svd", "animatediff") else dtype, tokenizers(Path(tmp)),
                                 device)
                built = time.perf_counter() - t
                print(f"{family} ({mode}): built in {built:.0f} s: {params(pipe)}", flush=True)
                if mode == "compile":
                    setattr(pipe, denoiser, torch.compile(getattr(pipe, denoiser)))
                frames, fps, own_steps = chunk_of(family, pipe)
                with handed_over(pipe, family, mode, device) as (module, spec, cache):
                    for size in sizes:
                        w, h = SIZES[size] if not tiny else (64, 64)
                        size = size if not tiny else "64x64"
                        seconds = (frames - 2) / fps  # one chunk's worth at the model's fps
                        job = ClipJob(still(Path(tmp) / "still.png", (w, h)), "static", seconds, 24, (w, h),
                                      prompt="a lighthouse on a cliff, waves breaking", seed=1, steps=steps)
                        out = Path(tmp) / f"{family}-{mode}-{size}.mp4"
                        if mode == "compile":
                            run_once(module, spec, cache, job, out, device)  # compiles: not timed
                        r = run_once(module, spec, cache, job, out, device)
                        per_video_s = (r["per_step"] * own_steps + r["rest"]) / seconds
                        rows.append({"family": family, "mode": mode, "size": size, "frames": frames, "fps": fps,
                                     "steps": own_steps, **r, "s_per_video_s": per_video_s})
                        print(f"  {size}: {r['per_step']:.2f} s/step, rest {r['rest']:.1f} s, "
                              f"{per_video_s:.1f} s per s of video at {own_steps} steps, peak {r['vram']:.1f} GiB",
                              flush=True)
                del pipe
                if device == "cuda":
                    torch.cuda.empty_cache()
    return rows
