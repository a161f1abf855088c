"""The Storyboard's scene tools: add a scene after the one picked, duplicate, delete, move to a
position, split before a line, merge with the next. Each saves at once (Studio's SceneOps), then
the gallery and the scene list are shown again with the scene the user will want next picked."""

from __future__ import annotations

from typing import Any, Callable

import gradio as gr

from .boundary import shown

OPS = ("add", "duplicate", "delete", "move", "split", "merge")


class SceneTools:
    def __init__(self) -> None:
        with gr.Accordion("Scenes: add, move, split, merge", open=False, elem_id="storyboard-scene-tools"):
            with gr.Row():
                self.add = gr.Button("Add a scene after", size="sm", elem_id="scene-add")
                self.duplicate = gr.Button("Duplicate", size="sm", elem_id="scene-duplicate")
                self.delete = gr.Button("Delete", size="sm", variant="stop", elem_id="scene-delete")
                self.merge = gr.Button("Merge with the next", size="sm", elem_id="scene-merge")
            with gr.Row():
                self.to = gr.Number(label="Move to position", precision=0, value=1, minimum=1, elem_id="scene-to")
                self.move = gr.Button("Move", size="sm", elem_id="scene-move")
                self.line = gr.Number(label="Split before line", precision=0, value=2, minimum=2, elem_id="scene-line")
                self.split = gr.Button("Split", size="sm", elem_id="scene-split")

    def wire(self, studio: Any, current: gr.State, scene: gr.Dropdown, outputs: list[Any],
             shown_again: Callable[[str, int | None], tuple[Any, ...]]) -> None:
        """`shown_again(project_id, number)` gives `outputs`' values with scene `number` picked."""
        def need(project_id: str, number: Any) -> int:
            if not project_id or number is None:
                raise gr.Error("Open a project and pick a scene first.")
            return int(number)

        def run(op: str) -> Callable[..., Any]:
            @shown
            def fn(project_id: str, number: Any, to: Any = None, line: Any = None) -> tuple[Any, ...]:
                n = need(project_id, number)
                if op == "add":
                    studio.add_scene(project_id, n)
                    pick, note = n + 1, f"Scene {n + 1} added: give it words and a picture, then save it."
                elif op == "duplicate":
                    studio.duplicate_scene(project_id, n)
                    pick, note = n + 1, f"Scene {n} duplicated as scene {n + 1}."
                elif op == "delete":
                    left = len(studio.delete_scene(project_id, n)["scenes"])
                    pick, note = min(n, left), f"Scene {n} deleted; the scenes after it moved up."
                elif op == "move":
                    moved = studio.move_scene(project_id, n, to)
                    pick = int(to)
                    # the painter's label shows the number: those pictures are painted again
                    again = "its voice" if moved["settings"]["scene_label"] else "its picture and voice"
                    note = f"Scene {n} is now scene {pick}; a re-render reuses {again}."
                elif op == "split":
                    studio.split_scene(project_id, n, line)
                    pick, note = n + 1, f"Scene {n} split before its line {int(line)}: the rest is scene {n + 1}."
                else:
                    studio.merge_scenes(project_id, n)
                    pick, note = n, f"Scenes {n} and {n + 1} merged."
                return (*shown_again(project_id, pick), note)

            return fn

        inputs = [current, scene, self.to, self.line]
        for op in OPS:
            getattr(self, op).click(run(op), inputs, outputs, api_visibility="private")


__all__ = ["SceneTools"]
