"""Script tab: write or upload a script, parse it, pick render settings, render and download."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from ..domain import ASPECTS, QUALITIES, RESOLUTIONS, TRANSITIONS, RenderSettings
from .boundary import shown
from .common import (CHARACTER_HEADERS, SCENE_HEADERS, Shared, character_rows, finished, progress_reporter,
                     scene_rows, scene_table_changes)

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
LANGUAGES = [("detect from the script", ""), ("English", "en"), ("French", "fr"), ("Spanish", "es"),
             ("German", "de"), ("Italian", "it"), ("Portuguese", "pt"), ("Dutch", "nl"), ("Polish", "pl"),
             ("Russian", "ru"), ("Hindi", "hi"), ("Japanese", "ja"), ("Chinese", "zh")]
MUSIC_AUTO, MUSIC_NONE, MUSIC_FILE = "generated score", "no music", "my file"


def _examples() -> tuple[list[list[str]], list[str]]:
    files = sorted(p for p in EXAMPLES_DIR.glob("*") if p.suffix in (".txt", ".fountain", ".md")) \
        if EXAMPLES_DIR.is_dir() else []
    return [[p.read_text(encoding="utf-8")] for p in files], [p.name for p in files]


def film(video: str, subtitles: str | None, burned: bool) -> Any:
    """The player; it shows the .srt track only when the captions are not burned in (else twice)."""
    return gr.Video(value=video, subtitles=None if burned else (subtitles or None))


ACTIVE = "active"  # image model choice: the registry's active image model
NO_STYLE = "none"


def image_model_choices(studio: Any) -> list[tuple[str, str]]:
    """(label, value) of the image models the registry knows, after "the active one"."""
    from ..models.registry import Registry

    registry = Registry(studio.store)
    active = registry.active("image")
    return [(f"Active model ({active.name})", ACTIVE)] + [(f"{m.name} [{m.id}]", m.id) for m in registry.list("image")]


def voice_choices(studio: Any) -> list[tuple[str, str]]:
    """(label, voice id): the built-in voice, the registry's voice models, and a silent film."""
    from ..models.registry import Registry
    from ..services.voice import BUILTIN_VOICE

    models = [(f"{m.name} [{m.id}]", m.id) for m in Registry(studio.store).list("voice") if not m.builtin]
    return [("Piper en_US-joe-medium (built in)", BUILTIN_VOICE), *models, ("none (silent film)", "none")]


def music_model_choices(studio: Any) -> list[tuple[str, str]]:
    from ..models.registry import Registry

    registry = Registry(studio.store)
    active = registry.active("music")
    return [(f"Active model ({active.name})", "")] + [(f"{m.name} [{m.id}]", m.id) for m in registry.list("music")]


def genre_choices() -> list[tuple[str, str]]:
    from ..services.music.composer import GENRES

    return [("from the moods", ""), *((g, g) for g in GENRES)]


def music_mode(music: str) -> str:
    return {"auto": MUSIC_AUTO, "none": MUSIC_NONE, "": MUSIC_NONE}.get(music, MUSIC_FILE)


def style_choices() -> list[str]:
    from ..services.images.diffusion import styles  # the presets are data (styles.json): no torch here

    return [NO_STYLE, *styles()]


def scheduler_choices() -> list[tuple[str, str]]:
    from ..services.images.diffusion import SCHEDULERS

    return [("the model's own", ""), *((n, n) for n in SCHEDULERS)]


