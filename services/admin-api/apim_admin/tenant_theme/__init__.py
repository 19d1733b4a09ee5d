"""The developer portal theme of a tenant: a zip archive stored as uploaded."""
