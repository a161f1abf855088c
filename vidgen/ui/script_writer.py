"""The Script tab's "Write a script from a topic" panel: an LLM (Ollama) writes a script in a form
the rules read back exactly, and it lands in the script box to edit."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..script_desk import MAX_MINUTES
from ..services.script.llm import FORMS as WRITER_FORMS
from .boundary import shown
from .common import Shared
from .settings_form import LANGUAGES

FORM_LABELS = {"narrated": "Narrated video", "dialogue": "Dialogue scene", "storyboard": "Storyboard"}


def _llm_choices(studio: Any) -> list[tuple[str, str]]:
    models = [m for m in studio.model_choices("llm") if not m["builtin"]]  # the rules read; they cannot write
    return [("The active LLM", "")] + [(f"{m['name']} [{m['id']}]", m["id"]) for m in models]


def build(shared: Shared, script: gr.Textbox) -> None:
    studio = shared.studio
    with gr.Accordion("Write a script from a topic (needs Ollama)", open=False, elem_id="writer"):
        topic = gr.Textbox(label="Topic or idea", lines=2, elem_id="writer-topic",
                           placeholder="how a village bakery starts its day")
        with gr.Row():
            minutes = gr.Slider(0.25, MAX_MINUTES, value=1.0, step=0.25, label="Length (minutes)",
                                elem_id="writer-minutes")
            form = gr.Radio([(FORM_LABELS[f], f) for f in WRITER_FORMS], value="narrated", label="Form",
                            elem_id="writer-form")
        with gr.Row():
            tone = gr.Textbox(label="Tone", placeholder="warm and curious", elem_id="writer-tone")
            language = gr.Dropdown([x for x in LANGUAGES if x[1]], value="en", label="Language",
                                   allow_custom_value=True, elem_id="writer-language")
            model = gr.Dropdown(_llm_choices(studio), value="", label="LLM", allow_custom_value=True,
                                elem_id="writer-model")
        write = gr.Button("Write the script", elem_id="writer-write")
        said = gr.Markdown(elem_id="writer-result")

    @shown
    def write_script(topic: str, minutes: float = 1.0, tone: str = "", language: str = "en",
                     form: str = "narrated", model: str = "", progress: gr.Progress = gr.Progress()) -> tuple[str, str]:
        """Write a script about a topic with an LLM (Ollama): minutes, tone, language (ISO 639-1), form
        (narrated, dialogue or storyboard), model (an LLM id or ollama:TAG; "" = the active one).
        Returns (script, a note); the script parses back exactly."""
        text = studio.write_script(topic, minutes=minutes, tone=tone or "", language=language or "en",
                                   form=form or "narrated", model=model or "",
                                   progress=lambda f, m="": progress(f, desc=m or "writing"))
        return text, f"Written: {len(text.split()):,} words. Edit it, then Parse or Render."

    write.click(write_script, [topic, minutes, tone, language, form, model], [script, said],
                api_name="write_script", **shared.gpu_events)
    model.focus(lambda: gr.update(choices=_llm_choices(studio)), None, model, api_visibility="private")
