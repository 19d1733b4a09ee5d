"""Key managers: the resident one, third-party ones (by hand or discovered) and global ones."""
