"""AI images with diffusers: SDXL, SDXL-Turbo and SD 1.5 text-to-image and image-to-image, LoRA,
style presets and character-consistent prompts.

    spec = registry_for(store).get("sdxl-turbo")
    w, h = native_size(spec, "16:9")
    prompt, negative = compose_prompt(scene, characters, "cinematic")
    generate(spec, ImageRequest(prompt, negative, width=w, height=h, seed=7), "scene1.png", size=(1280, 720))

Pipelines load through the model cache (`ModelCache.use`), so one model computes at a time and
stays resident between scenes. Per call, a LoRA is loaded, scaled, and unloaded again afterwards,
and the scheduler is a fresh instance: the cached pipeline is the same after a call as before it.
Progress is reported and cancel checked after every denoising step (`callback_on_step_end`).

IP-Adapter: an image record names its adapter record (`ModelSpec.ip_adapter`, e.g. SDXL ->
h94/IP-Adapter's sdxl_models). With a reference image (`ImageRequest.ip_image`) and the adapter
given to `generate`, it is loaded for that call (with its image encoder) and unloaded afterwards,
like a LoRA. Without an adapter the reference is skipped with a warning.

Requests, prompts, styles, native sizes and seeds (no torch) live in prompts.py and are
re-exported here. Nothing is imported from torch or diffusers at import time.
"""

from __future__ import annotations

import logging
import math
import tempfile
from pathlib import Path
from typing import Any, Callable

from ...errors import VidgenError
from ...media import atomic_output, check_cancel
from ...models import hub
from ...models.cache import ModelCache, get_cache
from ...models.registry import ModelSpec
from .files import _check_size, cover_fit, fit_user_image, open_image
from .job import ImageJob
from .prompts import (BACKENDS, DEFAULTS, MAX_SIDE, MIN_SIDE, SCHEDULERS, SD15, SDXL, SDXL_TURBO, STYLES_FILE,
                      ImageRequest, ModelDefaults, character_seed, check_lora_source, check_request, compose_prompt,
                      lora_source, model_defaults, native_size, styles)

log = logging.getLogger(__name__)


# --- loading ---------------------------------------------------------------------------------

def _variant(folder: Path) -> str | None:
    """"fp16" when the snapshot holds only fp16 weight files (what the registry downloads)."""
    unet = folder / "unet"
    if any(unet.glob("*.fp16.safetensors")) and not any(
            p for p in unet.glob("*.safetensors") if ".fp16." not in p.name):
        return "fp16"
    return None


def load_pipeline(spec: ModelSpec, device: str) -> Any:
    """The cache's loader for the diffusers image backends: from the local HF cache only."""
    import torch
    from diffusers import DiffusionPipeline

    folder = hub.local_path(spec)
    cuda = device.startswith("cuda")
    dtype = torch.float16 if cuda else torch.float32
    try:
        pipe = DiffusionPipeline.from_pretrained(str(folder), dtype=dtype, variant=_variant(folder),
                                                 local_files_only=True)
    except (OSError, ValueError) as exc:
        raise hub.load_failure(spec, exc, folder) from exc
    return hub.placed(pipe, spec, device, per="image")


def register_loaders(cache: ModelCache) -> None:
    """Give `cache` the diffusers image loaders, unless it has its own for those backends."""
    for backend in BACKENDS:
        if backend not in cache.loaders:
            cache.register_loader(backend, load_pipeline)



# --- generation ------------------------------------------------------------------------------

def _scheduler(pipe: Any, name: str) -> Any:
    """A fresh scheduler for this call (the cached pipeline's own is never stepped)."""
    import diffusers

    cls = getattr(diffusers, SCHEDULERS[name]) if name else type(pipe.scheduler)
    return cls.from_config(pipe.scheduler.config)


def _init_image(path: str, width: int, height: int) -> Any:
    from PIL import Image

    fitted = Path(path)
    im = open_image(fitted)
    try:
        if im.size == (width, height) and im.mode == "RGB":
            return im.copy()
    finally:
        im.close()
    # Cover-fit to the generation size in memory (fit_user_image writes a PNG: use a temp file).
    with tempfile.TemporaryDirectory() as tmp:
        out = fit_user_image(fitted, (width, height), Path(tmp) / "init.png")
        with Image.open(out) as done:
            return done.convert("RGB")


def _reference_image(path: str) -> Any:
    im = open_image(Path(path))
    try:
        return im.convert("RGB")
    finally:
        im.close()


