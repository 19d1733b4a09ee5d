"""The in-memory runtime model: compiled APIs and routes, subscriptions, keys, tiers, revocations."""
