"""Key Manager: see the README's map of services."""
