"""What a project resolves to before any work: each scene's image model, the score's model, who leads
a scene, the lines spoken and the language they are in.

Shared by the checks (vidgen/checks.py) and the pipeline, below both, so the two read a project
the same way and neither imports the other.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

from .domain import WORDS_PER_SECOND, Character, Line, Project, Scene, Voice
from .errors import VidgenError
from .models import hub, url_records
from .models.records import MODEL_ID
from .models.registry import ModelSpec, Registry, registry_for
from .services.images.painter import plan_heads
from .services.voice import BUILTIN_VOICE, cast
from .services.voice.catalog import find_piper_voices
from .services.voice.choice import Spoken, chosen_speakers, plan_lines
from .services.voice.ids import NO_VOICE, PIPER_RECORD
from .services.voice.language import detect_language
from .services.voice.prosody import strip_markup
from .store import Store

ASSET_ID = re.compile(r"^[0-9a-f]{64}$")  # a content-addressed asset (SHA-256)


def model_of_kind(registry: Registry, model_id: str, kind: str) -> ModelSpec:
    """The record `model_id`, which must be a model of `kind` (else VidgenError naming the fix)."""
    spec = registry.get(model_id)
    if spec.kind != kind:
        raise VidgenError(f"'{spec.id}' is {_a(spec.kind)} model, not {_a(kind)} model: "
                          f"run `python -m vidgen models list --kind {kind}`.")
    return spec


def project_registry(store: Store, project: Project) -> Registry:
    """The store's registry as this project sees it: the revisions it chose over the data folder's."""
    return registry_for(store).with_revisions(project.model_revisions)


def project_states(store: Store, project: Project) -> list[dict]:
    """The data folder's model states with the project's revisions over them (what a job's records read)."""
    revisions = dict(project.model_revisions)
    states = [{**st, "revision": revisions.pop(st["id"])} if st.get("id") in revisions else st
              for st in store.list_model_states()]
    return states + [{"id": model_id, "revision": rev} for model_id, rev in revisions.items()]


def animation_model(store: Store, project: Project, scene: Scene) -> ModelSpec:
    """The animation model of a scene: its own, else the project's, else the registry's active one."""
    registry = project_registry(store, project)
    chosen = scene.animation_model or project.settings.animation_model
    return model_of_kind(registry, chosen, "animation") if chosen else registry.active("animation")


def lipsync_model(store: Store, project: Project, scene: Scene) -> ModelSpec | None:
    """The lip-sync model of a scene: its own, else the project's, else the registry's active one;
    None for "none" (or when no lip-sync model runs)."""
    chosen = scene.lipsync_model or project.settings.lipsync_model
    if chosen == "none":
        return None
    registry = project_registry(store, project)
    return model_of_kind(registry, chosen, "lipsync") if chosen else registry.active_or_none("lipsync")


def painted_heads(store: Store, project: Project, scene: Scene) -> dict[str, tuple[float, float, float, float]]:
    """The painted figures' heads {name: (x, y, w, h)} when the scene's picture is the painter's, else {}."""
    from_painter = not scene.image and image_model(store, project, scene).backend == "storyboard"
    if not from_painter:
        return {}
    heads = plan_heads(scene, project.settings.size, seed=project.settings.seed)
    return {name.split(":", 1)[1]: (x0, y0, x1 - x0, y1 - y0) for name, (x0, y0, x1, y1) in heads.items()}


def parser_tag(store: Store, parser: str) -> str | None:
    """The Ollama tag of a project's script reader: None for the rules; `ollama:TAG` for any local
    model; else an LLM record of the registry."""
    if parser in ("", "rules"):
        return None
    if parser.startswith("ollama:"):
        tag = parser.split(":", 1)[1].strip()
        if not tag:
            raise VidgenError("The script reader 'ollama:' names no model: use ollama:TAG, e.g. ollama:llama3.1:8b.")
        return tag
    return model_of_kind(registry_for(store), parser, "llm").repo


def writer_tag(store: Store, model: str) -> str:
    """The Ollama tag that writes scripts: `model` (an LLM record or ollama:TAG), else the registry's
    active LLM, else its first Ollama record (the rules read scripts; they cannot write one)."""
    if model:
        tag = parser_tag(store, model)
        if tag is None:
            raise VidgenError("The rules cannot write a script: choose an LLM (`models list --kind llm`).")
        return tag
    registry = registry_for(store)
    spec = registry.active("llm")
    if spec.builtin:
        spec = next((s for s in registry.list("llm") if s.source == "ollama" and s.runs), spec)
    if not spec.repo:
        raise VidgenError("No LLM to write with: add one (`models add TAG --kind llm`).")
    return spec.repo


def _a(word: str) -> str:
    if word == "llm":
        return "an LLM"
    return ("an " if word[:1] in "aeiou" else "a ") + word


def image_model(store: Store, project: Project, scene: Scene) -> ModelSpec:
    """The image model of a scene: its own, else the project's, else the registry's active one."""
    registry = project_registry(store, project)
    model_id = scene.image_model or project.settings.image_model
    return model_of_kind(registry, model_id, "image") if model_id else registry.active("image")


def scene_style(project: Project, scene: Scene) -> str:
    """The AI image style preset of a scene: its own ("none": no style here), else the project's."""
    return "" if scene.style == "none" else scene.style or project.settings.style


def is_ai_image_model(spec: ModelSpec) -> bool:
    """False for the built-in painter (which also uses the user's own pictures as they are)."""
    return not (spec.builtin or spec.source == "builtin")


def uses_ai_image(spec: ModelSpec, scene: Scene) -> bool:
    """Whether an AI model makes this scene's picture (not when the user's picture is used as it is)."""
    return is_ai_image_model(spec) and not (scene.image and scene.image_strength <= 0)


def music_model(store: Store, project: Project) -> ModelSpec:
    """The model that scores the film: the project's choice, else the registry's active music model."""
    registry, s = project_registry(store, project), project.settings
    return model_of_kind(registry, s.music_model, "music") if s.music_model else registry.active("music")


def sfx_model(store: Store, project: Project) -> ModelSpec:
    """The model that makes the film's sound effects: the project's choice, else the active one."""
    registry, s = project_registry(store, project), project.settings
    return model_of_kind(registry, s.sfx_model, "sfx") if s.sfx_model else registry.active("sfx")


def ip_adapter_for(store: Store, spec: ModelSpec) -> ModelSpec | None:
    """The IP-Adapter record of an image model (None when it has none)."""
    return registry_for(store).get(spec.ip_adapter) if spec.ip_adapter else None


def lora_record(store: Store, source: str) -> ModelSpec | None:
    """The LoRA record a source names by id (`models add URL --kind adapter`), else None."""
    if not MODEL_ID.match(source):
        return None
    try:
        spec = registry_for(store).get(source)
    except VidgenError:
        return None
    return spec if spec.kind == "adapter" and spec.backend == "lora" else None


def lora_path(store: Store, source: str) -> str:
    """What the diffusers service loads for a LoRA: an uploaded file (asset id) by its path, a LoRA
    record's downloaded file, else the hub id as given."""
    if ASSET_ID.match(source):
        return str(store.asset_path(source))
    record = lora_record(store, source)
    if record is not None:
        return str(hub.local_path(record) / record.weights)
    return source


def is_server_path(source: str) -> bool:
    """A LoRA source that names a file on this machine (only the CLI may turn one into an asset)."""
    return not ASSET_ID.match(source) and Path(source).expanduser().exists()


def default_voice(store: Store) -> str:
    """The voice a new project speaks with: the registry's active voice model (the built-in Piper
    voice unless another was activated)."""
    spec = registry_for(store).active("voice")
    return BUILTIN_VOICE if spec.id == PIPER_RECORD else spec.id  # eSpeak NG is built in too


# --- characters ------------------------------------------------------------------------------

def scene_characters(project: Project, scene: Scene) -> list[Character]:
    """The project's Character records of the characters in this scene, in the scene's order."""
    by_name = {c.name.casefold(): c for c in project.characters}
    names = list(scene.characters) + [ln.speaker for ln in scene.lines if ln.speaker]
    out, seen = [], set()
    for name in names:
        c = by_name.get(name.casefold())
        if c is not None and c.name not in seen:
            seen.add(c.name)
            out.append(c)
    return out


def dominant_character(project: Project, scene: Scene) -> Character | None:
    """The character a scene is about: the only one in it, or the one who speaks over half its
    dialogue lines; None when no one dominates."""
    chars = scene_characters(project, scene)
    if len(chars) == 1:
        return chars[0]
    spoken = [ln.speaker.casefold() for ln in scene.lines if ln.speaker and ln.text.strip()]
    for c in chars:
        if spoken and sum(1 for sp in spoken if sp == c.name.casefold()) * 2 > len(spoken):
            return c
    return None


# --- words -----------------------------------------------------------------------------------

def spoken_lines(scene: Scene) -> list[Line]:
    return [line for line in scene.lines if line.text.strip()]


def silent_speech_seconds(lines: list[Line]) -> float:
    """How long the lines would take to say (a silent film's captions follow this)."""
    return sum(len(strip_markup(line.text).split()) for line in lines) / WORDS_PER_SECOND


def scene_cast(store: Store, project: Project) -> tuple[dict[str | None, Voice], str]:
    """The cast (every speaker's voice) and the language the film is spoken in."""
    return (cast(project.settings, project.characters, registry=project_registry(store, project)),
            project_language(project))


def scene_speech(store: Store, project: Project, scene: Scene) -> list[Spoken]:
    """Each spoken line's voice and language (services/voice/choice.py): the cast's, or a voice of
    the line's language at hand (the user's Piper voices in Settings.voice_folders, eSpeak NG)."""
    voices, language = scene_cast(store, project)
    chosen = chosen_speakers(project.settings, project.characters, default_voice(store))
    return plan_lines(spoken_lines(scene), voices, chosen, language, project_registry(store, project),
                      find_piper_voices(store.settings.voice_folders))


def project_language(project: Project) -> str:
    """The script's language: the project's setting, else detected from the spoken lines."""
    if project.settings.language:
        return project.settings.language
    return _detected(strip_markup(" ".join(ln.text for sc in project.scenes for ln in sc.lines)))


@functools.lru_cache(maxsize=64)
def _detected(text: str) -> str:
    return detect_language(text)


# --- revisions -------------------------------------------------------------------------------

def model_revision(spec: ModelSpec, registry: Registry) -> str:
    """What names a model's exact files: a hub commit, a URL file's sha256 ("" for built-in ones)."""
    if spec.source == "hf":
        return spec.revision
    if spec.source == "url":
        return next((h for h in url_records.expected_hashes(spec, registry.state(spec.id)) if h), "")
    return ""


def lora_revision(store: Store, source: str) -> str:
    """The file hash of a LoRA record named by `source` ("" for an upload or a hub id, keyed as they are)."""
    record = lora_record(store, source)
    return model_revision(record, registry_for(store)) if record is not None else ""


def voice_revisions(registry: Registry, voice_ids: Iterable[str]) -> dict[str, str]:
    """The revision of each downloaded voice model among `voice_ids` (none for built-in voices or files)."""
    out = {}
    for voice_id in sorted(set(voice_ids)):
        try:
            rev = model_revision(registry.get(voice_id), registry)
        except VidgenError:  # a voice file ("piper:/path.onnx") or the built-in voice's id
            continue
        if rev:
            out[voice_id] = rev
    return out


def models_used(store: Store, project: Project) -> dict[str, str]:
    """Every downloaded model a render of `project` runs, with the revision it runs (job and version record)."""
    registry = project_registry(store, project)
    specs: list[ModelSpec] = []
    voices: list[str] = []
    for scene in project.scenes:
        image = image_model(store, project, scene)
        if uses_ai_image(image, scene):
            lead = dominant_character(project, scene)
            referenced = lead is not None and bool(lead.reference)  # the IP-Adapter runs only then (plan.py)
            specs += [image] + ([a] if referenced and (a := ip_adapter_for(store, image)) else [])
            specs += [r for lo in project.settings.loras if (r := lora_record(store, lo.source))]
        specs.append(animation_model(store, project, scene))
        specs += [m] if (m := lipsync_model(store, project, scene)) else []
        if spoken_lines(scene) and project.settings.voice != NO_VOICE:
            voices += [sp.voice.model for sp in scene_speech(store, project, scene)]
    if project.settings.music == "auto":  # else none, or the user's own music file
        specs.append(music_model(store, project))
    out = {s.id: rev for s in specs if (rev := model_revision(s, registry))} | voice_revisions(registry, voices)
    return dict(sorted(out.items()))
