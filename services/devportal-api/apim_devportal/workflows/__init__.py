"""Approval workflows this service asks for (application and subscription creation)."""
