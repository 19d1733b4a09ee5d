"""The per-tenant configuration document (WSO2's tenant-conf.json), incl. which workflows need approval."""
