"""Checking a downloaded hub model's files against the hashes the hub published for them.

In the HF cache each file of a snapshot is a link to `blobs/<etag>`, and the etag is the hash the
hub published when the file was downloaded: the SHA-256 of an LFS file (the weights), the git blob
SHA-1 of a small one (configs). So a file is checked with no network by hashing its blob and
comparing with its name. A snapshot without links (copied folders, Windows without symlinks) is
checked against the hub's metadata when it answers. A record's own `sha256` (the Wav2Lip weights)
is checked too. Reading is streamed: a 10 GB file costs 1 MiB of memory.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

from ..errors import VidgenError
from .records import COMMIT as GIT_SHA1, SHA256, ModelSpec

log = logging.getLogger(__name__)

CHUNK = 1 << 20


def _digest(path: Path, algo: str, *, git_blob: bool = False) -> str:
    h = hashlib.new(algo)
    if git_blob:  # git hashes a header before the bytes
        h.update(b"blob %d\0" % path.stat().st_size)
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def check_file(path: Path, expected: str) -> tuple[bool, str]:
    """(matches, what was compared) for a file and a published hash (SHA-256, or git's blob SHA-1)."""
    expected = expected.lower()
    if SHA256.match(expected):
        got = _digest(path, "sha256")
        return got == expected, "sha256 matches" if got == expected else f"sha256 {got[:12]}… is not {expected[:12]}…"
    if GIT_SHA1.match(expected):
        got = _digest(path, "sha1", git_blob=True)
        return got == expected, "git hash matches" if got == expected else f"git hash {got[:12]}… is not {expected[:12]}…"
    raise VidgenError(f"'{expected}' is neither a SHA-256 nor a git hash.")


def _published(spec: ModelSpec, names: list[str]) -> dict[str, str]:
    """file -> the hash the hub publishes for it (LFS sha256, else git blob id); {} when it does not answer."""
    try:
        from huggingface_hub import HfApi

        infos = HfApi(token=os.environ.get("HF_TOKEN") or None).get_paths_info(
            spec.repo, names, revision=spec.revision or "main")
    except Exception as exc:  # offline, unreachable, gated: nothing to compare with
        log.info("no hub metadata for %s: %s", spec.repo, exc)
        return {}
    out = {}
    for info in infos:
        lfs = getattr(info, "lfs", None)
        sha = getattr(lfs, "sha256", "") if lfs is not None else ""
        out[info.path] = sha or getattr(info, "blob_id", "") or ""
    return out


def snapshot_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def verify_snapshot(spec: ModelSpec, folder: Path) -> list[dict[str, Any]]:
    """Each file of a snapshot: {file, ok (True, False, or None when no hash is known), reason}."""
    rows: list[dict[str, Any]] = []
    unlinked: list[Path] = []
    for path in snapshot_files(folder):
        name = path.relative_to(folder).as_posix()
        blob = Path(os.path.realpath(path))
        if path.is_symlink() and (SHA256.match(blob.name) or GIT_SHA1.match(blob.name)):
            ok, reason = check_file(blob, blob.name)
            rows.append({"file": name, "ok": ok, "reason": reason, "blob": str(blob)})
        else:
            unlinked.append(path)
    if unlinked:
        published = _published(spec, [p.relative_to(folder).as_posix() for p in unlinked])
        for path in unlinked:
            name = path.relative_to(folder).as_posix()
            expected = published.get(name, "")
            if expected:
                ok, reason = check_file(path, expected)
                rows.append({"file": name, "ok": ok, "reason": reason})
            else:
                rows.append({"file": name, "ok": None, "reason": "no published hash at hand (not a cache link, "
                                                                  "and the hub did not answer)"})
    if spec.weights and spec.sha256:  # the record's own hash of its weights
        path = folder / spec.weights
        if path.is_file():
            ok, reason = check_file(path, spec.sha256[0])
            rows.append({"file": spec.weights, "ok": ok, "reason": f"{reason} (the record's hash)"})
    rows.sort(key=lambda r: r["file"])
    return rows


def remove_bad(rows: list[dict[str, Any]], folder: Path) -> list[str]:
    """Delete the files that failed (the link and its blob), so the next download fetches them again."""
    bad = [r for r in rows if r["ok"] is False]
    for r in bad:
        path = folder / r["file"]
        for target in (r.get("blob"), path):
            if target:
                try:
                    os.remove(target)
                except OSError:
                    pass
    return [r["file"] for r in bad]


def check_download(spec: ModelSpec, folder: Path) -> list[dict[str, Any]]:
    """Verify a download just made; a file that fails is removed and the answer says to fetch it again."""
    rows = verify_snapshot(spec, folder)
    bad = remove_bad(rows, folder)
    if bad:
        raise VidgenError(f"{spec.name}: {', '.join(bad[:3])}{' …' if len(bad) > 3 else ''} did not match the "
                          f"published hash and {'was' if len(bad) == 1 else 'were'} removed: run `python -m vidgen "
                          f"models download {spec.id}` again (a damaged mirror or disk gives this).")
    return rows
