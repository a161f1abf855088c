"""Issue 12 through the studio, the CLI and the API: the project's script reader (rules or an LLM
served by Ollama, here a STAND-IN server: tests/ollama_standin.py, not Ollama), its answer cached as
a step, the reader's notes said before any render, and writing a script from a topic."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vidgen.config import Settings
from vidgen.errors import VidgenError
from vidgen.models import ollama_server
from vidgen.studio import Studio

from tests.ollama_standin import dead_host, running
from tests.test_llm_reader import BAKER

ROOT = Path(__file__).resolve().parents[1]
SILENT = {"resolution": "480p", "fps": 12, "quality": "draft", "voice": "none"}


@pytest.fixture()
def standin(monkeypatch):
    """The stand-in Ollama server, found the way a user's is: through OLLAMA_HOST."""
    with running() as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        yield server


@pytest.fixture()
def studio(tmp_path):
    s = Studio(Settings.from_env(tmp_path / "data"), threads=False)
    yield s
    s.shutdown(timeout=10)


def cli(*args: str, env_host: str = "", data: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OLLAMA_HOST": env_host} if env_host else None
    return subprocess.run([sys.executable, "-m", "vidgen", *args, "--data", str(data)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_an_llm_reads_the_project_once_and_the_answer_is_cached(standin, studio, monkeypatch):
    standin.answers = ["reader_baker.json"]
    first = studio.parse_script(BAKER, "", {"parser": "llama3.1-8b"})  # the registry's record of llama3.1:8b
    assert first["parser"] == "llama3.1:8b" and first["scenes"][0]["weather"] == "rain"
    assert [ln["delivery"] for ln in first["scenes"][0]["lines"]] == ["whispered", "warm"]
    project = studio.create_project(BAKER, "", {**SILENT, "parser": "ollama:llama3.1:8b"})
    assert len(standin.chats()) == 1  # the same model and text: from the step cache
    assert project["scenes"][1]["weather"] == "fog" and project["settings"]["parser"] == "ollama:llama3.1:8b"
    rules = studio.parse_script(BAKER)
    assert rules["parser"] == "rules" and len(standin.chats()) == 1
    standin.models["llama3.1:8b"]["digest"] = "f" * 64  # the tag pulled again: another model under that name
    ollama_server.local_models()  # the server's list read again (it is cached for a few seconds)
    standin.answers = ["reader_baker.json"]
    studio.parse_script(BAKER, "", {"parser": "llama3.1-8b"})
    assert len(standin.chats()) == 2  # read again by the new weights
    monkeypatch.setenv("OLLAMA_HOST", dead_host())  # the server stopped: the kept reading still serves
    assert studio.parse_script(BAKER, "", {"parser": "llama3.1-8b"})["scenes"] == first["scenes"]
    assert [[ln["text"] for ln in s["lines"]] for s in rules["scenes"]] == \
        [[ln["text"] for ln in s["lines"]] for s in first["scenes"]]  # the words are the script's either way


def test_a_reader_that_is_not_an_llm_or_has_no_server_is_one_line(studio, monkeypatch):
    with pytest.raises(VidgenError, match="is an image model, not an LLM model"):
        studio.parse_script(BAKER, "", {"parser": "sdxl-turbo"})
    with pytest.raises(VidgenError, match=r"ollama:TAG"):
        studio.create_project(BAKER, "", {"parser": "ollama:"})
    monkeypatch.setenv("OLLAMA_HOST", dead_host())
    with pytest.raises(VidgenError, match="No Ollama server answers at .*ollama serve") as e:
        studio.parse_script(BAKER, "", {"parser": "llama3.1-8b"})
    assert "\n" not in str(e.value)
    assert studio.list_projects() == []  # nothing saved


def test_the_cli_parses_and_writes_with_an_llm(standin, tmp_path):
    data = tmp_path / "data"
    script = tmp_path / "baker.fountain"
    script.write_text(BAKER)
    standin.answers = ["reader_baker.json"]
    done = cli("parse", str(script), "--parser", "llama3.1-8b", env_host=standin.host, data=data)
    assert done.returncode == 0, done.stderr
    assert "read by llama3.1:8b" in done.stdout and "3 scenes" in done.stdout
    standin.temperature = 0.7  # the writer's
    standin.answers = ["writer_narrated.json"]
    out = tmp_path / "written.txt"
    done = cli("write", "how a village bakery starts its day", "--minutes", "2", "--model", "llama3.1-8b",
               "-o", str(out), "-q", env_host=standin.host, data=data)
    assert done.returncode == 0, done.stderr
    assert f"python -m vidgen render {out}" in done.stdout
    back = cli("parse", str(out), "--json", data=data)
    assert back.returncode == 0 and '"form": "headings"' in back.stdout
    down = cli("write", "a topic", env_host=dead_host(), data=data)
    err = down.stderr.strip().splitlines()
    assert down.returncode == 1 and len(err) == 1 and "needs a local LLM" in err[0] and "ollama serve" in err[0]


def test_notes_are_said_before_any_render(tmp_path):
    """A script with text but no spoken line is said so on its own line before the render starts."""
    script = tmp_path / "silent.md"
    script.write_text("**ON SCREEN:** A village at sunrise.\n\n**B-ROLL:** Mist drifts over the roofs.\n")
    done = cli("render", str(script), "-o", str(tmp_path / "f.mp4"), "-q", *sum(
        ([f"--{k}", str(v)] for k, v in SILENT.items()), []), data=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    notes = [ln for ln in done.stderr.splitlines() if ln.startswith("note: ")]
    assert notes and any("no spoken line" in n for n in notes), done.stderr


def test_write_script_validates_before_calling_a_model(studio, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", dead_host())
    for kwargs, words in [({"topic": " "}, "Write a topic"), ({"topic": "x" * 3000}, "the limit is 2,000"),
                          ({"topic": "bread", "form": "poem"}, "Unknown script form"),
                          ({"topic": "bread", "minutes": 90}, "0.25 to 30 minutes"),
                          ({"topic": "bread", "language": "klingon"}, "ISO 639-1"),
                          ({"topic": "bread", "model": "rules"}, "The rules cannot write a script")]:
        topic = kwargs.pop("topic")
        with pytest.raises(VidgenError, match=words):
            studio.write_script(topic, **kwargs)


def test_models_the_server_has_beyond_the_records_can_be_picked(standin, studio, tmp_path):
    from tests.ollama_standin import model_row

    standin.models["mistral:7b"] = model_row("mistral:7b", size=4_100_000_000, family="mistral")
    choices = {m["id"]: m for m in studio.model_choices("llm")}
    assert "ollama:mistral:7b" in choices and "ollama:llama3.1:8b" not in choices  # that one has a record
    assert choices["llama3.1-8b"]["name"] and choices["rules"]["builtin"]
    listed = cli("models", "list", "--kind", "llm", env_host=standin.host, data=tmp_path / "d")
    assert listed.returncode == 0 and "also on the Ollama server" in listed.stdout and "mistral:7b (4.1 GB)" in listed.stdout
    standin.answers = ["reader_baker.json"]
    assert studio.parse_script(BAKER, "", {"parser": "ollama:mistral:7b"})["parser"] == "mistral:7b"


def test_a_reading_that_fell_back_is_not_cached(standin, studio):
    standin.answers = ["reader_invalid_json.json", "reader_baker.json"]
    first = studio.parse_script(BAKER, "", {"parser": "llama3.1-8b"})
    assert any("read by the rules instead" in n for n in first["notes"])
    again = studio.parse_script(BAKER, "", {"parser": "llama3.1-8b"})
    assert len(standin.chats()) == 2 and again["scenes"][0]["weather"] == "rain" and not again["notes"]
    studio.parse_script(BAKER, "", {"parser": "llama3.1-8b"})
    assert len(standin.chats()) == 2  # the full reading is kept
