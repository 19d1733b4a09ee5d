"""Ratings and comments (with replies) on the catalog's APIs."""
