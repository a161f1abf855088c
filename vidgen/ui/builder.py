"""Build the studio (Blocks + queue) and the launch options; nothing heavy happens here."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from . import (api, cast_tab, jobs_tab, library_tab, models_tab, projects_tab, script_tab, storyboard_tab,
               versions_tab)
from ..errors import VidgenError
from ..text import count
from .boundary import signed_in_user
from .common import Shared, gpu_options, job_rows, project_rows
from .settings_form import ASSEMBLE_GROUPS
from .uploads_only import UploadsOnly

QUEUE_MAX = 32  # waiting events in all; a full queue answers "Queue is full"
MAX_FILE_SIZE = 50 * 1024 * 1024  # uploads (scripts, images, music)
DELETE_CACHE = (3600, 3600)  # every hour, remove Gradio temp files older than an hour
DEFAULT_CONCURRENCY = 4  # light events (store reads and writes) at once
MEDIA_FOLDERS = ("assets", "renders")  # under the data folder: what the studio shows and offers for download
CSS = "#render-status, #storyboard-result {min-height: 1.5em}"


def media_folders(data_dir: str | os.PathLike) -> list[Path]:
    return [Path(data_dir).resolve() / sub for sub in MEDIA_FOLDERS]


def build_app(studio: Any) -> gr.Blocks:
    """The studio's Blocks for this Studio; queue configured, ready for `launch(**launch_options(...))`."""
    slots = getattr(studio, "gpu_slots", 1)
    # Films and pictures are served from the data folder, not copied into Gradio's cache per answer
    # (a copy of every film until the hourly sweep). Its media files never change: content-addressed
    # assets and one folder per render job; these are the folders `allowed_paths` already serves.
    gr.set_static_paths(media_folders(studio.settings.data_dir))
    if hasattr(studio, "jobs"):  # per-user limits know who asks (tests may build the app on a stand-in)
        studio.jobs.current_user = signed_in_user
    with gr.Blocks(title="vidgen studio", delete_cache=DELETE_CACHE, analytics_enabled=False) as demo:
        shared = Shared(studio=studio, current=None, gpu_events=gpu_options(slots))  # type: ignore[arg-type]
        api.build(shared)  # first, so the JSON endpoints own their names
        gr.Markdown("## vidgen studio\nWrite or upload a script, parse it, render it; edit scenes in the "
                    "Storyboard and re-render only what changed.")
        with gr.Row():
            heading = gr.Markdown("No project open: write or pick a script and press Parse.", elem_id="current-title")
            current = gr.Textbox(label="Project id", interactive=False, elem_id="current-project", scale=0,
                                 min_width=160)
        shared.current = current
        shared.rendered = gr.State(0)
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Script", id="script", elem_id="tab-script"):
                form, score = script_tab.build(shared)
            with gr.Tab("Storyboard", id="storyboard", elem_id="tab-storyboard"):
                storyboard_tab.build(shared)
            with gr.Tab("Cast", id="cast", elem_id="tab-cast"):
                cast_tab.build(shared)
            with gr.Tab("Music", id="music", elem_id="tab-music"):
                gr.Markdown("The film's music: a generated score (its model, genre, tempo, key and instruments), "
                            "your own file, or none; Parse and Render in the Script tab use these.")
                form.render_groups(("music",))
                for component in score:
                    component.render()
            with gr.Tab("Assemble", id="assemble", elem_id="tab-assemble"):
                gr.Markdown("How the film is finished: captions, colour grade, titles, lower thirds and the "
                            "watermark; Parse and Render in the Script tab use these.")
                form.render_groups(ASSEMBLE_GROUPS)
            with gr.Tab("Library", id="library", elem_id="tab-library") as library:
                library_tab.build(shared, library)
            with gr.Tab("Projects", id="projects", elem_id="tab-projects"):
                projects = projects_tab.build(shared)
            with gr.Tab("Versions", id="versions", elem_id="tab-versions"):
                versions_tab.build(shared)
            with gr.Tab("Jobs", id="jobs", elem_id="tab-jobs"):
                jobs = jobs_tab.build(shared)
            with gr.Tab("Models", id="models", elem_id="tab-models"):
                models_tab.build(shared)

        def tables() -> tuple[list, list]:
            listed = studio.list_projects()
            return project_rows(listed), job_rows(studio.list_jobs(), {p["id"]: p["title"] for p in listed})

        def title_of(project_id: str) -> str:
            """The open project as a person names it: its title and size (the id stays beside it)."""
            if not project_id:
                return "No project open: write or pick a script and press Parse."
            try:
                p = studio.get_project(project_id)
            except VidgenError:
                return "The project is gone (deleted elsewhere): open another in the Projects tab."
            return f"### {p['title']}\n{count(len(p['scenes']), 'scene')}" + (" · rendered" if p.get("video") else "")

        current.change(title_of, current, heading, api_visibility="private")
        shared.rendered.change(title_of, current, heading, api_visibility="private")
        demo.load(tables, None, [projects, jobs], api_visibility="private")
        shared.rendered.change(tables, None, [projects, jobs], api_visibility="private")
    demo.queue(max_size=QUEUE_MAX, api_open=False, default_concurrency_limit=DEFAULT_CONCURRENCY)
    return demo


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """"user:pass" (several separated by commas) -> Gradio's auth list; None when empty."""
    if not value:
        return None
    pairs = []
    for item in value.split(","):
        user, sep, password = item.strip().partition(":")
        if not sep or not user or not password:
            raise ValueError("--auth / VIDGEN_AUTH must look like user:password (several separated by commas)")
        pairs.append((user, password))
    return pairs


def launch_options(data_dir: str | os.PathLike, *, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
                   auth: str | None = None) -> dict[str, Any]:
    """Keyword arguments for `Blocks.launch`: files limited to the data folder, uploads size-limited."""
    credentials = parse_auth(auth)
    if share and not credentials:
        print("warning: --share without --auth: anyone with the public link can use this studio and its "
              "data folder; add --auth user:password (or set VIDGEN_AUTH).", file=sys.stderr)
    return {
        "server_name": host,
        "server_port": port,
        "share": share,
        "auth": credentials,
        # Media only: the store's JSON (scripts, settings, jobs) and logs are never served.
        "allowed_paths": [str(p) for p in media_folders(data_dir)],
        "max_file_size": MAX_FILE_SIZE,
        "enable_monitoring": False,
        "show_error": False,
        "css": CSS,
        "theme": gr.themes.Soft(),
        "footer_links": ["api", "gradio"],
        "app_kwargs": {"middleware": [Middleware(UploadsOnly)]},
    }
