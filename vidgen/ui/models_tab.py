"""Models tab: every model the studio knows (registry + what is on disk + whether this machine can run it);
download with progress (verified), activate (next use, no restart), remove (after a confirmation), storage
info, a hub model's revisions, a re-check of the files on disk, and a benchmark on this machine.

Nothing here imports torch or diffusers: the table is filled when the page loads (the compatibility
column asks the device), never while the Blocks are built."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..models import operations
from ..models.registry import KINDS, registry_for
from .boundary import shown
from .common import Shared, row_value

MODEL_HEADERS = ["id", "kind", "name", "source", "state", "size · VRAM", "licence", "compatibility",
                 "measured here"]
# Shares of the page's width: the table fits it, long cells wrap (licences, compatibility reasons)
COLUMN_WIDTHS = ["11%", "6%", "13%", "13%", "10%", "8%", "11%", "16%", "12%"]


def size(gb: float) -> str:
    return f"{gb:.1f} GB" if gb >= 0.1 else ("—" if not gb else f"{gb * 1000:.0f} MB")


def model_rows(models: list[dict[str, Any]]) -> list[list[Any]]:
    def state(m: dict[str, Any]) -> str:
        words = [] if m["status"] == "ready" else [m["status"]]
        words.append("built in" if m["builtin"] else ("downloaded" if m["downloaded"] else "not downloaded"))
        words += [w for w, on in (("default", m["default"]), ("active", m["active"])) if on]
        return ", ".join(words)

    def compat(m: dict[str, Any]) -> str:
        c = m.get("compatibility") or {}
        return f"{c.get('status', '')}: {c.get('reason', '')}".strip(": ")

    def weight(m: dict[str, Any]) -> str:
        return "—" if m["builtin"] else f"{size(m['size_gb'])} · {size(m['vram_gb'])}"

    return [[m["id"], m["kind"], m["name"], operations.source_label(m), state(m), weight(m), m["license"], compat(m),
             m.get("measured") or "—"] for m in models]


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
                         column_widths=COLUMN_WIDTHS, elem_id="models-table")
    with gr.Row():
        refresh = gr.Button("Refresh", elem_id="models-refresh")
        download = gr.Button("Download", variant="primary", elem_id="models-download")
        activate = gr.Button("Activate", elem_id="models-activate")
        remove = gr.Button("Remove", variant="stop", elem_id="models-remove")
        storage = gr.Button("Storage info", elem_id="models-storage")
    with gr.Row():
        versions = gr.Button("Versions", elem_id="models-versions")
        verify = gr.Button("Verify files", elem_id="models-verify")
        bench = gr.Button("Benchmark here", elem_id="models-bench")
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
    def do_download(mid: str, progress: gr.Progress = gr.Progress()) -> dict:
        def report(fraction: float, message: str) -> None:  # the one bar follows each model in turn
            progress(fraction, desc=message)

        return operations.download(reg, need(mid), lambda spec, compat: report)

    @shown
    def do_activate(mid: str) -> dict:
        return operations.activate(reg, need(mid))

    def ask(mid: str) -> tuple[Any, str]:
        return gr.update(visible=True), f"Remove the downloaded files of **{need(mid)}**?"

    @shown
    def do_remove(mid: str) -> tuple[dict, Any]:
        return operations.remove(reg, need(mid)), gr.update(visible=False)

    @shown
    def do_bench(mid: str, progress: gr.Progress = gr.Progress()) -> dict:
        return operations.bench(reg, need(mid), lambda fraction, message: progress(fraction, desc=message))

    private = {"api_visibility": "private"}
    refresh.click(rows, kind, table, **private)
    kind.change(rows, kind, table, **private)
    table.select(select, table, model_id, **private)
    # An action's error marks only the details; the table is read again whether it worked or not
    download.click(do_download, model_id, detail, **private).then(rows, kind, table, **private)
    activate.click(do_activate, model_id, detail, **private).then(rows, kind, table, **private)
    remove.click(ask, model_id, [confirm_row, confirm_text], **private)
    yes.click(do_remove, model_id, [detail, confirm_row], **private).then(rows, kind, table, **private)
    no.click(lambda: gr.update(visible=False), None, confirm_row, **private)
    storage.click(shown(lambda: operations.storage(reg)), None, detail, **private)
    versions.click(shown(lambda mid: operations.model_versions(reg, need(mid))), model_id, detail, **private)
    verify.click(shown(lambda mid: operations.verify(reg, need(mid))), model_id, detail, **private)
    bench.click(do_bench, model_id, detail, **private).then(rows, kind, table, **private)

    from gradio.context import Context

    if Context.root_block is not None:  # fill the table when a page opens (never at build time)
        Context.root_block.load(rows, kind, table, **private)
    return table
