"""A STAND-IN for an Ollama server, for the tests: it is not Ollama and runs no model.

It listens on 127.0.0.1 (a free port, in a thread) and speaks the parts of Ollama's HTTP API that
vidgen uses (`/api/chat`, `/api/tags`, `/api/show`, `/api/pull`, `/api/delete`, `/api/version`), so the
tests drive the real `ollama` client through `host=`. It checks every chat request the way the
reader and writer promise to send it (a JSON schema in `format`, temperature and a seed in
`options`, a context size, a known model) and records what it finds wrong in `problems`:
`running()` (each test file's `standin` fixture) fails the test when any request broke a rule, so a request without the schema
cannot pass. Chat answers are the recorded responses a test queues (`tests/data/ollama/*.json`,
written to look like Ollama's), possibly delayed or broken; or a function of the request.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

DATA = Path(__file__).resolve().parent / "data" / "ollama"
VERSION = "0.0.0-standin"
MODIFIED = "2026-11-20T10:00:00.000000Z"


def model_row(tag: str, size: int = 4_920_753_328, family: str = "llama", parameters: str = "8.0B") -> dict[str, Any]:
    """A model as `/api/tags` lists it."""
    return {"name": tag, "model": tag, "modified_at": MODIFIED, "size": size,
            "digest": f"{abs(hash(tag)):064x}"[-64:],
            "details": {"parent_model": "", "format": "gguf", "family": family, "families": [family],
                        "parameter_size": parameters, "quantization_level": "Q4_K_M"}}


@dataclass
class Reply:
    """One queued chat answer: a recorded file (or a function of the request), maybe slow or failing."""

    file: str = ""
    build: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    delay: float = 0.0
    status: int = 200
    error: str = ""


def recorded(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def envelope(model: str, content: str, eval_count: int = 0, eval_seconds: float = 0.5) -> dict[str, Any]:
    """A chat answer as Ollama sends it with stream=false."""
    return {"model": model, "created_at": "2026-11-20T10:00:01.000000Z",
            "message": {"role": "assistant", "content": content}, "done_reason": "stop", "done": True,
            "total_duration": int((eval_seconds + 0.2) * 1e9), "load_duration": 50_000_000,
            "prompt_eval_count": 900, "prompt_eval_duration": 150_000_000,
            "eval_count": eval_count or max(1, len(content) // 4), "eval_duration": int(eval_seconds * 1e9)}


class StandIn:
    """The server and what it saw. `answers` is the queue of chat replies (file names or Reply)."""

    def __init__(self) -> None:
        self.models: dict[str, dict[str, Any]] = {"llama3.1:8b": model_row("llama3.1:8b")}
        self.pullable: dict[str, list[int]] = {"qwen2.5:7b": [4_683_073_184, 1_482, 11_343, 488]}  # layer sizes
        self.answers: list[Any] = []
        self.requests: list[tuple[str, str, dict[str, Any]]] = []  # (method, path, body)
        self.problems: list[str] = []
        self.temperature: float = 0.0  # what chat requests must send
        self.served: list[dict[str, Any]] = []  # the chat answers sent (for eval counts)
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="ollama-standin", daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "StandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes the slow answers
        self._server.shutdown()
        self._server.server_close()

    def chats(self) -> list[dict[str, Any]]:
        return [body for method, path, body in self.requests if path == "/api/chat"]

    # --- the API ---------------------------------------------------------------------------------

    def check_chat(self, body: dict[str, Any]) -> str:
        fmt, options = body.get("format"), body.get("options") or {}
        if not (isinstance(fmt, dict) and fmt.get("type") == "object" and fmt.get("properties")):
            return "a chat request without a JSON schema in `format`"
        if options.get("temperature") != self.temperature:
            return f"temperature {options.get('temperature')!r}, not {self.temperature}"
        if not isinstance(options.get("seed"), int):
            return "no integer seed in options"
        if not isinstance(options.get("num_ctx"), int) or options["num_ctx"] < 2048:
            return f"num_ctx {options.get('num_ctx')!r} is missing or too small"
        if not any(m.get("role") == "user" and m.get("content") for m in body.get("messages") or []):
            return "no user message"
        return ""

    def chat(self, body: dict[str, Any]) -> tuple[int, Any]:
        if body.get("model") not in self.models:
            return 404, {"error": f"model \"{body.get('model')}\" not found, try pulling it first"}
        problem = self.check_chat(body)
        if problem:
            self.problems.append(problem)
            return 400, {"error": f"stand-in: {problem}"}
        if not self.answers:
            self.problems.append("a chat request with no answer queued")
            return 500, {"error": "stand-in: no answer queued"}
        reply = self.answers.pop(0)
        reply = Reply(file=reply) if isinstance(reply, str) else reply
        if reply.delay and self._stop.wait(reply.delay):
            return 503, {"error": "stand-in stopping"}
        if reply.status != 200:
            return reply.status, {"error": reply.error or "stand-in failure"}
        answer = reply.build(body) if reply.build else recorded(reply.file)
        answer = {**answer, "model": body["model"]}
        self.served.append(answer)
        return 200, answer

    def show(self, body: dict[str, Any]) -> tuple[int, Any]:
        row = self.models.get(body.get("model", ""))
        if row is None:
            return 404, {"error": f"model '{body.get('model')}' not found"}
        return 200, {"modelfile": f"FROM {row['name']}", "parameters": "stop \"<|eot_id|>\"", "template": "{{ .Prompt }}",
                     "details": row["details"], "model_info": {"general.architecture": row["details"]["family"]},
                     "capabilities": ["completion"], "modified_at": MODIFIED}

    def pull(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        tag = body.get("model", "")
        lines: list[dict[str, Any]] = [{"status": "pulling manifest"}]
        if tag not in self.pullable:
            return lines + [{"error": "pull model manifest: file does not exist"}]
        layers = self.pullable[tag]
        for n, size in enumerate(layers):
            digest = f"sha256:{(n + 1) * 0x2bada8a74506:064x}"
            for done in (0, size // 3, 2 * size // 3, size):
                lines.append({"status": f"pulling {digest[-12:]}", "digest": digest, "total": size, "completed": done})
        lines += [{"status": "verifying sha256 digest"}, {"status": "writing manifest"}, {"status": "success"}]
        self.models[tag] = model_row(tag, size=sum(layers), family="qwen2", parameters="7.6B")
        return lines

    def delete(self, body: dict[str, Any]) -> tuple[int, Any]:
        if self.models.pop(body.get("model", ""), None) is None:
            return 404, {"error": f"model '{body.get('model')}' not found"}
        return 200, None


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _body(self) -> dict[str, Any]:
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            try:
                return json.loads(raw) if raw else {}
            except ValueError:
                standin.problems.append(f"a request body that is not JSON: {raw[:80]!r}")
                return {}

        def _send(self, status: int, payload: Any) -> None:
            data = b"" if payload is None else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                pass

        def _stream(self, parts: list[dict[str, Any]]) -> None:
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for part in parts:
                    line = json.dumps(part).encode() + b"\n"
                    self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
                    self.wfile.flush()
                    time.sleep(0.001)
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _route(self, method: str) -> None:
            body = self._body() if method != "GET" else {}
            standin.requests.append((method, self.path, body))
            if (method, self.path) == ("GET", "/api/version"):
                return self._send(200, {"version": VERSION})
            if (method, self.path) == ("GET", "/api/tags"):
                return self._send(200, {"models": list(standin.models.values())})
            if (method, self.path) == ("POST", "/api/show"):
                return self._send(*standin.show(body))
            if (method, self.path) == ("DELETE", "/api/delete"):
                return self._send(*standin.delete(body))
            if (method, self.path) == ("POST", "/api/pull"):
                return self._stream(standin.pull(body))
            if (method, self.path) == ("POST", "/api/chat"):
                status, answer = standin.chat(body)
                if status != 200 or not body.get("stream"):
                    return self._send(status, answer)
                return self._stream(_pieces(answer))
            standin.problems.append(f"an unexpected request {method} {self.path}")
            return self._send(404, {"error": "404 page not found"})

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_DELETE(self) -> None:
            self._route("DELETE")

    return Handler


def _pieces(answer: dict[str, Any], n: int = 8) -> list[dict[str, Any]]:
    """A stream=true answer: the content in `n` pieces, then the final counts (Ollama's shape)."""
    content = answer["message"]["content"]
    step = max(1, -(-len(content) // n))
    head = {"model": answer["model"], "created_at": answer["created_at"]}
    parts = [{**head, "message": {"role": "assistant", "content": content[i:i + step]}, "done": False}
             for i in range(0, len(content), step)]
    final = {k: v for k, v in answer.items() if k != "message"}
    return parts + [{**final, "message": {"role": "assistant", "content": ""}, "done": True}]


def dead_host() -> str:
    """An address on 127.0.0.1 where nothing listens (a server that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"127.0.0.1:{port}"


@contextlib.contextmanager
def running() -> Iterator[StandIn]:
    """A running stand-in for a `with` block (a test file's `standin` fixture); on a clean exit it
    fails the test when any request broke a rule (see the module docstring)."""
    server = StandIn().start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.problems, f"requests the stand-in refused: {server.problems}"


def real_ollama_model(default: str = "llama3.1:8b") -> str:
    """For the RUN_SLOW tests against a REAL server (not this stand-in): the model to use
    (VIDGEN_TEST_OLLAMA_MODEL, else `default`); the test is skipped, saying why, when no server at
    OLLAMA_HOST answers or it lacks the model."""
    import os

    import pytest

    from vidgen.models import ollama_server

    model = os.environ.get("VIDGEN_TEST_OLLAMA_MODEL", default)
    if not ollama_server.server_status()["reachable"]:
        pytest.skip(f"no Ollama server answers at {ollama_server.host_of()}")
    if not ollama_server.has_model(model):
        pytest.skip(f"{model} is not pulled: `ollama pull {model}`")
    return model
