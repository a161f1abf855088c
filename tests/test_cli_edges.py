"""The command line's rough edges a new user hits: help and defaults of every flag, the models
table, a reader that closes the pipe, progress in a log, and "1 scene"."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from vidgen.cli import build_parser, main, models as models_cli, settings_flags
from vidgen.cli.progress import StageBars
from vidgen.domain import ProgressEvent
from vidgen.render_settings import SETTINGS, Setting
from vidgen.text import count

ROOT = Path(__file__).resolve().parents[1]
DRAFT = ["--resolution", "480p", "--fps", "12", "--quality", "draft", "--music", "none"]
ONE_SCENE = "Scene 1: The harbour\nNarrator: Boats rocked gently in the morning light.\n"


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return subprocess.run([sys.executable, "-m", "vidgen", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**base, **(env or {})})


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command words, parser) of every command and subcommand."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from commands(sub, (*path, name))


def help_entries(text: str) -> dict[str, str]:
    """Each argument's help text, under each of its names, from argparse's --help output: an entry
    line is indented by two spaces ("  -o OUT.mp4, --output OUT.mp4   where to ..."), its help may go
    on over lines indented further."""
    entries: dict[str, str] = {}
    names: list[str] = []
    for line in text.splitlines():
        if re.match(r"^  \S", line):
            head, _, rest = line.strip().partition("  ")
            names = [part.split()[0] for part in head.split(", ")]
            for name in names:
                entries[name] = rest.strip()
        elif names and re.match(r"^ {3,}\S", line):
            for name in names:  # argparse also breaks lines after a hyphen ("sound-|effects")
                gap = "" if entries[name].endswith("-") else " "
                entries[name] = (entries[name] + gap + line.strip()).strip()
        else:
            names = []
    return entries


def help_of(capsys, *words: str) -> str:
    with pytest.raises(SystemExit) as done:
        main([*words, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


# --- 1. help and defaults ----------------------------------------------------------------------

@pytest.mark.parametrize("words", [w for w, _ in commands(build_parser())], ids=" ".join)
def test_every_argument_of_every_command_has_a_help_line(capsys, words):
    text = help_of(capsys, *words)
    entries = help_entries(text)
    parser = dict(commands(build_parser()))[words]
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        name = action.option_strings[0] if action.option_strings else action.dest
        assert entries.get(name), f"{' '.join(words)} {name} has no help: {text}"
    assert not re.search(r"\{,|,,|,\}", text), f"an empty choice is shown in {' '.join(words)} --help"


def test_every_render_setting_flag_shows_its_default(capsys):
    entries = help_entries(help_of(capsys, "render"))
    assert "title" in entries["--title"]
    for s in SETTINGS:
        if s.cli_flag == "-":
            continue
        text = entries[s.cli_flag]
        assert text.startswith(s.help.replace("`", "")[:30]) or s.kind == "bool", (s.cli_flag, text)
        if s.kind == "bool":
            assert f"({'on' if s.default else 'off'} by default)" in text, (s.cli_flag, text)
        elif s.empty:
            assert f"default: {'0 = ' if s.kind == 'int' else 'empty = ' if s.kind == 'str' else ''}{s.empty}" \
                in text, (s.cli_flag, text)
        elif s.default in ("", []):
            assert "default: none" in text, (s.cli_flag, text)
        else:
            assert f"default: {settings_flags._value(s.default)}" in text, (s.cli_flag, text)


def test_a_choice_that_may_be_empty_is_shown_honestly(capsys):
    text = help_of(capsys, "render")
    assert "--caption-position {bottom,middle,top}" in text
    assert "default: empty = the style's" in help_entries(text)["--caption-position"]
    assert build_parser().parse_args(["render", "x.txt", "--caption-position", ""]).caption_position == ""


def test_a_new_setting_gets_its_flag_help_and_default_from_the_table(monkeypatch):
    row = Setting("sparkle", "str", "", "how the film sparkles", "look", choices=("", "soft", "hard"),
                  empty="the grade's own")
    monkeypatch.setattr(settings_flags, "SETTINGS", (*SETTINGS, row))
    parser = argparse.ArgumentParser(prog="vidgen render")
    settings_flags.add_setting_flags(parser)
    entries = help_entries(parser.format_help())
    assert "--sparkle {soft,hard}" in parser.format_help()
    assert entries["--sparkle"] == "how the film sparkles; default: empty = the grade's own"


# --- 2. models list ----------------------------------------------------------------------------

def _licences_by_row(lines: list[str]) -> list[str]:
    """The LICENCE column of a models table, one entry per model, its wrapped pieces joined."""
    header = lines[0]
    id_at, start, end = header.index("ID"), header.index("LICENCE"), header.index("SOURCE")
    rows: list[list[str]] = []
    for line in lines[1:]:
        if line[id_at:header.index("KIND")].strip():
            rows.append([])
        rows[-1].append(line[start:end].strip())
    return ["".join(pieces) for pieces in rows]


def test_models_list_has_a_header_and_whole_licences(tmp_path):
    data = str(tmp_path / "data")
    rows = json.loads(run("models", "list", "--json", "--data", data).stdout)
    assert any(len(r["license"]) > 26 for r in rows)  # the old table cut these at 26

    piped = run("models", "list", "--data", data)
    assert piped.returncode == 0, piped.stderr
    lines = piped.stdout.splitlines()
    assert lines[0].split() == ["ID", "KIND", "STATUS", "SIZE", "VRAM", "DOWNLOADED", "FITS", "MEASURED", "NAME",
                                "LICENCE", "SOURCE"]
    table = lines[: 1 + len(rows)]  # into a pipe: one line per model (nothing wrapped), for grep
    id_at, kind_at = lines[0].index("ID"), lines[0].index("KIND")
    assert [line[id_at:kind_at].strip() for line in table[1:]] == [r["id"] for r in rows]
    assert lines[1 + len(rows)].startswith("* active")
    assert _licences_by_row(table) == [r["license"] for r in rows]

    narrow = run("models", "list", "--data", data, env={"COLUMNS": "140"})
    lines = narrow.stdout.splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("* active"))
    assert all(len(line) <= 140 for line in lines[:end]), max(lines[:end], key=len)
    assert end > 1 + len(rows)  # some cells wrapped onto more lines
    squeeze = [p.replace(" ", "") for p in _licences_by_row(lines[:end])]
    assert squeeze == [r["license"].replace(" ", "") for r in rows]


# --- 3. a reader that closes the pipe ----------------------------------------------------------

@pytest.mark.parametrize("words", [["jobs"], ["projects"], ["models", "storage"], ["voices"],
                                   ["parse", "examples/lighthouse.txt"]], ids=" ".join)
def test_a_closed_stdout_pipe_ends_quietly(tmp_path, words):
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    child = subprocess.Popen([sys.executable, "-m", "vidgen", *words, "--data", str(tmp_path / "data")], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    child.stdout.close()  # the reader is gone before the command writes a byte (`| head -0`)
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 141, err
    assert err == ""


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for PIPESTATUS")
def test_head_one_of_a_long_listing_ends_quietly(tmp_path):
    """`python -m vidgen parse --json | head -1` through a real shell pipe: 300 KB, more than the pipe
    holds, so the command is still writing when head has gone."""
    script = tmp_path / "long.txt"
    script.write_text("\n\n".join(f"Scene {i}: The dock {i}\nMara: Hello there, this is line {i}.\nTom: And my "
                                   f"answer to line {i}." for i in range(1, 201)))
    shell = (f"{sys.executable} -m vidgen parse {script} --json --data {tmp_path / 'data'} | head -1; "
             "echo \"status ${PIPESTATUS[0]}\" >&2")
    proc = subprocess.run(["bash", "-c", shell], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.stdout == "{\n"
    assert proc.stderr == "status 141\n"


# --- 4. progress in a log ----------------------------------------------------------------------

def _events(stage: str, n: int = 100):
    return [ProgressEvent(stage, i / n, 0.0, f"step {i}") for i in range(n + 1)]


def test_a_log_gets_a_few_plain_lines_per_stage(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    bars = StageBars()  # a StringIO is not a terminal
    for ev in _events("images") + _events("voice")[:41]:
        bars(ev)
    bars(ProgressEvent("voice", 0.4, 0.0, "A note", note=True))
    bars.close()
    lines = err.getvalue().splitlines()
    assert "\r" not in err.getvalue()
    assert [re.sub(r"[\d.]+ s", "T s", line) for line in lines] == [
        "images    started: step 0", "images     25%: step 25", "images     50%: step 50",
        "images     75%: step 75", "images    done in T s: step 100",
        "voice     started: step 0", "voice      25%: step 25", "note: A note"]  # voice stopped at 40%: no "done"


def test_a_terminal_keeps_its_bars(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    bars = StageBars()
    for ev in _events("images"):
        bars(ev)
    bars.close()
    assert "\r" in err.getvalue() and "100%" in err.getvalue() and "|" in err.getvalue()


def test_a_model_download_into_a_log_prints_quarters(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    with contextlib.ExitStack() as stack:
        progress = models_cli._bar(stack, SimpleNamespace(id="sdxl-turbo"))
        for i in range(1001):
            progress(i / 1000, f"{i} of 1000 files")
    assert len(err.getvalue().splitlines()) == 5 and "\r" not in err.getvalue()


def test_a_render_into_a_log_writes_stage_lines_not_bar_frames(tmp_path):
    script = tmp_path / "one.txt"
    script.write_text(ONE_SCENE)
    proc = run("render", str(script), "-o", str(tmp_path / "one.mp4"), "--data", str(tmp_path / "data"), *DRAFT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "\r" not in proc.stderr and "|" not in proc.stderr
    progress = [line for line in proc.stderr.splitlines() if not line.startswith("note:")]
    stages = [line.split()[0] for line in progress if re.match(r"\w+ +started\b", line)]
    assert stages[:2] == ["parse", "images"] and "assembly" in stages
    for line in progress:
        assert re.fullmatch(r"(\w+) +(started|\d+%|done in [\d.]+ s)(: .+)?", line), line
    assert len(progress) <= 5 * len(stages)
    assert [line.split()[0] for line in progress if " done in " in line] == stages
    assert len(proc.stderr.encode()) < 2000  # a 15 KB log of bar frames before
    parse_done = next(line for line in progress if line.startswith("parse ") and " done in " in line)
    assert parse_done.endswith(": 1 scene")  # the pipeline's words, as the log shows them
    assert ", 1 scene, rendered in" in proc.stdout


# --- 5. "1 scene" ------------------------------------------------------------------------------

def test_counts_agree_with_their_nouns(tmp_path):
    assert (count(1, "scene"), count(2, "scene"), count(0, "scene")) == ("1 scene", "2 scenes", "0 scenes")
    assert count(1, "child", "children") == "1 child" and count(3, "child", "children") == "3 children"
    one = tmp_path / "one.txt"
    one.write_text("Scene 1: The dock\nMara: Hello there.\n")
    parsed = run("parse", str(one), "--data", str(tmp_path / "data"))
    assert parsed.returncode == 0, parsed.stderr
    assert ", 1 scene, " in parsed.stdout and "Mara (scene 1)" in parsed.stdout and "scenes" not in parsed.stdout
    wrong = run("render", str(one), "--image", f"2={ROOT / 'examples' / 'lighthouse.txt'}", "--data",
                str(tmp_path / "data"))
    assert wrong.returncode == 1 and "the script has 1 scene (" in wrong.stderr, wrong.stderr


def test_the_models_table_fits_the_page_and_a_failed_action_marks_only_its_details(tmp_path):
    from vidgen.config import Settings
    from vidgen.models import operations
    from vidgen.models.registry import registry_for
    from vidgen.store import Store
    from vidgen.studio import Studio
    from vidgen.ui import build_app
    from vidgen.ui.models_tab import COLUMN_WIDTHS, MODEL_HEADERS, model_rows

    rows = model_rows(operations.list_rows(registry_for(Store(Settings.from_env(tmp_path / "a"))), ""))
    assert rows and all(len(r) == len(MODEL_HEADERS) == len(COLUMN_WIDTHS) for r in rows)
    assert sum(float(w.rstrip("%")) for w in COLUMN_WIDTHS) == 100.0
    licences = {r[MODEL_HEADERS.index("licence")] for r in rows}
    assert "Llama 3.1 Community License" in licences  # whole, never cut
    states = {r[0]: r[MODEL_HEADERS.index("state")] for r in rows}
    assert states["rules"] == "built in, default, active" and "not downloaded" in states["llama3.1-8b"]

    studio = Studio(Settings.from_env(tmp_path / "b"), gpu_slots=1)
    try:
        config = build_app(studio).get_config_file()
    finally:
        studio.shutdown(timeout=30)
    ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    deps = config["dependencies"]
    for button in ("models-download", "models-activate", "models-remove-yes"):
        i = next(i for i, d in enumerate(deps) if d["targets"] and ids.get(d["targets"][0][0]) == button)
        assert "models-table" not in [ids.get(o) for o in deps[i]["outputs"]], button  # an error badges the details
        after = [d for d in deps if d["trigger_after"] == i]
        assert [[ids.get(o) for o in d["outputs"]] for d in after] == [["models-table"]], button
        assert not after[0]["trigger_only_on_success"]  # the table is read again after a failure too
