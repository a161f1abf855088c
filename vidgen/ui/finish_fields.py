"""The Storyboard card's "Look and sound": the scene's own picture style (AI image models), colour
grade and caption style (previewed on its still), its sound cues (the script's, editable; each matched to the built-in library), the
user's own sound files ("NAME at SECONDS" or "NAME bed") and its text overlays
("START+SECONDS POSITION: text")."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..errors import VidgenError
from ..edits import SCENE_CAPTIONS
from ..render_settings import GRADES
from ..services.images.prompts import styles

AUTO = ""
EXAMPLE = "0.5+3 top: Three days later"
SOUND_EXAMPLE = "rooster.wav at 2.5"


def sound_files_to_text(files: list[dict[str, Any]]) -> str:
    return "\n".join(f"{f['name']} bed" if f.get("bed") else f"{f['name']} at {f.get('at', 0):g}" for f in files)


def text_to_sound_files(text: str) -> list[dict[str, Any]]:
    """One file per line, "NAME at SECONDS" or "NAME bed" (names as uploaded; they may hold spaces)."""
    out = []
    for n, row in enumerate((text or "").splitlines(), 1):
        row = row.strip()
        if not row:
            continue
        head, _, tail = row.rpartition(" ")
        if tail.lower() == "bed" and head.strip():
            out.append({"name": head.strip(), "at": 0.0, "bed": True})
            continue
        name, sep, when = row.rpartition(" at ")
        try:
            at = float(when)
        except ValueError:
            at = None
        if not sep or not name.strip() or at is None:
            raise VidgenError(f"Sound file line {n}: write NAME at SECONDS or NAME bed, e.g. {SOUND_EXAMPLE!r}.")
        out.append({"name": name.strip(), "at": at, "bed": False})
    return out


def with_assets(rows: list[dict[str, Any]], stored: list[dict[str, Any]], number: int) -> list[dict[str, Any]]:
    """The edited rows with the asset of the stored file of each name (in order, for repeated names)."""
    left = list(stored)
    out = []
    for row in rows:
        match = next((f for f in left if f["name"] == row["name"]), None)
        if match is None:
            raise VidgenError(f"Scene {number} has no sound file {row['name'][:60]!r}: add it with "
                              "'Add a sound file' (or delete its line).")
        left.remove(match)
        out.append({**row, "asset": match["asset"]})
    return out


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
            with gr.Row():
                self.grade = gr.Dropdown([("the film's grade", AUTO), *((g, g) for g in GRADES)], value=AUTO,
                                         label="Colour grade", elem_id="finish-grade")
                self.captions = gr.Dropdown([("the film's caption style", AUTO), ("no captions here", "none"),
                                             *((c, c) for c in SCENE_CAPTIONS if c != "none")], value=AUTO,
                                            label="Caption style", elem_id="finish-captions")
                self.style = gr.Dropdown([("the film's style", AUTO), ("no style here", "none"),
                                          *((s, s) for s in sorted(styles()))], value=AUTO,
                                         label="Picture style (AI image models)", elem_id="finish-style")
                self.preview = gr.Button("Preview the look", elem_id="finish-preview")
            self.still = gr.Image(label="The scene's look (picture, grade, captions)", type="filepath",
                                  interactive=False, height=260, elem_id="finish-still")
            self.sounds = gr.Textbox(label="Sound cues (one per line: rain, waves, a bell, footsteps ...; built-in "
                                           "synthesised sounds)", lines=2, elem_id="finish-sounds")
            with gr.Row():
                self.sound_files = gr.Textbox(label="Your sound files (one per line: NAME at SECONDS into the scene, "
                                                    "or NAME bed: looped under the whole scene)", lines=2,
                                              placeholder=SOUND_EXAMPLE, elem_id="finish-sound-files", scale=4)
                self.add_sound = gr.UploadButton("Add a sound file", file_types=["audio"], type="filepath",
                                                 elem_id="finish-add-sound", scale=1)
            self.overlays = gr.Textbox(label="Text overlays (one per line: START+SECONDS POSITION: text; positions "
                                             "top-left, top, top-right, left, center, right, bottom-left, bottom, "
                                             "bottom-right)", lines=2, placeholder=EXAMPLE, elem_id="finish-overlays")
        self.components = [self.grade, self.captions, self.sounds, self.sound_files, self.overlays, self.style]

    @staticmethod
    def values(scene: dict[str, Any] | None) -> list[Any]:
        if not scene:
            return [AUTO, AUTO, "", "", "", AUTO]
        return [scene.get("grade", ""), scene.get("captions", ""), "\n".join(scene.get("sounds") or []),
                sound_files_to_text(scene.get("sound_files") or []), overlays_to_text(scene.get("overlays") or []),
                scene.get("style", "")]

    @staticmethod
    def changes(grade: str | None, captions: str | None, sounds: str | None, sound_files: str | None,
                overlays: str | None, style: str | None = AUTO) -> dict[str, Any]:
        """The scene's changes; "sound_files" rows lack their assets (with_assets adds the stored ones)."""
        return {"grade": grade or "", "captions": captions or "",
                "sounds": [s.strip() for s in (sounds or "").splitlines() if s.strip()],
                "sound_files": text_to_sound_files(sound_files or ""), "overlays": text_to_overlays(overlays or ""),
                "style": style or ""}


__all__ = ["FinishFields", "overlays_to_text", "text_to_overlays", "sound_files_to_text", "text_to_sound_files",
           "with_assets"]
