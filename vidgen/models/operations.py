"""What a user does with models, once: list, download, activate, add, remove, storage, versions,
verify, bench.

The CLI (`vidgen/cli/models.py`) prints these results, the Models tab shows them and the API
returns them as JSON, so the three say the same things. Every function takes the store's
registry (`registry_for(store)`) and returns plain data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..errors import VidgenError
from . import bench as benchmark
from . import hub, ollama_server, url_records, verify as checking, versions as revisions
from .cache import get_cache
from .ollama_server import host_of as ollama_host
from .registry import ModelSpec, Registry

Progress = Callable[[float, str], None]
# Called before each model of a download (its `requires` first) with its compatibility; returns
# that model's progress callback (or None), so the CLI can draw one bar per model.
Start = Callable[[ModelSpec, dict[str, str]], Progress | None]

# What activating a model of a kind changes: only kinds a render reads from the registry.
EFFECT = {
    "image": "takes effect on the next render, for scenes and projects that name no image model",
    "music": "takes effect on the next render of projects that name no music model",
    "voice": "new projects, and `vidgen render` without --voice, speak with it",
    "sfx": "takes effect on the next render of projects that name no sound-effects model",
}


def row(spec: ModelSpec, registry: Registry, info: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None) -> dict[str, Any]:
    """One model as JSON-able data: its record, status (ready | planned), runs, active, downloaded,
    pinned, its benchmark here, and compatibility with this machine when `info` (hub.device_info()) is
    given. `state`: its stored state, when the caller has read them all at once."""
    out = spec.to_dict()
    out.update(status=spec.status, runs=spec.runs, active=registry.is_active(spec),
               downloaded=hub.is_downloaded(spec), pinned=spec.pinned)
    out.pop("folder", None)  # the server's folders stay on the server
    state = registry.state(spec.id) if state is None else state
    out["bench"] = state.get("bench") or {}
    out["measured"] = benchmark.summary(out["bench"]) if out["bench"] else ""
    if spec.source == "ollama":  # the server's own figures: real bytes and the digest it runs
        found = ollama_server.find_model(spec.repo) if out["downloaded"] else None
        out.update(bytes=int((found or {}).get("size", 0)), digest=(found or {}).get("digest", ""))
    if info is not None:
        out["compatibility"] = hub.compatibility(spec, info)
    return out


def source_label(r: dict[str, Any]) -> str:
    """Where a model comes from, with its version: hf:owner/name@commit, url:host, ollama:tag, builtin."""
    if r["source"] == "hf":
        return f"hf:{r['repo']}@{r['revision'][:10]}" if r.get("pinned") else f"hf:{r['repo']} ({r['revision']})"
    if r["source"] == "url":
        return "url:" + (r["urls"][0].split("/")[2] if r.get("urls") else "?")
    return r["source"] if r["source"] == "builtin" else f"{r['source']}:{r['repo']}"


def list_rows(registry: Registry, kind: str | None = None) -> list[dict[str, Any]]:
    """Every model (of `kind`; None or "" = all) with its state on this machine."""
    info, states = hub.device_info(), registry.states()  # one read of the store for every row
    return [row(s, registry, info, states.get(s.id, {})) for s in registry.list((kind or "").strip() or None)]


def download_plan(registry: Registry, model_id: str) -> list[ModelSpec]:
    """The records a download fetches: what the model requires, then the model; a planned one refused."""
    spec = registry.get(model_id.strip())
    plan = [registry.get(r) for r in spec.requires] + [spec]
    for s in plan:
        s.check_runs()
    return plan


def download(registry: Registry, model_id: str, start: Start | None = None, *, check: bool = True,
             max_bytes: int = url_records.DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Fetch a model (`ID` or `ID@REV`) and the models it requires (resumable), verify each file
    against its published hash, and pin a record still on a branch to the commit it got. Returns
    its row with `folder`, `fetched` ([{id, folder, revision, checked}]; folder "" when built in)."""
    model_id, revision = revisions.split_ref(model_id)
    plan = download_plan(registry, model_id)
    if revision:
        plan[-1] = revisions.at_revision(plan[-1], revision)
    info = hub.device_info()
    fetched = []
    for s in plan:
        progress = start(s, hub.compatibility(s, info)) if start is not None else None
        if s.source == "url":
            path = url_records.download(registry, s, progress=progress, max_bytes=max_bytes)
        else:
            path = hub.download(s, progress=progress)
        checked = 0
        if check and s.source == "hf":
            checked = sum(r["ok"] is True for r in checking.check_download(s, path))
        got = path.name if s.source == "hf" else ""
        if not (revision and s is plan[-1]):
            revisions.pin_after_download(registry, s, str(path))
        fetched.append({"id": s.id, "folder": "" if path == Path() else str(path), "revision": got,
                        "checked": checked})
    return {**row(registry.get(plan[-1].id), registry, info), "folder": fetched[-1]["folder"], "fetched": fetched}


