"""One model file from a direct URL: https only, a safe file name, a format that cannot run code
unless the user allows it, resumable, size-capped and sha256-checked.

The file is written to `<name>.part` and renamed to `<name>` only once it passed every check, so
a file under its final name is always a complete, verified one. Nothing here executes or unpickles
what it downloads: the content check reads a few bytes (or parses JSON) and nothing more.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import unquote, urlsplit

from ..errors import VidgenError
from .records import SHA256

if TYPE_CHECKING:
    import requests

Progress = Callable[[float, str], None]

CHUNK = 1 << 20  # 1 MiB: hashing
READ = 1 << 16  # 64 KiB network reads: a read cut off mid-way loses its bytes, so a resume redoes at most this
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}  # plain http only to this machine (tests, a local mirror)
RETRY_PAUSE = 0.5  # seconds times the attempt number before a retry; tests set it to 0
SAFETENSORS_HEADER_MAX = 100_000_000  # the cap the safetensors library itself puts on its header

# Formats whose loaders only read data. .sf3 is an .sf2 with compressed samples (same RIFF/sfbk head).
SAFE_SUFFIXES = (".safetensors", ".onnx", ".json", ".sf2", ".sf3", ".gguf")
# Pickle formats: loading one (torch.load, pickle.load) can run any code the file holds.
PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth", ".pkl", ".bin")



class _Dropped(Exception):  # the connection failed or broke off: retry from the bytes already written
    pass


# ----------------------------------------------------------------------------- checks before any request

def check_url(url: str) -> str:
    """`url` stripped, when it is https (or http to this machine); the URL is never echoed, it may hold a token."""
    url = (url or "").strip()
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if (scheme == "https" and host) or (scheme == "http" and host in LOCAL_HOSTS):
        return url
    given = f"an {scheme}:// URL" if scheme else "no URL scheme"
    raise VidgenError(f"Model files are downloaded over https only ({given} given): use an https:// URL.")


def file_name(url: str) -> str:
    """The URL's last path part, unquoted: the name the file is saved under, so it must stay in its folder."""
    name = unquote(urlsplit(url.strip()).path.rsplit("/", 1)[-1])
    if not name:
        raise VidgenError("The URL does not end in a file name: use a direct link to the file, "
                          "such as https://example.com/model.safetensors.")
    unsafe = ("/" in name or "\\" in name or ".." in name or name.startswith(".") or len(name) > 255
              or any(ord(c) < 32 for c in name))
    if unsafe:
        raise VidgenError(f"The file name {name!r} at the end of the URL is not safe to save: use a direct link "
                          "whose last part is a plain file name, such as model.safetensors.")
    return name


def check_format(name: str, *, allow_pickle: bool) -> bool:
    """True when `name` is a pickle format the user allowed (the caller logs a warning); False when it is
    a safe format; a VidgenError for a pickle format not allowed, or a suffix vidgen does not take."""
    suffix = Path(name).suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        if allow_pickle:
            return True
        raise VidgenError(f"{name} is a pickle file ({suffix}), which can run code when it is loaded, and vidgen "
                          "never unpickles a file without your explicit permission: use a .safetensors file, "
                          "or pass the allow-pickle option if you trust where it comes from.")
    if suffix in SAFE_SUFFIXES:
        return False
    raise VidgenError(f"{name} is not a model file vidgen takes: use a {', '.join(SAFE_SUFFIXES)} file "
                      f"({', '.join(PICKLE_SUFFIXES)} only with the allow-pickle option).")


def _expected_hash(sha256: str) -> str:
    want = (sha256 or "").strip().lower()
    if want and not SHA256.match(want):
        raise VidgenError("The expected sha256 is not 64 hexadecimal characters: copy the full hash of the file.")
    return want


# ----------------------------------------------------------------------------- checks after the download

def _not_what_it_says(name: str, why: str = "its content does not match its name") -> VidgenError:
    return VidgenError(f"{name} is not a valid {Path(name).suffix.lower()} file ({why}): check that the URL "
                       "points to the file itself, not a web page or another format renamed.")


