"""The README's settings table, written from the settings table (tests/test_docs.py compares them)."""

from __future__ import annotations

from .render_settings import SETTINGS, Setting, num


def describe(s: Setting) -> str:
    """The README's line for a setting: its help, choices or range, and what empty means."""
    parts = [s.help]
    if s.choices:
        parts.append("one of " + ", ".join(f"`{c}`" for c in s.choices))
    elif s.range is not None and s.kind != "bool":
        parts.append(f"{num(s.range[0])} to {num(s.range[1])}")
    if s.empty:
        parts.append(f"empty{' or 0' if s.kind in ('int',) else ''}: {s.empty}")
    if s.scene:
        parts.append(f"a scene's own (`{s.scene}`) overrides it")
    return "; ".join(parts)


def readme_table() -> str:
    """The settings table the README carries (checked by tests/test_docs.py)."""
    rows = ["| group | setting | CLI | default | what it does |", "|---|---|---|---|---|"]
    for s in SETTINGS:
        flag = "" if s.cli_flag == "-" else f"`{s.cli_flag}`"
        default = "[]" if s.default == [] else ("" if s.default is None else repr(s.default).replace("'", '"'))
        rows.append(f"| {s.group} | `{s.name}` | {flag} | `{default}` | {describe(s)} |"
                    if default else f"| {s.group} | `{s.name}` | {flag} | | {describe(s)} |")
    return "\n".join(rows)

