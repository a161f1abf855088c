"""An API call names a file only by uploading it.

Gradio moves every file a call names into its cache before our code sees the call, and a path that
was not uploaded fails there with an empty error and a traceback in the server's log. This ASGI
middleware takes the file marker off such a reference, so the input's own check (`api.uploaded_file`)
answers with one line saying what to send. Uploads, URLs, the media the studio serves (its static
paths: a picture or film the browser sends back) and everything else pass untouched, as Gradio's
own check lets them.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Awaitable, Callable

from gradio import utils

_CALLS = re.compile(r"/(queue/join|call/[^/]+|run/[^/]+)/?$")  # the routes that start an event
MAX_INSPECTED = 8 * 1024 * 1024  # larger bodies pass as they are (Gradio's own check still applies)
Receive = Callable[[], Awaitable[dict[str, Any]]]


def _not_uploaded(value: Any) -> bool:
    if not (isinstance(value, dict) and isinstance(value.get("meta"), dict)
            and value["meta"].get("_type") == "gradio.FileData" and isinstance(value.get("path"), str)):
        return False
    path = value["path"]
    if re.match(r"^[a-z]+://", path) or utils.is_static_file(path):  # a URL, or media the studio serves
        return False
    return not utils.is_in_or_equal(os.path.abspath(path), utils.get_upload_folder())


def _unmark(value: Any) -> tuple[Any, bool]:
    if _not_uploaded(value):
        return {k: v for k, v in value.items() if k != "meta"}, True
    if isinstance(value, dict):
        pairs = [(k, _unmark(v)) for k, v in value.items()]
        return {k: v for k, (v, _) in pairs}, any(c for _, (_, c) in pairs)
    if isinstance(value, list):
        items = [_unmark(v) for v in value]
        return [v for v, _ in items], any(c for _, c in items)
    return value, False


def unmark_paths(body: bytes) -> bytes:
    """`body` with the FileData marker taken off every reference to a file that was not uploaded."""
    try:
        payload = json.loads(body)
    except ValueError:
        return body
    payload, changed = _unmark(payload)
    return json.dumps(payload).encode() if changed else body


class UploadsOnly:
    def __init__(self, app: Callable[..., Awaitable[None]]):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not _CALLS.search(scope.get("path", "")):
            return await self.app(scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left: let the app see it
                return await self.app(scope, _replay([message], receive), send)
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if not message.get("more_body") or size > MAX_INSPECTED:
                more = bool(message.get("more_body"))
                break
        body = b"".join(chunks)
        if more:  # too large to inspect: replay what was read, then the rest
            return await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": True}],
                                                 receive), send)
        new = unmark_paths(body)
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(new)).encode()))
        await self.app({**scope, "headers": headers},
                       _replay([{"type": "http.request", "body": new, "more_body": False}], receive), send)


def _replay(messages: list[dict[str, Any]], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> dict[str, Any]:
        return pending.pop(0) if pending else await receive()

    return replay
