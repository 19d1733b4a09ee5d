"""Failed sign-ins: a counter per user name and per client address, wherever a password is checked.

After ``max_failures`` failures of one key (``user:<name>@<tenant>`` or ``addr:<ip>``) within
``window`` seconds of each other, the key is locked for ``base`` seconds, doubling with every
further failure up to ``cap`` seconds. A locked key is refused (429 with ``Retry-After``) before
its password is checked, so a locked attempt neither costs argon2 work nor reveals whether the
password was right. A success clears the user's counter, never the address's.

The counters live in Redis in distributed mode (every replica sees the same count) and in memory in
one process. If Redis cannot be reached, a replica counts in memory until it can: a weaker brake
for that while, never a sign-in refused because of it.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import FastAPI
from redis.asyncio import Redis
from redis.exceptions import RedisError
from redis.maint_notifications import MaintNotificationsConfig
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from apim_common.errors import APIError, TooManyRequests
from apim_key_manager.settings import Settings

logger = logging.getLogger("apim.key_manager.sign_in")

# Keys an in-memory counter keeps at most; the least recently failed are dropped first.
MAX_TRACKED = 100_000


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    max_failures_per_address: int = 20
    base: float = 1.0
    cap: float = 900.0
    window: float = 3600.0

    def lock_for(self, failures: int, threshold: int) -> float:
        """Seconds a key with ``failures`` failures stays locked (0 below the threshold)."""
        if failures < threshold:
            return 0.0
        return min(self.cap, self.base * 2.0 ** min(failures - threshold, 64))


class SignInLocked(TooManyRequests):
    """Too many failed sign-ins of this user or from this address: try again later."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(
            f"Too many failed sign-in attempts; try again in {self.retry_after} seconds",
            headers={"Retry-After": str(self.retry_after)},
        )


class FailureStore(Protocol):
    async def locked_for(self, keys: list[str]) -> float:
        """The longest time any of ``keys`` stays locked, in seconds; 0 when none is."""

    async def failed(self, key: str, threshold: int) -> float:
        """Count one failure of ``key``; the seconds it is now locked for."""

    async def clear(self, key: str) -> None: ...


class MemoryFailureStore:
    """One process's counters; bounded, so a flood of names cannot grow memory without end."""

    def __init__(
        self,
        policy: LockoutPolicy,
        clock: Callable[[], float] = time.monotonic,
        max_tracked: int = MAX_TRACKED,
    ) -> None:
        self.policy = policy
        self.clock = clock
        self.max_tracked = max_tracked
        # key -> (failures, last failure, locked until)
        self._entries: OrderedDict[str, tuple[int, float, float]] = OrderedDict()

    def _live(self, key: str, now: float) -> tuple[int, float, float] | None:
        entry = self._entries.get(key)
        if entry is not None and now - entry[1] >= self.policy.window and now >= entry[2]:
            del self._entries[key]
            return None
        return entry

    async def locked_for(self, keys: list[str]) -> float:
        now = self.clock()
        return max((entry[2] - now for key in keys if (entry := self._live(key, now))), default=0.0)

    async def failed(self, key: str, threshold: int) -> float:
        now = self.clock()
        entry = self._live(key, now)
        failures = (entry[0] if entry else 0) + 1
        lock = self.policy.lock_for(failures, threshold)
        self._entries[key] = (failures, now, now + lock)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_tracked:
            self._entries.popitem(last=False)
        return max(lock, 0.0)

    async def clear(self, key: str) -> None:
        self._entries.pop(key, None)


# KEYS[1] count, KEYS[2] lock; ARGV threshold, base ms, cap ms, window ms. Returns the lock in ms.
_FAILED = """
local failures = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local threshold = tonumber(ARGV[1])
if failures < threshold then return 0 end
local lock = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * 2 ^ math.min(failures - threshold, 64))
lock = math.floor(lock)
if lock < 1 then return 0 end
redis.call('SET', KEYS[2], '1', 'PX', lock)
return lock
"""


