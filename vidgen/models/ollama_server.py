"""The one door to an Ollama server: host, timeouts, and its failures as one-line VidgenErrors.

Every call goes through the `ollama` package (imported inside the functions: importing this module
is free) with a timeout, so no call can hang: a server that is not there fails in about a second
(connection refused) or within `CONNECT_SECONDS` (an address that does not answer). The host is
`host=` when given, else `OLLAMA_HOST`, else Ollama's default 127.0.0.1:11434.

The errors are VidgenError subclasses, so one that escapes is still a line a user can act on; the
reader tells them apart to decide between failing fast (no server, no model) and falling back to
the rules for one chunk (a slow or broken answer). It lives with the models (not the script
service) because the model hub asks the same server whether a model is pulled.
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ..errors import VidgenError, without_paths

DEFAULT_HOST = "127.0.0.1:11434"
CONNECT_SECONDS = 5.0  # connecting to a host that never answers
PROBE_SECONDS = 5.0  # version, list, show: small answers
LIST_TTL = 5.0  # `has_model` reuses one `list()` answer this long (the Models tab asks per record)
INSTALL_HINT = ("install Ollama (ollama.com), run `ollama serve` and `ollama pull llama3.1:8b`, "
                "or set OLLAMA_HOST to the server's address")

Progress = Callable[[float, str], None]


class ServerDown(VidgenError):
    """No Ollama server answers at the host."""


class ModelMissing(VidgenError):
    """The server answers but does not have the model."""


class ChatTimeout(VidgenError):
    """The server took longer than the timeout to answer."""


class ChatFailed(VidgenError):
    """The server answered with an error, or with something that is not an Ollama answer."""


@dataclass
class Answer:
    """A chat answer: the assistant's text and the counts the server reports (0 when it does not)."""

    content: str
    eval_count: int = 0  # tokens generated
    eval_seconds: float = 0.0
    prompt_tokens: int = 0
    seconds: float = 0.0  # wall time of the call, measured here

    @property
    def tokens_per_second(self) -> float:
        return self.eval_count / self.eval_seconds if self.eval_seconds > 0 else 0.0


_TAG = re.compile(r"^[a-z0-9][a-z0-9_./-]*(:[A-Za-z0-9][A-Za-z0-9_.-]*)?$")


def check_tag(tag: str) -> str:
    """`tag` stripped, or VidgenError when it is not an Ollama model tag."""
    tag = (tag or "").strip()
    if not _TAG.match(tag):
        raise VidgenError(f"'{tag}' is not an Ollama model tag: use name[:tag], e.g. llama3.1:8b.")
    return tag


def host_of(host: str | None = None) -> str:
    """The host a call goes to, as a user would write it (for messages)."""
    return (host or os.environ.get("OLLAMA_HOST") or "").strip() or DEFAULT_HOST


def full_tag(tag: str) -> str:
    """`tag` as the server lists it: no `registry.ollama.ai/library/` prefix, `:latest` when untagged."""
    t = (tag or "").strip()
    for prefix in ("registry.ollama.ai/", "library/"):
        if t.casefold().startswith(prefix):
            t = t[len(prefix):]
    return t if ":" in t.rsplit("/", 1)[-1] else f"{t}:latest"


def _client(host: str | None, timeout: float) -> Any:
    try:
        import httpx
        import ollama
    except ImportError:
        raise VidgenError("The `ollama` Python package is not installed: `pip install ollama`, "
                          "or read scripts with the rules (--parser rules).") from None
    return ollama.Client(host=host_of(host), timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_SECONDS)))


def down_message(host: str | None) -> str:
    return f"No Ollama server answers at {host_of(host)}: {INSTALL_HINT}."


def missing_message(tag: str, host: str | None, model_id: str = "") -> str:
    fetch = f"`ollama pull {tag}`" + (f" or `python -m vidgen models download {model_id}`" if model_id else "")
    return f"The Ollama server at {host_of(host)} does not have the model {tag}: run {fetch}, then try again."


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "error", "") or exc).strip()
    return without_paths((text.splitlines() or [type(exc).__name__])[0])[:200]


