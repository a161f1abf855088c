"""Projects tab: every project with its last render; open, duplicate, rename, delete (confirmed)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from .boundary import shown
from .common import PROJECT_HEADERS, Shared, project_rows, row_value


def build(shared: Shared) -> gr.Dataframe:
    studio = shared.studio
    table = gr.Dataframe(headers=PROJECT_HEADERS, label="Projects", interactive=False, elem_id="projects-table")
    with gr.Row():
        selected = gr.Textbox(label="Selected project id", elem_id="projects-selected")
        new_title = gr.Textbox(label="New title (rename / duplicate)", elem_id="projects-new-title")
    with gr.Row():
        refresh = gr.Button("Refresh", elem_id="projects-refresh")
        open_ = gr.Button("Open", variant="primary", elem_id="projects-open")
        duplicate = gr.Button("Duplicate", elem_id="projects-duplicate")
        rename = gr.Button("Rename", elem_id="projects-rename")
        delete = gr.Button("Delete", variant="stop", elem_id="projects-delete")
    with gr.Row(visible=False) as confirm_row:
        question = gr.Markdown(elem_id="projects-confirm-question")
        confirm = gr.Button("Yes, delete it", variant="stop", elem_id="projects-confirm-delete")
        keep = gr.Button("Keep it", elem_id="projects-keep")
    note = gr.Markdown(elem_id="projects-note")

    @shown
    def rows() -> list[list[Any]]:
        return project_rows(studio.list_projects())

    def need(project_id: str) -> str:
        if not project_id.strip():
            raise gr.Error("Pick a project in the table first.")
        return project_id.strip()

    def select(data: Any, evt: gr.SelectData) -> str:
        return row_value(data, evt.index)

    @shown
    def open_selected(project_id: str) -> tuple[str, str]:
        p = studio.get_project(need(project_id))
        return p["id"], f"Opened **{p['title']}**: see the Script and Storyboard tabs."

    @shown
    def duplicate_selected(project_id: str, title: str) -> tuple[list, str, str]:
        p = studio.duplicate_project(need(project_id), title.strip() or None)
        return rows(), p["id"], f"Duplicated as **{p['title']}** ({p['id']})."

    @shown
    def rename_selected(project_id: str, title: str) -> tuple[list, str]:
        p = studio.rename_project(need(project_id), title)
        return rows(), f"Renamed to **{p['title']}**."

    @shown
    def ask(project_id: str) -> tuple[Any, str]:
        p = studio.get_project(need(project_id))
        return gr.Row(visible=True), f"Delete **{p['title']}** ({p['id']}) and its render history? This cannot be undone."

    @shown
    def confirm_delete(project_id: str, current: str) -> tuple[Any, ...]:
        pid = need(project_id)
        studio.delete_project(pid)
        return (gr.Row(visible=False), rows(), "", f"Deleted {pid}.", "" if current == pid else gr.skip())

    private = {"api_visibility": "private"}
    refresh.click(rows, None, table, **private)
    table.select(select, table, selected, **private)
    open_.click(open_selected, selected, [shared.current, note], **private)
    duplicate.click(duplicate_selected, [selected, new_title], [table, selected, note], **private)
    rename.click(rename_selected, [selected, new_title], [table, note], **private)
    delete.click(ask, selected, [confirm_row, question], **private)
    keep.click(lambda: (gr.Row(visible=False), "Kept."), None, [confirm_row, note], **private)
    confirm.click(confirm_delete, [selected, shared.current], [confirm_row, table, selected, note, shared.current],
                  **private)
    shared.current.change(rows, None, table, **private)
    return table
