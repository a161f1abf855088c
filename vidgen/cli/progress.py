"""What every command shares: one-line argparse errors, the studio of the command line, notes and
progress bars."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable

from ..config import Settings
from ..domain import ProgressEvent
from ..pipeline.executors import executor_from
from ..studio import Studio


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not a usage dump
        cmd = self.prog.replace("vidgen", "python -m vidgen", 1)
        self.exit(2, f"error: {message} (see `{cmd} --help`)\n")


class StageBars:
    """Progress on stderr, fed by the job's progress events: a bar per stage on a terminal; in a log
    (a file or a pipe) plain lines, one as a stage starts, at each quarter and as it ends."""

    def __init__(self, enabled: bool = True, tty: bool | None = None):
        self.enabled = enabled
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.stage = ""
        self.shown: tuple[int, str] = (-1, "")
        self.bar: Any = None
        self.started = 0.0

    def __call__(self, ev: ProgressEvent) -> None:
        if ev.note:  # its own line above the bars, quiet or not
            self._write(f"note: {ev.message}")
            return
        if not self.enabled:
            return
        if not self.tty:
            self._line(ev)
            return
        from tqdm import tqdm

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

    def _line(self, ev: ProgressEvent) -> None:
        percent = round(min(1.0, max(0.0, ev.fraction)) * 100)
        if ev.stage != self.stage:
            self._end()
            self.stage, self.started = ev.stage, time.monotonic()
            self.shown = (percent // 25 * 25, ev.message)
            self._write(f"{ev.stage:<9} started{': ' + ev.message if ev.message else ''}")
            return
        step = percent // 25 * 25
        if 0 < step < 100 and step > self.shown[0]:  # a quarter, not every frame
            self._write(f"{ev.stage:<9} {step:3d}%{': ' + ev.message if ev.message else ''}")
        self.shown = (max(step, self.shown[0]), ev.message or self.shown[1])

    def _end(self, finished: bool = True) -> None:
        if self.stage and finished:
            last = self.shown[1]
            self._write(f"{self.stage:<9} done in {time.monotonic() - self.started:.1f} s"
                        f"{': ' + last if last else ''}")
        self.stage = ""

    def _write(self, line: str) -> None:
        if self.tty:
            from tqdm import tqdm

            tqdm.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if not self.tty:
            self._end(finished=self.shown[0] >= 100)  # a stage cut short says so in the error that follows


def local_studio(args: argparse.Namespace) -> Studio:
    """The studio's layer without its threads: jobs run in this process's thread, and the user's own
    files may be anywhere, voice files included (the upload folders guard a server, not a command line)."""
    return Studio(Settings.from_env(args.data), threads=False, upload_roots=[Path("/")], local_files=True,
                  executor=executor_from(getattr(args, "executor", "") or ""))


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
