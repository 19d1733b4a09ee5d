"""A relayed frame's event count without a coroutine: ``EventLimits.take`` takes what ``admit``
takes, and a lease on its way is settled before the later levels take their unit."""

from __future__ import annotations

from apim_gateway.ratelimit import LocalLimiter
from apim_gateway.request.event_limits import EventLimits
from apim_gateway.runtime.tiers import Limit
from apim_gateway.throttling import Decision, ThrottleLevel

API, APP = ThrottleLevel.API, ThrottleLevel.APPLICATION


def two_levels(limiter: LocalLimiter) -> EventLimits:
    return EventLimits(
        limiter, [("api", Limit(count=3, window=60), API), ("app", Limit(count=2, window=60), APP)], []
    )


async def test_take_admits_and_refuses_the_frames_admit_does_and_leaves_the_same_counts() -> None:
    taking, admitting = LocalLimiter(), LocalLimiter()
    taken = [two_levels(taking).take() for _ in range(4)]
    admitted = [await two_levels(admitting).admit() for _ in range(4)]
    assert taken == admitted == [None, None, APP, API]  # the third frame took its API unit
    for key, count in (("api", 3), ("app", 2)):
        assert taking.peek(key, count, 60).remaining == admitting.peek(key, count, 60).remaining


class LeaseOnItsWay:
    """A limiter whose first decision on ``pending_key`` waits for a lease that then admits."""

    def __init__(self, pending_key: str) -> None:
        self.pending_key = pending_key
        self.calls: list[tuple[str, str]] = []

    def try_acquire(
        self, key: str, limit: int, window_seconds: int, *, stop_on_quota_reach: bool = True, take: int = 1
    ) -> Decision:
        self.calls.append(("try_acquire", key))
        if key == self.pending_key and ("settle", key) not in self.calls:
            return Decision(False, limit, 0, 1.0, None, pending=True)
        return Decision(True, limit, limit - 1, 1.0, 0)

    async def settle(self, key: str, *, stop_on_quota_reach: bool = True, take: int = 1) -> Decision:
        self.calls.append(("settle", key))
        return Decision(True, 3, 2, 1.0, 0)

    def peek(self, key: str, limit: int, window_seconds: int) -> Decision:
        raise AssertionError("not on a frame's path")

    def consume(self, key: str, amount: int) -> None:
        raise AssertionError("not on a frame's path")

    async def flush(self, keys: list[str]) -> None:
        raise AssertionError("not on a frame's path")


async def test_a_pending_lease_is_settled_and_then_the_later_levels_take_their_unit() -> None:
    limiter = LeaseOnItsWay("api")
    events = EventLimits(
        limiter, [("api", Limit(count=3, window=60), API), ("app", Limit(count=3, window=60), APP)], []
    )
    pending = events.take()
    assert pending == 0  # the first level's lease is on its way; the second took nothing yet
    assert limiter.calls == [("try_acquire", "api")]
    assert isinstance(pending, int)
    assert await events.settle(pending) is None
    assert limiter.calls == [("try_acquire", "api"), ("settle", "api"), ("try_acquire", "app")]
