"""AI images with diffusers: SDXL, SDXL-Turbo and SD 1.5 text-to-image and image-to-image, LoRA,
style presets and character-consistent prompts.

    spec = Registry().get("sdxl-turbo")
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

Nothing is imported from torch or diffusers at import time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from ...domain import ASPECTS, Character, Scene
from ...errors import VidgenError
from ...media import atomic_output, check_cancel
from ...models import hub
from ...models.cache import ModelCache, get_cache

log = logging.getLogger(__name__)

BACKENDS = ("diffusers-sdxl", "diffusers-sd")
STYLES_FILE = Path(__file__).with_name("styles.json")
SCHEDULERS = {  # name -> diffusers class name; "" keeps the model's own
    "euler": "EulerDiscreteScheduler",
    "euler_a": "EulerAncestralDiscreteScheduler",
    "dpm++": "DPMSolverMultistepScheduler",
    "ddim": "DDIMScheduler",
}
MIN_SIDE, MAX_SIDE = 64, 2048


@dataclass(frozen=True)
class ModelDefaults:
    steps: int
    guidance: float
    base: int  # side of the model's native square image
    sizes: dict[str, tuple[int, int]]  # aspect -> native (width, height)


_SDXL_SIZES = {"1:1": (1024, 1024), "16:9": (1344, 768), "9:16": (768, 1344)}
_512_SIZES = {"1:1": (512, 512), "16:9": (768, 448), "9:16": (448, 768)}  # multiples of 64, ~16:9
SDXL = ModelDefaults(steps=30, guidance=7.0, base=1024, sizes=_SDXL_SIZES)
SDXL_TURBO = ModelDefaults(steps=2, guidance=0.0, base=512, sizes=_512_SIZES)
SD15 = ModelDefaults(steps=25, guidance=7.5, base=512, sizes=_512_SIZES)
# Keyed by (backend, repo); a repo not listed gets its backend's entry under repo "".
DEFAULTS: dict[tuple[str, str], ModelDefaults] = {
    ("diffusers-sdxl", ""): SDXL,
    ("diffusers-sdxl", "stabilityai/stable-diffusion-xl-base-1.0"): SDXL,
    ("diffusers-sdxl", "stabilityai/sdxl-turbo"): SDXL_TURBO,
    ("diffusers-sd", ""): SD15,
    ("diffusers-sd", "stable-diffusion-v1-5/stable-diffusion-v1-5"): SD15,
}


@dataclass
class ImageRequest:
    prompt: str
    negative_prompt: str = ""
    width: int = 1024  # generation size (native to the model), see native_size
    height: int = 1024
    seed: int = 0
    steps: int | None = None  # None: the model's default (SDXL-Turbo 2, SDXL base 30, SD 1.5 25)
    guidance: float | None = None  # None: the model's default (Turbo 0.0, SDXL 7.0, SD 1.5 7.5)
    scheduler: str = ""  # "" default | "euler" | "euler_a" | "dpm++" | "ddim"
    init_image: str = ""  # path: img2img from it
    strength: float = 0.6  # img2img strength (0..1]
    loras: list[tuple[str, float]] = field(default_factory=list)  # (hub repo id or local .safetensors, scale)
    ip_image: str = ""  # reference image for the IP-Adapter (a character's picture)
    ip_scale: float = 0.6  # how strongly the reference conditions the image (0..1)


# --- prompts, styles, sizes, seeds -----------------------------------------------------------

@lru_cache(maxsize=1)
def _styles() -> dict[str, dict[str, str]]:
    try:
        data = json.loads(STYLES_FILE.read_text(encoding="utf-8"))["styles"]
    except (OSError, ValueError, KeyError) as exc:
        raise VidgenError(f"The style presets {STYLES_FILE} cannot be read ({exc}): reinstall vidgen.") from exc
    for name, style in data.items():
        if "{prompt}" not in style.get("prompt", "") or not isinstance(style.get("negative", ""), str):
            raise VidgenError(f"Style '{name}' in {STYLES_FILE.name} needs a prompt with {{prompt}} and a negative.")
    return data


def styles() -> dict[str, dict]:
    """Style presets by name: {"prompt": "... {prompt} ...", "negative": "..."} (a copy)."""
    return {name: dict(s) for name, s in _styles().items()}


def _style(name: str) -> dict[str, str]:
    known = _styles()
    if name not in known:
        raise VidgenError(f"Unknown style {name!r}: use one of {', '.join(known)}.")
    return known[name]


def compose_prompt(scene: Scene, characters: list[Character], style: str = "") -> tuple[str, str]:
    """(prompt, negative): the scene's visual description, then the sheet (description) of each
    character in the scene, wrapped in the style's template; the negative is the style's."""
    present = {n.strip().lower() for n in scene.characters}
    parts = [(scene.visual or scene.heading or scene.location).strip().rstrip(".")]
    for c in characters:
        if c.name.strip().lower() in present and c.description.strip():
            parts.append(f"{c.name}: {c.description.strip().rstrip('.')}")
    prompt = ". ".join(p for p in parts if p)
    if not style:
        return prompt, ""
    s = _style(style)
    return s["prompt"].replace("{prompt}", prompt), s.get("negative", "")


def model_defaults(spec: Any) -> ModelDefaults:
    """Steps, guidance and native sizes for a model, by backend and repo."""
    if spec.backend not in BACKENDS:
        raise VidgenError(f"Model '{spec.id}' runs on '{spec.backend}', not a diffusers image backend "
                          f"({', '.join(BACKENDS)}).")
    found = DEFAULTS.get((spec.backend, spec.repo))
    if found is None and spec.backend == "diffusers-sdxl" and "turbo" in spec.repo.lower():
        found = SDXL_TURBO  # a user-added Turbo fine-tune: few steps, no guidance
    return found or DEFAULTS[(spec.backend, "")]


def native_size(spec: Any, aspect: str) -> tuple[int, int]:
    """The model's native (width, height) for an aspect ratio ("16:9", "9:16", "1:1")."""
    sizes = model_defaults(spec).sizes
    if aspect not in sizes:
        raise VidgenError(f"Unknown aspect {aspect!r}: use one of {', '.join(ASPECTS)}.")
    return sizes[aspect]


