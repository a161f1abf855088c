"""Projects as plain data: scripts, settings, scenes, characters, voices and music, each edit checked
(vidgen/checks.py, vidgen/edits.py) before anything is saved. The studio's project half."""

from __future__ import annotations

import os
import tempfile
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from .checks import check_named_voices, check_saved, check_scene, project_voices
from .config import Settings
from .domain import Project, RenderSettings, Scene, estimate_duration
from .edits import (MAX_PREVIEW_CHARS, MAX_TITLE, SCENE_CHANGES, character_index, characters_from, need_id,
                    need_str, replace_narration, scene_from, scene_index, title_of, typed, voice_from)
from .errors import VidgenError
from .library import user_file_meta
from .models import operations
from .models.registry import registry_for
from .pipeline import create_project
from .pipeline.query import cached_scene_media, current_scene_image
from .platforms import expand as expand_platform
from .render_settings import with_changes
from .resolve import default_voice
from .script_desk import ScriptDesk
from .services.images import check_image
from .services.music import check_music_file
from .services.voice import cast, check_voice, check_voice_sample, synthesize_preview
from .store import Store


class Projects(ScriptDesk):
    """Every project operation of one data folder. `upload_roots`: folders that files given by path
    must be in (uploads); `busy(project_id)`: ids of the project's queued or running jobs;
    `local_files`: the caller is the machine's own user (the CLI), who may name voice files."""

    def __init__(self, settings: Settings, store: Store, upload_roots: list[Path],
                 busy: Callable[[str], list[str]], local_files: bool = False) -> None:
        self.settings, self.store, self.upload_roots, self.busy = settings, store, upload_roots, busy
        self.local_files = local_files

    # --- projects ------------------------------------------------------------------------------

    def create_project(self, text: str, title: str = "", settings: dict | None = None, *,
                       scene_images: dict[int, str] | None = None,
                       before_save: Callable[[Project], None] | None = None, filename: str = "",
                       progress: Callable[[float, str], None] | None = None) -> dict:
        """Parse a script and save it as a new project with these settings (plain data, checked; the
        voice defaults to the active voice model). `scene_images` (scene number -> picture file) and
        `before_save(project)` are for the CLI, which may read files anywhere and checks a render's
        needs before anything is saved."""
        given = self._title(title)
        said: list[str] = []
        rs = self._render_settings(settings, RenderSettings(voice=default_voice(self.store)), said)

        def ready(project: Project) -> None:
            project.title = given or project.title  # as rename_project keeps it (the parser cuts at 80)
            project.notes = [*project.notes, *said]
            if before_save is not None:
                before_save(project)

        project = create_project(self.store, text, title=given, settings=rs, scene_images=scene_images,
                                 before_save=ready, filename=filename, progress=progress)
        return self._project_dict(project)

    def list_projects(self) -> list[dict]:
        """Newest first: id, title, scenes, updated, status (of the last render, "" if none), video, job."""
        last: dict[str, dict] = {}
        for job in self.store.job_summaries():  # newest first
            if job["kind"] == "render":
                last.setdefault(job["project_id"], job)
        out = []
        # the stored documents, not built projects: building 100 of them is most of the call's time
        for p in sorted(self.store.project_docs(), key=lambda d: d.get("updated") or 0, reverse=True):
            job = last.get(p["id"])
            out.append({"id": p["id"], "title": p.get("title", ""), "scenes": len(p.get("scenes") or []),
                        "updated": p.get("updated", 0.0), "status": job["status"] if job else "",
                        "video": self._output((p.get("outputs") or {}).get("video")), "job": job["id"] if job else ""})
        return out

    def get_project(self, project_id: str) -> dict:
        """asdict(Project) plus "video" and "subtitles": absolute paths of the last render ("" if none)."""
        return self._project_dict(self.store.get_project(need_id(project_id, "project")))

    def save_project(self, project: dict) -> dict:
        """Replace an existing project's title, settings, scenes and characters (keys left out stay
        as they are; the script, outputs and dates are not changed here). Everything is checked first."""
        if not isinstance(project, dict):
            raise VidgenError(f"A project must be a dict (as get_project returns), not {type(project).__name__}.")
        stored = self.store.get_project(need_id(project.get("id"), "project"))
        kept = project_voices(stored.settings, stored.characters)
        if "title" in project:
            need_str(project["title"], "title")
            stored.title = title_of(project["title"])
        if "settings" in project:
            stored.settings = self._render_settings(project["settings"], stored.settings)
        if "scenes" in project:
            stored.scenes = self._scenes(project["scenes"])
        if "characters" in project:
            stored.characters = characters_from(project["characters"], len(stored.scenes))
            self._named_voices([(f"{c.name}'s voice", c.voice.model) for c in stored.characters if c.voice], kept)
            for c in stored.characters:
                if c.reference and self.store.get_asset(c.reference).type != "image":
                    raise VidgenError(f"{c.name}: the reference {c.reference!r} is not an image: upload a PNG, "
                                      "JPEG or WebP.")
        elif "scenes" in project:  # scenes removed: their numbers leave the characters' lists
            for c in stored.characters:
                c.scenes = [n for n in c.scenes if 1 <= n <= len(stored.scenes)]
        return self._project_dict(self.store.save_project(stored))

    def scene_media(self, project_id: str) -> list[dict]:
        """Per scene {"number", "image", "clip"}: what the step cache already holds for the
        project as it stands (paths, "" where not made yet). Computes nothing."""
        return cached_scene_media(self.store, self.store.get_project(project_id))

    def update_settings(self, project_id: str, settings: dict) -> dict:
        """Change some render settings of a project; returns the project."""
        project = self.store.get_project(need_id(project_id, "project"))
        project.settings = self._render_settings(settings, project.settings)
        return self._project_dict(self.store.save_project(project))

    def update_scene(self, project_id: str, number: int, changes: dict) -> dict:
        """Edit one scene: heading, visual, narration (text that replaces the narration lines), lines
        (list of {text, speaker, parenthetical, delivery}), duration, motion, transition, mood, camera, and
        what the picture shows: location, interior, time_of_day, weather, shot, sounds. Returns the project."""
        project = self.store.get_project(need_id(project_id, "project"))
        if not isinstance(changes, dict):
            raise VidgenError(f"Scene changes must be a dict, not {type(changes).__name__}.")
        unknown = sorted(set(changes) - set(SCENE_CHANGES))
        if unknown:
            raise VidgenError(f"Cannot change {', '.join(map(str, unknown))} of a scene: change {', '.join(SCENE_CHANGES)}.")
        if "narration" in changes and "lines" in changes:
            raise VidgenError("Give either narration or lines for a scene, not both.")
        index = scene_index(project.scenes, number, project.id)
        data = asdict(project)
        scene = data["scenes"][index]
        changes = dict(changes)
        words_changed = "narration" in changes or "lines" in changes
        if "narration" in changes:
            scene["lines"] = replace_narration(scene["lines"], changes.pop("narration"))
        scene.update(changes)
        if words_changed and "duration" not in changes:  # keep the estimate in step with the words
            lines = scene["lines"] if isinstance(scene["lines"], list) else []
            words = sum(len(str(ln.get("text", "")).split()) for ln in lines if isinstance(ln, dict))
            scene["duration"] = estimate_duration(words, project.settings.transition_seconds)
        return self.save_project({"id": project.id, "scenes": data["scenes"]})

    def set_scene_image(self, project_id: str, number: int, image_path: str | None) -> dict:
        """Use the user's own picture for a scene (checked by decoding it); None goes back to painting."""
        project = self.store.get_project(need_id(project_id, "project"))
        index = scene_index(project.scenes, number, project.id)
        if image_path is None or image_path == "":
            project.scenes[index].image = ""
        else:
            image_path = self._uploaded(image_path, "image")
            check_image(image_path)
            project.scenes[index].image = self.store.add_file(image_path, type="image", name=Path(image_path).name,
                                                              meta=user_file_meta()).id
        return self._project_dict(self.store.save_project(project))

    def keep_scene_image(self, project_id: str, number: int, strength: float = 0.5) -> dict:
        """Take the scene's current picture (the one its image model last made) as its own image, to
        refine with image-to-image at `strength` (0 keeps it as it is). Returns the project."""
        project = self.store.get_project(need_id(project_id, "project"))
        index = scene_index(project.scenes, number, project.id)
        strength = typed("strength", strength, float)
        if not 0.0 <= strength <= 1.0:
            raise VidgenError(f"strength must be from 0 (keep the picture) to 1, not {strength}.")
        asset = current_scene_image(self.store, project, project.scenes[index])
        if not asset:
            raise VidgenError(f"Scene {number} has no picture yet: generate it first.")
        project.scenes[index].image, project.scenes[index].image_strength = asset, strength
        return self._project_dict(self.store.save_project(project))

    def update_character(self, project_id: str, name: str, changes: dict) -> dict:
        """Edit one character's sheet: description (appearance), age, clothing, seed (None = derived from
        the name), voice ({model, speaker, speed, pitch, sample} or None for a default voice). Returns the project."""
        project = self.store.get_project(need_id(project_id, "project"))
        if not isinstance(changes, dict):
            raise VidgenError(f"Character changes must be a dict, not {type(changes).__name__}.")
        unknown = sorted(set(map(str, changes)) - {"description", "age", "clothing", "seed", "voice"})
        if unknown:
            raise VidgenError(f"Cannot change {', '.join(unknown)} of a character: change description, age, "
                              "clothing, seed, voice.")
        index = character_index(project.characters, name)
        data = [asdict(c) for c in project.characters]
        data[index].update(changes)
        return self.save_project({"id": project.id, "characters": data})

    def set_character_reference(self, project_id: str, name: str, image_path: str | None) -> dict:
        """A character's reference picture (checked by decoding it), which steers AI images of the
        scenes they lead through the image model's IP-Adapter; None removes it."""
        project = self.store.get_project(need_id(project_id, "project"))
        character = project.characters[character_index(project.characters, name)]
        if image_path is None or image_path == "":
            character.reference = ""
        else:
            image_path = self._uploaded(image_path, "image")
            check_image(image_path)
            character.reference = self.store.add_file(image_path, type="image", name=Path(image_path).name,
                                                      meta=user_file_meta()).id
        return self._project_dict(self.store.save_project(project))

    def model_choices(self, kind: str) -> list[dict]:
        """The models of `kind` a project may pick: [{"id", "name", "builtin", "active"}], planned ones left out."""
        registry = registry_for(self.store)
        active = registry.active(kind).id
        rows = [{"id": m.id, "name": m.name, "builtin": m.builtin, "active": m.id == active}
                for m in registry.list(kind) if getattr(m, "runs", True)]
        if kind == "llm":  # and what the local Ollama server has beyond the records
            rows += [{"id": f"ollama:{r['name']}", "name": f"{r['name']} (on the Ollama server)", "builtin": False,
                      "active": False} for r in operations.server_llms(registry)]
        return rows

    def cast(self, project_id: str) -> dict:
        """Every speaker's voice as the next render uses it: {"narrator": voice, "characters": {name: voice}},
        a voice being {model, speaker, speed, pitch, sample}; characters without one get their distinct default."""
        project = self.store.get_project(need_id(project_id, "project"))
        voices = cast(project.settings, project.characters, registry=registry_for(self.store))
        return {"narrator": asdict(voices[None]),
                "characters": {c.name: asdict(voices[c.name]) for c in project.characters}}

    def set_voice(self, project_id: str, character: str | None, voice: dict, sample_path: str | None = None) -> dict:
        """Give the narrator (character None or "") or a character a voice ({model, speaker, speed, pitch});
        `sample_path` is an uploaded voice-cloning sample (checked: 6-30 s of speech). Returns the project."""
        project = self.store.get_project(need_id(project_id, "project"))
        who = character or "narrator"
        chosen = voice_from(voice, who)
        label = f"{character}'s voice" if character else "The narrator's voice"
        self._named_voices([(label, chosen.model)], project_voices(project.settings, project.characters))
        if chosen.model:
            check_voice(chosen.model, registry_for(self.store))
        if sample_path:
            sample_path = self._uploaded(sample_path, "voice sample")
            check_voice_sample(sample_path)
            chosen.sample = self.store.add_file(sample_path, type="audio", name=Path(sample_path).name,
                                                 meta=user_file_meta()).id
        elif chosen.sample:
            self.store.get_asset(chosen.sample)
        if character:
            project.characters[character_index(project.characters, character)].voice = chosen
        else:
            project.settings.narrator = chosen
        return self._project_dict(self.store.save_project(project))

    def preview_voice(self, project_id: str, text: str, voice: dict | None = None, sample_path: str | None = None,
                      who: str | None = None) -> dict:
        """Speak `text` with a voice ({model, speaker, speed, pitch}; None: `who`'s voice in the project,
        the narrator's when `who` is None). Returns {"audio": WAV path, "seconds", "sample_rate", "voice"}."""
        need_str(text, "preview text")
        text = " ".join(text.split())
        if not text:
            raise VidgenError("Write a sentence to preview the voice with.")
        if len(text) > MAX_PREVIEW_CHARS:
            raise VidgenError(f"The preview text is {len(text)} characters long: use at most {MAX_PREVIEW_CHARS}.")
        settings, characters = RenderSettings(), []
        if project_id:
            project = self.store.get_project(need_id(project_id, "project"))
            settings, characters = project.settings, project.characters
        registry = registry_for(self.store)
        voices = cast(settings, characters, registry=registry)
        if who:
            who = characters[character_index(characters, who)].name  # a clear "no character" error
        chosen = voices[who or None] if voice is None else voice_from(voice, who or "voice")
        if voice is not None:
            self._named_voices([("The voice", chosen.model)], project_voices(settings, characters))
        if not chosen.model:
            chosen.model = settings.voice
        if chosen.model == "none":
            raise VidgenError("The voice is 'none' (a silent film): pick a voice to preview.")
        check_voice(chosen.model, registry)
        if sample_path:
            sample_path = self._uploaded(sample_path, "voice sample")
            check_voice_sample(sample_path)
            chosen.sample = self.store.add_file(sample_path, type="audio", name=Path(sample_path).name,
                                                 meta=user_file_meta()).id
        self.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.settings.tmp_dir) as tmp:
            r = synthesize_preview(text, chosen, Path(tmp) / "preview.wav", language=settings.language,
                                   registry=registry, project_voice=settings.voice, samples=self.store.asset_path)
            asset = self.store.add_file(r.wav, type="audio", name="voice-preview.wav")
        return {"audio": str(self.store.asset_path(asset.id)), "seconds": r.duration, "sample_rate": r.sample_rate,
                "voice": asdict(chosen)}

    def asset_file(self, asset_id: str) -> str:
        """The path of a stored asset (for showing it)."""
        return str(self.store.asset_path(need_id(asset_id, "asset")))

    def set_music(self, project_id: str, music_path: str | None) -> dict:
        """Score the film with the user's music file (checked by decoding it); None goes back to the
        generated score ("auto"; set the `music` setting to "none" for no music)."""
        project = self.store.get_project(need_id(project_id, "project"))
        if music_path is None or music_path == "":
            project.settings.music = "auto"
        else:
            music_path = self._uploaded(music_path, "music")
            check_music_file(music_path)
            project.settings.music = self.store.add_file(music_path, type="audio", name=Path(music_path).name,
                                                         meta=user_file_meta()).id
        return self._project_dict(self.store.save_project(project))

    def duplicate_project(self, project_id: str, title: str | None = None) -> dict:
        project = self.store.get_project(need_id(project_id, "project"))
        if title is not None:
            need_str(title, "title")
        project.title = title_of(title) if title and title.strip() else title_of(f"Copy of {project.title}"[:MAX_TITLE])
        project.id = uuid.uuid4().hex[:12]
        project.created = project.updated = 0.0
        project.outputs = {}
        return self._project_dict(self.store.save_project(project))

    def rename_project(self, project_id: str, title: str) -> dict:
        project = self.store.get_project(need_id(project_id, "project"))
        need_str(title, "title")
        project.title = title_of(title)
        return self._project_dict(self.store.save_project(project))

    def delete_project(self, project_id: str) -> None:
        """Delete a project (its rendered files stay in the asset store); refused while it has a job
        queued or running."""
        project = self.store.get_project(need_id(project_id, "project"))
        busy = self.busy(project.id)
        if busy:
            raise VidgenError(f"Project '{project.title}' has a render in progress (job {busy[0]}): "
                              "cancel it or wait until it ends, then delete the project.")
        self.store.delete_project(project.id)

    @staticmethod
    def _title(title: Any) -> str | None:
        """A title the caller gave, checked (edits.title_of: the one limit); None when blank (from the script)."""
        need_str(title, "title")
        return title_of(title) if title.strip() else None

    def _uploaded(self, path: Any, what: str) -> str:
        """The real path of an uploaded file; refused outside the upload folders."""
        if not isinstance(path, (str, os.PathLike)):
            raise VidgenError(f"The {what} file must be given as a path, not {type(path).__name__}.")
        name = Path(path).name
        try:
            real = Path(path).expanduser().resolve(strict=True)
        except (OSError, RuntimeError):
            raise VidgenError(f"The {what} file {name} was not found: upload it again.") from None
        if not any(real.is_relative_to(root) for root in self.upload_roots):
            raise VidgenError(f"The {what} file {name} is not an upload: upload it through the studio.")
        return str(real)

    def _output(self, rel: str | None) -> str:
        if not rel:
            return ""
        path = self.settings.data_dir / rel
        return str(path) if path.is_file() else ""

    def _project_dict(self, project) -> dict:
        d = asdict(project)
        d["video"] = self._output(project.outputs.get("video"))
        d["subtitles"] = self._output(project.outputs.get("subtitles"))
        return d

    def _render_settings(self, data: Any, base: RenderSettings, notes: list[str] | None = None) -> RenderSettings:
        """`base` with the given fields changed, every field checked (vidgen/checks.py); a platform preset
        fills the fields the change does not name (`notes` gets a line for each it names otherwise)."""
        data, said = expand_platform(data)
        if notes is not None:
            notes.extend(said)
        s = with_changes(base, data)
        self._named_voices([("The voice", s.voice), ("The narrator's voice", s.narrator.model)],
                           {base.voice, base.narrator.model})
        return check_saved(self.store, s)

    def _named_voices(self, voices: list[tuple[str, str]], kept: set[str]) -> None:
        """Remote callers name voices by id, never by a path on the server (checks.check_named_voices)."""
        if not self.local_files:
            check_named_voices(voices, kept)

    def _scenes(self, data: Any) -> list[Scene]:
        if not isinstance(data, list):
            raise VidgenError(f"scenes must be a list of scene dicts, not {type(data).__name__}.")
        if not data:
            raise VidgenError("A project needs at least one scene.")
        if len(data) > self.settings.max_scenes:
            raise VidgenError(f"{len(data)} scenes is over the limit of {self.settings.max_scenes}: "
                              "split the story into several projects.")
        scenes = [scene_from(d, i + 1, self.settings.max_script_bytes) for i, d in enumerate(data)]
        for scene in scenes:
            check_scene(self.store, scene)
            if scene.image:
                asset = self.store.get_asset(scene.image)
                if asset.type != "image":
                    raise VidgenError(f"Scene {scene.number}: asset {scene.image!r} is a {asset.type} file, "
                                      "not an image: upload a PNG, JPEG or WebP.")
        return scenes
