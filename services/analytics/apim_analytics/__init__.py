"""Analytics: see the README's map of services."""
