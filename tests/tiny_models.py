"""Tiny random-weight diffusers pipelines (SD 1.5-style and SDXL-style) and a tiny LoRA, for tests.

Everything is built with the real diffusers/transformers classes from seeded tiny configs (diffusers'
`get_dummy_components()` pattern), so the service code runs exactly as it does on real weights, on the
CPU, in seconds. The pipelines make 64 px images: the two-block VAE downsamples by 2, so the UNet's
`sample_size` is 32.

    cache = make_hf_cache(tmp / "hub")                 # both pipelines in the HF cache layout
    monkeypatch.setenv("HF_HUB_CACHE", str(cache)); monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    spec = registry.add(SDXL_REPO, "image")            # a user model; backend diffusers-sdxl
    lora = save_tiny_lora(snapshot_dir(cache, SDXL_REPO), tmp / "lora", sdxl=True)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

COMMIT = "0123456789abcdef0123456789abcdef01234567"
SD_REPO = "tiny-org/tiny-sd"
SDXL_REPO = "tiny-org/tiny-sdxl"
SIZE = 64  # pixels the tiny pipelines are made for

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def offline_hub(mp: Any, cache: Path) -> None:
    """Point huggingface_hub at `cache` and keep it offline (the env, and the constant it read at import)."""
    from huggingface_hub import constants

    mp.setenv("HF_HUB_CACHE", str(cache))
    mp.setenv("HF_HUB_OFFLINE", "1")
    mp.setattr(constants, "HF_HUB_OFFLINE", True)


def cpu_model_cache(registry: Any) -> Any:
    """A model cache of its own on the CPU (1 GiB budget, its own GPU lane), resolving ids with `registry`."""
    from vidgen.jobs import GpuLane
    from vidgen.models.cache import ModelCache

    return ModelCache(resolve=registry.get, device="cpu", budget_bytes=1 << 30, lane=GpuLane())


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Tiny models run faster on one thread: the hand-offs cost more than the maths."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _tokenizer(folder: Path):
    """A CLIP tokenizer from a hand-written vocab (single letters) and an empty merges file."""
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, "!": 2}
    for ch in _LETTERS:
        vocab[ch] = len(vocab)
        vocab[ch + "</w>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer.from_pretrained(str(folder), model_max_length=77)


def _text_config(vocab_size: int, **kw):
    from transformers import CLIPTextConfig

    # bos/eos/pad ids must match the tokenizer's (eos is how the pooled output is found).
    return CLIPTextConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                          num_attention_heads=4, max_position_embeddings=77, projection_dim=32, bos_token_id=0,
                          eos_token_id=1, pad_token_id=1, **kw)


def _vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(32, 64),
                         down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
                         norm_num_groups=32, sample_size=SIZE)


def build_tiny_sd(scratch: Path):
    """A StableDiffusionPipeline with random weights (seeded)."""
    import torch
    from diffusers import DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel

    torch.manual_seed(0)
    tokenizer = _tokenizer(scratch / "tokenizer-sd")
    text_encoder = CLIPTextModel(_text_config(len(tokenizer)))
    unet = UNet2DConditionModel(
        sample_size=SIZE // 2, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32, attention_head_dim=8, norm_num_groups=32)
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False, steps_offset=1)
    return StableDiffusionPipeline(unet=unet, vae=_vae(), text_encoder=text_encoder, tokenizer=tokenizer,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)


def build_tiny_sdxl(scratch: Path):
    """A StableDiffusionXLPipeline with random weights (seeded): two text encoders, `text_time` embeddings."""
    import torch
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(0)
    tokenizer = _tokenizer(scratch / "tokenizer-sdxl")
    text_encoder = CLIPTextModel(_text_config(len(tokenizer)))
    text_encoder_2 = CLIPTextModelWithProjection(_text_config(len(tokenizer)))
    time_dim = 8
    unet = UNet2DConditionModel(
        sample_size=SIZE // 2, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4), use_linear_projection=True, norm_num_groups=32,
        addition_embed_type="text_time", addition_time_embed_dim=time_dim,
        transformer_layers_per_block=(1, 1),
        projection_class_embeddings_input_dim=6 * time_dim + text_encoder_2.config.projection_dim,
        cross_attention_dim=text_encoder.config.hidden_size + text_encoder_2.config.hidden_size)
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                       steps_offset=1, timestep_spacing="leading")
    return StableDiffusionXLPipeline(vae=_vae(), text_encoder=text_encoder, text_encoder_2=text_encoder_2,
                                     tokenizer=tokenizer, tokenizer_2=tokenizer, unet=unet, scheduler=scheduler,
                                     force_zeros_for_empty_prompt=True)


def commit_for(repo: str) -> str:
    """The commit a packaged record of `repo` pins (its tiny stand-in is saved under it), else COMMIT."""
    from vidgen.models.records import builtin_specs

    return next((s.revision for s in builtin_specs() if s.repo == repo and s.pinned), COMMIT)


def snapshot_dir(cache: Path, repo: str, commit: str = "") -> Path:
    return cache / f"models--{repo.replace('/', '--')}" / "snapshots" / (commit or commit_for(repo))


def save_in_hf_cache(pipe, cache: Path, repo: str, commit: str = "") -> Path:
    """Write `pipe` straight into a snapshot folder of an HF cache (no blobs) and point refs/main at it."""
    commit = commit or commit_for(repo)
    folder = snapshot_dir(cache, repo, commit)
    pipe.save_pretrained(str(folder), safe_serialization=True)
    refs = folder.parent.parent / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    (refs / "main").write_text(commit)
    return folder


def make_hf_cache(cache: Path, scratch: Path | None = None) -> Path:
    """An HF hub cache folder holding both tiny pipelines (SD_REPO and SDXL_REPO)."""
    scratch = scratch or cache.parent / "tiny-scratch"
    save_in_hf_cache(build_tiny_sd(scratch), cache, SD_REPO)
    save_in_hf_cache(build_tiny_sdxl(scratch), cache, SDXL_REPO)
    return cache


def save_tiny_lora(pipeline_dir: Path, out_dir: Path, *, sdxl: bool, rank: int = 4, seed: int = 1,
                   std: float = 0.5) -> Path:
    """A LoRA on the UNet's attention projections (to_q/k/v/out.0) of the pipeline saved in
    `pipeline_dir`, with random non-zero A and B, saved with `save_lora_weights`. Returns the
    `.safetensors` file."""
    import torch
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline, UNet2DConditionModel
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    unet = UNet2DConditionModel.from_pretrained(str(pipeline_dir), subfolder="unet")
    unet.add_adapter(LoraConfig(r=rank, lora_alpha=rank, init_lora_weights=False,
                                target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in unet.named_parameters():
            if "lora_" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * std)
    layers = get_peft_model_state_dict(unet)
    assert layers and all(v.abs().sum() > 0 for v in layers.values())
    cls = StableDiffusionXLPipeline if sdxl else StableDiffusionPipeline
    out_dir.mkdir(parents=True, exist_ok=True)
    cls.save_lora_weights(str(out_dir), unet_lora_layers=layers, safe_serialization=True)
    path = out_dir / "pytorch_lora_weights.safetensors"
    assert path.is_file()
    return path


IP_ADAPTER_REPO = "h94/IP-Adapter"  # the registry's record; the tiny adapter takes its place in a test cache
IP_ADAPTER_WEIGHTS = "sdxl_models/ip-adapter_sdxl.safetensors"


def save_tiny_ip_adapter(pipeline_dir: Path, cache: Path, *, weights: str = IP_ADAPTER_WEIGHTS, seed: int = 2) -> str:
    """An IP-Adapter for the UNet saved in `pipeline_dir`, in an HF cache where the registry's
    `ip-adapter-sdxl` record looks: `weights` (image projection + to_k_ip/to_v_ip per cross-attention,
    diffusers' own test recipe) and a tiny CLIP vision encoder in the sibling `image_encoder` folder.
    Returns `weights`."""
    import torch
    from diffusers import UNet2DConditionModel
    from diffusers.models.attention_processor import IPAdapterAttnProcessor
    from diffusers.models.embeddings import ImageProjection
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(seed)
    unet = UNet2DConditionModel.from_pretrained(str(pipeline_dir), subfolder="unet")
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4, image_size=32,
        patch_size=8, projection_dim=16))
    cross = unet.config.cross_attention_dim
    tensors: dict[str, torch.Tensor] = {}
    key = 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        if name.startswith("mid_block"):
            hidden = unet.config.block_out_channels[-1]
        elif name.startswith("up_blocks"):
            hidden = list(reversed(unet.config.block_out_channels))[int(name[len("up_blocks.")])]
        else:
            hidden = unet.config.block_out_channels[int(name[len("down_blocks.")])]
        sd = IPAdapterAttnProcessor(hidden_size=hidden, cross_attention_dim=cross, scale=1.0).state_dict()
        tensors[f"ip_adapter.{key}.to_k_ip.weight"] = sd["to_k_ip.0.weight"] * 8  # strong: the effect must show
        tensors[f"ip_adapter.{key}.to_v_ip.weight"] = sd["to_v_ip.0.weight"] * 8
        key += 2
    proj = ImageProjection(cross_attention_dim=cross, image_embed_dim=encoder.config.projection_dim,
                           num_image_text_embeds=4).state_dict()
    tensors.update({"image_proj.proj.weight": proj["image_embeds.weight"], "image_proj.proj.bias": proj["image_embeds.bias"],
                    "image_proj.norm.weight": proj["norm.weight"], "image_proj.norm.bias": proj["norm.bias"]})
    root = snapshot_dir(cache, IP_ADAPTER_REPO)
    folder = (root / weights).parent
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(root / weights))
    encoder.save_pretrained(str(folder / "image_encoder"), safe_serialization=True)
    refs = root.parent.parent / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    (refs / "main").write_text(root.name)
    return weights
