"""Storyboard tab: a card per scene; edit one, regenerate just that scene, or give it your own image."""

from __future__ import annotations

import time
from typing import Any

import gradio as gr

from ..domain import MOODS, MOTIONS, TRANSITIONS
from .api import uploaded_file
from .boundary import shown
from .finish_fields import FinishFields, sound_files_to_text, with_assets
from . import timeline_strip
from .scene_tools import SceneTools
from .plan_fields import PlanFields
from .common import Shared, lines_to_text, text_to_lines

AUTO = "auto"  # the dropdown choice for "" (automatic / the project's default)
PROJECT_MODEL = "The project's image model"


def _choice(value: str) -> str:
    return value or AUTO


def _value(choice: str | None) -> str:
    return "" if choice in (None, AUTO) else choice


def _label(scene: dict[str, Any]) -> str:
    return f"{scene['number']}. {scene['heading']}"[:80]


NO_LIPSYNC = "No lip sync"


def faces_to_text(faces: dict[str, int]) -> str:
    return ", ".join(f"{name}={face}" for name, face in faces.items())


def text_to_faces(text: str) -> dict[str, Any]:
    """"ANA=0, BO=1" -> {"ANA": 0, "BO": 1}; a part that is not NAME=NUMBER is passed on as written, so the
    studio's check names it."""
    out: dict[str, Any] = {}
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        name, _, face = part.partition("=")
        face = face.strip()
        out[name.strip()] = int(face) if face.lstrip("-").isdigit() else face
    return out


def _card(scene: dict[str, Any]) -> str:
    """A card's caption: the scene and what its picture shows (its plan), in a few words."""
    plan = scene.get("plan") or {}
    said = [plan.get("place", ""), scene.get("time_of_day", ""), scene.get("weather", ""), plan.get("season", "")]
    said += list(plan.get("props") or [])[:4]
    people = len(plan.get("figures") or [])
    if people:
        said.append(f"{people} figure{'s' if people > 1 else ''}")
    words = " · ".join(w for w in said if w)
    return f"{_label(scene)}" + (f" — {words}" if words else "")


