"""Plain-text tables for the listing commands: a header, columns as wide as their cells, nothing cut."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from typing import Sequence

GAP = "  "


def out_width() -> int | None:
    """The width to fit: the terminal's (or COLUMNS); None when stdout is a file or a pipe, whose
    readers (grep, awk) want one line per row."""
    if "COLUMNS" in os.environ or sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, wrap: Sequence[int] = (),
          right: Sequence[int] = (), width: int | None = None) -> list[str]:
    """The lines of a table with a header line. Over `width`, the `wrap` columns are narrowed (the
    widest first, never under their header or 10) and their cells wrapped onto more lines."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]
    if width is not None:
        floor = {i: max(len(headers[i]), 10) for i in wrap}
        excess = sum(widths) + len(GAP) * (len(widths) - 1) - width
        while excess > 0:
            narrowable = [i for i in wrap if widths[i] > floor[i]]
            if not narrowable:
                break  # too narrow a terminal: the lines run over, still uncut
            widest = max(narrowable, key=lambda i: widths[i])
            widths[widest] -= 1
            excess -= 1
    lines = []
    for cells in [headers, *rows]:
        pieces = [textwrap.wrap(str(c), widths[i]) or [""] if i in wrap else [str(c)] for i, c in enumerate(cells)]
        for n in range(max(len(p) for p in pieces)):
            parts = [(p[n] if n < len(p) else "").rjust(widths[i]) if i in right else
                     (p[n] if n < len(p) else "").ljust(widths[i]) for i, p in enumerate(pieces)]
            lines.append(GAP.join(parts).rstrip())
    return lines
