"""WSO2's HEAD checks of the Publisher: does a role, a scope or a tenant exist."""
