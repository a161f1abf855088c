"""The Storyboard card's "Look and sound": the scene's own colour grade, its sound cues (the script's,
editable; each matched to the built-in library) and its text overlays ("START+SECONDS POSITION: text")."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..errors import VidgenError
from ..render_settings import GRADES

AUTO = ""
EXAMPLE = "0.5+3 top: Three days later"


def overlays_to_text(overlays: list[dict[str, Any]]) -> str:
    return "\n".join(f"{o.get('start', 0):g}+{o.get('seconds', 3):g} {o.get('position', 'bottom')}: {o.get('text', '')}"
                     for o in overlays)


def text_to_overlays(text: str) -> list[dict[str, Any]]:
    """One overlay per line, "START+SECONDS POSITION: text"; the studio checks each (position, times)."""
    out = []
    for n, row in enumerate((text or "").splitlines(), 1):
        if not row.strip():
            continue
        head, sep, words = row.partition(":")
        parts = head.split()
        when = parts[0].split("+") if parts else []
        try:
            start, seconds = float(when[0]), float(when[1])
        except (IndexError, ValueError):
            raise VidgenError(f"Overlay line {n}: write START+SECONDS POSITION: text, e.g. {EXAMPLE!r}.") from None
        if not sep or len(parts) != 2:
            raise VidgenError(f"Overlay line {n}: write START+SECONDS POSITION: text, e.g. {EXAMPLE!r}.")
        out.append({"text": words.strip(), "position": parts[1], "start": start, "seconds": seconds})
    return out


class FinishFields:
    """The components, in `components` order, and their conversions to and from a scene dict."""

    def __init__(self) -> None:
        with gr.Accordion("Look and sound", open=False, elem_id="storyboard-finish"):
            self.grade = gr.Dropdown([("the film's grade", AUTO), *((g, g) for g in GRADES)], value=AUTO,
                                     label="Colour grade", elem_id="finish-grade")
            self.sounds = gr.Textbox(label="Sound cues (one per line: rain, waves, a bell, footsteps ...; built-in "
                                           "synthesised sounds)", lines=2, elem_id="finish-sounds")
            self.overlays = gr.Textbox(label="Text overlays (one per line: START+SECONDS POSITION: text; positions "
                                             "top-left, top, top-right, left, center, right, bottom-left, bottom, "
                                             "bottom-right)", lines=2, placeholder=EXAMPLE, elem_id="finish-overlays")
        self.components = [self.grade, self.sounds, self.overlays]

    @staticmethod
    def values(scene: dict[str, Any] | None) -> list[Any]:
        if not scene:
            return [AUTO, "", ""]
        return [scene.get("grade", ""), "\n".join(scene.get("sounds") or []),
                overlays_to_text(scene.get("overlays") or [])]

    @staticmethod
    def changes(grade: str | None, sounds: str | None, overlays: str | None) -> dict[str, Any]:
        return {"grade": grade or "", "sounds": [s.strip() for s in (sounds or "").splitlines() if s.strip()],
                "overlays": text_to_overlays(overlays or "")}


__all__ = ["FinishFields", "overlays_to_text", "text_to_overlays"]
