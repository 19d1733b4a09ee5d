"""Monetization: the subscription tiers' prices billed by a provider from the analytics rollups."""
