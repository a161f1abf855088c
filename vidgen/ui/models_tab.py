"""Models tab: every model the studio knows (registry + what is on disk + whether this machine can run it);
download with progress, activate (next use, no restart), remove (after a confirmation), storage info.

Nothing here imports torch or diffusers: the table is filled when the page loads (the compatibility
column asks the device), never while the Blocks are built."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..models import operations
from ..models.registry import KINDS, registry_for
from .boundary import shown
from .common import Shared, row_value

MODEL_HEADERS = ["id", "kind", "status", "name", "source", "size", "VRAM", "licence", "default / active",
                 "downloaded", "compatibility"]


def size(gb: float) -> str:
    return f"{gb:.1f} GB" if gb >= 0.1 else ("—" if not gb else f"{gb * 1000:.0f} MB")


def model_rows(models: list[dict[str, Any]]) -> list[list[Any]]:
    def role(m: dict[str, Any]) -> str:
        return " / ".join(w for w, on in (("default", m["default"]), ("active", m["active"])) if on)

    def compat(m: dict[str, Any]) -> str:
        c = m.get("compatibility") or {}
        return f"{c.get('status', '')}: {c.get('reason', '')}".strip(": ")

    return [[m["id"], m["kind"], m["status"], m["name"], m["repo"] if m["source"] == "hf" else m["source"],
             "built in" if m["builtin"] else size(m["size_gb"]), size(m["vram_gb"]), m["license"], role(m),
             "yes" if m["downloaded"] else "no", compat(m)] for m in models]


def build(shared: Shared) -> gr.Dataframe:
    reg = registry_for(shared.studio.store)  # the studio's: activations and added models persist
    gr.Markdown("Models on this machine: download them into the Hugging Face cache (`HF_HOME`), activate one "
                "per kind (used from the next render on, no restart), remove them to free disk. Built-in "
                "backends need no download and run on the CPU. LLMs (the script reader and writer) are "
                "pulled into your local Ollama server (`ollama serve`; `OLLAMA_HOST` for another machine). A "
                "*planned* record has no runtime in vidgen yet: it is listed, but cannot be downloaded or activated.")
    with gr.Row():
        kind = gr.Dropdown(["", *KINDS], value="", label="Kind",
                           info="empty = all", elem_id="models-kind")
        model_id = gr.Textbox(label="Model id", elem_id="models-id")
    table = gr.Dataframe(headers=MODEL_HEADERS, label="Models", interactive=False, wrap=True,
                         elem_id="models-table")
    with gr.Row():
        refresh = gr.Button("Refresh", elem_id="models-refresh")
        download = gr.Button("Download", variant="primary", elem_id="models-download")
        activate = gr.Button("Activate", elem_id="models-activate")
        remove = gr.Button("Remove", variant="stop", elem_id="models-remove")
        storage = gr.Button("Storage info", elem_id="models-storage")
    with gr.Row(visible=False, elem_id="models-confirm") as confirm_row:
        confirm_text = gr.Markdown()
        yes = gr.Button("Yes, remove its files", variant="stop", elem_id="models-remove-yes")
        no = gr.Button("Keep it", elem_id="models-remove-no")
    detail = gr.JSON(label="Details", elem_id="models-detail")

    def need(mid: str) -> str:
        if not (mid or "").strip():
            raise gr.Error("Pick a model in the table first.")
        return mid.strip()

    @shown
    def rows(k: str) -> list[list[Any]]:
        return model_rows(operations.list_rows(reg, k or ""))

    def select(data: Any, evt: gr.SelectData) -> str:
        return row_value(data, evt.index)

    @shown
    def do_download(mid: str, k: str, progress: gr.Progress = gr.Progress()) -> tuple[dict, list]:
        def report(fraction: float, message: str) -> None:  # the one bar follows each model in turn
            progress(fraction, desc=message)

        return operations.download(reg, need(mid), lambda spec, compat: report), rows(k)

    @shown
    def do_activate(mid: str, k: str) -> tuple[dict, list]:
        return operations.activate(reg, need(mid)), rows(k)

    def ask(mid: str) -> tuple[Any, str]:
        return gr.update(visible=True), f"Remove the downloaded files of **{need(mid)}**?"

    @shown
    def do_remove(mid: str, k: str) -> tuple[dict, list, Any]:
        return operations.remove(reg, need(mid)), rows(k), gr.update(visible=False)

    private = {"api_visibility": "private"}
    refresh.click(rows, kind, table, **private)
    kind.change(rows, kind, table, **private)
    table.select(select, table, model_id, **private)
    download.click(do_download, [model_id, kind], [detail, table], **private)
    activate.click(do_activate, [model_id, kind], [detail, table], **private)
    remove.click(ask, model_id, [confirm_row, confirm_text], **private)
    yes.click(do_remove, [model_id, kind], [detail, table, confirm_row], **private)
    no.click(lambda: gr.update(visible=False), None, confirm_row, **private)
    storage.click(shown(lambda: operations.storage(reg)), None, detail, **private)

    from gradio.context import Context

    if Context.root_block is not None:  # fill the table when a page opens (never at build time)
        Context.root_block.load(rows, kind, table, **private)
    return table
