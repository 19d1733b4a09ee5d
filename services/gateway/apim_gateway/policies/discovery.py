"""Which policy implementations this gateway has: the ``apim.policies`` entry points installed.

Kong finds its plugins by name among what is installed; so does the gateway. Every distribution in
the gateway's environment may declare entry points in the group ``apim.policies``, each naming a
``Policy`` subclass; the entry point's name is the implementation's name. The gateway's own package
declares the built-ins this way (``pyproject.toml``), so built-in and added policies are found by
one lookup. A policy spec uploaded to the publisher names its implementation (``implementation``,
the entry point name; the policy's name when omitted).

The lookup runs once per process: installing a policy package means building a new gateway image
(or restarting the process), as it does for a Kong plugin.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib.metadata import entry_points

from apim_gateway.policies.base import Policy

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "apim.policies"


@cache
def installed_policies() -> dict[str, type[Policy]]:
    """Every implementation installed, by entry point name; one that fails to load is logged and left
    out, so the publisher is never told of an implementation this gateway cannot run."""
    found: dict[str, type[Policy]] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in found:
            logger.warning("policy implementation %r is declared twice; keeping the first", point.name)
            continue
        try:
            loaded = point.load()
        except Exception:
            logger.exception("policy implementation %r (%s) cannot be loaded", point.name, point.value)
            continue
        if not (isinstance(loaded, type) and issubclass(loaded, Policy)):
            logger.error("policy implementation %r (%s) is not a Policy class", point.name, point.value)
            continue
        found[point.name] = loaded
    return found


def implementation_names() -> list[str]:
    """What this gateway reports to the control plane."""
    return sorted(installed_policies())
