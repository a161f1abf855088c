"""Cast tab: the narrator and each character: sheet (description, seed, reference picture) and voice
(model, speaker, speed, pitch, cloning sample), with a preview of the voice on a sentence; and the
film's lip-sync model, which moves the characters' mouths (the Storyboard overrides it per scene)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..errors import VidgenError
from .boundary import shown
from .common import Shared
from .settings_form import DYNAMIC

NARRATOR = "Narrator"
PROJECT_VOICE = ""  # a voice model choice: the project's voice (Script tab)


def voice_choices(studio: Any) -> list[tuple[str, str]]:
    """(label, voice id): the project's voice, then the voice models the registry knows."""
    return [("the project's voice", PROJECT_VOICE)] + [
        (f"{m['name']} [{m['id']}]", m["id"]) for m in studio.model_choices("voice")]


def lipsync_choices(studio: Any) -> list[tuple[str, str]]:
    """(label, value): the active lip-sync model, each one the registry knows, and none."""
    return DYNAMIC["lipsync_model"](studio)


def save_lipsync(studio: Any, project_id: str, model: str | None) -> str:
    """The project's lip-sync model set (checked like any setting); the line the tab shows."""
    if not project_id:
        raise VidgenError("Parse a script first (Script tab).")
    studio.update_settings(project_id, {"lipsync_model": model or ""})
    label = dict((v, k) for k, v in lipsync_choices(studio)).get(model or "", model)
    return f"Lip sync for the film: {label}. The Storyboard can change it per scene."


