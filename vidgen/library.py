"""The asset library: the user's own files (images, clips, audio, fonts, LUTs, LoRAs) kept once,
checked by decoding, with a preview, tags and where the projects use them.

Library assets are ordinary content-addressed assets of the store. What puts one in the library:
- `meta["library"]` ({kind, tags, added, preview, preview_path, facts}): it was uploaded into the library
  (`upload`), or tagged or opened there;
- `meta["user_file"]`: the user gave it to a project (a scene picture, music, a voice sample ...:
  the studio's upload paths add it, `user_file_meta()`);
- or a project names it (`used_by`), which also covers files kept before either mark existed.
Everything else (pictures, clips, voices and scores the pipeline made, previews) stays internal:
never listed, tagged or deleted here.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .domain import Asset
from .edits import need_id, need_str, typed
from .errors import VidgenError
from .library_files import BY_EXTENSION, KINDS, STORE_TYPES, check_file, check_kind
from .render_settings import from_doc
from .store import Store

log = logging.getLogger(__name__)

LIBRARY, USER_FILE = "library", "user_file"  # the meta keys (module docstring)
MAX_TAGS, MAX_NAME, MAX_PAGE, MAX_QUERY = 20, 200, 500, 200
_TAG = re.compile(r"[\w-]{1,32}")  # letters and digits of any script, _ and -
TYPE_KINDS = {"image": "image", "audio": "audio", "video": "video"}
# What each place a project names a file takes, and how it reads in a message.
FIELDS = {"scene_image": ("image", "scene {scene} picture"), "scene_clip": ("video", "scene {scene} clip"),
          "scene_sound": ("audio", "scene {scene} sound"),
          "music": ("audio", "music"), "reference": ("image", "{character}'s reference picture"),
          "voice_sample": ("audio", "{character}'s voice sample"), "caption_font": ("font", "caption font"),
          "grade_lut": ("lut", "LUT"), "watermark": ("image", "watermark"), "lora": ("lora", "LoRA {index}")}


def user_file_meta() -> dict[str, Any]:
    """The meta of a file the user gives a project (it is listed in the library)."""
    return {USER_FILE: True}


@dataclass
class Use:
    """One place a project names an asset."""

    project: str
    title: str
    field: str  # a key of FIELDS
    scene: int | None = None
    character: str = ""  # "" for the narrator's voice sample
    index: int | None = None  # the LoRA's number, from 1

    def words(self) -> str:
        what = FIELDS[self.field][1].format(scene=self.scene, index=self.index,
                                            character=self.character or "the narrator")
        title = self.title if len(self.title) <= 40 else self.title[:37] + "..."
        return f"project '{title}' {what}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"words": self.words()}


def project_uses(doc: dict[str, Any]) -> list[tuple[str, Use]]:
    """(asset id, use) for every file a stored project (Store.project_docs) names; hub LoRA ids are
    included too: they match no asset. Read from the stored dict, not a built Project: cheap."""
    out: list[tuple[str, Use]] = []
    pid, title = str(doc.get("id", "")), str(doc.get("title", ""))

    def add(asset_id: Any, field: str, **where: Any) -> None:
        if isinstance(asset_id, str) and asset_id:
            out.append((asset_id, Use(pid, title, field, **where)))

    for scene in _dicts(doc.get("scenes")):
        add(scene.get("image"), "scene_image", scene=scene.get("number"))
        add(scene.get("clip"), "scene_clip", scene=scene.get("number"))
        for f in _dicts(scene.get("sound_files")):
            add(f.get("asset"), "scene_sound", scene=scene.get("number"))
    s = from_doc(doc.get("settings"))
    if s.get("music") not in ("auto", "none", ""):
        add(s.get("music"), "music")
    for c in _dicts(doc.get("characters")):
        add(c.get("reference"), "reference", character=c.get("name", ""))
        add((c.get("voice") or {}).get("sample") if isinstance(c.get("voice"), dict) else None, "voice_sample",
            character=c.get("name", ""))
    if isinstance(s.get("narrator"), dict):
        add(s["narrator"].get("sample"), "voice_sample")
    for name in ("caption_font", "grade_lut", "watermark"):
        add(s.get(name), name)
    for i, lora in enumerate(_dicts(s.get("loras")), 1):
        add(lora.get("source"), "lora", index=i)
    return out


def usage_index(store: Store) -> dict[str, list[Use]]:
    """Asset id -> every use of it, over all projects (one pass)."""
    index: dict[str, list[Use]] = {}
    # A version is the project as it was rendered: restoring it needs its files too.
    versions = [{**v["project"], "title": f"{v['project'].get('title', '')} (version {v.get('number', 0)})"}
                for v in store.version_docs() if isinstance(v.get("project"), dict)]
    for doc in store.project_docs() + versions:
        for asset_id, use in project_uses(doc):
            index.setdefault(asset_id, []).append(use)
    return index


def used_by(store: Store, asset_id: str) -> list[dict[str, Any]]:
    """Every place a project names this asset: {project, title, field, scene, character, index, words}."""
    return [u.as_dict() for u in usage_index(store).get(asset_id, [])]


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


# --- the library's view of an asset -------------------------------------------------------------

def facts_of(asset: Asset) -> dict[str, Any] | None:
    """The library's facts of an asset (meta["library"]), None when it has none yet."""
    lib = asset.meta.get(LIBRARY)
    return lib if isinstance(lib, dict) else None


