"""A throttle-sync replica's own units of each counter, leased from the store and subdivided.

Gateways ask their replica, never the store. The replica answers a gateway's batch from the units
it holds for the current window (no store operation) and goes to the store, one round trip for
the whole batch, only for keys whose units run out, or to give back units nobody asks for. The
store then sees replicas, not gateways, so its work does not grow with the number of gateways.

Sizing:

- Towards the store, a replica asks for its gateways' recent demand over the rest of the window
  (at most ``horizon``); the store grants up to the replica's fair part of the limit
  (``1 / (spread x replicas)``) at once, and beyond it a shrinking share of what remains
  (``lease_size``), so the last units still go to whichever replica still has demand.
- Towards its gateways, the same ``lease_size`` the store applies, over the units the replica
  holds and the gateways it serves. Units a gateway gives back return to the replica, where its
  other gateways can have them without a store round trip.
- A pool nobody has asked from for ``idle_return`` gives its units back to the store (``sweep``).
- With ``keys_by_replica``, the gateways send each key to one replica (its owner, the same for
  every gateway: ``apim_gateway.throttling.transport.ReplicaRouter``), so no units of a key sit in
  one replica while another replica's gateways are refused; the store grants the owner up to
  ``1 / spread`` of the limit at once, as to a single replica.
- With ``rebalance``, units move between replicas through the store's ``Notices`` (read by
  ``watch``, no counter operation): a replica asking for more than remains while another replica
  of the window was not short is "left short"; the others then give back what their pools hold
  beyond their demand for the rest of the window (and idle pools give back only then), and the
  replica left short asks again once units came back. So a window does not end with units in one
  replica's pool while another replica's gateways are refused.

Exactness: every unit a gateway holds was granted by the store for the shared window, once; a
pool's units expire at "time the store call was sent + time left in the window as the store saw
it", and a gateway's at "its batch's sending + the pool's time left when answered", so no unit is
used after the shared window ends. Bandwidth counters (``bytes:``) pass straight to the store:
their calls are decided on the shared count as it is now.

Restarts: the replica tells the store, with each lease, how many units of the window it holds
(``claimed``: taken, less given back, plus counted); the store keeps it per replica, and adds it
back to a counter it has lost. A store found without its epoch (restarted without its data)
grants replicas nothing for ``RECOVERY_MS``, and after it nothing until as many replicas as the
asking one knew of have said they reported (``REPORT_WAIT_MS`` at most, for a replica gone with
the store); each replica's sweep reads the epoch every
``idle_return`` and, when it changed, reports the units of every pool it holds, so the window
goes on from every unit any replica or gateway held, not from zero.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from apim_throttle_sync.counters.base import CounterBackend, LeaseGrant, LeaseRequest, Notices, lease_size

BANDWIDTH_PREFIX = "bytes:"
# How long a replica count seen is remembered (``ReplicaPools._known_replicas``).
REPLICAS_MEMORY = 10.0


@dataclass(frozen=True, slots=True)
class PoolConfig:
    # A store lease asks for the gateways' recent demand over the window's time left, at most this long.
    horizon: float = 60.0
    # Between replicas: a replica's fair part of a limit is 1 / (spread x replicas).
    spread: float = 1.0
    # A pool nobody asked from this long (or a tenth of its window, if longer) gives its units back
    # to the store; also how often ``sweep`` runs.
    idle_return: float = 0.25
    # The demand rate is sampled at most this often.
    sample: float = 0.05
    # Rebalancing between replicas (``Notices``): once another replica of a pool's window is left
    # short, the pool gives back what it holds beyond this many times its demand over the window's
    # time left, and a pool left short asks the store again once units came back. None: off (every
    # pool idle for ``idle_return`` gives back; a pool the store said was spent does not ask again
    # in that window).
    rebalance: float | None = None
    # While the store has been unreachable for less than this, the pools go on serving the units
    # they hold (granting nothing more); beyond it the replica answers 503 and gateways fall back.
    outage_grace: float = 2.0
    # A gateway told nothing remains asks again after this long (doubling each time in the window):
    # units another gateway gives back to the pool are found without a store operation.
    exhausted_retry: float = 0.05
    # How often the replica reads the store's ``Notices`` (``watch``, with ``rebalance``): one read
    # for every hash tag, no counter operation.
    watch: float = 0.05
    # The gateways send each key to one replica, its owner (``APIM_LEASE_KEYS_BY_REPLICA``): a
    # replica is then its keys' only holder, and the store sizes its leases as for one replica.
    keys_by_replica: bool = False

    def holders(self, replicas: int) -> int:
        """How many replicas hold units of one key: what the store divides a limit by."""
        return 1 if self.keys_by_replica else replicas


class Pool:
    """One counter key's units held by this replica for the current shared window."""

    __slots__ = (
        "answered",
        "claimed",
        "demand",
        "exhausted",
        "expires_at",
        "key",
        "last_used",
        "limit",
        "owed",
        "rate",
        "sampled_at",
        "short",
        "store_remaining",
        "tag",
        "units",
        "window",
        "window_seconds",
    )

    def __init__(self, key: str, limit: int, window_seconds: int, now: float, tag: int = 0) -> None:
        self.key = key
        self.tag = tag  # the counter's hash tag in the store: its ``Notices``
        self.limit = limit
        self.window_seconds = window_seconds
        self.window: int | None = None
        self.expires_at = 0.0
        self.units = 0
        # Units of ``window`` the store counts for this replica: taken, less given back, plus counted.
        self.claimed = 0
        self.exhausted = False
        # The store's last answer to an ask left it short (``LeaseRequest.needed``).
        self.short = False
        # The ``Notices.short`` this pool last gave its surplus back for.
        self.answered = 0
        self.store_remaining = limit
        # Counted units a failed store call may not have applied: sent with the next one.
        self.owed = 0
        self.demand = 0
        self.rate = 0.0
        self.sampled_at = now
        self.last_used = now

    def roll(self) -> None:
        """The window ended: its units are void (the store's counter of it expires too)."""
        self.window = None
        self.units = 0
        self.claimed = 0
        self.exhausted = False
        self.short = False
        self.store_remaining = self.limit

    def sample(self, now: float, every: float) -> None:
        elapsed = now - self.sampled_at
        if elapsed >= every:
            observed = self.demand / elapsed
            self.rate = observed if self.rate == 0 else (self.rate + observed) / 2
            self.demand = 0
            self.sampled_at = now

    def store_want(self, now: float, horizon: float, asked: int) -> int:
        """Units to ask the store for: the recent demand over the window's time left (at most
        ``horizon``) beyond those held, and at least what the gateways ask for now."""
        if self.rate == 0:  # no demand measured yet: the store caps it at the replica's fair part
            return max(self.limit - self.units, asked - self.units, 1)
        left = self.expires_at - now if self.window is not None else float(self.window_seconds)
        need = math.ceil(self.rate * min(max(left, 0.0), horizon))
        return max(need - self.units, asked - self.units, 1)

    def request(self, *, want: int, returned: int = 0, counted: int = 0, needed: int = 0) -> LeaseRequest:
        return LeaseRequest(
            self.key,
            self.limit,
            self.window_seconds,
            want,
            self.window,
            returned,
            counted,
            holder="",
            held=self.claimed,
            needed=needed,
        )

    def window_start_ms(self) -> int:
        """When the pool's window began, in the store's milliseconds (as ``Notices`` are)."""
        return (self.window or 0) * self.window_seconds * 1000


