"""The Storyboard card's "What the picture shows": the scene's plan (place, inside or outside, time,
weather, season, shot, lights, props, figures), shown as the script reader filled it and editable;
the painter draws it and the AI prompt is built from it."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..domain import FIGURE_ACTIONS, FIGURE_AGES, LIGHTS, PLACES, PROPS, SEASONS, SHOTS, TIMES_OF_DAY, WEATHERS

AUTO = ""
INSIDE = {"auto": None, "inside": True, "outside": False}


def _menu(values: tuple[str, ...], empty: str) -> list[tuple[str, str]]:
    return [(empty, AUTO), *((v, v) for v in values)]


class PlanFields:
    """The components, in `components` order, and their conversions to and from a scene dict."""

    def __init__(self) -> None:
        with gr.Accordion("What the picture shows", open=False, elem_id="storyboard-plan"):
            with gr.Row():
                self.place = gr.Dropdown(_menu(PLACES, "from the words"), value=AUTO, label="Place",
                                         elem_id="plan-place")
                self.inside = gr.Radio(list(INSIDE), value="auto", label="Inside or outside", elem_id="plan-inside")
                self.time = gr.Dropdown(_menu(TIMES_OF_DAY, "not said"), value=AUTO, label="Time of day",
                                        elem_id="plan-time")
            with gr.Row():
                self.weather = gr.Dropdown(_menu(WEATHERS, "not said"), value=AUTO, label="Weather",
                                           elem_id="plan-weather")
                self.season = gr.Dropdown(_menu(SEASONS, "not said"), value=AUTO, label="Season", elem_id="plan-season")
                self.shot = gr.Dropdown(_menu(SHOTS, "the model's own"), value=AUTO, label="Shot", elem_id="plan-shot")
            self.lights = gr.Dropdown(list(LIGHTS), value=[], multiselect=True, label="Lights", elem_id="plan-lights")
            self.props = gr.Dropdown(list(PROPS), value=[], multiselect=True, label="Props", elem_id="plan-props")
            self.figures = gr.Textbox(label=f"Figures (one per line: name or empty, {' or '.join(FIGURE_AGES)}, "
                                            f"{' / '.join(FIGURE_ACTIONS)})", lines=3, elem_id="plan-figures",
                                      placeholder="Maria, adult, walk\n, child, run")
        self.components = [self.place, self.inside, self.time, self.weather, self.season, self.shot, self.lights,
                           self.props, self.figures]

    @staticmethod
    def values(scene: dict[str, Any] | None) -> list[Any]:
        """The fields' values for a scene dict (empty for none)."""
        if not scene:
            return [AUTO, "auto", AUTO, AUTO, AUTO, AUTO, [], [], ""]
        plan = scene.get("plan") or {}
        inside = {True: "inside", False: "outside"}.get(scene.get("interior"), "auto")
        figures = "\n".join(f"{f.get('name', '')}, {f.get('age', 'adult')}, {f.get('action', 'stand')}"
                            for f in plan.get("figures") or [])
        return [plan.get("place", ""), inside, scene.get("time_of_day", ""), scene.get("weather", ""),
                plan.get("season", ""), scene.get("shot", ""), list(plan.get("lights") or []),
                list(plan.get("props") or []), figures]

    @staticmethod
    def changes(place: str, inside: str, time: str, weather: str, season: str, shot: str, lights: list[str] | None,
                props: list[str] | None, figures: str) -> dict[str, Any]:
        """update_scene changes; the studio checks every word against its vocabulary."""
        people = []
        for row in (figures or "").splitlines():
            if not row.strip():
                continue
            parts = [p.strip() for p in row.split(",")] + ["", ""]
            people.append({"name": parts[0], "age": parts[1] or "adult", "action": parts[2] or "stand"})
        return {"interior": INSIDE.get(inside or "auto"), "time_of_day": time or "", "weather": weather or "",
                "shot": shot or "", "plan": {"place": place or "", "season": season or "", "lights": list(lights or []),
                                             "props": list(props or []), "figures": people}}
