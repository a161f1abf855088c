"""Model records: what a record holds, the packaged ones (`registry.json`), and their checks.

A record runs ("ready") when `backends.RUNTIMES` has code for its (kind, backend), else it is
"planned": listed, but never activated, downloaded or a default. Data only: no network, no torch.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from ..errors import VidgenError
from .backends import has_runtime

KINDS = ("llm", "image", "animation", "voice", "music", "lipsync", "sfx", "adapter")
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
    "sfx": "sound cues use the built-in synthesised sounds",
    "adapter": "images are not conditioned on reference pictures by it",
}
SOURCES = ("hf", "url", "ollama", "builtin")
DATA_FILE = Path(__file__).with_name("registry.json")

# HF rules: owner/name, letters, digits, "-", "_", "."; no "--" or ".."; at most 96 characters.
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
OLLAMA_TAG = re.compile(r"^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)?(:[A-Za-z0-9][A-Za-z0-9_.-]*)?$")
MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")  # a record id (a hub id has a "/")
COMMIT = re.compile(r"^[0-9a-f]{40}$")  # a pinned hub revision
SHA256 = re.compile(r"^[0-9a-f]{64}$")
LIST_HINT = "run `python -m vidgen models list`"


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
    default: bool = False  # the kind's default: one per kind with a runnable built-in record
    builtin: bool = False  # needs no download (runs offline on CPU)
    user: bool = False  # added by the user
    notes: str = ""
    requires: tuple[str, ...] = ()  # ids of other records this one loads with (AnimateDiff -> its SD 1.5 base)
    ip_adapter: str = ""  # image models: id of the IP-Adapter record that conditions them on a reference image
    weights: str = ""  # the one weight file inside the repo an adapter loads, e.g. "sdxl_models/ip-adapter_sdxl.safetensors"
    urls: tuple[str, ...] = ()  # source "url": the files, each from its own https:// URL
    sha256: tuple[str, ...] = ()  # url: each file's hash (same order); hf: the published hash of `weights`
    pickle: bool = False  # url: the user allowed a pickle checkpoint (.ckpt/.pt/.pth), which can run code
    folder: str = ""  # url: where its files live (set by the registry from the data folder; never stored)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelSpec":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"model record {d.get('id')!r}: unknown fields {unknown}")
        values = dict(d)
        for key in ("allow_patterns", "languages", "requires", "urls", "sha256"):
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

    @property
    def pinned(self) -> bool:
        """Whether a hub record names one commit (not a branch such as main)."""
        return bool(COMMIT.match(self.revision or ""))

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    def stored(self) -> dict[str, Any]:
        """The record as the store keeps it: without the folder, which depends on the data folder."""
        return {k: v for k, v in self.to_dict().items() if k != "folder"}

    def problems(self) -> list[str]:
        """What makes this record incomplete or inconsistent (empty when it is fine)."""
        out = []
        if not MODEL_ID.match(self.id or ""):
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
            if self.sha256 and (len(self.sha256) != 1 or not self.weights):
                out.append("sha256 of an hf record is the published hash of its `weights` file")
        elif self.source == "url":
            if not self.urls:
                out.append("a url record needs `urls`")
            if any(not u.startswith(("https://", "http://127.0.0.1", "http://localhost")) for u in self.urls):
                out.append("every url must be https://")
            if self.sha256 and len(self.sha256) != len(self.urls):
                out.append("sha256 needs one hash per url")
            if any(h and not SHA256.match(h) for h in self.sha256):  # "": measured at the first download
                out.append("a sha256 is 64 lower-case hex digits")
        elif self.source == "ollama":
            if not OLLAMA_TAG.match(self.repo):
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


def none_runs(kind: str, records: Iterable[ModelSpec]) -> str:
    planned = [s.id for s in records if s.kind == kind]
    return (f"No {kind} model runs in vidgen yet" + (f" ({', '.join(planned)}: planned)" if planned else "")
            + f": {INSTEAD.get(kind, 'renders do without one')}.")


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise VidgenError(f"Unknown model kind '{kind}': use one of {', '.join(KINDS)}.")
