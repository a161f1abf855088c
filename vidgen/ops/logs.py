"""Log lines: readable plain text by default, or one JSON object per line (`--log-format json`).

Events carry their fields as `extra` (job, stage, scene, duration, ...): the plain format shows the
human message, the JSON format the message and every field. A record made while a job runs in this
thread carries the job's id even when its caller did not name it (a model load inside a render).
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import sys
from typing import Any, TextIO

FORMATS = ("plain", "json")
PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What every LogRecord has; anything else on a record came from `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}

current_job: contextvars.ContextVar[str] = contextvars.ContextVar("vidgen_job", default="")


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's own fields (its `extra`), plus the running job's id where it names none."""
    out = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
    if "job" not in out and current_job.get():
        out["job"] = current_job.get()
    return out


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", ...fields, "exc"?} on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
                .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        line.update(fields(record))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is written (a test's capture, a redirect)."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def check_format(value: str) -> str:
    value = (value or "").strip().lower()
    if value not in FORMATS:
        raise ValueError(f"the log format must be plain or json, not {value!r} (--log-format / VIDGEN_LOG_FORMAT)")
    return value


def configure(fmt: str = "plain", stream: TextIO | None = None) -> logging.Handler:
    """Send log lines to stderr (or `stream`) in `fmt`: vidgen's from INFO, other libraries' from
    WARNING. Calling it again replaces the handler it installed; other handlers stay."""
    fmt = check_format(fmt)
    handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(PLAIN))
    handler._vidgen = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_vidgen", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    logging.getLogger("vidgen").setLevel(logging.INFO)
    return handler
