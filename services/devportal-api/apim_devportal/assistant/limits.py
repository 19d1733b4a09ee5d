"""A per-caller rate limit for the marketplace assistant, whose answers cost real CPU.

Anonymous callers may ask, so each caller (the signed-in subject, otherwise the client address)
gets a token bucket: ``limit`` questions, refilled evenly over ``window`` seconds. A caller out of
tokens is answered 429 with ``Retry-After``. The buckets live in the replica; the least recently
used are dropped beyond ``max_callers``, so a flood of addresses cannot grow memory.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_CALLERS = 100_000


class CallerRateLimiter:
    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = MAX_CALLERS,
    ) -> None:
        self.limit = limit
        self.rate = limit / window
        self.clock = clock
        self.max_callers = max_callers
        # caller -> (tokens left, when they were counted)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def acquire(self, caller: str) -> float:
        """Take one question for ``caller``: 0 when admitted, else the seconds until it may ask."""
        now = self.clock()
        tokens, then = self._buckets.get(caller, (float(self.limit), now))
        tokens = min(float(self.limit), tokens + (now - then) * self.rate)
        if tokens < 1.0:
            self._buckets[caller] = (tokens, now)
            self._buckets.move_to_end(caller)
            return (1.0 - tokens) / self.rate
        self._buckets[caller] = (tokens - 1.0, now)
        self._buckets.move_to_end(caller)
        while len(self._buckets) > self.max_callers:
            self._buckets.popitem(last=False)
        return 0.0

    @staticmethod
    def retry_after(wait: float) -> str:
        return str(max(1, math.ceil(wait)))
