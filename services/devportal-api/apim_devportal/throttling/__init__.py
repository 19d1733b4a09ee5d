"""Application and subscription tiers, known from the admin service's events."""
