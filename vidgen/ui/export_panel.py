"""The Versions tab's export panel: version A's film in another format (only the encode runs) or as
an editable timeline zipped with its media, each kept with that render and offered as a download."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..services.delivery.encoders import ENCODER_CHOICES
from ..services.delivery.formats import FORMATS
from ..services.delivery.timeline_export import TIMELINE_KINDS
from .boundary import shown
from .common import Shared

TIMELINE_LABELS = {"otio": "OpenTimelineIO (.otio: Resolve, Kdenlive)", "fcpxml": "FCPXML (Final Cut Pro)",
                   "fcp7": "FCP 7 XML (Premiere, Resolve)"}


def build(shared: Shared, version: gr.Dropdown) -> None:
    studio = shared.studio
    with gr.Row():
        fmt = gr.Dropdown([(f.label, f.name) for f in FORMATS.values()], value="webm", label="Export A as",
                          elem_id="export-format")
        encoder = gr.Dropdown(list(ENCODER_CHOICES), value="auto", label="Encoder", elem_id="export-encoder")
        export = gr.Button("Export", variant="primary", elem_id="export-film")
        kind = gr.Dropdown([(TIMELINE_LABELS[k], k) for k in TIMELINE_KINDS], value="otio", label="Editable timeline",
                           elem_id="export-timeline-kind")
        timeline = gr.Button("Export the timeline", elem_id="export-timeline")
    with gr.Row():
        file = gr.File(label="Download", interactive=False, elem_id="export-file")
        note = gr.Markdown(elem_id="export-note")

    def need(project_id: str, version_id: str | None) -> str:
        if not project_id or not version_id:
            raise gr.Error("Pick a version first (render the project to make one).")
        return version_id

    @shown
    def export_film(project_id: str, version_id: str | None, name: str, choice: str) -> tuple[Any, str]:
        r = studio.export_film(project_id, [name], need(project_id, version_id), choice)
        e = r["exports"][0]
        how = f" with {e['encoder']}" if e["encoder"] else ""
        said = f"{FORMATS[name].label}: {'from the cache' if e['cached'] else 'encoded'}{how}."
        return r["files"][name], said + (f" {e['note']}." if e["note"] else "")

    @shown
    def export_timeline(project_id: str, version_id: str | None, which: str) -> tuple[Any, str]:
        r = studio.export_timeline(project_id, which, need(project_id, version_id))
        return r["bundle"], (f"{r['timeline']} with the media of {r['clips']} scenes, the captions (.srt) and the "
                             "finished film: unzip it and open the timeline in your editor.")

    events = {**shared.gpu_events, "api_visibility": "private"}
    export.click(export_film, [shared.current, version, fmt, encoder], [file, note], **events)
    timeline.click(export_timeline, [shared.current, version, kind], [file, note], **events)