class RedisFailureStore:
    """Counters every replica shares: a count key expiring ``window`` after the last failure and a
    lock key expiring with the lock, so no replica's clock matters."""

    def __init__(self, redis: Redis, policy: LockoutPolicy, prefix: str = "apim:signin:") -> None:
        self.redis = redis
        self.policy = policy
        self.prefix = prefix
        self._failed = redis.register_script(_FAILED)
        self._fallback = MemoryFailureStore(policy)

    async def locked_for(self, keys: list[str]) -> float:
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.pttl(f"{self.prefix}lock:{key}")
                ttls = await pipe.execute()
        except RedisError:
            logger.warning("sign-in failure counters unreachable; counting in memory", exc_info=True)
            return await self._fallback.locked_for(keys)
        remote = max((int(ttl) / 1000 for ttl in ttls if int(ttl) > 0), default=0.0)
        return max(remote, await self._fallback.locked_for(keys))

    async def failed(self, key: str, threshold: int) -> float:
        policy = self.policy
        try:
            lock_ms = await self._failed(
                keys=[f"{self.prefix}count:{key}", f"{self.prefix}lock:{key}"],
                args=[threshold, int(policy.base * 1000), int(policy.cap * 1000), int(policy.window * 1000)],
            )
        except RedisError:
            logger.warning("sign-in failure counters unreachable; counting in memory", exc_info=True)
            return await self._fallback.failed(key, threshold)
        return int(lock_ms) / 1000

    async def clear(self, key: str) -> None:
        await self._fallback.clear(key)
        try:
            await self.redis.delete(f"{self.prefix}count:{key}", f"{self.prefix}lock:{key}")
        except RedisError:
            logger.warning("sign-in failure counters unreachable; could not clear %s", key, exc_info=True)


# The address of the request being served, set by ClientAddressMiddleware: every password check
# counts against it without each endpoint handing it down.
_client_address: ContextVar[str | None] = ContextVar("sign_in_client_address", default=None)


def current_address() -> str | None:
    """The caller's address (the forwarded one when a trusted proxy set it), if known."""
    return _client_address.get()


class ClientAddressMiddleware:
    """Pure ASGI: remembers each request's client address for the password checks it makes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client") if scope["type"] == "http" else None
        token = _client_address.set(client[0] if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            _client_address.reset(token)


class SignInGuard:
    """Checks, counts and clears failed sign-ins of a user name and a client address."""

    def __init__(self, store: FailureStore, policy: LockoutPolicy) -> None:
        self.store = store
        self.policy = policy

    @staticmethod
    def _keys(user: str, address: str | None) -> tuple[str, str | None]:
        return f"user:{user.strip().lower()}", (f"addr:{address}" if address else None)

    async def check(self, user: str, address: str | None) -> None:
        """Raise :class:`SignInLocked` while the user name or the address is locked."""
        user_key, address_key = self._keys(user, address)
        locked = await self.store.locked_for([user_key, *([address_key] if address_key else [])])
        if locked > 0:
            logger.warning("sign-in refused while locked: user=%s address=%s", user, address)
            raise SignInLocked(locked)

    async def failed(self, user: str, address: str | None) -> None:
        user_key, address_key = self._keys(user, address)
        locked = await self.store.failed(user_key, self.policy.max_failures)
        if address_key is not None:
            locked = max(locked, await self.store.failed(address_key, self.policy.max_failures_per_address))
        if locked > 0:
            logger.warning(
                "failed sign-in: user=%s address=%s; locked for %.0f s", user, address, math.ceil(locked)
            )
        else:
            logger.info("failed sign-in: user=%s address=%s", user, address)

    async def succeeded(self, user: str) -> None:
        await self.store.clear(self._keys(user, None)[0])


async def _nothing() -> None:
    return None


def sign_in_guard(settings: Settings) -> tuple[SignInGuard, Callable[[], Awaitable[None]]]:
    """The guard the settings ask for, and what closes its connection."""
    policy = LockoutPolicy(
        max_failures=settings.sign_in_max_failures,
        max_failures_per_address=settings.sign_in_max_failures_per_address,
        base=settings.sign_in_lockout_base_seconds,
        cap=settings.sign_in_lockout_max_seconds,
        window=settings.sign_in_failure_window_seconds,
    )
    if settings.sign_in_failures_backend == "memory":
        return SignInGuard(MemoryFailureStore(policy), policy), _nothing
    timeout = settings.sign_in_redis_timeout_seconds
    redis = Redis.from_url(
        settings.sign_in_failures_backend,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=0,
        # As throttle-sync's client: pooled connections are checked, so they survive a Redis restart.
        maint_notifications_config=MaintNotificationsConfig(enabled=False),
    )
    return SignInGuard(RedisFailureStore(redis, policy), policy), redis.aclose


def install_sign_in_guard(app: FastAPI) -> None:
    """Each request's address is known to its password checks; a lock answers 429 in OAuth's shape
    under /oauth2, and as any other error elsewhere (SCIM, DCR)."""

    async def on_locked(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInLocked)
        if not request.url.path.startswith("/oauth2/"):
            handler: Any = app.exception_handlers[APIError]
            response: Response = await handler(request, exc)
            return response
        body = {"error": "access_denied", "error_description": exc.description}
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache", "Retry-After": str(exc.retry_after)}
        return JSONResponse(body, status_code=429, headers=headers)

    app.add_exception_handler(SignInLocked, on_locked)
    app.add_middleware(ClientAddressMiddleware)
