"""The timeline strip above the Storyboard: each scene a block as wide as its share of the film,
with its picture, number and transition, its voice's waveform under it and the music track under
all; a click on a block opens that scene. Plain HTML from the step cache (nothing is computed);
all text escaped."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

import gradio as gr
import numpy as np

from ..errors import VidgenError
from ..media import decode_audio

WAVE_POINTS = 48
WAVE_RATE = 8000
MUSIC_WORDS = {"auto": "music: the generated score", "none": "no music"}
CSS = """
.tl-row {display: flex; gap: 2px; width: 100%; align-items: stretch}
.tl-block {flex-shrink: 1; min-width: 28px; border-radius: 4px; overflow: hidden; cursor: pointer;
           background: #334 center / cover no-repeat; color: #fff; font-size: 11px; position: relative; height: 56px}
.tl-block:hover {outline: 2px solid #6366f1}
.tl-label {position: absolute; left: 0; right: 0; bottom: 0; padding: 1px 4px; background: #000b;
           color: #fff !important; font-weight: 600; text-shadow: 0 1px 2px #000;
           white-space: nowrap; overflow: hidden; text-overflow: ellipsis}
.tl-wave {height: 22px; width: 100%; min-width: 28px; flex-shrink: 1}
.tl-music {margin-top: 2px; height: 16px; border-radius: 3px; background: #6366f133; font-size: 11px; padding: 0 6px}
.tl-estimated {opacity: 0.7}
"""
JS = ("element.addEventListener('click', e => { const b = e.target.closest('[data-scene]');"
      " if (b) trigger('click', {scene: +b.dataset.scene}); });")


def _url(path: str) -> str:
    return "/gradio_api/file=" + quote(path)


def waveform(path: str) -> list[float]:
    """The speech's loudness at WAVE_POINTS points, 0..1 (empty when there is none or it cannot be read)."""
    if not path:
        return []
    try:
        x = decode_audio(path, WAVE_RATE, what="the voice")
    except VidgenError:
        return []
    if x.size < WAVE_POINTS:
        return []
    env = np.sqrt(np.mean(np.square(x[: x.size // WAVE_POINTS * WAVE_POINTS].reshape(WAVE_POINTS, -1)), axis=1))
    peak = float(env.max()) or 1.0
    return [round(float(v) / peak, 3) for v in env]


def _wave_svg(points: list[float]) -> str:
    if not points:
        return "<svg class='tl-wave' viewBox='0 0 48 22' preserveAspectRatio='none'></svg>"
    bars = "".join(f"<rect x='{i}' y='{11 - 10 * p:.1f}' width='0.8' height='{max(0.4, 20 * p):.1f}'/>"
                   for i, p in enumerate(points))
    return f"<svg class='tl-wave' viewBox='0 0 48 22' preserveAspectRatio='none' fill='#6366f1'>{bars}</svg>"


def strip_html(blocks: list[dict[str, Any]], music: str) -> str:
    """The strip for `timeline_blocks` rows and the project's music setting."""
    if not blocks:
        return "<div class='tl-music'>No scenes yet: parse a script.</div>"
    total = sum(b["seconds"] for b in blocks) or 1.0
    pictures, waves = [], []
    for b in blocks:
        grow = f"flex: {b['seconds'] / total:.4f} 1 0"
        image = f"background-image: url('{_url(b['image'])}');" if b["image"] else ""
        into = f" · {b['transition']}" if b["number"] > 1 else ""
        label = html.escape(f"{b['number']}. {b['heading']}{into} · {b['seconds']:.1f} s")
        est = "" if b["measured"] else " tl-estimated"
        pictures.append(f"<div class='tl-block{est}' data-scene='{int(b['number'])}' style=\"{grow}; {image}\" "
                        f"title='{label}'><div class='tl-label'>{label}</div></div>")
        waves.append(f"<div style='{grow}; display: flex'>{_wave_svg(waveform(b['speech']))}</div>")
    words = MUSIC_WORDS.get(music, "music: your file")
    return (f"<div class='tl-row' id='timeline-blocks'>{''.join(pictures)}</div>"
            f"<div class='tl-row'>{''.join(waves)}</div><div class='tl-music'>{html.escape(words)}</div>")


def build() -> gr.HTML:
    return gr.HTML("", css_template=CSS, js_on_load=JS, elem_id="storyboard-timeline", padding=False)


__all__ = ["build", "strip_html", "waveform"]
