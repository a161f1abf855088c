"""Docs that cannot rot: the README's commands and options match the code and CI."""

from __future__ import annotations

import re
from pathlib import Path

from vidgen.__main__ import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def fresh_machine_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_readme_opens_with_the_two_commands():
    render, tests = fresh_machine_commands()
    script = re.search(r"vidgen render (\S+)", render).group(1)
    assert (ROOT / script).is_file()
    assert "pip install -r requirements.txt" in render
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/install.sh" in ci  # CI installs as the Docker image does, through the one script
    ci += (ROOT / "scripts" / "install.sh").read_text()
    assert "-r requirements.txt -r requirements-dev.txt" in tests and "-r requirements.txt -r requirements-dev.txt" in ci
    assert tests.endswith(".venv/bin/python -m pytest -q") and ".venv/bin/python -m pytest -q" in ci
    nodeps = "--no-deps -r requirements-nodeps.txt"  # the SoundFont player, without its playback-only pyaudio
    assert nodeps in render and nodeps in tests and nodeps in ci


def test_every_cli_option_is_documented():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        assert f"python -m vidgen {name}" in README, name
        for action in parser._actions:
            longs = [o for o in action.option_strings if o.startswith("--") and o != "--help"]
            if longs:
                assert longs[0] in README, f"{name} {longs[0]} is not in the README"


def test_requirements_pin_torch_exactly():
    assert re.search(r"^torch==2\.13\.0$", (ROOT / "requirements.txt").read_text(), re.M)


def test_readme_settings_table_is_the_generated_one():
    from vidgen.render_settings import SETTINGS
    from vidgen.settings_readme import readme_table

    block = re.search(r"<!-- settings table: start -->\n(.*?)\n<!-- settings table: end -->", README, re.S)
    assert block, "README.md has no generated settings table"
    assert block.group(1) == readme_table(), "README's settings table drifted: paste settings_readme.readme_table()"
    for s in SETTINGS:  # and each row names its setting, so a new row cannot go undocumented
        assert f"| `{s.name}` |" in block.group(1), s.name