def in_library(asset: Asset, uses: list[Use]) -> bool:
    return facts_of(asset) is not None or bool(asset.meta.get(USER_FILE)) or bool(uses)


def kind_of(asset: Asset, uses: list[Use]) -> str:
    """The library kind: as checked, else from the record's type, its file's extension or its use."""
    lib = facts_of(asset) or {}
    if lib.get("kind") in KINDS:
        return lib["kind"]
    kind = TYPE_KINDS.get(asset.type) or BY_EXTENSION.get(Path(asset.path).suffix.lower(), "")
    return kind or (FIELDS[uses[0].field][0] if uses else "")


def row(store: Store, asset: Asset, uses: list[Use]) -> dict[str, Any]:
    """An asset as the library shows it (JSON-friendly); paths are the server's, in the data folder.
    A picture not yet given a preview shows itself."""
    lib = facts_of(asset) or {}
    kind = kind_of(asset, uses)
    file = store.data_dir / asset.path
    shown = lib.get("preview_path")
    preview = store.data_dir / shown if isinstance(shown, str) and shown else (file if kind == "image" else None)
    facts = dict(lib.get("facts") or {})
    return {"id": asset.id, "name": asset.name, "kind": kind, "type": asset.type, "size": asset.size,
            "tags": list(lib.get("tags") or []), "added": lib.get("added") or asset.created,
            "width": facts.get("width"), "height": facts.get("height"), "duration": facts.get("duration"),
            "facts": facts, "preview": str(preview) if preview is not None and preview.is_file() else "",
            "file": str(file) if file.is_file() else "", "used_by": [u.words() for u in uses]}


# --- operations ---------------------------------------------------------------------------------

def upload(store: Store, path: str, kind: str = "", tags: Any = (), name: str = "") -> Asset:
    """Check the file as `kind` ("" = told from the file), keep it with its preview and tags; the
    same bytes uploaded again keep one asset and gain the new tags (and the name, when given)."""
    tags, kind = clean_tags(tags), check_kind(kind)
    given = clean_name(name)
    checked = check_file(path, kind, Path(path).name)
    label = given or Path(path).name
    asset = store.add_file(path, type=STORE_TYPES[checked.kind], name=label)
    preview = _keep_preview(store, checked.preview, asset.id)
    with store.transaction():
        current = store.get_asset(asset.id)
        old = facts_of(current) or {}
        lib = {"kind": checked.kind, "tags": merged_tags(old.get("tags") or [], tags, []),
               "added": old.get("added") or time.time(), **preview, "facts": checked.facts}
        keep_name = current.name if old and not given else label
        return store.update_asset(asset.id, name=keep_name, meta={**current.meta, LIBRARY: lib})


