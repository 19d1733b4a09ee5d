"""Developer Portal API: see the README's map of services."""
