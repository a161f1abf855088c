"""What each scene's steps are asked to make: the AI image request and its seed, the cast and the
language of the voices, the camera moves, and the score's mood segments."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..domain import Project, Scene, SceneMedia
from ..models.registry import ModelSpec
from ..resolve import (animation_model, dominant_character, ip_adapter_for, is_ai_image_model, lora_path,
                       lora_revision, scene_characters, scene_style)
from ..services.animation import ClipJob, choose_motion
from ..services.assembly import scene_starts
from ..services.images import diffusion
from ..store import Store
from .keys import clip_key, step_key, user_clip_key

CLIP_PRESET, CLIP_CRF = "ultrafast", 15  # intermediate scene clips: fast, near-lossless
SCENE_SEED_STRIDE = 7919  # a prime: scene n of seed s never shares scene m's seed of the same project


def image_plan(store: Store, project: Project, scene: Scene, spec: ModelSpec) -> tuple[Any, str] | None:
    """(ImageRequest, step key) when an AI model makes this scene's picture; None when the
    built-in path does (the painter, or the user's own picture used as it is)."""
    if not is_ai_image_model(spec):
        return None
    if scene.image and scene.image_strength <= 0:
        return None  # the user's picture as it is: no AI involved
    if scene.clip and not scene.image:
        return None  # the user's clip: its own first frame
    s = project.settings
    style = scene_style(project, scene)
    prompt, negative = diffusion.compose_prompt(scene, scene_characters(project, scene), style)
    negative = ", ".join(p for p in (negative.strip(), s.negative_prompt.strip()) if p)
    lead = dominant_character(project, scene)
    if lead is not None:
        seed = diffusion.character_seed(lead, s.seed)  # the character's own seed when set
    else:
        seed = (s.seed + SCENE_SEED_STRIDE * scene.variant) % 2**32
    width, height = diffusion.native_size(spec, s.aspect)
    fields: dict[str, Any] = {"prompt": prompt, "negative_prompt": negative, "width": width, "height": height,
                              "seed": seed, "steps": s.image_steps or None, "guidance": s.image_guidance,
                              "scheduler": s.scheduler,
                              "loras": [(lora_path(store, lo.source), lo.scale) for lo in s.loras]}
    # a LoRA record adds its file's hash: another file under the same id is another picture
    inputs: dict[str, Any] = {"loras": [(lo.source, lo.scale) + ((r,) if (r := lora_revision(store, lo.source)) else ())
                                        for lo in s.loras]}
    if scene.image and scene.image_strength > 0:
        fields.update(init_image=str(store.asset_path(scene.image)), strength=min(1.0, scene.image_strength))
        inputs["init_image"] = scene.image
    if lead is not None and lead.reference and spec.ip_adapter:
        fields.update(ip_image=str(store.asset_path(lead.reference)), ip_scale=s.reference_scale)
        inputs["ip_image"] = lead.reference
        inputs["ip_adapter"] = ip_adapter_for(store, spec).revision  # its exact files
    request = diffusion.ImageRequest(**fields)
    # the key names the pictures by asset id (content hash), not by their path in this data folder
    keyed = {**asdict(request), **inputs}
    key = step_key("image", backend="diffusion", model=spec.id, repo=spec.repo, revision=spec.revision,
                   request=keyed, size=s.size)
    return request, key


def scene_motions(project: Project) -> list[str]:
    """The camera move of every scene (an automatic pick avoids repeating the previous scene's)."""
    out: list[str] = []
    for scene in project.scenes:
        out.append(choose_motion(scene, out[-1] if out else None, seed=project.settings.seed))
    return out


def music_segments(project: Project, clips: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """(mood, seconds) runs of the film's timeline: consecutive scenes of one mood share a piece, and
    the lengths add up to the film's (scenes overlap by their transitions)."""
    s = project.settings
    media = [SceneMedia(clip="", duration=c["duration"], transition=scene.transition or s.transition)
             for scene, c in zip(project.scenes, clips)]
    starts = scene_starts(media, s.transition_seconds)
    ends = starts[1:] + [starts[-1] + media[-1].duration]
    segments: list[tuple[str, float]] = []
    for scene, start, end in zip(project.scenes, starts, ends):
        if segments and segments[-1][0] == scene.mood:
            segments[-1] = (scene.mood, segments[-1][1] + end - start)
        else:
            segments.append((scene.mood, end - start))
    return [(mood, round(seconds, 3)) for mood, seconds in segments]


def clip_plan(store: Store, project: Project, scene: Scene, image_id: str, motion: str,
              duration: float) -> tuple[ModelSpec, ClipJob, str]:
    """(animation model, ClipJob, step key) of a scene's clip: the camera over the still (its move or
    the scene's custom path), or an image-to-video model from the picture and the scene's prompt."""
    s = project.settings
    spec = animation_model(store, project, scene)
    if scene.clip:  # the user's video, looped or cut to length (steps.clip fits it), the camera on top
        # only where the user chose a move: the automatic pick was made for a still
        job = ClipJob("", scene.motion, duration, s.fps, s.size, CLIP_PRESET, CLIP_CRF, path=list(scene.camera_path))
        return spec, job, user_clip_key(project, scene, duration)
    job = ClipJob(str(store.asset_path(image_id)), motion, duration, s.fps, s.size, CLIP_PRESET, CLIP_CRF)
    base = {"image": image_id, "duration": duration, "fps": s.fps, "size": s.size}
    if spec.backend == "camera":
        job.path, job.motion_blur = list(scene.camera_path), s.motion_blur
        extra: dict[str, Any] = {}  # set only when used, so older keys stay what they were
        if job.path:
            extra["path"] = [asdict(k) for k in job.path]
        if job.motion_blur:
            extra["blur"] = True
        return spec, job, clip_key(project, image_id, motion, duration, **extra)
    job.prompt, job.negative = diffusion.compose_prompt(scene, scene_characters(project, scene),
                                                        scene_style(project, scene))
    job.seed = (s.seed + SCENE_SEED_STRIDE * scene.variant) % 2**32
    job.strength, job.steps, job.stabilize = s.animation_strength, s.animation_steps, s.stabilize
    return spec, job, step_key("animation", backend=spec.backend, model=spec.id, revision=spec.revision,
                               prompt=job.prompt, negative=job.negative, seed=job.seed, strength=job.strength,
                               steps=job.steps, stabilize=job.stabilize, **base)
