"""The studio's library half: upload, search, show, tag, delete and reuse the user's files
(vidgen/library.py). `Studio` inherits it; the methods need the studio's `store`, `_uploaded`
and its project edits (vidgen/projects.py). Answers are JSON-friendly dicts."""

from __future__ import annotations

from typing import Any

from . import library
from .edits import character_index, need_id, need_str, scene_index, typed
from .errors import VidgenError
from .library_files import check_file
from .services.images import check_image
from .services.music import check_music_file
from .services.sfx import user_sound
from .services.sfx.scene import EVENT_LEAD
from .services.voice import check_voice_sample
from .store import Store

ROLES = tuple(library.FIELDS)  # where a library file can be used in a project
SCENE_ROLES, CHARACTER_ROLES = ("scene_image", "scene_clip", "scene_sound"), ("reference", "voice_sample")
SETTING_ROLES = ("caption_font", "grade_lut", "watermark")
_ROLE_CHECKS = {"scene_image": check_image, "reference": check_image, "watermark": check_image,
                "scene_sound": user_sound, "music": check_music_file, "voice_sample": check_voice_sample}


class LibraryMixin:
    store: Store

    def upload_asset(self, path: str, kind: str = "", tags: Any = (), name: str = "") -> dict:
        """Keep an uploaded file in the library, checked by decoding it as `kind` (image, video, audio,
        font, lut, lora; "" = told from the file), with its preview and `tags` (a list, or text
        separated by commas). Returns the asset as get_asset does."""
        real = self._uploaded(path, "library")  # type: ignore[attr-defined]
        return self.get_asset(library.upload(self.store, real, kind, tags, name).id)

    def list_assets(self, query: str = "", kind: str = "", tag: str = "", limit: int = 50, offset: int = 0) -> dict:
        """Library files, newest first: name containing `query` (any case), of `kind`, with `tag`.
        Returns {"total", "offset", "limit", "assets": [{id, name, kind, size, tags, preview, used_by ...}]}."""
        return library.search(self.store, query, kind, tag, limit, offset)

    def get_asset(self, asset_id: str) -> dict:
        """One library file: kind, size, tags, facts (width, height, duration ...), `preview` and `file`
        (paths), `uses` (every place a project names it) and `record`."""
        return library.details(self.store, asset_id)

    def tag_asset(self, asset_id: str, add: Any = (), remove: Any = ()) -> dict:
        """Add and remove tags (1-32 letters, digits, - or _; at most 20); a bad one changes nothing."""
        return library.tag(self.store, asset_id, add, remove)

    def delete_asset(self, asset_id: str) -> dict:
        """Delete a library file and its preview; refused, naming each use, while a project uses it.
        Returns {"deleted": id, "name", "file_removed"}."""
        return library.delete(self.store, asset_id)

    def use_asset(self, project_id: str, asset_id: str, role: str, target: Any = None) -> dict:
        """Use a library file in a project as `role`: scene_image / scene_sound (target: the scene
        number), music, reference / voice_sample (target: the character; "" = the narrator's sample),
        caption_font, grade_lut, watermark or lora (added at scale 1). Checked as that role uses it;
        returns the project."""
        project = self.store.get_project(need_id(project_id, "project"))
        if role not in ROLES:
            raise VidgenError(f"A library file is used as one of {', '.join(ROLES)}, not {str(role)[:40]!r}.")
        asset, uses = library.library_asset(self.store, asset_id)
        kind, wanted = library.kind_of(asset, uses), library.FIELDS[role][0]
        if kind != wanted:
            raise VidgenError(f"Asset '{asset.name[:60]}' is {kind or 'of no known kind'}, not {wanted}: pick "
                              f"a{'n' if wanted[0] in 'aeiou' else ''} {wanted} file for the {role.replace('_', ' ')}.")
        path = str(self.store.asset_path(asset))
        check = _ROLE_CHECKS.get(role)
        if check is not None:
            check(path)
        elif role in ("caption_font", "grade_lut", "scene_clip"):
            check_file(path, kind, asset.name)
        pid, data = project.id, self.get_project(project.id)  # type: ignore[attr-defined]
        if role in SCENE_ROLES:
            number = typed("scene number", target, int)
            scene = data["scenes"][scene_index(project.scenes, number, pid)]
            if role in ("scene_image", "scene_clip"):
                scene["image" if role == "scene_image" else "clip"] = asset.id
                return self.save_project({"id": pid, "scenes": data["scenes"]})  # type: ignore[attr-defined]
            entry = {"asset": asset.id, "name": asset.name, "at": EVENT_LEAD, "bed": False}
            files = [*scene["sound_files"], entry]
            return self.update_scene(pid, number, {"sound_files": files})  # type: ignore[attr-defined]
        if role in CHARACTER_ROLES:
            name = "" if target is None else target
            need_str(name, "character")
            who = project.characters[character_index(project.characters, name)].name if name.strip() else ""
            if role == "voice_sample":  # the voice the next render uses, now with this sample
                voices = self.cast(pid)  # type: ignore[attr-defined]
                voice = dict(voices["characters"][who] if who else voices["narrator"], sample=asset.id)
                return self.set_voice(pid, who or None, voice)  # type: ignore[attr-defined]
            if not who:
                raise VidgenError("A reference picture is a character's: name the character.")
            data["characters"][character_index(project.characters, who)]["reference"] = asset.id
            return self.save_project({"id": pid, "characters": data["characters"]})  # type: ignore[attr-defined]
        if role == "lora":
            loras = [*data["settings"]["loras"], {"source": asset.id, "scale": 1.0}]
            return self.update_settings(pid, {"loras": loras})  # type: ignore[attr-defined]
        return self.update_settings(pid, {role: asset.id})  # type: ignore[attr-defined]
