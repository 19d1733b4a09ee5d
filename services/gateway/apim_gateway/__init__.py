"""Gateway: the data plane; see the README's map of services."""
