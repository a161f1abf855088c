"""Every rule a project's settings must meet, in one place (diffusers' `check_inputs`).

- `check_settings(settings)`: the settings alone (the table's choices and ranges, the language code,
  the style, scheduler, genre and key names, LoRA sources and scales, the negative prompt's length).
- `check_saved(store, settings)`: what may be saved in a project: also the voices and models it
  names exist and are of the right kind, and the files it names are stored assets of the right type.
- `check_render(store, project, ...)`: what a render needs before any work: also every voice is
  usable, every AI model the scenes use runs on this machine and is downloaded (with its
  IP-Adapter where a character has a reference picture), and the music model can take the settings.

The CLI, the studio and the render worker all call these, so a mistake reads the same everywhere;
each message names the setting and what to do.
"""

from __future__ import annotations

import logging
import tempfile
from typing import Callable

from . import resolve
from .domain import MAX_FILM_MINUTES, MAX_SCENE_MINUTES, WORDS_PER_SECOND, Character, Project, RenderSettings, Scene
from .errors import VidgenError
from .finishing import finish_of
from .models import hub
from .models.registry import ModelSpec, registry_for
from .render_settings import MAX_PROMPT
from .services.assembly.watermark import stage_watermark
from .services.delivery import encoders
from .services.images import diffusion
from .services.music import composer
from .services.voice import NO_VOICE, check_voice, check_voices
from .services.voice.choice import notes as choice_notes
from .services.voice.engines import is_file_voice
from .services.voice.language import check_language, guess_language
from .services.voice.prosody import strip_markup
from .store import Store

log = logging.getLogger(__name__)

Warn = Callable[[str], None]
IMAGE_BACKENDS = ("diffusers-sdxl", "diffusers-sd")


def check_settings(s: RenderSettings) -> RenderSettings:
    """The settings on their own; returns them."""
    s.validate()
    check_language(s.language)
    if len(s.negative_prompt) > MAX_PROMPT:
        raise VidgenError(f"The negative prompt is {len(s.negative_prompt)} characters long: use at most {MAX_PROMPT}.")
    if s.style:
        check_style(s.style)
    if s.scheduler and s.scheduler not in diffusion.SCHEDULERS:
        raise VidgenError(f"Unknown scheduler {s.scheduler!r}: use one of {', '.join(diffusion.SCHEDULERS)} "
                          "(or leave it empty for the model's own).")
    if s.music_genre and s.music_genre not in composer.GENRES:
        raise VidgenError(f"Unknown music genre {s.music_genre!r}: use one of {', '.join(composer.GENRES)} "
                          "(or empty to choose from the moods).")
    if s.music_key:
        composer.parse_key(s.music_key)
    for lora in s.loras:  # a record id is looked up with the store (check_render)
        if not (resolve.ASSET_ID.match(lora.source) or resolve.MODEL_ID.match(lora.source)
                or resolve.is_server_path(lora.source)):
            diffusion.check_lora_source(lora.source)
    return s


def check_style(style: str) -> None:
    names = sorted(diffusion.styles())
    if style and style not in names:
        raise VidgenError(f"Unknown style {style!r}: use one of {', '.join(names)} (or none).")


def check_saved(store: Store, s: RenderSettings) -> RenderSettings:
    """What a project may keep: the settings, and the voices, models and files they name."""
    registry = registry_for(store)
    check_settings(s)
    check_voice(s.voice, registry)
    if s.narrator.model:
        check_voice(s.narrator.model, registry)
    if s.image_model:
        resolve.model_of_kind(registry, s.image_model, "image")
    if s.music_model:
        resolve.model_of_kind(registry, s.music_model, "music")
    if s.animation_model:
        resolve.model_of_kind(registry, s.animation_model, "animation").check_runs()
    if s.lipsync_model not in ("", "none"):
        resolve.model_of_kind(registry, s.lipsync_model, "lipsync").check_runs()
    if s.sfx_model:
        resolve.model_of_kind(registry, s.sfx_model, "sfx").check_runs()
    resolve.parser_tag(store, s.parser)  # rules, ollama:TAG or an LLM record
    finish = finish_of(store, s)  # a bad caption colour, font, LUT or logo: one line, when it is set
    if finish.watermark is not None and finish.watermark.image:
        with tempfile.TemporaryDirectory(prefix="vidgen-check-") as d:
            stage_watermark(finish.watermark, d)  # a readable image of a bounded size
    if s.music_source not in ("auto", "none"):
        asset = store.get_asset(s.music)
        if asset.type != "audio":
            raise VidgenError(f"The music {s.music!r} is a {asset.type} file, not audio: upload a music file.")
    for lora in s.loras:
        if resolve.ASSET_ID.match(lora.source):
            store.get_asset(lora.source)
        elif resolve.MODEL_ID.match(lora.source):
            record = resolve.lora_record(store, lora.source)
            if record is None:
                raise VidgenError(f"LoRA {lora.source!r} is no LoRA record: add one with `python -m vidgen models add "
                                  "URL --kind adapter`, or give a hub repo id (owner/name[/file.safetensors]).")
            hub.local_path(record)  # "not downloaded", with the command that fetches it
        elif resolve.is_server_path(lora.source):  # never a path on the server's disk
            raise VidgenError(f"LoRA {lora.source!r}: give a hub repo id (owner/name[/file.safetensors]); "
                              "a file of your own goes in with the CLI's --lora.")
    return s


