"""Subscriptions of applications to APIs and API products, each with one of the API's tiers."""
