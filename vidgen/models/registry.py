"""The model registry: every model vidgen knows, and the active one per kind.

Built-in records come from `registry.json` (see `records.py`); models the user adds by repo id,
and which model is active per kind, live in the store's `models` table. Building a `Registry`
reads those two and nothing else: no network, no torch. `registry_for(store)` is the one
registry of a store; a planned record (no runtime) is never active.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import re
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import VidgenError
from .backends import has_runtime
from .records import (DATA_FILE, INSTEAD, KINDS, LIST_HINT, OLLAMA_TAG, OPTIONAL_KINDS, SOURCES, STATUSES,
                      ModelSpec, builtin_specs, check_kind, check_repo_id, has_default, none_runs)

if TYPE_CHECKING:
    from ..store import Store

R = TypeVar("R", bound="PackagedRecords")

# Re-exported: callers import the record types from here.
__all__ = ["KINDS", "OPTIONAL_KINDS", "SOURCES", "STATUSES", "INSTEAD", "DATA_FILE", "ModelSpec", "Registry",
           "builtin_specs", "check_repo_id", "has_default", "registry_for", "packaged", "PackagedRecords"]

# What a model added by repo id runs on, per kind, and the files that backend needs.
ADD_BACKENDS = {
    "llm": "ollama",
    "image": "diffusers-sdxl",
    "animation": "diffusers-animatediff",
    "voice": "transformers-vits",
    "music": "transformers-musicgen",
    "lipsync": "wav2lip",
    "sfx": "diffusers-stable-audio",
}
_DIFFUSERS_FILES = ("*.json", "*.txt", "*/*.model", "*/*.safetensors")  # folders only: no root single-file checkpoints
ADD_PATTERNS: dict[str, tuple[str, ...]] = {
    "diffusers-sdxl": _DIFFUSERS_FILES,
    "diffusers-animatediff": ("*.json", "*.safetensors"),  # a MotionAdapter lives at the repo root
    "transformers-vits": ("*.json", "*.safetensors"),
    "transformers-musicgen": ("*.json", "*.model", "*.safetensors"),
    "wav2lip": ("*.pth",),
    "diffusers-stable-audio": _DIFFUSERS_FILES,
    "ollama": (),
}
ADD_REQUIRES = {"diffusers-animatediff": ("sd15",)}
ADD_IP_ADAPTERS = {"diffusers-sdxl": "ip-adapter-sdxl"}  # a user's SDXL fine-tune takes SDXL's adapter


class PackagedRecords:
    """The records vidgen ships, read-only: what code without a data folder may look up (the built-in
    Piper voice, the composer, tests). It knows no added model and no activation, and cannot make any:
    for those use the store's registry (`registry_for(store)`)."""

    store: "Store | None" = None
    models_dir: Path | None = None  # where url records keep their files (the data folder's models/)
    _revisions: dict[str, str] = {}  # a project's revisions (`with_revisions`), over the stored ones

    def __init__(self) -> None:
        self._builtin = {s.id: s for s in builtin_specs()}

    def _states(self) -> list[dict[str, Any]]:
        return []

    def _records(self, states: list[dict[str, Any]] | None = None) -> dict[str, ModelSpec]:
        """Every record, with the revision chosen for it (`models use`; a project's over the data
        folder's) and, for url records, the folder their files live in."""
        records = dict(self._builtin)
        states = states if states is not None else self._states()
        for st in states:
            spec = st.get("spec")
            if isinstance(spec, dict) and st.get("id") not in self._builtin:
                try:
                    records[st["id"]] = ModelSpec.from_dict(spec)
                except (TypeError, ValueError) as exc:
                    raise VidgenError(
                        f"The stored user model '{st.get('id')}' is damaged ({exc}): "
                        f"remove it with `python -m vidgen models remove {st.get('id')} --forget`."
                    ) from exc
        chosen = {st["id"]: st["revision"] for st in states if st.get("revision") and st.get("id") in records}
        for model_id, revision in {**chosen, **self._revisions}.items():
            spec = records.get(model_id)
            if spec is not None and spec.source == "hf" and revision != spec.revision:
                records[model_id] = dataclasses.replace(spec, revision=revision)
        if self.models_dir is not None:
            for model_id, spec in records.items():
                if spec.source == "url":
                    records[model_id] = dataclasses.replace(spec, folder=str(self.models_dir / model_id))
        return records

    def states(self) -> dict[str, dict[str, Any]]:
        """What the data folder keeps per model id: activation, chosen revision, measured hashes, benchmark."""
        return {st["id"]: st for st in self._states() if st.get("id")}

    def state(self, model_id: str) -> dict[str, Any]:
        return self.states().get(model_id, {})

    def with_revisions(self: R, revisions: dict[str, str]) -> R:
        """This registry as a project sees it: `revisions` (model id -> commit) over the stored ones."""
        if not revisions:
            return self
        view = copy.copy(self)
        view._revisions = dict(revisions)
        return view

    # --- reads ----------------------------------------------------------------------------------

    def get(self, model_id: str) -> ModelSpec:
        spec = self._records().get(model_id)
        if spec is None:
            raise VidgenError(f"Unknown model '{model_id}': {LIST_HINT}.")
        return spec

    def list(self, kind: str | None = None) -> list[ModelSpec]:
        if kind is not None:
            check_kind(kind)
        return [s for s in self._records().values() if kind is None or s.kind == kind]

    def default(self, kind: str) -> ModelSpec:
        check_kind(kind)
        if kind in OPTIONAL_KINDS:
            raise VidgenError(f"Models of kind '{kind}' are never active on their own; they load with the models that name them.")
        spec = next((s for s in self._builtin.values() if s.kind == kind and s.default), None)
        if spec is None:
            raise VidgenError(none_runs(kind, self._builtin.values()))
        return spec

    def active_or_none(self, kind: str) -> ModelSpec | None:
        """The most recently activated runnable model of `kind` that still exists, else the default, else None.
        A stored activation of a planned record (from before it was marked planned) is ignored."""
        check_kind(kind)
        if kind in OPTIONAL_KINDS:
            return None
        states = self._states()
        records = self._records(states)
        chosen = [
            (float(st.get("activated") or 0), st["id"])
            for st in states
            if st.get("activated") and st.get("id") in records and records[st["id"]].kind == kind
            and records[st["id"]].runs
        ]
        if chosen:
            return records[max(chosen)[1]]
        return next((s for s in self._builtin.values() if s.kind == kind and s.default), None)

    def active(self, kind: str) -> ModelSpec:
        """The active model of `kind`; VidgenError for a kind with no model that runs (adapters, lipsync today)."""
        check_kind(kind)
        if kind in OPTIONAL_KINDS:
            return self.default(kind)  # raises: adapters are never active on their own
        spec = self.active_or_none(kind)
        if spec is None:
            raise VidgenError(none_runs(kind, self._records().values()))
        return spec

    def is_active(self, spec: ModelSpec) -> bool:
        if spec.kind in OPTIONAL_KINDS or not spec.runs:
            return False
        active = self.active_or_none(spec.kind)
        return active is not None and active.id == spec.id