def character_seed(character: Character, base_seed: int) -> int:
    """The character's fixed seed: its own `seed` when set, else a stable hash of name + base seed."""
    own = getattr(character, "seed", None)
    if own is not None:
        return int(own)
    digest = hashlib.sha256(f"{character.name.strip().lower()}|{int(base_seed)}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


# --- loading ---------------------------------------------------------------------------------

def _variant(folder: Path) -> str | None:
    """"fp16" when the snapshot holds only fp16 weight files (what the registry downloads)."""
    unet = folder / "unet"
    if any(unet.glob("*.fp16.safetensors")) and not any(
            p for p in unet.glob("*.safetensors") if ".fp16." not in p.name):
        return "fp16"
    return None


def load_pipeline(spec: Any, device: str) -> Any:
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
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise VidgenError(f"{spec.name} ({spec.repo}) cannot be loaded from {folder}: {first}; "
                          f"run `python -m vidgen models download {spec.id}` again.") from exc
    pipe.set_progress_bar_config(disable=True)
    if device == "cpu":
        log.warning("%s runs on the CPU: expect minutes per image; a CUDA GPU with %.0f GB VRAM is recommended.",
                    spec.name, spec.vram_gb)
        return pipe
    if cuda and hub.compatibility(spec)["status"] == "offload":
        log.warning("%s: not enough free VRAM, using CPU offload (slower).", spec.name)
        pipe.enable_model_cpu_offload(device=device)
        return pipe
    return pipe.to(device)


def register_loaders(cache: ModelCache) -> None:
    """Give `cache` the diffusers image loaders, unless it has its own for those backends."""
    for backend in BACKENDS:
        if backend not in cache.loaders:
            cache.register_loader(backend, load_pipeline)


# --- generation ------------------------------------------------------------------------------

def _check(spec: Any, request: ImageRequest) -> None:
    for name in ("width", "height"):
        v = getattr(request, name)
        if not isinstance(v, int) or not MIN_SIDE <= v <= MAX_SIDE or v % 8:
            raise VidgenError(f"Image {name} must be a multiple of 8 from {MIN_SIDE} to {MAX_SIDE}, not {v!r}.")
    if request.steps is not None and not 1 <= request.steps <= 200:
        raise VidgenError(f"steps must be 1 to 200, not {request.steps!r}.")
    if request.guidance is not None and not 0.0 <= request.guidance <= 30.0:
        raise VidgenError(f"guidance must be 0 to 30, not {request.guidance!r}.")
    if request.scheduler and request.scheduler not in SCHEDULERS:
        raise VidgenError(f"Unknown scheduler {request.scheduler!r}: use one of {', '.join(SCHEDULERS)} "
                          "(or leave it empty for the model's own).")
    if request.ip_image and not 0.0 <= request.ip_scale <= 1.0:
        raise VidgenError(f"The reference image scale must be 0 to 1, not {request.ip_scale!r}.")
    if request.init_image and not 0.0 < request.strength <= 1.0:
        raise VidgenError(f"Image-to-image strength must be above 0 and at most 1, not {request.strength!r}.")
    if not request.prompt.strip():
        raise VidgenError("The image prompt is empty: describe what the picture shows.")
    for source, scale in request.loras:
        if not isinstance(scale, (int, float)) or not -4.0 <= scale <= 4.0:
            raise VidgenError(f"LoRA {source!r}: scale must be a number from -4 to 4, not {scale!r}.")
        _lora_source(source)


def check_lora_source(source: str) -> None:
    """VidgenError unless `source` names a LoRA that load_lora_weights can take."""
    _lora_source(source)


_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _lora_source(source: str) -> tuple[str, str | None]:
    """(what load_lora_weights takes, weight_name): a local .safetensors file, a hub repo id, or
    "owner/name/file.safetensors" for one file of a hub repo."""
    p = Path(source).expanduser()
    if p.is_file():
        if p.suffix != ".safetensors":
            raise VidgenError(f"LoRA {p.name} is not a .safetensors file.")
        return str(p.parent), p.name
    if _REPO.match(source):
        return source, None
    parts = source.split("/")
    if len(parts) >= 3 and source.endswith(".safetensors") and _REPO.match("/".join(parts[:2])):
        return "/".join(parts[:2]), "/".join(parts[2:])
    raise VidgenError(f"LoRA {source!r} is neither a local .safetensors file nor a hub repo id (owner/name).")


def _scheduler(pipe: Any, name: str) -> Any:
    """A fresh scheduler for this call (the cached pipeline's own is never stepped)."""
    import diffusers

    cls = getattr(diffusers, SCHEDULERS[name]) if name else type(pipe.scheduler)
    return cls.from_config(pipe.scheduler.config)


def _init_image(path: str, width: int, height: int) -> Any:
    from PIL import Image

    from .files import fit_user_image, open_image

    fitted = Path(path)
    im = open_image(fitted)
    try:
        if im.size == (width, height) and im.mode == "RGB":
            return im.copy()
    finally:
        im.close()
    # Cover-fit to the generation size in memory (fit_user_image writes a PNG: use a temp file).
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = fit_user_image(fitted, (width, height), Path(tmp) / "init.png")
        with Image.open(out) as done:
            return done.convert("RGB")


def _reference_image(path: str) -> Any:
    from .files import open_image

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
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise VidgenError(f"{adapter.name} cannot be loaded from {folder}: {first}; run "
                          f"`python -m vidgen models download {adapter.id}` again.") from exc
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


def generate(spec: Any, request: ImageRequest, out_path: str | Path, *, size: tuple[int, int] | None = None,
             progress: Callable[[float], None] | None = None, cancel: Callable[[], None] | None = None,
             cache: ModelCache | None = None, ip_adapter: Any = None) -> Path:
    """Paint `request` with the diffusers model `spec` and write a PNG to `out_path` (cover-fitted
    to `size` when given, else the generation size). `progress(fraction)` after every denoising
    step; `cancel()` is called before loading and after every step and stops the job by raising.
    `ip_adapter` is the adapter record (`spec.ip_adapter`) that makes `request.ip_image` count."""
    defaults = model_defaults(spec)
    _check(spec, request)
    if size is not None:
        from .files import _check_size

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
                where, weight_name = _lora_source(source)
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
        from .files import cover_fit

        image = cover_fit(image, size)
    out = Path(out_path)
    with atomic_output(out, suffix=".png") as tmp:
        image.save(tmp, format="PNG", compress_level=1)
    return out


__all__ = ["ImageRequest", "ModelDefaults", "DEFAULTS", "SCHEDULERS", "styles", "compose_prompt", "native_size",
           "model_defaults", "character_seed", "generate", "register_loaders", "load_pipeline"]
