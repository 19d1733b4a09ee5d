"""Resolve, order and pre-bucket the policies of one operation, once per deployed revision.

Order per flow: the gateway's global policies (of its label) first, then the API-level policies
if the API has any, otherwise the operation's own policies — WSO2 4.3's rule that API-level
policies take precedence over operation-level ones. Within each list, the order given is the
order run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from apim_gateway.policies.base import Policy, PolicyConfigError
from apim_gateway.policies.discovery import installed_policies
from apim_gateway.policies.services import PolicyServices

FLOWS = ("request", "response", "fault")

# {"request": [{"policyName": ..., "policyVersion": "v1", "parameters": {...}}], "response": [...], ...}
FlowPolicies = Mapping[str, Sequence[Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class Chain:
    request: tuple[Policy, ...] = ()
    response: tuple[Policy, ...] = ()
    fault: tuple[Policy, ...] = ()
    # Read on every request: worked out once here.
    needs_request_body: bool = field(init=False, default=False)
    needs_response_body: bool = field(init=False, default=False)
    # The smallest body limit the request policies set; None: the gateway's default applies.
    max_request_body: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "needs_request_body", any(p.needs_request_body for p in self.request))
        object.__setattr__(self, "needs_response_body", any(p.needs_response_body for p in self.response))
        limits = [p.max_request_body for p in self.request if p.max_request_body is not None]
        object.__setattr__(self, "max_request_body", min(limits) if limits else None)


EMPTY_CHAIN = Chain()


def _has_any(policies: FlowPolicies | None) -> bool:
    return bool(policies) and any(policies.get(flow) for flow in FLOWS)  # type: ignore[union-attr]


def _instantiate(attachment: Mapping[str, Any], flow: str, services: PolicyServices | None) -> Policy:
    name = attachment.get("policyName")
    # An added policy names its implementation; a built-in's implementation has the policy's name.
    implementation = str(attachment.get("implementation") or name)
    cls = installed_policies().get(implementation)
    if cls is None:
        raise PolicyConfigError(
            f"policy {name!r}: implementation {implementation!r} is not installed in this gateway"
        )
    if flow not in cls.applicable_flows:
        raise PolicyConfigError(f"{name}: cannot run in the {flow} flow")
    policy = cls(attachment.get("parameters") or {})
    if services is not None:
        policy.bind_services(services)
    return policy


def compile_chain(
    global_policies: FlowPolicies | None,
    api_policies: FlowPolicies | None,
    operation_policies: FlowPolicies | None,
    services: PolicyServices | None = None,
) -> Chain:
    """``services``: the gateway's shared clients, handed to every policy compiled here."""
    chosen = api_policies if _has_any(api_policies) else operation_policies
    flows: dict[str, tuple[Policy, ...]] = {}
    for flow in FLOWS:
        attachments = [*((global_policies or {}).get(flow) or ()), *((chosen or {}).get(flow) or ())]
        flows[flow] = tuple(_instantiate(a, flow, services) for a in attachments)
    if not any(flows.values()):
        return EMPTY_CHAIN
    return Chain(**flows)
