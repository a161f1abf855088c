"""Script tab: write or upload a script, parse it, pick render settings, render and download."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from . import script_writer
from .boundary import shown
from .common import (CHARACTER_HEADERS, SCENE_HEADERS, Shared, character_rows, finished, live_cards,
                     progress_reporter, scene_rows, scene_table_changes)
from .settings_form import SCRIPT_GROUPS, SettingsForm

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"


def _examples() -> tuple[list[list[str]], list[str]]:
    files = sorted(p for p in EXAMPLES_DIR.glob("*") if p.suffix in (".txt", ".fountain", ".md")) \
        if EXAMPLES_DIR.is_dir() else []
    return [[p.read_text(encoding="utf-8")] for p in files], [p.name for p in files]


def notes_text(notes: list[str]) -> str:
    """The reader's notes on the script, one per line, shown above the scenes before any render."""
    return "\n".join(f"- ⚠ {n}" for n in notes)


def film(video: str, subtitles: str | None, burned: bool) -> Any:
    """The player; it shows the .srt track only when the captions are not burned in (else twice)."""
    return gr.Video(value=video, subtitles=None if burned else (subtitles or None))


def build(shared: Shared) -> tuple[SettingsForm, list[Any]]:
    """The tab; returns the settings form and the score preview's components, which the Music and
    Assemble tabs show (render_groups, .render())."""
    studio = shared.studio

    def burned(project_id: str) -> bool:
        return bool(project_id) and studio.get_project(project_id)["settings"].get("subtitles", True)

    with gr.Row():
        with gr.Column(scale=3):
            title = gr.Textbox(label="Title", placeholder="taken from the script when empty", elem_id="script-title")
            text = gr.Textbox(label="Script", lines=16, max_lines=40, elem_id="script-text",
                              max_length=studio.settings.max_script_bytes,
                              placeholder="Fountain, `Scene N:` storyboard, Markdown headings, NAME: dialogue or prose")
            examples, labels = _examples()
            if examples:
                gr.Examples(examples=examples, inputs=[text], example_labels=labels, label="Examples",
                            elem_id="script-examples", api_visibility="private")
            with gr.Row():
                upload = gr.File(label="Upload a script (.txt, .fountain, .md)", type="filepath",
                                 file_types=[".txt", ".fountain", ".md"], elem_id="script-upload")
            parse = gr.Button("Parse", variant="secondary", elem_id="script-parse")
            script_writer.build(shared, text)
        with gr.Column(scale=2):
            gr.Markdown("### Render settings")
            settings = SettingsForm(studio)
            settings.render_groups(SCRIPT_GROUPS)
            gr.Markdown("Music: the Music tab. Captions, colour grade, titles and watermark: the Assemble tab.")
            score = gr.Button("Preview the score", elem_id="render-music-preview", render=False)
            score_audio = gr.Audio(label="Score", interactive=False, elem_id="render-music-audio", render=False)
            score_info = gr.Markdown(elem_id="render-music-info", render=False)
    notes = gr.Markdown(elem_id="script-notes")
    scenes = gr.Dataframe(headers=SCENE_HEADERS, label="Scenes (edit heading, mood or camera, then save)",
                          interactive=True, static_columns=[0, 2, 4], type="array", elem_id="script-scenes",
                          wrap=True)
    with gr.Row():
        apply = gr.Button("Save table edits", elem_id="script-apply")
        applied = gr.Markdown(elem_id="script-applied")
    characters = gr.Dataframe(headers=CHARACTER_HEADERS, label="Characters", interactive=False,
                              elem_id="script-characters", wrap=True)
    with gr.Row():
        render = gr.Button("Render", variant="primary", elem_id="render-button")
        cancel = gr.Button("Cancel", variant="stop", elem_id="render-cancel")
        job_id = gr.Textbox(label="Job", interactive=False, elem_id="render-job-id")
    with gr.Row():
        live = gr.Gallery(label="Scenes as they are made", columns=6, height=180, allow_preview=False,
                          interactive=False, object_fit="contain", elem_id="render-live")
        live_clip = gr.Video(label="Latest clip", interactive=False, height=180, elem_id="render-live-clip")
    status = gr.Markdown(elem_id="render-status")
    video = gr.Video(label="Film", interactive=False, elem_id="render-video")
    with gr.Row():
        mp4 = gr.File(label="Download MP4", interactive=False, elem_id="render-mp4")
        srt = gr.File(label="Download subtitles (.srt)", interactive=False, elem_id="render-srt")

    source_name = gr.State("")  # the uploaded script's file name: .fountain is a hint of the form
    form = [shared.current, title, text, source_name, settings.music_file, *settings.fields]

    @shown
    def load_upload(path: str | None) -> Any:
        return (studio.read_script_upload(path), Path(path).name) if path else (gr.skip(), gr.skip())

    @shown
    def prepare(current: str, title: str, text: str, filename: str, music: str | None, *values: Any,
                progress: gr.Progress = gr.Progress()) -> tuple[str, list, list, str]:
        """The project for this form: the current one when its script is this text and it was read by
        this reader, else a new one (the script read again)."""
        chosen = settings.values(list(values))
        own_music = "music" not in chosen
        if own_music and not music and not current:
            raise gr.Error("Choose your music file, or pick the generated score.")
        project = None
        if current:
            project = studio.get_project(current)
            if project["script"] != text or project["settings"].get("parser", "rules") != chosen.get("parser", "rules"):
                project = None
        if project is None:
            project = studio.create_project(text, title or "", chosen, filename=filename or "",
                                            progress=lambda f, m="": progress(f, desc=m or "reading the script"))
        else:
            studio.update_settings(project["id"], chosen)
            if title and title != project["title"]:
                studio.rename_project(project["id"], title)
        if own_music and music:
            studio.set_music(project["id"], music)
        project = studio.get_project(project["id"])
        return (project["id"], scene_rows(project["scenes"]), character_rows(project["characters"]),
                notes_text(project.get("notes") or []))

    @shown
    def run_render(project_id: str, progress: gr.Progress = gr.Progress()) -> Any:
        """Render the project; yields the job id at once (cancel it with /cancel_job), then the files."""
        job = studio.start_render(project_id)
        yield None, None, job
        progress(0.0, desc="queued")
        scenes = len(studio.get_project(project_id)["scenes"])
        done = finished(studio.wait(job, on_event=progress_reporter(progress, scenes)))
        yield done["video"], done["subtitles"], job

    def watch(job: str) -> tuple[Any, ...]:
        """A new job: its previews start empty and the timer polls until it ends."""
        return gr.Timer(active=bool(job)), [], [], None

    @shown
    def poll(job: str, seen: list[Any]) -> tuple[Any, ...]:
        """While a render runs: each scene's picture and the latest clip as soon as its steps finish.
        `seen`: [the job's step count at the last look, *the previews shown]."""
        if not job:
            return gr.skip(), gr.skip(), gr.Timer(active=False), seen
        record = studio.get_job(job)
        running = record["status"] in ("pending", "running")
        if seen and seen[0] == len(record["steps"]):  # no step finished since the last tick: nothing to read
            return gr.skip(), gr.skip(), gr.Timer(active=running), seen
        made = studio.job_previews(job)
        if made == seen[1:]:
            return gr.skip(), gr.skip(), gr.Timer(active=running), [len(record["steps"]), *made]
        clips = [m["clip"] for m in made if m["clip"]]
        return (live_cards(made), clips[-1] if clips else gr.skip(), gr.Timer(active=running),
                [len(record["steps"]), *made])

    def show(mp4_path: str | None, srt_path: str | None, job: str, burned: bool) -> tuple[Any, str]:
        if not mp4_path:
            return None, ""
        return film(mp4_path, srt_path, burned), f"Rendered by job `{job}`."

    @shown
    def cancel_current(job: str) -> str:
        if not job:
            return "Nothing is rendering."
        j = studio.cancel_job(job)
        return f"Job `{job}`: {j['status']}" + (" (stopping at the next step)" if j.get("cancel_requested") else "")

    @shown
    def apply_table(project_id: str, rows: list[list[Any]]) -> tuple[list, str]:
        if not project_id:
            raise gr.Error("Parse the script first: the table edits belong to a project.")
        edits = scene_table_changes(rows or [], studio.get_project(project_id)["scenes"])
        for number, changes in edits.items():
            studio.update_scene(project_id, number, changes)
        p = studio.get_project(project_id)
        return scene_rows(p["scenes"]), f"{len(edits)} scene(s) updated." if edits else "No changes."

    apply.click(apply_table, [shared.current, scenes], [scenes, applied], api_visibility="private")
    upload.upload(load_upload, upload, [text, source_name], api_visibility="private")
    parse.click(prepare, form, [shared.current, scenes, characters, notes], api_visibility="private")
    (render.click(prepare, form, [shared.current, scenes, characters, notes], api_visibility="private")
     .success(run_render, shared.current, [mp4, srt, job_id], api_name="render", show_progress_on=[status],
              **shared.gpu_events)
     .success(lambda m, s_, j, pid: show(m, s_, j, burned(pid)), [mp4, srt, job_id, shared.current],
              [video, status], api_visibility="private")
     .then(lambda n: (n or 0) + 1, shared.rendered, shared.rendered, api_visibility="private"))
    cancel.click(cancel_current, job_id, status, api_visibility="private")
    seen = gr.State([])
    timer = gr.Timer(1.0, active=False)
    job_id.change(watch, job_id, [timer, seen, live, live_clip], api_visibility="private")
    timer.tick(poll, [job_id, seen], [live, live_clip, timer, seen], api_visibility="private", show_progress="hidden")

    outputs = [video, mp4, srt]

    @shown
    def refresh(project_id: str) -> tuple[Any, ...]:
        if not project_id:
            return tuple([[], [], ""] + [gr.skip()] * (2 + len(settings.fields) + len(outputs)))
        p = studio.get_project(project_id)
        s = p["settings"]
        shown_film = film(p["video"], p.get("subtitles"), s.get("subtitles", True)) if p.get("video") else None
        return (scene_rows(p["scenes"]), character_rows(p["characters"]), notes_text(p.get("notes") or []),
                p["title"], p["script"],
                *settings.show(s), shown_film, p.get("video") or None, p.get("subtitles") or None)

    shared.current.change(refresh, shared.current, [scenes, characters, notes, title, text, *settings.fields, *outputs],
                          api_visibility="private")

    @shown
    def preview_score(*values: Any, progress: gr.Progress = gr.Progress()) -> tuple[Any, str]:
        project_id = prepare(*values, progress=progress)[0]
        progress(0.0, desc="queued")
        r = studio.generate_music(project_id, on_event=progress_reporter(progress))
        moods = " → ".join(f"{m} {sec:.0f}s" for m, sec in r["segments"])
        return r["audio"], (f"**{r['model']}**: {moods}" + (f", {r['tempo']:.0f} BPM" if r["tempo"] else "")
                            + (f", {r['key']}" if r["key"] else "") + (" (from the cache)" if r["cached"] else ""))

    score.click(preview_score, form, [score_audio, score_info], api_visibility="private", **shared.gpu_events)
    # models added or activated in the Models tab show up when the list is opened
    for name in ("parser", "image_model", "animation_model", "music_model", "voice"):
        field = settings.by_name[name]
        field.focus(settings.refresh_choices(name), field, field, api_visibility="private")
    return settings, [score, score_audio, score_info]
