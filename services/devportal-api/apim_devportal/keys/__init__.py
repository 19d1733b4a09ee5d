"""OAuth keys (through the key manager's client registration) and API keys of applications."""
