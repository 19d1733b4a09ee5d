"""Gateway environments and their virtual hosts."""
