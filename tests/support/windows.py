"""Rate-limit windows are aligned to the epoch (as Redis TIME is): a test that counts calls against
a limit starts where the window it counts in cannot end under it."""

from __future__ import annotations

import time


def window_of(seconds: int, at: float | None = None) -> int:
    return int((time.time() if at is None else at) // seconds)


def next_window(seconds: int) -> None:
    """Sleep into the start of the next window."""
    now = time.time()
    time.sleep((now // seconds + 1) * seconds - now + 0.2)


def with_room_in_window(seconds: int, room: float) -> None:
    """Return at once when at least ``room`` seconds of the current window are left, else sleep
    into the next one."""
    if seconds - time.time() % seconds < room:
        next_window(seconds)
