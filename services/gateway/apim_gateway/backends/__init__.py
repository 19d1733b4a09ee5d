"""Backend endpoints: selection (plain, load-balanced, failover) and circuit breakers."""
