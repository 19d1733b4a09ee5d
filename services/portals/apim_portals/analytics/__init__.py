"""Analytics pages of the three portals, read from the analytics query API as the signed-in user."""
