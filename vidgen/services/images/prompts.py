"""What a diffusers image request is made of, without torch or diffusers: the request type, style
presets (styles.json), prompts, each model's native sizes and defaults, character seeds, and the
checks of a request (LoRA sources, schedulers, ranges). Re-exported by diffusion.py."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from pathlib import Path

from ...domain import ASPECTS, Character, Scene
from ...errors import VidgenError
from ...models.registry import ModelSpec

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


_WHEN = {"dawn": "at dawn", "day": "in daylight", "dusk": "at dusk", "night": "at night"}
_WEATHER = {"clear": "under a clear sky", "cloudy": "under a cloudy sky", "rain": "in the rain",
            "storm": "in a storm", "snow": "in the snow", "fog": "in fog", "wind": "on a windy day"}


def _clean(text: str) -> str:
    return " ".join(text.split()).strip().rstrip(".")


def character_sheet(c: Character) -> str:
    """One description of a character, the same in every picture: name, age, appearance, clothing."""
    parts = [c.name.strip(), _clean(c.age), _clean(c.description)]
    if c.clothing.strip():
        parts.append(f"wearing {_clean(c.clothing)}")
    return ", ".join(p for p in parts if p)


_ACTING = {"stand": "standing", "walk": "walking", "run": "running", "sit": "sitting", "talk": "talking"}
_COUNT = ("", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


def _people_and_things(plan: Any, present: set[str]) -> str:
    """The plan's unnamed figures ("two children running") and props ("a boat, a gull") in words;
    named figures are described by their character sheets."""
    groups: dict[tuple[str, str], int] = {}
    for f in plan.figures:
        if not f.name.strip() or f.name.strip().lower() not in present:
            groups[(f.age, f.action)] = groups.get((f.age, f.action), 0) + 1
    words = []
    for (age, action), n in groups.items():
        noun = ("child" if n == 1 else "children") if age == "child" else ("person" if n == 1 else "people")
        words.append(f"{'a' if n == 1 else _COUNT[min(n, 12)]} {noun} {_ACTING.get(action, '')}".strip())
    words += [f"a {prop}" for prop in plan.props[:6]]
    return ", ".join(words)


def compose_prompt(scene: Scene, characters: list[Character], style: str = "") -> tuple[str, str]:
    """(prompt, negative) from the scene's structured description, most important first (CLIP reads
    77 tokens): the framing and subject, each character in the scene (their fixed sheet), where,
    when and the weather; wrapped in the style's template, whose negative it returns. The heading is
    used only when nothing else describes the scene."""
    subject = _clean(scene.visual) or _clean(scene.location) or _clean(scene.heading)
    if scene.shot:
        subject = f"{scene.shot} shot, {subject}" if subject else f"{scene.shot} shot"
    parts = [subject]
    present = {n.strip().lower() for n in scene.characters}
    parts += [character_sheet(c) for c in characters if c.name.strip().lower() in present
              and (c.description.strip() or c.age.strip() or c.clothing.strip())]
    plan = scene.plan
    parts.append(_people_and_things(plan, present))
    where = _clean(scene.location) or plan.place
    setting = []
    if where and where.lower() not in subject.lower():
        setting.append(where)
    if scene.interior is not None:
        setting.append("interior" if scene.interior else "exterior")
    setting += [_WHEN.get(scene.time_of_day, ""), _WEATHER.get(scene.weather, ""),
                f"in {plan.season}" if plan.season else ""]
    setting += [f"{light} light" for light in plan.lights[:3]]
    parts.append(", ".join(p for p in setting if p))
    prompt = ". ".join(p for p in parts if p)
    if not style:
        return prompt, ""
    s = _style(style)
    return s["prompt"].replace("{prompt}", prompt), s.get("negative", "")


def model_defaults(spec: ModelSpec) -> ModelDefaults:
    """Steps, guidance and native sizes for a model, by backend and repo."""
    if spec.backend not in BACKENDS:
        raise VidgenError(f"Model '{spec.id}' runs on '{spec.backend}', not a diffusers image backend "
                          f"({', '.join(BACKENDS)}).")
    found = DEFAULTS.get((spec.backend, spec.repo))
    if found is None and spec.backend == "diffusers-sdxl" and "turbo" in spec.repo.lower():
        found = SDXL_TURBO  # a user-added Turbo fine-tune: few steps, no guidance
    return found or DEFAULTS[(spec.backend, "")]


def native_size(spec: ModelSpec, aspect: str) -> tuple[int, int]:
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


# --- checks ----------------------------------------------------------------------------------

def check_request(spec: ModelSpec, request: ImageRequest) -> None:
    """VidgenError naming what to fix in `request` (sizes, steps, guidance, scheduler, scales, LoRAs)."""
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
        lora_source(source)


def check_lora_source(source: str) -> None:
    """VidgenError unless `source` names a LoRA that load_lora_weights can take."""
    lora_source(source)


_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")


def lora_source(source: str) -> tuple[str, str | None]:
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



__all__ = ["BACKENDS", "STYLES_FILE", "SCHEDULERS", "MIN_SIDE", "MAX_SIDE", "ModelDefaults", "SDXL", "SDXL_TURBO",
           "SD15", "DEFAULTS", "ImageRequest", "styles", "compose_prompt", "character_sheet", "model_defaults", "native_size",
           "character_seed", "check_request", "check_lora_source", "lora_source"]
