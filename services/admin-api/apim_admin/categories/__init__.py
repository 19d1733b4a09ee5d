"""API categories, which publishers attach to APIs and the developer portal groups by."""
