"""Standalone mode: every service in one process, on one event loop."""
