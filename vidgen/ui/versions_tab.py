"""Versions tab: every finished render of the current project; name one, compare two side by side
(players and what changed), restore one into the project, delete old ones and free their files."""

from __future__ import annotations

import time
from typing import Any

import gradio as gr

from . import export_panel
from .boundary import shown
from .common import Shared, row_value

HEADERS = ["Version", "Name", "Made", "Film (s)", "Scenes", "Steps run / cached", "Id"]


def version_rows(versions: list[dict[str, Any]]) -> list[list[Any]]:
    return [[v["number"], v["name"], time.strftime("%Y-%m-%d %H:%M", time.localtime(v["created"])),
             round(v["duration"], 1), v["scenes"], f"{v['ran']} / {v['cached']}", v["id"]] for v in versions]


def _choices(versions: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f"v{v['number']}" + (f" {v['name']}" if v["name"] else "") + f" ({v['scenes']} scenes)", v["id"])
            for v in versions]


def differences(diff: dict[str, Any]) -> str:
    """The comparison in words, for the tab."""
    a, b = diff["a"]["number"], diff["b"]["number"]
    out = [f"**v{a} → v{b}**"]
    if diff["title"] or diff["script"]:
        out.append("- the " + " and ".join(w for w, on in (("title", diff["title"]), ("script", diff["script"])) if on)
                   + " changed")
    for s in diff["settings"]:
        out.append(f"- setting `{s['name']}`: `{str(s['a'])[:60]}` → `{str(s['b'])[:60]}`")
    for s in diff["scenes"]:
        what = ", ".join(s["fields"]) if s["change"] == "changed" else s["change"]
        out.append(f"- scene {s['number']}: {what}")
    if diff["characters"]:
        out.append(f"- characters in only one of them: {', '.join(diff['characters'])}")
    return "\n".join(out if len(out) > 1 else out + ["- nothing: the same project"])


def build(shared: Shared) -> gr.Dataframe:
    studio = shared.studio
    table = gr.Dataframe(headers=HEADERS, label="Versions (every finished render)", interactive=False, wrap=True,
                         elem_id="versions-table")
    with gr.Row():
        first = gr.Dropdown([], label="Version A", elem_id="versions-a")
        second = gr.Dropdown([], label="Version B", elem_id="versions-b")
        compare = gr.Button("Compare", variant="primary", elem_id="versions-compare")
    with gr.Row():
        left = gr.Video(label="A", interactive=False, elem_id="versions-video-a")
        right = gr.Video(label="B", interactive=False, elem_id="versions-video-b")
    changes = gr.Markdown(elem_id="versions-diff")
    with gr.Row():
        name = gr.Textbox(label="Name for version A", placeholder="first cut", elem_id="versions-name")
        save_name = gr.Button("Name it", elem_id="versions-save-name")
        restore = gr.Button("Restore A into the project", elem_id="versions-restore")
        sure = gr.Checkbox(label="Yes, delete A", elem_id="versions-sure")
        delete = gr.Button("Delete A and free its files", variant="stop", elem_id="versions-delete")
    note = gr.Markdown(elem_id="versions-note")
    export_panel.build(shared, first)

    @shown
    def load(project_id: str) -> tuple[Any, ...]:
        versions = studio.list_versions(project_id) if project_id else []
        choices = _choices(versions)
        return (version_rows(versions), gr.Dropdown(choices=choices, value=choices[0][1] if choices else None),
                gr.Dropdown(choices=choices, value=choices[min(1, len(choices) - 1)][1] if choices else None))

    def need(version: str | None) -> str:
        if not version:
            raise gr.Error("Pick a version first (render the project to make one).")
        return version

    @shown
    def compare_them(a: str | None, b: str | None) -> tuple[Any, Any, str]:
        diff = studio.compare_versions(need(a), need(b))
        return diff["videos"][0] or None, diff["videos"][1] or None, differences(diff)

    @shown
    def name_it(project_id: str, a: str | None, text: str) -> tuple[Any, ...]:
        row = studio.name_version(need(a), text or "")
        return (*load(project_id), f"Version {row['number']} is named {row['name']!r}." if row["name"] else
                f"Version {row['number']} has no name now.")

    @shown
    def restore_it(project_id: str, a: str | None) -> tuple[Any, ...]:
        p = studio.restore_version(need(a))
        return (*load(project_id), f"The project is back to version {studio.get_version(a)['number']} "
                                   f"({len(p['scenes'])} scenes); its film is the project's result again.")

    @shown
    def delete_it(project_id: str, a: str | None, yes: bool) -> tuple[Any, ...]:
        if not yes:
            raise gr.Error("Tick 'Yes, delete A' first: a deleted version cannot come back.")
        r = studio.delete_version(need(a))
        return (*load(project_id), f"Version deleted; {r['freed'] / 2 ** 20:.1f} MB freed.", False)

    private = {"api_visibility": "private"}
    listed = [table, first, second]
    shared.current.change(load, shared.current, listed, **private)
    shared.rendered.change(load, shared.current, listed, **private)  # a finished render is a new version
    def pick(data: Any, evt: gr.SelectData) -> Any:
        return row_value(data, evt.index, column=len(HEADERS) - 1) or gr.skip()

    table.select(pick, table, first, **private)
    compare.click(compare_them, [first, second], [left, right, changes], **private)
    save_name.click(name_it, [shared.current, first, name], [*listed, note], **private)
    restore.click(restore_it, [shared.current, first], [*listed, note], **private)
    delete.click(delete_it, [shared.current, first, sure], [*listed, note, sure], **private)
    return table


__all__ = ["build", "differences", "version_rows"]
