"""GET /settings: what the admin portal needs to know about this installation."""
