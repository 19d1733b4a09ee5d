"""Deny (blocking) conditions: API, APPLICATION, IP, IPRANGE and USER."""
