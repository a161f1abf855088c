"""API-only endpoints (no components): JSON in, JSON out, one line into the Studio each.

`/render` and `/resume_job` are the Script and Jobs tabs' own events (they stream progress);
everything else a client needs is here. File paths in the answers are on the server, inside the
data folder, and can be fetched from `/gradio_api/file=<path>`.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.data_classes import FileData, GradioRootModel
from gradio_client.utils import is_file_obj_with_meta

from ..models import operations
from ..models.registry import registry_for
from .boundary import shown
from .common import Shared


def build(shared: Shared) -> None:
    studio = shared.studio

    @shown
    def parse_script(text: str, settings: dict[str, Any] | None = None) -> dict[str, Any]:
        """Read a script: title, form, scenes (heading, lines, mood, weather, shot, duration, camera ...),
        characters, notes (what to check before rendering) and parser. `settings`: {"parser": "rules" |
        an LLM model id | "ollama:TAG"} (default rules)."""
        return studio.parse_script(text, "", settings or None)

    @shown
    def create_project(text: str, title: str = "", settings: dict[str, Any] | None = None) -> dict[str, Any]:
        """Parse a script and save it as a new project with these render settings
        (aspect, resolution, fps, transition, voice, quality, seed, subtitles ...)."""
        return studio.create_project(text, title or "", settings or None)

    @shown
    def render_scene(project_id: str, number: int) -> dict[str, Any]:
        """Regenerate one scene (image, voice, clip); says which steps came from the cache."""
        return studio.render_scene(project_id, int(number))

    @shown
    def generate_image(project_id: str, number: int) -> dict[str, Any]:
        """Make one scene's picture with its image model (painter or AI); says whether it came from the cache."""
        return studio.generate_image(project_id, int(number))

    @shown
    def update_character(project_id: str, name: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Edit a character's sheet: description, seed (null = from the name), voice ({model, speaker,
        speed, pitch} or null for a default). Returns the project."""
        return studio.update_character(project_id, name, changes)

    @shown
    def set_character_reference(project_id: str, name: str, image: Any = None) -> dict[str, Any]:
        """A character's reference picture (an uploaded image; null removes it): it steers the AI images
        of the scenes they lead through the image model's IP-Adapter. Returns the project."""
        return studio.set_character_reference(project_id, name, _file_path(image))

    @shown
    def get_cast(project_id: str) -> dict[str, Any]:
        """Every speaker's voice as the next render uses it: {"narrator": voice, "characters": {name: voice}}."""
        return studio.cast(project_id)

    @shown
    def set_voice(project_id: str, character: str = "", voice: dict[str, Any] | None = None,
                  sample: Any = None) -> dict[str, Any]:
        """The narrator's (character "") or a character's voice: {model, speaker, speed, pitch}, and an
        uploaded voice-cloning sample (6-30 s of speech, for XTTS). Returns the project."""
        return studio.set_voice(project_id, character or None, voice or {}, _file_path(sample))

    @shown
    def synthesize_voice(text: str, voice: dict[str, Any] | None = None, project_id: str = "",
                         character: str = "", sample: Any = None) -> dict[str, Any]:
        """Speak a sentence: with `voice` ({model, speaker, speed, pitch}), else with the project's voice of
        `character` ("" = the narrator). Returns {"audio": WAV path, "seconds", "sample_rate", "voice"}."""
        return studio.preview_voice(project_id or "", text, voice or None, _file_path(sample), character or None)

    @shown
    def keep_scene_image(project_id: str, number: int, strength: float = 0.5) -> dict[str, Any]:
        """The scene's current picture becomes its own image, refined by image-to-image at `strength`
        on the next /generate_image (0 = use it as it is). Returns the project."""
        return studio.keep_scene_image(project_id, int(number), float(strength))

    @shown
    def preview_look(project_id: str, number: int, captions: str = "", grade: str = "") -> dict[str, Any]:
        """A still of one scene as the film shows it: its picture at the frame size, its grade and caption
        style over its first line (captions/grade: a style or grade to try, "" the scene's own; makes no
        picture, grey before one exists). Returns {"image": PNG path}."""
        return studio.preview_look(project_id, int(number), captions or None, grade or None)

    @shown
    def add_scene_sound(project_id: str, number: int, sound: Any = None, at: float = 0.5,
                        bed: bool = False) -> dict[str, Any]:
        """Add your own sound file (an upload: WAV, MP3, OGG, FLAC, M4A) to a scene: played `at` seconds into
        it, or with `bed` looped under the whole scene. Edit or remove it in the scene's sound_files.
        Returns the project."""
        return studio.add_scene_sound(project_id, int(number), _file_path(sound), float(at), bool(bed))

    @shown
    def update_scene(project_id: str, number: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Edit one scene (heading, narration or lines, visual, mood, motion, transition, duration, models,
        grade, captions, sounds, sound_files, overlays, seed ...). Returns the project."""
        return studio.update_scene(project_id, int(number), changes)

    @shown
    def add_scene(project_id: str, after: int | None = None, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        """A new scene after scene `after` (0: first; null: last) from `fields` (as /update_scene takes;
        default an empty "New scene"). Returns the project."""
        return studio.add_scene(project_id, after, fields)

    @shown
    def delete_scene(project_id: str, number: int) -> dict[str, Any]:
        """Remove a scene (the last one cannot go); the others close up. Returns the project."""
        return studio.delete_scene(project_id, number)

    @shown
    def duplicate_scene(project_id: str, number: int) -> dict[str, Any]:
        """A copy of a scene right after it (the same picture until edited). Returns the project."""
        return studio.duplicate_scene(project_id, number)

    @shown
    def move_scene(project_id: str, number: int, to: int) -> dict[str, Any]:
        """Move a scene to position `to` (1 = first); a re-render reuses its picture and voice."""
        return studio.move_scene(project_id, number, to)

    @shown
    def split_scene(project_id: str, number: int, at_line: int) -> dict[str, Any]:
        """Cut a scene before its line `at_line` (2 to its number of lines): the rest becomes the next scene."""
        return studio.split_scene(project_id, number, at_line)

    @shown
    def merge_scenes(project_id: str, number: int) -> dict[str, Any]:
        """Join a scene with the next one (the first's settings stay). Returns the project."""
        return studio.merge_scenes(project_id, number)

    @shown
    def list_versions(project_id: str) -> list[dict[str, Any]]:
        """A project's versions (every finished render), newest first: id, number, name, created, duration,
        seconds, scenes, video, ran, cached."""
        return studio.list_versions(project_id)

    @shown
    def get_version(version_id: str) -> dict[str, Any]:
        """One version: its row, the project as rendered, its steps and files."""
        return studio.get_version(version_id)

    @shown
    def name_version(version_id: str, name: str) -> dict[str, Any]:
        """Name a version ("" clears the name)."""
        return studio.name_version(version_id, name)

    @shown
    def compare_versions(a: str, b: str) -> dict[str, Any]:
        """What changed from version a to b: settings, scenes, script, title, characters; both films."""
        return studio.compare_versions(a, b)

    @shown
    def restore_version(version_id: str) -> dict[str, Any]:
        """Put a version's script, settings, scenes and characters back into its project. Returns the project."""
        return studio.restore_version(version_id)

    @shown
    def delete_version(version_id: str) -> dict[str, Any]:
        """Delete a version and free its files (those no other version uses): {"deleted", "freed": bytes}."""
        return studio.delete_version(version_id)

    @shown
    def export_film(project_id: str, formats: Any = "webm", version: str = "", encoder: str = "") -> dict[str, Any]:
        """A render's film (default: the latest) in other formats: mp4, mp4-h265, webm, mov (ProRes 422), gif,
        webp, wav, mp3, stems (a zip of dialogue, music and effects WAVs); one name or a list. Only the encodes
        run; each export is kept with the render. `encoder`: auto, software or nvenc (default: the setting)."""
        return studio.export_film(project_id, formats, version or "", encoder or "")

    @shown
    def export_timeline(project_id: str, kind: str = "otio", version: str = "") -> dict[str, Any]:
        """A render's editable timeline in a zip with its media: otio (OpenTimelineIO; Resolve, Kdenlive),
        fcpxml (Final Cut Pro) or fcp7 (FCP 7 XML; Premiere, Resolve). {"bundle", "timeline", "clips"}."""
        return studio.export_timeline(project_id, kind or "otio", version or "")

    @shown
    def delivery_formats() -> list[dict[str, Any]]:
        """The export formats: {name, ext, kind (video, audio, stems, preview), label}."""
        return studio.delivery_formats()

    @shown
    def add_look_file(file: Any = None, setting: str = "caption_font") -> dict[str, Any]:
        """Keep an uploaded caption font (.ttf/.otf; setting caption_font), LUT (.cube; grade_lut) or
        watermark image (watermark), checked: returns {"asset": id, "name"}; put the id in that setting."""
        return studio.add_look_file(_file_path(file), setting)

    @shown
    def generate_music(project_id: str) -> dict[str, Any]:
        """Make the project's score with its music settings (model, genre, tempo, key; a piece per run of
        scenes of one mood, crossfaded); returns {"audio", "cached", "model", "tempo", "key", "segments"}."""
        return studio.generate_music(project_id)

    @shown
    def list_projects() -> list[dict[str, Any]]:
        """Projects, newest first: id, title, scenes, updated, status, video, job."""
        return studio.list_projects()

    @shown
    def get_project(project_id: str) -> dict[str, Any]:
        """The whole project: script, settings, scenes, characters, outputs, video, subtitles."""
        return studio.get_project(project_id)

    @shown
    def save_project(project: dict[str, Any]) -> dict[str, Any]:
        """Save an edited project (as returned by /get_project); returns it as stored."""
        return studio.save_project(project)

    @shown
    def delete_project(project_id: str) -> dict[str, Any]:
        """Delete a project; returns {"deleted": project_id}."""
        studio.delete_project(project_id)
        return {"deleted": project_id}

    @shown
    def list_jobs(project_id: str = "", limit: int = 50) -> list[dict[str, Any]]:
        """Recent jobs, newest first, of one project or of all."""
        return studio.list_jobs(project_id or None, int(limit))

    @shown
    def get_job(job_id: str) -> dict[str, Any]:
        """A job: status, stage, progress, timings, error, steps (with cached flags), video/subtitles when done."""
        return studio.get_job(job_id)

    @shown
    def cancel_job(job_id: str) -> dict[str, Any]:
        """Ask a job to stop at its next step; returns the job (status turns 'cancelled' when it stops)."""
        return studio.cancel_job(job_id)

    @shown
    def list_models(kind: str = "") -> list[dict[str, Any]]:
        """Models the studio knows (kind: llm, image, animation, voice, music, lipsync; "" = all): record,
        status (ready, or planned: no runtime yet), runs, default/active, downloaded, compatibility with this
        machine ({status: ok|offload|cpu|too_large, reason})."""
        return operations.list_rows(registry_for(studio.store), kind or "")

    @shown
    def download_model(model_id: str) -> dict[str, Any]:
        """Download a model's files (and those of the models it requires) into the HF cache (resumable; nothing
        to do for built-in ones; a planned model is refused); returns the model with its folder."""
        return operations.download(registry_for(studio.store), model_id)

    @shown
    def activate_model(model_id: str) -> dict[str, Any]:
        """Make a model the active one of its kind (a planned one is refused); returns the model and `effect`,
        what that changes."""
        return operations.activate(registry_for(studio.store), model_id)

    @shown
    def remove_model(model_id: str) -> dict[str, Any]:
        """Delete a model's downloaded files; returns {"id", "freed": bytes, "forgotten", "note"}."""
        return operations.remove(registry_for(studio.store), model_id)

    @shown
    def model_versions(model_id: str) -> dict[str, Any]:
        """A hub model's revision in use, its downloaded revisions and (online) the hub's branches, tags, commits."""
        return operations.model_versions(registry_for(studio.store), model_id)

    @shown
    def use_model_revision(ref: str, project_id: str = "") -> dict[str, Any]:
        """Render with a downloaded revision ("ID@REV"): the data folder's default, or one project's."""
        return operations.use_revision(registry_for(studio.store), ref, project_id=project_id or "")

    @shown
    def verify_model(model_id: str) -> dict[str, Any]:
        """Re-check a downloaded model's files against their published hashes: {ok, files, changed, unchecked}."""
        return operations.verify(registry_for(studio.store), model_id)

    @shown
    def bench_model(model_id: str) -> dict[str, Any]:
        """Measure a downloaded model here: load from disk and from the CPU tier, one unit of work, peak memory
        (kept with the record; `list_models` shows it). It waits for the GPU like a render."""
        return operations.bench(registry_for(studio.store), model_id)

    @shown
    def storage_info() -> dict[str, Any]:
        """Bytes per model and per kind, free disk, cache folder, device, and the model cache's stats."""
        return operations.storage(registry_for(studio.store))

    for fn in (parse_script, create_project, list_projects, get_project, save_project, delete_project,
               list_jobs, get_job, cancel_job, list_models, download_model, activate_model, remove_model,
               model_versions, use_model_revision, verify_model, bench_model, storage_info, update_character, get_cast, keep_scene_image, preview_look, update_scene, add_scene,
               delete_scene, duplicate_scene, move_scene, split_scene, merge_scenes, list_versions, get_version,
               name_version, compare_versions, restore_version, delete_version):
        gr.api(fn, api_name=fn.__name__)
    # Endpoints that take a file: hidden components, so that clients upload it (gradio_client's handle_file)
    with gr.Row(visible=False):
        project, name, character, text = (gr.Textbox() for _ in range(4))
        image, sample, sound = uploaded_file("image"), uploaded_file("voice sample"), uploaded_file("sound")
        voice = gr.JSON()
        answer = gr.JSON()
        number, at, bed = gr.Number(precision=0), gr.Number(value=0.5), gr.Checkbox()
        look_file, setting = uploaded_file("file"), gr.Textbox()
        reference_button, voice_button, synth_button, sound_button, file_button = (gr.Button() for _ in range(5))
    reference_button.click(set_character_reference, [project, name, image], answer, api_name="set_character_reference")
    file_button.click(add_look_file, [look_file, setting], answer, api_name="add_look_file")
    sound_button.click(add_scene_sound, [project, number, sound, at, bed], answer, api_name="add_scene_sound")
    voice_button.click(set_voice, [project, character, voice, sample], answer, api_name="set_voice")
    synth_button.click(synthesize_voice, [text, voice, project, character, sample], answer,
                       api_name="synthesize_voice", **shared.gpu_events)
    gr.api(render_scene, api_name="render_scene", **shared.gpu_events)
    gr.api(generate_image, api_name="generate_image", **shared.gpu_events)
    gr.api(generate_music, api_name="generate_music", **shared.gpu_events)
    gr.api(export_film, api_name="export_film", **shared.gpu_events)
    gr.api(export_timeline, api_name="export_timeline", **shared.gpu_events)
    gr.api(delivery_formats, api_name="delivery_formats")


class _AnyValue(GradioRootModel):
    root: Any = None


def uploaded_file(label: str) -> gr.File:
    """A file input of the API: an upload (gradio_client's handle_file) or nothing. Anything else (a
    path on the server, a dict that is not a FileData) gets one line naming the fix, where Gradio's
    own check fails with an empty error and a traceback in the server's log. An upload has been
    checked by Gradio (in its upload folder) before it gets here. A gr.File changed on the instance:
    a subclass would make Gradio write an api.pyi beside this module."""
    component = gr.File(type="filepath", label=label)
    schema = component.data_model.model_json_schema()  # clients still see a file parameter
    schema["additional_description"] = schema.pop("description", None)
    as_file = component.preprocess

    def preprocess(payload: Any) -> str | None:
        value = payload.root if isinstance(payload, GradioRootModel) else payload
        if value is None or value == "":
            return None
        if not is_file_obj_with_meta(value):
            raise gr.Error(f"The {label} was never uploaded: send the file itself (gradio_client's "
                           "handle_file(path)), not a path on the server.", print_exception=False)
        return as_file(FileData(**value))

    component.data_model = _AnyValue  # validated in preprocess, with a message
    component.preprocess = preprocess  # type: ignore[method-assign]
    component.api_info = lambda: schema  # type: ignore[method-assign]
    return component


def _file_path(value: Any) -> str | None:
    """A path from what a client sent for a file: a FileData dict (gradio_client's handle_file) or a path."""
    if isinstance(value, dict):
        value = value.get("path")
    return value or None
