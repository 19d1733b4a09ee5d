"""API chat: test an API in natural language; the client makes each call with the user's token."""