def check_named_voices(voices: list[tuple[str, str]], kept: set[str]) -> None:
    """A remote caller (the studio, its API) names voices by id: a voice file ("piper:/path.onnx") is a
    path on the server, refused without looking at it, so the answer never tells whether it exists.
    `voices`: (who, voice id) pairs; `kept`: the voices the project already has (a file voice the
    command line gave it may stay while other things are edited)."""
    for who, voice in voices:
        if voice and is_file_voice(voice) and voice not in kept:
            raise VidgenError(f"{who}: voices from files are for the command line: name a voice model by its "
                              f"id (/list_models with kind 'voice'), e.g. {resolve.BUILTIN_VOICE!r} or 'none'.")


def project_voices(settings: RenderSettings, characters: list[Character]) -> set[str]:
    """Every voice id a project names (its voice, the narrator's, each character's)."""
    return {settings.voice, settings.narrator.model} | {c.voice.model for c in characters if c.voice}


def check_scene(store: Store, scene: Scene) -> None:
    """A scene's own choices that name other records (its image model)."""
    if scene.image_model:
        resolve.model_of_kind(registry_for(store), scene.image_model, "image")
    if scene.animation_model:
        resolve.model_of_kind(registry_for(store), scene.animation_model, "animation").check_runs()
    if scene.lipsync_model not in ("", "none"):
        resolve.model_of_kind(registry_for(store), scene.lipsync_model, "lipsync").check_runs()
    if scene.clip and store.get_asset(scene.clip).type != "video":
        raise VidgenError(f"Scene {scene.number}: its clip is not a video: upload an MP4, MOV, WebM or MKV clip.")
    for f in scene.sound_files:  # each an audio file of this studio (an upload), not a path
        try:
            store.asset_path(f["asset"])
        except VidgenError:
            raise VidgenError(f"Scene {scene.number}: the sound file {f['name'][:40]!r} is not a file of this "
                              "studio: add it with an upload (the Storyboard, or /add_scene_sound).") from None


def check_render(store: Store, project: Project, scenes: list[Scene] | None = None, *,
                 voices: bool = True, music: bool = True, warn: Warn | None = None) -> None:
    """Everything a render (or a preview of `scenes`) needs, before any work. `warn` hears what is
    worth saying but does not stop the render (a script in a language the voice does not speak)."""
    check_saved(store, project.settings)
    if not project.scenes:
        raise VidgenError("The project has no scenes: parse a script with at least one scene.")
    for scene in project.scenes:
        check_scene(store, scene)
    check_length(project.scenes if scenes is None else scenes)
    if voices:
        check_project_voices(store, project, warn)
    check_image_models(store, project, project.scenes if scenes is None else scenes)
    check_animation_models(store, project, project.scenes if scenes is None else scenes)
    check_lipsync_models(store, project, project.scenes if scenes is None else scenes)
    if scenes is None:  # a film: its encoder (a forced NVENC that cannot run stops here, with why)
        encoders.choose("h264", project.settings.encoder)
    if music:
        if project.settings.music_source not in ("auto", "none"):
            store.asset_path(project.settings.music)
        check_music_model(store, project)


def check_length(scenes: list[Scene]) -> None:
    """A scene of at most MAX_SCENE_MINUTES and a film of at most MAX_FILM_MINUTES of speech, estimated
    from the words (a 256 KB run-on paragraph would otherwise be one scene of hours)."""
    def minutes(words: int) -> float:
        return words / WORDS_PER_SECOND / 60

    counts = {s.number: sum(len(strip_markup(line.text).split()) for line in s.lines) for s in scenes}
    for number, words in counts.items():
        if minutes(words) > MAX_SCENE_MINUTES:
            raise VidgenError(
                f"Scene {number} has {words:,} spoken words, about {minutes(words):.0f} minutes of speech; a scene "
                f"holds at most {MAX_SCENE_MINUTES} minutes (~{int(MAX_SCENE_MINUTES * 60 * WORDS_PER_SECOND):,} "
                "words): split it with a blank line or a `Scene N:` heading.")
    total = sum(counts.values())
    if minutes(total) > MAX_FILM_MINUTES:
        raise VidgenError(
            f"The script has {total:,} spoken words, about {minutes(total):.0f} minutes of speech; a film holds at "
            f"most {MAX_FILM_MINUTES} minutes (~{int(MAX_FILM_MINUTES * 60 * WORDS_PER_SECOND):,} words): split it "
            "into several projects.")


