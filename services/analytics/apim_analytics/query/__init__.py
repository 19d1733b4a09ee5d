"""Query: metrics over the rollups, along at most two dimensions, scoped to what the caller may see."""
