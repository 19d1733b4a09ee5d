"""WSO2 Admin v4's role check: ``HEAD /roles/{roleId}``."""
