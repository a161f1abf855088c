"""The AI script backend: a local LLM served by Ollama reads scripts and writes them from a topic.

- `read_with_llm(text, model, rules, ...)`: the rules' reading annotated by the model (setting,
  weather, shot, mood, characters' looks, delivery), the spoken words kept exactly; a chunk the
  model gets wrong is read by the rules, with a note.
- `write_script(topic, model=..., ...)`: a script in the storyboard form the rules read back.
- `server_status`, `local_models`, `pull_model`, `delete_model`, `has_model`: the server and what
  it holds, for the Models tab and the CLI (they live in `vidgen.models.ollama_server`, the one
  door to the server: host, timeouts, errors, which the model hub uses too).

Modules: `schema` (the JSON schemas sent as
`format=`, and validation), `chunks` (scene chunks and the word check), `reader`, `writer`.
Importing this package imports neither `ollama` nor `pydantic`; the first call does.
"""

from __future__ import annotations

from ....models.ollama_server import (ChatFailed, ChatTimeout, ModelMissing, ServerDown, delete_model, full_tag,
                                      has_model, local_models, pull_model, server_status)
from .reader import read_with_llm
from .writer import FORMS, write_script

__all__ = ["FORMS", "ChatFailed", "ChatTimeout", "ModelMissing", "ServerDown", "delete_model", "full_tag",
           "has_model", "local_models", "pull_model", "read_with_llm", "server_status", "write_script"]
