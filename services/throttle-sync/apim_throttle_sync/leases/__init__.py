"""Quota leases to gateways: the batched lease endpoint, heartbeats and the gateway list."""
