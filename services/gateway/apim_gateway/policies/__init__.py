"""Gateway policies: validated once when a revision is deployed, run in order per request."""

from apim_gateway.policies.base import Policy, PolicyConfigError, Reply, register
from apim_gateway.policies.engine import Chain, compile_chain

__all__ = ["Chain", "Policy", "PolicyConfigError", "Reply", "compile_chain", "register"]
