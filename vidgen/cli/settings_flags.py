"""The render command's setting flags, derived from the settings table (vidgen/render_settings.py)."""

from __future__ import annotations

import argparse
from typing import Any

from ..render_settings import GROUPS, SETTINGS, Setting


def programs(value: str) -> list[int]:
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected General MIDI program numbers like 0,48,32, not {value!r}") from None


def lora(value: str) -> dict[str, Any]:
    source, sep, scale = value.rpartition(":")
    try:
        return {"source": source, "scale": float(scale)} if sep and source else {"source": value, "scale": 1.0}
    except ValueError:
        return {"source": value, "scale": 1.0}  # a ":" that is not a scale, e.g. in a path


def _value(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def help_text(s: Setting) -> str:
    """A flag's help from its row: what it does, its range and its default (with what an empty
    default means). Choices are the flag's metavar, so they are not repeated here."""
    if s.kind == "bool":
        text = ("turns off (on by default): " if s.default else "turns on (off by default): ") + s.help
    else:
        parts = [s.help]
        if s.range is not None:
            parts.append(f"{_value(s.range[0])} to {_value(s.range[1])}")
        literal = {"str": "empty = ", "int": "0 = "}.get(s.kind, "")
        unset = s.default in ("", None, []) or (s.kind == "int" and s.default == 0 and bool(s.empty))
        if s.empty and unset:  # say what the empty default means (and that "" or 0 gives it)
            parts.append(f"default: {literal}{s.empty}")
        else:
            if s.empty:
                parts.append(f"{literal or 'empty = '}{s.empty}")
            parts.append("default: none" if unset else f"default: {_value(s.default)}")
        if s.kind == "loras":
            parts.append("repeatable")
        text = "; ".join(parts)
    return text.replace("`", "").replace("%", "%%")  # argparse expands % in help


def _arguments(s: Setting) -> dict[str, Any]:
    kw: dict[str, Any] = {"dest": s.name, "default": None, "help": help_text(s)}
    if s.kind == "bool":
        kw["action"] = "store_false" if s.default else "store_true"
        return kw
    kw["metavar"] = s.metavar or None
    if s.choices:  # "" stays accepted, but is said in the help (empty: ...), not shown as a blank choice
        kw.update(choices=list(s.choices), metavar="{" + ",".join(c for c in s.choices if c) + "}")
    if s.kind == "int":
        kw["type"] = int
    elif s.kind in ("float", "optional_float"):
        kw["type"] = float
    elif s.kind == "programs":
        kw["type"] = programs
    elif s.kind == "loras":
        kw.update(type=lora, action="append")
    return kw


def add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """A flag per setting of the table (those with one), in a help group per settings group."""
    groups = {g: parser.add_argument_group(f"{g} settings") for g in GROUPS}
    for s in SETTINGS:
        if s.cli_flag != "-":
            groups[s.group].add_argument(s.cli_flag, **_arguments(s))


def given_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line, as plain data (the API's settings dict)."""
    return {s.name: getattr(args, s.name) for s in SETTINGS
            if s.cli_flag != "-" and getattr(args, s.name, None) is not None}