def check_content(path: Path | str, name: str) -> None:
    """Sniff the first bytes of the file at `path` (saved as `name`) so a renamed file is caught
    before anything loads it. Pickle formats the user allowed are not sniffed: they can be anything."""
    path = Path(path)
    suffix = Path(name).suffix.lower()
    size = path.stat().st_size
    if size == 0:
        raise _not_what_it_says(name, "it is empty")
    with path.open("rb") as f:
        head = f.read(16)
        if suffix == ".safetensors":
            if head.startswith(b"PK\x03\x04") or head.startswith(b"\x80"):
                # a torch zip or a raw pickle renamed: the one disguise that would run code when loaded
                raise _not_what_it_says(name, "it is a zip or pickle archive, which can run code when loaded")
            n = int.from_bytes(head[:8], "little") if len(head) >= 8 else 0
            if not (2 <= n <= min(size - 8, SAFETENSORS_HEADER_MAX)) or head[8:9] != b"{":
                raise _not_what_it_says(name)
            f.seek(8)
            try:
                header = json.loads(f.read(n))
            except ValueError:
                header = None
            if not isinstance(header, dict):
                raise _not_what_it_says(name, "its header is not a JSON object")
        elif suffix == ".json":
            f.seek(0)
            try:
                json.load(f)
            except ValueError:  # UnicodeDecodeError is a ValueError too
                raise _not_what_it_says(name, "it does not parse as JSON") from None
        elif suffix in (".sf2", ".sf3"):
            if head[:4] != b"RIFF" or head[8:12] != b"sfbk":
                raise _not_what_it_says(name)
        elif suffix == ".onnx":
            if head[:1] != b"\x08":  # a ModelProto starts with field 1 (ir_version), a varint
                raise _not_what_it_says(name)
        elif suffix == ".gguf":
            if head[:4] != b"GGUF":
                raise _not_what_it_says(name)