class ReplicaPools:
    """The pools of one replica; ``lease`` answers one gateway batch, ``sweep`` gives idle units back.

    Nothing here awaits anything but the counter backend, so the simulation runs it on the
    in-memory backend without an event loop.
    """

    def __init__(
        self,
        counters: CounterBackend,
        replica_id: str,
        *,
        config: PoolConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.counters = counters
        self.replica_id = replica_id
        self.config = config or PoolConfig()
        self._clock = clock
        self._pools: dict[tuple[int, str], Pool] = {}
        # The store's epoch as last seen; a new one means it lost its counters.
        self._epoch: int | None = None
        self._report = False
        # The epoch this replica last told the store it has reported under (``counters.reported``).
        self._acked: int | None = None
        # Replica counts seen lately, and when: the store waits for that many reports after a loss,
        # while the replicas' own membership (in the same store) is being rebuilt.
        self._replicas_seen: dict[int, float] = {}
        self._down_since: float | None = None
        # The store's ``Notices`` as ``watch`` last read them.
        self._notices: list[Notices] = []

    def store_up(self) -> None:
        self._down_since = None

    def outage(self) -> bool:
        """A store call failed: whether the outage is still within ``outage_grace``, during which
        the pools answer from the units they hold."""
        now = self._clock()
        if self._down_since is None:
            self._down_since = now
        return now - self._down_since <= self.config.outage_grace

    def __len__(self) -> int:
        return len(self._pools)

    def held(self) -> int:
        """Units this replica holds, unsubdivided, over every key."""
        return sum(p.units for p in self._pools.values())

    def held_in(self, window: int, window_seconds: int) -> int:
        """Units this replica holds, unsubdivided, of one window, over every key."""
        return sum(
            p.units for p in self._pools.values() if (p.window, p.window_seconds) == (window, window_seconds)
        )

    def _known_replicas(self, replicas: int, now: float) -> int:
        """The most replicas seen in the last ``REPLICAS_MEMORY`` seconds, ``replicas`` included."""
        self._replicas_seen[replicas] = now
        for count, seen_at in list(self._replicas_seen.items()):
            if now - seen_at > REPLICAS_MEMORY:
                del self._replicas_seen[count]
        return max(self._replicas_seen)

    def _claim(self, request: LeaseRequest) -> LeaseRequest:
        return LeaseRequest(
            request.key,
            request.limit,
            request.window_seconds,
            request.want,
            request.window,
            request.returned,
            request.counted,
            holder=self.replica_id,
            held=request.held,
            replicas=max(self._replicas_seen, default=1),
            needed=request.needed,
        )

    async def lease(
        self, requests: Sequence[LeaseRequest], *, gateways: int, replicas: int, gateway_spread: float
    ) -> list[LeaseGrant]:
        """One gateway batch: returns and counts into the pools, one store call for the keys that
        need it, then each key's grant subdivided from its pool."""
        now = self._clock()
        self._known_replicas(replicas, now)
        config = self.config
        direct: list[int] = []  # positions passed straight to the store (bandwidth)
        to_store: list[LeaseRequest] = []
        store_pools: list[Pool | None] = []
        pools: list[Pool | None] = []
        for i, r in enumerate(requests):
            if r.key.startswith(BANDWIDTH_PREFIX):
                direct.append(i)
                to_store.append(r)
                store_pools.append(None)
                pools.append(None)
                continue
            pool = self._pool(r, now)
            pools.append(pool)
            back = 0  # units given back for a window this pool does not hold: the store decides
            if r.returned and r.window is not None:
                if r.window == pool.window:
                    pool.units += r.returned
                else:
                    back = r.returned
            counted, pool.owed = r.counted + pool.owed, 0
            if counted and pool.window is not None:
                spent = min(counted, pool.units)  # already counted by the store when leased
                pool.units -= spent
                counted -= spent
            pool.demand += r.want
            pool.last_used = now
            pool.sample(now, config.sample)
            want = 0
            if r.want > pool.units and not pool.exhausted:
                want = pool.store_want(now, config.horizon, r.want)
            if back:  # returned to another replica's pool before: the store's counter decides
                to_store.append(LeaseRequest(r.key, r.limit, r.window_seconds, 0, r.window, back))
                store_pools.append(None)
            if want or counted or pool.window is None:
                # Short if granted less than its demand needs (none measured yet: than is asked now).
                needed = want if pool.rate > 0 else max(r.want - pool.units, 0)
                to_store.append(self._claim(pool.request(want=want, counted=counted, needed=needed)))
                store_pools.append(pool)
        answered: list[LeaseGrant | None] = [None] * len(requests)
        if to_store:
            try:
                grants = await self.counters.lease(
                    to_store, gateways=config.holders(replicas), spread=config.spread
                )
            except Exception:
                # The store may or may not have applied the batch: its counts are sent again (counted
                # twice at worst, which only refuses sooner); the units held still serve the gateways
                # while the outage is younger than ``outage_grace``.
                for store_request, held_by in zip(to_store, store_pools, strict=True):
                    if held_by is not None:
                        held_by.owed += store_request.counted
                if not self.outage():
                    raise
                grants = []
            else:
                self._down_since = None
            positions = iter(direct)
            for grant, store_request, held_by in zip(grants, to_store, store_pools, strict=False):
                if held_by is not None:
                    self._apply(held_by, grant, store_request, now)
                elif store_request.key.startswith(BANDWIDTH_PREFIX):
                    answered[next(positions)] = grant
        out: list[LeaseGrant] = []
        for i, (r, of_key) in enumerate(zip(requests, pools, strict=True)):
            if of_key is None:
                passed = answered[i]
                if passed is None:  # bandwidth, store away: nothing granted, the call waits or is refused
                    passed = LeaseGrant(r.key, r.window or 0, 0, 0, r.limit, 0)
                out.append(passed)
                continue
            out.append(self._subdivide(of_key, r.want, gateways, gateway_spread, now))
        return out

    def _pool(self, r: LeaseRequest, now: float) -> Pool:
        slot = (r.window_seconds, r.key)
        pool = self._pools.get(slot)
        if pool is None:
            tag = self.counters.tag(r.key, r.window_seconds)
            pool = self._pools[slot] = Pool(r.key, r.limit, r.window_seconds, now, tag)
        elif pool.limit != r.limit:
            pool.limit = r.limit
        if pool.window is not None and now >= pool.expires_at:
            pool.roll()
        return pool

    def _seen(self, epoch: int | None) -> None:
        """The first look is no news; a later epoch than any seen (or no epoch at all) means the
        store (or one of its shards: each hash tag has its epoch) lost its counters, and the next
        sweep reports every unit this replica holds. An earlier one is another tag's, not news."""
        if epoch is None:
            self._report = True
        elif self._epoch is None or epoch > self._epoch:
            self._report = self._report or self._epoch is not None
        else:
            return
        self._epoch = epoch

    def _apply(self, pool: Pool, grant: LeaseGrant, sent: LeaseRequest, sent_at: float) -> None:
        self._seen(grant.epoch)
        if pool.window != grant.window:
            pool.roll()
            pool.window = grant.window
        elif sent.holder:
            pool.claimed = max(pool.claimed - sent.returned, 0)
        # Measured from when the call left, so the pool never outlives the shared window.
        pool.expires_at = sent_at + grant.window_ends_in_ms / 1000
        pool.units += grant.granted
        if sent.holder:
            pool.claimed += grant.granted + sent.counted
        pool.store_remaining = grant.remaining
        pool.exhausted = grant.remaining <= 0
        if sent.want > 0:
            pool.short = grant.granted < sent.needed and pool.exhausted

    def _subdivide(self, pool: Pool, want: int, gateways: int, spread: float, now: float) -> LeaseGrant:
        if pool.window is None or now >= pool.expires_at:
            window = pool.window if pool.window is not None else 0
            return LeaseGrant(pool.key, window, 0, pool.limit, pool.limit, 0)
        granted = lease_size(want, pool.units, gateways, spread)
        pool.units -= granted
        used = pool.limit - (pool.store_remaining + pool.units)
        # Rounded down: a gateway's units never outlive the pool's.
        ends_in_ms = max(math.floor((pool.expires_at - now) * 1000), 0)
        retry_ms = round(self.config.exhausted_retry * 1000) if used >= pool.limit else 0
        return LeaseGrant(pool.key, pool.window, granted, used, pool.limit, ends_in_ms, retry_in_ms=retry_ms)

    async def sweep(self, *, replicas: int) -> None:
        """Give back to the store the units of pools nobody asked from for ``idle_return`` (with
        ``rebalance``, only once another replica of the window was left short); forget pools unused
        for two windows. One store call for all."""
        self._seen(await self.counters.epoch())
        now = self._clock()
        self._known_replicas(replicas, now)
        config = self.config
        report, self._report = self._report, False
        back: list[LeaseRequest] = []
        pools: list[Pool] = []
        for slot, pool in list(self._pools.items()):
            if pool.window is not None and now >= pool.expires_at:
                pool.roll()
            idle_for = now - pool.last_used
            if pool.window is None:
                if idle_for > 2 * pool.window_seconds + config.idle_return:
                    del self._pools[slot]
                continue
            if pool.units <= 0 and not (report and pool.claimed):
                continue
            idle = pool.units > 0 and idle_for >= max(config.idle_return, pool.window_seconds / 10)
            surplus = pool.units if idle and self._short_elsewhere(pool) else 0
            if surplus > 0 or report:
                pool.units -= surplus
                back.append(self._claim(pool.request(want=0, returned=surplus)))
                pools.append(pool)
        if back:
            try:
                grants = await self.counters.lease(
                    back, gateways=config.holders(replicas), spread=config.spread
                )
            except Exception:
                self._report = self._report or report  # the next sweep reports again
                raise
            for pool, grant, sent in zip(pools, grants, back, strict=True):
                self._apply(pool, grant, sent, now)
        if self._epoch is not None and self._epoch != self._acked and not self._report:
            # Every unit held is reported: replicas waiting on this store's recovery may lease.
            await self.counters.reported(self.replica_id)
            self._acked = self._epoch

    def _short_elsewhere(self, pool: Pool) -> bool:
        """Whether units the pool gives back may serve another replica: always without
        ``rebalance``; with it, once a replica of the pool's window was left short."""
        if self.config.rebalance is None:
            return True
        notices = self._notices
        return pool.tag < len(notices) and notices[pool.tag].short >= pool.window_start_ms()

    def _surplus(self, pool: Pool, now: float) -> int:
        """Units beyond ``rebalance`` times the pool's demand over the window's time left."""
        if self.config.rebalance is None or pool.units <= 0:
            return 0
        pool.sample(now, self.config.sample)
        need = math.ceil(pool.rate * min(pool.expires_at - now, self.config.horizon))
        keep = math.ceil(self.config.rebalance * need) + 1
        return max(pool.units - keep, 0)

    async def watch(self, *, replicas: int) -> None:
        """Act on the store's ``Notices`` (with ``rebalance``, every ``watch``): a pool left short
        asks the store again once units came back to its tag; a pool holding a surplus gives it back
        once another replica of its window was left short (once per notice, as soon as it has a
        surplus). One read, and one store call for every pool giving back."""
        if self.config.rebalance is None:
            return
        notices = await self.counters.notices()
        seen, self._notices = self._notices, notices
        now = self._clock()
        back: list[LeaseRequest] = []
        pools: list[Pool] = []
        for pool in self._pools.values():
            if pool.window is None or now >= pool.expires_at or pool.tag >= len(notices):
                continue
            notice = notices[pool.tag]
            before = seen[pool.tag] if pool.tag < len(seen) else Notices()
            if pool.short and notice.back > before.back:
                pool.exhausted = False  # units came back: its gateways' next ask goes to the store
            if notice.short <= pool.answered or notice.short < pool.window_start_ms():
                continue
            surplus = self._surplus(pool, now)
            if surplus > 0:
                pool.answered = notice.short
                pool.units -= surplus
                back.append(self._claim(pool.request(want=0, returned=surplus)))
                pools.append(pool)
        if back:
            grants = await self.counters.lease(
                back, gateways=self.config.holders(replicas), spread=self.config.spread
            )
            for pool, grant, sent in zip(pools, grants, back, strict=True):
                self._apply(pool, grant, sent, now)

    def forget(self) -> None:
        """Drop every pool (a replica stopping: its units lapse with their windows)."""
        self._pools.clear()