class Registry(PackagedRecords):
    """The packaged records plus the user's models, and the active model per kind, of one store.

    Every read goes to the store, so an activation or an added model from another `Registry` (or
    process) on the same data folder takes effect on the next call. Use `registry_for(store)`.
    """

    def __init__(self, store: "Store") -> None:
        if store is None:
            raise VidgenError("A registry needs the data folder's store: without it, it cannot see activations "
                              "or added models (use registry_for(store), or packaged() for the shipped records).")
        super().__init__()
        self.store = store
        self.models_dir = models_dir(store)

    def _states(self) -> list[dict[str, Any]]:
        return self.store.list_model_states()

    def _set_state(self, model_id: str, **fields: Any) -> None:
        self.store.set_model_state(model_id, **fields)

    def set_revision(self, model_id: str, revision: str) -> ModelSpec:
        """Use `revision` of a hub model from now on (the data folder's default; a project may override it)."""
        self._set_state(self.get(model_id).id, revision=revision)
        return self.get(model_id)

    def set_bench(self, model_id: str, result: dict[str, Any]) -> None:
        """Keep a benchmark's figures with the record (`models list` shows them)."""
        self._set_state(self.get(model_id).id, bench=result)

    # --- writes ---------------------------------------------------------------------------------

    def activate(self, model_id: str) -> ModelSpec:
        """Make `model_id` the active model of its kind; the next use loads it (no restart)."""
        spec = self.get(model_id)
        if spec.kind in OPTIONAL_KINDS:
            raise VidgenError(f"'{model_id}' is an {spec.kind}: it loads with the models that use it and is never "
                              "active on its own; download it with `python -m vidgen models download "
                              f"{model_id}`.")
        spec.check_runs()
        self._set_state(spec.id, activated=time.time())
        return spec

    def add(self, repo: str, kind: str, *, name: str = "", revision: str = "main") -> ModelSpec:
        """Register a user model by HF repo id (an Ollama tag for kind llm), validated against its kind.

        A kind whose add-backend has no runtime yet (lipsync) is stored as planned:
        listed, and refused by activate and download until vidgen can run it."""
        check_kind(kind)
        if kind not in ADD_BACKENDS:
            raise VidgenError(f"Models of kind '{kind}' come with vidgen's registry and cannot be added by repo id.")
        backend = ADD_BACKENDS[kind]
        revision = (revision or "").strip()
        if not revision or any(c.isspace() for c in revision):
            raise VidgenError(f"'{revision}' is not a revision: use a branch, tag or commit hash (default main).")
        if backend == "ollama":
            repo = (repo or "").strip()
            if not OLLAMA_TAG.match(repo):
                raise VidgenError(f"'{repo}' is not an Ollama model tag: use name[:tag], e.g. llama3.1:8b or qwen2.5:7b.")
            source, revision = "ollama", ""
        else:
            repo = check_repo_id(repo)
            source = "hf"
        records = self._records()
        for s in records.values():
            if s.repo.lower() == repo.lower() and s.kind == kind and (source == "ollama" or s.revision == revision):
                raise VidgenError(f"{repo} is already registered as '{s.id}' ({kind}): activate it with "
                                  f"`python -m vidgen models activate {s.id}`.")
        spec = ModelSpec(
            id=new_id(repo, records),
            kind=kind,
            backend=backend,
            name=(name or "").strip() or repo,
            source=source,
            repo=repo,
            revision=revision,
            allow_patterns=ADD_PATTERNS[backend],
            license="see the model card",
            user=True,
            requires=ADD_REQUIRES.get(backend, ()),
            ip_adapter=ADD_IP_ADAPTERS.get(backend, ""),
            notes=f"Added by the user; {'runs on' if has_runtime(kind, backend) else 'for'} the {backend} backend.",
        )
        bad = spec.problems()
        if bad:  # a bug in the rules above, not the user's input
            raise VidgenError(f"Cannot add {repo}: {'; '.join(bad)}.")
        return self.keep(spec)

    def keep(self, spec: ModelSpec) -> ModelSpec:
        """Store a checked user record (`add`, url_records.add_url); returns it as the registry sees it."""
        self._set_state(spec.id, spec=spec.stored(), added=time.time())
        return self.get(spec.id)

    def set_hashes(self, model_id: str, hashes: list[str]) -> None:
        """Keep the sha256 of each file of a url record, as measured at its first download."""
        self._set_state(self.get(model_id).id, sha256=hashes)

    def remove_user_model(self, model_id: str) -> None:
        """Forget a model the user added (its downloaded files are `hub.remove`'s business)."""
        spec = self.get(model_id)
        if not spec.user:
            raise VidgenError(f"'{model_id}' is a built-in record and cannot be removed; "
                              f"`python -m vidgen models remove {model_id}` deletes its downloaded files.")
        self.store.delete_model_state(model_id)