def build(shared: Shared) -> None:
    studio = shared.studio
    gr.Markdown("Pick the narrator or a character. Their **sheet** (description, seed, reference picture) keeps "
                "them the same from scene to scene in AI images; their **voice** speaks their lines. A new "
                "character gets a distinct default voice.")
    with gr.Row():
        who = gr.Dropdown([NARRATOR], value=NARRATOR, label="Who", elem_id="cast-who")
        status = gr.Markdown(elem_id="cast-status")
    with gr.Row():
        with gr.Column():
            gr.Markdown("### Sheet")
            description = gr.Textbox(label="Description (added to the image prompt of their scenes)", lines=3,
                                     elem_id="cast-description")
            seed = gr.Number(value=None, precision=0, label="Seed", info="empty = derived from the name",
                             elem_id="cast-seed")
            reference = gr.Image(type="filepath", label="Reference picture (IP-Adapter of the image model)",
                                 height=220, elem_id="cast-reference")
            save_sheet = gr.Button("Save sheet", elem_id="cast-save-sheet")
        with gr.Column():
            gr.Markdown("### Voice")
            model = gr.Dropdown(voice_choices(studio), value=PROJECT_VOICE, label="Voice model",
                                allow_custom_value=True, elem_id="cast-voice-model")
            speaker = gr.Number(value=0, precision=0, minimum=0, label="Speaker (multi-speaker models)",
                                elem_id="cast-voice-speaker")
            speed = gr.Slider(0.5, 2.0, value=1.0, step=0.05, label="Speed", elem_id="cast-voice-speed")
            pitch = gr.Slider(-12, 12, value=0.0, step=0.5, label="Pitch (semitones)", elem_id="cast-voice-pitch")
            sample = gr.Audio(type="filepath", label="Voice-cloning sample (6-30 s of clear speech, XTTS)",
                              elem_id="cast-voice-sample")
            save_voice = gr.Button("Save voice", elem_id="cast-save-voice")
            gr.Markdown("### Lip sync (the whole film)")
            lipsync = gr.Dropdown(lipsync_choices(studio), value="", label="Moves the speaking characters' mouths",
                                  elem_id="cast-lipsync-model")
            save_lip = gr.Button("Save lip sync", elem_id="cast-save-lipsync")
            sentence = gr.Textbox(value="The lighthouse keeper climbed the stairs one last time.",
                                  label="Preview sentence", elem_id="cast-preview-text")
            preview = gr.Button("Preview voice", elem_id="cast-preview")
            heard = gr.Audio(label="Preview", interactive=False, elem_id="cast-preview-audio")

    def sheet_of(project: dict, name: str) -> dict:
        if name == NARRATOR:
            return {}
        return next((c for c in project["characters"] if c["name"] == name), {})

    def voice_of(project: dict, name: str) -> dict:
        voices = studio.cast(project["id"])
        return voices["narrator"] if name == NARRATOR else voices["characters"][name]

    @shown
    def show(project_id: str, name: str | None) -> tuple[Any, ...]:
        if not project_id:
            return (gr.Dropdown(choices=[NARRATOR], value=NARRATOR), "", None, None, PROJECT_VOICE, 0, 1.0, 0.0,
                    None, "Parse a script first (Script tab).")
        project = studio.get_project(project_id)
        names = [NARRATOR] + [c["name"] for c in project["characters"]]
        name = name if name in names else NARRATOR
        sheet, voice = sheet_of(project, name), voice_of(project, name)
        ref = studio.asset_file(sheet["reference"]) if sheet.get("reference") else None
        sample_file = studio.asset_file(voice["sample"]) if voice.get("sample") else None
        return (gr.Dropdown(choices=names, value=name), sheet.get("description", ""), sheet.get("seed"), ref,
                voice.get("model", ""), voice.get("speaker", 0), voice.get("speed", 1.0), voice.get("pitch", 0.0),
                sample_file, "")

    @shown
    def store_sheet(project_id: str, name: str, text: str, seed_value: float | None, ref: str | None) -> str:
        if not project_id or name == NARRATOR:
            raise gr.Error("Pick a character: the narrator has no picture.")
        studio.update_character(project_id, name, {"description": text or "",
                                                   "seed": None if seed_value is None else int(seed_value)})
        current = sheet_of(studio.get_project(project_id), name).get("reference", "")
        if ref and (not current or studio.asset_file(current) != ref):
            studio.set_character_reference(project_id, name, ref)
        elif not ref and current:
            studio.set_character_reference(project_id, name, None)
        return f"Saved {name}'s sheet."

    def voice_dict(model_id: str, speaker_n: float, speed_v: float, pitch_v: float) -> dict:
        return {"model": model_id or "", "speaker": int(speaker_n or 0), "speed": float(speed_v),
                "pitch": float(pitch_v)}

    @shown
    def store_voice(project_id: str, name: str, model_id: str, speaker_n: float, speed_v: float, pitch_v: float,
                    sample_path: str | None) -> str:
        if not project_id:
            raise gr.Error("Parse a script first (Script tab).")
        studio.set_voice(project_id, name if name != NARRATOR else None,
                         voice_dict(model_id, speaker_n, speed_v, pitch_v), sample_path or None)
        return f"Saved {name}'s voice."

    @shown
    def run_preview(project_id: str, name: str, model_id: str, speaker_n: float, speed_v: float, pitch_v: float,
                    text: str) -> str:
        r = studio.preview_voice(project_id or "", text, voice_dict(model_id, speaker_n, speed_v, pitch_v),
                                 sample_path=None, who=name if name != NARRATOR else None)
        return r["audio"]

    @shown
    def store_lipsync(project_id: str, value: str | None) -> str:
        return save_lipsync(studio, project_id, value)

    @shown
    def show_lipsync(project_id: str) -> Any:
        chosen = studio.get_project(project_id)["settings"].get("lipsync_model", "") if project_id else ""
        return gr.Dropdown(choices=lipsync_choices(studio), value=chosen)

    outputs = [who, description, seed, reference, model, speaker, speed, pitch, sample, status]
    shared.current.change(show_lipsync, shared.current, lipsync, api_visibility="private")
    save_lip.click(store_lipsync, [shared.current, lipsync], status, api_visibility="private")
    shared.current.change(show, [shared.current, who], outputs, api_visibility="private")
    who.change(show, [shared.current, who], outputs, api_visibility="private")
    save_sheet.click(store_sheet, [shared.current, who, description, seed, reference], status,
                     api_visibility="private")
    save_voice.click(store_voice, [shared.current, who, model, speaker, speed, pitch, sample], status,
                     api_visibility="private")
    preview.click(run_preview, [shared.current, who, model, speaker, speed, pitch, sentence], heard,
                  api_visibility="private", **shared.gpu_events)
