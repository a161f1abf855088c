"""An editable timeline of a generated film (OpenTimelineIO): scene clips and dissolves, a dialogue
track per character, effects, music, captions as markers; written as .otio, FCPXML or FCP 7 XML,
alone or zipped with its media.

Times are whole frames at the film's fps. A dissolve of n frames is an OTIO Transition centred on
the cut: in_offset = n // 2 before it (the incoming clip's head), out_offset = n - n // 2 after it
(the outgoing clip's tail). Clips run cut to cut, so they add up to the film; each one's source
starts at in_offset, so its first frame still lands on scene_starts() and its media ends where
the dissolve does."""

from __future__ import annotations

import re
import tempfile
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote
from xml.etree import ElementTree

from ... import media
from ...domain import Cue, SceneMedia
from ...errors import VidgenError, without_paths
from ..assembly.caption_style import write_srt
from ..assembly.timeline import film_duration, scene_starts

if TYPE_CHECKING:
    import opentimelineio as otio

TIMELINE_KINDS = {"otio": ".otio", "fcpxml": ".fcpxml", "fcp7": ".xml"}
_DISSOLVE = "Cross Dissolve"  # the name Premiere, Resolve and FCP give their default dissolve
MEDIA_FOLDER = "media"  # in a bundle, beside the timeline file


# One audio clip: `dur` frames of `path` from its frame `src`, placed at film frame `at`.
_Piece = NamedTuple("_Piece", [("at", int), ("src", int), ("dur", int), ("path", str), ("name", str),
                               ("meta", dict)])


class _Units:
    """Seconds -> whole frames -> OTIO times at the film's rate."""

    def __init__(self, otio_mod: Any, fps: int):
        self.otio, self.fps = otio_mod, fps

    def frames(self, seconds: float) -> int:
        return int(round(seconds * self.fps))

    def rt(self, frames: int) -> "otio.opentime.RationalTime":
        return self.otio.opentime.RationalTime(frames, self.fps)

    def tr(self, start: int, dur: int) -> "otio.opentime.TimeRange":
        return self.otio.opentime.TimeRange(self.rt(start), self.rt(dur))


def _media_names(scenes: list[SceneMedia], music: str) -> dict[str, str]:
    """Source path -> its unique name in a bundle's media folder (each file once)."""
    names: dict[str, str] = {}

    def add(path: str, name: str) -> None:
        if path and str(Path(path).resolve()) not in names:
            names[str(Path(path).resolve())] = name + (Path(path).suffix.lower() or ".bin")

    for n, scene in enumerate(scenes, 1):
        add(scene.clip, f"clip-{n}")
        add(scene.speech, f"speech-{n}")
        add(scene.effects, f"effects-{n}")
    add(music, "music")
    return names


class _Media:
    """External references to the film's files (each probed once)."""

    def __init__(self, u: _Units, names: dict[str, str], media_dir: str | Path | None):
        self.u, self.names, self.dir = u, names, None if media_dir is None else Path(media_dir)
        self._seconds: dict[str, float] = {}

    def frames(self, path: str) -> int:
        key = str(Path(path).resolve())
        if key not in self._seconds:
            if not Path(path).is_file():
                raise VidgenError(f"{Path(path).name} is missing: render the film again.")
            self._seconds[key] = media.probe(path).duration
        return self.u.frames(self._seconds[key])

    def ref(self, path: str) -> "otio.schema.ExternalReference":
        target = Path(path).resolve()
        if self.dir is not None:  # relocatable: the bundle's name, relative if the folder is
            target = self.dir / self.names[str(target)]
        # A plain path, not a file:// URL: Resolve's .otio import takes no URL (the XML writers make one).
        url = str(target) if target.is_absolute() else target.as_posix()
        # The name is what the editors show and relink offline media by.
        ref = self.u.otio.schema.ExternalReference(target_url=url, available_range=self.u.tr(0, self.frames(path)))
        ref.name = target.name
        return ref


