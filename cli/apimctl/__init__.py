"""apimctl: API projects and declarative configuration over the platform's REST APIs."""
