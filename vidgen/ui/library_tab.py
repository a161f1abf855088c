"""Library tab: the user's own files (images, clips, audio, fonts, LUTs, LoRAs), searched by name, tag
and kind; one file's preview, tags and uses, reused in the current project or deleted (confirmed).
Also the library's API endpoints (/upload_asset, /list_assets, /get_asset, /tag_asset, /delete_asset)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..library_files import KINDS
from ..library_studio import ROLES
from .api import uploaded_file
from .boundary import shown
from .common import Shared

PAGE = 24  # results per page in the tab (the API takes any limit up to 500)
HEADERS = ["name", "kind", "size", "tags", "used by", "id"]
ROLE_LABELS = {"scene_image": "Scene picture", "scene_clip": "Scene clip (moving picture)", "scene_sound": "Scene sound",
               "music": "Music",
               "reference": "Character's reference picture", "voice_sample": "Voice sample (empty: narrator)",
               "caption_font": "Caption font", "grade_lut": "LUT", "watermark": "Watermark", "lora": "LoRA"}


def size_text(size: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return ""


def rows(assets: list[dict[str, Any]]) -> list[list[Any]]:
    return [[a["name"], a["kind"], size_text(a["size"]), ", ".join(a["tags"]), "; ".join(a["used_by"]) or "—",
             a["id"][:12]] for a in assets]


def describe(a: dict[str, Any]) -> str:
    """The detail panel's text for one asset (get_asset's answer)."""
    facts = a.get("facts") or {}
    shape = f"{a['width']}×{a['height']} px" if a.get("width") else ""
    length = f"{a['duration']:.1f} s" if a.get("duration") else ""
    extra = ", ".join(str(facts[k]) for k in ("family", "problem") if facts.get(k))
    if facts.get("points"):
        extra = f"{facts['points']}-point cube"
    if facts.get("tensors"):
        extra = f"{facts['tensors']} tensors"
    said = " · ".join(x for x in (a["kind"] or "file", size_text(a["size"]), shape, length, extra) if x)
    uses = "\n".join(f"- {u['words']}" for u in a.get("uses", [])) or "- not used by any project"
    return f"**{a['name']}** ({a['id'][:12]})\n\n{said}\n\nTags: {', '.join(a['tags']) or 'none'}\n\nUsed by:\n{uses}"


def build(shared: Shared, tab: Any = None) -> None:
    """The tab's components and events; `tab` (its gr.Tab) refreshes the results when opened."""
    studio = shared.studio
    build_api(shared)
    gr.Markdown("Your own files, kept once and checked by decoding: reuse them in any project. A file a project "
                "uses cannot be deleted until it is replaced there.")
    with gr.Row():
        upload = gr.File(label="Add a file", type="filepath", elem_id="library-upload")
        with gr.Column():
            kind = gr.Dropdown([("Tell from the file", ""), *((k, k) for k in KINDS)], value="", label="Kind",
                               elem_id="library-kind")
            tags = gr.Textbox(label="Tags (separated by commas)", elem_id="library-tags")
            name = gr.Textbox(label="Name (empty: the file's)", elem_id="library-name")
            add = gr.Button("Add to the library", variant="primary", elem_id="library-add")
    with gr.Row():
        query = gr.Textbox(label="Search names", elem_id="library-query")
        kind_filter = gr.Dropdown([("All kinds", ""), *((k, k) for k in KINDS)], value="", label="Kind",
                                  elem_id="library-kind-filter")
        tag_filter = gr.Textbox(label="Tag", elem_id="library-tag-filter")
        page = gr.Number(value=1, precision=0, minimum=1, label="Page", elem_id="library-page")
        search = gr.Button("Search", elem_id="library-search")
    count = gr.Markdown(elem_id="library-count")
    shown_ids, row_ids = gr.State([]), gr.State([])  # the asset ids of the gallery and of the table, in order
    gallery = gr.Gallery(label="Previews", columns=8, fit_columns=False, height=220, allow_preview=False,
                         interactive=False, object_fit="scale-down", elem_id="library-gallery")
    table = gr.Dataframe(headers=HEADERS, label="Files", interactive=False, elem_id="library-table")
    with gr.Row():
        with gr.Column(scale=1):
            preview = gr.Image(label="Preview", type="filepath", interactive=False, elem_id="library-preview")
        with gr.Column(scale=2):
            selected = gr.Textbox(label="Selected asset id", elem_id="library-selected")
            info = gr.Markdown(elem_id="library-info")
            with gr.Row():
                add_tags = gr.Textbox(label="Add tags", elem_id="library-add-tags")
                remove_tags = gr.Textbox(label="Remove tags", elem_id="library-remove-tags")
                save_tags = gr.Button("Save tags", elem_id="library-save-tags")
            with gr.Row():
                role = gr.Dropdown([(ROLE_LABELS[r], r) for r in ROLES], value="scene_image",
                                   label="Use in the current project as", elem_id="library-role")
                target = gr.Textbox(label="Scene number or character", elem_id="library-target")
                use = gr.Button("Use it", elem_id="library-use")
            delete = gr.Button("Delete", variant="stop", elem_id="library-delete")
            with gr.Row(visible=False) as confirm_row:
                question = gr.Markdown(elem_id="library-confirm-question")
                confirm = gr.Button("Yes, delete it", variant="stop", elem_id="library-confirm-delete")
                keep = gr.Button("Keep it", elem_id="library-keep")
            note = gr.Markdown(elem_id="library-note")

    filters = [query, kind_filter, tag_filter, page]
    results = [gallery, shown_ids, table, row_ids, count]

    @shown
    def refresh(text: str, kind_: str, tag_: str, page_: float | None) -> tuple[Any, ...]:
        number = max(1, int(page_ or 1))
        found = studio.list_assets(text or "", kind_ or "", tag_ or "", PAGE, (number - 1) * PAGE)
        pictures = [a for a in found["assets"] if a["preview"]]
        pages = max(1, -(-found["total"] // PAGE))
        said = f"{found['total']} file{'s' if found['total'] != 1 else ''} · page {number} of {pages}"
        return ([(a["preview"], a["name"]) for a in pictures], [a["id"] for a in pictures], rows(found["assets"]),
                [a["id"] for a in found["assets"]], said)

    @shown
    def show(asset_id: str) -> tuple[Any, str]:
        if not asset_id.strip():
            return None, ""
        a = studio.get_asset(asset_id.strip())
        return a["preview"] or None, describe(a)

    @shown
    def add_file(path: str | None, kind_: str, tags_: str, name_: str) -> tuple[Any, ...]:
        if not path:
            raise gr.Error("Choose a file to add first.")
        a = studio.upload_asset(path, kind_ or "", tags_ or "", name_ or "")
        return None, "", a["id"], f"Added **{a['name']}** ({a['kind']})."  # the form is ready for the next

    @shown
    def retag(asset_id: str, more: str, fewer: str) -> tuple[str, str, str]:
        a = studio.tag_asset(need(asset_id), more or "", fewer or "")
        return "", "", f"Tags of **{a['name']}**: {', '.join(a['tags']) or 'none'}."

    @shown
    def use_it(project_id: str, asset_id: str, role_: str, target_: str) -> str:
        if not project_id:
            raise gr.Error("Open a project first (Projects tab), then use the file in it.")
        where = target_.strip()
        p = studio.use_asset(project_id, need(asset_id), role_, int(where) if where.isdigit() else where)
        return f"Used in **{p['title']}** as the {ROLE_LABELS[role_].lower()}."

    @shown
    def ask(asset_id: str) -> tuple[Any, str, str]:
        a = studio.get_asset(need(asset_id))
        if a["uses"]:
            where = "; ".join(u["words"] for u in a["uses"])
            return gr.Row(visible=False), "", f"**{a['name']}** is used by {where}: use another file there first."
        return gr.Row(visible=True), f"Delete **{a['name']}** and its file? This cannot be undone.", ""

    @shown
    def confirm_delete(asset_id: str) -> tuple[Any, str, str]:
        done = studio.delete_asset(need(asset_id))
        return gr.Row(visible=False), "", f"Deleted **{done['name']}**."

    def need(asset_id: str) -> str:
        if not asset_id.strip():
            raise gr.Error("Pick a file in the table or the gallery first.")
        return asset_id.strip()

    def pick(ids: list[str], evt: gr.SelectData) -> str:
        """The asset of the clicked gallery item or table row (a row's index is [row, column])."""
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        return ids[index] if isinstance(index, int) and 0 <= index < len(ids) else ""

    private = {"api_visibility": "private"}
    search.click(refresh, filters, results, **private)
    query.submit(refresh, filters, results, **private)
    (add.click(add_file, [upload, kind, tags, name], [upload, name, selected, note], **private)
     .success(refresh, filters, results, **private))
    table.select(pick, row_ids, selected, **private)
    gallery.select(pick, shown_ids, selected, **private)
    selected.change(show, selected, [preview, info], **private)
    (save_tags.click(retag, [selected, add_tags, remove_tags], [add_tags, remove_tags, note], **private)
     .success(show, selected, [preview, info], **private).success(refresh, filters, results, **private))
    (use.click(use_it, [shared.current, selected, role, target], note, **private)
     .success(show, selected, [preview, info], **private).success(refresh, filters, results, **private))
    delete.click(ask, selected, [confirm_row, question, note], **private)
    keep.click(lambda: (gr.Row(visible=False), "Kept."), None, [confirm_row, note], **private)
    (confirm.click(confirm_delete, selected, [confirm_row, selected, note], **private)
     .success(refresh, filters, results, **private))
    shared.current.change(refresh, filters, results, **private)  # "used by" follows the projects
    if tab is not None:
        tab.select(refresh, filters, results, **private)


def build_api(shared: Shared) -> None:
    """The library's endpoints: JSON ones by gr.api, the upload through a hidden file component."""
    studio = shared.studio

    @shown
    def upload_asset(file: Any = None, kind: str = "", tags: Any = None, name: str = "") -> dict[str, Any]:
        """Add an uploaded file to the library, checked by decoding it as `kind` (image, video, audio, font,
        lut, lora; "" = told from the file), with `tags` (a list, or text separated by commas) and a display
        `name` ("" = the file's). Returns the asset as /get_asset does."""
        if not file:
            raise gr.Error("Upload a file to add to the library (gradio_client's handle_file(path)).",
                           print_exception=False)
        return studio.upload_asset(file, kind or "", tags or [], name or "")

    @shown
    def list_assets(query: str = "", kind: str = "", tag: str = "", limit: int = 50,
                    offset: int = 0) -> dict[str, Any]:
        """Library files, newest first, whose name contains `query` (any case), of `kind`, with `tag`:
        {"total", "offset", "limit", "assets": [{id, name, kind, type, size, tags, width, height, duration,
        preview, file, used_by}]}."""
        return studio.list_assets(query or "", kind or "", tag or "", limit, offset)

    @shown
    def get_asset(asset_id: str) -> dict[str, Any]:
        """One library file: kind, size, tags, facts, preview and file paths, and `uses` (each project, field,
        scene or character that names it, in words too)."""
        return studio.get_asset(asset_id)

    @shown
    def tag_asset(asset_id: str, add: list[str] | None = None, remove: list[str] | None = None) -> dict[str, Any]:
        """Add and remove tags (1-32 letters, digits, - or _; at most 20 per file); a bad tag changes nothing.
        Returns the file's row."""
        return studio.tag_asset(asset_id, add or [], remove or [])

    @shown
    def delete_asset(asset_id: str) -> dict[str, Any]:
        """Delete a library file (and its preview); refused, naming each use, while a project uses it.
        Returns {"deleted": id, "name", "file_removed"}."""
        return studio.delete_asset(asset_id)

    for fn in (list_assets, get_asset, tag_asset, delete_asset):
        gr.api(fn, api_name=fn.__name__)
    with gr.Row(visible=False):
        file, kind, tags, name = uploaded_file("file"), gr.Textbox(), gr.JSON(), gr.Textbox()
        answer, button = gr.JSON(), gr.Button()
    button.click(upload_asset, [file, kind, tags, name], answer, api_name="upload_asset")
