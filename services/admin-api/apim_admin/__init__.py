"""Admin API: see the README's map of services."""
