"""Gateway policies: validated once when a revision is deployed, run in order per request.

Policy implementations are found by entry point (group ``apim.policies``, ``policies/discovery.py``):
the gateway's own package declares the built-ins (``policies/builtin``) there under WSO2's names, and
any package installed beside it may add more. Their specs and the parameter rules shared with the
publisher are in ``policies/specs.py``.

What the request path must honour for the built-ins to work:

- Bodies. Buffer the request body before the request flow when ``chain.needs_request_body``
  (``exchange.read_request_body`` reads it), and the response body before the response flow
  when ``chain.needs_response_body`` (into ``exchange.response.body``). Whenever
  ``exchange.request.body`` / ``exchange.response.body`` is not None after the flow, send that
  body (not the original stream) and frame it yourself: policies that replace a body drop
  ``content-length`` and ``transfer-encoding`` from the headers, so send ``Content-Length`` of
  the body actually sent. In the fault flow ``exchange.response`` holds the error about to be
  sent, body buffered; ``exchange.variables["fault"] = {code, message, description}`` may
  describe it (``jsonFault`` prefers it to parsing the body).
- Request changes. Send the backend ``exchange.request.method``, ``.path`` and ``.query`` as the
  policies left them (rewriteResourcePath, changeHTTPMethod, addQueryParam).
- A ``Reply`` from a request hook is the answer (the response flow then runs on it); a
  ``PolicyRefusal`` from any hook answers ``{"code", "message", "description"}`` with its status.
- ``exchange.variables["redirect_url"]`` (redirectRequest): call that URL instead of the API's
  endpoint, joined with the path and query as an endpoint URL is (``builtin.routing.split_url``
  and ``join_target`` do exactly that).
- ``exchange.variables["backend_jwt"]`` (backEndJWT): generate the backend JWT with the
  gateway's signer and send it in the named header; see ``builtin/backend_jwt.py``.
- ``exchange.auth.claims``: the caller's JWT claims, for jwtClaimBasedAccessValidator.
- CORS: route a preflight ``OPTIONS`` to the API's chain even when the API has no OPTIONS
  operation.
- Shared clients: the gateway's ``PolicyServices`` (its ``UpstreamClient`` and background work),
  handed to each policy by ``compile_chain`` and read as ``self.services`` (mirrorRequest,
  callInterceptorService); bound and closed in the gateway's lifespan.
"""

from apim_gateway.policies import builtin  # registers the built-ins
from apim_gateway.policies.base import Policy, PolicyConfigError, PolicyRefusal, Reply, register
from apim_gateway.policies.discovery import ENTRY_POINT_GROUP, installed_policies
from apim_gateway.policies.engine import Chain, compile_chain
from apim_gateway.policies.services import PolicyServices

__all__ = [
    "ENTRY_POINT_GROUP",
    "Chain",
    "Policy",
    "PolicyConfigError",
    "PolicyRefusal",
    "PolicyServices",
    "Reply",
    "builtin",
    "compile_chain",
    "installed_policies",
    "register",
]
