"""Model files from a direct URL (vidgen/models/url_fetch.py), against a real HTTP server on
127.0.0.1 that honours Range requests and can drop a connection, lie about its size or answer 404:
resume, size limits, sha256, pickle refusal, the https rule and the content sniff."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save

from vidgen.errors import VidgenError
from vidgen.models import url_fetch
from vidgen.models.url_fetch import check_content, check_format, check_url, fetch, file_name, sha256_of

# A real safetensors file, about 400 KB: several 64 KiB reads, so a cut-off download has something to resume.
WEIGHTS = save({"w": np.arange(100_000, dtype=np.float32)})


class Files:
    """What the server serves and how it misbehaves; `log` holds (path, Range header) per request."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.files: dict[str, bytes] = {}
        self.log: list[tuple[str, str | None]] = []
        self.drop_after: dict[str, int] = {}  # path -> bytes sent before the first answer is cut off
        self.length: dict[str, int | None] = {}  # path -> Content-Length to claim (None: send none)
        self.status: dict[str, int] = {}  # path -> an error status to answer
        self.no_ranges: set[str] = set()  # paths answered whole (200) even when a Range is asked


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so a body with no Content-Length ends when the server closes
    server: ThreadingHTTPServer

    def log_message(self, *args):  # keep pytest's output clean
        pass

    def do_GET(self):
        state: Files = self.server.state
        rng = self.headers.get("Range")
        state.log.append((self.path, rng))
        if self.path in state.status or self.path not in state.files:
            self.send_error(state.status.get(self.path, 404))
            return
        data, start = state.files[self.path], 0
        if rng and self.path not in state.no_ranges:
            start = int(rng.removeprefix("bytes=").rstrip("-"))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        claimed = state.length.get(self.path, len(body))
        if claimed is not None:
            self.send_header("Content-Length", str(claimed))
        self.end_headers()
        cut = state.drop_after.pop(self.path, None)  # only the first answer is cut off
        try:
            self.wfile.write(body if cut is None else body[:cut])
        except (BrokenPipeError, ConnectionResetError):  # the client gave up first (a refused size)
            pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.state = Files()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def files(server, monkeypatch) -> Files:
    monkeypatch.setattr(url_fetch, "RETRY_PAUSE", 0)
    server.state.reset()
    server.state.base = f"http://127.0.0.1:{server.server_address[1]}"
    return server.state


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_plain_download_lands_byte_identical_with_its_sha256(files, tmp_path):
    files.files["/m/model.safetensors"] = WEIGHTS
    seen = []
    path = fetch(f"{files.base}/m/model.safetensors", tmp_path / "models", sha256=sha(WEIGHTS).upper(),
                 progress=lambda f, m: seen.append((f, m)), label="Tiny")
    assert path == tmp_path / "models" / "model.safetensors"
    assert path.read_bytes() == WEIGHTS and sha256_of(path) == sha(WEIGHTS)
    assert not (tmp_path / "models" / "model.safetensors.part").exists()
    assert files.log == [("/m/model.safetensors", None)]
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) <= 110
    assert seen[0][1].startswith("Tiny: ")