def search(store: Store, query: str = "", kind: str = "", tag: str = "", limit: int = 50,
           offset: int = 0) -> dict[str, Any]:
    """Library assets whose name holds `query` (any case), of `kind`, with `tag`; newest first.
    Returns {"total", "offset", "limit", "assets": [row ...]} for the page asked for."""
    need_str(query, "search text")
    if len(query) > MAX_QUERY:
        raise VidgenError(f"The search text is {len(query)} characters long: use at most {MAX_QUERY}.")
    kind = check_kind(kind)
    need_str(tag, "tag")
    wanted = clean_tag(tag) if tag.strip() else ""
    limit, offset = typed("limit", limit, int), typed("offset", offset, int)
    if not 1 <= limit <= MAX_PAGE:
        raise VidgenError(f"limit must be from 1 to {MAX_PAGE}, not {limit}.")
    if offset < 0:
        raise VidgenError(f"offset must be 0 or more, not {offset}.")
    q = query.strip().casefold()
    with store.transaction():  # one read of the file for both tables
        index = usage_index(store)
        assets = store.list_assets(match=lambda d: _marked(d.get("meta")) or d.get("id") in index)
    hits = []
    for a in assets:
        uses = index.get(a.id, [])
        if not in_library(a, uses) or (kind and kind_of(a, uses) != kind) or (q and q not in a.name.casefold()):
            continue
        lib = facts_of(a) or {}
        if wanted and wanted not in (lib.get("tags") or []):
            continue
        hits.append((lib.get("added") or a.created, a, uses))
    hits.sort(key=lambda h: h[0], reverse=True)
    page = [row(store, a, uses) for _, a, uses in hits[offset:offset + limit]]
    return {"total": len(hits), "offset": offset, "limit": limit, "assets": page}


def details(store: Store, asset_id: str) -> dict[str, Any]:
    """One library asset: its row, its record and every use ({..., words}). A user file shown here
    for the first time is checked and gets its preview (it keeps it)."""
    asset, uses = library_asset(store, asset_id)
    if "facts" not in (facts_of(asset) or {}):
        asset = _adopt(store, asset, uses)
    # The record without its relative "path" ("file" is the full one): a client would take a dict with
    # a "path" for a file to fetch.
    record = {k: v for k, v in asdict(asset).items() if k != "path"}
    return row(store, asset, uses) | {"record": record, "uses": [u.as_dict() for u in uses]}


def tag(store: Store, asset_id: str, add: Any = (), remove: Any = ()) -> dict[str, Any]:
    """Add and remove tags in one atomic change; a bad tag changes nothing."""
    add, remove = clean_tags(add), clean_tags(remove)
    with store.transaction():
        asset, uses = library_asset(store, asset_id)
        lib = dict(facts_of(asset) or {"kind": kind_of(asset, uses), "added": asset.created})
        lib["tags"] = merged_tags(lib.get("tags") or [], add, remove)
        asset = store.update_asset(asset.id, meta={**asset.meta, LIBRARY: lib})
    return row(store, asset, uses)


def delete(store: Store, asset_id: str) -> dict[str, Any]:
    """Forget a library asset and its preview, and remove their files; refused, changing nothing,
    while a project uses it. A file the step cache also needs stays (only its library marks go)."""
    with store.transaction():
        asset, uses = library_asset(store, asset_id)
        if uses:
            words = [u.words() for u in uses]
            more = f" and {len(words) - 6} more" if len(words) > 6 else ""
            raise VidgenError(f"Asset '{asset.name[:60]}' is used by {', '.join(words[:6])}{more}: use another "
                              "file there (or remove it) first, then delete it.")
        preview = (facts_of(asset) or {}).get("preview") or ""
        if store.step_uses(asset.id):
            store.update_asset(asset.id, meta={k: v for k, v in asset.meta.items() if k not in (LIBRARY, USER_FILE)})
            removed = False
        else:
            removed = store.delete_asset(asset.id)
        if preview and _unneeded_preview(store, preview):
            store.delete_asset(preview)
    return {"deleted": asset.id, "name": asset.name, "file_removed": removed}


def library_asset(store: Store, asset_id: Any) -> tuple[Asset, list[Use]]:
    """The asset and its uses; VidgenError unless it is in the library."""
    asset = store.get_asset(need_id(asset_id, "asset"))
    uses = usage_index(store).get(asset.id, [])
    if not in_library(asset, uses):
        raise VidgenError(f"Asset '{asset.id[:12]}' is not in the library (vidgen made it): upload your own "
                          "file (/upload_asset).")
    return asset, uses


# --- tags and names -----------------------------------------------------------------------------

