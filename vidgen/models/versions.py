"""Revisions of hub models: which are downloaded, which the hub offers, and which one renders use.

    versions(registry, "sdxl-turbo")              # downloaded commits (+ the hub's branches and tags online)
    use(registry, "sdxl-turbo@1a2b3c4", store=..., project=None)  # the data folder's default, or a project's

Records pin a commit; a record still on a branch is pinned to the commit its first download got
(`pin_after_download`), so the same id renders the same files until the user switches.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import TYPE_CHECKING, Any

from ..errors import VidgenError
from . import hub
from .records import COMMIT, ModelSpec
from .registry import Registry

if TYPE_CHECKING:
    from ..store import Store

log = logging.getLogger(__name__)


def split_ref(ref: str) -> tuple[str, str]:
    """"ID@REV" -> (ID, REV); REV "" when absent."""
    model_id, _, revision = (ref or "").strip().partition("@")
    return model_id.strip(), revision.strip()


def local_revisions(spec: ModelSpec) -> list[dict[str, Any]]:
    """The commits of the record's repo in the HF cache: {commit, refs, bytes, files, modified}, newest first."""
    if spec.source != "hf":
        return []
    repo = hub.cached_repos().get(spec.repo)
    if repo is None:
        return []
    rows = [{"commit": r.commit_hash, "refs": sorted(r.refs), "bytes": int(r.size_on_disk), "files": len(r.files),
             "modified": float(r.last_modified)} for r in repo.revisions]
    return sorted(rows, key=lambda r: -r["modified"])


def hub_revisions(spec: ModelSpec, *, limit: int = 10) -> tuple[list[dict[str, Any]], str]:
    """(what the hub offers: its branches, tags and latest commits, a note); [] and why when offline."""
    if spec.source != "hf":
        return [], ""
    if hub.offline():
        return [], "offline (HF_HUB_OFFLINE): only downloaded revisions are listed"
    try:
        from huggingface_hub import HfApi

        api = HfApi(token=os.environ.get("HF_TOKEN") or None)
        refs = api.list_repo_refs(spec.repo)
        commits = api.list_repo_commits(spec.repo)[:limit]
    except Exception as exc:  # unreachable, gated, private: the downloaded ones still list
        return [], f"the hub did not answer ({str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__})"
    rows = [{"commit": b.target_commit, "ref": b.name, "type": "branch"} for b in refs.branches]
    rows += [{"commit": t.target_commit, "ref": t.name, "type": "tag"} for t in refs.tags]
    rows += [{"commit": c.commit_id, "ref": c.title[:60], "type": "commit", "date": c.created_at.isoformat()}
             for c in commits]
    return rows, ""


def versions(registry: Registry, model_id: str, *, online: bool = True) -> dict[str, Any]:
    """The record's chosen revision, its downloaded revisions and (online) the hub's."""
    spec = registry.get(model_id.strip())
    if spec.source != "hf":
        raise VidgenError(f"{spec.id} is {'built in' if spec.builtin else 'from ' + spec.source}: only Hugging Face "
                          "models have revisions (a URL model is checked by its files' sha256).")
    local = local_revisions(spec)
    for r in local:
        r["used"] = r["commit"] == spec.revision or spec.revision in r["refs"]
    offered, note = hub_revisions(spec) if online else ([], "")
    return {"id": spec.id, "repo": spec.repo, "revision": spec.revision, "pinned": spec.pinned,
            "packaged": getattr(registry._builtin.get(spec.id), "revision", ""),
            "downloaded": local, "hub": offered, "note": note}


def _match(spec: ModelSpec, revision: str) -> str:
    """The downloaded commit that `revision` names (a full or short commit, or a branch/tag seen locally)."""
    local = local_revisions(spec)
    hits = [r["commit"] for r in local
            if r["commit"] == revision or (len(revision) >= 7 and r["commit"].startswith(revision.lower()))
            or revision in r["refs"]]
    if len(set(hits)) == 1:
        return hits[0]
    have = ", ".join(r["commit"][:10] for r in local) or "none"
    if hits:
        raise VidgenError(f"'{revision}' matches several downloaded revisions of {spec.id} ({have}): give more digits.")
    raise VidgenError(f"Revision '{revision}' of {spec.id} is not downloaded (downloaded: {have}): fetch it with "
                      f"`python -m vidgen models download {spec.id}@{revision}` first.")


def use(registry: Registry, ref: str, *, store: "Store | None" = None, project_id: str = "") -> dict[str, Any]:
    """Make renders use a downloaded revision: the data folder's default, or one project's (`project_id`)."""
    model_id, revision = split_ref(ref)
    if not revision:
        raise VidgenError(f"Say which revision: `models use {model_id or 'ID'}@REV` (see `models versions "
                          f"{model_id or 'ID'}`).")
    spec = registry.get(model_id)
    if spec.source != "hf":
        raise VidgenError(f"{spec.id} is not a Hugging Face model: it has no revisions to switch between.")
    commit = _match(spec, revision)
    if project_id:
        if store is None:
            raise VidgenError("A project's revision needs the data folder's store.")
        project = store.get_project(project_id)
        project.model_revisions = {**project.model_revisions, spec.id: commit}
        store.save_project(project)
        scope = f"project {project_id}"
    else:
        registry.set_revision(spec.id, commit)
        scope = "the data folder's default"
    return {"id": spec.id, "revision": commit, "scope": scope, "was": spec.revision}


def at_revision(spec: ModelSpec, revision: str) -> ModelSpec:
    """The record at another revision (a download of ID@REV)."""
    return dataclasses.replace(spec, revision=revision) if revision else spec


def pin_after_download(registry: Registry, spec: ModelSpec, folder: str) -> str:
    """A record on a branch (main) is pinned to the commit its download got (the snapshot folder's name);
    returns that commit ("" when nothing changed)."""
    commit = os.path.basename(folder.rstrip("/"))
    if spec.source != "hf" or spec.pinned or not COMMIT.match(commit) or registry.store is None:
        return ""
    registry.set_revision(spec.id, commit)
    log.info("pinned %s to %s (it named %s)", spec.id, commit, spec.revision)
    return commit
