"""Rollups: the gateways' request events folded into per-minute, hour and day counters."""