def test_a_dropped_connection_resumes_with_a_range_request(files, tmp_path):
    files.files["/model.safetensors"] = WEIGHTS
    files.drop_after["/model.safetensors"] = 150_000
    path = fetch(f"{files.base}/model.safetensors", tmp_path, sha256=sha(WEIGHTS))
    assert path.read_bytes() == WEIGHTS
    assert len(files.log) == 2 and files.log[0][1] is None
    resumed_at = int(files.log[1][1].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= 150_000  # only the bytes of the read that was cut off are fetched again


def test_a_part_file_from_an_earlier_run_is_resumed(files, tmp_path):
    files.files["/model.safetensors"] = WEIGHTS
    (tmp_path / "model.safetensors.part").write_bytes(WEIGHTS[:1000])
    assert fetch(f"{files.base}/model.safetensors", tmp_path).read_bytes() == WEIGHTS
    assert files.log == [("/model.safetensors", "bytes=1000-")]


def test_a_server_that_ignores_the_range_restarts_the_file_from_zero(files, tmp_path):
    files.files["/model.safetensors"] = WEIGHTS
    files.no_ranges.add("/model.safetensors")
    (tmp_path / "model.safetensors.part").write_bytes(b"old bytes of another file")
    assert fetch(f"{files.base}/model.safetensors", tmp_path, sha256=sha(WEIGHTS)).read_bytes() == WEIGHTS
    assert files.log == [("/model.safetensors", "bytes=25-")]


def test_a_complete_part_file_is_verified_and_kept(files, tmp_path):
    files.files["/model.safetensors"] = WEIGHTS
    (tmp_path / "model.safetensors.part").write_bytes(WEIGHTS)  # the last run stopped before the rename
    assert fetch(f"{files.base}/model.safetensors", tmp_path, sha256=sha(WEIGHTS)).read_bytes() == WEIGHTS
    assert files.log == [("/model.safetensors", f"bytes={len(WEIGHTS)}-")]  # answered 416: nothing to send
    assert not (tmp_path / "model.safetensors.part").exists()


def test_a_connection_that_keeps_dropping_gives_up_after_the_retries(files, tmp_path):
    files.files["/model.safetensors"] = WEIGHTS
    files.length["/model.safetensors"] = len(WEIGHTS) + 10  # every answer ends before the size it claims
    with pytest.raises(VidgenError, match="check the internet connection") as e:
        fetch(f"{files.base}/model.safetensors", tmp_path, retries=2)
    assert len(files.log) == 3 and "\n" not in str(e.value)
    assert not (tmp_path / "model.safetensors").exists()


def test_a_hash_mismatch_is_refused_and_nothing_is_kept(files, tmp_path):
    files.files["/model.safetensors"] = WEIGHTS
    wrong = "ab" * 32
    with pytest.raises(VidgenError) as e:
        fetch(f"{files.base}/model.safetensors", tmp_path, sha256=wrong)
    message = str(e.value)
    assert "does not match the expected sha256" in message and "removed" in message
    assert wrong[:12] in message and sha(WEIGHTS)[:12] in message
    assert str(tmp_path) not in message and "\n" not in message
    assert not (tmp_path / "model.safetensors").exists() and not (tmp_path / "model.safetensors.part").exists()


def test_a_malformed_hash_is_refused_before_any_request(files, tmp_path):
    with pytest.raises(VidgenError, match="64 hexadecimal"):
        fetch(f"{files.base}/model.safetensors", tmp_path, sha256="abc123")
    assert files.log == []


def test_a_file_over_the_size_limit_is_refused_before_its_body(files, tmp_path):
    files.files["/big.safetensors"] = WEIGHTS
    files.length["/big.safetensors"] = 12_000_000_000  # what the header says is what is refused
    seen = []
    with pytest.raises(VidgenError, match="raise the size limit") as e:
        fetch(f"{files.base}/big.safetensors", tmp_path, max_bytes=1_000_000, progress=lambda f, m: seen.append(f))
    assert "12.0 GB" in str(e.value) and "1.0 MB" in str(e.value)
    assert seen == []  # not one byte of the body was counted
    assert len(files.log) == 1
    assert not (tmp_path / "big.safetensors").exists() and not (tmp_path / "big.safetensors.part").exists()


def test_a_body_with_no_size_is_cut_at_the_limit(files, tmp_path):
    files.files["/big.safetensors"] = WEIGHTS
    files.length["/big.safetensors"] = None  # no Content-Length: only the stream shows the size
    with pytest.raises(VidgenError, match="more than .* over the size limit of 0.1 MB: raise the size limit"):
        fetch(f"{files.base}/big.safetensors", tmp_path, max_bytes=100_000)
    assert list(tmp_path.iterdir()) == []
    # with room enough, the same answer downloads whole
    assert fetch(f"{files.base}/big.safetensors", tmp_path, max_bytes=10_000_000).read_bytes() == WEIGHTS


def test_a_pickle_checkpoint_needs_the_users_permission(files, tmp_path):
    ckpt = b"\x80\x04\x95" + bytes(100)  # a pickle's opening bytes; never loaded
    files.files["/v1-5.ckpt"] = ckpt
    with pytest.raises(VidgenError) as e:
        fetch(f"{files.base}/v1-5.ckpt", tmp_path)
    message = str(e.value)
    assert "can run code" in message and "never unpickles" in message
    assert ".safetensors" in message and "allow-pickle" in message
    assert files.log == [] and list(tmp_path.iterdir()) == []
    assert fetch(f"{files.base}/v1-5.ckpt", tmp_path, allow_pickle=True).read_bytes() == ckpt
    assert check_format("v1-5.ckpt", allow_pickle=True) is True
    assert check_format("model.safetensors", allow_pickle=False) is False
    for name in ("a.pt", "a.pth", "a.pkl", "pytorch_model.bin"):
        with pytest.raises(VidgenError, match="pickle"):
            check_format(name, allow_pickle=False)
    with pytest.raises(VidgenError, match=r"\.safetensors, \.onnx"):
        check_format("setup.exe", allow_pickle=True)


def test_only_https_or_this_machine_over_http():
    assert check_url("  https://huggingface.co/x/resolve/main/m.safetensors \n").startswith("https://")
    for url in ("http://127.0.0.1:8000/m.onnx", "http://localhost/m.onnx", "http://[::1]:9/m.onnx"):
        assert check_url(url) == url
    for url in ("http://example.com/m.safetensors", "ftp://example.com/m.safetensors", "example.com/m.onnx",
                "file:///etc/passwd", "https:///m.onnx", ""):
        with pytest.raises(VidgenError, match="use an https:// URL"):
            check_url(url)


def test_http_to_another_host_is_refused_without_a_request(tmp_path):
    with pytest.raises(VidgenError, match="https"):
        fetch("http://example.com/model.safetensors", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_file_name_comes_from_the_url_and_stays_in_its_folder():
    assert file_name("https://h/r/resolve/main/unet/diffusion%20model.safetensors?download=true") == \
        "diffusion model.safetensors"
    for url in ("https://h/", "https://h/a/..", "https://h/a/%2e%2e%2fetc%2fpasswd.json", "https://h/.bashrc",
                "https://h/a%5Cb.onnx", "https://h/a%2Fb.onnx", "https://h/a%00.onnx"):
        with pytest.raises(VidgenError, match="file name"):
            file_name(url)


def test_a_renamed_file_is_caught_by_its_content(files, tmp_path):
    zipped = b"PK\x03\x04" + bytes(200)  # a torch .pt (a zip of pickles) renamed .safetensors
    files.files["/model.safetensors"] = zipped
    with pytest.raises(VidgenError, match="model.safetensors is not a valid .safetensors file .*zip or pickle"):
        fetch(f"{files.base}/model.safetensors", tmp_path, sha256=sha(zipped))
    assert list(tmp_path.iterdir()) == []
    files.files["/page.safetensors"] = b"<!doctype html><html>Sign in</html>"  # a login page, not the file
    with pytest.raises(VidgenError, match="not a web page"):
        fetch(f"{files.base}/page.safetensors", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_content_check_of_each_format(tmp_path):
    def check(name: str, data: bytes) -> None:
        (tmp_path / "f").write_bytes(data)
        check_content(tmp_path / "f", name)

    check("m.safetensors", WEIGHTS)
    check("c.json", json.dumps({"a": 1}).encode())
    check("s.sf2", b"RIFF\x00\x01\x00\x00sfbkLIST")
    check("s.sf3", b"RIFF\x00\x01\x00\x00sfbkLIST")
    check("m.onnx", b"\x08\x07\x12\x04test")
    check("m.gguf", b"GGUF\x03\x00\x00\x00")
    bad = [("m.safetensors", b"\x80\x04\x95" + bytes(20)), ("m.safetensors", (10**9).to_bytes(8, "little") + b"{}"),
           ("m.safetensors", b""), ("c.json", b"{not json"), ("c.json", b"\xff\xfe"), ("s.sf2", b"RIFF\0\0\0\0WAVE"),
           ("m.onnx", b"PK\x03\x04"), ("m.gguf", b"GGML")]
    for name, data in bad:
        with pytest.raises(VidgenError, match=f"{name} is not a valid"):
            check(name, data)


def test_an_existing_complete_file_returns_without_a_request(files, tmp_path):
    (tmp_path / "model.safetensors").write_bytes(WEIGHTS)
    url = f"{files.base}/model.safetensors"
    assert fetch(url, tmp_path, sha256=sha(WEIGHTS)).read_bytes() == WEIGHTS
    assert fetch(url, tmp_path).read_bytes() == WEIGHTS  # no hash to compare: what is there is kept
    assert files.log == []
    # a file that does not match the hash is replaced by the server's
    (tmp_path / "model.safetensors").write_bytes(b"stale")
    files.files["/model.safetensors"] = WEIGHTS
    assert fetch(url, tmp_path, sha256=sha(WEIGHTS)).read_bytes() == WEIGHTS
    assert files.log == [("/model.safetensors", None)]


def test_http_errors_and_an_unreachable_server_are_one_line(files, tmp_path):
    with pytest.raises(VidgenError, match="HTTP 404 for missing.safetensors: check the URL"):
        fetch(f"{files.base}/missing.safetensors", tmp_path)
    files.status["/gated.safetensors"] = 403
    with pytest.raises(VidgenError, match="HTTP 403 for gated.safetensors"):
        fetch(f"{files.base}/gated.safetensors", tmp_path)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(VidgenError, match="check the internet connection") as e:
        fetch(f"http://127.0.0.1:{port}/model.safetensors", tmp_path, retries=1, timeout=2)
    assert "\n" not in str(e.value) and str(tmp_path) not in str(e.value)
    assert list(tmp_path.iterdir()) == []


def test_sha256_of_reads_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(url_fetch, "CHUNK", 1000)
    data = bytes(range(256)) * 50
    (tmp_path / "f.bin").write_bytes(data)
    assert sha256_of(Path(tmp_path / "f.bin")) == sha(data)
