"""What other services use: a read model fed by their events, so admin can refuse deleting what is in use."""