def film_cues(scenes: list[SceneMedia], starts: list[float], captions: list[Cue] | None) -> list[Cue]:
    """The captions on the film's time: as given, else every scene's lines shifted by its start."""
    if captions is not None:
        return list(captions)
    return [Cue(start + c.start, start + c.end, c.text, c.speaker)
            for scene, start in zip(scenes, starts) for c in scene.cues]


def build_timeline(scenes: list[SceneMedia], *, fps: int, size: tuple[int, int], transition_seconds: float,
                   music: str = "", title: str = "film", captions: list[Cue] | None = None,
                   media_dir: str | Path | None = None) -> "otio.schema.Timeline":
    """The film as an OTIO timeline (see the module's docstring for the arithmetic). With
    `media_dir`, media references name files in that folder by their bundle names."""
    import opentimelineio as otio

    if not scenes or fps <= 0:
        raise VidgenError(f"A timeline needs at least one scene and a positive frame rate (got {fps} fps).")
    u = _Units(otio, int(fps))
    refs = _Media(u, _media_names(scenes, music), media_dir)
    starts = scene_starts(scenes, transition_seconds)
    total = u.frames(film_duration(scenes, starts))
    tl = otio.schema.Timeline(name=title, global_start_time=u.rt(0))
    tl.metadata["vidgen"] = {"fps": int(fps), "width": int(size[0]), "height": int(size[1]),
                             "duration": film_duration(scenes, starts)}
    tl.tracks.append(_video_track(u, refs, scenes, starts))
    for speaker, pieces in _dialogue(u, refs, scenes, starts, total).items():
        tl.tracks.extend(_audio_tracks(u, refs, f"Dialogue — {speaker}", pieces))
    effects = [_Piece(u.frames(start), 0, min(refs.frames(s.effects), total - u.frames(start)), s.effects,
                      f"Scene {n} effects", {"scene": n})
               for n, (s, start) in enumerate(zip(scenes, starts), 1) if s.effects]
    tl.tracks.extend(_audio_tracks(u, refs, "Effects", effects))
    tl.tracks.extend(_audio_tracks(u, refs, "Music", _music(refs, music, total)))
    # Captions are the film's, not one clip's: markers on the timeline's stack (FCP 7: sequence markers).
    for c in film_cues(scenes, starts, captions):
        a = u.frames(c.start)
        tl.tracks.markers.append(otio.schema.Marker(
            name=c.text, marked_range=u.tr(a, max(1, u.frames(c.end) - a)), color=otio.schema.MarkerColor.YELLOW,
            metadata={"vidgen": {"speaker": c.speaker or ""}}))
    return tl


