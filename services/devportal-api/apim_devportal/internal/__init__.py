"""Internal endpoints for the admin service, the publisher and starting gateways (service tokens)."""
