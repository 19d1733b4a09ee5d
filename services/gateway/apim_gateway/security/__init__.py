"""Who is calling: access tokens and API keys from the key managers, and the backend JWT."""