def check_project_voices(store: Store, project: Project, warn: Warn | None = None) -> None:
    """Every voice of the film is usable; a line in a language its speaker's voice does not speak is
    reported: who speaks it instead, or that the user's chosen voice is kept (services/voice/choice.py).
    The render goes on either way. Notes go to `warn` (logged when there is none)."""
    registry, s = registry_for(store), project.settings
    check_voices(s, project.characters, registry=registry, samples=store.asset_path)
    if s.voice == NO_VOICE:
        return
    # A detected language only steers (a note, a voice chosen): it never stops a render.
    found = [] if s.language else [guess_language(_spoken_text(project)).note]
    plans = [sp for scene in project.scenes for sp in resolve.scene_speech(store, project, scene)]
    for note in filter(None, [*found, *choice_notes(plans)]):
        if warn is not None:
            log.info(note)
            warn(note)
        else:
            log.warning(note)


def _spoken_text(project: Project) -> str:
    """The words the language is detected from, as resolve.project_language reads them."""
    return strip_markup(" ".join(ln.text for sc in project.scenes for ln in sc.lines))


def check_image_models(store: Store, project: Project, scenes: list[Scene]) -> None:
    """Every AI image model the scenes use exists, fits this machine and is downloaded, with its
    IP-Adapter where a character has a reference picture."""
    specs: dict[str, ModelSpec] = {}
    adapters: dict[str, ModelSpec] = {}
    for scene in scenes:
        spec = resolve.image_model(store, project, scene)
        if not resolve.uses_ai_image(spec, scene):
            continue
        specs[spec.id] = spec
        lead = resolve.dominant_character(project, scene)
        if lead is not None and lead.reference:
            store.asset_path(lead.reference)
            adapter = resolve.ip_adapter_for(store, spec)
            if adapter is not None:
                adapters[adapter.id] = adapter
            else:
                log.warning("%s has no IP-Adapter: %s's reference picture is not used.", spec.name, lead.name)
    for spec in specs.values():
        check_image_spec(spec)
    for adapter in adapters.values():
        if not hub.is_downloaded(adapter):
            raise VidgenError(f"A character has a reference picture, which needs {adapter.name}: run "
                              f"`python -m vidgen models download {adapter.id}` (or remove the reference).")


def check_image_spec(spec: ModelSpec) -> None:
    """An AI image model can run here: a diffusers backend, not too large, downloaded (else VidgenError)."""
    if not resolve.is_ai_image_model(spec):
        return
    if spec.backend not in IMAGE_BACKENDS:
        raise VidgenError(f"{spec.name} runs on the {spec.backend} backend, which cannot paint scenes: "
                          "pick a diffusers image model (`python -m vidgen models list --kind image`).")
    check_runs_here(spec)


def check_animation_models(store: Store, project: Project, scenes: list[Scene]) -> None:
    """Every image-to-video model the scenes use runs, fits this machine and is downloaded, with the
    models it loads with (AnimateDiff's SD 1.5 base); the camera always can."""
    specs = {spec.id: spec for spec in (resolve.animation_model(store, project, s) for s in scenes)}
    for spec in specs.values():
        spec.check_runs()
        if not spec.builtin:
            check_runs_here(spec)
            for required in spec.requires:
                check_runs_here(registry_for(store).get(required))


def check_lipsync_models(store: Store, project: Project, scenes: list[Scene]) -> None:
    """Every lip-sync model the scenes use fits this machine and is downloaded, with its parts."""
    specs = {spec.id: spec for spec in (resolve.lipsync_model(store, project, s) for s in scenes) if spec}
    for spec in specs.values():
        spec.check_runs()
        if not spec.builtin:
            check_runs_here(spec)
            for required in spec.requires:
                check_runs_here(registry_for(store).get(required))


def check_music_model(store: Store, project: Project) -> None:
    """A generated score's model can run here (the built-in composer always can), with these settings."""
    if project.settings.music_source != "auto":
        return
    spec = resolve.music_model(store, project)
    if spec.backend == "composer":  # it takes every setting; one playing a SoundFont from a URL needs the file
        if not spec.builtin:
            hub.local_path(spec)
        return
    if project.settings.music_key:
        raise VidgenError(f"{spec.name} cannot be told a key: leave the key empty, or score with the "
                          "built-in composer.")
    check_runs_here(spec)


def check_runs_here(spec: ModelSpec) -> None:
    """A downloaded model that fits this machine, else VidgenError saying which and why."""
    compat = hub.compatibility(spec)
    if compat.get("status") == "too_large":
        raise VidgenError(f"{spec.name} cannot run on this machine: {compat.get('reason', 'too large')}.")
    hub.local_path(spec)  # "not downloaded" before any work
