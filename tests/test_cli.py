"""Bad input gets a one-line error and a non-zero exit; the store stays valid, earlier projects untouched."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vidgen.config import Settings
from vidgen.pipeline import create_project
from vidgen.store import Store

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vidgen", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture()
def data(tmp_path):
    """A data folder that already holds one project."""
    d = tmp_path / "data"
    store = Store(Settings.from_env(d))
    project = create_project(store, "The river ran quiet under the old stone bridge.")
    before = (d / "vidgen.json").read_bytes()
    return d, project.id, before


def assert_clean_failure(proc, data, *, words: str) -> None:
    d, project_id, before = data
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    assert words.lower() in lines[0].lower(), lines[0]
    assert "Traceback" not in proc.stderr
    listed = run("projects", "--json", "--data", str(d))
    assert listed.returncode == 0, listed.stderr
    assert project_id in {p["id"] for p in json.loads(listed.stdout)}


@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (b"   \n\t\n  \r\n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
    (b"!!! ??? ... --- *** ###\n\n~~~ ///", "no recognisable scene"),
])
def test_bad_scripts(tmp_path, data, content, words):
    script = tmp_path / "bad.txt"
    script.write_bytes(content)
    assert_clean_failure(run("render", str(script), "--data", str(data[0])), data, words=words)


def test_script_over_the_size_limit(tmp_path, data):
    script = tmp_path / "huge.txt"
    script.write_text("A sentence that goes on. " * 20000)
    assert_clean_failure(run("render", str(script), "--data", str(data[0])), data, words="limit")


def test_missing_script(tmp_path, data):
    assert_clean_failure(run("render", str(tmp_path / "nope.txt"), "--data", str(data[0])), data, words="not found")


@pytest.mark.parametrize("option, value, words", [
    ("--aspect", "4:3", "--aspect"),
    ("--resolution", "4k", "--resolution"),
    ("--transition", "spin", "--transition"),
    ("--fps", "0", "fps"),
    ("--fps", "fast", "--fps"),
    ("--voice", "robot", "voice"),
    ("--quality", "ultra", "--quality"),
])
def test_unknown_option_values(data, option, value, words):
    proc = run("render", "examples/lighthouse.txt", option, value, "--data", str(data[0]))
    assert_clean_failure(proc, data, words=words)


def test_unreadable_music_file(tmp_path, data):
    fake = tmp_path / "song.mp3"
    fake.write_text("this is not music")
    proc = run("render", "examples/lighthouse.txt", "--music", str(fake), "--data", str(data[0]))
    assert_clean_failure(proc, data, words="music")


def test_output_must_be_mp4(data):
    proc = run("render", "examples/lighthouse.txt", "-o", "out/film.avi", "--data", str(data[0]))
    assert_clean_failure(proc, data, words=".mp4")


def test_resume_unknown_job(data):
    assert_clean_failure(run("resume", "nosuchjob", "--data", str(data[0])), data, words="nosuchjob")


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux unshare for a private tmpfs")
def test_full_disk_while_rendering(tmp_path):
    """A real full disk: a 3 MB tmpfs in a private mount namespace."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    py = sys.executable
    script = f"""
set -u
mount -t tmpfs -o size=3m tmpfs {mnt} || exit 77
{py} -c 'from vidgen.config import Settings; from vidgen.store import Store; from vidgen.pipeline import create_project; print(create_project(Store(Settings.from_env("{mnt}/data")), "A quiet morning by the sea.").id)' > {tmp_path}/first.txt || exit 78
{py} -m vidgen render examples/lighthouse.txt --data {mnt}/data -o {mnt}/film.mp4 -q 2> {tmp_path}/err.txt
echo $? > {tmp_path}/rc.txt
{py} -m vidgen projects --json --data {mnt}/data > {tmp_path}/projects.json 2> {tmp_path}/projects.err
echo $? > {tmp_path}/rc2.txt
"""
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    if proc.returncode == 77 or "Operation not permitted" in proc.stderr:
        pytest.skip("this machine does not allow a private tmpfs mount")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "rc.txt").read_text().strip() != "0"
    err = (tmp_path / "err.txt").read_text().strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "disk full" in err[0].lower(), err
    assert (tmp_path / "rc2.txt").read_text().strip() == "0", (tmp_path / "projects.err").read_text()
    ids = {p["id"] for p in json.loads((tmp_path / "projects.json").read_text())}
    assert (tmp_path / "first.txt").read_text().strip() in ids


LONG_TITLE = "x" * 10_000


@pytest.mark.parametrize("command", ["render", "parse"])
def test_a_title_over_the_limit_is_refused_with_the_studios_words(data, command):
    """One title limit (edits.MAX_TITLE) and the same words as the API's, for render and parse alike."""
    from vidgen.edits import MAX_TITLE, title_of
    from vidgen.errors import VidgenError

    with pytest.raises(VidgenError) as studio_error:
        title_of(LONG_TITLE)
    proc = run(command, "examples/lighthouse.txt", "--title", LONG_TITLE, "--data", str(data[0]))
    assert_clean_failure(proc, data, words=f"use at most {MAX_TITLE}")
    assert proc.stderr.strip() == f"error: {studio_error.value}"


def test_parse_keeps_a_title_within_the_limit_as_given(data):
    title = "A title of a hundred and some characters, longer than the eighty the parser cuts its own titles at"
    proc = run("parse", "examples/lighthouse.txt", "--title", f"  {title} ", "--json", "--data", str(data[0]))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["title"] == title


def test_the_command_line_may_name_its_own_voice_files(tmp_path, data):
    """Voice files ("piper:/path.onnx") are refused to the studio's callers, not to the CLI: here the
    file is looked at (and reported missing by name), not refused as a server path."""
    missing = tmp_path / "mine.onnx"
    proc = run("render", "examples/lighthouse.txt", "--voice", f"piper:{missing}", "--data", str(data[0]))
    assert_clean_failure(proc, data, words="not found")
    assert "command line" not in proc.stderr
