"""Key managers and who may use them, known from the admin service's events."""
