"""A tiny random-weight Stable Video Diffusion pipeline, for tests.

Built with the real classes from seeded tiny configs (diffusers' own SVD test recipe): a
spatio-temporal UNet, a temporal-decoder VAE, a CLIP vision encoder with projection and its image
processor, an Euler scheduler. The two-block VAE downsamples by 2, so a 32 px frame is 16 latents
(the UNet's `sample_size`); the UNet's `num_frames` (FRAMES) is what one chunk makes.

    save_tiny_svd(cache)                          # the registry's svd-xt repo, fp16 file names
    save_tiny_svd(cache, "tiny-org/tiny-svd")     # any repo
    with offline_video_models(tmp_path_factory, save_tiny_svd, "svd-xt") as (spec, stills): ...
    clip_frames(path)                             # a clip's frames, decoded
    with log_lines(svd.__name__) as lines: ...    # what a backend logs
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest

from . import tiny_models as tm
from .tiny_models import save_in_hf_cache

GiB = 1 << 30
# A roomy CPU box for hub.device_info: the records' compatibility check says "cpu" on any machine
ROOMY = {"device": "cpu", "name": "test", "vram_total": 0, "vram_free": 0, "ram_total": 256 * GiB,
         "ram_free": 256 * GiB, "disk_free": 1 << 40}

REPO = "stabilityai/stable-video-diffusion-img2vid-xt"  # the registry's svd-xt record
SIZE = 32  # pixels the tiny pipeline is made for
FRAMES = 8  # frames per chunk (the UNet's num_frames)


def build_tiny_svd():
    """A StableVideoDiffusionPipeline with random weights (seeded)."""
    import torch
    from diffusers import (AutoencoderKLTemporalDecoder, EulerDiscreteScheduler, StableVideoDiffusionPipeline,
                           UNetSpatioTemporalConditionModel)
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    time_dim = 32
    unet = UNetSpatioTemporalConditionModel(
        sample_size=SIZE // 2, in_channels=8, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
        cross_attention_dim=32, num_attention_heads=8, addition_time_embed_dim=time_dim,
        projection_class_embeddings_input_dim=3 * time_dim, num_frames=FRAMES)  # (fps, motion bucket, noise aug)
    vae = AutoencoderKLTemporalDecoder(block_out_channels=(32, 64), in_channels=3, out_channels=3,
                                       down_block_types=("DownEncoderBlock2D",) * 2, latent_channels=4)
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=32, projection_dim=32, num_hidden_layers=2, num_attention_heads=4, image_size=224,
        intermediate_size=37, patch_size=32))  # the pipeline resizes to 224 itself
    scheduler = EulerDiscreteScheduler(
        beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, interpolation_type="linear",
        num_train_timesteps=1000, prediction_type="v_prediction", sigma_max=700.0, sigma_min=0.002,
        steps_offset=1, timestep_spacing="leading", timestep_type="continuous", use_karras_sigmas=True)
    return StableVideoDiffusionPipeline(vae=vae, image_encoder=encoder, unet=unet, scheduler=scheduler,
                                        feature_extractor=CLIPImageProcessor(crop_size=224, size=224))


def save_tiny_svd(cache: Path, repo: str = REPO, *, fp16_names: bool = True) -> Path:
    """The tiny pipeline in an HF cache snapshot of `repo`. With `fp16_names` its weights are named
    as the registry's allow_patterns expect (`*.fp16.safetensors`, as the real repo's fp16 variant);
    they stay float32 inside, so the CPU runs them as they are."""
    pipe = build_tiny_svd()
    folder = save_in_hf_cache(pipe, cache, repo)
    if fp16_names:
        for weights in folder.glob("*/*.safetensors"):
            weights.rename(weights.with_name(weights.name.replace(".safetensors", ".fp16.safetensors")))
    return folder


@contextlib.contextmanager
def offline_video_models(tmp_path_factory: Any, save: Callable[[Path], Any],
                         model_id: str) -> Iterator[tuple[Any, dict[str, str]]]:
    """`save(hf_cache)`'s tiny models in an offline HF cache on a roomy CPU box, one big-budget CPU model
    cache installed as the process's (make_clip uses it), one torch thread: yields (the registry's
    record `model_id`, two different stills {"a": a warm gradient, "b": white stripes on black})."""
    from PIL import Image

    from vidgen.config import Settings
    from vidgen.jobs import GpuLane
    from vidgen.models import cache as cache_mod
    from vidgen.models import hub
    from vidgen.models.cache import ModelCache
    from vidgen.models.registry import Registry
    from vidgen.store import Store

    hf = tmp_path_factory.mktemp("hf") / "hub"
    save(hf)
    mp = pytest.MonkeyPatch()
    tm.offline_hub(mp, hf)
    mp.setattr(hub, "device_info", lambda: dict(ROOMY))
    registry = Registry(Store(Settings.from_env(tmp_path_factory.mktemp("data"))))
    # A record's vram_gb (SVD: 10) is the cache's first estimate: a budget that admits it.
    mp.setattr(cache_mod, "_cache", ModelCache(resolve=registry.get, device="cpu", budget_bytes=64 * GiB,
                                               lane=GpuLane()))
    folder = tmp_path_factory.mktemp("stills")
    y, x = np.mgrid[0:96, 0:128]
    a = np.stack([x * 2, y * 2, np.full_like(x, 60)], -1).astype(np.uint8)
    b = np.zeros_like(a)
    b[::16] = 255
    stills = {}
    for name, px in (("a", a), ("b", b)):
        stills[name] = str(folder / f"{name}.png")
        Image.fromarray(px).save(stills[name])
    try:
        with tm.one_torch_thread():
            yield registry.get(model_id), stills
    finally:
        mp.undo()


@contextlib.contextmanager
def log_lines(name: str) -> Iterator[list[str]]:
    """The INFO messages logger `name` gives inside the block (the list fills as they come)."""
    import logging

    lines: list[str] = []

    class Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler, logger = Lines(logging.INFO), logging.getLogger(name)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def clip_frames(path: Path) -> np.ndarray:
    """A clip's frames (N x H x W x 3, int16 for differences)."""
    import av

    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(np.int16)
