"""One lane for GPU work: a fair (first come, first served) lock for the whole process.

Every job that may use the GPU holds the lane for its whole work, so two jobs never compute at
once, whichever path started them (the studio's worker, the CLI, a direct API call). Waiters are
served in arrival order by ticket, on a `threading.Condition` (no polling). Each hold is recorded
in a small bounded history so tests can check that holds never overlap.

A later issue folds this into the model cache's GPU lock; keep it small.

A GPU section on ZeroGPU (vidgen/zerogpu.py) runs in a child process forked from the thread that
holds the lane: there `forked(held=True)` makes the child's running thread the holder (the parent's
hold covers it) and drops the parent's waiters, holders and locks, which no thread of the child owns.
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections import deque
from typing import Iterator

HISTORY = 256  # holds remembered
_LANES: "weakref.WeakSet[GpuLane]" = weakref.WeakSet()  # every lane of the process (a forked section resets them)


class GpuLane:
    """A FIFO lock with `slots` holders at most (1: a plain fair lock). Not re-entrant."""

    def __init__(self, slots: int = 1, *, history: int = HISTORY) -> None:
        if not isinstance(slots, int) or slots < 1:
            raise ValueError(f"slots must be a whole number >= 1, not {slots!r}")
        self.slots = slots
        self._cond = threading.Condition()
        self._next_ticket = 0
        self._waiting: deque[int] = deque()  # tickets in arrival order
        self._holders: dict[int, tuple[str, float]] = {}  # ticket -> (owner, entered)
        self._history: deque[tuple[str, float, float]] = deque(maxlen=history)
        self._local = threading.local()  # this thread's hold depth
        _LANES.add(self)

    def acquire(self, owner: str = "", timeout: float | None = None) -> int | None:
        """Wait for a turn; returns the ticket to give to `release`, or None on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            ticket = self._next_ticket
            self._next_ticket += 1
            self._waiting.append(ticket)
            try:
                while not (self._waiting[0] == ticket and len(self._holders) < self.slots):
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        self._waiting.remove(ticket)
                        self._cond.notify_all()  # the next in line may be able to go now
                        return None
                    self._cond.wait(remaining)
            except BaseException:  # e.g. KeyboardInterrupt while waiting: give the place up
                if ticket in self._waiting:
                    self._waiting.remove(ticket)
                    self._cond.notify_all()
                raise
            self._waiting.popleft()
            self._holders[ticket] = (owner, time.monotonic())
            self._cond.notify_all()  # with several slots, the next in line may enter too
            return ticket

    def release(self, ticket: int) -> None:
        with self._cond:
            try:
                owner, entered = self._holders.pop(ticket)
            except KeyError:
                raise RuntimeError(f"GPU lane ticket {ticket} is not held") from None
            self._history.append((owner, entered, time.monotonic()))
            self._cond.notify_all()

    @contextlib.contextmanager
    def hold(self, owner: str = "") -> Iterator[None]:
        """Hold the lane; re-entrant on one thread (a job holding it may use the model cache,
        which holds it too)."""
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        ticket = self.acquire(owner)
        assert ticket is not None
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0
            self.release(ticket)

    def held_here(self) -> bool:
        """Whether the calling thread holds the lane."""
        return getattr(self._local, "depth", 0) > 0

    def forked(self, held: bool) -> None:
        """In a child process just forked to run one GPU section (ZeroGPU): forget the parent's holders,
        waiters and locks (their threads do not exist here); with `held`, the calling thread holds the
        lane, as the parent's thread that asked for the section does, so holds inside it (the model
        cache's) are re-entrant instead of waiting for a release that would never come."""
        self._cond = threading.Condition()
        self._waiting.clear()
        self._holders.clear()
        self._local = threading.local()
        if held:
            self._local.depth = 1

    @property
    def history(self) -> list[tuple[str, float, float]]:
        """Finished holds, oldest first: (owner, entered, exited) in `time.monotonic()` seconds."""
        with self._cond:
            return list(self._history)

    @property
    def holders(self) -> list[str]:
        """Owners holding the lane now."""
        with self._cond:
            return [owner for owner, _ in self._holders.values()]

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)


def lanes() -> list[GpuLane]:
    """Every lane of this process."""
    return list(_LANES)


LANE = GpuLane()  # the process's lane (a lock object only: nothing runs at import)


def gpu_lane(owner: str = "") -> contextlib.AbstractContextManager[None]:
    """`with gpu_lane(job_id): ...` holds the process's GPU lane."""
    return LANE.hold(owner)