def sha256_of(path: Path | str) -> str:
    """The file's sha256 in hex, read in 1 MiB chunks (model files do not fit in memory)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _size(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


def _too_big(name: str, size: int, limit: int, more: bool = False) -> VidgenError:
    return VidgenError(f"{name} is {'more than ' if more else ''}{_size(size)}, over the size limit of "
                       f"{_size(limit)}: raise the size limit to download it.")


# ----------------------------------------------------------------------------- the download

class _Reporter:
    """Calls `progress(fraction, message)` at most every 1% or 0.5 s, so a UI is not flooded."""

    def __init__(self, progress: Progress | None, label: str):
        self.progress, self.label = progress, label
        self.last_fraction, self.last_time = -1.0, 0.0

    def __call__(self, done: int, total: int, *, force: bool = False) -> None:
        if self.progress is None:
            return
        fraction = min(done / total, 1.0) if total else 0.0
        now = time.monotonic()
        if force or fraction - self.last_fraction >= 0.01 or now - self.last_time >= 0.5:
            self.last_fraction, self.last_time = fraction, now
            of = f" of {total / 1e6:.1f}" if total else ""
            self.progress(fraction, f"{self.label}: {done / 1e6:.1f}{of} MB")


def _http_error(status: int, name: str) -> VidgenError:
    hint = ("the file needs a login or token the URL does not carry; use a public direct link" if status in (401, 403)
            else "the server is busy or failing; try again later" if status == 429 or status >= 500
            else "check the URL")
    return VidgenError(f"The server answered HTTP {status} for {name}: {hint}.")


def _total_of(resp: requests.Response) -> tuple[int, int]:
    """(where this body starts, the whole file's size or 0 when unknown) from a 200 or 206 answer."""
    if resp.status_code == 206:
        m = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", resp.headers.get("Content-Range", "").strip())
        if not m:
            raise _Dropped("a 206 answer without a usable Content-Range")
        return int(m.group(1)), (0 if m.group(2) == "*" else int(m.group(2)))
    length = resp.headers.get("Content-Length", "")
    return 0, (int(length) if length.isdigit() else 0)


def _stream(session: requests.Session, url: str, part: Path, name: str, *, max_bytes: int,
            timeout: float, report: _Reporter) -> None:
    """One request: resume `part` where it stops (or start it), and stream the body onto it."""
    import requests  # on the first download only: importing vidgen stays free of it

    have = part.stat().st_size if part.exists() else 0
    # identity: a compressed body would make byte offsets, Content-Length and the hash disagree
    headers = {"Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        resp = session.get(url, headers=headers, stream=True, timeout=(timeout, timeout))
    except requests.Timeout:
        raise _Dropped("timed out") from None
    except requests.ConnectionError:
        raise _Dropped("could not connect") from None
    with resp:
        if resp.history:
            check_url(resp.url)  # a redirect may not downgrade to plain http
        if resp.status_code == 416 and have:
            # the .part is already whole (or longer than the file): verify it, or start over
            m = re.fullmatch(r"bytes \*/(\d+)", resp.headers.get("Content-Range", "").strip())
            if m and int(m.group(1)) == have:
                return
            part.unlink()
            raise _Dropped("the partial file did not fit the server's")
        if resp.status_code not in (200, 206):
            raise _http_error(resp.status_code, name)
        start, total = _total_of(resp)
        if resp.status_code == 206 and start != have:
            part.unlink()  # the server resumed somewhere else: trust nothing of it, start over
            raise _Dropped("the server resumed at another offset")
        if resp.status_code == 200:
            have = 0  # the server ignored the Range (or there was none): the body is the whole file
        if max_bytes > 0 and total > max_bytes:
            part.unlink(missing_ok=True)
            raise _too_big(name, total, max_bytes)  # before a byte of the body is read
        done = have
        try:
            with part.open("ab" if have else "wb") as out:
                for chunk in resp.iter_content(READ):
                    done += len(chunk)
                    if max_bytes > 0 and done > max_bytes:  # the server sent no (or a false) size
                        out.close()
                        part.unlink(missing_ok=True)
                        raise _too_big(name, done, max_bytes, more=True)
                    out.write(chunk)
                    report(done, total)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError):
            raise _Dropped("it broke off mid-file") from None
        except OSError as e:  # the disk, not the network: requests' own errors were caught above
            raise VidgenError(f"Could not save {name} ({e.strerror or e}): free up disk space or "
                              "choose another models folder.") from None
        if total and done != total:
            raise _Dropped("it broke off mid-file")
        report(done, total, force=True)


def fetch(url: str, folder: Path | str, *, sha256: str = "", max_bytes: int = 0, allow_pickle: bool = False,
          progress: Progress | None = None, timeout: float = 30, retries: int = 3, label: str = "") -> Path:
    """Download the file at `url` into `folder` under its URL's name and return its path.

    An existing file that matches `sha256` (or any existing file when no hash is given) is returned
    without a request. With no `sha256`, the caller records `sha256_of(path)` of what came back."""
    url = check_url(url)
    name = file_name(url)
    check_format(name, allow_pickle=allow_pickle)
    want = _expected_hash(sha256)
    folder = Path(folder)
    final, part = folder / name, folder / f"{name}.part"
    if final.is_file() and (not want or sha256_of(final) == want):
        return final
    folder.mkdir(parents=True, exist_ok=True)
    report = _Reporter(progress, label or name)
    failures = 0
    import requests

    with requests.Session() as session:
        session.headers["User-Agent"] = "vidgen"
        while True:
            try:
                _stream(session, url, part, name, max_bytes=max_bytes, timeout=timeout, report=report)
                break
            except _Dropped as e:
                failures += 1
                if failures > retries:
                    raise VidgenError(f"Could not download {name}: the connection failed {failures} times (last: {e}); "
                                      "check the internet connection and try again (it resumes where it "
                                      "stopped).") from None
                time.sleep(RETRY_PAUSE * failures)
    try:
        check_content(part, name)
    except VidgenError:
        part.unlink(missing_ok=True)  # not resumable: the bytes already there are the wrong file
        raise
    if want:
        if progress is not None:
            progress(1.0, f"{label or name}: checking sha256")
        got = sha256_of(part)
        if got != want:
            part.unlink(missing_ok=True)
            raise VidgenError(f"{name} does not match the expected sha256 (expected {want[:12]}…, got {got[:12]}…) "
                              "and was removed: check the URL and the hash.")
    os.replace(part, final)  # atomic in one folder: the final name only ever holds a verified file
    return final
