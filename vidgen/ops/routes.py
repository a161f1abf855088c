"""`/health`, `/ready` and `/metrics` beside the studio, on the app Gradio serves.

They are passed as the FastAPI app's first routes (`launch(app_kwargs={"routes": ...})`), so they
answer from the moment the server listens, before any route of Gradio's, on the local port and on a
`--share` link alike. Gradio's login guards its own routes only: `/health` and `/ready` stay open
for container health checks with `--auth`; `/metrics` then asks for one of the same logins by HTTP
Basic (Prometheus' `basic_auth`), since a share link is public and the metrics tell when and how
much the studio is used.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from ..jobs import JobQueue
from ..store import Store
from .health import ready_checks, report
from .metrics import StudioMetrics


class Ops:
    """The operations routes of one studio (its store and queue) and its metrics."""

    def __init__(self, store: Store, queue: JobQueue, logins: list[tuple[str, str]] | None = None) -> None:
        self.store, self.queue = store, queue
        self.logins = list(logins or [])
        self.metrics = StudioMetrics(store, queue)

    def allowed(self, authorization: str) -> bool:
        """No logins: everyone; else an `Authorization: Basic ...` header with one of them."""
        if not self.logins:
            return True
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        # every login compared, so the time taken does not tell which user name exists
        same = secrets.compare_digest
        matches = [same(user.encode(), u.encode()) & same(password.encode(), p.encode()) for u, p in self.logins]
        return sep == ":" and any(matches)

    def routes(self) -> list[Any]:
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route

        def health(request: Request) -> Response:  # the process is up and serving HTTP
            return JSONResponse({"status": "ok"})

        def ready(request: Request) -> Response:  # sync: starlette runs it in a worker thread
            body = report(ready_checks(self.store, self.queue))
            return JSONResponse(body, status_code=200 if body["ready"] else 503)

        def metrics(request: Request) -> Response:
            if not self.allowed(request.headers.get("authorization", "")):
                return Response("a login is required (HTTP Basic, as for --auth)\n", status_code=401,
                                media_type="text/plain", headers={"WWW-Authenticate": 'Basic realm="vidgen metrics"'})
            body, kind = self.metrics.exposition()
            return Response(body, media_type=kind)

        return [Route("/health", health, methods=["GET", "HEAD"]), Route("/ready", ready, methods=["GET", "HEAD"]),
                Route("/metrics", metrics, methods=["GET"])]

    def close(self) -> None:
        self.metrics.close()
