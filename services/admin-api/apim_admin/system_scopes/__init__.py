"""Admin RBAC: which roles hold which REST API scope, and role aliases."""
