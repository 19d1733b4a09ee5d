"""The portals: server-rendered pages over the public REST APIs, with the signed-in user's token."""