def build(shared: Shared) -> None:
    studio = shared.studio
    previews = gr.State({})  # "project:number" -> {"image", "clip"} made by "Regenerate scene" in this session
    strip = timeline_strip.build()
    gallery = gr.Gallery(label="Scenes", columns=4, height=320, allow_preview=False, interactive=False,
                         object_fit="contain", elem_id="storyboard-gallery")
    scene = gr.Dropdown([], label="Scene", interactive=True, allow_custom_value=True, elem_id="storyboard-scene")
    with gr.Row():
        with gr.Column(scale=2):
            image = gr.Image(label="Image", type="filepath", interactive=False, elem_id="storyboard-image")
            clip = gr.Video(label="Clip preview", interactive=False, elem_id="storyboard-clip")
        with gr.Column(scale=3):
            heading = gr.Textbox(label="Heading", elem_id="storyboard-heading")
            visual = gr.Textbox(label="Visual description (what the picture shows)", lines=3,
                                elem_id="storyboard-visual")
            lines = gr.Textbox(label="Narration and dialogue (one line each; NAME: text for dialogue)", lines=5,
                               elem_id="storyboard-lines")
            with gr.Row():
                duration = gr.Number(label="Duration (s, from the words)", interactive=False,
                                     elem_id="storyboard-duration")
                min_duration = gr.Number(label="Lasts at least (s; 0 = as long as its words)", minimum=0,
                                         maximum=3600, value=0, elem_id="storyboard-min-duration")
                mood = gr.Dropdown(list(MOODS), label="Mood", elem_id="storyboard-mood")
                motion = gr.Dropdown([AUTO, *MOTIONS], value=AUTO, label="Camera motion", elem_id="storyboard-motion")
                transition = gr.Dropdown([AUTO, *TRANSITIONS], value=AUTO, label="Transition into the scene",
                                         elem_id="storyboard-transition")
            with gr.Row():
                image_model = gr.Dropdown([(PROJECT_MODEL, AUTO)], value=AUTO, label="Image model",
                                          elem_id="storyboard-image-model")
                strength = gr.Slider(0.0, 1.0, value=0.0, step=0.05, elem_id="storyboard-image-strength",
                                     label="Change your image (AI models: 0 = use it as it is)")
                animation_model = gr.Dropdown([(PROJECT_MODEL, AUTO)], value=AUTO, label="Animation model",
                                              elem_id="storyboard-animation-model")
            with gr.Row():
                lipsync_model = gr.Dropdown([(PROJECT_MODEL, AUTO)], value=AUTO, label="Lip sync",
                                            elem_id="storyboard-lipsync-model")
                speaker_faces = gr.Textbox(label="Speaker faces (NAME=face, 0 = the leftmost; empty: automatic)",
                                           placeholder="ANA=0, BO=1", elem_id="storyboard-speaker-faces")
            with gr.Row():
                save = gr.Button("Save scene", elem_id="storyboard-save")
                generate = gr.Button("Generate image", elem_id="storyboard-generate")
                regenerate = gr.Button("Regenerate scene", variant="primary", elem_id="storyboard-regenerate")
                upload = gr.UploadButton("Upload image for scene", file_types=["image"], type="filepath",
                                         elem_id="storyboard-upload")
                upload_clip = gr.UploadButton("Upload a video clip", file_types=["video"], type="filepath",
                                              elem_id="storyboard-upload-clip")
                painted = gr.Button("Use the painted image", elem_id="storyboard-painted")
                keep = gr.Button("Refine this picture", elem_id="storyboard-keep")
            plan = PlanFields()
            look = FinishFields()
            tools = SceneTools()
            result = gr.Markdown(elem_id="storyboard-result")

    editor = [heading, visual, lines, duration, min_duration, mood, motion, transition, image_model, strength,
              animation_model, lipsync_model, speaker_faces, *plan.components, *look.components]

    def model_choices(kind: str = "image") -> list[tuple[str, str]]:
        extra = [(NO_LIPSYNC, "none")] if kind == "lipsync" else []
        return [(PROJECT_MODEL, AUTO)] + extra + [(f"{m['name']} [{m['id']}]", m["id"])
                                                  for m in studio.model_choices(kind)]

    def user_image(scene: dict[str, Any]) -> str | None:
        return str(studio.store.asset_path(scene["image"])) if scene.get("image") else None

    def cards(project: dict[str, Any], made: dict[str, Any]) -> list[tuple[str, str]]:
        cached = {m["number"]: m for m in studio.scene_media(project["id"])}
        out = []
        for s in project["scenes"]:
            path = ((made.get(f"{project['id']}:{s['number']}") or {}).get("image")
                    or cached.get(s["number"], {}).get("image") or user_image(s))
            if path:
                out.append((path, _card(s)))
        return out

    def timeline(project_id: str) -> str:
        t = studio.timeline(project_id)
        return timeline_strip.strip_html(t["blocks"], t["music"])

    @shown
    def load(project_id: str, made: dict[str, Any]) -> tuple[Any, ...]:
        if not project_id:
            return "", [], gr.Dropdown(choices=[], value=None)
        p = studio.get_project(project_id)
        choices = [(_label(s), s["number"]) for s in p["scenes"]]
        first = choices[0][1] if choices else None
        return timeline(project_id), cards(p, made), gr.Dropdown(choices=choices, value=first)

    @shown
    def pick(project_id: str, number: int | None, made: dict[str, Any]) -> tuple[Any, ...]:
        if not project_id or number is None:
            return (None, None, "", "", "", None, 0, None, AUTO, AUTO, gr.Dropdown(choices=model_choices(), value=AUTO),
                    0.0, gr.Dropdown(choices=model_choices("animation"), value=AUTO),
                    gr.Dropdown(choices=model_choices("lipsync"), value=AUTO), "", *plan.values(None),
                    *look.values(None), "")
        p = studio.get_project(project_id)
        s = next(x for x in p["scenes"] if x["number"] == int(number))
        m = made.get(f"{project_id}:{s['number']}") or next(
            (c for c in studio.scene_media(project_id) if c["number"] == s["number"]), {})
        return (m.get("image") or user_image(s), m.get("clip") or None, s["heading"], s.get("visual", ""),
                lines_to_text(s.get("lines") or []), s.get("duration"), s.get("min_duration") or 0,
                s.get("mood") or None,
                _choice(s.get("motion", "")), _choice(s.get("transition", "")),
                gr.Dropdown(choices=model_choices(), value=_choice(s.get("image_model", ""))),
                float(s.get("image_strength") or 0.0),
                gr.Dropdown(choices=model_choices("animation"), value=_choice(s.get("animation_model", ""))),
                gr.Dropdown(choices=model_choices("lipsync"), value=_choice(s.get("lipsync_model", ""))),
                faces_to_text(s.get("speaker_faces") or {}), *plan.values(s), *look.values(s), "")

    def changes(heading: str, visual: str, text: str, _duration: Any, at_least: float | None, mood: str | None,
                motion: str,
                transition: str, model: str | None = AUTO, strength: float | None = 0.0,
                animation: str | None = AUTO, lipsync: str | None = AUTO, faces: str | None = "",
                *shown: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"heading": heading, "visual": visual, "lines": text_to_lines(text),
                               "min_duration": float(at_least or 0.0),
                               "motion": _value(motion), "transition": _value(transition),
                               "image_model": _value(model), "image_strength": float(strength or 0.0),
                               "animation_model": _value(animation), "lipsync_model": _value(lipsync),
                               "speaker_faces": text_to_faces(faces or "")}
        n = len(plan.components)
        if len(shown) >= n:
            out.update(plan.changes(*shown[:n]))
        if len(shown) == n + len(look.components):
            out.update(look.changes(*shown[n:]))
        if mood:
            out["mood"] = mood
        return out

    def save_changes(project_id: str, n: int, fields: tuple[Any, ...]) -> dict[str, Any]:
        c = changes(*fields)
        if "sound_files" in c:  # the text names the files; the scene holds their assets
            stored = next(x for x in studio.get_project(project_id)["scenes"] if x["number"] == n)
            c["sound_files"] = with_assets(c["sound_files"], stored.get("sound_files") or [], n)
        return studio.update_scene(project_id, n, c)

    @shown
    def preview_look(project_id: str, number: Any, captions: str | None, grade: str | None) -> Any:
        return studio.preview_look(project_id, need(project_id, number), captions or "", grade or "")["image"]

    @shown
    def add_sound(project_id: str, number: Any, path: str | None) -> tuple[Any, str]:
        n = need(project_id, number)
        if not path:
            return gr.skip(), ""
        p = studio.add_scene_sound(project_id, n, path)
        s = next(x for x in p["scenes"] if x["number"] == n)
        return (sound_files_to_text(s.get("sound_files") or []),
                f"Scene {n}: {s['sound_files'][-1]['name']} added; set its time (or 'bed') and save the scene.")

    def need(project_id: str, number: Any) -> int:
        if not project_id or number is None:
            raise gr.Error("Open a project and pick a scene first (Script tab: Parse, or Projects tab: Open).")
        try:
            return int(number)
        except (TypeError, ValueError):
            raise gr.Error(f"A scene number is a whole number, not {number!r}.") from None

    @shown
    def save_scene(project_id: str, number: Any, *fields: Any) -> str:
        n = need(project_id, number)
        save_changes(project_id, n, fields)
        return f"Scene {n} saved."

    @shown
    def regenerate_scene(project_id: str, number: Any, made: dict[str, Any], *fields: Any) -> tuple[Any, ...]:
        n = need(project_id, number)
        save_changes(project_id, n, fields)
        t0 = time.monotonic()
        r = studio.render_scene(project_id, n)
        seconds = time.monotonic() - t0
        cached = r.get("cached") or {}
        ran = [k for k, v in cached.items() if not v]
        reused = [k for k, v in cached.items() if v]
        note = f"Scene {n} ready in {seconds:.1f} s (job `{r.get('job', '')}`). "
        note += f"Ran: {', '.join(ran) or 'nothing (all cached)'}; from the cache: {', '.join(reused) or 'none'}."
        made = {**made, f"{project_id}:{n}": {"image": r.get("image"), "clip": r.get("clip")}}
        p = studio.get_project(project_id)
        return r.get("image"), r.get("clip"), note, made, cards(p, made)

    @shown
    def generate_scene_image(project_id: str, number: Any, made: dict[str, Any], *fields: Any) -> tuple[Any, ...]:
        n = need(project_id, number)
        save_changes(project_id, n, fields)
        t0 = time.monotonic()
        r = studio.generate_image(project_id, n)
        note = (f"Scene {n}: image by `{r['model']}` {'from the cache' if r['cached'] else 'generated'} "
                f"in {time.monotonic() - t0:.1f} s (job `{r.get('job', '')}`).")
        made = {**made, f"{project_id}:{n}": {"image": r["image"], "clip": None}}
        return r["image"], note, made, cards(studio.get_project(project_id), made)

    @shown
    def use_image(project_id: str, number: Any, path: str | None) -> tuple[Any, str]:
        """Use your own picture for a scene (checked by decoding it); returns its stored path and a note."""
        n = need(project_id, number)
        p = studio.set_scene_image(project_id, n, path)
        s = next(x for x in p["scenes"] if x["number"] == n)
        what = "your image" if path else "the painted image"
        return user_image(s), f"Scene {n} now uses {what}: press Regenerate scene to see it move."

    @shown
    def use_clip(project_id: str, number: Any, path: str | None) -> tuple[Any, str]:
        """Use your own video clip as the scene's moving picture (None: back to the picture and camera)."""
        n = need(project_id, number)
        studio.set_scene_clip(project_id, n, path)
        return None, (f"Scene {n} now plays your clip (looped or cut to its length): press Regenerate scene."
                      if path else f"Scene {n} is a picture with a camera move again.")

    @shown
    def keep_picture(project_id: str, number: Any, strength: float) -> tuple[Any, str]:
        """The current picture becomes the scene's own; Generate image then changes it by `strength`."""
        n = need(project_id, number)
        amount = float(strength or 0.0) or 0.35  # a gentle default when the slider is at "as it is"
        p = studio.keep_scene_image(project_id, n, amount)
        s = next(x for x in p["scenes"] if x["number"] == n)
        return amount, (f"Scene {n} keeps this picture; Generate image changes it by {amount:.2f} "
                        f"(image-to-image) — or set 0 to use it as it is.") if s["image"] else ""

    shared.current.change(load, [shared.current, previews], [strip, gallery, scene], api_visibility="private")

    @shown
    def after_render(project_id: str, number: Any, made: dict[str, Any]) -> tuple[Any, ...]:
        """A render made the pictures: show them without reopening the project, the picked scene kept."""
        if not project_id:
            return gr.skip(), gr.skip(), gr.skip()
        p = studio.get_project(project_id)
        numbers = [s["number"] for s in p["scenes"]]
        keep = number if number in numbers else (numbers[0] if numbers else None)
        return (timeline(project_id), cards(p, made),
                gr.Dropdown(choices=[(_label(s), s["number"]) for s in p["scenes"]], value=keep))

    shared.rendered.change(after_render, [shared.current, scene, previews], [strip, gallery, scene],
                           api_visibility="private")

    def open_block(evt: gr.EventData) -> Any:
        number = getattr(evt, "scene", None)
        return int(number) if isinstance(number, (int, float)) else gr.skip()

    strip.click(open_block, None, scene, api_visibility="private")
    scene.change(pick, [shared.current, scene, previews], [image, clip, *editor, result], api_visibility="private")

    def select_card(project_id: str, evt: gr.SelectData) -> Any:
        if not project_id or evt.index is None:
            return gr.skip()
        caption = (evt.value or {}).get("caption") or ""
        number = caption.split(".", 1)[0]
        return int(number) if number.isdigit() else gr.skip()

    def shown_again(project_id: str, number: int | None) -> tuple[Any, ...]:
        """After a scene operation: the cards, the scene list with `number` picked, its editor; the
        session's previews are dropped (their numbers moved)."""
        p = studio.get_project(project_id)
        choices = [(_label(s), s["number"]) for s in p["scenes"]]
        return (timeline(project_id), cards(p, {}), gr.Dropdown(choices=choices, value=number), {},
                *pick(project_id, number, {})[:-1])

    tools.wire(studio, shared.current, scene, [strip, gallery, scene, previews, image, clip, *editor, result],
               shown_again)
    gallery.select(select_card, shared.current, scene, api_visibility="private")
    save.click(save_scene, [shared.current, scene, *editor], result, api_visibility="private")
    regenerate.click(regenerate_scene, [shared.current, scene, previews, *editor],
                     [image, clip, result, previews, gallery], api_visibility="private", **shared.gpu_events)
    generate.click(generate_scene_image, [shared.current, scene, previews, *editor],
                   [image, result, previews, gallery], api_visibility="private", **shared.gpu_events)
    upload.upload(use_image, [shared.current, scene, upload], [image, result], api_visibility="private")
    with gr.Row(visible=False):  # the API's way in: an upload (handle_file), never a path on the server
        sent, send = uploaded_file("scene image"), gr.Button()
    send.click(use_image, [shared.current, scene, sent], [image, result], api_name="set_scene_image")
    upload_clip.upload(use_clip, [shared.current, scene, upload_clip], [clip, result], api_visibility="private")
    with gr.Row(visible=False):
        sent_clip, send_clip = uploaded_file("scene clip"), gr.Button()
    send_clip.click(use_clip, [shared.current, scene, sent_clip], [clip, result], api_name="set_scene_clip")
    painted.click(lambda pid, n: use_image(pid, n, None), [shared.current, scene], [image, result],
                  api_visibility="private")
    keep.click(keep_picture, [shared.current, scene, strength], [strength, result], api_visibility="private")
    scene.change(lambda: None, None, look.still, api_visibility="private")  # a preview is of its scene
    look.preview.click(preview_look, [shared.current, scene, look.captions, look.grade], look.still,
                       api_visibility="private")
    look.add_sound.upload(add_sound, [shared.current, scene, look.add_sound], [look.sound_files, result],
                          api_visibility="private")
