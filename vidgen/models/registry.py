"""The model registry: every model vidgen knows, as data.

Built-in records come from `registry.json` beside this module; models the user adds by repo id,
and which model is active per kind, live in the store's `models` table. Building a `Registry`
reads those two and nothing else: no network, no torch.

A record runs ("ready") when `backends.RUNTIMES` has code for its (kind, backend), else it is
"planned": listed, but never activated, downloaded or a default. `registry_for(store)` is the one
registry of a store.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
import weakref
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import VidgenError
from .backends import has_runtime

if TYPE_CHECKING:
    from ..store import Store

KINDS = ("llm", "image", "animation", "voice", "music", "lipsync", "adapter")
OPTIONAL_KINDS = ("adapter",)  # kinds with no built-in default: nothing runs them on their own
STATUSES = ("ready", "planned")  # whether vidgen has code that runs a record (backends.RUNTIMES)
# What a render does instead of a planned record, for the one-line refusal.
INSTEAD = {
    "llm": "scripts are read by the built-in rule parser",
    "image": "renders use the active image model",
    "animation": "renders use the camera move",
    "voice": "renders use the active voice",
    "music": "renders use the active music model",
    "lipsync": "renders have no lip sync",
    "adapter": "images are not conditioned on reference pictures by it",
}
SOURCES = ("hf", "ollama", "builtin")
DATA_FILE = Path(__file__).with_name("registry.json")

# What a model added by repo id runs on, per kind, and the files that backend needs.
ADD_BACKENDS = {
    "llm": "ollama",
    "image": "diffusers-sdxl",
    "animation": "diffusers-animatediff",
    "voice": "transformers-vits",
    "music": "transformers-musicgen",
    "lipsync": "wav2lip",
}
_DIFFUSERS_FILES = ("*.json", "*.txt", "*/*.model", "*/*.safetensors")  # folders only: no root single-file checkpoints
ADD_PATTERNS: dict[str, tuple[str, ...]] = {
    "diffusers-sdxl": _DIFFUSERS_FILES,
    "diffusers-animatediff": ("*.json", "*.safetensors"),  # a MotionAdapter lives at the repo root
    "transformers-vits": ("*.json", "*.safetensors"),
    "transformers-musicgen": ("*.json", "*.model", "*.safetensors"),
    "wav2lip": ("*.pth",),
    "ollama": (),
}
ADD_REQUIRES = {"diffusers-animatediff": ("sd15",)}
ADD_IP_ADAPTERS = {"diffusers-sdxl": "ip-adapter-sdxl"}  # a user's SDXL fine-tune takes SDXL's adapter

# HF rules: owner/name, letters, digits, "-", "_", "."; no "--" or ".."; at most 96 characters.
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_OLLAMA = re.compile(r"^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)?(:[A-Za-z0-9][A-Za-z0-9_.-]*)?$")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_LIST = "run `python -m vidgen models list`"


@dataclass(frozen=True)
class ModelSpec:
    id: str  # short stable id, e.g. "sdxl-turbo"
    kind: str  # one of KINDS
    backend: str  # e.g. "diffusers-sdxl", "transformers-vits", "piper", "ollama", "rules"
    name: str  # display name
    source: str  # "hf" | "ollama" | "builtin"
    repo: str = ""  # HF repo id, or the ollama tag
    revision: str = "main"
    allow_patterns: tuple[str, ...] = ()  # only the files the backend needs
    size_gb: float = 0.0  # on disk (0: unknown, e.g. a user model)
    vram_gb: float = 0.0  # needed at fp16
    license: str = ""
    languages: tuple[str, ...] = ()
    default: bool = False  # exactly one default per kind
    builtin: bool = False  # needs no download (runs offline on CPU)
    user: bool = False  # added by the user
    notes: str = ""
    requires: tuple[str, ...] = ()  # ids of other records this one loads with (AnimateDiff -> its SD 1.5 base)
    ip_adapter: str = ""  # image models: id of the IP-Adapter record that conditions them on a reference image
    weights: str = ""  # adapters: the weight file inside the repo, e.g. "sdxl_models/ip-adapter_sdxl.safetensors"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelSpec":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"model record {d.get('id')!r}: unknown fields {unknown}")
        values = dict(d)
        for key in ("allow_patterns", "languages", "requires"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)

    @property
    def status(self) -> str:
        """"ready" when vidgen has code that runs this record, else "planned" (derived, never stored)."""
        return "ready" if has_runtime(self.kind, self.backend) else "planned"

    @property
    def runs(self) -> bool:
        return self.status == "ready"

    def check_runs(self) -> None:
        """VidgenError with the one line that says why a planned record cannot be used."""
        if not self.runs:
            raise VidgenError(f"{self.id} ({self.name}) has no runtime in vidgen yet (planned): nothing would use "
                              f"it; {INSTEAD.get(self.kind, 'renders do without it')}.")

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    def problems(self) -> list[str]:
        """What makes this record incomplete or inconsistent (empty when it is fine)."""
        out = []
        if not _ID.match(self.id or ""):
            out.append(f"id {self.id!r} must be lowercase letters, digits, '.', '_' or '-'")
        if self.kind not in KINDS:
            out.append(f"kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.source not in SOURCES:
            out.append(f"source {self.source!r} is not one of {', '.join(SOURCES)}")
        for field in ("backend", "name", "license"):
            if not getattr(self, field):
                out.append(f"{field} is empty")
        if self.source == "hf":
            if not _REPO.match(self.repo) or "--" in self.repo or ".." in self.repo:
                out.append(f"repo {self.repo!r} is not an owner/name HF repo id")
            if not self.revision:
                out.append("revision is empty")
            if not self.allow_patterns and not self.user:
                out.append("allow_patterns is empty (would download the whole repo)")
            if self.builtin:
                out.append("an hf model cannot be built in")
        elif self.source == "ollama":
            if not _OLLAMA.match(self.repo):
                out.append(f"ollama tag {self.repo!r} is not name[:tag]")
            if self.builtin:
                out.append("an ollama model cannot be built in")
        elif self.source == "builtin" and not self.builtin:
            out.append("a builtin-source record must have builtin=true")
        if self.default and not self.builtin:
            out.append("the default of a kind must be built in (a fresh machine works offline)")
        if self.default and not self.runs:
            out.append(f"a planned record (no runtime for {self.kind}/{self.backend}) cannot be a default")
        if self.kind == "adapter" and not self.weights:
            out.append("an adapter needs `weights`, the file inside its repo")
        if self.size_gb < 0 or self.vram_gb < 0:
            out.append("size_gb and vram_gb cannot be negative")
        return out


@lru_cache(maxsize=1)
def builtin_specs() -> tuple[ModelSpec, ...]:
    """The packaged records (registry.json), checked once per process."""
    try:
        data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
        specs = tuple(ModelSpec.from_dict(d) for d in data["models"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise VidgenError(f"The model registry {DATA_FILE} cannot be read ({exc}): reinstall vidgen.") from exc
    _check_records(specs)
    return specs


def _check_records(specs: tuple[ModelSpec, ...]) -> None:
    seen: set[str] = set()
    for s in specs:
        bad = s.problems()
        if bad:
            raise VidgenError(f"Model record '{s.id}' in {DATA_FILE.name} is invalid: {'; '.join(bad)}.")
        if s.id in seen:
            raise VidgenError(f"Model id '{s.id}' appears twice in {DATA_FILE.name}.")
        seen.add(s.id)
    for kind in KINDS:
        defaults = [s.id for s in specs if s.kind == kind and s.default]
        if len(defaults) != (1 if has_default(kind, specs) else 0):
            raise VidgenError(f"{DATA_FILE.name} must have {'exactly one' if has_default(kind, specs) else 'no'} "
                              f"default {kind} model, not {defaults}.")
    kinds = {s.id: s.kind for s in specs}
    for s in specs:
        missing = [r for r in s.requires if r not in seen]
        if missing:
            raise VidgenError(f"Model '{s.id}' requires unknown models {missing}.")
        if s.ip_adapter and kinds.get(s.ip_adapter) != "adapter":
            raise VidgenError(f"Model '{s.id}' names '{s.ip_adapter}' as its IP-Adapter, which is not an adapter record.")


def has_default(kind: str, specs: tuple[ModelSpec, ...] | None = None) -> bool:
    """Whether `kind` has a default: not an adapter, and some built-in record of it runs (lipsync has none yet)."""
    specs = builtin_specs() if specs is None else specs
    return kind not in OPTIONAL_KINDS and any(s.kind == kind and s.builtin and s.runs for s in specs)


def check_repo_id(repo: str) -> str:
    """`repo` stripped, or VidgenError saying what an HF repo id looks like."""
    repo = (repo or "").strip()
    if len(repo) > 96 or not _REPO.match(repo) or "--" in repo or ".." in repo:
        raise VidgenError(
            f"'{repo}' is not a Hugging Face repo id: use owner/name, e.g. stabilityai/sdxl-turbo "
            "(letters, digits, '-', '_', '.')."
        )
    return repo


class Registry:
    """Built-in records plus the user's models; the active model per kind.

    Without a store only the built-in records are known and activation is kept in memory.
    With one, every read goes to the store, so an activation or an added model from another
    `Registry` (or process) on the same data folder takes effect on the next call.
    """

    def __init__(self, store: "Store | None" = None) -> None:
        self.store = store
        self._builtin = {s.id: s for s in builtin_specs()}
        self._memory: dict[str, dict[str, Any]] = {}  # model states when there is no store

    # --- state ----------------------------------------------------------------------------------

    def _states(self) -> list[dict[str, Any]]:
        if self.store is None:
            return [dict(v, id=k) for k, v in self._memory.items()]
        return self.store.list_model_states()

    def _set_state(self, model_id: str, **fields: Any) -> None:
        if self.store is None:
            self._memory.setdefault(model_id, {}).update(fields)
        else:
            self.store.set_model_state(model_id, **fields)

    def _records(self, states: list[dict[str, Any]] | None = None) -> dict[str, ModelSpec]:
        records = dict(self._builtin)
        for st in states if states is not None else self._states():
            spec = st.get("spec")
            if isinstance(spec, dict) and st.get("id") not in self._builtin:
                try:
                    records[st["id"]] = ModelSpec.from_dict(spec)
                except (TypeError, ValueError) as exc:
                    raise VidgenError(
                        f"The stored user model '{st.get('id')}' is damaged ({exc}): "
                        f"remove it with `python -m vidgen models remove {st.get('id')} --forget`."
                    ) from exc
        return records

    # --- reads ----------------------------------------------------------------------------------

    def get(self, model_id: str) -> ModelSpec:
        spec = self._builtin.get(model_id) or self._records().get(model_id)
        if spec is None:
            raise VidgenError(f"Unknown model '{model_id}': {_LIST}.")
        return spec

    def list(self, kind: str | None = None) -> list[ModelSpec]:
        if kind is not None:
            _check_kind(kind)
        return [s for s in self._records().values() if kind is None or s.kind == kind]

    def default(self, kind: str) -> ModelSpec:
        _check_kind(kind)
        if kind in OPTIONAL_KINDS:
            raise VidgenError(f"Models of kind '{kind}' are never active on their own; they load with the models that name them.")
        spec = next((s for s in self._builtin.values() if s.kind == kind and s.default), None)
        if spec is None:
            raise VidgenError(_none_runs(kind, self._builtin.values()))
        return spec

    def _active(self, kind: str) -> ModelSpec | None:
        """The most recently activated runnable model of `kind` that still exists, else the default, else None.
        A stored activation of a planned record (from before it was marked planned) is ignored."""
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
        _check_kind(kind)
        if kind in OPTIONAL_KINDS:
            return self.default(kind)  # raises: adapters are never active on their own
        spec = self._active(kind)
        if spec is None:
            raise VidgenError(_none_runs(kind, self._records().values()))
        return spec

    def has_active(self, kind: str) -> bool:
        _check_kind(kind)
        return kind not in OPTIONAL_KINDS and self._active(kind) is not None

    def is_active(self, spec: ModelSpec) -> bool:
        if spec.kind in OPTIONAL_KINDS or not spec.runs:
            return False
        active = self._active(spec.kind)
        return active is not None and active.id == spec.id

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

        A kind whose add-backend has no runtime yet (llm, animation, lipsync) is stored as planned:
        listed, and refused by activate and download until vidgen can run it."""
        _check_kind(kind)
        if kind not in ADD_BACKENDS:
            raise VidgenError(f"Models of kind '{kind}' come with vidgen's registry and cannot be added by repo id.")
        backend = ADD_BACKENDS[kind]
        revision = (revision or "").strip()
        if not revision or any(c.isspace() for c in revision):
            raise VidgenError(f"'{revision}' is not a revision: use a branch, tag or commit hash (default main).")
        if backend == "ollama":
            repo = (repo or "").strip()
            if not _OLLAMA.match(repo):
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
            id=_new_id(repo, records),
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
        self._set_state(spec.id, spec=spec.to_dict(), added=time.time())
        return spec

    def remove_user_model(self, model_id: str) -> None:
        """Forget a model the user added (its downloaded files are `hub.remove`'s business)."""
        spec = self.get(model_id)
        if not spec.user:
            raise VidgenError(f"'{model_id}' is a built-in record and cannot be removed; "
                              f"`python -m vidgen models remove {model_id}` deletes its downloaded files.")
        if self.store is None:
            self._memory.pop(model_id, None)
        else:
            self.store.delete_model_state(model_id)


_registries: "weakref.WeakKeyDictionary[Store, Registry]" = weakref.WeakKeyDictionary()
_registries_lock = threading.Lock()


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


def _none_runs(kind: str, records: Any) -> str:
    planned = [s.id for s in records if s.kind == kind]
    return (f"No {kind} model runs in vidgen yet" + (f" ({', '.join(planned)}: planned)" if planned else "")
            + f": {INSTEAD.get(kind, 'renders do without one')}.")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise VidgenError(f"Unknown model kind '{kind}': use one of {', '.join(KINDS)}.")


def _slug(text: str) -> str:
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9._-]+", "-", text.lower())).strip("-._") or "model"


def _new_id(repo: str, taken: dict[str, ModelSpec]) -> str:
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
