"""A scene's finish previewed on one still, as the film will show it: the scene's picture at the
project's frame size, its colour grade, and its caption style over its first spoken line (with the
second word lit, for karaoke and words-at-a-time). Made with the assembler's own ASS writer and
grade filter, in one ffmpeg call, in a fraction of a second; no render needed.

    png = preview_look(store, project, scene, out_png, still=path, captions="karaoke")
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from . import media
from .domain import Cue, Project, Scene
from .errors import VidgenError
from .finishing import finish_of, scene_captions
from .resolve import spoken_lines
from .services.assembly.caption_style import CaptionStyle, caption_pages, write_ass_parts
from .services.assembly.caption_words import cue_words
from .services.assembly.grade import GRADES, grade_filter, stage_lut
from .store import Store

SAMPLE_TEXT = "Your captions appear here, as the film shows them."
LINE_SECONDS = 4.0  # the sample cue's length: words estimated over it
MAX_PREVIEW_WORDS = 40  # a long first line is cut (a caption shows its first page anyway)


def _moment(cue: Cue, style: CaptionStyle, size: tuple[int, int]) -> float:
    """When to look: the first page, with its second word lit where the style lights words."""
    words = cue_words([cue])
    page = caption_pages([cue], None if style.mode == "lines" else words, style, size)[0]
    if style.mode != "lines" and len(page.words) > 1:
        return page.words[1].start + 0.02
    return (page.start + page.end) / 2


def preview_look(store: Store, project: Project, scene: Scene, out_png: str | Path, *, still: str | None = None,
                 captions: str | None = None, grade: str | None = None, tmp_dir: str | Path | None = None) -> Path:
    """Write the preview PNG; `captions` and `grade` are the values being edited (None: the scene's
    saved ones). `still`: the scene's picture (None: a neutral grey frame)."""
    s = project.settings
    preset = scene.captions if captions is None else captions
    look = scene.grade if grade is None else grade
    if preset not in ("", "none") and preset != s.caption_style:
        scene_captions(store, s, preset)  # a bad preset is one line, before any work
    if look and look not in GRADES:
        raise VidgenError(f"Unknown grade {look!r}: use one of {', '.join(GRADES)}.")
    finish = finish_of(store, s)
    style = scene_captions(store, s, preset) or finish.captions
    w, h = s.size
    line = next((ln.text for ln in spoken_lines(scene)), "") or SAMPLE_TEXT
    line = " ".join(line.split()[:MAX_PREVIEW_WORDS])
    cue = Cue(0.0, LINE_SECONDS, line)
    out = Path(out_png)
    with tempfile.TemporaryDirectory(prefix="vidgen-look-", dir=tmp_dir) as tmp:
        wd = Path(tmp)
        source = ["-f", "lavfi", "-i", f"color=c=0x606870:s={w}x{h}:r=25"] if not still else [
            "-loop", "1", "-framerate", "25", "-i", str(Path(still).resolve())]
        chain = [f"scale={w}:{h}:force_original_aspect_ratio=increase", f"crop={w}:{h}", "setsar=1", "format=yuv420p"]
        fragment = grade_filter(look or finish.grade, stage_lut(finish.lut, wd) if finish.lut else None,
                                finish.grade_strength)
        if fragment:
            chain.append(fragment)
        at = 0.0
        if s.subtitles and preset != "none":
            write_ass_parts([([cue], None if style.mode == "lines" else cue_words([cue]), style)], (w, h),
                            wd / "asm-subs.ass", fonts_dir=wd / "asm-fonts")
            chain.append("ass=asm-subs.ass:fontsdir=asm-fonts")
            at = _moment(cue, style, (w, h))
        media.run_ffmpeg([*source, "-vf", ",".join(chain), "-ss", f"{at:.3f}", "-frames:v", "1", "-update", "1",
                          "-y", str(wd / "look.png")], cwd=wd, what="the look preview")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes((wd / "look.png").read_bytes())
    return out


__all__ = ["preview_look", "SAMPLE_TEXT"]
