"""The render settings' finishing layer as the assembler takes it (services/assembly/finish.py):
the caption style with the project's overrides, the grade with its LUT file, the effects level,
the title and end cards, lower thirds and the watermark."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from .errors import VidgenError
from .services.assembly import Finish
from .services.assembly.caption_style import CaptionStyle, caption_style
from .services.assembly.grade import check_lut
from .services.assembly.overlay_text import CARD_STYLE, check_colour
from .services.assembly.overlays import EndCard, TitleCard
from .services.assembly.watermark import Watermark
from .store import Store


def user_file(store: Store, value: str, what: str) -> str:
    """The file of a setting that names one: an asset id (the CLI stores a file it is given as an
    asset first, the studio an upload); never a path on the server."""
    if not value:
        return ""
    try:
        return str(store.asset_path(value))
    except VidgenError:
        raise VidgenError(f"The {what} {value[:40]!r} is not a file of this project: upload it "
                          "(the CLI takes a file and stores it).") from None


def scene_captions(store: Store, s: Any, preset: str) -> CaptionStyle | None:
    """A scene's own caption style: its preset with the project's overrides (font, size, colours,
    position); None for "" (the film's) and "none" (no captions: SceneMedia.burn_captions)."""
    if preset in ("", "none") or preset == s.caption_style:
        return None
    return caption_style(preset, **_overrides(store, s))


def _overrides(store: Store, s: Any) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if s.caption_position:
        overrides["position"] = s.caption_position
    if s.caption_size is not None:
        overrides["size"] = s.caption_size
    if s.caption_color:
        overrides["primary"] = s.caption_color
    if s.caption_highlight:
        overrides["highlight"] = s.caption_highlight
    if s.caption_font:
        overrides["font"] = user_file(store, s.caption_font, "caption font")
    return overrides


def finish_of(store: Store, s: Any) -> Finish:
    """`Finish` from RenderSettings `s`, checked (a bad colour, font or LUT is one line)."""
    lut = user_file(store, s.grade_lut, "LUT")
    if lut:
        check_lut(lut)
    mark = None
    if s.watermark or s.watermark_text:
        if s.watermark and s.watermark_text:
            raise VidgenError("Give a watermark image or a watermark text, not both.")
        mark = Watermark(image=user_file(store, s.watermark, "watermark image") or None, text=s.watermark_text or None,
                         corner=s.watermark_corner, opacity=s.watermark_opacity, scale=s.watermark_scale)
    check_colour("Title and end cards", "card_color", s.card_color, alpha=False)  # checked with or without cards
    check_colour("Title and end cards", "card_background", s.card_background, alpha=False)
    card = replace(CARD_STYLE, colour=s.card_color)
    return Finish(caption_style(s.caption_style, **_overrides(store, s)), s.grade, lut, s.grade_strength, s.effects_volume,
                  title=TitleCard(s.title_text, s.title_seconds, card, s.card_background) if s.title_text.strip() else None,
                  end=EndCard(s.end_text, s.end_seconds, card, s.card_background) if s.end_text.strip() else None,
                  lower_thirds=s.lower_thirds, watermark=mark)


def file_digest(path: str) -> str:
    """The SHA-256 of a file the film depends on (a LUT, a font): a new file is a new film."""
    if not path:
        return ""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


__all__ = ["finish_of", "file_digest", "scene_captions", "user_file"]
