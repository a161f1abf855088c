"""The studio's script operations: read a script with the project's reader, read an uploaded
script file, and write a script from a topic with an LLM. Mixed into `Projects` (it uses the
host's `store`, `settings`, `_title`, `_uploaded` and `_render_settings`)."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Callable

from .domain import RenderSettings
from .errors import VidgenError
from .pipeline.reading import read_script
from .resolve import writer_tag
from .services.script import read_script_file
from .services.script.llm import FORMS as WRITER_FORMS
from .services.script.llm import write_script
from .services.voice.language import check_language

Progress = Callable[[float, str], None]
MAX_TOPIC = 2000  # characters of a topic or idea
MAX_MINUTES = 30.0  # of a written script (the LLM's answer grows with it)


class ScriptDesk:
    def parse_script(self, text: str, title: str = "", settings: dict | None = None,
                     progress: Progress | None = None, filename: str = "") -> dict:
        """Scenes, characters and notes of a script, read by the settings' reader (nothing is saved);
        `filename`: the script file's name, a hint of its form (.fountain)."""
        given = self._title(title)
        rs = self._render_settings(settings, RenderSettings())
        parsed = read_script(self.store, text, rs, title=given, filename=filename, progress=progress)
        parsed.title = given or parsed.title
        return asdict(parsed)

    def read_script_upload(self, path: str) -> str:
        """The text of an uploaded script file (.txt, .fountain, .md or any plain text)."""
        if not path or not isinstance(path, (str, os.PathLike)):
            raise VidgenError("No script file given: upload a .txt, .fountain or .md file.")
        return read_script_file(self._uploaded(path, "script"), self.settings.max_script_bytes)

    def write_script(self, topic: str, *, minutes: float = 1.0, tone: str = "", language: str = "en",
                     form: str = "narrated", model: str = "", progress: Progress | None = None) -> str:
        """A script about `topic` written by an LLM (Ollama), in a form the rules read back exactly:
        `form` is narrated (a narrated video), dialogue (a dialogue scene) or storyboard."""
        if not isinstance(topic, str) or not topic.strip():
            raise VidgenError("Write a topic or an idea for the script (a sentence is enough).")
        if len(topic) > MAX_TOPIC:
            raise VidgenError(f"The topic is {len(topic):,} characters; the limit is {MAX_TOPIC:,}: shorten it.")
        if form not in WRITER_FORMS:
            raise VidgenError(f"Unknown script form {form!r}: use {', '.join(WRITER_FORMS)}.")
        try:
            minutes = float(minutes)
        except (TypeError, ValueError):
            raise VidgenError(f"The length must be a number of minutes, not {minutes!r}.") from None
        if not 0.25 <= minutes <= MAX_MINUTES:
            raise VidgenError(f"The length must be 0.25 to {MAX_MINUTES:g} minutes, not {minutes:g}.")
        for name, value in (("tone", tone), ("language", language), ("model", model)):
            if not isinstance(value, str) or len(value) > 200:
                raise VidgenError(f"The {name} must be text of at most 200 characters.")
        check_language(language)
        return write_script(topic.strip(), model=writer_tag(self.store, model), minutes=minutes, tone=tone.strip(),
                            language=language or "en", form=form, progress=progress)

