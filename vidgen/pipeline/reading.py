"""Reading a script into scenes: the rules always run (they check the text, and they are what an LLM
reader's answer is checked against and falls back to); the project's LLM reader, when one is chosen,
runs after them, cached as a step keyed by the model's tag and the text (and kept only while the
server's digest of the tag is the one that read it), so a render or a re-parse of the same script
asks the model once (a reading where a chunk fell back to the rules is not kept)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Callable

from ..domain import ParsedScript, RenderSettings, from_dict
from ..models import ollama_server
from ..resolve import parser_tag
from ..services.script import parse_script
from ..services.script.llm import read_with_llm
from ..store import Store
from .keys import step_key

Progress = Callable[[float, str], None]


def read_script(store: Store, text: str, settings: RenderSettings, *, title: str | None = None,
                filename: str = "", progress: Progress | None = None,
                cancel: Callable[[], None] | None = None) -> ParsedScript:
    """The script read by the project's reader (`settings.parser`). Raises VidgenError only."""
    rules = parse_script(text, title=title, max_bytes=store.settings.max_script_bytes,
                         transition_seconds=settings.transition_seconds, max_scenes=store.settings.max_scenes,
                         filename=filename)
    tag = parser_tag(store, settings.parser)
    if tag is None:
        return rules
    key = step_key("parse", model=tag, text=hashlib.sha256(text.encode()).hexdigest(), title=title or "",
                   filename=Path(filename).suffix.lower(), transition=settings.transition_seconds)
    # the server's digest of the tag: a model pulled again under the same name reads the script again,
    # while a server that is down (no digest) still gets the kept reading
    digest = (ollama_server.find_model(tag) or {}).get("digest", "")
    hit = store.get_step(key)
    read_by = (hit or {}).get("data", {}).get("digest", "")
    if hit is not None and (not digest or not read_by or read_by == digest):
        doc = json.loads(store.asset_path(hit["outputs"]["parsed"]).read_text(encoding="utf-8"))
        return from_dict(ParsedScript, doc)
    parsed = read_with_llm(text, tag, rules, progress=progress, cancel=cancel)
    if len(parsed.notes) > len(rules.notes):  # a chunk fell back (maybe a timeout): the next read asks again
        return parsed
    store.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".json", dir=store.settings.tmp_dir,
                                     delete=False) as f:
        json.dump(dataclasses.asdict(parsed), f, ensure_ascii=False)
    asset = store.add_file(f.name, type="data", name="parsed.json", move=True)
    store.put_step(key, "parse", {"parsed": asset.id}, {"model": tag, "digest": digest, "scenes": len(parsed.scenes)})
    return parsed