def parse_loras(text: str) -> list[dict[str, Any]]:
    """"owner/name:0.8" lines -> [{"source", "scale"}]; the scale defaults to 1."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        source, sep, scale = line.rpartition(":")
        try:
            out.append({"source": source.strip(), "scale": float(scale)} if sep else {"source": line, "scale": 1.0})
        except ValueError:
            raise gr.Error(f"LoRA line {line!r}: write source:scale, e.g. owner/name:0.8.") from None
    return out


def parse_programs(text: str) -> list[int]:
    """"0, 48, 32" -> [0, 48, 32] (General MIDI program numbers)."""
    try:
        return [int(v) for v in text.replace(",", " ").split()]
    except ValueError:
        raise gr.Error(f"Instruments {text!r}: write General MIDI program numbers, e.g. 0, 48, 32, 89.") from None


def format_loras(loras: list[dict[str, Any]]) -> str:
    return "\n".join(f"{lo['source']}:{lo['scale']:g}" for lo in loras)


def build(shared: Shared) -> None:
    studio = shared.studio

    def burned(project_id: str) -> bool:
        return bool(project_id) and studio.get_project(project_id)["settings"].get("subtitles", True)
    defaults = RenderSettings()
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
        with gr.Column(scale=2):
            gr.Markdown("### Render settings")
            aspect = gr.Radio(list(ASPECTS), value=defaults.aspect, label="Aspect", elem_id="render-aspect")
            resolution = gr.Dropdown(list(RESOLUTIONS), value=defaults.resolution, label="Resolution",
                                     elem_id="render-resolution")
            fps = gr.Slider(6, 60, value=defaults.fps, step=1, label="Frames per second", elem_id="render-fps")
            transition = gr.Dropdown(list(TRANSITIONS), value=defaults.transition, label="Transition",
                                     elem_id="render-transition")
            voice = gr.Dropdown(voice_choices(studio), value=defaults.voice, label="Voice",
                                info="the narrator's; characters get their own (Cast tab)", elem_id="render-voice",
                                allow_custom_value=True)
            language = gr.Dropdown(LANGUAGES, value="", label="Language", allow_custom_value=True,
                                   elem_id="render-language")
            quality = gr.Dropdown(list(QUALITIES), value=defaults.quality, label="Quality", elem_id="render-quality")
            image_model = gr.Dropdown(image_model_choices(studio), value=ACTIVE, label="Image model",
                                      info="storyboard = the built-in painter; download AI models in the Models tab",
                                      elem_id="render-image-model")
            style = gr.Dropdown(style_choices(), value=NO_STYLE, label="Style (AI image models)",
                                elem_id="render-style")
            with gr.Accordion("AI image settings", open=False, elem_id="render-ai-images"):
                image_steps = gr.Slider(0, 60, value=0, step=1, label="Steps", info="0 = the model's default",
                                        elem_id="render-image-steps")
                guidance = gr.Number(value=None, label="Guidance", info="empty = the model's default",
                                     minimum=0, maximum=30, elem_id="render-guidance")
                scheduler = gr.Dropdown(scheduler_choices(), value="",
                                        label="Scheduler", elem_id="render-scheduler")
                loras = gr.Textbox(label="LoRAs", lines=2, elem_id="render-loras",
                                   placeholder="one per line: owner/name[:scale] or owner/name/file.safetensors[:scale]")
                reference_scale = gr.Slider(0, 1, value=defaults.reference_scale, step=0.05,
                                            label="Character reference strength",
                                            info="how strongly a character's picture (Cast tab) steers the image",
                                            elem_id="render-reference-scale")
            with gr.Accordion("Music", open=False, elem_id="render-music-settings"):
                music_choice = gr.Radio([MUSIC_AUTO, MUSIC_NONE, MUSIC_FILE], value=MUSIC_AUTO, label="Music",
                                        info="ducked under the voice, faded in and out", elem_id="render-music-mode")
                music = gr.File(label="Your music file (looped)", type="filepath", file_types=["audio"],
                                elem_id="render-music")
                music_model = gr.Dropdown(music_model_choices(studio), value="", label="Music model",
                                          elem_id="render-music-model")
                genre = gr.Dropdown(genre_choices(), value="", label="Genre", elem_id="render-music-genre")
                with gr.Row():
                    tempo = gr.Number(value=0, precision=0, minimum=0, maximum=220, label="Tempo (BPM, 0 = mood's)",
                                      elem_id="render-music-tempo")
                    key = gr.Textbox(label="Key", placeholder="e.g. D minor (empty = mood's)",
                                     elem_id="render-music-key")
                instruments = gr.Textbox(label="Instruments (General MIDI programs: melody, chords, bass, pad)",
                                         placeholder="e.g. 0, 48, 32, 89 (empty = the genre's)",
                                         elem_id="render-music-instruments")
                music_volume = gr.Slider(0, 1.5, value=defaults.music_volume, step=0.05,
                                         label="Music level (relative to the voice)", elem_id="render-music-volume")
                score = gr.Button("Preview the score", elem_id="render-music-preview")
                score_audio = gr.Audio(label="Score", interactive=False, elem_id="render-music-audio")
                score_info = gr.Markdown(elem_id="render-music-info")
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
    status = gr.Markdown(elem_id="render-status")
    video = gr.Video(label="Film", interactive=False, elem_id="render-video")
    with gr.Row():
        mp4 = gr.File(label="Download MP4", interactive=False, elem_id="render-mp4")
        srt = gr.File(label="Download subtitles (.srt)", interactive=False, elem_id="render-srt")

    form = [shared.current, title, text, aspect, resolution, fps, transition, voice, quality, music, image_model, style,
            image_steps, guidance, scheduler, loras, reference_scale, language, music_choice, music_model, genre,
            tempo, key, music_volume, instruments]

    @shown
    def load_upload(path: str | None) -> Any:
        return studio.read_script_upload(path) if path else gr.skip()

    @shown
    def prepare(current: str, title: str, text: str, aspect: str, resolution: str, fps: float,
                transition: str, voice: str, quality: str, music: str | None, image_model: str | None = ACTIVE,
                style: str | None = NO_STYLE, image_steps: float = 0, guidance: float | None = None,
                scheduler: str = "", loras: str = "", reference_scale: float = 0.6, language: str = "",
                music_choice: str = MUSIC_AUTO, music_model: str = "", genre: str = "", tempo: float = 0,
                key: str = "", music_volume: float = 0.3, instruments: str = "") -> tuple[str, list, list]:
        """The project for this form: the current one when its script is this text, else a new one."""
        settings = {"aspect": aspect, "resolution": resolution, "fps": int(fps), "transition": transition,
                    "voice": voice, "quality": quality,
                    "image_model": "" if image_model in (None, ACTIVE) else image_model,
                    "style": "" if style in (None, NO_STYLE) else style,
                    "image_steps": int(image_steps or 0), "image_guidance": guidance, "scheduler": scheduler or "",
                    "loras": parse_loras(loras or ""), "reference_scale": float(reference_scale),
                    "language": language or "", "music_model": music_model or "", "music_genre": genre or "",
                    "music_tempo": int(tempo or 0), "music_key": (key or "").strip(),
                    "music_volume": float(music_volume), "music_instruments": parse_programs(instruments or "")}
        if music_choice != MUSIC_FILE:
            settings["music"] = "none" if music_choice == MUSIC_NONE else "auto"
        elif not music and not current:
            raise gr.Error("Choose your music file, or pick the generated score.")
        project = None
        if current:
            project = studio.get_project(current)
            if project["script"] != text:
                project = None
        if project is None:
            project = studio.create_project(text, title or "", settings)
        else:
            studio.update_settings(project["id"], settings)
            if title and title != project["title"]:
                studio.rename_project(project["id"], title)
        if music_choice == MUSIC_FILE and music:
            studio.set_music(project["id"], music)
        project = studio.get_project(project["id"])
        return project["id"], scene_rows(project["scenes"]), character_rows(project["characters"])

    @shown
    def run_render(project_id: str, progress: gr.Progress = gr.Progress()) -> Any:
        """Render the project; yields the job id at once (cancel it with /cancel_job), then the files."""
        job = studio.start_render(project_id)
        yield None, None, job
        progress(0.0, desc="queued")
        done = finished(studio.wait(job, on_event=progress_reporter(progress)))
        yield done["video"], done["subtitles"], job

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
    upload.upload(load_upload, upload, text, api_visibility="private")
    parse.click(prepare, form, [shared.current, scenes, characters], api_visibility="private")
    (render.click(prepare, form, [shared.current, scenes, characters], api_visibility="private")
     .success(run_render, shared.current, [mp4, srt, job_id], api_name="render", **shared.gpu_events)
     .success(lambda m, s_, j, pid: show(m, s_, j, burned(pid)), [mp4, srt, job_id, shared.current],
              [video, status], api_visibility="private"))
    cancel.click(cancel_current, job_id, status, api_visibility="private")

    @shown
    def refresh(project_id: str) -> tuple[Any, ...]:
        if not project_id:
            return tuple([[], []] + [gr.skip()] * 26)
        p = studio.get_project(project_id)
        s = p["settings"]
        shown_film = film(p["video"], p.get("subtitles"), s.get("subtitles", True)) if p.get("video") else None
        models = gr.Dropdown(choices=image_model_choices(studio), value=s.get("image_model") or ACTIVE)
        return (scene_rows(p["scenes"]), character_rows(p["characters"]), p["title"], p["script"],
                s["aspect"], s["resolution"], s["fps"], s["transition"], s["voice"], s["quality"],
                models, s.get("style") or NO_STYLE, s.get("image_steps", 0), s.get("image_guidance"),
                s.get("scheduler", ""), format_loras(s.get("loras") or []), s.get("reference_scale", 0.6),
                s.get("language", ""), music_mode(s.get("music", "auto")), s.get("music_model", ""),
                s.get("music_genre", ""), s.get("music_tempo", 0), s.get("music_key", ""), s.get("music_volume", 0.3),
                ", ".join(map(str, s.get("music_instruments") or [])), shown_film, p.get("video") or None, p.get("subtitles") or None)

    shared.current.change(refresh, shared.current,
                          [scenes, characters, title, text, aspect, resolution, fps, transition, voice, quality,
                           image_model, style, image_steps, guidance, scheduler, loras, reference_scale,
                           language, music_choice, music_model, genre, tempo, key, music_volume, instruments,
                           video, mp4, srt], api_visibility="private")

    @shown
    def preview_score(*values: Any, progress: gr.Progress = gr.Progress()) -> tuple[Any, str]:
        project_id = prepare(*values)[0]
        progress(0.0, desc="queued")
        r = studio.generate_music(project_id, on_event=progress_reporter(progress))
        moods = " → ".join(f"{m} {sec:.0f}s" for m, sec in r["segments"])
        return r["audio"], (f"**{r['model']}**: {moods}" + (f", {r['tempo']:.0f} BPM" if r["tempo"] else "")
                            + (f", {r['key']}" if r["key"] else "") + (" (from the cache)" if r["cached"] else ""))

    score.click(preview_score, form, [score_audio, score_info], api_visibility="private", **shared.gpu_events)
    # models added or activated in the Models tab show up when the list is opened
    image_model.focus(lambda v: gr.Dropdown(choices=image_model_choices(studio), value=v or ACTIVE), image_model,
                      image_model, api_visibility="private")
