"""`python -m vidgen doctor [--json] [--data DIR]`: the studio's ready checks, and this machine.

The ready checks are /ready's (the store opens, ffmpeg runs a one-frame encode, the job queue takes
a job); then the devices, encoders, models downloaded and free disk. Exit status 1 when a ready check
fails. Opening the data folder is what a render does first (jobs left running by a process that is
gone become interrupted).
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Callable

from ..config import Settings
from ..jobs import JobQueue
from ..models.registry import registry_for
from ..ops import health, machine
from ..ops.health import Check


def gather(data: str | None) -> tuple[Settings, list[tuple[str, list[Check]]]]:
    settings = Settings.from_env(data)
    queue = JobQueue(settings, threads=False)  # opens the store; starts no worker
    try:
        return settings, [("ready", health.ready_checks(queue.store, queue)),
                          ("devices", machine.devices()),
                          ("encoders", machine.encoder_checks()),
                          ("models", machine.model_checks(registry_for(queue.store))),
                          ("disk", [machine.disk_check(settings.data_dir)])]
    finally:
        queue.shutdown()


def cmd_doctor(args: argparse.Namespace) -> int:
    settings, groups = gather(args.data)
    checks = [c for _, group in groups for c in group]
    ready = health.report(checks)["ready"]
    if args.json:
        print(json.dumps({"ready": ready, "data": str(settings.data_dir),
                          "groups": {g: [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in group]
                                     for g, group in groups}}, indent=2, ensure_ascii=False))
        return 0 if ready else 1
    width = max(len(c.name) for c in checks) + 2
    print(f"vidgen doctor: data folder {settings.data_dir}")
    for name, group in groups:
        print(name)
        for c in group:
            print(f"  {c.name:<{width}}{c.line}")
    failed = [c.name for c in checks if c.ready and c.ok is not True]
    print("result: ready" if ready else f"result: NOT READY ({', '.join(failed)} failed)")
    return 0 if ready else 1


def add_parser(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    d = sub.add_parser("doctor", help="check the store, ffmpeg and the job queue; list devices, encoders, models, "
                                      "free disk")
    d.add_argument("--json", action="store_true", help="print the checks as JSON")
    common(d)
    d.set_defaults(func=cmd_doctor)
