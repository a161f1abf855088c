"""Per-user limits of a studio with logins: renders started per hour and jobs queued or running at once.

The job queue asks `UserLimits.check` before it saves a job of a signed-in user; a user over a limit
gets one line saying which limit and when it frees. Without logins (or on the CLI) there is no user
and no limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..errors import VidgenError
from ..text import count

ACTIVE = ("pending", "running")


@dataclass(frozen=True)
class UserLimits:
    renders_per_hour: int = 20  # 0 = no limit
    jobs_at_once: int = 3  # queued or running, of any kind; 0 = no limit

    def check(self, user: str, kind: str, jobs: list[dict], now: float | None = None) -> None:
        """`jobs`: the store's job summaries ({kind, status, created, user}). Raises when `user` may not
        start a job of `kind` now."""
        if not user:
            return
        now = time.time() if now is None else now
        mine = [j for j in jobs if j.get("user") == user]
        running = [j for j in mine if j.get("status") in ACTIVE]
        if self.jobs_at_once and len(running) >= self.jobs_at_once:
            raise VidgenError(f"You have {count(len(running), 'job')} queued or running, the most one user may have at once: "
                              "wait for one to finish (the Jobs tab shows them) or cancel one.")
        if kind != "render" or not self.renders_per_hour:
            return
        hour = sorted(j["created"] or 0 for j in mine if j.get("kind") == "render" and (j["created"] or 0) > now - 3600)
        if len(hour) >= self.renders_per_hour:
            wait = max(1, int((hour[0] + 3600 - now) // 60) + 1)
            raise VidgenError(f"You have started {count(len(hour), 'render')} in the last hour, the most one user may: "
                              f"the next one can start in {wait} min.")
