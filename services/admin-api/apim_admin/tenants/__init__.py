"""Tenants: created with their admin user in the key manager, listed, activated and deactivated."""