def clean_tag(value: Any) -> str:
    if not isinstance(value, str):
        raise VidgenError(f"A tag must be text, not {type(value).__name__}.")
    t = value.strip().lower()
    if not _TAG.fullmatch(t):
        raise VidgenError(f"Bad tag {value.strip()[:40]!r}: a tag is 1 to 32 letters, digits, - or _ (no spaces).")
    return t


def clean_tags(tags: Any) -> list[str]:
    """Tags from a list of words or text separated by commas/spaces, lower-cased, each once."""
    if isinstance(tags, str):
        items = [t for t in re.split(r"[,\s]+", tags) if t]
    elif isinstance(tags, (list, tuple)):
        items = list(tags)
    elif tags is None:
        items = []
    else:
        raise VidgenError(f"Tags must be a list of words (or text separated by commas), not {type(tags).__name__}.")
    out: list[str] = []
    for t in items:
        t = clean_tag(t)
        if t not in out:
            out.append(t)
    if len(out) > MAX_TAGS:
        raise VidgenError(f"{len(out)} tags is over the limit of {MAX_TAGS} per asset: keep the most useful ones.")
    return out


def merged_tags(old: list[str], add: list[str], remove: list[str]) -> list[str]:
    tags = [t for t in old if t not in remove] + [t for t in add if t not in old and t not in remove]
    if len(tags) > MAX_TAGS:
        raise VidgenError(f"That makes {len(tags)} tags, over the limit of {MAX_TAGS} per asset: remove some first.")
    return tags


def clean_name(name: Any) -> str:
    """A display name as given (trimmed), "" for none."""
    if name is None:
        return ""
    need_str(name, "name")
    name = " ".join(name.split())
    if not name.isprintable():
        raise VidgenError("The name holds control characters: type it again as plain text.")
    if len(name) > MAX_NAME:
        raise VidgenError(f"The name is {len(name)} characters long: use at most {MAX_NAME}.")
    return name


# --- helpers ------------------------------------------------------------------------------------

def _adopt(store: Store, asset: Asset, uses: list[Use]) -> Asset:
    """Give a user file (kept before it was in the library) its check's facts and preview."""
    kind = kind_of(asset, uses)
    facts: dict[str, Any] = {}
    preview = {"preview": "", "preview_path": ""}
    try:
        checked = check_file(store.asset_path(asset), kind, asset.name)
        facts, preview = checked.facts, _keep_preview(store, checked.preview, asset.id)
    except VidgenError as exc:  # shown without a preview: the file is the user's, as they gave it
        log.warning("Asset %s does not check as %s: %s", asset.id, kind or "any kind", exc)
        facts = {"problem": str(exc)}
    with store.transaction():
        current = store.get_asset(asset.id)
        lib = dict(facts_of(current) or {"tags": [], "added": current.created})
        lib.update(kind=kind, facts=facts, **preview)
        return store.update_asset(current.id, meta={**current.meta, LIBRARY: lib})


def _unneeded_preview(store: Store, preview: str) -> bool:
    """A preview no other asset shows, no project names and no cached step needs."""
    if preview in usage_index(store) or store.step_uses(preview):
        return False
    try:
        store.get_asset(preview)
    except VidgenError:
        return False
    return not store.list_assets(match=lambda d: _lib_doc(d.get("meta")).get("preview") == preview)


def _keep_preview(store: Store, png: bytes, asset_id: str) -> dict[str, str]:
    """Store a preview PNG as its own (internal) asset: {"preview": id, "preview_path": its path}."""
    if not png:
        return {"preview": "", "preview_path": ""}
    kept = store.add_bytes(png, type="image", ext=".png", name=f"preview-{asset_id[:12]}.png",
                           meta={"preview_of": asset_id})
    return {"preview": kept.id, "preview_path": kept.path}


def _lib_doc(meta: Any) -> dict[str, Any]:
    lib = meta.get(LIBRARY) if isinstance(meta, dict) else None
    return lib if isinstance(lib, dict) else {}


def _marked(meta: Any) -> bool:
    """A stored record's meta marks it as the library's (module docstring)."""
    return isinstance(meta, dict) and (isinstance(meta.get(LIBRARY), dict) or bool(meta.get(USER_FILE)))
