"""The signed-in user's own account: ``/me/change-password``."""
