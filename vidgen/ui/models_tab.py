"""Models tab: a placeholder that names the built-in backends in use (a later issue fills it)."""

from __future__ import annotations

import gradio as gr

BACKENDS = [
    ("script", "rule parser", "Fountain sluglines, `Scene N:` headings, Markdown, `NAME: line` dialogue, prose; "
               "mood from a lexicon and VADER sentiment"),
    ("images", "procedural storyboard painter", "palette from mood and time of day, setting silhouettes, "
               "caption; or your own uploaded image"),
    ("animation", "Ken Burns camera", "zoom, pan and slow rotate on the still"),
    ("voice", "Piper voice", "en_US-joe-medium, a small neural TTS shipped on PyPI, runs on the CPU"),
    ("music", "user music / none", "your own file, looped and ducked under the voice; no generated music yet"),
    ("assembly", "ffmpeg assembly", "xfade transitions, burned subtitles, EBU R128 loudness, H.264 + AAC"),
]


def build() -> None:
    rows = "\n".join(f"| {kind} | {name} | {what} |" for kind, name, what in BACKENDS)
    gr.Markdown(
        "### Backends in use\n\nEverything runs offline on the CPU with built-in backends; AI models "
        "(diffusion, speech, music, lip sync) come in a later release.\n\n"
        f"| stage | backend | what it does |\n|---|---|---|\n{rows}\n",
        elem_id="models-list",
    )