def _video_track(u: _Units, refs: _Media, scenes: list[SceneMedia], starts: list[float]) -> Any:
    otio = u.otio
    track = otio.schema.Track(name="Video", kind=otio.schema.TrackKind.Video)
    first = [u.frames(s) for s in starts]
    end = [u.frames(s + scene.duration) for s, scene in zip(starts, scenes)]
    over = [0] + [max(0, end[i - 1] - first[i]) for i in range(1, len(scenes))]  # dissolve frames into i
    cuts = [f + o // 2 for f, o in zip(first, over)] + [end[-1]]
    for i, scene in enumerate(scenes):
        if over[i]:
            track.append(otio.schema.Transition(
                name=_DISSOLVE, transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                in_offset=u.rt(over[i] // 2), out_offset=u.rt(over[i] - over[i] // 2),
                metadata={"vidgen": {"transition": scene.transition}}))
        length = cuts[i + 1] - cuts[i]
        if length <= 0:
            raise VidgenError(f"Scene {i + 1} ({scene.duration:.2f} s) is shorter than its transitions: "
                              "shorten the transitions or lengthen the scene.")
        track.append(otio.schema.Clip(
            name=f"Scene {i + 1}", media_reference=refs.ref(scene.clip),
            source_range=u.tr(cuts[i] - first[i], length),
            metadata={"vidgen": {"scene": i + 1, "transition": scene.transition if over[i] else "cut",
                                 "start": starts[i], "duration": scene.duration}}))
    return track


def _dialogue(u: _Units, refs: _Media, scenes: list[SceneMedia], starts: list[float],
              total: int) -> dict[str, list[_Piece]]:
    """Speaker (first-appearance order) -> each line's span of its scene's speech WAV."""
    out: dict[str, list[_Piece]] = {}
    for n, (scene, start) in enumerate(zip(scenes, starts), 1):
        if not scene.speech:
            continue
        origin = u.frames(start + scene.speech_offset)  # the WAV's first sample on the film
        length = min(refs.frames(scene.speech), total - origin)
        for k, cue in enumerate(scene.cues, 1):
            a = max(0, u.frames(cue.start - scene.speech_offset))
            b = min(length, u.frames(cue.end - scene.speech_offset))
            if b > a:
                speaker = cue.speaker or "Narrator"
                out.setdefault(speaker, []).append(_Piece(
                    origin + a, a, b - a, scene.speech, f"Scene {n} line {k}",
                    {"scene": n, "line": k, "speaker": speaker, "text": cue.text}))
    return out


def _music(refs: _Media, music: str, total: int) -> list[_Piece]:
    """The music from 0 for the film's length, looped as the mix loops it."""
    if not music:
        return []
    length = refs.frames(music) or total
    return [_Piece(at, 0, min(length, total - at), music, "Music" if at == 0 else f"Music (loop {k + 1})",
                   {"loop": k + 1}) for k, at in enumerate(range(0, total, length))]


def _audio_tracks(u: _Units, refs: _Media, name: str, pieces: list[_Piece]) -> list[Any]:
    """The pieces on as few tracks as keep them apart ("Name", "Name 2", ...); none if no pieces."""
    lanes: list[list[_Piece]] = []
    for p in sorted((p for p in pieces if p.dur > 0), key=lambda p: p.at):
        lane = next((la for la in lanes if la[-1].at + la[-1].dur <= p.at), None)
        if lane is None:
            lanes.append([p])
        else:
            lane.append(p)
    otio = u.otio
    tracks = []
    for n, lane in enumerate(lanes):
        track = otio.schema.Track(name=name if n == 0 else f"{name} {n + 1}", kind=otio.schema.TrackKind.Audio)
        pos = 0
        for p in lane:
            if p.at > pos:
                track.append(otio.schema.Gap(source_range=u.tr(0, p.at - pos)))
            track.append(otio.schema.Clip(name=p.name, media_reference=refs.ref(p.path),
                                          source_range=u.tr(p.src, p.dur), metadata={"vidgen": p.meta}))
            pos = p.at + p.dur
        tracks.append(track)
    return tracks


# --- writing -------------------------------------------------------------------------------------

def _check(kind: str, path: Path) -> None:
    if kind not in TIMELINE_KINDS:
        raise VidgenError(f"Unknown timeline kind {kind!r}: use one of {', '.join(TIMELINE_KINDS)}.")
    if not path.parent.is_dir():
        raise VidgenError(f"Cannot write {path.name}: its folder {path.parent.name or path.parent} does not exist.")


def write_timeline(timeline: "otio.schema.Timeline", path: str | Path, kind: str) -> Path:
    """Write `timeline` as `kind` (a key of TIMELINE_KINDS) to `path`, atomically."""
    import opentimelineio as otio

    path = Path(path)
    _check(kind, path)
    try:
        if kind == "fcpxml":
            text = _fcpx_text(timeline)
        else:
            tl, name = (_for_fcp7(timeline), "fcp_xml") if kind == "fcp7" else (timeline, "otio_json")
            text = otio.adapters.write_to_string(tl, adapter_name=name)
    except (otio.exceptions.OTIOError, ValueError, TypeError, KeyError, AttributeError) as e:
        raise VidgenError(f"The {kind} writer refused the timeline: {without_paths(str(e)) or type(e).__name__}") from e
    with media.atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _size(timeline: Any) -> tuple[int, int]:
    return timeline.metadata.get("vidgen", {}).get("width", 0), timeline.metadata.get("vidgen", {}).get("height", 0)


def _at_rate(timeline: Any, rates: tuple[int, ...]) -> Any:
    """A copy at the first of `rates` that is a multiple of the film's (exact: 10 -> 30 fps), else
    at the last, finest one. Positions on each track are rounded at the edits, never summed."""
    import opentimelineio as otio

    tl = timeline.deepcopy()
    old = tl.global_start_time.rate if tl.global_start_time else rates[0]
    rate = next((r for r in rates if r % old == 0), rates[-1])
    if rate == old:
        return tl

    def t(x: Any) -> Any:
        return otio.opentime.RationalTime(round(x.value_rescaled_to(rate)), rate)

    def tr(x: Any) -> Any:
        return otio.opentime.TimeRange(t(x.start_time), t(x.duration))

    for track in tl.tracks:
        pos = otio.opentime.RationalTime(0, old)
        for item in track:
            if isinstance(item, otio.schema.Transition):
                item.in_offset, item.out_offset = t(item.in_offset), t(item.out_offset)
                continue
            end = pos + item.source_range.duration
            item.source_range = otio.opentime.TimeRange(t(item.source_range.start_time), t(end) - t(pos))
            pos = end
            ref = getattr(item, "media_reference", None)
            if getattr(ref, "available_range", None) is not None:
                ref.available_range = tr(ref.available_range)
            for m in item.markers:
                m.marked_range = tr(m.marked_range)
    for m in tl.tracks.markers:
        m.marked_range = tr(m.marked_range)
    tl.global_start_time = t(tl.global_start_time or otio.opentime.RationalTime(0, old))
    return tl


def _as_urls(timeline: Any, localhost: bool) -> None:
    """Media paths as the XML formats want them: percent-encoded file URLs (FCP 7 XML as Premiere
    writes them, file://localhost/...), relative ones as relative URLs."""
    for clip in timeline.find_clips():
        ref = clip.media_reference
        target = getattr(ref, "target_url", "")
        if target and "://" not in target:
            p = Path(target)
            url = p.as_uri() if p.is_absolute() else quote(p.as_posix())
            ref.target_url = url.replace("file://", "file://localhost", 1) if localhost else url


def _for_fcp7(timeline: Any) -> Any:
    """fcp_xml writes transitions, gaps, audio tracks and stack markers as they are. Its timecodes
    need an SMPTE rate (24, 25, 30, 48, 50, 60): other films go at a multiple of theirs. It takes
    the sequence's frame size (else guessed from a clip) from the timeline's "fcp_xml" metadata."""
    tl = _at_rate(timeline, (24, 25, 30, 48, 50, 60))
    _as_urls(tl, localhost=True)
    fps = int(tl.global_start_time.rate)
    width, height = _size(tl)
    if width and height:
        tl.metadata["fcp_xml"] = {"media": {"video": {"format": {"samplecharacteristics": {
            "width": width, "height": height, "rate": {"timebase": fps, "ntsc": "FALSE"}}}}}}
    return tl


def _fcpx_time(frames: int, fps: int) -> str:
    f = Fraction(frames, fps)
    return "0s" if not frames else f"{f.numerator}s" if f.denominator == 1 else f"{f.numerator}/{f.denominator}s"


def _fcpx_text(timeline: Any) -> str:
    """FCPXML through fcpx_xml, adapted on a copy where that writer falls short:
    - it knows only the broadcast rates (24, 25, 30, 50, 60 and NTSC) and fails on others (as Final
      Cut Pro refuses them): other films go at a multiple of theirs;
    - it writes clip markers only (no stack or track ones): each caption moves onto the scene clip
      under it, in that clip's own time (its source time, as FCPXML wants);
    - it drops transitions: they are put back into the spine afterwards as <transition> elements
      spanning the dissolve (the neighbouring clips keep their cut-to-cut places and handles);
    - its format has no frame size without ffprobe: width and height are set on it."""
    import opentimelineio as otio

    tl = _at_rate(timeline, (24, 25, 30, 50, 60))
    _as_urls(tl, localhost=False)
    fps = int(tl.global_start_time.rate)
    width, height = _size(tl)
    video = next((t for t in tl.tracks if t.kind == otio.schema.TrackKind.Video), None)
    dissolves: dict[int, tuple[int, int]] = {}  # index among the video clips -> (first frame, frames)
    if video is not None:
        clips = [c for c in video if isinstance(c, otio.schema.Clip)]
        for i, item in enumerate(video):
            if isinstance(item, otio.schema.Transition) and i + 1 < len(video):
                r = video.range_of_child_at_index(i)
                dissolves[clips.index(video[i + 1])] = (r.start_time.to_frames(), r.duration.to_frames())
        for m in tl.tracks.markers:
            t = m.marked_range.start_time
            clip = next((c for c in clips if video.range_of_child(c).end_time_exclusive() > t), clips[-1])
            local = clip.source_range.start_time + (t - video.range_of_child(clip).start_time)
            clip.markers.append(otio.schema.Marker(name=m.name, color=m.color, metadata=m.metadata,
                                                   marked_range=otio.opentime.TimeRange(local, m.marked_range.duration)))
        tl.tracks.markers.clear()
    root = ElementTree.fromstring(otio.adapters.write_to_string(tl, adapter_name="fcpx_xml"))
    for fmt in root.iter("format") if width and height else ():
        fmt.attrib.update(width=str(width), height=str(height))
    spine = root.find(".//spine")
    if spine is not None and dissolves:
        spine_clips = [e for e in spine if e.tag == "clip"]
        for k in sorted(dissolves, reverse=True):
            if k < len(spine_clips):
                start, frames = dissolves[k]
                spine.insert(list(spine).index(spine_clips[k]), ElementTree.Element(
                    "transition", {"name": _DISSOLVE, "offset": _fcpx_time(start, fps),
                                   "duration": _fcpx_time(frames, fps)}))
    ElementTree.indent(root, "    ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n'
            + ElementTree.tostring(root, encoding="unicode") + "\n")


# --- bundle --------------------------------------------------------------------------------------

def _file_stem(title: str) -> str:
    return re.sub(r"[^\w.-]+", "_", title).strip("._") or "film"


def export_bundle(scenes: list[SceneMedia], out_zip: Path, *, kind: str, fps: int, size: tuple[int, int],
                  transition_seconds: float, music: str = "", title: str = "film",
                  captions: list[Cue] | None = None, extra_files: dict[str, Path] | None = None) -> Path:
    """A zip to hand to an editor: the timeline (`kind`) at its root naming `media/...` by
    relative URLs, `media/` with every referenced file once, "<title>.srt" and `extra_files`
    (archive name -> file). FCPXML documents relative URLs (from the document); .otio importers
    (Resolve) resolve them from the .otio's folder; FCP 7 XML has no rule for them, so Premiere
    and Resolve may show the media offline once, and relink from `media/` by file name."""
    out_zip = Path(out_zip)
    _check(kind, out_zip)
    extra = {}
    for name, src in (extra_files or {}).items():
        if Path(name).is_absolute() or ".." in Path(name).parts or not Path(src).is_file():
            raise VidgenError(f"Cannot add {name!r} to the bundle: name a relative path and an existing file.")
        extra[name] = Path(src)
    timeline = build_timeline(scenes, fps=fps, size=size, transition_seconds=transition_seconds, music=music,
                              title=title, captions=captions, media_dir=MEDIA_FOLDER)
    used = {Path(c.media_reference.target_url).name for c in timeline.find_clips()}
    names = {src: name for src, name in _media_names(scenes, music).items() if name in used}
    stem = _file_stem(title)
    with tempfile.TemporaryDirectory(prefix="vidgen-bundle-") as td:
        doc = write_timeline(timeline, Path(td) / f"{stem}{TIMELINE_KINDS[kind]}", kind)
        srt = Path(td) / f"{stem}.srt"
        write_srt(film_cues(scenes, scene_starts(scenes, transition_seconds), captions), srt)
        with media.atomic_output(out_zip, suffix=".zip") as tmp:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
                z.write(doc, doc.name)
                z.write(srt, srt.name)
                for src, name in names.items():  # already compressed media: stored as is
                    z.write(src, f"{MEDIA_FOLDER}/{name}", compress_type=zipfile.ZIP_STORED)
                for name, src in extra.items():
                    z.write(src, name, compress_type=zipfile.ZIP_STORED)
    return out_zip
