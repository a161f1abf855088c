"""What every command shares: one-line argparse errors, the studio of the command line, notes and
progress bars."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable

from ..config import Settings
from ..domain import ProgressEvent
from ..studio import Studio


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not a usage dump
        cmd = self.prog.replace("vidgen", "python -m vidgen", 1)
        self.exit(2, f"error: {message} (see `{cmd} --help`)\n")


class StageBars:
    """A progress bar per stage on stderr, fed by the job's progress events."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.stage = ""
        self.shown: tuple[int, str] = (-1, "")
        self.bar: Any = None

    def __call__(self, ev: ProgressEvent) -> None:
        from tqdm import tqdm

        if ev.note:  # its own line above the bars, quiet or not
            tqdm.write(f"note: {ev.message}", file=sys.stderr)
            return
        if not self.enabled:
            return

        if ev.stage != self.stage:
            self.close()
            self.stage = ev.stage
            self.shown = (-1, "")
            self.bar = tqdm(total=100, desc=f"{ev.stage:<9}", file=sys.stderr, leave=True,
                            bar_format="{desc} |{bar:30}| {percentage:3.0f}% {elapsed} {postfix}")
        shown = (round(ev.fraction * 100), ev.message[:60])
        if shown != self.shown:  # per-frame events would flood a log
            self.shown = shown
            self.bar.n = shown[0]
            self.bar.set_postfix_str(shown[1], refresh=False)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def local_studio(args: argparse.Namespace) -> Studio:
    """The studio's layer without its threads: jobs run in this process's thread, and the user's own
    files may be anywhere, voice files included (the upload folders guard a server, not a command line)."""
    return Studio(Settings.from_env(args.data), threads=False, upload_roots=[Path("/")], local_files=True)


def progress_bar(enabled: bool) -> tuple[Callable[[float, str], None], Callable[[], None]]:
    """(report(fraction, message), close) drawing one bar on stderr from the first report on (a call
    that fails at once prints its one line and no bar), on a terminal only: a log gets no bar frames."""
    bars: list[Any] = []
    enabled = enabled and sys.stderr.isatty()

    def report(fraction: float, message: str = "") -> None:
        if not enabled:
            return
        if not bars:
            from tqdm import tqdm

            bars.append(tqdm(total=100, file=sys.stderr, leave=False,
                             bar_format="{desc} |{bar:30}| {percentage:3.0f}% {elapsed} {postfix}"))
        bars[0].n = round(min(1.0, max(0.0, fraction)) * 100)
        bars[0].set_postfix_str(message[:60], refresh=False)
        bars[0].refresh()

    def close() -> None:
        while bars:
            bars.pop().close()

    return report, close


def print_notes(notes: list[str]) -> None:
    """Each note on its own line of stderr, before any work that follows."""
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