def _load_ip_adapter(base: Any, adapter: Any, scale: float) -> None:
    """Load the adapter record's weights and image encoder (a sibling `image_encoder` folder) into `base`."""
    if getattr(adapter, "kind", "") != "adapter" or not adapter.weights:
        raise VidgenError(f"'{getattr(adapter, 'id', adapter)}' is not an IP-Adapter record.")
    folder = hub.local_path(adapter)
    weights = Path(adapter.weights)
    try:
        base.load_ip_adapter(str(folder), subfolder=str(weights.parent), weight_name=weights.name,
                             local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise hub.load_failure(adapter, exc, folder) from exc
    base.set_ip_adapter_scale(float(scale))


def _call_pipeline(base: Any, scheduler_name: str, *, img2img: bool) -> Any:
    """A pipeline over the cached one's components (made after LoRA/adapter loading, so it has the
    image encoder), with a fresh scheduler."""
    from diffusers import AutoPipelineForImage2Image

    scheduler = _scheduler(base, scheduler_name)
    if img2img:
        pipe = AutoPipelineForImage2Image.from_pipe(base, scheduler=scheduler)
    else:
        pipe = type(base).from_pipe(base, scheduler=scheduler)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def generate(spec: ModelSpec, request: ImageRequest, out_path: str | Path, *, size: tuple[int, int] | None = None,
             progress: Callable[[float], None] | None = None, cancel: Callable[[], None] | None = None,
             cache: ModelCache | None = None, ip_adapter: Any = None) -> Path:
    """Paint `request` with the diffusers model `spec` and write a PNG to `out_path` (cover-fitted
    to `size` when given, else the generation size). `progress(fraction)` after every denoising
    step; `cancel()` is called before loading and after every step and stops the job by raising.
    `ip_adapter` is the adapter record (`spec.ip_adapter`) that makes `request.ip_image` count."""
    defaults = model_defaults(spec)
    check_request(spec, request)
    if size is not None:
        size = _check_size(size)
    check_cancel(cancel)
    cache = cache or get_cache()
    register_loaders(cache)
    steps = request.steps or defaults.steps
    guidance = defaults.guidance if request.guidance is None else float(request.guidance)
    init = _init_image(request.init_image, request.width, request.height) if request.init_image else None
    if init is not None and int(steps * request.strength) < 1:
        # img2img runs int(steps * strength) steps: a Turbo's 2 steps at strength 0.3 would run none.
        steps = math.ceil(1 / request.strength)
        log.info("image-to-image at strength %.2f needs at least %d steps; using %d", request.strength, steps, steps)
    reference = None
    if request.ip_image and ip_adapter is None:
        log.warning("No IP-Adapter is configured for %s: the reference image %s is not used.",
                    spec.id, Path(request.ip_image).name)
    elif request.ip_image:
        reference = _reference_image(request.ip_image)

    import torch

    with cache.use(spec) as base:

        def on_step_end(p: Any, step: int, timestep: Any, kwargs: dict) -> dict:
            check_cancel(cancel)
            if progress is not None:
                total = max(1, int(getattr(p, "num_timesteps", 0) or steps))
                progress(min(1.0, (step + 1) / total))
            return kwargs

        args: dict[str, Any] = dict(
            prompt=request.prompt, negative_prompt=request.negative_prompt or None,
            num_inference_steps=steps, guidance_scale=guidance,
            generator=torch.Generator("cpu").manual_seed(int(request.seed)),
            callback_on_step_end=on_step_end, output_type="pil")
        if init is not None:
            args.update(image=init, strength=float(request.strength))
        else:
            args.update(width=request.width, height=request.height)
        names: list[str] = []
        adapted = False
        try:
            if reference is not None:
                _load_ip_adapter(base, ip_adapter, request.ip_scale)
                adapted = True
                args["ip_adapter_image"] = reference
            for i, (source, scale) in enumerate(request.loras):
                where, weight_name = lora_source(source)
                name = f"vidgen_lora_{i}"
                try:
                    base.load_lora_weights(where, weight_name=weight_name, adapter_name=name)
                except (OSError, ValueError, KeyError) as exc:
                    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
                    raise VidgenError(f"LoRA {source!r} cannot be loaded into {spec.name}: {first}.") from exc
                names.append(name)
            if names:
                base.set_adapters(names, adapter_weights=[float(s) for _, s in request.loras])
            pipe = _call_pipeline(base, request.scheduler, img2img=init is not None)
            with torch.inference_mode():
                image = pipe(**args).images[0]
        finally:
            if names:
                base.unload_lora_weights()
            if adapted:
                base.unload_ip_adapter()
    if image.mode != "RGB":
        image = image.convert("RGB")
    if size is not None:
        image = cover_fit(image, size)
    out = Path(out_path)
    with atomic_output(out, suffix=".png") as tmp:
        image.save(tmp, format="PNG", compress_level=1)
    return out


__all__ = ["ImageRequest", "ModelDefaults", "DEFAULTS", "SCHEDULERS", "styles", "compose_prompt", "native_size",
           "model_defaults", "character_seed", "check_lora_source", "check_request", "generate", "register_loaders",
           "load_pipeline", "BACKENDS", "STYLES_FILE", "MIN_SIDE", "MAX_SIDE", "SDXL", "SDXL_TURBO", "SD15"]


def generate_image(spec: ModelSpec, job: ImageJob, out_path: str | Path, *, progress: Callable[[float], None] | None = None,
                   cancel: Callable[[], None] | None = None) -> Path:
    """The image backend entry point (services/images/job.py): `job.request` cover-fitted to the frame."""
    return generate(spec, job.request, out_path, size=job.size, progress=progress, cancel=cancel,
                    ip_adapter=job.ip_adapter)
