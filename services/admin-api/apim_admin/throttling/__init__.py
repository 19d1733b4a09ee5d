"""Rate-limit tiers: application, subscription, advanced (API) and custom policies."""
