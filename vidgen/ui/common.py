"""What the tabs share: the current-project box, the GPU event options, table helpers."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr

from ..domain import ProgressEvent
from ..errors import VidgenError

GPU = "gpu"  # the concurrency_id of every event that computes on the GPU lane

SCENE_HEADERS = ["number", "heading", "lines", "mood", "duration", "camera"]
CHARACTER_HEADERS = ["name", "description", "scenes"]
PROJECT_HEADERS = ["id", "title", "scenes", "updated", "last render"]
JOB_HEADERS = ["id", "project", "status", "stage", "progress", "started", "took", "error / message"]


@dataclass
class Shared:
    """Components and options every tab may read or update."""

    studio: Any  # vidgen.studio.Studio
    current: gr.Textbox  # id of the project the tabs show; its .change refreshes them
    gpu_events: dict[str, Any]  # kwargs for GPU-bound events: one concurrency group, limit = slots
    rendered: Any = None  # gr.State counting finished renders: its .change refreshes what a render changes


def gpu_options(slots: int) -> dict[str, Any]:
    return {"concurrency_id": GPU, "concurrency_limit": slots}


STAGE_WORDS = {"parse": "checking the project", "images": "picture", "voice": "voice", "animation": "moving picture",
               "lipsync": "lip sync", "music": "music", "assembly": "assembling the film",
               "export": "exporting"}


def progress_words(ev: ProgressEvent, scenes: int = 0) -> str:
    """"Scene 2 of 6: voice" while a scene's step runs, else the stage and its message in words."""
    stage = STAGE_WORDS.get(ev.stage, ev.stage)
    if ev.scene:
        return f"Scene {ev.scene}" + (f" of {scenes}" if scenes else "") + f": {stage}"
    return stage[:1].upper() + stage[1:] + (f": {ev.message}" if ev.message else "")


def progress_reporter(progress: Any, scenes: int = 0) -> Callable[[ProgressEvent], None]:
    """A job's progress events -> a gr.Progress bar showing stage and scene in words."""

    def on_event(ev: ProgressEvent) -> None:
        if ev.note:  # a note (a voice chosen for the script's language) stays on screen as a toast
            gr.Info(ev.message, duration=None)
            return
        progress(ev.overall, desc=progress_words(ev, scenes))

    return on_event


def live_cards(made: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """A render's pictures so far, for a gallery: (image, "Scene N")."""
    return [(m["image"], f"Scene {m['scene']}") for m in made if m["image"]]


def finished(job: dict[str, Any]) -> dict[str, Any]:
    """The job dict of a render that completed; a failed or cancelled one raises its message."""
    if job["status"] != "completed":
        reason = job.get("error") or job.get("message") or ""
        raise VidgenError(f"Job {job['id']} {job['status']}" + (f": {reason}" if reason else "."))
    return job


def when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else ""


def scene_rows(scenes: list[dict[str, Any]]) -> list[list[Any]]:
    return [[s["number"], s["heading"], len(s.get("lines") or []), s.get("mood", ""),
             round(float(s.get("duration") or 0.0), 1),
             s.get("motion") or ", ".join(s.get("camera") or []) or "auto"] for s in scenes]


def scene_table_changes(rows: list[list[Any]], scenes: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Edits made in the Script tab's scene table (heading, mood, camera), per scene number.

    The camera cell shows the scene's override, else its script directions, else "auto";
    writing a motion there sets the override, writing "auto" clears it."""
    out: dict[int, dict[str, Any]] = {}
    for row, scene in zip(rows, scenes):
        heading, mood, camera = (str(row[i] if row[i] is not None else "").strip() for i in (1, 3, 5))
        shown = scene_rows([scene])[0][5]
        changes: dict[str, Any] = {}
        if heading and heading != scene["heading"]:
            changes["heading"] = heading
        if mood and mood != scene.get("mood"):
            changes["mood"] = mood
        if camera != shown:
            changes["motion"] = "" if camera in ("", "auto") else camera.replace(" ", "_")
        if changes:
            out[scene["number"]] = changes
    return out


def character_rows(characters: list[dict[str, Any]]) -> list[list[Any]]:
    return [[c["name"], c.get("description", ""), ", ".join(map(str, c.get("scenes") or []))] for c in characters]


def project_rows(projects: list[dict[str, Any]]) -> list[list[Any]]:
    return [[p["id"], p.get("title", ""), p.get("scenes", 0), when(p.get("updated")),
             p.get("status") or "not rendered"] for p in projects]


def job_rows(jobs: list[dict[str, Any]], titles: dict[str, str] | None = None) -> list[list[Any]]:
    """The jobs table; `titles` (project id -> title) shows a project by its title, as people name it."""
    titles = titles or {}
    rows = []
    for j in jobs:
        took = ""
        if j.get("started") and j.get("finished"):
            took = f"{j['finished'] - j['started']:.1f} s"
        project = j.get("project_id", "")
        rows.append([j["id"], titles.get(project, project), j.get("status", ""), j.get("stage", ""),
                     f"{float(j.get('progress') or 0) * 100:.0f}%", when(j.get("started")), took,
                     j.get("error") or j.get("message", "")])
    return rows


def row_value(data: Any, index: Any, column: int = 0) -> str:
    """The cell `column` of the selected row of a Dataframe value (a pandas frame or rows)."""
    if index is None:
        return ""
    row = index[0] if isinstance(index, (list, tuple)) else index
    rows = data.values.tolist() if hasattr(data, "values") else list(data or [])
    if not isinstance(row, int) or not 0 <= row < len(rows):
        return ""
    return str(rows[row][column])


# Storyboard lines as text: one line per spoken line, "NAME: text", "NAME (whispering): text" or
# narration as plain text.
_LINE = re.compile(r"^(?P<speaker>[^\s:()][^:()]{0,40}?)\s*(?:\((?P<paren>[^()]*)\))?\s*:\s+(?P<text>\S.*)$")


def lines_to_text(lines: list[dict[str, Any]]) -> str:
    out = []
    for line in lines or []:
        who = line.get("speaker")
        if who:
            paren = f" ({line['parenthetical']})" if line.get("parenthetical") else ""
            out.append(f"{who}{paren}: {line['text']}")
        else:
            out.append(line["text"])
    return "\n".join(out)


def text_to_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for raw in (text or "").splitlines():
        raw = raw.strip()
        if not raw:
            continue
        m = _LINE.match(raw)
        if m and m.group("speaker").strip().lower() not in ("narrator", "narration", "voice over"):
            out.append({"text": m.group("text").strip(), "speaker": m.group("speaker").strip(),
                        "parenthetical": (m.group("paren") or "").strip()})
        else:
            out.append({"text": m.group("text").strip() if m else raw, "speaker": None, "parenthetical": ""})
    return out