def _translate(exc: BaseException, host: str | None, tag: str, timeout: float, what: str) -> VidgenError:
    """An exception of ollama/httpx as the one-line error a user sees."""
    import httpx
    import ollama

    if isinstance(exc, VidgenError):
        return exc
    if isinstance(exc, (ConnectionError, httpx.ConnectError, httpx.ConnectTimeout)):
        return ServerDown(down_message(host))
    if isinstance(exc, httpx.TimeoutException):
        return ChatTimeout(f"The Ollama server at {host_of(host)} did not finish {what} within {timeout:g} s: "
                           f"raise the timeout, use a smaller model, or check that the server is not busy.")
    if isinstance(exc, ollama.ResponseError):
        if exc.status_code == 404 and tag:
            return ModelMissing(missing_message(tag, host))
        return ChatFailed(f"The Ollama server at {host_of(host)} refused {what}: {_first_line(exc)} "
                          f"(HTTP {exc.status_code}).")
    return ChatFailed(f"The Ollama server at {host_of(host)} gave an answer vidgen cannot read during {what}: "
                      f"{_first_line(exc)}.")


def _expected() -> tuple[type[BaseException], ...]:
    """What a call to the server may raise besides VidgenError (nothing else is caught)."""
    try:
        import httpx
        import ollama
        import pydantic
    except ImportError:
        return (ConnectionError, ValueError)
    return (ConnectionError, httpx.HTTPError, ollama.ResponseError, ollama.RequestError, ValueError,
            pydantic.ValidationError)


# ----------------------------------------------------------------------------- the server and its models

def server_status(host: str | None = None, timeout: float = PROBE_SECONDS) -> dict[str, Any]:
    """{"reachable", "host", "version", "message"}; never raises, answers within `timeout`."""
    out: dict[str, Any] = {"reachable": False, "host": host_of(host), "version": "", "message": ""}
    try:
        client = _client(host, timeout)
        try:
            # The package has no version() call; /api/version is the server's own answer.
            response = client._client.get("/api/version")
            response.raise_for_status()
            out["version"] = str(response.json().get("version", ""))
        finally:
            client.close()
    except Exception as exc:  # every failure is "not reachable", said in one line
        out["message"] = str(_translate(exc, host, "", timeout, "the version check"))
        return out
    out.update(reachable=True, message=f"Ollama {out['version'] or '(unknown version)'} at {out['host']}")
    return out


def local_models(host: str | None = None, timeout: float = PROBE_SECONDS) -> list[dict[str, Any]]:
    """The models the server has (`ollama list`): name, size (bytes), parameter size, family,
    quantisation, modified. ServerDown when no server answers."""
    try:
        client = _client(host, timeout)
        try:
            listed = client.list()
        finally:
            client.close()
    except _expected() as exc:
        raise _translate(exc, host, "", timeout, "the model list") from None
    rows = []
    for m in listed.models:
        d = m.details
        rows.append({"name": m.model or "", "size": int(m.size or 0), "digest": getattr(m, "digest", "") or "",
                     "parameter_size": (d.parameter_size if d else "") or "",
                     "family": (d.family if d else "") or "",
                     "quantization": (d.quantization_level if d else "") or "",
                     "modified": m.modified_at.isoformat() if m.modified_at else ""})
    _remember(host, rows)
    return rows


_listed: dict[str, tuple[float, list[dict[str, Any]]]] = {}
_listed_lock = threading.Lock()


def _remember(host: str | None, rows: list[dict[str, Any]] | None) -> None:
    with _listed_lock:
        if rows is None:
            _listed.pop(host_of(host), None)
        else:
            _listed[host_of(host)] = (time.monotonic(), rows)


def find_model(tag: str, host: str | None = None, timeout: float = PROBE_SECONDS) -> dict[str, Any] | None:
    """The server's row for `tag`, or None when the server lacks it or does not answer (fails closed)."""
    with _listed_lock:
        when, rows = _listed.get(host_of(host), (0.0, []))
    if time.monotonic() - when > LIST_TTL:
        try:
            rows = local_models(host, timeout)
        except VidgenError:
            return None
    want = full_tag(tag).casefold()
    return next((r for r in rows if full_tag(r["name"]).casefold() == want), None)


def has_model(tag: str, host: str | None = None, timeout: float = PROBE_SECONDS) -> bool:
    return find_model(tag, host, timeout) is not None


def check_model(tag: str, host: str | None = None, timeout: float = PROBE_SECONDS, model_id: str = "") -> None:
    """ServerDown or ModelMissing (one line each) unless the server answers and has `tag`."""
    try:
        client = _client(host, timeout)
        try:
            client.show(tag)
        finally:
            client.close()
    except _expected() as exc:
        if type(exc).__name__ == "ValidationError":  # a 200 answer in another version's shape: it has the model
            return
        err = _translate(exc, host, tag, timeout, "the model check")
        if isinstance(err, ModelMissing) and model_id:
            err = ModelMissing(missing_message(tag, host, model_id))
        raise err from None