_registries: "weakref.WeakKeyDictionary[Store, Registry]" = weakref.WeakKeyDictionary()
_registries_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def packaged() -> PackagedRecords:
    """The records vidgen ships (read-only; see PackagedRecords)."""
    return PackagedRecords()


def registry_for(store: "Store") -> Registry:
    """The one registry of `store`, made on first call (kept beside the store, freed with it).

    Every read goes to the store anyway, so sharing it only saves re-reading registry.json and keeps
    one object to pass around (typed `Registry`, never `Any`)."""
    if store is None:
        raise VidgenError("registry_for needs the data folder's store: a registry without it cannot see "
                          "activations or added models.")
    with _registries_lock:
        registry = _registries.get(store)
        if registry is None:
            registry = _registries[store] = Registry(store)
        return registry


def models_dir(store: "Store") -> Path:
    """The data folder's models/: the files of url records, one folder per record id."""
    return store.settings.data_dir / "models"


def _slug(text: str) -> str:
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9._-]+", "-", text.lower())).strip("-._") or "model"


def new_id(repo: str, taken: dict[str, ModelSpec]) -> str:
    """An id from the repo name; the owner is prefixed, then a number added, until it is unique."""
    owner, _, rest = repo.partition("/") if "/" in repo else ("", "", repo)
    name = _slug(rest.replace(":", "-"))
    candidates = [name] + ([f"{_slug(owner)}-{name}"] if owner else [])
    for c in candidates:
        if c not in taken:
            return c
    n = 2
    while f"{candidates[-1]}-{n}" in taken:
        n += 1
    return f"{candidates[-1]}-{n}"
