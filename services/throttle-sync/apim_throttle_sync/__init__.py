"""Throttle Sync: see the README's map of services."""
