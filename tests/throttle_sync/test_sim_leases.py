"""The lease simulation (``benchmarks/bench_sim_leases.py``) on one small configuration, so it keeps
running the shipped leasing code and keeps telling exact limits from approximate ones."""

from __future__ import annotations

from apim_gateway.throttling import ClientConfig
from apim_gateway.throttling.sizing import lease_want, low_water, reserve_cap
from benchmarks.bench_sim_leases import (
    Scenario,
    TierSim,
    arrivals,
    demand_of,
    figures,
    periodic_sync,
    rebalancing_tier,
    simulate_leases,
)

SMALL = Scenario(gateways=4, load=5.0, window=1)


def test_simulated_leases_admit_exactly_the_limit_in_every_window() -> None:
    outcome, result = simulate_leases(SMALL)

    assert sorted(outcome.admitted.values()) == [SMALL.limit] * 3
    assert (result.over, result.under) == (0.0, 0.0)
    assert 0 < result.ops_per_admitted < 0.2


def test_simulated_periodic_sync_over_admits_on_the_same_requests() -> None:
    a = arrivals(SMALL)

    result = figures(periodic_sync(SMALL, a, 0.1), demand_of(SMALL, a), SMALL.limit)

    assert result.worst_over > 0


def test_a_key_with_any_recent_demand_keeps_a_unit_in_reserve() -> None:
    prefetch = ClientConfig().prefetch

    assert low_water(0.5 / prefetch, prefetch) == 1
    assert low_water(0.0, prefetch) == 0


def test_simulated_replica_tier_admits_exactly_the_limit_at_a_fraction_of_the_store_work() -> None:
    a = arrivals(SMALL)
    demand = demand_of(SMALL, a)
    direct = figures(simulate_leases(SMALL)[0], demand, SMALL.limit)

    outcome = TierSim(SMALL, ClientConfig(), replicas=2).run(a)
    tier = figures(outcome, demand, SMALL.limit)

    assert sorted(outcome.admitted.values()) == [SMALL.limit] * 3
    assert tier.ops_per_admitted < direct.ops_per_admitted / 4


def test_simulated_replica_tier_never_over_admits_skewed_demand_with_churn() -> None:
    s = Scenario(gateways=64, load=5.0, window=1, skewed=True, churn=True)
    a = arrivals(s)

    outcome = TierSim(s, ClientConfig(), replicas=3).run(a)

    assert max(outcome.admitted.values()) <= s.limit
    assert figures(outcome, demand_of(s, a), s.limit).ops_per_admitted < 0.1


def test_gateway_reserves_never_outgrow_what_remains_nor_outlast_the_window() -> None:
    prefetch = ClientConfig().prefetch

    assert low_water(10.0, prefetch, reserve_cap(remaining=900, gateways=1024)) == 0
    assert low_water(10.0, prefetch, reserve_cap(remaining=900, gateways=4)) == 1
    assert reserve_cap(900, 4, time_left=0.4, idle_return=0.25) == 0
    assert lease_want(10.0, 0.2, units=0, waiting=1, cap=0) == 1
    assert lease_want(10.0, 0.2, units=0, waiting=0, cap=0) == 0


def test_simulated_replica_tier_at_1024_gateways_and_1x_admits_all_but_1_percent_of_the_limit() -> None:
    s = Scenario(gateways=1024, load=1.0, window=1)
    a = arrivals(s)

    outcome = TierSim(s, ClientConfig(), replicas=2).run(a)
    result = figures(outcome, demand_of(s, a), s.limit)

    assert max(outcome.admitted.values()) <= s.limit
    assert result.under < 1.0
    assert result.ops_per_admitted < 0.02


def test_simulated_rebalancing_tier_at_64_gateways_and_1x_admits_all_but_1_percent_of_the_limit() -> None:
    s = Scenario(gateways=64, load=1.0, window=1)
    a = arrivals(s)
    demand = demand_of(s, a)

    without = figures(TierSim(s, ClientConfig(), replicas=2).run(a), demand, s.limit)
    sim = rebalancing_tier(s)
    sim.record_stranded()
    outcome = sim.run(a)
    result = figures(outcome, demand, s.limit)

    # Without rebalancing a window ends with units in one replica's pool while the other replica's
    # gateways are refused; with it, they move through the store.
    assert without.under > 4.0
    assert max(outcome.admitted.values()) <= s.limit
    assert result.under < 1.0
    assert result.ops_per_admitted < 0.02
    assert max(held.pools[0] + held.pools[1] for held in sim.stranded) < 30