def activate(registry: Registry, model_id: str) -> dict[str, Any]:
    """Make a model the active one of its kind; `effect` says what that changes, `download` what to
    fetch first (empty when nothing)."""
    spec = registry.get(model_id.strip())
    before = registry.active_or_none(spec.kind)
    spec = registry.activate(spec.id)
    ready = [s for s in registry.list(spec.kind) if s.runs]
    if before is not None and before.id == spec.id:
        effect = "it already was: nothing changes"
    elif len(ready) == 1:
        effect = f"it is the only {spec.kind} model that runs, so renders are unchanged"
    else:
        effect = EFFECT.get(spec.kind, "takes effect on the next render")
    out = row(spec, registry)
    fetch = [s.id for s in [registry.get(r) for r in spec.requires] + [spec]
             if s.source in ("hf", "url", "ollama") and not hub.is_downloaded(s)]
    out.update(effect=effect, download=f"python -m vidgen models download {spec.id}" if fetch else "")
    return out


def add(registry: Registry, repo: str, kind: str, *, name: str = "", revision: str = "main") -> dict[str, Any]:
    """Register a model by repo id (an Ollama tag for llm); a kind nothing runs yet is stored as planned."""
    return row(registry.add(repo, kind, name=name, revision=revision), registry)


def add_url(registry: Registry, urls: list[str], kind: str, *, sha256: list[str] | None = None, name: str = "",
            allow_pickle: bool = False) -> dict[str, Any]:
    """Register a model from direct URLs (fetched by `download`, checked against `sha256`)."""
    spec = url_records.add_url(registry, urls, kind, sha256=sha256 or (), name=name, allow_pickle=allow_pickle)
    return row(spec, registry)


def model_versions(registry: Registry, model_id: str, *, online: bool = True) -> dict[str, Any]:
    return revisions.versions(registry, model_id, online=online)


def use_revision(registry: Registry, ref: str, *, project_id: str = "") -> dict[str, Any]:
    """Switch the data folder's default (or one project) to a downloaded revision of a hub model."""
    return revisions.use(registry, ref, store=registry.store, project_id=project_id)


def verify(registry: Registry, model_id: str) -> dict[str, Any]:
    """Re-check a downloaded model's files on disk: {id, ok, files: [{file, ok, reason}], changed}."""
    spec = registry.get(model_id.strip())
    if spec.source == "url":
        files = url_records.verify(registry, spec)
    elif spec.source == "hf":
        files = checking.verify_snapshot(spec, hub.local_path(spec))
    else:
        raise VidgenError(f"{spec.id} is {'built in' if spec.builtin else 'kept by the Ollama server'}: "
                          "there are no downloaded files of vidgen's to verify.")
    changed = [f["file"] for f in files if f["ok"] is False]
    return {"id": spec.id, "revision": spec.revision, "ok": not changed, "files": files, "changed": changed,
            "unchecked": [f["file"] for f in files if f["ok"] is None]}


def bench(registry: Registry, model_id: str, progress: Progress | None = None) -> dict[str, Any]:
    """Measure what a model costs here (load, one unit of work, peak memory) and keep it with the record."""
    spec = registry.get(model_id.strip())
    shared = get_cache()
    with shared.lane.hold(f"bench:{spec.id}"):  # no render computes meanwhile (the hold is re-entrant)
        shared.evict(spec.id)  # the bench loads its own copy: never two of one model on the device
        result = benchmark.bench(registry, spec.id, progress=progress)
    registry.set_bench(spec.id, result)
    return result


def remove(registry: Registry, model_id: str, *, forget: bool = False) -> dict[str, Any]:
    """Delete a model's downloaded files; `forget` also drops a model the user added.
    Returns {"id", "freed": bytes, "forgotten", "note"} (note: what vidgen cannot free itself)."""
    spec = registry.get(model_id.strip())
    if forget and not spec.user:
        registry.remove_user_model(spec.id)  # raises (a built-in record), before any file is deleted
    freed, note = 0, ""
    if spec.source in ("hf", "url"):
        freed = hub.remove(spec)
    elif spec.source == "ollama":
        freed = hub.remove(spec)  # the Ollama server deletes it; VidgenError when no server answers
        note = "" if freed else f"the Ollama server at {ollama_host()} does not have {spec.repo}: nothing to remove."
    else:
        note = f"{spec.id} is built in: it has no files to remove."
    if forget:
        registry.remove_user_model(spec.id)
    return {"id": spec.id, "freed": freed, "forgotten": forget, "note": note}


def storage(registry: Registry, *, live: bool = True) -> dict[str, Any]:
    """Bytes per model and per kind, the cache folder and free disk; with `live`, also the device
    and this process's model cache stats (a studio has them; a CLI process has nothing loaded)."""
    info = hub.storage_info(registry)
    if live:
        info["device"] = hub.device_info()
        info["cache"] = get_cache().stats()
    return info


def server_llms(registry: Registry) -> list[dict[str, Any]]:
    """Models the local Ollama server has that no LLM record names (use them as ollama:TAG): its
    `ollama list` rows; [] when no server answers (never raises, never waits long)."""
    try:
        rows = ollama_server.local_models(timeout=2.0)
    except VidgenError:
        return []
    named = {ollama_server.full_tag(s.repo) for s in registry.list("llm") if s.source == "ollama"}
    return [r for r in rows if ollama_server.full_tag(r["name"]) not in named]
