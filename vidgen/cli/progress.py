"""What every command shares: one-line argparse errors and the per-stage progress bars."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..domain import ProgressEvent


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
        if not self.enabled:
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

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