def pull_model(tag: str, progress: Progress | None = None, host: str | None = None,
               timeout: float = 60.0) -> None:
    """`ollama pull tag` through the server, reporting progress(fraction, message) with a fraction
    that never goes back. `timeout` bounds each wait for the next progress line (a stalled
    download), not the whole pull."""
    report = progress or (lambda fraction, message: None)
    totals: dict[str, tuple[int, int]] = {}  # digest -> (completed, total)
    best = 0.0
    report(0.0, f"{tag}: asking the Ollama server at {host_of(host)}")
    try:
        client = _client(host, timeout)
        try:
            for part in client.pull(tag, stream=True):
                status = part.status or ""
                if part.digest and part.total:
                    totals[part.digest] = (int(part.completed or 0), int(part.total))
                done = sum(c for c, _ in totals.values())
                total = sum(t for _, t in totals.values())
                if status == "success":
                    best = 1.0
                elif total:
                    best = max(best, min(done / total, 0.99))
                size = f" ({done / 1e9:.2f} of {total / 1e9:.2f} GB)" if part.digest and total else ""
                report(best, f"{tag}: {status}{size}")
        finally:
            client.close()
    except _expected() as exc:
        err = _translate(exc, host, tag, timeout, f"pulling {tag}")
        if isinstance(err, (ChatFailed, ModelMissing)):  # an unknown tag or a registry failure
            err = ChatFailed(f"Pulling {tag} failed: {_first_line(exc)}; check the tag at ollama.com/library.")
        raise err from None
    finally:
        _remember(host, None)
    if best < 1.0:
        raise ChatFailed(f"Pulling {tag} stopped before it finished: run the download again to resume.")


def delete_model(tag: str, host: str | None = None, timeout: float = PROBE_SECONDS) -> int:
    """`ollama rm tag`; returns the bytes the server listed for it (0 when it did not have it)."""
    row = find_model(tag, host, timeout)
    if row is None:
        check_model_server(host, timeout)
        return 0
    try:
        client = _client(host, timeout)
        try:
            client.delete(row["name"])
        finally:
            client.close()
    except _expected() as exc:
        raise _translate(exc, host, "", timeout, f"removing {tag}") from None
    finally:
        _remember(host, None)
    return int(row["size"])


def check_model_server(host: str | None = None, timeout: float = PROBE_SECONDS) -> None:
    """ServerDown unless a server answers at the host."""
    status = server_status(host, timeout)
    if not status["reachable"]:
        raise ServerDown(status["message"] or down_message(host))


# ----------------------------------------------------------------------------- chat

def chat(model: str, messages: Iterable[dict[str, str]], *, schema: dict[str, Any], options: dict[str, Any],
         host: str | None = None, timeout: float = 120.0, on_text: Callable[[int], None] | None = None) -> Answer:
    """One structured chat call (`format=schema`). With `on_text`, the answer streams and
    on_text(characters so far) is called as it grows; either way the whole call ends within about
    `timeout` seconds, or raises ChatTimeout. Other failures: ServerDown, ModelMissing, ChatFailed."""
    start = time.monotonic()
    messages = list(messages)
    try:
        client = _client(host, timeout)
        try:
            if on_text is None:
                r = client.chat(model=model, messages=messages, format=schema, options=options, stream=False)
                content, final = r.message.content or "", r
            else:
                parts: list[str] = []
                final = None
                for r in client.chat(model=model, messages=messages, format=schema, options=options, stream=True):
                    parts.append(r.message.content or "")
                    on_text(sum(len(p) for p in parts))
                    if r.done:
                        final = r
                    if time.monotonic() - start > timeout:
                        raise ChatTimeout(f"The Ollama server at {host_of(host)} did not finish the answer within "
                                          f"{timeout:g} s: raise the timeout or use a smaller model.")
                content = "".join(parts)
        finally:
            client.close()
    except _expected() as exc:
        raise _translate(exc, host, model, timeout, "the answer") from None
    if final is None:
        raise ChatFailed(f"The Ollama server at {host_of(host)} closed the answer before it was done: try again.")
    return Answer(content=content, eval_count=int(final.eval_count or 0),
                  eval_seconds=(final.eval_duration or 0) / 1e9, prompt_tokens=int(final.prompt_eval_count or 0),
                  seconds=time.monotonic() - start)
