"""Tenants and their configuration (which workflows need approval), from the admin service's events."""
