"""The film's timeline: where each scene starts (neighbours overlap by their transition) and how
long the film is. Shared by the cues, the audio mix and the video graph (below them all)."""

from __future__ import annotations

from ...domain import SceneMedia


def overlap(scene: SceneMedia, transition_seconds: float) -> float:
    return 0.0 if scene.transition == "cut" or transition_seconds <= 0 else float(transition_seconds)


def scene_starts(scenes: list[SceneMedia], transition_seconds: float) -> list[float]:
    """Start of each scene on the final timeline; neighbours overlap unless the incoming one cuts."""
    starts: list[float] = []
    for i, scene in enumerate(scenes):
        if i == 0:
            starts.append(0.0)
        else:
            starts.append(starts[-1] + scenes[i - 1].duration - overlap(scene, transition_seconds))
    return starts


def film_duration(scenes: list[SceneMedia], starts: list[float]) -> float:
    return starts[-1] + scenes[-1].duration if scenes else 0.0


def num(x: float) -> str:
    """A number of seconds as ffmpeg arguments and filters take it."""
    return f"{x:.6f}"
